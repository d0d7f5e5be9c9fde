#include "net/relay.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "testing/loopback.h"
#include "testing/sha256.h"
#include "testing/socket_io.h"
#include "testing/status_matchers.h"
#include "testing/wait_for.h"

namespace rsockd::net {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::IsOkAndHolds;
using ::rsockd::testing::LoopbackPair;
using ::rsockd::testing::MakeLoopbackPair;
using ::rsockd::testing::ReadExactly;
using ::rsockd::testing::ReadToCloseResult;
using ::rsockd::testing::ReadUntilClosed;
using ::rsockd::testing::Sha256;
using ::rsockd::testing::StatusIs;
using ::rsockd::testing::StaysSilent;
using ::rsockd::testing::WaitFor;
using ::testing::HasSubstr;
using ::testing::Ne;

// The sockets of one relayed session: the client and destination ends the
// test drives, and the two ends the relay copies between.
struct Session {
  Socket client;        // the test's client end
  Socket relay_client;  // relay side facing the client
  Socket relay_target;  // relay side facing the destination
  Socket target;        // the test's destination end
};

Session MakeSession() {
  absl::StatusOr<LoopbackPair> a = MakeLoopbackPair();
  absl::StatusOr<LoopbackPair> b = MakeLoopbackPair();
  EXPECT_TRUE(a.ok() && b.ok());
  return {std::move(a->connected), std::move(a->accepted),
          std::move(b->connected), std::move(b->accepted)};
}

std::string Pattern(size_t size, uint8_t seed) {
  std::string data(size, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (char& c : data) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return data;
}

// Reads until end of file (bounded by 30 s).
absl::StatusOr<std::string> ReadToEof(Socket& socket) {
  const Deadline deadline = Deadline::In(absl::Seconds(30));
  std::string data;
  uint8_t buffer[64 * 1024];
  for (;;) {
    absl::StatusOr<size_t> n =
        socket.ReadSome(absl::MakeSpan(buffer), deadline);
    if (!n.ok()) return n.status();
    if (*n == 0) return data;
    data.append(reinterpret_cast<char*>(buffer), *n);
  }
}

// Runs Relay() on a thread of its own. The relay also watches a StopSignal
// that the destructor fires, so that a relay that fails to end by itself
// still ends and the test reports that instead of hanging.
class BackgroundRelay {
 public:
  BackgroundRelay(Session& s, PipePool& pipes, ThreadPool& threads,
                  RelayOptions options) {
    options.stop = &stop_;
    thread_ = std::thread([this, &s, &pipes, &threads, options] {
      result_ = Relay(s.relay_client, s.relay_target, pipes, threads, options);
      done_.Notify();
    });
  }
  ~BackgroundRelay() {
    stop_.Notify();
    thread_.join();
  }

  // Whether the relay ended within `timeout`.
  bool Ended(absl::Duration timeout) {
    return done_.WaitForNotificationWithTimeout(timeout);
  }
  // Once Ended().
  const RelayResult& result() const { return result_; }

 private:
  StopSignal stop_;
  absl::Notification done_;
  RelayResult result_;
  std::thread thread_;
};

// Waits (bounded) until `socket`'s connection is reset; returns its error.
absl::StatusOr<int> WaitForReset(Socket& socket) {
  // No events asked: only an error or hang-up ends the wait.
  if (absl::Status status =
          Deadline::In(absl::Seconds(10)).Wait(socket.fd(), 0);
      !status.ok()) {
    return status;
  }
  int error = 0;
  socklen_t size = sizeof(error);
  getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &size);
  return error;
}

// Ends `socket` with a reset (RST) instead of an orderly close.
void Reset(Socket& socket) {
  socket.SetAbortiveClose();
  socket.Close();
}

void SetBufferSize(Socket& socket, int option, int bytes) {
  ASSERT_EQ(setsockopt(socket.fd(), SOL_SOCKET, option, &bytes, sizeof(bytes)),
            0);
}

// Waits (bounded) until the peer has acknowledged every byte written to
// `socket`, i.e. they all sit in the peer's kernel.
::testing::AssertionResult WaitUntilAcknowledged(Socket& socket) {
  int unacknowledged = 0;
  int error = 0;
  ::testing::AssertionResult result = WaitFor(
      [&] {
        if (ioctl(socket.fd(), SIOCOUTQ, &unacknowledged) != 0) error = errno;
        return error != 0 || unacknowledged == 0;
      },
      "acknowledged");
  if (error != 0) return ::testing::AssertionFailure() << "SIOCOUTQ: " << error;
  if (!result) result << "; " << unacknowledged << " bytes still are not";
  return result;
}

// Sends `byte` as TCP urgent data (MSG_OOB).
absl::Status SendUrgent(Socket& socket, char byte) {
  const Deadline deadline = Deadline::In(absl::Seconds(10));
  for (;;) {
    if (send(socket.fd(), &byte, 1, MSG_OOB | MSG_NOSIGNAL) == 1) {
      return absl::OkStatus();
    }
    if (errno != EAGAIN && errno != EINTR) {
      return absl::ErrnoToStatus(errno, "send(MSG_OOB)");
    }
    if (absl::Status status = deadline.Wait(socket.fd(), POLLOUT);
        !status.ok()) {
      return status;
    }
  }
}

// What a receiver without SO_OOBINLINE saw: the ordinary bytes before the
// urgent mark, the urgent byte (read with MSG_OOB), the ordinary bytes
// after it.
struct AroundMark {
  std::string before;
  std::optional<char> urgent;
  std::string after;
};

// Reads until it has the urgent byte and `ordinary` ordinary bytes, or end
// of file (bounded by 20 s). A read stops at the mark, so `before` ends
// exactly there.
absl::StatusOr<AroundMark> ReadAroundMark(Socket& socket, size_t ordinary) {
  const Deadline deadline = Deadline::In(absl::Seconds(20));
  AroundMark got;
  char buffer[64 * 1024];
  while (!got.urgent.has_value() ||
         got.before.size() + got.after.size() < ordinary) {
    pollfd entry{socket.fd(), POLLIN | POLLPRI, 0};
    if (absl::Status status = deadline.Wait(absl::MakeSpan(&entry, 1));
        !status.ok()) {
      return status;
    }
    if (!got.urgent.has_value() && sockatmark(socket.fd()) == 1) {
      // At the mark: the urgent byte, once it has arrived (POLLPRI).
      if ((entry.revents & POLLPRI) == 0) continue;
      char urgent;
      if (recv(socket.fd(), &urgent, 1, MSG_OOB) != 1) {
        return absl::ErrnoToStatus(errno, "recv(MSG_OOB)");
      }
      got.urgent = urgent;
      continue;
    }
    if ((entry.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    const ssize_t n = recv(socket.fd(), buffer, sizeof(buffer), 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, "recv()");
    }
    (got.urgent.has_value() ? got.after : got.before).append(buffer, n);
  }
  return got;
}

// Sends `before`, the urgent byte '!', then `after` from `from`, and expects
// `to` to see exactly that: the mark right after `before`.
void ExpectUrgentDataRelayed(Socket& from, Socket& to,
                             const std::string& before,
                             const std::string& after) {
  absl::Status sent;
  std::thread sender([&] {
    const Deadline deadline = Deadline::In(absl::Seconds(20));
    sent = from.WriteAll(before, deadline);
    if (sent.ok()) sent = SendUrgent(from, '!');
    if (sent.ok()) sent = from.WriteAll(after, deadline);
  });
  absl::StatusOr<AroundMark> got =
      ReadAroundMark(to, before.size() + after.size());
  sender.join();
  ASSERT_THAT(sent, IsOk());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->urgent, std::optional<char>('!'));
  EXPECT_EQ(got->before.size(), before.size());
  EXPECT_TRUE(got->before == before) << "bytes before the mark differ";
  EXPECT_EQ(got->after.size(), after.size());
  EXPECT_TRUE(got->after == after) << "bytes after the mark differ";
}

// How a relay moves the bytes.
enum class Path {
  kSplice,
  // splice(2) asked for, but the pool has no pipe to lend: the budget is
  // spent (as by sessions whose clients do not read).
  kSpliceWithoutPipes,
  kReadWrite,
};

class RelayTest : public ::testing::TestWithParam<Path> {
 protected:
  RelayOptions Options() {
    RelayOptions options;
    options.use_splice = GetParam() != Path::kReadWrite;
    return options;
  }
  PipePool pipes_{GetParam() == Path::kSpliceWithoutPipes
                      ? size_t{0}
                      : size_t{8} * kPipeSize};
  ThreadPool threads_{{.max_workers = 4, .max_queue = 0}, 128 * 1024};
};

TEST_P(RelayTest, CopiesBothWaysAtOnceIntact) {
  Session s = MakeSession();
  const std::string up = Pattern(8 << 20, 1);
  const std::string down = Pattern(6 << 20, 2);
  RelayResult result;
  std::thread relay([&] {
    result = Relay(s.relay_client, s.relay_target, pipes_, threads_, Options());
  });
  // Each end writes all, half-closes, and reads to end of file, concurrently.
  absl::StatusOr<std::string> at_target, at_client;
  std::thread target_side([&] {
    EXPECT_THAT(s.target.WriteAll(down, Deadline::In(absl::Seconds(30))),
                IsOk());
    s.target.ShutdownWrite();
  });
  std::thread target_reader([&] { at_target = ReadToEof(s.target); });
  EXPECT_THAT(s.client.WriteAll(up, Deadline::In(absl::Seconds(30))), IsOk());
  s.client.ShutdownWrite();
  at_client = ReadToEof(s.client);
  target_side.join();
  target_reader.join();
  relay.join();
  ASSERT_THAT(at_target, IsOk());
  ASSERT_THAT(at_client, IsOk());
  EXPECT_TRUE(*at_target == up) << "client → destination bytes differ";
  EXPECT_TRUE(*at_client == down) << "destination → client bytes differ";
  EXPECT_EQ(result.bytes_from_client, up.size());
  EXPECT_EQ(result.bytes_from_target, down.size());
  EXPECT_THAT(result.status(), IsOk());
}

TEST_P(RelayTest, HalfCloseStillDeliversTheAnswer) {
  Session s = MakeSession();
  RelayResult result;
  std::thread relay([&] {
    result = Relay(s.relay_client, s.relay_target, pipes_, threads_, Options());
  });
  ASSERT_THAT(s.client.WriteAll("question", Deadline::In(absl::Seconds(10))),
              IsOk());
  s.client.ShutdownWrite();
  // The destination sees the whole question, then end of file...
  ASSERT_OK_AND_ASSIGN(std::string question, ReadToEof(s.target));
  EXPECT_EQ(question, "question");
  // ...and only then answers; the half-closed client still gets it all.
  const std::string answer = Pattern(1 << 20, 3);
  ASSERT_THAT(s.target.WriteAll(answer, Deadline::In(absl::Seconds(10))),
              IsOk());
  s.target.ShutdownWrite();
  ASSERT_OK_AND_ASSIGN(std::string received, ReadToEof(s.client));
  EXPECT_TRUE(received == answer);
  relay.join();
  EXPECT_EQ(result.bytes_from_client, 8u);
  EXPECT_EQ(result.bytes_from_target, answer.size());
}

TEST_P(RelayTest, EndsAfterIdleTimeout) {
  Session s = MakeSession();
  RelayOptions options = Options();
  options.idle_timeout = absl::Milliseconds(200);
  const absl::Time start = absl::Now();
  RelayResult result =
      Relay(s.relay_client, s.relay_target, pipes_, threads_, options);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(200));
  EXPECT_THAT(result.status(),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("idle")));
}

