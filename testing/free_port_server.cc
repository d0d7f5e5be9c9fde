#include "testing/free_port_server.h"

#include <signal.h>

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "testing/wait_for.h"

namespace rsockd::testing {
namespace {

constexpr int kAttempts = 5;
constexpr absl::Duration kStartTimeout = absl::Seconds(20);

// Polls until `address` accepts a connection, `process` ends, or the time
// is up. Nothing to wait on but time: these servers give no readiness
// signal.
absl::Status WaitListening(const net::SocketAddress& address,
                           absl::string_view name, Subprocess& process) {
  return WaitUntilAvailable(
      [&]() -> absl::Status {
        if (!process.Running()) {
          return absl::FailedPreconditionError(
              absl::StrCat(name, " exited: ", process.ReadStderr()));
        }
        absl::StatusOr<net::Socket> probe = net::Socket::Connect(
            address, std::nullopt, net::Deadline::In(absl::Seconds(1)));
        if (probe.ok()) return absl::OkStatus();
        return absl::UnavailableError(absl::StrCat(name, " does not listen on ",
                                                   address.ToString(), ": ",
                                                   process.ReadStderr()));
      },
      kStartTimeout);
}

}  // namespace

absl::StatusOr<uint16_t> FreePort(const net::IpAddress& ip) {
  absl::StatusOr<net::Socket> probe =
      net::Socket::Listen(net::SocketAddress(ip, 0), 1);
  if (!probe.ok()) return probe.status();
  absl::StatusOr<net::SocketAddress> bound = probe->LocalAddress();
  if (!bound.ok()) return bound.status();
  return bound->port();
}

absl::StatusOr<FreePortServer> StartOnFreePort(const net::IpAddress& ip,
                                               absl::string_view name,
                                               const LaunchOnPort& launch) {
  absl::Status last_error;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    absl::StatusOr<uint16_t> port = FreePort(ip);
    if (!port.ok()) return port.status();
    absl::StatusOr<std::unique_ptr<Subprocess>> process = launch(*port);
    if (!process.ok()) return process.status();
    const net::SocketAddress address(ip, *port);
    last_error = WaitListening(address, name, **process);
    if (last_error.ok()) {
      return FreePortServer{*std::move(process), address};
    }
    (void)(*process)->Signal(SIGTERM);
    (void)(*process)->Wait(absl::Seconds(10));
  }
  return last_error;
}

}  // namespace rsockd::testing
