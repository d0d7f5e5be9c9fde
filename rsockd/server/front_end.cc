#include "rsockd/server/front_end.h"

#include "absl/strings/str_cat.h"

namespace rsockd {

std::optional<Socks5Auth> ParseSocks5Auth(absl::string_view text) {
  if (text == "any") return Socks5Auth::kAny;
  if (text == "password") return Socks5Auth::kPassword;
  if (text == "none") return Socks5Auth::kNone;
  return std::nullopt;
}

absl::StatusOr<size_t> ReadHandshakeBytes(net::Socket& client,
                                          absl::Span<uint8_t> buffer,
                                          const net::Deadline& deadline) {
  absl::StatusOr<size_t> n = client.ReadSome(buffer, deadline);
  if (!n.ok()) {
    return absl::Status(n.status().code(), absl::StrCat("no whole request: ",
                                                        n.status().message()));
  }
  if (*n == 0) return absl::UnavailableError("closed before a whole request");
  return n;
}

}  // namespace rsockd
