#include "rules/port_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <ostream>

#include "testing/status_matchers.h"

namespace rsockd::rules {

void PrintTo(const PortSpec& spec, std::ostream* os) { *os << spec.ToString(); }

namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::IsOkAndHolds;
using ::rsockd::testing::StatusIs;
using Op = PortSpec::Op;

TEST(PortSpecTest, ParsesEveryOperator) {
  const struct {
    const char* text;
    Op op;
  } cases[] = {{"eq 23", Op::kEq}, {"neq 23", Op::kNeq}, {"lt 23", Op::kLt},
               {"gt 23", Op::kGt}, {"le 23", Op::kLe},   {"ge 23", Op::kGe}};
  for (const auto& c : cases) {
    ASSERT_OK_AND_ASSIGN(PortSpec spec, PortSpec::ParseText(c.text));
    EXPECT_EQ(spec, PortSpec(c.op, 23)) << c.text;
    EXPECT_EQ(spec.ToString(), c.text);
  }
}

TEST(PortSpecTest, OperatorsCompareTheRequestPort) {
  EXPECT_TRUE(PortSpec(Op::kEq, 23).Matches(23));
  EXPECT_FALSE(PortSpec(Op::kEq, 23).Matches(24));
  EXPECT_TRUE(PortSpec(Op::kNeq, 23).Matches(24));
  EXPECT_FALSE(PortSpec(Op::kNeq, 23).Matches(23));
  EXPECT_TRUE(PortSpec(Op::kLt, 1024).Matches(1023));
  EXPECT_FALSE(PortSpec(Op::kLt, 1024).Matches(1024));
  EXPECT_TRUE(PortSpec(Op::kGt, 1024).Matches(1025));
  EXPECT_FALSE(PortSpec(Op::kGt, 1024).Matches(1024));
  EXPECT_TRUE(PortSpec(Op::kLe, 1024).Matches(1024));
  EXPECT_FALSE(PortSpec(Op::kLe, 1024).Matches(1025));
  EXPECT_TRUE(PortSpec(Op::kGe, 1024).Matches(1024));
  EXPECT_FALSE(PortSpec(Op::kGe, 1024).Matches(1023));
}

TEST(PortSpecTest, ResolvesTcpServiceNames) {
  ASSERT_OK_AND_ASSIGN(PortSpec telnet, PortSpec::ParseText("eq telnet"));
  EXPECT_EQ(telnet.port(), 23);
  EXPECT_EQ(telnet.ToString(), "eq 23");
  ASSERT_OK_AND_ASSIGN(PortSpec ftp, PortSpec::ParseText("neq ftp"));
  EXPECT_EQ(ftp.port(), 21);
  ASSERT_OK_AND_ASSIGN(PortSpec http, PortSpec::ParseText("le http"));
  EXPECT_EQ(http.port(), 80);
}

TEST(PortSpecTest, AcceptsTheWholePortRange) {
  EXPECT_THAT(PortSpec::ParseText("eq 0"), IsOk());
  ASSERT_OK_AND_ASSIGN(PortSpec top, PortSpec::ParseText("eq 65535"));
  EXPECT_EQ(top.port(), 65535);
  ASSERT_OK_AND_ASSIGN(PortSpec padded, PortSpec::ParseText("eq 00080"));
  EXPECT_EQ(padded.port(), 80);
}

TEST(PortSpecTest, RejectsPortsOutOfRange) {
  EXPECT_THAT(PortSpec::ParseText("eq 65536"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:4: port \"65536\" is out of range 0..65535"));
  EXPECT_THAT(PortSpec::ParseText("eq 99999999999999999999"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("is out of range 0..65535")));
}

TEST(PortSpecTest, RejectsUnknownServices) {
  EXPECT_THAT(PortSpec::ParseText("eq  no-such-service"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:5: unknown service \"no-such-service\": expected a "
                       "port number 0..65535 or a tcp service name from "
                       "/etc/services"));
  EXPECT_THAT(PortSpec::ParseText("eq -1"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("1:4: unknown service \"-1\"")));
  EXPECT_THAT(PortSpec::ParseText(std::string("eq ") + std::string(300, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("unknown service")));
}

TEST(PortSpecTest, RejectsADanglingOperator) {
  EXPECT_THAT(PortSpec::ParseText("  ge"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:3: operator \"ge\" needs a port number or service "
                       "name after it"));
}

TEST(PortSpecTest, RejectsUnknownOperators) {
  EXPECT_THAT(PortSpec::ParseText("EQ 23"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:1: unknown operator \"EQ\": expected eq, neq, lt, "
                       "gt, le or ge"));
  EXPECT_FALSE(PortSpec::IsOperator("ne"));
  EXPECT_TRUE(PortSpec::IsOperator("neq"));
}

TEST(PortSpecTest, RejectsTrailingTokens) {
  EXPECT_THAT(PortSpec::ParseText("eq 23 24"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:7: unexpected \"24\" after the port test"));
}

// The rule end of "dst_spec [op port]" for the tokens of `text`, with `*=`
// as the only field of the caller's grammar.
absl::StatusOr<std::optional<PortSpec>> RuleEnd(absl::string_view text) {
  absl::StatusOr<Line> line = LexLine(text, 1);
  if (!line.ok()) return line.status();
  TokenCursor cursor(line->tokens);
  return ParsePortTestAndEnd(&cursor, [](const Token& token) {
    return token.text.rfind("*=", 0) == 0
               ? TokenError(token, "field after the address")
               : absl::OkStatus();
  });
}

TEST(ParsePortTestAndEndTest, AcceptsNoPortTestOrOneAtTheEnd) {
  EXPECT_THAT(RuleEnd(""), IsOkAndHolds(std::nullopt));
  EXPECT_THAT(RuleEnd("lt 1024"), IsOkAndHolds(PortSpec(Op::kLt, 1024)));
}

TEST(ParsePortTestAndEndTest, ExplainsALeftOverToken) {
  EXPECT_THAT(RuleEnd("eq 23 *=root"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:7: field after the address"));
  EXPECT_THAT(RuleEnd("eq 23 eq 24"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:7: duplicated port test \"eq\""));
  EXPECT_THAT(RuleEnd("eq 23 24"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:7: unexpected \"24\" after the port test"));
  EXPECT_THAT(RuleEnd("10.0.0.0"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:1: unexpected \"10.0.0.0\" after the destination "
                       "address: expected a port test (eq, neq, lt, gt, le, "
                       "ge), ':' or the end of the line"));
}

}  // namespace
}  // namespace rsockd::rules
