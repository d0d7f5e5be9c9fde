// This file defines `FtpServer`, Debian's python3-pyftpdlib serving a
// directory to anonymous users on a loopback address: the far end of the
// active-mode FTP transfer that exercises a real SOCKS4 BIND
// (docs/testing.md#real-peers-and-clients).
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<FtpServer> ftp,
//                        FtpServer::Start(Ip("127.0.0.2"), dir));
//   ... ftp -n 127.0.0.2 <ftp->address().port()> ...
//
// pyftpdlib takes a fixed port, so Start() picks a free one
// (testing/free_port_server.h). In active mode the server connects from its
// own address to the port the client names with PORT. The destructor stops
// the server (SIGTERM, then SIGKILL) and reaps it.

#ifndef RSOCKD_TESTING_FTP_SERVER_H_
#define RSOCKD_TESTING_FTP_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "net/address.h"
#include "testing/subprocess.h"

namespace rsockd::testing {

class FtpServer {
 public:
  // Is python3-pyftpdlib installed? Tests skip themselves when not.
  static bool Installed();

  // Serves `root` read-only to anonymous logins on `ip`.
  static absl::StatusOr<std::unique_ptr<FtpServer>> Start(
      const net::IpAddress& ip, const std::string& root);
  ~FtpServer();

  FtpServer(const FtpServer&) = delete;
  FtpServer& operator=(const FtpServer&) = delete;

  const net::SocketAddress& address() const { return address_; }
  // The server's log so far, for failure messages.
  std::string Log() const { return process_->ReadStderr(); }

 private:
  FtpServer(std::unique_ptr<Subprocess> process, net::SocketAddress address)
      : process_(std::move(process)), address_(address) {}

  std::unique_ptr<Subprocess> process_;
  net::SocketAddress address_;
};

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_FTP_SERVER_H_