TEST_P(RelayTest, TrafficInOneDirectionKeepsTheOtherAlive) {
  Session s = MakeSession();
  RelayOptions options = Options();
  options.idle_timeout = absl::Milliseconds(300);
  RelayResult result;
  std::thread relay([&] {
    result = Relay(s.relay_client, s.relay_target, pipes_, threads_, options);
  });
  // Ten sends 100 ms apart: 1 s in all, longer than the idle timeout, but the
  // session is never idle for 300 ms. The destination never sends.
  uint8_t buffer[1];
  for (int i = 0; i < 10; ++i) {
    // Paces the sends without sleeping: nothing is expected in 100 ms.
    EXPECT_THAT(StaysSilent(s.client, absl::Milliseconds(100)), IsOk());
    ASSERT_THAT(s.client.WriteAll("x", Deadline::In(absl::Seconds(5))), IsOk());
    ASSERT_OK_AND_ASSIGN(size_t got,
                         s.target.ReadSome(absl::MakeSpan(buffer),
                                           Deadline::In(absl::Seconds(5))));
    EXPECT_EQ(got, 1u) << "byte " << i << " was not relayed";
  }
  relay.join();
  EXPECT_EQ(result.bytes_from_client, 10u);
  EXPECT_THAT(result.status(),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("idle")));
}

