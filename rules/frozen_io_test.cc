#include "rules/frozen_io.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "rules/crc32c.h"
#include "testing/status_matchers.h"

namespace rsockd::rules {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::IsOkAndHolds;
using ::rsockd::testing::StatusIs;
using ::testing::HasSubstr;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

TEST(FrozenWriterTest, WritesLittleEndianFields) {
  FrozenWriter writer;
  writer.U8(0xAB);
  writer.U16(0x1234);
  writer.U32(0xDEADBEEF);
  writer.String("hi");
  writer.Bytes("xy");
  EXPECT_EQ(writer.payload(), Bytes({
                                  0xAB,                    // u8
                                  0x34, 0x12,              // u16
                                  0xEF, 0xBE, 0xAD, 0xDE,  // u32
                                  0x02, 0x00, 0x00, 0x00,  // string length
                                  'h', 'i',                // string bytes
                                  'x', 'y',                // raw bytes
                              }));
}

TEST(FrozenReaderTest, ReadsWhatTheWriterWrote) {
  FrozenWriter writer;
  writer.U8(7);
  writer.U16(65535);
  writer.U32(4000000000u);
  writer.String(std::string("a\0b", 3));
  writer.U8(1);
  writer.U32(2);
  writer.Bytes("xy");
  FrozenReader reader(writer.payload());
  EXPECT_EQ(*reader.U8("a"), 7);
  EXPECT_EQ(*reader.U16("b"), 65535);
  EXPECT_EQ(*reader.U32("c"), 4000000000u);
  EXPECT_EQ(*reader.String("d", 3), std::string("a\0b", 3));
  EXPECT_EQ(*reader.Bool("e"), true);
  EXPECT_EQ(*reader.Count("f", 1, 2), 2u);
  EXPECT_THAT(reader.ExpectEnd(), StatusIs(absl::StatusCode::kDataLoss,
                                           HasSubstr("2 unexpected bytes")));
  ASSERT_THAT(reader.Bytes(2, "g"), IsOk());
  EXPECT_THAT(reader.ExpectEnd(), IsOk());
}

TEST(FrozenReaderTest, TruncatedFieldsNameTheFieldAndFileOffset) {
  FrozenReader reader(Bytes({1, 2, 3}));
  ASSERT_THAT(reader.U8("kind"), IsOk());
  EXPECT_THAT(reader.U32("rule count"),
              StatusIs(absl::StatusCode::kDataLoss,
                       "byte 17: rule count: truncated (needs 4 bytes, 2 "
                       "left)"));
  EXPECT_THAT(reader.Bytes(3, "address"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated")));
  EXPECT_THAT(FrozenReader("").U8("x"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated")));
  EXPECT_THAT(FrozenReader("a").U16("x"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated")));
}

TEST(FrozenReaderTest, RejectsStringLengthsAboveTheLimitOrPastTheEnd) {
  // Length 5 with only 2 bytes behind it.
  EXPECT_THAT(FrozenReader(Bytes({5, 0, 0, 0, 'a', 'b'})).String("name", 10),
              StatusIs(absl::StatusCode::kDataLoss,
                       "byte 16: name: length 5 runs past the end (2 bytes "
                       "left)"));
  // A lying length of 4 GiB - 1 is refused before anything is allocated.
  EXPECT_THAT(
      FrozenReader(Bytes({0xFF, 0xFF, 0xFF, 0xFF, 'a'})).String("name", 1000),
      StatusIs(absl::StatusCode::kDataLoss,
               HasSubstr("length 4294967295 is more than the 1000 allowed")));
  EXPECT_THAT(FrozenReader(Bytes({3, 0, 0, 0, 'a', 'b', 'c'})).String("n", 2),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("length 3 is more than the 2 allowed")));
}

TEST(FrozenReaderTest, RejectsCountsTheRemainingBytesCannotHold) {
  // 3 elements of at least 2 bytes need 6 bytes; 5 are left.
  EXPECT_THAT(FrozenReader(Bytes({3, 0, 0, 0, 1, 2, 3, 4, 5}))
                  .Count("rule count", 2, 100),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("3 elements of at least 2 bytes cannot fit "
                                 "in the 5 bytes left")));
  EXPECT_THAT(FrozenReader(Bytes({3, 0, 0, 0, 1, 2, 3, 4, 5, 6}))
                  .Count("rule count", 2, 100),
              IsOk());
  EXPECT_THAT(FrozenReader(Bytes({101, 0, 0, 0})).Count("rule count", 1, 100),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("101 is more than the 100 allowed")));
}

TEST(FrozenReaderTest, BoolIsZeroOrOne) {
  EXPECT_EQ(*FrozenReader(Bytes({0})).Bool("f"), false);
  EXPECT_THAT(FrozenReader(Bytes({2})).Bool("has port"),
              StatusIs(absl::StatusCode::kDataLoss,
                       "byte 16: has port: flag value 2 is not 0 or 1"));
}

TEST(SealFrozenTest, LaysOutHeaderPayloadAndChecksum) {
  ASSERT_OK_AND_ASSIGN(const std::string file,
                       SealFrozen(FrozenKind::kSocksConf, "abc"));
  const std::string header = Bytes({
      'R',  'S',  'O',  'C',  'K', 'D', 'F', 'Z',  // magic
      0x02, 0x00,                                  // format version 2
      0x02, 0x00,                                  // kind 2: socks.conf
      0x03, 0x00, 0x00, 0x00,                      // payload length 3
      'a',  'b',  'c',                             // payload
  });
  ASSERT_EQ(file.size(), header.size() + 4);
  EXPECT_EQ(file.substr(0, header.size()), header);
  const uint32_t crc = Crc32c(header);
  EXPECT_EQ(
      file.substr(header.size()),
      Bytes({static_cast<int>(crc & 0xFF), static_cast<int>((crc >> 8) & 0xFF),
             static_cast<int>((crc >> 16) & 0xFF),
             static_cast<int>(crc >> 24)}));
  EXPECT_THAT(UnsealFrozen(file, FrozenKind::kSocksConf), IsOk());
  EXPECT_EQ(*UnsealFrozen(file, FrozenKind::kSocksConf), "abc");
}

TEST(SealFrozenTest, RefusesToWriteAFileNoReaderWouldAccept) {
  EXPECT_THAT(
      SealFrozen(FrozenKind::kSockdConf, std::string(kMaxFrozenFileSize, 'x')),
      StatusIs(absl::StatusCode::kResourceExhausted,
               HasSubstr("more than the 134217728 bytes")));
}

class UnsealFrozenTest : public ::testing::Test {
 protected:
  const std::string file_ = *SealFrozen(FrozenKind::kSockdConf, "payload!");
};

TEST_F(UnsealFrozenTest, RejectsTextAndEmptyFiles) {
  EXPECT_THAT(UnsealFrozen("permit ALL\n", FrozenKind::kSockdConf),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "not a frozen sockd.conf (no \"RSOCKDFZ\" magic at "
                       "the start)"));
  EXPECT_THAT(UnsealFrozen("", FrozenKind::kSockdRoute),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "not a frozen sockd.route (empty file)"));
}

TEST_F(UnsealFrozenTest, RejectsATruncationAtEveryOffset) {
  for (size_t size = 1; size < file_.size(); ++size) {
    EXPECT_THAT(UnsealFrozen(file_.substr(0, size), FrozenKind::kSockdConf),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated")))
        << "cut at " << size;
  }
}

TEST_F(UnsealFrozenTest, RejectsTrailingBytes) {
  EXPECT_THAT(UnsealFrozen(file_ + "x", FrozenKind::kSockdConf),
              StatusIs(absl::StatusCode::kDataLoss,
                       "trailing bytes: the header gives a payload of 8 "
                       "bytes, the file holds 9"));
}

TEST_F(UnsealFrozenTest, RejectsEveryFlippedByte) {
  for (size_t i = 0; i < file_.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string corrupt = file_;
      corrupt[i] = static_cast<char>(corrupt[i] ^ (1 << bit));
      EXPECT_FALSE(UnsealFrozen(corrupt, FrozenKind::kSockdConf).ok())
          << "byte " << i << " bit " << bit;
    }
  }
  std::string corrupt = file_;
  corrupt[kFrozenHeaderSize] ^= 0x20;
  EXPECT_THAT(
      UnsealFrozen(corrupt, FrozenKind::kSockdConf),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("checksum mismatch")));
}

TEST_F(UnsealFrozenTest, RejectsOtherVersionsEvenWithAValidChecksum) {
  EXPECT_THAT(
      UnsealFrozen(SealFrozenRaw(3, 1, "payload!"), FrozenKind::kSockdConf),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("format version 3 is not supported (this build reads "
                         "versions 1 to 2)")));
  EXPECT_THAT(
      UnsealFrozen(SealFrozenRaw(0, 1, "payload!"), FrozenKind::kSockdConf),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("format version 0")));
}

