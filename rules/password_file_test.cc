#include "rules/password_file.h"

#include <crypt.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "glog/logging.h"
#include "rules/lexer.h"
#include "testing/status_matchers.h"
#include "testing/subprocess.h"

namespace rsockd::rules {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::RunCommand;
using ::rsockd::testing::StatusIs;
using ::rsockd::testing::SubprocessResult;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Made by the tools when this test was written, from the password "secret"
// (the examples of password_file.h).
constexpr char kMkpasswdYescrypt[] =
    "$y$j9T$foXcy0FQq1ITB99QAs/F6/$sP4jxMaLhr.jqiVkMGW.lqOhWyis8UPxXwiyG46mzJ9";
constexpr char kMkpasswdSha512[] =
    "$6$AV001fddtG0QpB9F$jxox2UVURsUH6MQtlqJ6vmoAs7r2k4Tsr2fwlv72KzkW94L5W3LC45"
    "u2AVWSuuNZLo0saBgkA9lyDprWKHmm01";
constexpr char kHtpasswdBcrypt[] =
    "$2y$05$T0bPMibLlvXpZxGhNcVTsuSllZWysfEZ7WPyzXrK6tmUwrMQ9e/1K";

constexpr absl::Duration kToolTimeout = absl::Seconds(60);

// A hash of `password` made now by crypt(3): a fresh random salt for the
// method `prefix` ("$y$", "$6$", "$2b$") at cost `count` (0: the method's
// default).
std::string MakeHash(const char* prefix, unsigned long count,
                     const std::string& password) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  // No random bytes given: crypt_gensalt_rn gets them from the system.
  CHECK(crypt_gensalt_rn(prefix, count, nullptr, 0, setting, sizeof(setting)) !=
        nullptr)
      << prefix;
  crypt_data data = {};
  const char* hash = crypt_r(password.c_str(), setting, &data);
  CHECK(hash != nullptr && hash[0] != '*') << setting;
  return hash;
}

// Stands in for crypt(3): the hash of a password P is "hash-of-P", and
// "unusable" is a hash CheckHash refuses. Records the hash of every
// Matches() call.
class FakeVerifier : public PasswordVerifier {
 public:
  absl::Status CheckHash(absl::string_view hash) const override {
    if (hash == "unusable") return absl::InvalidArgumentError("fake refusal");
    return absl::OkStatus();
  }

  bool Matches(absl::string_view password,
               absl::string_view hash) const override {
    absl::MutexLock lock(&mu_);
    checked_.emplace_back(hash);
    return hash == absl::StrCat("hash-of-", password);
  }

  std::vector<std::string> checked() const {
    absl::MutexLock lock(&mu_);
    return checked_;
  }

 private:
  mutable absl::Mutex mu_;
  mutable std::vector<std::string> checked_ ABSL_GUARDED_BY(mu_);
};

// The error message of parsing `text` as "p" with `verifier`; "" (and a
// test failure) when it parses.
std::string ParseError(absl::string_view text,
                       const PasswordVerifier& verifier) {
  absl::StatusOr<PasswordFile> file = PasswordFile::Parse(text, "p", verifier);
  EXPECT_THAT(file, StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_))
      << text;
  return file.ok() ? "" : std::string(file.status().message());
}

std::string ParseError(absl::string_view text) {
  static const FakeVerifier* const verifier = new FakeVerifier();
  return ParseError(text, *verifier);
}

TEST(PasswordFileTest, ReadsUsersInFileOrderSkippingBlanksAndComments) {
  const FakeVerifier verifier;
  ASSERT_OK_AND_ASSIGN(const PasswordFile file,
                       PasswordFile::Parse("# users\n"
                                           "alice:hash-of-a\n"
                                           "\n"
                                           "  bob:hash-of-b   # trailing\r\n"
                                           "#NO_IDENTD: not special here\n"
                                           "Alice:hash-of-A\n",
                                           "p", verifier));
  EXPECT_EQ(file.filename(), "p");
  EXPECT_THAT(file.users(), ElementsAre("alice", "bob", "Alice"));
  EXPECT_TRUE(file.Verify("bob", "b"));
  // Names are compared exactly.
  EXPECT_TRUE(file.Verify("Alice", "A"));
  EXPECT_FALSE(file.Verify("Alice", "a"));
  // Checking a hash at load is the verifier's CheckHash, not Matches.
  EXPECT_THAT(verifier.checked(),
              ElementsAre("hash-of-b", "hash-of-A", "hash-of-A"));
}

