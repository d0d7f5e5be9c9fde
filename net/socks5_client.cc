#include "net/socks5_client.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "rsockd/base/status_macros.h"

namespace rsockd::net {
namespace {

// Reads one message into `parser`, never past its end.
absl::Status ReadMessage(Socket& socket, Socks5Parser& parser,
                         const Deadline& deadline) {
  uint8_t buffer[512];
  while (!parser.done()) {
    const size_t want = std::min(parser.bytes_wanted(), sizeof(buffer));
    RSOCKD_ASSIGN_OR_RETURN(
        const size_t n,
        socket.ReadSome(absl::MakeSpan(buffer, want), deadline));
    if (n == 0) {
      return absl::UnavailableError(
          absl::StrCat("closed: ", parser.EndOfInput().message()));
    }
    RSOCKD_RETURN_IF_ERROR(parser.Feed(absl::MakeSpan(buffer, n)).status());
  }
  return absl::OkStatus();
}

std::string MethodName(Socks5Method method) {
  return absl::StrFormat("%02X", static_cast<uint8_t>(method));
}

// The greeting, and RFC 1929 when the server picks it.
absl::Status Negotiate(Socket& socket,
                       const std::optional<Socks5Credentials>& credentials,
                       const Deadline& deadline) {
  const Socks5Method offered =
      credentials.has_value() ? Socks5Method::kUserPass : Socks5Method::kNoAuth;
  RSOCKD_RETURN_IF_ERROR(
      socket.WriteAll(EncodeSocks5Greeting({offered}), deadline));
  Socks5MethodChoiceParser choice;
  RSOCKD_RETURN_IF_ERROR(ReadMessage(socket, choice, deadline));
  if (choice.method() == Socks5Method::kNoneAcceptable) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the server accepts no method offered (", MethodName(offered), ")"));
  }
  if (choice.method() != offered) {
    return absl::DataLossError(absl::StrCat("the server chose method ",
                                            MethodName(choice.method()),
                                            ", which was not offered"));
  }
  if (!credentials.has_value()) return absl::OkStatus();
  RSOCKD_RETURN_IF_ERROR(
      socket.WriteAll(EncodeSocks5UserPass(*credentials), deadline));
  Socks5UserPassStatusParser status;
  RSOCKD_RETURN_IF_ERROR(ReadMessage(socket, status, deadline));
  if (status.status() != kSocks5UserPassSuccess) {
    return absl::PermissionDeniedError(
        absl::StrCat("the server refused the user name and password (STATUS ",
                     status.status(), ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Socks5Reply> ReadSocks5Reply(Socket& socket,
                                            const Deadline& deadline) {
  Socks5ReplyParser reply;
  RSOCKD_RETURN_IF_ERROR(ReadMessage(socket, reply, deadline));
  return reply.reply();
}

absl::StatusOr<Socks5Reply> Socks5Exchange(
    Socket& socket, const Socks5Request& request,
    const std::optional<Socks5Credentials>& credentials,
    const Deadline& deadline) {
  RSOCKD_RETURN_IF_ERROR(Negotiate(socket, credentials, deadline));
  RSOCKD_RETURN_IF_ERROR(
      socket.WriteAll(EncodeSocks5Request(request), deadline));
  return ReadSocks5Reply(socket, deadline);
}

}  // namespace rsockd::net
