#include "testing/scripted_peer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/time/clock.h"
#include "testing/socket_io.h"
#include "testing/status_matchers.h"

namespace rsockd::testing {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kTimeout = absl::Seconds(60);

net::Deadline Soon() { return net::Deadline::In(kTimeout); }

TEST(ScriptedPeerTest, SendArrivesInTwoPiecesSplitExactlyWhereAsked) {
  const std::string bytes = "0123456789";
  for (size_t split = 1; split < bytes.size(); ++split) {
    SCOPED_TRACE("split at " + std::to_string(split));
    ASSERT_OK_AND_ASSIGN(
        auto peer, ScriptedPeer::Start({ScriptedPeer::Send(bytes, split)}));
    // One read asking for everything gets only the first piece.
    uint8_t buffer[64];
    ASSERT_OK_AND_ASSIGN(
        size_t n, peer->client().ReadSome(absl::MakeSpan(buffer), Soon()));
    EXPECT_EQ(std::string(reinterpret_cast<char*>(buffer), n),
              bytes.substr(0, split));
    EXPECT_THAT(ReadExactly(peer->client(), bytes.size() - split, Soon()),
                IsOkAndHolds(bytes.substr(split)));
    EXPECT_THAT(peer->Finish(), IsOk());
    // The script is over: the peer has closed.
    EXPECT_THAT(ReadUntilClosed(peer->client(), Soon()), IsOk());
  }
}

TEST(ScriptedPeerTest, ExpectChecksTheBytesAndEndsTheScriptOnADifference) {
  ASSERT_OK_AND_ASSIGN(auto peer, ScriptedPeer::Start({
                                      ScriptedPeer::Expect("ab\x01"),
                                      ScriptedPeer::Send("never sent"),
                                  }));
  ASSERT_THAT(peer->client().WriteAll("ab\x02", Soon()), IsOk());
  EXPECT_THAT(peer->Finish(),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr(R"(step 1: got "ab\x02", want "ab\x01")")));
  ASSERT_OK_AND_ASSIGN(ReadToCloseResult rest,
                       ReadUntilClosed(peer->client(), Soon()));
  EXPECT_EQ(rest.data, "");
}

TEST(ScriptedPeerTest, SendFailsWhenTheClientNeverReadsTheFirstPiece) {
  ASSERT_OK_AND_ASSIGN(auto peer,
                       ScriptedPeer::Start({ScriptedPeer::Send("abc", 1)},
                                           absl::Milliseconds(200)));
  EXPECT_THAT(peer->Finish(),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("did not read the first 1 of 3 bytes")));
}

TEST(ScriptedPeerTest, DestroyingThePeerEndsAWaitingScript) {
  const absl::Time start = absl::Now();
  {
    ASSERT_OK_AND_ASSIGN(
        auto peer,
        ScriptedPeer::Start({ScriptedPeer::Expect("x")}, absl::Hours(1)));
  }
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
}

}  // namespace
}  // namespace rsockd::testing
