// End-to-end: the bounds of docs/life_of_a_request.md#timeouts and
// docs/protocol.md — the handshake timeout, the bounded worker pool that turns
// clients away with 91 when full, and the open-file limit (docs/operations.md,
// "Descriptor budget"): a queue the limit cannot hold is shrunk, and a client
// arriving when the process has no descriptor left still gets 91.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "net/deadline.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/files.h"
#include "testing/socket_io.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/subprocess.h"
#include "testing/tcp_servers.h"
#include "testing/wait_for.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::ConnectTcp;
using ::rsockd::testing::EchoServer;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::kSocks4Granted;
using ::rsockd::testing::kSocks4Rejected;
using ::rsockd::testing::kSocks4ReplyVersion;
using ::rsockd::testing::ReadSocks4Reply;
using ::rsockd::testing::ReadToCloseResult;
using ::rsockd::testing::ReadUntilClosed;
using ::rsockd::testing::Socks4Connect;
using ::rsockd::testing::Socks4ConnectRequest;
using ::rsockd::testing::Socks4Handshake;
using ::rsockd::testing::Socks4Reply;
using ::rsockd::testing::Socks4Session;
using ::rsockd::testing::SubprocessResult;
using ::rsockd::testing::WaitFor;
using ::testing::Not;

// With --handshake_timeout=1s a stalled client must be gone well within
// this (generous for a loaded machine).
constexpr absl::Duration kDropBound = absl::Seconds(10);

// What a dropped client may have seen: nothing, or a 91 before the close.
void ExpectNothingOrRejection(const ReadToCloseResult& result) {
  if (result.data.empty()) return;
  ASSERT_EQ(result.data.size(), 8u) << "unexpected bytes before the close";
  EXPECT_EQ(result.data[0], char(kSocks4ReplyVersion));
  EXPECT_EQ(static_cast<uint8_t>(result.data[1]), kSocks4Rejected);
}

class HandshakeTimeoutTest : public RsockdTest {};

TEST_F(HandshakeTimeoutTest, SilentClientIsDropped) {
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {"--handshake_timeout=1s"}}));
  const absl::Time start = absl::Now();
  ASSERT_OK_AND_ASSIGN(net::Socket client, ConnectTcp(proxy(), kStepTimeout));
  ASSERT_OK_AND_ASSIGN(ReadToCloseResult result,
                       ReadUntilClosed(client, net::Deadline::In(kDropBound)));
  const absl::Duration waited = absl::Now() - start;
  ExpectNothingOrRejection(result);
  // Not before the timeout: the server waited for the request.
  EXPECT_GE(waited, absl::Milliseconds(900));
  EXPECT_LT(waited, kDropBound);
}

TEST_F(HandshakeTimeoutTest, ClientStallingMidRequestIsDropped) {
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {"--handshake_timeout=1s"}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(net::Socket client, ConnectTcp(proxy(), kStepTimeout));
  const std::string request = Socks4ConnectRequest(echo->address(), "staller");
  // The header and part of the USERID, never the NUL.
  ASSERT_THAT(
      client.WriteAll(request.substr(0, 11), net::Deadline::In(kStepTimeout)),
      IsOk());
  ASSERT_OK_AND_ASSIGN(ReadToCloseResult result,
                       ReadUntilClosed(client, net::Deadline::In(kDropBound)));
  ExpectNothingOrRejection(result);
  EXPECT_EQ(echo->accepted(), 0);
}

TEST_F(HandshakeTimeoutTest,
       TricklingClientIsDroppedAtTheWholeRequestDeadline) {
  // One byte every 250 ms keeps every single read short, but the whole
  // request (docs/protocol.md) would take ~17 s: the 1 s handshake bound must
  // end it long before that.
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {"--handshake_timeout=1s"}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  const std::string request =
      Socks4ConnectRequest(echo->address(), std::string(60, 't'));
  ASSERT_OK_AND_ASSIGN(net::Socket client, ConnectTcp(proxy(), kStepTimeout));
  const absl::Time start = absl::Now();
  bool closed = false;
  std::string received;
  for (size_t i = 0; i < request.size() && !closed; ++i) {
    if (::send(client.fd(), &request[i], 1, MSG_NOSIGNAL) != 1) {
      closed = true;  // EPIPE/ECONNRESET: the server has closed.
      break;
    }
    // Pace the trickle by waiting for the server's close: a bounded wait on
    // the very event the test is about, not a sleep.
    pollfd p{client.fd(), POLLIN, 0};
    if (poll(&p, 1, 250) == 1) {
      absl::StatusOr<ReadToCloseResult> result =
          ReadUntilClosed(client, net::Deadline::In(kStepTimeout));
      ASSERT_THAT(result, IsOk());
      received = result->data;
      closed = true;
    }
  }
  const absl::Duration waited = absl::Now() - start;
  ASSERT_TRUE(closed) << "the whole request was trickled in "
                      << absl::FormatDuration(waited) << " and accepted";
  EXPECT_LT(waited, kDropBound);
  ExpectNothingOrRejection({received, false});
  EXPECT_EQ(echo->accepted(), 0);
}

