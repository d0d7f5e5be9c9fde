// This file defines `DanteServer`, Debian's Dante SOCKS server (danted 1.4.2)
// started for a test on a loopback port, as a real SOCKS4 upstream or a
// peer to compare with (docs/testing.md#real-peers-and-clients).
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<DanteServer> dante,
//                        DanteServer::Start({}));
//   ... SOCKS4 CONNECT to dante->address() ...
//
// Dante cannot be told to pick a free port and report it, so Start() runs
// it through StartOnFreePort (testing/free_port_server.h).
//
// danted forks helper processes; stopping the main process (SIGTERM) makes
// it stop them. The destructor does that, then kills it if it hangs.

#ifndef RSOCKD_TESTING_DANTE_SERVER_H_
#define RSOCKD_TESTING_DANTE_SERVER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "net/address.h"
#include "testing/subprocess.h"

namespace rsockd::testing {

struct DanteOptions {
  // Forward every request through this SOCKS4 server (a Dante `route`),
  // instead of connecting directly.
  std::optional<net::SocketAddress> upstream = std::nullopt;
  // Refuse every request (`socks block`), to test refusals from upstream.
  bool deny_all = false;
};

class DanteServer {
 public:
  // Is danted installed? Tests skip themselves when not.
  static bool Installed();

  static absl::StatusOr<std::unique_ptr<DanteServer>> Start(
      const DanteOptions& options);
  ~DanteServer();

  DanteServer(const DanteServer&) = delete;
  DanteServer& operator=(const DanteServer&) = delete;

  // 127.0.0.1:port.
  const net::SocketAddress& address() const { return address_; }
  // danted's log so far, for failure messages.
  std::string Log() const { return process_->ReadStderr(); }

 private:
  DanteServer(std::string dir, std::unique_ptr<Subprocess> process,
              net::SocketAddress address)
      : dir_(std::move(dir)), process_(std::move(process)), address_(address) {}

  std::string dir_;
  std::unique_ptr<Subprocess> process_;
  net::SocketAddress address_;
};

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_DANTE_SERVER_H_
