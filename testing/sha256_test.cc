#include "testing/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace rsockd::testing {
namespace {

// Test vectors from FIPS 180-4's examples (NIST CSRC).
TEST(Sha256Test, MatchesKnownDigests) {
  EXPECT_EQ(Sha256::Of(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256::Of("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(
      Sha256::Of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256::Of(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, IncrementalUpdatesEqualOneShot) {
  const std::string data = PseudoRandomBytes(10007, 1);
  for (size_t piece : {1, 3, 63, 64, 65, 1000}) {
    Sha256 hash;
    for (size_t i = 0; i < data.size(); i += piece) {
      hash.Update(absl::string_view(data).substr(i, piece));
    }
    EXPECT_EQ(hash.HexDigest(), Sha256::Of(data)) << "piece " << piece;
  }
}

TEST(Sha256Test, PaddingBoundaries) {
  // 55 and 56 bytes straddle the one-block/two-block padding boundary.
  EXPECT_EQ(Sha256::Of(std::string(55, 'a')),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(Sha256::Of(std::string(56, 'a')),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(Sha256::Of(std::string(64, 'a')),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST(PseudoRandomBytesTest, IsReproducibleAndSeedDependent) {
  EXPECT_EQ(PseudoRandomBytes(1001, 7), PseudoRandomBytes(1001, 7));
  EXPECT_NE(PseudoRandomBytes(1001, 7), PseudoRandomBytes(1001, 8));
  EXPECT_EQ(PseudoRandomBytes(1001, 7).size(), 1001u);
  EXPECT_EQ(PseudoRandomBytes(5, 7), PseudoRandomBytes(1001, 7).substr(0, 5));
}

}  // namespace
}  // namespace rsockd::testing