TEST_P(RelayTest, StopSignalEndsTheRelay) {
  Session s = MakeSession();
  StopSignal stop;
  RelayOptions options = Options();
  options.stop = &stop;
  RelayResult result;
  std::thread relay([&] {
    result = Relay(s.relay_client, s.relay_target, pipes_, threads_, options);
  });
  stop.Notify();
  relay.join();
  EXPECT_THAT(result.status(),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("stopping")));
  // The client is told: its connection reads end of file.
  ASSERT_OK_AND_ASSIGN(std::string rest, ReadToEof(s.client));
  EXPECT_EQ(rest, "");
}

TEST_P(RelayTest, ResetByDestinationEndsBothDirections) {
  Session s = MakeSession();
  RelayResult result;
  std::thread relay([&] {
    result = Relay(s.relay_client, s.relay_target, pipes_, threads_, Options());
  });
  s.target.SetAbortiveClose();
  s.target.Close();
  relay.join();
  // The client's side ends too, rather than being left hanging.
  s.relay_client.Close();
  ASSERT_OK_AND_ASSIGN(
      ReadToCloseResult end,
      ReadUntilClosed(s.client, Deadline::In(absl::Seconds(10))));
  EXPECT_EQ(end.data, "");
}

// One peer sends a message and half-closes (its direction ends, orderly),
// then resets once the other has read it to end of file; the other stays
// silent. The relay must not wait for it until the idle timeout (an hour
// here, so that ending proves the point), and the reset travels on to it
// once the caller closes its side: a proxy in a chain would otherwise keep
// waiting.
void ExpectResetAfterHalfCloseEndsTheRelay(PipePool& pipes, ThreadPool& threads,
                                           RelayOptions options,
                                           bool client_resets) {
  Session s = MakeSession();
  Socket& gone = client_resets ? s.client : s.target;
  Socket& silent = client_resets ? s.target : s.client;
  Socket& silent_relay_side = client_resets ? s.relay_target : s.relay_client;
  options.idle_timeout = absl::Hours(1);
  BackgroundRelay relay(s, pipes, threads, options);
  ASSERT_THAT(gone.WriteAll("message", Deadline::In(absl::Seconds(10))),
              IsOk());
  gone.ShutdownWrite();
  ASSERT_OK_AND_ASSIGN(std::string message, ReadToEof(silent));
  EXPECT_EQ(message, "message");
  Reset(gone);
  ASSERT_TRUE(relay.Ended(absl::Seconds(10)))
      << "the relay still waits for the silent peer";
  const RelayResult& result = relay.result();
  EXPECT_THAT(client_resets ? result.client_to_target : result.target_to_client,
              IsOk());
  EXPECT_THAT(
      (client_resets ? result.target_to_client : result.client_to_target)
          .message(),
      HasSubstr(client_resets ? "connection to the client"
                              : "connection to the destination"));
  EXPECT_EQ(client_resets ? result.bytes_from_client : result.bytes_from_target,
            7u);
  silent_relay_side.Close();
  EXPECT_THAT(WaitForReset(silent), IsOkAndHolds(Ne(0)));
}