TEST(PasswordFileTest, AnEmptyFileVerifiesNobodyAndChecksNothing) {
  const FakeVerifier verifier;
  ASSERT_OK_AND_ASSIGN(const PasswordFile file,
                       PasswordFile::Parse("# nobody yet\n", "p", verifier));
  EXPECT_THAT(file.users(), IsEmpty());
  EXPECT_FALSE(file.Verify("alice", "a"));
  EXPECT_THAT(verifier.checked(), IsEmpty());
}

// The same work for a user the file does not name: one check, against a
// hash of the file (the first user's), whose answer is then ignored.
TEST(PasswordFileTest, AnUnknownUserCostsOneCheckAgainstTheFirstUsersHash) {
  const FakeVerifier verifier;
  ASSERT_OK_AND_ASSIGN(
      const PasswordFile file,
      PasswordFile::Parse("alice:hash-of-a\nbob:hash-of-b\n", "p", verifier));
  EXPECT_FALSE(file.Verify("mallory", "x"));
  EXPECT_THAT(verifier.checked(), ElementsAre("hash-of-a"));
  // Even with the first user's password.
  EXPECT_FALSE(file.Verify("mallory", "a"));
  EXPECT_THAT(verifier.checked(), ElementsAre("hash-of-a", "hash-of-a"));
  // A known user: one check, against its own hash.
  EXPECT_FALSE(file.Verify("bob", "x"));
  EXPECT_TRUE(file.Verify("bob", "b"));
  EXPECT_THAT(verifier.checked(),
              ElementsAre("hash-of-a", "hash-of-a", "hash-of-b", "hash-of-b"));
}

TEST(PasswordFileTest, VerifiesYescryptSha512AndBcryptHashesMadeNow) {
  // Low costs: the test checks the methods, not their strength.
  const std::string text =
      absl::StrCat("yes:", MakeHash("$y$", 1, "yes-secret"), "\n",
                   "sha:", MakeHash("$6$", 1000, "sha-secret"), "\n",
                   "bcrypt:", MakeHash("$2b$", 4, "bcrypt-secret"), "\n");
  ASSERT_OK_AND_ASSIGN(const PasswordFile file, PasswordFile::Parse(text, "p"));
  for (const char* user : {"yes", "sha", "bcrypt"}) {
    const std::string password = absl::StrCat(user, "-secret");
    EXPECT_TRUE(file.Verify(user, password)) << user;
    EXPECT_FALSE(file.Verify(user, password + "x")) << user;
    EXPECT_FALSE(file.Verify(user, password.substr(1))) << user;
    EXPECT_FALSE(file.Verify(user, "")) << user;
  }
  EXPECT_FALSE(file.Verify("yes", "sha-secret"));
  EXPECT_FALSE(file.Verify("nobody", "yes-secret"));
}

TEST(PasswordFileTest, VerifiesHashesTheToolsMade) {
  ASSERT_OK_AND_ASSIGN(
      const PasswordFile file,
      PasswordFile::Parse(absl::StrCat("alice:", kMkpasswdYescrypt, "\n",
                                       "bob:", kHtpasswdBcrypt, "\n",
                                       "carol:", kMkpasswdSha512, "\n"),
                          "p"));
  for (const char* user : {"alice", "bob", "carol"}) {
    EXPECT_TRUE(file.Verify(user, "secret")) << user;
    EXPECT_FALSE(file.Verify(user, "Secret")) << user;
  }
}

bool Installed(const char* program) { return access(program, X_OK) == 0; }

std::string OutputOf(std::vector<std::string> argv) {
  absl::StatusOr<SubprocessResult> result =
      RunCommand({.argv = std::move(argv)}, kToolTimeout);
  EXPECT_THAT(result, IsOk());
  if (!result.ok()) return "";
  EXPECT_TRUE(result->status.success()) << result->stderr_text;
  return std::string(absl::StripTrailingAsciiWhitespace(result->stdout_text));
}

// What an operator does (docs/socks5.md): lines from mkpasswd (whois) and
// htpasswd -B (apache2-utils), run now.
TEST(PasswordFileTest, VerifiesLinesTheInstalledToolsWrite) {
  if (!Installed("/usr/bin/mkpasswd") || !Installed("/usr/bin/htpasswd")) {
    GTEST_SKIP() << "mkpasswd (whois) or htpasswd (apache2-utils) is not "
                    "installed";
  }
  const std::string text = absl::StrCat(
      "alice:", OutputOf({"mkpasswd", "-m", "yescrypt", "alice's secret"}),
      "\n", "carol:", OutputOf({"mkpasswd", "-m", "sha-512", "carol's secret"}),
      "\n", OutputOf({"htpasswd", "-nbB", "bob", "bob's secret"}), "\n");
  ASSERT_OK_AND_ASSIGN(const PasswordFile file, PasswordFile::Parse(text, "p"));
  EXPECT_THAT(file.users(), ElementsAre("alice", "carol", "bob"));
  for (const char* user : {"alice", "bob", "carol"}) {
    EXPECT_TRUE(file.Verify(user, absl::StrCat(user, "'s secret"))) << user;
    EXPECT_FALSE(file.Verify(user, "secret")) << user;
  }
}

