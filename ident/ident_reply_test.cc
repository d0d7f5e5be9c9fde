#include "ident/ident_reply.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "absl/status/status.h"
#include "testing/status_matchers.h"

namespace rsockd::ident {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

// The query every test answers: client port 6193, server port 23.
constexpr uint16_t kClientPort = 6193;
constexpr uint16_t kServerPort = 23;

absl::StatusOr<std::string> Parse(absl::string_view line) {
  return ParseIdentReply(line, kClientPort, kServerPort);
}

void ExpectMalformed(absl::string_view line) {
  EXPECT_THAT(Parse(line), StatusIs(absl::StatusCode::kInvalidArgument,
                                    HasSubstr("malformed reply")))
      << "line: " << line;
}

TEST(ParseIdentReplyTest, ParsesUserIdReplyWithCrLf) {
  EXPECT_EQ(*Parse("6193 , 23 : USERID : UNIX : ylee\r\n"), "ylee");
}

TEST(ParseIdentReplyTest, ParsesLineWithoutTerminatorOrWithBareLf) {
  EXPECT_EQ(*Parse("6193,23:USERID:UNIX:ylee"), "ylee");
  EXPECT_EQ(*Parse("6193,23:USERID:UNIX:ylee\n"), "ylee");
}

TEST(ParseIdentReplyTest, ParsesRfcExample) {
  EXPECT_EQ(*Parse("6193, 23 : USERID : UNIX : stjohns\r\n"), "stjohns");
}

TEST(ParseIdentReplyTest, AcceptsCharset) {
  EXPECT_EQ(*Parse("6193 , 23 : USERID : UNIX , US-ASCII : ylee\r\n"), "ylee");
  EXPECT_EQ(*Parse("6193,23:USERID:UNIX,OCTET:ylee\r\n"), "ylee");
}

TEST(ParseIdentReplyTest, AcceptsAnyOperatingSystem) {
  EXPECT_EQ(*Parse("6193 , 23 : USERID : OTHER : 7f3a9c\r\n"), "7f3a9c");
  EXPECT_EQ(*Parse("6193 , 23 : USERID : WIN32 : bob\r\n"), "bob");
}

TEST(ParseIdentReplyTest, KeywordIsCaseInsensitive) {
  EXPECT_EQ(*Parse("6193 , 23 : userid : UNIX : ylee\r\n"), "ylee");
  EXPECT_EQ(*Parse("6193 , 23 : UserId : UNIX : ylee\r\n"), "ylee");
}

TEST(ParseIdentReplyTest, AllowsBlanksAroundEveryToken) {
  EXPECT_EQ(*Parse("  6193\t,\t23  :\tUSERID\t:  UNIX\t,\tOCTET  :\t ylee \t"
                   "\r\n"),
            "ylee");
}

TEST(ParseIdentReplyTest, TrimsUserIdButKeepsInnerBlanks) {
  EXPECT_EQ(*Parse("6193,23:USERID:UNIX:  John Smith \t\r\n"), "John Smith");
}

TEST(ParseIdentReplyTest, UserIdMayContainColons) {
  EXPECT_EQ(*Parse("6193,23:USERID:OTHER:a:b::c\r\n"), "a:b::c");
  EXPECT_EQ(*Parse("6193,23:USERID:OTHER: :x: \r\n"), ":x:");
}

TEST(ParseIdentReplyTest, ErrorRepliesSayWhichError) {
  EXPECT_THAT(
      Parse("6193 , 23 : ERROR : NO-USER\r\n"),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("ERROR : NO-USER")));
  EXPECT_THAT(
      Parse("6193,23:ERROR:INVALID-PORT"),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("ERROR : INVALID-PORT")));
  EXPECT_THAT(
      Parse("6193,23: error :HIDDEN-USER\r\n"),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("ERROR : HIDDEN-USER")));
  EXPECT_THAT(Parse("6193,23:ERROR:UNKNOWN-ERROR\r\n"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("ERROR : UNKNOWN-ERROR")));
}

TEST(ParseIdentReplyTest, RejectsErrorReplyWithoutErrorType) {
  ExpectMalformed("6193,23:ERROR:\r\n");
  ExpectMalformed("6193,23:ERROR:NO-USER:extra\r\n");
}

TEST(ParseIdentReplyTest, RejectsWrongPorts) {
  EXPECT_THAT(Parse("6194 , 23 : USERID : UNIX : ylee\r\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ports 6194,23 do not match 6193,23")));
  EXPECT_THAT(
      Parse("6193 , 24 : USERID : UNIX : ylee\r\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("do not match")));
  // An ERROR for someone else's query is a mismatch, not our error.
  EXPECT_THAT(Parse("1 , 2 : ERROR : NO-USER\r\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ports 1,2 do not match 6193,23")));
}

TEST(ParseIdentReplyTest, RejectsSwappedPorts) {
  EXPECT_THAT(Parse("23 , 6193 : USERID : UNIX : ylee\r\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ports 23,6193 do not match 6193,23")));
}