// The case: a client that half-closed and then reset, while the
// destination says nothing.
TEST_P(RelayTest, ClientResetAfterHalfCloseEndsTheRelay) {
  ExpectResetAfterHalfCloseEndsTheRelay(pipes_, threads_, Options(),
                                        /*client_resets=*/true);
}

// The mirror image: the destination answers, half-closes and resets while
// the client says nothing.
TEST_P(RelayTest, DestinationResetAfterHalfCloseEndsTheRelay) {
  ExpectResetAfterHalfCloseEndsTheRelay(pipes_, threads_, Options(),
                                        /*client_resets=*/false);
}

// A reset while both directions are open ends the relay too, and the
// destination's connection ends.
TEST_P(RelayTest, ClientResetBeforeHalfCloseEndsTheRelay) {
  Session s = MakeSession();
  RelayOptions options = Options();
  options.idle_timeout = absl::Hours(1);
  BackgroundRelay relay(s, pipes_, threads_, options);
  ASSERT_THAT(s.client.WriteAll("x", Deadline::In(absl::Seconds(10))), IsOk());
  uint8_t byte[1];
  ASSERT_OK_AND_ASSIGN(
      size_t got,
      s.target.ReadSome(absl::MakeSpan(byte), Deadline::In(absl::Seconds(10))));
  EXPECT_EQ(got, 1u);
  Reset(s.client);
  ASSERT_TRUE(relay.Ended(absl::Seconds(10)));
  EXPECT_FALSE(relay.result().status().ok());
  s.relay_target.Close();
  ASSERT_OK_AND_ASSIGN(
      ReadToCloseResult end,
      ReadUntilClosed(s.target, Deadline::In(absl::Seconds(10))));
  EXPECT_EQ(end.data, "");
}

