#include "rules/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace rsockd::rules {
namespace {

TEST(Crc32cTest, MatchesTheStandardCheckValue) {
  // The "check" value of the CRC-32C parameter set (RFC 3720, B.4 catalogue).
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
}

TEST(Crc32cTest, MatchesTheIscsiTestVectors) {
  // RFC 3720, appendix B.4: 32 bytes of zeros, of 0xFF, and ascending bytes.
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(Crc32c(ascending), 0x46DD794Eu);
}

TEST(Crc32cTest, EmptyInputIsZero) { EXPECT_EQ(Crc32c(""), 0u); }

TEST(Crc32cTest, PiecesChain) {
  const std::string whole = "permit 128.12.0.0 255.255.0.0\n";
  for (size_t split = 0; split <= whole.size(); ++split) {
    EXPECT_EQ(Crc32c(whole.substr(split), Crc32c(whole.substr(0, split))),
              Crc32c(whole))
        << "split at " << split;
  }
}

TEST(Crc32cTest, EverySingleBitFlipChangesTheChecksum) {
  const std::string data = "deny ALL : logger %u";
  const uint32_t original = Crc32c(data);
  for (size_t i = 0; i < data.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = data;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      EXPECT_NE(Crc32c(flipped), original) << "byte " << i << " bit " << bit;
    }
  }
}

}  // namespace
}  // namespace rsockd::rules
