#include "rsockd/server/log_field.h"

#include <gtest/gtest.h>

#include <string>

namespace rsockd {
namespace {

TEST(EscapeLogFieldTest, PlainValuesAreUnchanged) {
  for (const char* plain : {"ylee", "www.example.org", "2001:db8::1",
                            "a-b_c~d+e=f,g/h!i$j*k&l?m^n", ""}) {
    EXPECT_EQ(EscapeLogField(plain), plain);
  }
}

// A user id that would make the line read as a request from someone else.
TEST(EscapeLogFieldTest, ForgedRequestCannotSurvive) {
  EXPECT_EQ(EscapeLogField("ceo(ceo)@10.20.30.40 to payroll"),
            "ceo%28ceo%29%4010.20.30.40%20to%20payroll");
  EXPECT_EQ(EscapeLogField("x [sockd.conf:1]"), "x%20%5Bsockd.conf:1%5D");
}

TEST(EscapeLogFieldTest, EscapesThePercentAndEveryOtherByte) {
  EXPECT_EQ(EscapeLogField("100%"), "100%25");
  EXPECT_EQ(EscapeLogField(std::string("a\nb\0c\xff\t", 7)), "a%0Ab%00c%FF%09");
  EXPECT_EQ(EscapeLogField("\"'\\#<>"), "%22%27%5C%23%3C%3E");
}

TEST(PrintableLineTest, ReplacesControlAndNonAsciiBytes) {
  EXPECT_EQ(PrintableLine(std::string("ok\n[2] connected\r\x7f\x80", 19)),
            "ok?[2] connected???");
}

}  // namespace
}  // namespace rsockd
