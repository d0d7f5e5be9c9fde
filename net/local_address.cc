#include "net/local_address.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "rsockd/base/fd_closer.h"

namespace rsockd::net {
namespace {

// The kernel answers a route query at once; this only bounds a wait that
// should never happen.
constexpr timeval kReplyTimeout = {.tv_sec = 1, .tv_usec = 0};

// Where the parts of a route query go: the netlink header, the route message,
// then one attribute (the destination) holding the address.
constexpr size_t kRouteOffset = NLMSG_LENGTH(0);
constexpr size_t kAttributeOffset = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(rtmsg)));
constexpr size_t kAddressOffset = kAttributeOffset + RTA_LENGTH(0);
constexpr size_t kMaxRequestSize = kAddressOffset + 16;

absl::Status Error(int error, absl::string_view what, const IpAddress& ip) {
  return absl::ErrnoToStatus(
      error, absl::StrCat("cannot ask the kernel whether ", ip.ToString(),
                          " is local: ", what));
}

}  // namespace

absl::StatusOr<bool> IsLocalAddress(const IpAddress& ip) {
  if (ip.IsUnspecified()) return true;
  const FdCloser netlink(
      socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!netlink.valid()) return Error(errno, "socket(AF_NETLINK)", ip);
  if (setsockopt(netlink.get(), SOL_SOCKET, SO_RCVTIMEO, &kReplyTimeout,
                 sizeof(kReplyTimeout)) != 0) {
    return Error(errno, "setsockopt(SO_RCVTIMEO)", ip);
  }

  // RTM_GETROUTE for exactly this address: `ip route get <ip>`.
  const size_t address_size = static_cast<size_t>(ip.size());
  nlmsghdr header{};
  header.nlmsg_len = static_cast<uint32_t>(kAddressOffset + address_size);
  header.nlmsg_type = RTM_GETROUTE;
  header.nlmsg_flags = NLM_F_REQUEST;
  header.nlmsg_seq = 1;
  rtmsg route{};
  route.rtm_family = ip.is_ipv4() ? AF_INET : AF_INET6;
  route.rtm_dst_len = static_cast<uint8_t>(address_size * 8);
  rtattr attribute{};
  attribute.rta_len = static_cast<uint16_t>(RTA_LENGTH(address_size));
  attribute.rta_type = RTA_DST;
  uint8_t request[kMaxRequestSize] = {};
  std::memcpy(request, &header, sizeof(header));
  std::memcpy(request + kRouteOffset, &route, sizeof(route));
  std::memcpy(request + kAttributeOffset, &attribute, sizeof(attribute));
  std::memcpy(request + kAddressOffset, ip.bytes(), address_size);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(netlink.get(), request, header.nlmsg_len, 0,
             reinterpret_cast<const sockaddr*>(&kernel), sizeof(kernel)) < 0) {
    return Error(errno, "sendto()", ip);
  }

  // The reply: the route (RTM_NEWROUTE), or an error such as ENETUNREACH.
  uint8_t reply[8192];
  ssize_t received;
  do {
    received = recv(netlink.get(), reply, sizeof(reply), 0);
  } while (received < 0 && errno == EINTR);
  if (received < 0) return Error(errno, "recv()", ip);
  nlmsghdr answer;
  if (static_cast<size_t>(received) < sizeof(answer)) {
    return Error(EPROTO, "short reply", ip);
  }
  std::memcpy(&answer, reply, sizeof(answer));
  if (answer.nlmsg_len > static_cast<size_t>(received)) {
    return Error(EPROTO, "truncated reply", ip);
  }
  if (answer.nlmsg_type == NLMSG_ERROR &&
      answer.nlmsg_len >= NLMSG_LENGTH(sizeof(nlmsgerr))) {
    nlmsgerr error;
    std::memcpy(&error, reply + kRouteOffset, sizeof(error));
    // No route at all: nothing here receives it either.
    if (error.error == -ENETUNREACH || error.error == -EHOSTUNREACH) {
      return false;
    }
    return Error(-error.error, "RTM_GETROUTE", ip);
  }
  if (answer.nlmsg_type != RTM_NEWROUTE ||
      answer.nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) {
    return Error(EPROTO, absl::StrCat("reply type ", answer.nlmsg_type), ip);
  }
  rtmsg found;
  std::memcpy(&found, reply + kRouteOffset, sizeof(found));
  return found.rtm_type == RTN_LOCAL;
}

}  // namespace rsockd::net
