#include "rsockd/hooks/hook_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace rsockd {
namespace {

using ::testing::ElementsAre;

// The first request of the worked example (docs/sockd_conf.md#worked-example):
// clyde from 128.12.6.34, port ftp.
HookContext ClydeContext() {
  HookContext context;
  context.client_host = "client.example";
  context.client_ip = "128.12.6.34";
  context.command = "connect";
  context.service = "ftp";
  context.port = 21;
  context.ident_user = "unknown";
  context.claimed_user = "clyde";
  context.destination_host = "dst.example";
  context.destination_ip = "137.12.5.5";
  return context;
}

// Every field set to `value`.
HookContext ContextWithEveryField(const std::string& value) {
  HookContext context;
  context.client_host = value;
  context.client_ip = value;
  context.command = value;
  context.service = value;
  context.port = 1080;
  context.ident_user = value;
  context.claimed_user = value;
  context.destination_host = value;
  context.destination_ip = value;
  return context;
}

std::string Pid() { return absl::StrCat(getpid()); }

TEST(FilterHookValueTest, KeepsAllowedCharacters) {
  EXPECT_EQ(FilterHookValue("AZaz09!@%-_=+\\:,./"), "AZaz09!@%-_=+\\:,./");
  EXPECT_EQ(FilterHookValue("DOMAIN\\user@host.example"),
            "DOMAIN\\user@host.example");
  EXPECT_EQ(FilterHookValue("a-b"), "a-b");
  EXPECT_EQ(FilterHookValue(""), "");
}

TEST(FilterHookValueTest, ReplacesShellMetacharacters) {
  EXPECT_EQ(FilterHookValue("x;touch /tmp/p"), "x_touch_/tmp/p");
  EXPECT_EQ(FilterHookValue("$(id)"), "__id_");
  EXPECT_EQ(FilterHookValue("`id`"), "_id_");
  EXPECT_EQ(FilterHookValue("${IFS}"), "__IFS_");
  EXPECT_EQ(FilterHookValue("a|b&c>d<e*f?g[h]i{j}k~l#m^n"),
            "a_b_c_d_e_f_g_h_i_j_k_l_m_n");
  EXPECT_EQ(FilterHookValue("'; rm -rf / #"), "___rm_-rf_/__");
}

TEST(FilterHookValueTest, ReplacesQuotes) {
  EXPECT_EQ(FilterHookValue("x'; touch /tmp/p; '"), "x___touch_/tmp/p___");
  EXPECT_EQ(FilterHookValue("\"quoted\""), "_quoted_");
}

TEST(FilterHookValueTest, ReplacesWhitespaceAndControlBytes) {
  EXPECT_EQ(FilterHookValue("a b\tc\nd\re\vf"), "a_b_c_d_e_f");
  EXPECT_EQ(FilterHookValue("x\ntouch /tmp/p"), "x_touch_/tmp/p");
  EXPECT_EQ(FilterHookValue(std::string("a\0b", 3)), "a_b");
  EXPECT_EQ(FilterHookValue("\x1b[31mred"), "__31mred");
}

TEST(FilterHookValueTest, ReplacesEachNonAsciiByte) {
  EXPECT_EQ(FilterHookValue("caf\xc3\xa9"), "caf__");
  EXPECT_EQ(FilterHookValue("\xff"), "_");
}

TEST(FilterHookValueTest, ReplacesLeadingDashOnly) {
  EXPECT_EQ(FilterHookValue("-rf"), "_rf");
  EXPECT_EQ(FilterHookValue("--force"), "_-force");
  EXPECT_EQ(FilterHookValue("-"), "_");
  EXPECT_EQ(FilterHookValue("-oProxyCommand=x"), "_oProxyCommand=x");
  EXPECT_EQ(FilterHookValue("a-"), "a-");
}

TEST(FilterHookValueTest, EveryByteOutsideTheSetBecomesUnderscore) {
  // The set of docs/hooks.md, written out independently of the implementation.
  const std::string allowed =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
      "!@%-_=+\\:,./";
  for (int byte = 0; byte < 256; ++byte) {
    const char c = static_cast<char>(byte);
    // Not first, so that the leading-dash rule does not apply.
    const std::string filtered = FilterHookValue(std::string("a") + c);
    const bool keep = allowed.find(c) != std::string::npos;
    EXPECT_EQ(filtered, std::string("a") + (keep ? c : '_')) << "byte " << byte;
  }
}

TEST(ExpandHookCommandTest, ExpandsEverySequence) {
  EXPECT_EQ(ExpandHookCommand("%A %a %c %p %S %s %U %u %Z %z", ClydeContext()),
            absl::StrCat("client.example 128.12.6.34 connect ", Pid(),
                         " ftp 21 unknown clyde dst.example 137.12.5.5"));
}

TEST(ExpandHookCommandTest, ExpandsTheClassicExamples) {
  const HookContext context = ClydeContext();
  EXPECT_EQ(ExpandHookCommand("/usr/bin/logger 'Rejected SOCKS access by %u'",
                              context),
            "/usr/bin/logger 'Rejected SOCKS access by clyde'");
  EXPECT_EQ(
      ExpandHookCommand("/usr/bin/logger 'please run identd on %A'", context),
      "/usr/bin/logger 'please run identd on client.example'");
  EXPECT_EQ(ExpandHookCommand("/usr/bin/logger '%U pretends to be %u on %A'",
                              context),
            "/usr/bin/logger 'unknown pretends to be clyde on client.example'");
}

TEST(ExpandHookCommandTest, ExpandsBindCommandAndNumericFallbacks) {
  HookContext context = ClydeContext();
  context.command = "bind";
  context.service = "8080";
  context.port = 8080;
  context.destination_host = "137.12.5.5";
  EXPECT_EQ(ExpandHookCommand("%c to %Z:%S (%z:%s)", context),
            "bind to 137.12.5.5:8080 (137.12.5.5:8080)");
}

TEST(ExpandHookCommandTest, DoublePercentIsOnePercent) {
  const HookContext context = ClydeContext();
  EXPECT_EQ(ExpandHookCommand("100%% of %u", context), "100% of clyde");
  EXPECT_EQ(ExpandHookCommand("%%u", context), "%u");
  EXPECT_EQ(ExpandHookCommand("%%%u", context), "%clyde");
  EXPECT_EQ(ExpandHookCommand("%%%%", context), "%%");
}

TEST(ExpandHookCommandTest, DropsUnknownSequences) {
  const HookContext context = ClydeContext();
  EXPECT_EQ(ExpandHookCommand("a%qb%1c%Xd% e%\nf", context), "abcdef");
  EXPECT_EQ(ExpandHookCommand("%P%C%d", context), "");
}

TEST(ExpandHookCommandTest, DropsLoneTrailingPercent) {
  const HookContext context = ClydeContext();
  EXPECT_EQ(ExpandHookCommand("end%", context), "end");
  EXPECT_EQ(ExpandHookCommand("%", context), "");
  EXPECT_EQ(ExpandHookCommand("%%%", context), "%");
  EXPECT_EQ(ExpandHookCommand("%u%", context), "clyde");
}

TEST(ExpandHookCommandTest, LeavesTextWithoutSequencesAlone) {
  EXPECT_EQ(ExpandHookCommand("", ClydeContext()), "");
  EXPECT_EQ(ExpandHookCommand("echo 'a;b' | mail root &", ClydeContext()),
            "echo 'a;b' | mail root &");
}

TEST(ExpandHookCommandTest, DoesNotExpandSequencesInsideValues) {
  HookContext context = ClydeContext();
  context.claimed_user = "%A%%%p";
  EXPECT_EQ(ExpandHookCommand("user %u", context), "user %A%%%p");
}

TEST(ExpandHookCommandTest, FiltersHostileUserIds) {
  HookContext context = ClydeContext();
  const std::string command = "/usr/bin/logger 'Rejected SOCKS access by %u'";
  context.claimed_user = "x'; touch /tmp/p; '";
  EXPECT_EQ(ExpandHookCommand(command, context),
            "/usr/bin/logger 'Rejected SOCKS access by x___touch_/tmp/p___'");
  context.claimed_user = "$(id)";
  EXPECT_EQ(ExpandHookCommand("echo %u", context), "echo __id_");
  context.claimed_user = "`id`";
  EXPECT_EQ(ExpandHookCommand("echo \"%u\"", context), "echo \"_id_\"");
  context.claimed_user = "x;touch /tmp/p";
  EXPECT_EQ(ExpandHookCommand("echo %u", context), "echo x_touch_/tmp/p");
  context.claimed_user = "a b\nc";
  EXPECT_EQ(ExpandHookCommand("echo %u", context), "echo a_b_c");
  context.claimed_user = "-rf";
  EXPECT_EQ(ExpandHookCommand("rm %u", context), "rm _rf");
}

TEST(ExpandHookCommandTest, FiltersEveryField) {
  const HookContext context = ContextWithEveryField("-a;b c");
  EXPECT_EQ(ExpandHookCommand("%A|%a|%c|%S|%s|%U|%u|%Z|%z", context),
            "_a_b_c|_a_b_c|_a_b_c|_a_b_c|1080|_a_b_c|_a_b_c|_a_b_c|_a_b_c");
}

TEST(HookEnvironmentTest, ExportsEveryValueInOrder) {
  EXPECT_THAT(
      HookEnvironment(ClydeContext()),
      ElementsAre("SOCKS_CLIENT_HOST=client.example",
                  "SOCKS_CLIENT_ADDR=128.12.6.34", "SOCKS_COMMAND=connect",
                  absl::StrCat("SOCKS_PID=", Pid()), "SOCKS_SERVICE=ftp",
                  "SOCKS_PORT=21", "SOCKS_IDENT_USER=unknown",
                  "SOCKS_USER=clyde", "SOCKS_DEST_HOST=dst.example",
                  "SOCKS_DEST_ADDR=137.12.5.5"));
}

TEST(HookEnvironmentTest, FiltersEveryValue) {
  EXPECT_THAT(
      HookEnvironment(ContextWithEveryField("-$(id)\n")),
      ElementsAre("SOCKS_CLIENT_HOST=___id__", "SOCKS_CLIENT_ADDR=___id__",
                  "SOCKS_COMMAND=___id__", absl::StrCat("SOCKS_PID=", Pid()),
                  "SOCKS_SERVICE=___id__", "SOCKS_PORT=1080",
                  "SOCKS_IDENT_USER=___id__", "SOCKS_USER=___id__",
                  "SOCKS_DEST_HOST=___id__", "SOCKS_DEST_ADDR=___id__"));
}

}  // namespace
}  // namespace rsockd
