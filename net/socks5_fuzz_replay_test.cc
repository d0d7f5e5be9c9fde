// The fuzz target of the SOCKS5 parsers (socks5_fuzz_target.h), run without
// libFuzzer so that it works with any compiler and sanitizer
// configuration: every seed of net/testdata/socks5_corpus, checked to reach
// what its name says, then every truncation of each seed and each of its
// bytes replaced by values that make lengths, versions, commands and
// address types interesting. Of the seeds of the largest messages, only the
// first and last bytes are varied: their middle is filler, and the fields
// there are varied in the short seeds of the same message. The target
// aborts on a broken promise; this test also checks that the variations
// reached every result.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "net/socks5_fuzz_target.h"
#include "testing/files.h"

namespace rsockd::net {
namespace {

using Result = Socks5InputOutcome::Result;

// Each seed and what the parser it was written for makes of it.
struct Seed {
  const char* name;
  Result Socks5InputOutcome::*parser;
  Result result;
  Socks5ReplyCode error_reply = Socks5ReplyCode::kGeneralFailure;
};

constexpr auto kGreeting = &Socks5InputOutcome::greeting;
constexpr auto kUserPass = &Socks5InputOutcome::user_pass;
constexpr auto kRequest = &Socks5InputOutcome::request;

const Seed kSeeds[] = {
    {"greeting_no_auth", kGreeting, Result::kDecoded},
    {"greeting_both", kGreeting, Result::kDecoded},
    {"greeting_255_methods", kGreeting, Result::kDecoded},
    {"greeting_no_methods", kGreeting, Result::kRefused},
    {"greeting_version_4", kGreeting, Result::kRefused},
    {"greeting_truncated", kGreeting, Result::kWaiting},
    {"pipelined", kGreeting, Result::kDecoded},
    {"user_pass", kUserPass, Result::kDecoded},
    {"user_pass_255", kUserPass, Result::kDecoded},
    {"user_pass_version_5", kUserPass, Result::kRefused},
    {"user_pass_empty_user", kUserPass, Result::kRefused},
    {"user_pass_empty_password", kUserPass, Result::kRefused},
    {"user_pass_nul", kUserPass, Result::kRefused},
    {"user_pass_truncated", kUserPass, Result::kWaiting},
    {"request_connect_ipv4", kRequest, Result::kDecoded},
    {"request_bind_name", kRequest, Result::kDecoded},
    {"request_udp_ipv6", kRequest, Result::kDecoded},
    {"request_ipv4_mapped", kRequest, Result::kDecoded},
    {"request_name_255", kRequest, Result::kDecoded},
    {"request_reserved", kRequest, Result::kRefused},
    {"request_empty_name", kRequest, Result::kRefused},
    {"request_name_nul", kRequest, Result::kRefused},
    {"request_command_4", kRequest, Result::kRefused,
     Socks5ReplyCode::kCommandNotSupported},
    {"request_address_type_2", kRequest, Result::kRefused,
     Socks5ReplyCode::kAddressTypeNotSupported},
    {"request_truncated", kRequest, Result::kWaiting},
};

// Seeds longer than this are varied only within kEdge bytes of either end.
constexpr size_t kShortSeed = 64;
constexpr size_t kEdge = 8;

// Byte values that make lengths, versions, commands and types interesting.
constexpr uint8_t kInteresting[] = {0x00, 0x01, 0x02, 0x03, 0x04,
                                    0x05, 0x7f, 0x80, 0xfe, 0xff};

std::string ReadSeed(absl::string_view name) {
  absl::StatusOr<std::string> contents =
      rsockd::testing::ReadFileToString(absl::StrCat(
          std::getenv("TEST_SRCDIR"), "/", std::getenv("TEST_WORKSPACE"),
          "/net/testdata/socks5_corpus/", name));
  EXPECT_TRUE(contents.ok()) << contents.status();
  return contents.ok() ? *contents : std::string();
}

TEST(Socks5FuzzReplayTest, EverySeedReachesWhatItsNameSays) {
  for (const Seed& seed : kSeeds) {
    const Socks5InputOutcome outcome = CheckSocks5Input(ReadSeed(seed.name));
    EXPECT_EQ(outcome.*seed.parser, seed.result) << seed.name;
    if (seed.parser == kRequest && seed.result == Result::kRefused) {
      EXPECT_EQ(outcome.request_error_reply, seed.error_reply) << seed.name;
    }
  }
}

TEST(Socks5FuzzReplayTest, VariationsKeepEveryPromise) {
  // How often each parser came to each result, and each REP of a refusal.
  std::map<std::pair<int, Result>, int> results;
  std::map<Socks5ReplyCode, int> error_replies;
  const auto record = [&](const Socks5InputOutcome& outcome) {
    ++results[{0, outcome.greeting}];
    ++results[{1, outcome.user_pass}];
    ++results[{2, outcome.request}];
    if (outcome.request == Result::kRefused) {
      ++error_replies[outcome.request_error_reply];
    }
  };
  int inputs = 0;
  for (const Seed& seed : kSeeds) {
    const std::string data = ReadSeed(seed.name);
    for (size_t at = 0; at < data.size(); ++at) {
      if (data.size() > kShortSeed && at >= kEdge && at < data.size() - kEdge) {
        continue;
      }
      record(CheckSocks5Input(data.substr(0, at)));
      ++inputs;
      for (uint8_t value : kInteresting) {
        std::string varied = data;
        varied[at] = static_cast<char>(value);
        record(CheckSocks5Input(varied));
        ++inputs;
      }
    }
  }
  RecordProperty("inputs", inputs);
  // Reaching here means no promise was broken. Every parser must also have
  // decoded, refused and waited, and refusals must have had every REP.
  for (int parser = 0; parser < 3; ++parser) {
    for (Result result :
         {Result::kWaiting, Result::kDecoded, Result::kRefused}) {
      EXPECT_GT((results[{parser, result}]), 0)
          << "parser " << parser << " result " << static_cast<int>(result);
    }
  }
  EXPECT_GT(error_replies[Socks5ReplyCode::kGeneralFailure], 0);
  EXPECT_GT(error_replies[Socks5ReplyCode::kCommandNotSupported], 0);
  EXPECT_GT(error_replies[Socks5ReplyCode::kAddressTypeNotSupported], 0);
}

}  // namespace
}  // namespace rsockd::net
