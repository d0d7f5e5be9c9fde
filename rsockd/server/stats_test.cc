#include "rsockd/server/stats.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rsockd {
namespace {

using ::testing::ElementsAre;

TEST(StatsSnapshotTest, ListsCountersPoolsHooksThenExtraLines) {
  Stats stats;
  stats.accepted = 12;
  stats.overloaded = 1;
  stats.refused_on_sight = 7;
  stats.sessions_open = 2;
  stats.sessions_total = 11;
  stats.bad_requests = 3;
  stats.bytes_from_clients = 5120;
  stats.bytes_from_destinations = 1048576;
  stats.CountReply(net::Socks4ReplyCode::kGranted);
  stats.CountReply(net::Socks4ReplyCode::kGranted);
  stats.CountReply(net::Socks4ReplyCode::kRejected);
  stats.CountReply(net::Socks4ReplyCode::kIdentMismatch);
  stats.CountReply(net::Socks5ReplyCode::kSucceeded);
  stats.CountReply(net::Socks5ReplyCode::kAddressTypeNotSupported);
  stats.socks5_no_method = 2;
  stats.socks5_auth_failed = 3;
  HookRunner::Counts hooks;
  hooks.started = 4;
  hooks.finished = 2;
  hooks.timed_out = 1;
  hooks.dropped = 5;
  hooks.failed_to_start = 1;
  hooks.running = 1;
  hooks.pending = 6;
  const std::vector<std::string> extra = {"upstream 10.1.1.1:1080 up",
                                          "syslog /dev/log sent=3 dropped=0"};

  EXPECT_THAT(
      StatsSnapshot(stats, {.threads = 4, .busy = 2, .queued = 1},
                    {.max_workers = 16, .max_queue = 1024}, hooks, extra),
      ElementsAre("sessions open=2 total=11 accepted=12 overloaded=1 "
                  "refused_on_sight=7 bad_requests=3",
                  "bytes from_clients=5120 from_destinations=1048576",
                  "replies 90=2 91=1 92=0 93=1",
                  "socks5 00=1 01=0 02=0 03=0 04=0 05=0 06=0 07=0 08=1 "
                  "no_method=2 auth_failed=3",
                  "workers threads=4 busy=2 queued=1 max=16 max_queue=1024",
                  "hooks running=1 pending=6 started=4 finished=2 "
                  "timed_out=1 dropped=5 failed_to_start=1",
                  "upstream 10.1.1.1:1080 up",
                  "syslog /dev/log sent=3 dropped=0"));
}

TEST(StatsTest, ToStringIsTheCounterLinesOnOneLine) {
  Stats stats;
  stats.sessions_total = 1;
  stats.CountReply(net::Socks4ReplyCode::kIdentUnreachable);
  EXPECT_EQ(stats.ToString(),
            "sessions open=0 total=1 accepted=0 overloaded=0 "
            "refused_on_sight=0 bad_requests=0 "
            "bytes from_clients=0 from_destinations=0 "
            "replies 90=0 91=0 92=1 93=0 "
            "socks5 00=0 01=0 02=0 03=0 04=0 05=0 06=0 07=0 08=0 "
            "no_method=0 auth_failed=0");
}

}  // namespace
}  // namespace rsockd
