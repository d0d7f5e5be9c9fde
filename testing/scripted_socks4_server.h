// This file defines `ScriptedSocks4Server`, a SOCKS4 server for tests of
// rsockd's upstream leg that does what the test says and records what it
// got: for each connection it reads one request, records its exact bytes,
// sends the scripted reply bytes and then, for a reply of 90, echoes
// whatever follows (so a tunnel through it can be checked end to end).
//
//   ASSERT_OK_AND_ASSIGN(auto upstream, ScriptedSocks4Server::Start(
//                                           ScriptedSocks4Server::Granted()));
//   ... route rsockd through upstream->address() ...
//   ASSERT_OK_AND_ASSIGN(std::string request, upstream->WaitForRequest(t));

#ifndef RSOCKD_TESTING_SCRIPTED_SOCKS4_SERVER_H_
#define RSOCKD_TESTING_SCRIPTED_SOCKS4_SERVER_H_

#include <deque>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "net/address.h"
#include "testing/tcp_servers.h"

namespace rsockd::testing {

class ScriptedSocks4Server {
 public:
  // Reply bytes: a well-formed reply with `code` (90..93).
  static std::string Reply(uint8_t code);

  // Sends `reply` (any bytes, well-formed or not) after each request.
  static absl::StatusOr<std::unique_ptr<ScriptedSocks4Server>> Start(
      std::string reply);

  const net::SocketAddress& address() const { return server_->address(); }
  int accepted() const { return server_->accepted(); }

  // The bytes of the next request received (in arrival order), waiting up
  // to `timeout` for one.
  absl::StatusOr<std::string> WaitForRequest(absl::Duration timeout);

 private:
  explicit ScriptedSocks4Server(std::string reply) : reply_(std::move(reply)) {}
  void Serve(net::Socket connection, const net::StopSignal& stop);

  const std::string reply_;
  absl::Mutex mu_;
  std::deque<std::string> requests_ ABSL_GUARDED_BY(mu_);
  // Last: destroyed first, joining the connection threads while the
  // members above still exist.
  std::unique_ptr<TcpServer> server_;
};

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_SCRIPTED_SOCKS4_SERVER_H_