// The pool's state shows in the stats snapshot (docs/operations.md,
// "Stats (SIGUSR1)"): WaitForStats("busy=1 queued=0").
using WorkerPoolTest = RsockdTest;

// The handshake of a third client, which finds the pool full: it must be
// answered at once (well under 2 s), not queued.
absl::StatusOr<Socks4Session> HandshakeOnAFullPool(
    const net::SocketAddress& proxy, const net::SocketAddress& echo) {
  const absl::Time start = absl::Now();
  absl::StatusOr<Socks4Session> session =
      Socks4Handshake(proxy, Socks4ConnectRequest(echo, "third"), kStepTimeout);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  return session;
}

TEST_F(WorkerPoolTest, FullPoolTurnsAClientAwayWith91AtOnce) {
  // One worker busy with a live session, one connection queued: the pool
  // is full. Holding the worker with a granted session makes "the first
  // connection has been picked up" observable from the client side (the
  // 90), without relying on log details.
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {"--workers=1", "--queue=1",
                                   "--handshake_timeout=60s"}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(
      net::Socket busy,
      Socks4Connect(proxy(), Socks4ConnectRequest(echo->address(), "busy"),
                    kStepTimeout));
  // Accepted after the first, so queued before the third (accept is FIFO).
  ASSERT_OK_AND_ASSIGN(net::Socket queued, ConnectTcp(proxy(), kStepTimeout));

  ASSERT_OK_AND_ASSIGN(Socks4Session turned_away,
                       HandshakeOnAFullPool(proxy(), echo->address()));
  EXPECT_EQ(turned_away.reply.version, kSocks4ReplyVersion);
  EXPECT_EQ(turned_away.reply.code, kSocks4Rejected);

  // When the worker frees up, the queued client is served.
  busy.Close();
  const net::Deadline deadline = net::Deadline::In(kStepTimeout);
  ASSERT_THAT(queued.WriteAll(Socks4ConnectRequest(echo->address(), "queued"),
                              deadline),
              IsOk());
  ASSERT_OK_AND_ASSIGN(Socks4Reply reply, ReadSocks4Reply(queued, deadline));
  EXPECT_EQ(reply.code, kSocks4Granted);
  EXPECT_TRUE(EchoRoundTrip(queued, "served after the wait"));
}

TEST_F(WorkerPoolTest, QueuedClientIsRelayedAsSoonAsTheWorkerFrees) {
  // Hand-offs on a pool of one: each session waits queued behind the live
  // one, its request already sent, and must be relayed once that one ends.
  // Repeated, because the hand-off is a race inside the server.
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {"--workers=1", "--queue=1", "--v=1"}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  const std::string request = Socks4ConnectRequest(echo->address(), "handoff");
  ASSERT_OK_AND_ASSIGN(net::Socket live,
                       Socks4Connect(proxy(), request, kStepTimeout));
  constexpr int kHandOffs = 100;
  for (int i = 0; i < kHandOffs; ++i) {
    SCOPED_TRACE(absl::StrCat("hand-off ", i));
    ASSERT_OK_AND_ASSIGN(net::Socket next, ConnectTcp(proxy(), kStepTimeout));
    const net::Deadline deadline = net::Deadline::In(kStepTimeout);
    ASSERT_THAT(next.WriteAll(request, deadline), IsOk());
    live.Close();
    ASSERT_OK_AND_ASSIGN(Socks4Reply reply, ReadSocks4Reply(next, deadline));
    ASSERT_EQ(reply.code, kSocks4Granted);
    ASSERT_THAT(next.WriteAll("ping", deadline), IsOk());
    ASSERT_OK_AND_ASSIGN(std::string pong,
                         rsockd::testing::ReadExactly(next, 4, deadline));
    ASSERT_EQ(pong, "ping");
    live = std::move(next);
  }
}

TEST_F(WorkerPoolTest, TwoSilentClientsFillAPoolOfOneWorkerAndOneSlot) {
  // The brief's literal scenario: both holders are silent, so the stats
  // snapshot (SIGUSR1) is what shows the first in the worker and the second
  // queued.
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {"--workers=1", "--queue=1",
                                   "--handshake_timeout=60s"}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(net::Socket first, ConnectTcp(proxy(), kStepTimeout));
  ASSERT_THAT(WaitForStats("busy=1 queued=0", kStepTimeout), IsOk());
  ASSERT_OK_AND_ASSIGN(net::Socket second, ConnectTcp(proxy(), kStepTimeout));
  ASSERT_THAT(WaitForStats("busy=1 queued=1", kStepTimeout), IsOk());

  ASSERT_OK_AND_ASSIGN(Socks4Session turned_away,
                       HandshakeOnAFullPool(proxy(), echo->address()));
  EXPECT_EQ(turned_away.reply.code, kSocks4Rejected);
  EXPECT_EQ(echo->accepted(), 0);
}