// A peer that resets right after its last bytes has still sent them: the
// other peer gets every one, even when it reads only after the reset (the
// relay holds them meanwhile), as it would on a direct connection.
TEST_P(RelayTest, DestinationResetAfterAnswerStillDeliversTheAnswer) {
  Session s = MakeSession();
  // Small buffers towards the client, a big one from the destination: the
  // relay takes the whole answer while the client cannot.
  SetBufferSize(s.client, SO_RCVBUF, 64 * 1024);
  SetBufferSize(s.relay_client, SO_SNDBUF, 64 * 1024);
  SetBufferSize(s.relay_target, SO_RCVBUF, 8 << 20);
  RelayOptions options = Options();
  options.idle_timeout = absl::Hours(1);
  BackgroundRelay relay(s, pipes_, threads_, options);
  const std::string answer = Pattern(4 << 20, 4);
  ASSERT_THAT(s.target.WriteAll(answer, Deadline::In(absl::Seconds(10))),
              IsOk());
  ASSERT_TRUE(WaitUntilAcknowledged(s.target));
  Reset(s.target);
  ASSERT_OK_AND_ASSIGN(
      std::string received,
      ReadExactly(s.client, answer.size(), Deadline::In(absl::Seconds(30))));
  EXPECT_TRUE(received == answer);
  ASSERT_TRUE(relay.Ended(absl::Seconds(10)));
  EXPECT_EQ(relay.result().bytes_from_target, answer.size());
}

TEST_P(RelayTest, RelaysUrgentDataBothWaysInOrder) {
  Session s = MakeSession();
  BackgroundRelay relay(s, pipes_, threads_, Options());
  ExpectUrgentDataRelayed(s.client, s.target, Pattern(300 * 1024, 5),
                          Pattern(200 * 1024, 6));
  ExpectUrgentDataRelayed(s.target, s.client, Pattern(2 << 20, 7),
                          Pattern(100, 8));
  // A telnet interrupt: the urgent byte alone, then more.
  ExpectUrgentDataRelayed(s.client, s.target, "", "after");
  s.client.ShutdownWrite();
  s.target.ShutdownWrite();
  ASSERT_OK_AND_ASSIGN(std::string rest, ReadToEof(s.target));
  EXPECT_EQ(rest, "");
  ASSERT_OK_AND_ASSIGN(rest, ReadToEof(s.client));
  EXPECT_EQ(rest, "");
  ASSERT_TRUE(relay.Ended(absl::Seconds(10)));
  EXPECT_THAT(relay.result().status(), IsOk());
  // The urgent bytes count as relayed bytes.
  EXPECT_EQ(relay.result().bytes_from_client,
            300 * 1024 + 1 + 200 * 1024 + 1 + 5);
  EXPECT_EQ(relay.result().bytes_from_target, (2 << 20) + 1 + 100);
}

TEST_P(RelayTest, RelaysAnUrgentByteRightBeforeEndOfFile) {
  Session s = MakeSession();
  BackgroundRelay relay(s, pipes_, threads_, Options());
  ASSERT_THAT(SendUrgent(s.client, '!'), IsOk());
  s.client.ShutdownWrite();
  ASSERT_OK_AND_ASSIGN(AroundMark got, ReadAroundMark(s.target, 0));
  EXPECT_EQ(got.urgent, std::optional<char>('!'));
  EXPECT_EQ(got.before, "");
  ASSERT_OK_AND_ASSIGN(std::string rest, ReadToEof(s.target));
  EXPECT_EQ(rest, "");
  s.target.ShutdownWrite();
  ASSERT_TRUE(relay.Ended(absl::Seconds(10)));
  EXPECT_THAT(relay.result().status(), IsOk());
}

INSTANTIATE_TEST_SUITE_P(Paths, RelayTest,
                         ::testing::Values(Path::kSplice,
                                           Path::kSpliceWithoutPipes,
                                           Path::kReadWrite),
                         [](const ::testing::TestParamInfo<Path>& info) {
                           switch (info.param) {
                             case Path::kSplice:
                               return "Splice";
                             case Path::kSpliceWithoutPipes:
                               return "SpliceWithoutPipes";
                             case Path::kReadWrite:
                               return "ReadWrite";
                           }
                           return "";
                         });

