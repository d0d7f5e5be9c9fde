#include "testing/free_port_server.h"

#include <signal.h>

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "net/deadline.h"
#include "net/socket.h"

namespace rsockd::testing {
namespace {

constexpr int kAttempts = 5;
constexpr absl::Duration kStartTimeout = absl::Seconds(20);

absl::StatusOr<uint16_t> FreePort(const net::IpAddress& ip) {
  absl::StatusOr<net::Socket> probe =
      net::Socket::Listen(net::SocketAddress(ip, 0), 1);
  if (!probe.ok()) return probe.status();
  absl::StatusOr<net::SocketAddress> bound = probe->LocalAddress();
  if (!bound.ok()) return bound.status();
  return bound->port();
}

// Polls until `address` accepts a connection, `process` ends, or the time
// is up.
absl::Status WaitListening(const net::SocketAddress& address,
                           absl::string_view name, Subprocess& process) {
  const absl::Time deadline = absl::Now() + kStartTimeout;
  while (absl::Now() < deadline) {
    if (!process.Running()) {
      return absl::UnavailableError(
          absl::StrCat(name, " exited: ", process.ReadStderr()));
    }
    absl::StatusOr<net::Socket> probe = net::Socket::Connect(
        address, std::nullopt, net::Deadline::In(absl::Seconds(1)));
    if (probe.ok()) return absl::OkStatus();
    // Nothing to wait on but time: these servers give no readiness signal.
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      name, " did not listen on ", address.ToString(), " within ",
      absl::FormatDuration(kStartTimeout), ": ", process.ReadStderr()));
}

}  // namespace

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
