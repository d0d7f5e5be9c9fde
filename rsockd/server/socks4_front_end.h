// This file defines `Socks4FrontEnd`, the front end (front_end.h) of SOCKS4
// and SOCKS4A clients (docs/protocol.md): it parses the request with
// net::Socks4RequestParser and answers with 8-byte replies.
//
//   outcome                      reply
//   granted, CONNECT             90, DSTPORT and DSTIP zero
//   granted, BIND                90 with the address (IPv6: zeros)
//   kIdentUnavailable            92
//   kIdentMismatch               93
//   every other failure          91 (an upstream server's 92 or 93 too)
//
// Bytes whose first byte is not 4 are not SOCKS4: no reply. A SOCKS4 request
// this server cannot serve (unknown command, USERID or name too long, empty
// name) gets 91.

#ifndef RSOCKD_RSOCKD_SERVER_SOCKS4_FRONT_END_H_
#define RSOCKD_RSOCKD_SERVER_SOCKS4_FRONT_END_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "net/deadline.h"
#include "net/socks4.h"
#include "rsockd/server/front_end.h"
#include "rsockd/server/outcome.h"
#include "rsockd/server/request.h"

namespace rsockd {

// The reply code for `outcome`, as the table above says.
net::Socks4ReplyCode Socks4ReplyCodeFor(const Outcome& outcome);

class Socks4FrontEnd : public FrontEnd {
 public:
  explicit Socks4FrontEnd(const FrontEndContext& context) : context_(context) {}

  absl::StatusOr<Request> ReadRequest(absl::Span<const uint8_t> received,
                                      const net::Deadline& deadline) override;
  absl::Span<const uint8_t> early_data() const override { return early_data_; }
  absl::Status SendReply(const Outcome& outcome) override;

 private:
  const FrontEndContext context_;
  net::Socks4RequestParser parser_;
  std::vector<uint8_t> early_data_;
};

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_SERVER_SOCKS4_FRONT_END_H_