// A direction whose client does not read holds its pipe, and the bytes in
// it, for as long as the client does not read. With the pool's budget spent
// that way, other sessions copy through their own buffers, intact; and the
// stalled one still delivers every byte once its client reads.
TEST(RelayPipeBudgetTest, StalledSessionHoldsThePipeWhileOthersCopy) {
  PipePool pipes(kPipeSize);  // one pipe
  ThreadPool threads({.max_workers = 4, .max_queue = 0}, 128 * 1024);
  Session stalled = MakeSession();
  // Small buffers towards the client, so that the relay must wait for it.
  SetBufferSize(stalled.client, SO_RCVBUF, 64 * 1024);
  SetBufferSize(stalled.relay_client, SO_SNDBUF, 64 * 1024);
  RelayOptions options;
  options.idle_timeout = absl::Minutes(5);
  BackgroundRelay stalled_relay(stalled, pipes, threads, options);
  const std::string answer = Pattern(8 << 20, 9);
  absl::Status answered;
  std::thread destination([&] {
    answered = stalled.target.WriteAll(answer, Deadline::In(absl::Seconds(30)));
    stalled.target.ShutdownWrite();
  });
  ASSERT_TRUE(WaitFor([&] { return pipes.counts().lent != 0; }, "a pipe lent"));
  ASSERT_EQ(pipes.counts().lent, 1u) << "the stalled direction holds no pipe";

  {
    Session other = MakeSession();
    BackgroundRelay relay(other, pipes, threads, options);
    const std::string up = Pattern(4 << 20, 10);
    const std::string down = Pattern(3 << 20, 11);
    absl::StatusOr<std::string> at_target;
    std::thread target_side([&] {
      EXPECT_THAT(other.target.WriteAll(down, Deadline::In(absl::Seconds(30))),
                  IsOk());
      other.target.ShutdownWrite();
      at_target = ReadToEof(other.target);
    });
    EXPECT_THAT(other.client.WriteAll(up, Deadline::In(absl::Seconds(30))),
                IsOk());
    other.client.ShutdownWrite();
    absl::StatusOr<std::string> at_client = ReadToEof(other.client);
    target_side.join();
    ASSERT_THAT(at_client, IsOk());
    ASSERT_THAT(at_target, IsOk());
    EXPECT_EQ(Sha256::Of(*at_target), Sha256::Of(up));
    EXPECT_EQ(Sha256::Of(*at_client), Sha256::Of(down));
    ASSERT_TRUE(relay.Ended(absl::Seconds(10)));
    EXPECT_THAT(relay.result().status(), IsOk());
    const PipePool::Counts counts = pipes.counts();
    EXPECT_EQ(counts.lent + counts.idle, 1u) << "the budget was exceeded";
  }

  stalled.client.ShutdownWrite();
  absl::StatusOr<std::string> received = ReadToEof(stalled.client);
  destination.join();
  ASSERT_THAT(answered, IsOk());
  ASSERT_THAT(received, IsOk());
  EXPECT_EQ(Sha256::Of(*received), Sha256::Of(answer));
  ASSERT_TRUE(stalled_relay.Ended(absl::Seconds(10)));
  EXPECT_THAT(stalled_relay.result().status(), IsOk());
  const PipePool::Counts counts = pipes.counts();
  EXPECT_EQ(counts.lent, 0u);
  EXPECT_EQ(counts.idle, 1u);
}

TEST(RelayWithoutThreadsTest, ReportsNoThreadAndRelaysNothing) {
  absl::StatusOr<LoopbackPair> a = MakeLoopbackPair();
  absl::StatusOr<LoopbackPair> b = MakeLoopbackPair();
  ASSERT_TRUE(a.ok() && b.ok());
  PipePool pipes(kPipeSize);
  absl::Notification release;
  ThreadPool threads({.max_workers = 1, .max_queue = 0}, 64 * 1024);
  ThreadPool::Task blocker = [&] {
    release.WaitForNotificationWithTimeout(absl::Seconds(30));
  };
  ASSERT_TRUE(threads.TrySubmit(&blocker));
  RelayResult result =
      Relay(a->accepted, b->connected, pipes, threads, RelayOptions());
  EXPECT_THAT(result.status(), StatusIs(absl::StatusCode::kResourceExhausted,
                                        HasSubstr("no relay thread")));
  release.Notify();
}

}  // namespace
}  // namespace rsockd::net
