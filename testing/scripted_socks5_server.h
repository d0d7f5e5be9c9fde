// This file defines `ScriptedSocks5Server`, a SOCKS5 server for tests of
// rsockd's upstream leg that does what the test says and records what it
// got: for each connection it reads the greeting, answers the scripted
// METHOD, reads an RFC 1929 request when that METHOD is 02 and answers the
// scripted STATUS, reads one request, records all of it, sends the scripted
// reply bytes and then, when `echo` is set, echoes whatever follows (so a
// tunnel through it can be checked end to end). A refused method or
// credentials end the connection, as a SOCKS5 server does.
//
//   ASSERT_OK_AND_ASSIGN(auto upstream, ScriptedSocks5Server::Start(
//       {.reply = ScriptedSocks5Server::Reply(0), .echo = true}));
//   ... route rsockd through socks5://upstream->address() ...
//   ASSERT_OK_AND_ASSIGN(auto seen, upstream->WaitForExchange(t));

#ifndef RSOCKD_TESTING_SCRIPTED_SOCKS5_SERVER_H_
#define RSOCKD_TESTING_SCRIPTED_SOCKS5_SERVER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "net/address.h"
#include "net/socks5.h"
#include "testing/tcp_servers.h"

namespace rsockd::testing {

class ScriptedSocks5Server {
 public:
  struct Script {
    // The METHOD that answers every greeting (FF: none acceptable).
    net::Socks5Method method = net::Socks5Method::kNoAuth;
    // The RFC 1929 STATUS, when `method` is 02.
    uint8_t user_pass_status = net::kSocks5UserPassSuccess;
    // Sent after the request: any bytes, well-formed or not; two replies
    // for a BIND.
    std::string reply;
    // Echo what follows the reply.
    bool echo = false;
  };

  // What one connection sent.
  struct Exchange {
    net::Socks5Greeting greeting;
    // When `method` was 02.
    std::optional<net::Socks5Credentials> credentials;
    // Unless the method or credentials were refused.
    std::optional<net::Socks5Request> request;
  };

  // Reply bytes: a well-formed reply with REP `code` and BND `bound`.
  static std::string Reply(uint8_t code, const net::Socks5Address& bound = {});

  static absl::StatusOr<std::unique_ptr<ScriptedSocks5Server>> Start(
      Script script);

  const net::SocketAddress& address() const { return server_->address(); }
  int accepted() const { return server_->accepted(); }

  // What the next connection sent (in order of completion), waiting up to
  // `timeout` for one.
  absl::StatusOr<Exchange> WaitForExchange(absl::Duration timeout);

 private:
  explicit ScriptedSocks5Server(Script script) : script_(std::move(script)) {}
  void Serve(net::Socket connection, const net::StopSignal& stop);

  const Script script_;
  absl::Mutex mu_;
  std::deque<Exchange> exchanges_ ABSL_GUARDED_BY(mu_);
  // Last: destroyed first, joining the connection threads while the
  // members above still exist.
  std::unique_ptr<TcpServer> server_;
};

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_SCRIPTED_SOCKS5_SERVER_H_