// docs/frozen_files.md: files of every earlier version still read; the
// reader says which version it is reading, for the layouts that changed.
TEST_F(UnsealFrozenTest, ReadsEveryVersionSinceTheOldest) {
  EXPECT_EQ(kOldestFrozenFormatVersion, 1);
  EXPECT_EQ(kFrozenFormatVersion, 2);
  for (uint16_t version = kOldestFrozenFormatVersion;
       version <= kFrozenFormatVersion; ++version) {
    SCOPED_TRACE(version);
    const std::string file = SealFrozenRaw(version, 1, "payload!");
    EXPECT_THAT(UnsealFrozen(file, FrozenKind::kSockdConf),
                IsOkAndHolds("payload!"));
    ASSERT_OK_AND_ASSIGN(FrozenReader reader,
                         OpenFrozen(file, FrozenKind::kSockdConf));
    EXPECT_EQ(reader.version(), version);
    EXPECT_EQ(reader.offset(), kFrozenHeaderSize);
    EXPECT_EQ(reader.remaining(), 8u);
  }
  EXPECT_THAT(OpenFrozen(SealFrozenRaw(3, 1, "x"), FrozenKind::kSockdConf),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("format version 3")));
  EXPECT_EQ(FrozenReader("").version(), kFrozenFormatVersion);
}