TEST(PasswordFileTest, ALongestPasswordAndUserNameWork) {
  const std::string user(kMaxUserNameLength, 'u');
  const std::string password(255, 'p');  // RFC 1929's longest
  // SHA-512 reads all of it (bcrypt would stop at 72 bytes).
  ASSERT_OK_AND_ASSIGN(
      const PasswordFile file,
      PasswordFile::Parse(
          absl::StrCat(user, ":", MakeHash("$6$", 1000, password), "\n"), "p"));
  EXPECT_TRUE(file.Verify(user, password));
  EXPECT_FALSE(file.Verify(user, password.substr(1)));
}

// crypt(3) reads a C string: "secret\0anything" must not pass as "secret".
TEST(SystemCryptTest, APasswordWithANulByteNeverMatches) {
  const std::string hash = MakeHash("$2b$", 4, "secret");
  EXPECT_TRUE(SystemCrypt().Matches("secret", hash));
  EXPECT_FALSE(
      SystemCrypt().Matches(absl::string_view("secret\0anything", 15), hash));
  EXPECT_FALSE(SystemCrypt().Matches(absl::string_view("secret\0", 7), hash));
}

TEST(SystemCryptTest, ChecksFromManyThreadsAtOnce) {
  const std::string hash = MakeHash("$2b$", 4, "secret");
  std::vector<std::thread> threads;
  std::atomic<int> right = 0;
  std::atomic<int> wrong = 0;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        if (SystemCrypt().Matches("secret", hash)) ++right;
        if (SystemCrypt().Matches("secreT", hash)) ++wrong;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(right, 40);
  EXPECT_EQ(wrong, 0);
}

TEST(SystemCryptTest, AcceptsWholeHashesOfEveryMethod) {
  for (const std::string& hash :
       {std::string(kMkpasswdYescrypt), std::string(kMkpasswdSha512),
        std::string(kHtpasswdBcrypt), MakeHash("$2b$", 4, "x"),
        MakeHash("$6$", 1000, "x")}) {
    EXPECT_THAT(SystemCrypt().CheckHash(hash), IsOk()) << hash;
  }
}

