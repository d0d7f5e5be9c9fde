// This file defines `ScriptedPeer`, the far end of a loopback TCP connection
// that plays a script against client code the test runs on the near end:
// expect exactly the bytes the client should send, send replies split at a
// chosen offset (so the client's reads see a reply arrive in two pieces
// exactly there), and close when the script ends.
//
//   ASSERT_OK_AND_ASSIGN(auto peer, ScriptedPeer::Start({
//       ScriptedPeer::Expect(request),
//       ScriptedPeer::Send(reply, /*split=*/3),
//   }));
//   EXPECT_THAT(Socks4Exchange(peer->client(), request, deadline), ...);
//   EXPECT_THAT(peer->Finish(), IsOk());
//
// The script runs on a thread of its own; every wait in it is bounded and
// also ends when the peer is destroyed, so a failing test never hangs.

#ifndef RSOCKD_TESTING_SCRIPTED_PEER_H_
#define RSOCKD_TESTING_SCRIPTED_PEER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "net/deadline.h"
#include "net/socket.h"

namespace rsockd::testing {

class ScriptedPeer {
 public:
  struct Step {
    enum class Kind { kExpect, kSend };
    Kind kind;
    std::string bytes;
    size_t split = 0;
  };

  // Read exactly `bytes.size()` bytes from the client; anything else fails
  // the script.
  static Step Expect(std::string bytes);
  // Send `bytes[0, split)`, wait until the client has read all of it, then
  // send the rest. `split` 0 (or past the end) sends them whole. The client
  // must read at least `split` bytes, or the script fails.
  static Step Send(std::string bytes, size_t split = 0);

  // Connects a pair over 127.0.0.1 and starts the script; `timeout` bounds
  // each step.
  static absl::StatusOr<std::unique_ptr<ScriptedPeer>> Start(
      std::vector<Step> script, absl::Duration timeout = absl::Seconds(60));
  ~ScriptedPeer();

  ScriptedPeer(const ScriptedPeer&) = delete;
  ScriptedPeer& operator=(const ScriptedPeer&) = delete;

  // The near end, for the code under test. The script only looks at its
  // receive queue.
  net::Socket& client() { return client_; }

  // Waits for the script to end (it closes its end then); OK when every
  // step went as written. Call once.
  absl::Status Finish();

 private:
  ScriptedPeer(net::Socket client, net::Socket peer, absl::Duration timeout);
  absl::Status Play(const std::vector<Step>& script);
  absl::Status SendSplit(const Step& step);

  net::Socket client_;
  net::Socket peer_;  // used by `thread_` only
  const absl::Duration timeout_;
  net::StopSignal stop_;
  absl::Status result_;  // written by `thread_`, read after joining it
  std::thread thread_;
};

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_SCRIPTED_PEER_H_