TEST_F(UnsealFrozenTest, RejectsAnotherKind) {
  EXPECT_THAT(UnsealFrozen(file_, FrozenKind::kSocksConf),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "this is a frozen sockd.conf, not a frozen socks.conf"));
  EXPECT_THAT(UnsealFrozen(SealFrozenRaw(1, 9, "x"), FrozenKind::kSockdConf),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "this is a frozen file of unknown kind 9, not a frozen "
                       "sockd.conf"));
}

TEST_F(UnsealFrozenTest, RejectsALyingLength) {
  std::string lying = file_;
  lying[12] = 100;  // The payload length field.
  EXPECT_THAT(UnsealFrozen(lying, FrozenKind::kSockdConf),
              StatusIs(absl::StatusCode::kDataLoss,
                       "truncated: the header gives a payload of 100 bytes, "
                       "the file holds 8"));
  lying[15] = static_cast<char>(0xFF);  // 4 GiB and more.
  EXPECT_THAT(UnsealFrozen(lying, FrozenKind::kSockdConf),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated")));
}

TEST_F(UnsealFrozenTest, RejectsAnOversizedFile) {
  const std::string huge =
      SealFrozenRaw(1, 1, std::string(kMaxFrozenFileSize, 'x'));
  EXPECT_THAT(UnsealFrozen(huge, FrozenKind::kSockdConf),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("more than the 134217728 allowed")));
}

TEST(AddFrozenContextTest, KeepsTheCodeAndPrefixesTheMessage) {
  EXPECT_THAT(AddFrozenContext(absl::DataLossError("byte 3: x"), "rule 2"),
              StatusIs(absl::StatusCode::kDataLoss, "rule 2: byte 3: x"));
}

}  // namespace
}  // namespace rsockd::rules