// A client that sends junk as fast as the server takes it, on its own
// thread, until the server closes the connection or it is told to stop.
// Large blocking writes from a large send buffer: on loopback, every bit of
// room the server makes by reading is filled again at once.
class Streamer {
 public:
  explicit Streamer(const net::SocketAddress& proxy)
      : thread_([this, proxy] { Run(proxy); }) {}
  ~Streamer() {
    stop_ = true;
    thread_.join();
  }
  // Bytes the kernel took so far (-1: could not connect).
  int64_t sent() const { return sent_; }

 private:
  void Run(const net::SocketAddress& proxy) {
    absl::StatusOr<net::Socket> socket = ConnectTcp(proxy, kStepTimeout);
    if (!socket.ok()) {
      sent_ = -1;
      return;
    }
    const int fd = socket->fd();
    const int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    // Blocking, with a timeout so that `stop_` is seen promptly.
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    const timeval timeout = {.tv_sec = 0, .tv_usec = 200 * 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    const std::string chunk(1 << 20, 'x');
    while (!stop_) {
      const ssize_t n = send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
      if (n > 0) {
        sent_ += n;
      } else if (errno != EAGAIN && errno != EINTR) {
        return;  // closed by the server
      }
    }
  }

  std::atomic<bool> stop_{false};
  std::atomic<int64_t> sent_{0};
  std::thread thread_;
};

TEST_F(WorkerPoolTest, ClientsStreamingIntoTurnedAwayConnectionsDoNotStall) {
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {"--workers=1", "--queue=0"}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(
      net::Socket busy,
      Socks4Connect(proxy(), Socks4ConnectRequest(echo->address(), "busy"),
                    kStepTimeout));
  {
    // Both connect and start sending while the server is stopped, so that
    // their data waits in the kernel when the acceptor gets to them, and
    // more keeps coming while it turns them away.
    ASSERT_EQ(kill(rsockd().pid(), SIGSTOP), 0);
    absl::Cleanup resume = [this] { kill(rsockd().pid(), SIGCONT); };
    Streamer first(proxy());
    Streamer second(proxy());
    ASSERT_TRUE(WaitFor([&] { return first.sent() > 0 && second.sent() > 0; },
                        "both streaming", kStepTimeout))
        << "sent " << first.sent() << " and " << second.sent();
    std::move(resume).Invoke();

    const absl::Time start = absl::Now();
    ASSERT_OK_AND_ASSIGN(
        Socks4Session third,
        Socks4Handshake(proxy(), Socks4ConnectRequest(echo->address(), "3rd"),
                        kStepTimeout));
    EXPECT_LT(absl::Now() - start, absl::Seconds(5));
    EXPECT_EQ(third.reply.code, kSocks4Rejected);
    // What the server read of each is bounded: beyond the socket buffers
    // (a few MiB each way), the kernel took nothing more before the close.
    EXPECT_LT(first.sent(), int64_t{32} << 20);
    EXPECT_LT(second.sent(), int64_t{32} << 20);
  }
  EXPECT_TRUE(EchoRoundTrip(busy, "still relaying"));
}

class DescriptorLimitTest : public WorkerPoolTest {
 protected:
  // Sets the running server's open-file limit (soft and hard) with
  // util-linux's prlimit(1).
  ::testing::AssertionResult SetFileLimit(int limit) {
    absl::StatusOr<SubprocessResult> result = rsockd::testing::RunCommand(
        {.argv = {"prlimit", absl::StrCat("--pid=", rsockd().pid()),
                  absl::StrCat("--nofile=", limit, ":", limit)}},
        kCommandTimeout);
    if (!result.ok()) return ::testing::AssertionFailure() << result.status();
    if (!result->status.success()) {
      return ::testing::AssertionFailure()
             << "prlimit: " << result->status.ToString() << ": "
             << result->stderr_text;
    }
    return ::testing::AssertionSuccess();
  }

