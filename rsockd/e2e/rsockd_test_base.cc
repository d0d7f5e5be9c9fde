#include "rsockd/e2e/rsockd_test_base.h"

#include <signal.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "glog/logging.h"
#include "net/deadline.h"
#include "testing/sha256.h"
#include "testing/socket_io.h"
#include "testing/socks4_client.h"
#include "testing/wait_for.h"

namespace rsockd::e2e {

using ::rsockd::testing::ExitStatus;
using ::rsockd::testing::ReadToCloseResult;
using ::rsockd::testing::RsockdOptions;
using ::rsockd::testing::RsockdProcess;
using ::rsockd::testing::SendAndReadResult;
using ::rsockd::testing::SendAndReadUntilClosed;
using ::rsockd::testing::Sha256;
using ::rsockd::testing::WaitFor;
using ::rsockd::testing::WaitUntilAvailable;

void RsockdTest::StartRsockd(const RsockdOptions& options) {
  absl::StatusOr<std::unique_ptr<RsockdProcess>> started =
      RsockdProcess::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  rsockd_ = *std::move(started);
}

void RsockdTest::StartRsockdThrough(
    const std::vector<net::SocketAddress>& servers, RsockdOptions options) {
  options.socks_conf = ThroughServers(servers);
  StartRsockd(options);
}

RsockdProcess& RsockdTest::StartHop(const RsockdOptions& options) {
  absl::StatusOr<std::unique_ptr<RsockdProcess>> hop =
      RsockdProcess::Start(options);
  CHECK(hop.ok()) << "cannot start an rsockd hop: " << hop.status();
  hops_.push_back(*std::move(hop));
  return *hops_.back();
}

RsockdTest::HopChain RsockdTest::StartHopChain(const std::string& sockd_conf) {
  RsockdProcess& last = StartHop({.sockd_conf = sockd_conf});
  RsockdProcess& middle =
      StartHop({.sockd_conf = sockd_conf,
                .socks_conf = ThroughServers({last.address()})});
  return HopChain{.middle = middle, .last = last};
}

std::string RsockdTest::LogTail() const {
  if (rsockd_ == nullptr) return "(rsockd not started)";
  constexpr size_t kTail = 8192;
  const std::string log = rsockd_->Stderr();
  return log.size() <= kTail
             ? log
             : absl::StrCat("...", log.substr(log.size() - kTail));
}

::testing::AssertionResult RsockdTest::EchoThroughProxy(
    const net::SocketAddress& echo, absl::string_view user,
    absl::string_view data) {
  absl::StatusOr<net::Socket> tunnel = rsockd::testing::Socks4Connect(
      proxy(), rsockd::testing::Socks4ConnectRequest(echo, user), kStepTimeout);
  if (!tunnel.ok()) {
    return ::testing::AssertionFailure()
           << "CONNECT as " << user << ": " << tunnel.status();
  }
  return EchoRoundTrip(*tunnel, data);
}

::testing::AssertionResult RsockdTest::Reload(absl::string_view expected_line) {
  const size_t mark = rsockd().StderrSize();
  if (kill(rsockd().pid(), SIGHUP) != 0) {
    return ::testing::AssertionFailure() << "kill: " << strerror(errno);
  }
  absl::StatusOr<std::string> line =
      rsockd().WaitForLogLine(expected_line, kLogTimeout, mark);
  if (!line.ok()) return ::testing::AssertionFailure() << line.status();
  return ::testing::AssertionSuccess();
}

absl::StatusOr<std::string> RsockdTest::WaitForStats(
    absl::string_view substring, absl::Duration timeout) {
  return WaitUntilAvailable(
      [&]() -> absl::StatusOr<std::string> {
        const size_t mark = rsockd().StderrSize();
        if (kill(rsockd().pid(), SIGUSR1) != 0) {
          return absl::ErrnoToStatus(errno, "kill(SIGUSR1)");
        }
        // The hooks line is the last of the server's own lines; lines of
        // other parts (upstreams, syslog) may follow it.
        absl::StatusOr<std::string> last =
            rsockd().WaitForLogLine("stats: hooks ", kLogTimeout, mark);
        if (!last.ok()) return last.status();
        std::string snapshot = rsockd().Stderr().substr(mark);
        if (absl::StrContains(snapshot, substring)) return snapshot;
        return absl::UnavailableError(absl::StrCat("no stats snapshot with \"",
                                                   substring, "\"; the last:\n",
                                                   snapshot));
      },
      timeout);
}

::testing::AssertionResult RsockdTest::WaitForFdCountAtMost(
    int limit, absl::Duration timeout) {
  absl::StatusOr<int> count;
  ::testing::AssertionResult result = WaitFor(
      [&] {
        count = rsockd().OpenFdCount();
        return !count.ok() || *count <= limit;
      },
      absl::StrCat("at most ", limit, " descriptors open"), timeout);
  if (!count.ok()) return ::testing::AssertionFailure() << count.status();
  if (!result) {
    result << "; " << *count << " open:\n" << rsockd().DescribeOpenFds();
  }
  return result;
}

absl::StatusOr<int> RsockdTest::SettledFdCount(absl::Duration timeout) {
  std::optional<int> last;
  absl::Time stable_since;
  return WaitUntilAvailable(
      [&]() -> absl::StatusOr<int> {
        absl::StatusOr<int> now = rsockd().OpenFdCount();
        if (!now.ok()) return now;
        if (*now != last) {
          last = *now;
          stable_since = absl::Now();
        } else if (absl::Now() - stable_since >= absl::Seconds(1)) {
          return now;
        }
        return absl::UnavailableError(absl::StrCat(
            "descriptor count (", *now, ") changed within the last second"));
      },
      timeout);
}

void RsockdTest::TearDown() {
  if (rsockd_ != nullptr) {
    absl::StatusOr<ExitStatus> status = rsockd_->Stop(absl::Seconds(60));
    EXPECT_TRUE(status.ok())
        << "rsockd did not stop on SIGTERM: " << status.status();
    if (status.ok()) {
      EXPECT_TRUE(status->success())
          << "rsockd ended with " << status->ToString() << "; log:\n"
          << LogTail();
    }
  }
  // After the server: it may still be talking to them.
  for (std::unique_ptr<RsockdProcess>& hop : hops_) {
    absl::StatusOr<ExitStatus> status = hop->Stop();
    EXPECT_TRUE(status.ok())
        << "an rsockd hop did not stop on SIGTERM: " << status.status();
    if (status.ok()) {
      EXPECT_TRUE(status->success())
          << "an rsockd hop ended with " << status->ToString() << "; log:\n"
          << hop->Stderr();
    }
  }
  if (rsockd_ != nullptr && HasFailure()) {
    std::cerr << "---- rsockd log (tail) ----\n"
              << LogTail() << "---- end of rsockd log ----\n";
  }
}

std::string ThroughServers(const std::vector<net::SocketAddress>& servers) {
  std::string list;
  for (const net::SocketAddress& server : servers) {
    absl::StrAppend(&list, list.empty() ? "" : ",", server.ToString());
  }
  return absl::StrCat("sockd @=", list, " ALL\n");
}

::testing::AssertionResult EchoRoundTrip(net::Socket& tunnel,
                                         absl::string_view data) {
  const SendAndReadResult result = SendAndReadUntilClosed(
      tunnel, data, net::Deadline::In(kStepTimeout), data.size() + 1);
  const absl::StatusOr<ReadToCloseResult>& echoed = result.received;
  if (!result.sent.ok()) {
    return ::testing::AssertionFailure() << "writing: " << result.sent;
  }
  if (!echoed.ok()) {
    return ::testing::AssertionFailure()
           << "reading the echo: " << echoed.status();
  }
  if (echoed->reset) {
    return ::testing::AssertionFailure()
           << "connection reset after " << echoed->data.size() << " of "
           << data.size() << " bytes";
  }
  if (echoed->data != data) {
    return ::testing::AssertionFailure()
           << "echo differs: got " << echoed->data.size() << " bytes (sha256 "
           << Sha256::Of(echoed->data) << "), sent " << data.size()
           << " (sha256 " << Sha256::Of(data) << ")";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace rsockd::e2e
