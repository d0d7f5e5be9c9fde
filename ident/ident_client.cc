#include "ident/ident_client.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "ident/ident_reply.h"
#include "net/socket.h"

namespace rsockd::ident {
namespace {

absl::Status Unavailable(const net::SocketAddress& identd,
                         absl::string_view why) {
  return absl::UnavailableError(
      absl::StrCat("identd on ", identd.ToString(), ": ", why));
}

// Reads up to and including the first '\n'. Bytes after it (there should be
// none: identd closes after one reply) are ignored.
absl::StatusOr<std::string> ReadLine(net::Socket& socket,
                                     const net::SocketAddress& identd,
                                     const net::Deadline& deadline) {
  std::string line;
  uint8_t buffer[kMaxIdentLineBytes];
  for (;;) {
    // Never ask for more than would complete a maximal line, so a flood is
    // cut off at the limit rather than buffered.
    const size_t room = kMaxIdentLineBytes - line.size();
    absl::StatusOr<size_t> n =
        socket.ReadSome(absl::MakeSpan(buffer, room), deadline);
    if (!n.ok()) {
      return Unavailable(
          identd, absl::StrCat("reading the reply: ", n.status().ToString()));
    }
    if (*n == 0) {
      return Unavailable(
          identd, absl::StrCat("connection closed before a complete reply "
                               "line (",
                               line.size(), " bytes received)"));
    }
    const absl::string_view chunk(reinterpret_cast<const char*>(buffer), *n);
    const size_t newline = chunk.find('\n');
    if (newline != absl::string_view::npos) {
      absl::StrAppend(&line, chunk.substr(0, newline + 1));
      return line;
    }
    absl::StrAppend(&line, chunk);
    if (line.size() >= kMaxIdentLineBytes) {
      return Unavailable(identd, absl::StrCat("reply line longer than ",
                                              kMaxIdentLineBytes, " bytes"));
    }
  }
}

}  // namespace

absl::StatusOr<std::string> QueryIdent(const IdentQuery& query) {
  const net::Deadline deadline = net::Deadline::In(query.timeout, query.stop);
  const net::SocketAddress identd(query.client.ip(), query.identd_port);

  absl::StatusOr<net::Socket> socket =
      net::Socket::Connect(identd, query.server.ip(), deadline);
  if (!socket.ok()) {
    return Unavailable(
        identd, absl::StrCat("cannot connect: ", socket.status().ToString()));
  }
  const std::string request =
      absl::StrCat(query.client.port(), " , ", query.server.port(), "\r\n");
  if (absl::Status sent = socket->WriteAll(request, deadline); !sent.ok()) {
    return Unavailable(identd,
                       absl::StrCat("sending the query: ", sent.ToString()));
  }
  absl::StatusOr<std::string> line = ReadLine(*socket, identd, deadline);
  if (!line.ok()) return line.status();
  absl::StatusOr<std::string> user =
      ParseIdentReply(*line, query.client.port(), query.server.port());
  if (!user.ok()) return Unavailable(identd, user.status().message());
  return user;
}

}  // namespace rsockd::ident