  // Polls the server's descriptor count until it is exactly `count`.
  ::testing::AssertionResult WaitForFdCount(int count) {
    absl::StatusOr<int> now;
    ::testing::AssertionResult result = WaitFor(
        [&] {
          now = rsockd().OpenFdCount();
          return now.ok() && *now == count;
        },
        absl::StrCat(count, " descriptors open"), kStepTimeout);
    if (!result) {
      result << "; " << now.value_or(-1) << " open:\n"
             << rsockd().DescribeOpenFds();
    }
    return result;
  }
};

TEST_F(DescriptorLimitTest, ClientIsAnswered91WhenNoDescriptorIsLeft) {
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {"--workers=64", "--queue=64",
                                   "--handshake_timeout=60s"}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(int idle, SettledFdCount(kStepTimeout));
  // Room for kHeld connections, then none: the pool and queue are far from
  // full, so only the descriptors run out.
  constexpr int kHeld = 8;
  ASSERT_TRUE(SetFileLimit(idle + kHeld));
  std::vector<net::Socket> held;
  for (int i = 0; i < kHeld; ++i) {
    ASSERT_OK_AND_ASSIGN(net::Socket silent, ConnectTcp(proxy(), kStepTimeout));
    held.push_back(std::move(silent));
  }
  // A descriptor the server holds for a moment (a thread starting, a lookup)
  // can take a slot while the held clients arrive, so that one of them is
  // turned away: top up until every slot holds a client (bounded).
  for (int extra = 0; extra < 4; ++extra) {
    ASSERT_OK_AND_ASSIGN(int open, SettledFdCount(kStepTimeout));
    if (open >= idle + kHeld) break;
    ASSERT_OK_AND_ASSIGN(net::Socket silent, ConnectTcp(proxy(), kStepTimeout));
    held.push_back(std::move(silent));
  }
  ASSERT_TRUE(WaitForFdCount(idle + kHeld));

  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(absl::StrCat("client ", i));
    ASSERT_OK_AND_ASSIGN(
        Socks4Session refused,
        Socks4Handshake(proxy(), Socks4ConnectRequest(echo->address(), "late"),
                        kStepTimeout));
    EXPECT_EQ(refused.reply.code, kSocks4Rejected);
  }
  EXPECT_THAT(
      rsockd().WaitForLogLine("out of descriptors -- turned away", kLogTimeout),
      IsOk());

  // Once descriptors are free again, clients are served.
  held.clear();
  ASSERT_TRUE(WaitForFdCount(idle));
  EXPECT_TRUE(EchoThroughProxy(echo->address(), "after", "served again"));
}

TEST_F(DescriptorLimitTest, QueueShrinksToWhatTheLimitHolds) {
  // Started under a limit of 128: 64 for the process, 2 workers at 4 each,
  // which leaves 56 of the 1000 queue slots asked for.
  ASSERT_OK_AND_ASSIGN(std::string binary,
                       rsockd::testing::RsockdProcess::BinaryPath());
  ASSERT_OK_AND_ASSIGN(std::string dir, rsockd::testing::MakeTempDir("limit-"));
  const std::string wrapper = dir + "/rsockd-limited";
  ASSERT_THAT(
      rsockd::testing::WriteStringToFile(
          wrapper, absl::StrCat("#!/bin/sh\nexec prlimit --nofile=128:128 -- ",
                                binary, " \"$@\"\n")),
      IsOk());
  ASSERT_EQ(chmod(wrapper.c_str(), 0755), 0);
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {"--workers=2", "--queue=1000",
                                   "--handshake_timeout=60s"},
                   .binary_path = wrapper}));
  const std::string shrunk =
      "--queue 1000 shrunk to 56: the open-file limit 128 holds";
  EXPECT_THAT(rsockd().WaitForLogLine(shrunk, kLogTimeout), IsOk());
  ASSERT_OK_AND_ASSIGN(std::string ready,
                       rsockd().WaitForLogLine(" ready; ", kLogTimeout));
  EXPECT_THAT(ready, ::testing::HasSubstr("workers 2, queue 56"));

  // Full: two in the workers and 56 queued, all silent. The next client is
  // turned away by the pool, with descriptors to spare.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  std::vector<net::Socket> held;
  for (int i = 0; i < 2 + 56; ++i) {
    ASSERT_OK_AND_ASSIGN(net::Socket silent, ConnectTcp(proxy(), kStepTimeout));
    held.push_back(std::move(silent));
  }
  ASSERT_THAT(WaitForStats("busy=2 queued=56", kStepTimeout), IsOk());
  ASSERT_OK_AND_ASSIGN(
      Socks4Session refused,
      Socks4Handshake(proxy(), Socks4ConnectRequest(echo->address(), "over"),
                      kStepTimeout));
  EXPECT_EQ(refused.reply.code, kSocks4Rejected);
  EXPECT_THAT(rsockd().Stderr(),
              Not(::testing::HasSubstr("out of descriptors")));

  // A reload sizes it again, and says so again.
  const size_t mark = rsockd().StderrSize();
  ASSERT_TRUE(Reload(kReloaded));
  EXPECT_THAT(rsockd().WaitForLogLine(shrunk, kLogTimeout, mark), IsOk());
  held.clear();
}

}  // namespace
}  // namespace rsockd::e2e
