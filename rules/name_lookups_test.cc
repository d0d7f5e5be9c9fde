#include "rules/name_lookups.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "net/resolver.h"
#include "rules/rule_set.h"
#include "rules/rule_set_test_util.h"
#include "testing/fake_dns_server.h"
#include "testing/files.h"
#include "testing/status_matchers.h"

namespace rsockd::rules {
namespace {

using ::rsockd::testing::IsOk;

// Real lookups: /etc/hosts maps 127.0.0.1 <-> localhost, and the DNS (a fake
// server that knows no names) has nothing for 127.0.0.2.

constexpr absl::Duration kTimeout = absl::Seconds(10);

net::IpAddress Ip(absl::string_view text) {
  return *net::IpAddress::Parse(text);
}

class NameLookupsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(dns_, ::rsockd::testing::FakeDnsServer::Start());
    ASSERT_OK_AND_ASSIGN(const std::string dir,
                         ::rsockd::testing::MakeTempDir("name_lookups"));
    net::Resolver::Options options;
    options.resolv_conf = absl::StrCat(dir, "/resolv.conf");
    ASSERT_THAT(::rsockd::testing::WriteStringToFile(options.resolv_conf, ""),
                IsOk());
    options.servers = {dns_->address()};
    ASSERT_OK_AND_ASSIGN(resolver_, net::Resolver::Create(options));
  }

  AccessRequest Request(absl::string_view client) {
    AccessRequest request;
    request.client = Ip(client);
    request.port = 80;
    return request;
  }

  void SetLookups(AccessRequest* request) {
    SetNameLookups(resolver_.get(), kTimeout, /*stop=*/nullptr, request);
  }

  std::unique_ptr<::rsockd::testing::FakeDnsServer> dns_;
  std::unique_ptr<net::Resolver> resolver_;
};

TEST_F(NameLookupsTest, ClientOnLoopbackMatchesLocalhost) {
  const RuleSet rules = MakeRuleSet(
      "deny .example.invalid\n"
      "permit LOCALHOST\n");
  AccessRequest request = Request("127.0.0.1");
  request.destination = Ip("192.0.2.1");
  SetLookups(&request);
  EXPECT_EQ(DecidingLine(rules.CheckAccess(request)), 2);

  AccessRequest nameless = Request("127.0.0.2");
  nameless.destination = Ip("192.0.2.1");
  SetLookups(&nameless);
  EXPECT_EQ(rules.CheckAccess(nameless).rule, nullptr);
}

TEST_F(NameLookupsTest, DestinationAddressMatchesByItsConfirmedName) {
  const RuleSet rules = MakeRuleSet("permit ALL localhost\n");
  AccessRequest request = Request("10.0.0.1");
  request.destination = Ip("127.0.0.1");
  SetLookups(&request);
  EXPECT_TRUE(rules.CheckAccess(request).permitted);

  request.destination = Ip("127.0.0.2");
  SetLookups(&request);
  EXPECT_FALSE(rules.CheckAccess(request).permitted);
}

TEST_F(NameLookupsTest, Socks4aLiteralIsMatchedByItsConfirmedName) {
  const RuleSet rules = MakeRuleSet("permit ALL localhost\n");
  AccessRequest request = Request("10.0.0.1");
  request.destination_name = "127.0.0.1";
  SetLookups(&request);
  EXPECT_TRUE(rules.CheckAccess(request).permitted);
}

TEST_F(NameLookupsTest, Socks4aNameNeedsNoReverseLookup) {
  AccessRequest request = Request("10.0.0.1");
  request.destination_name = "localhost";
  SetLookups(&request);
  EXPECT_FALSE(request.destination_reverse_name);
  EXPECT_TRUE(
      MakeRuleSet("permit ALL localhost\n").CheckAccess(request).permitted);
  EXPECT_EQ(resolver_->reverse_stats().lookups, 0u);
}

TEST_F(NameLookupsTest, RepeatedChecksUseTheCache) {
  const RuleSet rules = MakeRuleSet("permit localhost localhost\n");
  for (int i = 0; i < 3; ++i) {
    AccessRequest request = Request("127.0.0.1");
    request.destination = Ip("127.0.0.1");
    SetLookups(&request);
    EXPECT_TRUE(rules.CheckAccess(request).permitted);
  }
  const net::Resolver::Stats stats = resolver_->reverse_stats();
  EXPECT_EQ(stats.lookups, 1u) << "one address, looked up once";
  EXPECT_EQ(stats.cache.hits, 5u);
}

TEST_F(NameLookupsTest, AddressRulesCostNoLookup) {
  const RuleSet rules = MakeRuleSet(
      "permit 127.0.0.0/8\n"
      "deny localhost\n");
  AccessRequest request = Request("127.0.0.1");
  request.destination = Ip("127.0.0.1");
  SetLookups(&request);
  EXPECT_EQ(DecidingLine(rules.CheckAccess(request)), 1);
  EXPECT_EQ(resolver_->reverse_stats().lookups, 0u);
}

}  // namespace
}  // namespace rsockd::rules
