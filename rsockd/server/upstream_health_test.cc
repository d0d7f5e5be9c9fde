#include "rsockd/server/upstream_health.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace rsockd {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const std::vector<rules::UpstreamServer> kServers = {
    {"a", 1080}, {"b", 1080}, {"c", 1081}};
constexpr absl::Duration kRetryAfter = absl::Seconds(30);
const absl::Time kStart = absl::FromUnixSeconds(1000000);

std::vector<std::string> Names(const UpstreamHealth& health, absl::Time now) {
  std::vector<std::string> names;
  for (const rules::UpstreamServer* server :
       health.Order(kServers, kRetryAfter, now)) {
    names.push_back(server->ToString());
  }
  return names;
}

TEST(UpstreamHealthTest, ListOrderWhileAllAreUp) {
  UpstreamHealth health;
  EXPECT_THAT(Names(health, kStart), ElementsAre("a:1080", "b:1080", "c:1081"));
  EXPECT_THAT(health.DownServers(kRetryAfter, kStart), IsEmpty());
}

TEST(UpstreamHealthTest, FailedServersGoLastUntilRetryAfter) {
  UpstreamHealth health;
  health.MarkDown(kServers[0], kStart);
  health.MarkDown(kServers[1], kStart + absl::Seconds(5));
  EXPECT_THAT(Names(health, kStart + absl::Seconds(10)),
              ElementsAre("c:1081", "a:1080", "b:1080"));
  EXPECT_THAT(health.DownServers(kRetryAfter, kStart + absl::Seconds(10)),
              ElementsAre("a:1080 down 10s ago", "b:1080 down 5s ago"));
  // a's fault is 30 s old: back in its place; b is still down.
  EXPECT_THAT(Names(health, kStart + kRetryAfter),
              ElementsAre("a:1080", "c:1081", "b:1080"));
}

TEST(UpstreamHealthTest, AnAnswerMarksAServerUp) {
  UpstreamHealth health;
  health.MarkDown(kServers[0], kStart);
  health.MarkUp(kServers[0]);
  EXPECT_THAT(Names(health, kStart), ElementsAre("a:1080", "b:1080", "c:1081"));
}

TEST(UpstreamHealthTest, AllDownAreStillAllTriedInListOrder) {
  UpstreamHealth health;
  for (const rules::UpstreamServer& server : kServers) {
    health.MarkDown(server, kStart);
  }
  EXPECT_THAT(Names(health, kStart), ElementsAre("a:1080", "b:1080", "c:1081"));
}

}  // namespace
}  // namespace rsockd