TEST(ParseIdentReplyTest, RejectsMissingFields) {
  ExpectMalformed("");
  ExpectMalformed("\r\n");
  ExpectMalformed("6193 , 23\r\n");
  ExpectMalformed("6193 , 23 : USERID\r\n");
  ExpectMalformed("6193 , 23 : USERID : UNIX\r\n");
  ExpectMalformed("6193 : USERID : UNIX : ylee\r\n");
  ExpectMalformed(" , 23 : USERID : UNIX : ylee\r\n");
  ExpectMalformed("6193 , : USERID : UNIX : ylee\r\n");
  ExpectMalformed("6193 , 23 : : UNIX : ylee\r\n");
  ExpectMalformed("6193 , 23 : USERID : : ylee\r\n");
  ExpectMalformed("6193 , 23 : USERID : UNIX , : ylee\r\n");
  ExpectMalformed("6193 , 23 : USERID : , OCTET : ylee\r\n");
}

TEST(ParseIdentReplyTest, RejectsEmptyUserId) {
  EXPECT_THAT(
      Parse("6193 , 23 : USERID : UNIX :\r\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty user id")));
  EXPECT_THAT(
      Parse("6193 , 23 : USERID : UNIX : \t \r\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty user id")));
}

TEST(ParseIdentReplyTest, RejectsNonNumericPorts) {
  ExpectMalformed("61a3 , 23 : USERID : UNIX : ylee\r\n");
  ExpectMalformed("6193 , telnet : USERID : UNIX : ylee\r\n");
  ExpectMalformed("+6193 , 23 : USERID : UNIX : ylee\r\n");
  ExpectMalformed("-1 , 23 : USERID : UNIX : ylee\r\n");
  ExpectMalformed("61 93 , 23 : USERID : UNIX : ylee\r\n");
  ExpectMalformed("6193 , 23 , 1 : USERID : UNIX : ylee\r\n");
}

TEST(ParseIdentReplyTest, RejectsPortsAboveRange) {
  ExpectMalformed("65536 , 23 : USERID : UNIX : ylee\r\n");
  ExpectMalformed("6193 , 99999 : USERID : UNIX : ylee\r\n");
  ExpectMalformed("0006193 , 23 : USERID : UNIX : ylee\r\n");
  EXPECT_EQ(*ParseIdentReply("65535,1:USERID:UNIX:root", 65535, 1), "root");
}

TEST(ParseIdentReplyTest, RejectsUnknownReplyType) {
  ExpectMalformed("6193 , 23 : USER : UNIX : ylee\r\n");
  ExpectMalformed("6193 , 23 : USERIDX : UNIX : ylee\r\n");
}

TEST(ParseIdentReplyTest, RejectsGarbage) {
  ExpectMalformed("HTTP/1.1 400 Bad Request\r\n");
  ExpectMalformed("SSH-2.0-OpenSSH_9.2\r\n");
  ExpectMalformed(":::\r\n");
  ExpectMalformed(",:,:,:,\r\n");
}

TEST(ParseIdentReplyTest, RejectsControlCharactersInsideTheLine) {
  ExpectMalformed("6193,23:USERID:UNIX:yl\nee\r\n");
  ExpectMalformed("6193,23:USERID:UNIX:yl\ree\r\n");
  ExpectMalformed(absl::string_view("6193,23:USERID:UNIX:yl\0ee", 25));
  // Only one terminator is stripped.
  ExpectMalformed("6193,23:USERID:UNIX:ylee\r\n\r\n");
}

TEST(ParseIdentReplyTest, ErrorMessagesEscapeTheReply) {
  absl::StatusOr<std::string> result = Parse("\x01\x7f garbage\r\n");
  ASSERT_THAT(result, Not(IsOk()));
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("\\x01\\x7f garbage\\r\\n"));
  const std::string long_line(5000, 'x');
  result = Parse(long_line);
  ASSERT_THAT(result, Not(IsOk()));
  EXPECT_LT(result.status().message().size(), 200u);
}

TEST(ParseIdentReplyTest, RandomBytesNeverCrash) {
  std::mt19937 random(1413);
  // Mostly bytes that matter to the grammar, so that the parser gets past
  // its first checks often.
  const std::string alphabet = "0123456789:,: \t\r\nUSERIDERRORuseridOCTET\x80";
  for (int i = 0; i < 5000; ++i) {
    std::string line(random() % 64, '\0');
    for (char& c : line) {
      c = (random() % 4 == 0) ? static_cast<char>(random() % 256)
                              : alphabet[random() % alphabet.size()];
    }
    absl::StatusOr<std::string> result = Parse(line);
    if (result.ok()) {
      EXPECT_FALSE(result->empty());
    }
  }
  for (int i = 0; i < 2000; ++i) {
    std::string line = "6193 , 23 : USERID : UNIX : ";
    const size_t length = random() % 32;
    for (size_t j = 0; j < length; ++j) {
      line.push_back(static_cast<char>(random() % 256));
    }
    absl::StatusOr<std::string> result = Parse(line);
    if (result.ok()) {
      EXPECT_FALSE(result->empty());
    }
  }
}

}  // namespace
}  // namespace rsockd::ident
