#include "net/socks4_client.h"

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace rsockd::net {

absl::StatusOr<Socks4Reply> ReadSocks4Reply(Socket& socket,
                                            const Deadline& deadline) {
  std::array<uint8_t, kSocks4ReplySize> bytes;
  size_t have = 0;
  while (have < bytes.size()) {
    absl::StatusOr<size_t> n = socket.ReadSome(
        absl::MakeSpan(bytes.data() + have, bytes.size() - have), deadline);
    if (!n.ok()) return n.status();
    if (*n == 0) {
      return absl::UnavailableError(absl::StrCat("closed after ", have, " of ",
                                                 bytes.size(), " reply bytes"));
    }
    have += *n;
  }
  return ParseSocks4Reply(bytes);
}

absl::StatusOr<Socks4Reply> Socks4Exchange(Socket& socket,
                                           const Socks4Request& request,
                                           const Deadline& deadline) {
  const std::string bytes = EncodeSocks4Request(request);
  if (absl::Status sent = socket.WriteAll(bytes, deadline); !sent.ok()) {
    return sent;
  }
  return ReadSocks4Reply(socket, deadline);
}

}  // namespace rsockd::net
