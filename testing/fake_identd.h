// This file defines `FakeIdentd`, a scripted RFC 1413 server for tests of
// the ident client and of the server's ident levels.
//
// It listens on <loopback IP>:0 and serves every connection on its own
// thread: it reads the query line (at most `kMaxQueryBytes`, up to '\n' or
// EOF), records it verbatim, then acts as the current script says:
//
//   Answer(fn)      send fn(client_port, server_port) — any raw bytes: a good
//                   "%d , %d : USERID : UNIX : ylee\r\n", an ERROR line,
//                   garbage, a line without newline — optionally in chunks of
//                   `chunk_size` bytes (TCP_NODELAY, one write per chunk),
//                   then close. The ports are those of the query, or 0,0 when
//                   it did not parse.
//   Close()         close without answering.
//   BlackHole()     never answer; hold the connection until the client
//                   closes it or the FakeIdentd is destroyed.
//
// The default script answers "<cport> , <sport> : USERID : UNIX : ylee".
// A connection uses the script in force when it was accepted.
//
// Shutdown: the destructor fires a StopSignal that every wait watches, then
// joins the accept thread and every connection thread. Every step is also
// bounded by `kTestServerStepTimeout`.
//
// Thread-safety: all methods are thread-safe.

#ifndef RSOCKD_TESTING_FAKE_IDENTD_H_
#define RSOCKD_TESTING_FAKE_IDENTD_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/socket.h"

namespace rsockd::testing {

class FakeIdentd {
 public:
  // Returns the raw bytes to send for the query (client_port, server_port).
  using Answerer =
      std::function<std::string(uint16_t client_port, uint16_t server_port)>;

  // The longest query line read; the rest of a longer one is ignored.
  static constexpr size_t kMaxQueryBytes = 1000;

  // Listens on `ip`:0 (127.0.0.1 by default; any 127.x.y.z works).
  static absl::StatusOr<std::unique_ptr<FakeIdentd>> Start();
  static absl::StatusOr<std::unique_ptr<FakeIdentd>> Start(
      const net::IpAddress& ip);
  ~FakeIdentd();

  FakeIdentd(const FakeIdentd&) = delete;
  FakeIdentd& operator=(const FakeIdentd&) = delete;

  // Script setters; they apply to connections accepted afterwards.
  // `chunk_size` 0 sends the answer in one write.
  void Answer(Answerer answerer, size_t chunk_size = 0);
  void Close();
  void BlackHole();

  const net::SocketAddress& address() const { return address_; }
  uint16_t port() const { return address_.port(); }

  // The query lines received so far, verbatim (with their "\r\n"), in the
  // order they were read.
  std::vector<std::string> queries() const;
  // Connections accepted so far.
  int connections() const;
  // Waits until at least `count` connections have been accepted.
  absl::Status WaitForConnections(int count, absl::Duration timeout) const;
  // Waits until at least `count` query lines have been recorded.
  absl::Status WaitForQueries(int count, absl::Duration timeout) const;

 private:
  enum class Action { kAnswer, kClose, kBlackHole };
  struct Script {
    Action action = Action::kAnswer;
    Answerer answerer;
    size_t chunk_size = 0;
  };
  struct Connection {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };

  FakeIdentd(net::Socket listener, net::SocketAddress address);
  void SetScript(Script script);
  void AcceptLoop();
  void Serve(net::Socket connection, const Script& script);

  net::Socket listener_;
  const net::SocketAddress address_;
  net::StopSignal stop_;
  mutable absl::Mutex mu_;
  Script script_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> queries_ ABSL_GUARDED_BY(mu_);
  int connections_accepted_ ABSL_GUARDED_BY(mu_) = 0;
  // Touched only by the accept thread, then by the destructor after joining
  // it.
  std::list<Connection> connection_threads_;
  // Last member: started after every field it uses is built.
  std::thread acceptor_;
};

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_FAKE_IDENTD_H_
