#include "rsockd/server/bind.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "rsockd/base/status_macros.h"

namespace rsockd {
namespace {

// One pending connection is all a BIND admits; the listener closes right
// after accepting it.
constexpr int kBindBacklog = 1;

// Why the client's connection reported an error or hang-up.
absl::Status ClientGone(const net::Socket& client) {
  int error = 0;
  socklen_t length = sizeof(error);
  if (getsockopt(client.fd(), SOL_SOCKET, SO_ERROR, &error, &length) == 0 &&
      error != 0) {
    return absl::AbortedError(
        absl::StrCat("client reset its connection: ",
                     absl::ErrnoToStatus(error, "").message()));
  }
  return absl::AbortedError("client closed its connection");
}

}  // namespace

absl::Status WaitWhileClientStays(int fd, const net::Socket& client,
                                  const net::Deadline& deadline) {
  // POLLIN on the client until bytes are known to be queued; from then on
  // only POLLRDHUP (its FIN), since poll would report the queued bytes again
  // at once and turn the wait into a busy loop.
  short client_events = POLLIN | POLLRDHUP;
  for (;;) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {client.fd(), client_events, 0}};
    RSOCKD_RETURN_IF_ERROR(deadline.Wait(absl::MakeSpan(fds)));
    // The client first: a peer that connects just as the client leaves has
    // nobody to talk to.
    const short client_seen = fds[1].revents;
    if ((client_seen & (POLLERR | POLLHUP | POLLRDHUP)) != 0) {
      return ClientGone(client);
    }
    if ((client_seen & POLLIN) != 0) {
      uint8_t byte;
      const ssize_t n = recv(client.fd(), &byte, 1, MSG_PEEK);
      if (n == 0) return ClientGone(client);
      if (n > 0) {
        client_events = POLLRDHUP;
      } else if (errno != EAGAIN && errno != EINTR) {
        return absl::AbortedError(
            absl::StrCat("client connection failed: ",
                         absl::ErrnoToStatus(errno, "recv()").message()));
      }
    }
    if (fds[0].revents != 0) return absl::OkStatus();
  }
}

bool ExpectedPeer::Admits(const net::IpAddress& peer) const {
  if (addresses_.empty()) return true;
  for (const net::IpAddress& address : addresses_) {
    if (address == peer) return true;
  }
  return false;
}

std::string ExpectedPeer::ToString() const {
  if (addresses_.empty()) return "any peer";
  return absl::StrJoin(addresses_, " or ",
                       [](std::string* out, const net::IpAddress& address) {
                         out->append(address.ToString());
                       });
}

absl::StatusOr<BindListener> BindListener::Open(const net::IpAddress& ip) {
  RSOCKD_ASSIGN_OR_RETURN(
      net::Socket listener,
      net::Socket::Listen(net::SocketAddress(ip, 0), kBindBacklog));
  RSOCKD_ASSIGN_OR_RETURN(net::SocketAddress address, listener.LocalAddress());
  return BindListener(std::move(listener), address);
}

absl::StatusOr<BindPeer> BindListener::AcceptPeer(
    const net::Socket& client, const ExpectedPeer& expected,
    const net::Deadline& deadline) {
  BindPeer peer;
  absl::Status waited;
  for (;;) {
    waited = WaitWhileClientStays(listener_.fd(), client, deadline);
    if (!waited.ok()) break;
    absl::StatusOr<net::Socket> accepted = listener_.Accept(&peer.address);
    if (accepted.ok()) {
      peer.socket = *std::move(accepted);
      break;
    }
    // EAGAIN, or ECONNABORTED for a connection that was reset while it
    // waited in the backlog: nobody to accept after all; wait on.
    if (!absl::IsUnavailable(accepted.status())) {
      waited = accepted.status();
      break;
    }
  }
  // Whatever happened, the port stops admitting anyone now, not when the
  // session gets round to destroying the listener.
  listener_.Close();
  RSOCKD_RETURN_IF_ERROR(waited);
  if (!expected.Admits(peer.address.ip())) {
    return absl::PermissionDeniedError(absl::StrCat(
        "peer ", peer.address.ToString(), " is not ", expected.ToString()));
  }
  return peer;
}

net::SocketAddress FirstReplyAddress(const net::SocketAddress& reply,
                                     const net::SocketAddress& server) {
  return net::SocketAddress(
      reply.ip().IsUnspecified() ? server.ip() : reply.ip(), reply.port());
}

absl::StatusOr<UpstreamReply> ReadSecondReply(net::Socket& upstream,
                                              rules::UpstreamScheme scheme,
                                              const net::Socket& client,
                                              const net::Deadline& deadline) {
  RSOCKD_RETURN_IF_ERROR(WaitWhileClientStays(upstream.fd(), client, deadline));
  // Bytes have arrived: the rest of the reply follows at once from a
  // working upstream, so this read need not watch the client as well.
  absl::StatusOr<UpstreamReply> reply =
      ReadUpstreamReply(upstream, scheme, deadline);
  if (!reply.ok()) {
    return absl::Status(
        reply.status().code(),
        absl::StrCat("upstream's second reply: ", reply.status().message()));
  }
  return reply;
}

}  // namespace rsockd
