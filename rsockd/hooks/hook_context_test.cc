#include "rsockd/hooks/hook_context.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "net/resolver.h"
#include "testing/fake_dns_server.h"
#include "testing/status_matchers.h"

namespace rsockd {
namespace {

// Real lookups: /etc/hosts maps 127.0.0.1 <-> localhost, and the DNS (a fake
// server that knows no names) has nothing for 127.0.0.2.
constexpr absl::Duration kTimeout = absl::Seconds(10);

net::IpAddress Ip(absl::string_view text) {
  return *net::IpAddress::Parse(text);
}

rules::AccessRequest Socks4Connect() {
  rules::AccessRequest request;
  request.command = rules::Command::kConnect;
  request.client = Ip("127.0.0.1");
  request.user = "ylee";
  request.destination = Ip("127.0.0.1");
  request.port = 23;
  return request;
}

TEST(HookContextForTest, FillsTheRequestsFields) {
  const HookContext context =
      HookContextFor(Socks4Connect(), "unknown", Ip("127.0.0.1"));
  EXPECT_EQ(context.client_ip, "127.0.0.1");
  EXPECT_EQ(context.command, "connect");
  EXPECT_EQ(context.service, "telnet");
  EXPECT_EQ(context.port, 23);
  EXPECT_EQ(context.ident_user, "unknown");
  EXPECT_EQ(context.claimed_user, "ylee");
  EXPECT_EQ(context.destination_ip, "127.0.0.1");
  // Left to AddHookHostNames.
  EXPECT_EQ(context.client_host, "");
  EXPECT_EQ(context.destination_host, "");
}

TEST(HookContextForTest, ASocks4aNameIsTheDestinationHost) {
  rules::AccessRequest request = Socks4Connect();
  request.command = rules::Command::kBind;
  request.destination.reset();
  request.destination_name = "dst.example";
  const HookContext context = HookContextFor(request, "ylee", Ip("0.0.0.1"));
  EXPECT_EQ(context.command, "bind");
  EXPECT_EQ(context.ident_user, "ylee");
  EXPECT_EQ(context.destination_host, "dst.example");
  EXPECT_EQ(context.destination_ip, "0.0.0.1");
}

class AddHookHostNamesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(dns_, ::rsockd::testing::FakeDnsServer::Start());
    net::Resolver::Options options;
    options.resolv_conf = "/dev/null";  // no search domains, no servers
    options.servers = {dns_->address()};
    ASSERT_OK_AND_ASSIGN(resolver_, net::Resolver::Create(options));
  }

  // The context of a SOCKS4 request from `client` to `destination`, with the
  // host names `command` asks for.
  HookContext ContextFor(absl::string_view command, absl::string_view client,
                         absl::string_view destination) {
    rules::AccessRequest request = Socks4Connect();
    request.client = Ip(client);
    request.destination = Ip(destination);
    HookContext context =
        HookContextFor(request, "unknown", *request.destination);
    AddHookHostNames(command, request.client, request.destination,
                     resolver_.get(), kTimeout, /*stop=*/nullptr, &context);
    return context;
  }

  std::unique_ptr<::rsockd::testing::FakeDnsServer> dns_;
  std::unique_ptr<net::Resolver> resolver_;
};

TEST_F(AddHookHostNamesTest, LooksUpTheNamesTheCommandUses) {
  const HookContext both = ContextFor("logger %A %Z", "127.0.0.1", "127.0.0.1");
  EXPECT_EQ(both.client_host, "localhost");
  EXPECT_EQ(both.destination_host, "localhost");

  const HookContext client_only =
      ContextFor("logger %A", "127.0.0.1", "127.0.0.1");
  EXPECT_EQ(client_only.client_host, "localhost");
  EXPECT_EQ(client_only.destination_host, "127.0.0.1");

  const HookContext neither =
      ContextFor("logger %a %z", "127.0.0.1", "127.0.0.1");
  EXPECT_EQ(neither.client_host, "127.0.0.1");
  EXPECT_EQ(neither.destination_host, "127.0.0.1");
}

TEST_F(AddHookHostNamesTest, WithoutAConfirmedNameTheAddress) {
  const HookContext context =
      ContextFor("logger %A %Z", "127.0.0.2", "127.0.0.2");
  EXPECT_EQ(context.client_host, "127.0.0.2");
  EXPECT_EQ(context.destination_host, "127.0.0.2");
}

TEST_F(AddHookHostNamesTest, KeepsASocks4aNameAndHandlesNoDestination) {
  rules::AccessRequest request = Socks4Connect();
  request.destination.reset();
  request.destination_name = "dst.example";
  HookContext named = HookContextFor(request, "unknown", Ip("0.0.0.1"));
  AddHookHostNames("logger %Z", request.client, std::nullopt, resolver_.get(),
                   kTimeout, nullptr, &named);
  EXPECT_EQ(named.destination_host, "dst.example");

  // A client refused before its request was read: only its address.
  HookContext refused;
  refused.client_ip = "127.0.0.1";
  AddHookHostNames("logger %A %Z", Ip("127.0.0.1"), std::nullopt,
                   resolver_.get(), kTimeout, nullptr, &refused);
  EXPECT_EQ(refused.client_host, "localhost");
  EXPECT_EQ(refused.destination_host, "");
}

}  // namespace
}  // namespace rsockd