TEST(SystemCryptTest, RefusesHashesItCouldNeverMatch) {
  const std::string yescrypt = kMkpasswdYescrypt;
  for (const std::string& hash : {
           std::string("*"),            // a locked account, in /etc/shadow
           "!" + yescrypt,              // a locked account, in /etc/shadow
           std::string("$2b$05$"),      // bcrypt without salt
           std::string("$y$jFT$abc$"),  // yescrypt with bad parameters
           std::string("$9$whatever"),  // no such method
       }) {
    EXPECT_THAT(SystemCrypt().CheckHash(hash),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("not a hash crypt(3) can check")))
        << hash;
  }
  // crypt(3) makes something of these, never a match.
  EXPECT_THAT(
      SystemCrypt().CheckHash(yescrypt.substr(0, yescrypt.size() - 1)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               absl::StrCat("not a whole crypt(3) hash: ", yescrypt.size() - 1,
                            " bytes, where a hash of this kind has ",
                            yescrypt.size(),
                            " (a password written in clear, or a "
                            "hash cut short?)")));
  EXPECT_THAT(SystemCrypt().CheckHash("secret"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a whole crypt(3) hash")));
  EXPECT_THAT(SystemCrypt().CheckHash(std::string(CRYPT_OUTPUT_SIZE, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST(PasswordFileErrorsTest, EachIsAtItsLineAndColumn) {
  EXPECT_EQ(ParseError("alice\n"),
            "p:1:1: missing ':' after the user name in \"alice\": write "
            "user:hash");
  EXPECT_EQ(ParseError("  :hash-of-x\n"),
            "p:1:3: missing user name before ':'");
  EXPECT_EQ(ParseError("alice:\n"), "p:1:7: missing hash after ':'");
  EXPECT_EQ(ParseError("alice : hash-of-x\n"),
            "p:1:7: blank beside ':': write user:hash as one word");
  EXPECT_EQ(ParseError("alice: hash-of-x\n"),
            "p:1:6: blank beside ':': write user:hash as one word");
  EXPECT_EQ(ParseError("alice :hash-of-x\n"),
            "p:1:7: blank beside ':': write user:hash as one word");
  EXPECT_EQ(ParseError(" : hash-of-x\n"),
            "p:1:2: missing user name before ':'");
  EXPECT_EQ(ParseError("alice:hash-of-x extra\n"),
            "p:1:17: unexpected \"extra\": one user:hash a line");
  EXPECT_EQ(ParseError("al\x01ice:hash-of-x\n"),
            "p:1:3: control character \"\\x01\" in the user name");
  EXPECT_EQ(ParseError("alice:unusable\n"), "p:1:7: fake refusal");
  EXPECT_EQ(ParseError("alice:hash-of-x:19000:0:99999:7:::\n"),
            "p:1:16: ':' after the hash: a line holds only user:hash (not "
            "the other fields of /etc/shadow)");
  EXPECT_EQ(ParseError("alice:hash-of-a\nbob:hash-of-b\n  alice:hash-of-c\n"),
            "p:3:3: duplicate user \"alice\" (first on line 1)");
}

TEST(PasswordFileErrorsTest, UserNamesAreOneTo255Bytes) {
  const std::string longest(kMaxUserNameLength, 'u');
  const FakeVerifier verifier;
  EXPECT_THAT(PasswordFile::Parse(longest + ":hash-of-x\n", "p", verifier),
              IsOk());
  EXPECT_EQ(ParseError(longest + "u:hash-of-x\n"),
            "p:1:1: user name is 256 bytes; RFC 1929 allows 1 to 255");
}

TEST(PasswordFileErrorsTest, ALineLongerThanTheLimitIsAnError) {
  EXPECT_EQ(ParseError(
                absl::StrCat("alice:", std::string(kMaxLineLength, 'h'), "\n")),
            absl::StrCat("p:1:", kMaxLineLength + 1, ": line is longer than ",
                         kMaxLineLength, " bytes (", kMaxLineLength + 6, ")"));
}

TEST(PasswordFileErrorsTest, EveryBadLineIsReportedAndNoneIsTaken) {
  EXPECT_EQ(ParseError("alice:hash-of-a\n"
                       "bob\n"
                       "carol:hash-of-c\n"
                       "dave:unusable\n"),
            "p:2:1: missing ':' after the user name in \"bob\": write "
            "user:hash\n"
            "p:4:6: fake refusal");
}

// The error of the real crypt(3) check, at the hash, never quoting it.
TEST(PasswordFileErrorsTest, AnUnusableHashIsReportedWithoutItsText) {
  const std::string cut_short = std::string(kMkpasswdYescrypt).substr(0, 40);
  const std::string message = ParseError(
      absl::StrCat("# header\nalice:", cut_short, "\n"), SystemCrypt());
  EXPECT_THAT(message, HasSubstr("p:2:7: not a whole crypt(3) hash"));
  EXPECT_THAT(message, Not(HasSubstr(cut_short)));
  EXPECT_THAT(ParseError("alice:secret\n", SystemCrypt()),
              HasSubstr("p:1:7: not a whole crypt(3) hash"));
}

TEST(PasswordFileTest, LoadReadsTheFileAndNamesAMissingOne) {
  const std::string path =
      absl::StrCat(std::getenv("TEST_TMPDIR"), "/passwords");
  std::ofstream(path) << "alice:" << kHtpasswdBcrypt << "\nbob\n";
  EXPECT_THAT(PasswordFile::Load(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       absl::StrCat(path,
                                    ":2:1: missing ':' after the user "
                                    "name in \"bob\": write user:hash")));
  std::ofstream(path) << "alice:" << kHtpasswdBcrypt << "\n";
  ASSERT_OK_AND_ASSIGN(const PasswordFile file, PasswordFile::Load(path));
  EXPECT_EQ(file.filename(), path);
  EXPECT_TRUE(file.Verify("alice", "secret"));
  EXPECT_THAT(PasswordFile::Load(path + ".absent"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(".absent")));
}

TEST(FormatPasswordFileTest, ListsTheUsersNeverTheHashes) {
  ASSERT_OK_AND_ASSIGN(
      const PasswordFile file,
      PasswordFile::Parse(absl::StrCat("alice:", kMkpasswdYescrypt, "\n",
                                       "bob:", kHtpasswdBcrypt, "\n"),
                          "p"));
  EXPECT_EQ(FormatPasswordFile(file), "alice:***\nbob:***\n");
}

}  // namespace
}  // namespace rsockd::rules
