#include "testing/scripted_peer.h"

#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "rsockd/base/status_macros.h"
#include "testing/loopback.h"
#include "testing/socket_io.h"
#include "testing/wait_for.h"

namespace rsockd::testing {
namespace {

// Bytes in `socket`'s queue for `request` (SIOCINQ: received and unread;
// SIOCOUTQ: sent and not yet acknowledged), or -1.
int Queued(const net::Socket& socket, unsigned long request) {
  int bytes = 0;
  return ioctl(socket.fd(), request, &bytes) == 0 ? bytes : -1;
}

}  // namespace

ScriptedPeer::Step ScriptedPeer::Expect(std::string bytes) {
  return Step{Step::Kind::kExpect, std::move(bytes)};
}

ScriptedPeer::Step ScriptedPeer::Send(std::string bytes, size_t split) {
  return Step{Step::Kind::kSend, std::move(bytes), split};
}

ScriptedPeer::ScriptedPeer(net::Socket client, net::Socket peer,
                           absl::Duration timeout)
    : client_(std::move(client)), peer_(std::move(peer)), timeout_(timeout) {}

absl::StatusOr<std::unique_ptr<ScriptedPeer>> ScriptedPeer::Start(
    std::vector<Step> script, absl::Duration timeout) {
  RSOCKD_ASSIGN_OR_RETURN(LoopbackPair pair, MakeLoopbackPair());
  auto peer = std::unique_ptr<ScriptedPeer>(new ScriptedPeer(
      std::move(pair.connected), std::move(pair.accepted), timeout));
  peer->thread_ = std::thread([peer = peer.get(), script = std::move(script)] {
    peer->result_ = peer->Play(script);
    peer->peer_.Close();
  });
  return peer;
}

ScriptedPeer::~ScriptedPeer() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

absl::Status ScriptedPeer::Finish() {
  thread_.join();
  return result_;
}

absl::Status ScriptedPeer::Play(const std::vector<Step>& script) {
  for (size_t i = 0; i < script.size(); ++i) {
    const Step& step = script[i];
    absl::Status status;
    if (step.kind == Step::Kind::kSend) {
      status = SendSplit(step);
    } else {
      absl::StatusOr<std::string> got = ReadExactly(
          peer_, step.bytes.size(), net::Deadline::In(timeout_, &stop_));
      if (!got.ok()) {
        status = got.status();
      } else if (*got != step.bytes) {
        status = absl::DataLossError(
            absl::StrCat("got \"", absl::CHexEscape(*got), "\", want \"",
                         absl::CHexEscape(step.bytes), "\""));
      }
    }
    if (!status.ok()) {
      return absl::Status(status.code(), absl::StrCat("script step ", i + 1,
                                                      ": ", status.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status ScriptedPeer::SendSplit(const Step& step) {
  const net::Deadline deadline = net::Deadline::In(timeout_, &stop_);
  const absl::string_view bytes = step.bytes;
  if (step.split == 0 || step.split >= bytes.size()) {
    return peer_.WriteAll(bytes, deadline);
  }
  RSOCKD_RETURN_IF_ERROR(peer_.WriteAll(bytes.substr(0, step.split), deadline));
  // Nothing announces that the client has read: poll the kernel's queues.
  // Acknowledged means queued at the client; then unread 0 means read.
  const bool read = WaitFor(
      [&] {
        return stop_.notified() ||
               (Queued(peer_, SIOCOUTQ) == 0 && Queued(client_, SIOCINQ) == 0);
      },
      "read", timeout_);
  if (!read || stop_.notified()) {
    return absl::DeadlineExceededError(
        absl::StrCat("the client did not read the first ", step.split, " of ",
                     bytes.size(), " bytes"));
  }
  return peer_.WriteAll(bytes.substr(step.split), deadline);
}

}  // namespace rsockd::testing
