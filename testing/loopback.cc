#include "testing/loopback.h"

#include <poll.h>

#include "rsockd/base/status_macros.h"

namespace rsockd::testing {

absl::StatusOr<LoopbackPair> MakeLoopbackPair() {
  const net::SocketAddress any_port(*net::IpAddress::Parse("127.0.0.1"), 0);
  RSOCKD_ASSIGN_OR_RETURN(net::Socket listener,
                          net::Socket::Listen(any_port, 1));
  RSOCKD_ASSIGN_OR_RETURN(net::SocketAddress bound, listener.LocalAddress());
  const net::Deadline deadline = net::Deadline::In(absl::Seconds(10));
  LoopbackPair pair;
  RSOCKD_ASSIGN_OR_RETURN(pair.connected,
                          net::Socket::Connect(bound, std::nullopt, deadline));
  RSOCKD_RETURN_IF_ERROR(deadline.Wait(listener.fd(), POLLIN));
  RSOCKD_ASSIGN_OR_RETURN(pair.accepted, listener.Accept(nullptr));
  return pair;
}

}  // namespace rsockd::testing
