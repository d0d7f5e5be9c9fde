// This file defines `StartOnFreePort`, for test peers that cannot be told to
// pick a free port and report it (danted, pyftpdlib): it finds a free port
// on a loopback address (bind :0, then close), starts the server on it and
// waits, bounded, until the port accepts connections. When the server exits
// first — someone took the port in between — it tries again with another
// port, a few times.

#ifndef RSOCKD_TESTING_FREE_PORT_SERVER_H_
#define RSOCKD_TESTING_FREE_PORT_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "net/address.h"
#include "testing/subprocess.h"

namespace rsockd::testing {

// A server process and the address it listens on.
struct FreePortServer {
  std::unique_ptr<Subprocess> process;
  net::SocketAddress address;
};

// Starts the server to listen on `port` (writing whatever config file it
// needs first).
using LaunchOnPort =
    std::function<absl::StatusOr<std::unique_ptr<Subprocess>>(uint16_t port)>;

// A port of `ip` that nobody listens on right now (bind port 0, read it
// back, close). Another process may take it before the caller binds it.
absl::StatusOr<uint16_t> FreePort(const net::IpAddress& ip);

// Runs `launch` with free ports of `ip` until a server listens; `name`
// ("danted") is for error messages, which carry the server's stderr. An
// attempt that fails is stopped (SIGTERM, then SIGKILL) and reaped.
absl::StatusOr<FreePortServer> StartOnFreePort(const net::IpAddress& ip,
                                               absl::string_view name,
                                               const LaunchOnPort& launch);

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_FREE_PORT_SERVER_H_
