#include "rules/upstream_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rules/lexer.h"
#include "testing/status_matchers.h"

namespace rsockd::rules {

void PrintTo(const UpstreamServer& server, std::ostream* os) {
  *os << server.ToString(Secrets::kShown);
}

namespace {

using ::rsockd::testing::IsOkAndHolds;
using ::rsockd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// The password of the tests: no error message may quote it, or any part.
constexpr char kSecret[] = "s3cret";

absl::StatusOr<UpstreamServer> Parse(absl::string_view text) {
  return UpstreamServer::Parse(Token{std::string(text), 1, 1});
}

UpstreamServer Server(absl::string_view host, uint16_t port,
                      UpstreamScheme scheme = UpstreamScheme::kSocks4a,
                      std::optional<UpstreamCredentials> credentials = {}) {
  return UpstreamServer{std::string(host), port, scheme,
                        std::move(credentials)};
}

UpstreamServer Socks5(absl::string_view host, uint16_t port,
                      absl::string_view user, absl::string_view password) {
  return Server(host, port, UpstreamScheme::kSocks5,
                UpstreamCredentials{std::string(user), std::string(password)});
}

// The error message of parsing `text`, which must fail.
std::string ErrorOf(absl::string_view text) {
  absl::StatusOr<UpstreamServer> server = Parse(text);
  EXPECT_THAT(server,
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_))
      << text;
  return server.ok() ? "" : std::string(server.status().message());
}

TEST(UpstreamServerTest, BareEntriesAreSocks4aAsBefore) {
  EXPECT_THAT(Parse("FW.example.org"),
              IsOkAndHolds(Server("fw.example.org", 1080)));
  EXPECT_THAT(Parse("10.0.0.2:socks"), IsOkAndHolds(Server("10.0.0.2", 1080)));
  EXPECT_THAT(Parse("[2001:db8::1]:1082"),
              IsOkAndHolds(Server("2001:db8::1", 1082)));
  EXPECT_THAT(Parse("[::2]"), IsOkAndHolds(Server("::2", 1080)));
  EXPECT_THAT(Parse("::1"), IsOkAndHolds(Server("::1", 1080)));
  EXPECT_EQ(Parse("fw")->ToString(), "fw:1080");
  EXPECT_EQ(Parse("::1")->ToString(), "[::1]:1080");
}

TEST(UpstreamServerTest, ParsesEachScheme) {
  EXPECT_THAT(Parse("socks4a://fw:1081"), IsOkAndHolds(Server("fw", 1081)));
  EXPECT_THAT(Parse("SOCKS4://FW"),
              IsOkAndHolds(Server("fw", 1080, UpstreamScheme::kSocks4)));
  EXPECT_THAT(Parse("socks5://fw"),
              IsOkAndHolds(Server("fw", 1080, UpstreamScheme::kSocks5)));
  EXPECT_THAT(Parse("Socks5://10.1.1.1:1081"),
              IsOkAndHolds(Server("10.1.1.1", 1081, UpstreamScheme::kSocks5)));
  EXPECT_THAT(Parse("socks4://[::ffff:10.1.1.1]:1081"),
              IsOkAndHolds(Server("10.1.1.1", 1081, UpstreamScheme::kSocks4)));
  EXPECT_THAT(
      Parse("socks5://[2001:db8::1]"),
      IsOkAndHolds(Server("2001:db8::1", 1080, UpstreamScheme::kSocks5)));
  EXPECT_THAT(Parse("socks5://alice:s3cret@fw:1081"),
              IsOkAndHolds(Socks5("fw", 1081, "alice", "s3cret")));
  EXPECT_THAT(Parse("socks5://alice:s3cret@[2001:db8::1]"),
              IsOkAndHolds(Socks5("2001:db8::1", 1080, "alice", "s3cret")));
}

TEST(UpstreamServerTest, NormalizedFormsOmitTheDefaultScheme) {
  EXPECT_EQ(Parse("socks4a://fw")->ToString(), "fw:1080");
  EXPECT_EQ(Parse("socks4://fw")->ToString(), "socks4://fw:1080");
  EXPECT_EQ(Parse("socks5://[::1]:1081")->ToString(), "socks5://[::1]:1081");
  EXPECT_EQ(Parse("socks5://[::1]:1081")->ToString(Secrets::kShown),
            "socks5://[::1]:1081");
}

TEST(UpstreamServerTest, CredentialsAreMaskedUnlessAskedFor) {
  const UpstreamServer server = *Parse("socks5://alice:s3cret@fw:1081");
  EXPECT_EQ(server.ToString(), "socks5://***@fw:1081");
  EXPECT_EQ(server.ToString(Secrets::kMasked), "socks5://***@fw:1081");
  EXPECT_EQ(server.ToString(Secrets::kShown), "socks5://alice:s3cret@fw:1081");
}

TEST(UpstreamServerTest, PercentEscapesDecodeAndReencode) {
  const UpstreamServer server =
      *Parse("socks5://al%69ce%3a%25:p%40ss:w%2C%25%23%20%0Ax%c3%A9@fw");
  ASSERT_TRUE(server.credentials.has_value());
  EXPECT_EQ(server.credentials->user, "alice:%");
  EXPECT_EQ(server.credentials->password, "p@ss:w,%# \nx\xc3\xa9");
  // Only what must be escaped is; a ':' in the password need not be.
  const std::string shown = server.ToString(Secrets::kShown);
  EXPECT_EQ(shown,
            "socks5://alice%3A%25:p%40ss:w%2C%25%23%20%0Ax\xc3\xa9@fw:1080");
  EXPECT_THAT(Parse(shown), IsOkAndHolds(server));
}

TEST(UpstreamServerTest, RawBytesOtherThanTheDelimitersAreKept) {
  EXPECT_THAT(Parse("socks5://u:a:b/[]!\xc3\xa9@fw"),
              IsOkAndHolds(Socks5("fw", 1080, "u", "a:b/[]!\xc3\xa9")));
  // UTF-8 is shown as it was written, not escaped.
  EXPECT_EQ(Parse("socks5://\xc3\xa9:p@fw")->ToString(Secrets::kShown),
            "socks5://\xc3\xa9:p@fw:1080");
}

TEST(UpstreamServerTest, CredentialsUpTo255BytesOnceDecoded) {
  const std::string longest(kMaxUpstreamCredentialLength, 'u');
  EXPECT_THAT(Parse(absl::StrCat("socks5://", longest, ":", longest, "@fw")),
              IsOkAndHolds(Socks5("fw", 1080, longest, longest)));
  EXPECT_THAT(ErrorOf(absl::StrCat("socks5://", longest, "u:p@fw")),
              HasSubstr("1:10: the user name is 256 bytes, more than the 255 "
                        "SOCKS5 allows"));
  std::string escaped;
  for (int i = 0; i < 256; ++i) escaped += "%41";
  EXPECT_THAT(ErrorOf(absl::StrCat("socks5://u:", escaped, "@fw")),
              HasSubstr("1:12: the password is 256 bytes, more than the 255 "
                        "SOCKS5 allows"));
}

TEST(UpstreamServerTest, ErrorsAreLocatedAndNeverQuoteTheCredentials) {
  struct Case {
    std::string text;
    const char* error;
  };
  const std::string secret = kSecret;
  const Case cases[] = {
      {"http://fw",
       "1:1: unknown scheme \"http\": write socks4a://, "
       "socks4:// or socks5://"},
      {"://fw", "1:1: unknown scheme \"\""},
      {"socks5://", "1:10: missing server after \"socks5://\""},
      {"socks5://u:" + secret + "@", "1:19: missing server after '@'"},
      {"socks5://:" + secret + "@fw", "1:10: empty user name"},
      {"socks5://u:@fw", "1:12: empty password"},
      {"socks5://" + secret + "@fw",
       "1:10: missing ':' and password after the user name"},
      {"socks5://***@fw",
       "1:10: the credentials were masked (***) by a dump: write "
       "user:password"},
      {"socks4://u:" + secret + "@fw",
       "1:10: a user name and password are only for socks5:// servers"},
      {"socks4a://u:" + secret + "@fw", "1:11: a user name and password"},
      {"u:" + secret + "@fw",
       "1:1: a user name and password are only for "
       "socks5:// servers"},
      {"socks5://u:" + secret + "@x@fw",
       "1:10: '@' in a user name or password must be written %40"},
      {"socks5://u:" + secret + "%4@fw",
       "1:18: invalid %-escape in the password: write % followed by two hex "
       "digits (%25 for '%' itself)"},
      {"socks5://u%zz:" + secret + "@fw",
       "1:11: invalid %-escape in the user name"},
      {"socks5://u:" + secret + "\x01@fw",
       "1:18: control byte in the password: write it as %XX"},
      {"socks5://u:" + secret + "@fw:99999", "1:22: port \"99999\" is out of"},
      {"socks5://u:" + secret + "@fw:", "1:22: missing port after ':'"},
      {"socks5://u:" + secret + "@[::1", "1:19: missing ']'"},
      {"socks5://u:" + secret + "@bad_host", "1:19: invalid host name"},
      {"socks5://u:" + secret.substr(0, 2),
       "1:10: invalid server after socks5:// (in a user name or password, "
       "write '#' as %23 and ',' as %2C)"},
      {"u:s3://fw", "1:1: unknown scheme: write socks4a://"},
      {"socks4://[10.0.0.1]", "1:10: invalid IPv6 address"},
      {"socks4://[::1]x", "1:15: expected ':port' after ']'"},
  };
  for (const Case& c : cases) {
    const std::string error = ErrorOf(c.text);
    EXPECT_THAT(error, HasSubstr(c.error)) << c.text;
    EXPECT_THAT(error, Not(HasSubstr(secret))) << c.text;
    EXPECT_THAT(error, Not(HasSubstr("cret"))) << c.text;
  }
}

TEST(UpstreamServerTest, ParsesAListOfMixedEntries) {
  EXPECT_THAT(
      UpstreamServer::ParseList(
          Token{"socks5://a:b@fw1,socks4://fw2:1081,fw3", 1, 1}),
      IsOkAndHolds(ElementsAre(Socks5("fw1", 1080, "a", "b"),
                               Server("fw2", 1081, UpstreamScheme::kSocks4),
                               Server("fw3", 1080))));
  EXPECT_THAT(UpstreamServer::ParseList(Token{"a,,b", 1, 7}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("1:9: empty server name")));
}

// A ',' ends an entry, so one in a password splits it; the error says what
// to write, without quoting either half.
TEST(UpstreamServerTest, CommaInCredentialsIsAnErrorThatSaysWhy) {
  const absl::StatusOr<std::vector<UpstreamServer>> list =
      UpstreamServer::ParseList(Token{"fw0,socks5://alice:s3,cret@fw", 1, 1});
  EXPECT_THAT(list,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("1:5: ',' in a user name or password must be "
                                 "written %2C")));
  EXPECT_THAT(std::string(list.status().message()), Not(HasSubstr("cret")));
  EXPECT_THAT(std::string(list.status().message()), Not(HasSubstr("alice")));
}

TEST(UpstreamServerTest, SchemeNames) {
  EXPECT_EQ(UpstreamSchemeName(UpstreamScheme::kSocks4a), "socks4a");
  EXPECT_EQ(UpstreamSchemeName(UpstreamScheme::kSocks4), "socks4");
  EXPECT_EQ(UpstreamSchemeName(UpstreamScheme::kSocks5), "socks5");
}

TEST(UpstreamServerTest, DefaultPortIsTheSocksService) {
  // Debian's /etc/services lists socks 1080/tcp; the fallback is 1080 too.
  EXPECT_EQ(DefaultUpstreamPort(), 1080);
}

}  // namespace
}  // namespace rsockd::rules
