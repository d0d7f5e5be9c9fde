#include "net/resolver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "glog/logging.h"
#include "net/deadline.h"
#include "testing/fake_dns_server.h"
#include "testing/files.h"
#include "testing/status_matchers.h"
#include "testing/wait_for.h"

namespace rsockd::net {
namespace {

using Behaviour = ::rsockd::testing::FakeDnsServer::Behaviour;
using ::rsockd::testing::FakeDnsServer;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::IsOkAndHolds;
using ::rsockd::testing::StatusIs;
using ::rsockd::testing::WaitFor;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// Upper bound of every wait: generous for a loaded CI machine; a passing run
// never waits it out.
constexpr absl::Duration kWaitLimit = ::rsockd::testing::kWaitForLimit;

IpAddress Ip(absl::string_view text) { return *IpAddress::Parse(text); }

Deadline Within(absl::Duration timeout, const StopSignal* stop = nullptr) {
  return Deadline::In(timeout, stop);
}

// The caches' clock: stands still until a test moves it.
class FakeClock {
 public:
  absl::Time Now() const {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration by) {
    absl::MutexLock lock(&mu_);
    now_ += by;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_) = absl::FromUnixSeconds(1700000000);
};

// Every resolver here asks only the fake DNS server (and reads the host's
// /etc/hosts, which maps localhost <-> 127.0.0.1); its resolv.conf is the
// test's own.
class ResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(dns_, FakeDnsServer::Start());
    ASSERT_OK_AND_ASSIGN(dir_, ::rsockd::testing::MakeTempDir("resolver"));
    ASSERT_NO_FATAL_FAILURE(SetResolvConf(""));
  }

  // The resolv.conf the next resolver reads, e.g. "options retrans:100".
  void SetResolvConf(absl::string_view text) {
    resolv_conf_ = absl::StrCat(dir_, "/resolv.conf");
    ASSERT_THAT(::rsockd::testing::WriteStringToFile(resolv_conf_, text),
                IsOk());
  }

  Resolver::Options Options() {
    Resolver::Options options;
    options.resolv_conf = resolv_conf_;
    options.servers = {dns_->address()};
    options.clock = [this] { return clock_.Now(); };
    return options;
  }

  std::unique_ptr<Resolver> Make(const Resolver::Options& options) {
    absl::StatusOr<std::unique_ptr<Resolver>> resolver =
        Resolver::Create(options);
    CHECK(resolver.ok()) << resolver.status();
    return *std::move(resolver);
  }
  std::unique_ptr<Resolver> Make() { return Make(Options()); }

  std::unique_ptr<FakeDnsServer> dns_;
  std::string dir_;
  std::string resolv_conf_;
  FakeClock clock_;
};

TEST_F(ResolverTest, ReturnsLiteralsWithoutLookup) {
  std::unique_ptr<Resolver> resolver = Make();
  EXPECT_THAT(resolver->Resolve("10.1.2.3", Within(absl::ZeroDuration())),
              IsOkAndHolds(ElementsAre(Ip("10.1.2.3"))));
  EXPECT_THAT(resolver->Resolve("2001:db8::1", Within(absl::ZeroDuration())),
              IsOkAndHolds(ElementsAre(Ip("2001:db8::1"))));
  EXPECT_EQ(resolver->forward_stats().lookups, 0u);
}

TEST_F(ResolverTest, ResolvesBothFamiliesFromTheDnsServer) {
  dns_->AddAddress("www.test", Ip("192.0.2.7"), 300);
  dns_->AddAddress("www.test", Ip("2001:db8::7"), 300);
  std::unique_ptr<Resolver> resolver = Make();
  EXPECT_THAT(
      resolver->Resolve("WWW.Test", Within(kWaitLimit)),
      IsOkAndHolds(UnorderedElementsAre(Ip("192.0.2.7"), Ip("2001:db8::7"))));
  EXPECT_EQ(dns_->queries("www.test"), 2) << "one A and one AAAA query";
}

TEST_F(ResolverTest, LocalhostComesFromHostsWithoutAQueryAndIsNotCached) {
  std::unique_ptr<Resolver> resolver = Make();
  for (int i = 0; i < 2; ++i) {
    EXPECT_THAT(resolver->Resolve("localhost", Within(kWaitLimit)),
                IsOkAndHolds(Contains(Ip("127.0.0.1"))));
  }
  EXPECT_EQ(dns_->total_queries(), 0);
  const Resolver::Stats stats = resolver->forward_stats();
  EXPECT_EQ(stats.lookups, 2u) << "/etc/hosts answers have TTL 0";
  EXPECT_EQ(stats.cached, 0u);
}

TEST_F(ResolverTest, ReturnsIpv4MappedAddressesAsIpv4) {
  uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 9};
  dns_->AddRecord("mapped.test", FakeDnsServer::kTypeAaaa,
                  std::string(reinterpret_cast<char*>(mapped), 16), 300);
  std::unique_ptr<Resolver> resolver = Make();
  ASSERT_OK_AND_ASSIGN(std::vector<IpAddress> addresses,
                       resolver->Resolve("mapped.test", Within(kWaitLimit)));
  ASSERT_THAT(addresses, ElementsAre(Ip("192.0.2.9")));
  EXPECT_TRUE(addresses[0].is_ipv4());
}

// 100 addresses do not fit in a UDP answer: the fake truncates it, and
// c-ares asks again over TCP (a connect the driver polls for writing).
TEST_F(ResolverTest, KeepsTheFirst64AddressesOfALongAnswerFetchedOverTcp) {
  for (int i = 0; i < 100; ++i) {
    dns_->AddAddress("many.test", Ip(absl::StrCat("10.0.0.", i)), 300);
  }
  std::unique_ptr<Resolver> resolver = Make();
  ASSERT_OK_AND_ASSIGN(std::vector<IpAddress> addresses,
                       resolver->Resolve("many.test", Within(kWaitLimit)));
  EXPECT_EQ(addresses.size(), 64u);
  EXPECT_EQ(dns_->queries("many.test"), 3) << "A over UDP, then TCP; AAAA";
}

TEST_F(ResolverTest, AnswerIsCachedForItsTtl) {
  dns_->AddAddress("www.test", Ip("192.0.2.7"), 30);
  std::unique_ptr<Resolver> resolver = Make();
  ASSERT_THAT(resolver->Resolve("www.test", Within(kWaitLimit)), IsOk());
  ASSERT_EQ(dns_->queries("www.test"), 2);
  clock_.Advance(absl::Seconds(29));
  // Even past its deadline: the cache needs no waiting.
  EXPECT_THAT(resolver->Resolve("www.test", Within(-absl::Seconds(1))),
              IsOkAndHolds(ElementsAre(Ip("192.0.2.7"))));
  EXPECT_EQ(dns_->queries("www.test"), 2);
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(resolver->Resolve("www.test", Within(kWaitLimit)), IsOk());
  EXPECT_EQ(dns_->queries("www.test"), 4) << "asked again after 30 s";
  const Resolver::Stats stats = resolver->forward_stats();
  EXPECT_EQ(stats.lookups, 2u);
  EXPECT_EQ(stats.cache.hits, 1u);
}

TEST_F(ResolverTest, ShortestTtlOfTheAnswerCounts) {
  dns_->AddAddress("www.test", Ip("192.0.2.7"), 300);
  dns_->AddAddress("www.test", Ip("2001:db8::7"), 10);
  std::unique_ptr<Resolver> resolver = Make();
  ASSERT_THAT(resolver->Resolve("www.test", Within(kWaitLimit)), IsOk());
  clock_.Advance(absl::Seconds(10));
  ASSERT_THAT(resolver->Resolve("www.test", Within(kWaitLimit)), IsOk());
  EXPECT_EQ(resolver->forward_stats().lookups, 2u);
}

TEST_F(ResolverTest, TtlIsCappedAtMaxTtl) {
  dns_->AddAddress("www.test", Ip("192.0.2.7"), 7 * 24 * 3600);
  Resolver::Options options = Options();
  options.max_ttl = absl::Hours(1);
  std::unique_ptr<Resolver> resolver = Make(options);
  ASSERT_THAT(resolver->Resolve("www.test", Within(kWaitLimit)), IsOk());
  clock_.Advance(absl::Hours(1) - absl::Seconds(1));
  ASSERT_THAT(resolver->Resolve("www.test", Within(kWaitLimit)), IsOk());
  EXPECT_EQ(resolver->forward_stats().lookups, 1u);
  clock_.Advance(absl::Seconds(1));
  ASSERT_THAT(resolver->Resolve("www.test", Within(kWaitLimit)), IsOk());
  EXPECT_EQ(resolver->forward_stats().lookups, 2u);
}

TEST_F(ResolverTest, ZeroTtlIsNotCached) {
  dns_->AddAddress("www.test", Ip("192.0.2.7"), 0);
  std::unique_ptr<Resolver> resolver = Make();
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(resolver->Resolve("www.test", Within(kWaitLimit)), IsOk());
  }
  EXPECT_EQ(resolver->forward_stats().lookups, 3u);
  EXPECT_EQ(dns_->queries("www.test"), 6);
}

TEST_F(ResolverTest, UnknownNameIsNotFoundAndCachedForTheFailureTtl) {
  std::unique_ptr<Resolver> resolver = Make();
  for (int i = 0; i < 2; ++i) {
    EXPECT_THAT(resolver->Resolve("no-such.test", Within(kWaitLimit)),
                StatusIs(absl::StatusCode::kNotFound,
                         "cannot resolve no-such.test: Domain name not found"));
  }
  EXPECT_EQ(resolver->forward_stats().lookups, 1u);
  clock_.Advance(absl::Seconds(5));
  EXPECT_THAT(resolver->Resolve("no-such.test", Within(kWaitLimit)),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  EXPECT_EQ(resolver->forward_stats().lookups, 2u) << "5 s later: asked again";
}

TEST_F(ResolverTest, NameWithoutAddressesIsNotFound) {
  dns_->AddPointer(Ip("192.0.2.7"), "www.test", 300);  // a record, no address
  std::unique_ptr<Resolver> resolver = Make();
  EXPECT_THAT(
      resolver->Resolve(ReverseZoneName(Ip("192.0.2.7")), Within(kWaitLimit)),
      StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

TEST_F(ResolverTest, ServerFailureIsUnavailableAndCachedForTheFailureTtl) {
  dns_->SetBehaviour("broken.test", Behaviour::kServFail);
  std::unique_ptr<Resolver> resolver = Make();
  for (int i = 0; i < 2; ++i) {
    EXPECT_THAT(resolver->Resolve("broken.test", Within(kWaitLimit)),
                StatusIs(absl::StatusCode::kUnavailable,
                         HasSubstr("cannot resolve broken.test")));
  }
  EXPECT_EQ(resolver->forward_stats().lookups, 1u);
}

TEST_F(ResolverTest, DnsTimeoutIsUnavailableAndCachedForTheFailureTtl) {
  // c-ares' own timer (retrans: milliseconds, retry: tries), well inside the
  // callers' deadline.
  ASSERT_NO_FATAL_FAILURE(SetResolvConf("options retrans:100 retry:1\n"));
  dns_->SetDefaultBehaviour(Behaviour::kSilent);
  std::unique_ptr<Resolver> resolver = Make();
  EXPECT_THAT(resolver->Resolve("dead.test", Within(kWaitLimit)),
              StatusIs(absl::StatusCode::kUnavailable,
                       "cannot resolve dead.test: Timeout while contacting "
                       "DNS servers"));
  EXPECT_THAT(resolver->Resolve("dead.test", Within(kWaitLimit)),
              StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  EXPECT_EQ(resolver->forward_stats().lookups, 1u);
}

TEST_F(ResolverTest, CallerDeadlineIsNotCachedAndDropsTheQuery) {
  dns_->SetDefaultBehaviour(Behaviour::kSilent);
  std::unique_ptr<Resolver> resolver = Make();
  for (int i = 0; i < 2; ++i) {
    EXPECT_THAT(resolver->Resolve("dead.test", Within(absl::Milliseconds(100))),
                StatusIs(absl::StatusCode::kDeadlineExceeded,
                         "cannot resolve dead.test: timed out"));
  }
  const Resolver::Stats stats = resolver->forward_stats();
  EXPECT_EQ(stats.lookups, 2u) << "a timed-out caller caches nothing";
  EXPECT_EQ(stats.abandoned, 2u);
  EXPECT_EQ(stats.cached, 0u);
}

TEST_F(ResolverTest, CacheIsBoundedEvictingTheOldest) {
  for (int i = 1; i <= 5; ++i) {
    dns_->AddAddress(absl::StrCat("h", i, ".test"),
                     Ip(absl::StrCat("192.0.2.", i)), 300);
  }
  Resolver::Options options = Options();
  options.max_cached_names = 3;
  std::unique_ptr<Resolver> resolver = Make(options);
  for (int i = 1; i <= 5; ++i) {
    ASSERT_THAT(
        resolver->Resolve(absl::StrCat("h", i, ".test"), Within(kWaitLimit)),
        IsOk());
  }
  Resolver::Stats stats = resolver->forward_stats();
  EXPECT_EQ(stats.cached, 3u);
  EXPECT_EQ(stats.cache.evictions, 2u);
  ASSERT_THAT(resolver->Resolve("h5.test", Within(kWaitLimit)), IsOk());
  EXPECT_EQ(resolver->forward_stats().lookups, 5u) << "h5 is still cached";
  ASSERT_THAT(resolver->Resolve("h1.test", Within(kWaitLimit)), IsOk());
  EXPECT_EQ(resolver->forward_stats().lookups, 6u) << "h1 was evicted";
}

// Client bytes reach the resolver as SOCKS4A names: none may crash it, hang
// it or bring an answer from nowhere.
TEST_F(ResolverTest, HostileNamesGetAnErrorInTime) {
  std::unique_ptr<Resolver> resolver = Make();
  const std::string names[] = {
      "",
      ".",
      "..",
      "a..b",
      "\\",
      "a\\",
      std::string(255, 'a'),
      absl::StrCat(std::string(64, 'a'), ".test"),
      "with space.test",
      "tab\t.test",
      "\x01\x7f\xff.test",
      "x.onion",
      "%s%n.test",
      "-leading.test",
  };
  for (const std::string& name : names) {
    const absl::Time start = absl::Now();
    absl::StatusOr<std::vector<IpAddress>> result =
        resolver->Resolve(name, Within(kWaitLimit));
    EXPECT_THAT(result, StatusIs(absl::StatusCode::kNotFound, ::testing::_))
        << absl::CHexEscape(name);
    EXPECT_LT(absl::Now() - start, absl::Seconds(5)) << absl::CHexEscape(name);
  }
}

// The issue this resolver was written for: a burst of lookups of names whose
// DNS server never answers must not delay names that do not need it.
TEST_F(ResolverTest, DeadServerDelaysOnlyTheNamesThatNeedIt) {
  constexpr int kDeadNames = 50;
  dns_->SetDefaultBehaviour(Behaviour::kSilent);
  dns_->AddAddress("live.test", Ip("192.0.2.7"), 300);
  dns_->SetBehaviour("live.test", Behaviour::kAnswer);
  std::unique_ptr<Resolver> resolver = Make();

  std::vector<absl::Status> dead(kDeadNames);
  std::vector<std::thread> burst;
  for (int i = 0; i < kDeadNames; ++i) {
    burst.emplace_back([&, i] {
      dead[i] = resolver
                    ->Resolve(absl::StrCat("dead-", i, ".test"),
                              Within(absl::Seconds(4)))
                    .status();
    });
  }
  // Every dead name has asked (A and AAAA): the burst is in flight.
  ASSERT_THAT(dns_->WaitForQueries(2 * kDeadNames, kWaitLimit), IsOk());
  for (const char* name : {"localhost", "live.test"}) {
    const absl::Time start = absl::Now();
    EXPECT_THAT(resolver->Resolve(name, Within(absl::Seconds(2))), IsOk())
        << name;
    EXPECT_LT(absl::Now() - start, absl::Seconds(1)) << name;
  }
  for (std::thread& thread : burst) thread.join();
  for (const absl::Status& status : dead) {
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kDeadlineExceeded,
                                 HasSubstr("timed out")));
  }
  EXPECT_EQ(resolver->forward_stats().abandoned, uint64_t{kDeadNames});
}

TEST_F(ResolverTest, ConcurrentCallersShareOneQuery) {
  constexpr int kCallers = 8;
  dns_->AddAddress("slow.test", Ip("192.0.2.7"), 300);
  dns_->SetBehaviour("slow.test", Behaviour::kHold);
  std::unique_ptr<Resolver> resolver = Make();
  std::vector<absl::StatusOr<std::vector<IpAddress>>> results(kCallers);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      results[i] = resolver->Resolve("slow.test", Within(kWaitLimit));
    });
  }
  ASSERT_THAT(dns_->WaitForQueries(2, kWaitLimit), IsOk());
  ASSERT_TRUE(
      WaitFor([&] { return resolver->forward_stats().joined == kCallers - 1; },
              "all callers waiting"));
  dns_->ReleaseHeld();
  for (std::thread& thread : callers) thread.join();
  for (const auto& result : results) {
    EXPECT_THAT(result, IsOkAndHolds(ElementsAre(Ip("192.0.2.7"))));
  }
  EXPECT_EQ(dns_->queries("slow.test"), 2);
  EXPECT_EQ(resolver->forward_stats().lookups, 1u);
}

TEST_F(ResolverTest, WaitingCallerTakesOverWhenTheDriverGivesUp) {
  dns_->AddAddress("slow.test", Ip("192.0.2.7"), 300);
  dns_->SetBehaviour("slow.test", Behaviour::kHold);
  std::unique_ptr<Resolver> resolver = Make();

  // The driver gives up when its StopSignal fires: deterministic, where a
  // short deadline would race with the second caller joining.
  StopSignal driver_stop;
  absl::Status driver;
  std::thread first([&] {
    driver = resolver->Resolve("slow.test", Within(kWaitLimit, &driver_stop))
                 .status();
  });
  ASSERT_THAT(dns_->WaitForQueries(2, kWaitLimit), IsOk());
  absl::StatusOr<std::vector<IpAddress>> waiter;
  std::thread second(
      [&] { waiter = resolver->Resolve("slow.test", Within(kWaitLimit)); });
  ASSERT_TRUE(WaitFor([&] { return resolver->forward_stats().joined == 1; },
                      "second caller waiting"));
  driver_stop.Notify();
  first.join();
  EXPECT_THAT(driver, StatusIs(absl::StatusCode::kCancelled,
                               "cannot resolve slow.test: server is stopping"));
  ASSERT_TRUE(WaitFor([&] { return resolver->forward_stats().handoffs == 1; },
                      "handed over"));
  // The queries the first caller sent are the ones answered now.
  dns_->ReleaseHeld();
  second.join();
  EXPECT_THAT(waiter, IsOkAndHolds(ElementsAre(Ip("192.0.2.7"))));
  EXPECT_EQ(dns_->queries("slow.test"), 2) << "no second query";
  const Resolver::Stats stats = resolver->forward_stats();
  EXPECT_EQ(stats.lookups, 1u);
  EXPECT_EQ(stats.abandoned, 0u);
}

TEST_F(ResolverTest, DriverWhoseDeadlinePassesHandsOver) {
  dns_->AddAddress("slow.test", Ip("192.0.2.7"), 300);
  dns_->SetBehaviour("slow.test", Behaviour::kHold);
  std::unique_ptr<Resolver> resolver = Make();
  // 2 s: time enough, even on a loaded machine, for the second caller to
  // join before the first one's deadline passes.
  absl::Status first_status;
  std::thread first([&] {
    first_status =
        resolver->Resolve("slow.test", Within(absl::Seconds(2))).status();
  });
  ASSERT_THAT(dns_->WaitForQueries(2, kWaitLimit), IsOk());
  absl::StatusOr<std::vector<IpAddress>> second_result;
  std::thread second([&] {
    second_result = resolver->Resolve("slow.test", Within(kWaitLimit));
  });
  ASSERT_TRUE(WaitFor([&] { return resolver->forward_stats().joined == 1; },
                      "second caller waiting"));
  first.join();
  EXPECT_THAT(first_status, StatusIs(absl::StatusCode::kDeadlineExceeded,
                                     "cannot resolve slow.test: timed out"));
  ASSERT_TRUE(WaitFor([&] { return resolver->forward_stats().handoffs == 1; },
                      "handed over"));
  dns_->ReleaseHeld();
  second.join();
  EXPECT_THAT(second_result, IsOkAndHolds(ElementsAre(Ip("192.0.2.7"))));
  EXPECT_EQ(dns_->queries("slow.test"), 2) << "no second query";
  EXPECT_EQ(resolver->forward_stats().lookups, 1u);
}

TEST_F(ResolverTest, StopSignalEndsAWaitingCaller) {
  dns_->AddAddress("slow.test", Ip("192.0.2.7"), 300);
  dns_->SetBehaviour("slow.test", Behaviour::kHold);
  std::unique_ptr<Resolver> resolver = Make();
  absl::StatusOr<std::vector<IpAddress>> driver;
  std::thread first(
      [&] { driver = resolver->Resolve("slow.test", Within(kWaitLimit)); });
  ASSERT_THAT(dns_->WaitForQueries(2, kWaitLimit), IsOk());
  StopSignal stop;
  absl::Status waiter;
  std::thread second([&] {
    waiter = resolver->Resolve("slow.test", Within(kWaitLimit, &stop)).status();
  });
  ASSERT_TRUE(WaitFor([&] { return resolver->forward_stats().joined == 1; },
                      "second caller waiting"));
  const absl::Time stopped = absl::Now();
  stop.Notify();
  second.join();
  EXPECT_LT(absl::Now() - stopped, absl::Seconds(2));
  EXPECT_THAT(waiter, StatusIs(absl::StatusCode::kCancelled, ::testing::_));
  dns_->ReleaseHeld();
  first.join();
  EXPECT_THAT(driver, IsOk()) << "the driver was not disturbed";
}

TEST_F(ResolverTest, StopSignalEndsTheDriver) {
  dns_->SetDefaultBehaviour(Behaviour::kSilent);
  std::unique_ptr<Resolver> resolver = Make();
  StopSignal stop;
  stop.Notify();
  EXPECT_THAT(resolver->Resolve("dead.test", Within(kWaitLimit, &stop)),
              StatusIs(absl::StatusCode::kCancelled, ::testing::_));
}

// Reverse names.

TEST_F(ResolverTest, ConfirmsLocalhostAsTheReverseNameOfLoopback) {
  std::unique_ptr<Resolver> resolver = Make();
  EXPECT_THAT(resolver->ReverseName(Ip("127.0.0.1"), Within(kWaitLimit)),
              IsOkAndHolds("localhost"));
  EXPECT_EQ(dns_->total_queries(), 0) << "both ways from /etc/hosts";
}

TEST_F(ResolverTest, ConfirmsAReverseNameFromTheDns) {
  dns_->AddPointer(Ip("192.0.2.7"), "Host.Test.", 300);
  dns_->AddAddress("host.test", Ip("192.0.2.7"), 300);
  std::unique_ptr<Resolver> resolver = Make();
  for (int i = 0; i < 2; ++i) {
    EXPECT_THAT(resolver->ReverseName(Ip("192.0.2.7"), Within(kWaitLimit)),
                IsOkAndHolds("host.test"));
  }
  const Resolver::Stats stats = resolver->reverse_stats();
  EXPECT_EQ(stats.lookups, 1u);
  EXPECT_EQ(stats.cache.hits, 1u);
  EXPECT_EQ(dns_->queries(ReverseZoneName(Ip("192.0.2.7"))), 1);
}

TEST_F(ResolverTest, ReverseNameMustResolveBackToTheAddress) {
  dns_->AddPointer(Ip("192.0.2.7"), "elsewhere.test", 300);
  dns_->AddAddress("elsewhere.test", Ip("192.0.2.99"), 300);
  dns_->AddPointer(Ip("192.0.2.8"), "nowhere.test", 300);
  // c-ares refuses names with other characters than [A-Za-z0-9-._/].
  dns_->AddPointer(Ip("192.0.2.9"), "a/b.test", 300);
  dns_->AddPointer(Ip("192.0.2.10"), "192.0.2.10", 300);
  std::unique_ptr<Resolver> resolver = Make();
  EXPECT_THAT(resolver->ReverseName(Ip("192.0.2.7"), Within(kWaitLimit)),
              StatusIs(absl::StatusCode::kNotFound,
                       "reverse name elsewhere.test of 192.0.2.7 does not "
                       "resolve back to it"));
  EXPECT_THAT(resolver->ReverseName(Ip("192.0.2.8"), Within(kWaitLimit)),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("reverse name nowhere.test of 192.0.2.8 does "
                                 "not resolve")));
  for (const char* address : {"192.0.2.9", "192.0.2.10"}) {
    EXPECT_THAT(
        resolver->ReverseName(Ip(address), Within(kWaitLimit)),
        StatusIs(absl::StatusCode::kNotFound, HasSubstr("is not a host name")))
        << address;
  }
}

TEST_F(ResolverTest, AddressWithoutNameIsNotFoundAndCached) {
  std::unique_ptr<Resolver> resolver = Make();
  for (int i = 0; i < 2; ++i) {
    EXPECT_THAT(resolver->ReverseName(Ip("192.0.2.1"), Within(kWaitLimit)),
                StatusIs(absl::StatusCode::kNotFound,
                         HasSubstr("no reverse name for 192.0.2.1")));
  }
  EXPECT_EQ(resolver->reverse_stats().lookups, 1u);
}

TEST_F(ResolverTest, ReverseDnsFailureIsCachedBriefly) {
  const IpAddress ip = Ip("192.0.2.1");
  dns_->SetBehaviour(ReverseZoneName(ip), Behaviour::kServFail);
  std::unique_ptr<Resolver> resolver = Make();
  for (int i = 0; i < 2; ++i) {
    EXPECT_THAT(resolver->ReverseName(ip, Within(kWaitLimit)),
                StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  }
  EXPECT_EQ(resolver->reverse_stats().lookups, 1u);
  clock_.Advance(absl::Seconds(5));
  EXPECT_THAT(resolver->ReverseName(ip, Within(kWaitLimit)),
              StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  EXPECT_EQ(resolver->reverse_stats().lookups, 2u);
}

TEST_F(ResolverTest, ConcurrentReverseLookupsShareOneQuery) {
  constexpr int kCallers = 4;
  const IpAddress ip = Ip("192.0.2.7");
  dns_->AddPointer(ip, "host.test", 300);
  dns_->AddAddress("host.test", ip, 300);
  dns_->SetBehaviour(ReverseZoneName(ip), Behaviour::kHold);
  std::unique_ptr<Resolver> resolver = Make();
  std::vector<absl::StatusOr<std::string>> names(kCallers);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back(
        [&, i] { names[i] = resolver->ReverseName(ip, Within(kWaitLimit)); });
  }
  ASSERT_THAT(dns_->WaitForQueries(1, kWaitLimit), IsOk());
  ASSERT_TRUE(
      WaitFor([&] { return resolver->reverse_stats().joined == kCallers - 1; },
              "all callers waiting"));
  dns_->ReleaseHeld();
  for (std::thread& thread : callers) thread.join();
  for (const auto& name : names) EXPECT_THAT(name, IsOkAndHolds("host.test"));
  EXPECT_EQ(dns_->queries(ReverseZoneName(ip)), 1);
  EXPECT_EQ(dns_->queries("host.test"), 2) << "the confirmation, merged too";
}

TEST(ReverseZoneNameTest, NamesTheAddressBackwards) {
  EXPECT_EQ(ReverseZoneName(Ip("192.0.2.7")), "7.2.0.192.in-addr.arpa");
  EXPECT_EQ(ReverseZoneName(Ip("2001:db8::1")),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
            "ip6.arpa");
}

// Configuration.

TEST_F(ResolverTest, MissingResolvConfIsAnErrorOnlyWhenRequired) {
  Resolver::Options options = Options();
  options.resolv_conf = absl::StrCat(dir_, "/no-such-file");
  EXPECT_THAT(Resolver::Create(options), IsOk()) << "read as empty";
  options.require_resolv_conf = true;
  EXPECT_THAT(Resolver::Create(options),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("cannot read " + options.resolv_conf)));
}

TEST(ParseDnsServersTest, TakesAddressesWithAndWithoutPorts) {
  EXPECT_THAT(
      ParseDnsServers("127.0.0.1:5353, [::1]:54,192.0.2.53 ,::1"),
      IsOkAndHolds(ElementsAre(
          SocketAddress(Ip("127.0.0.1"), 5353), SocketAddress(Ip("::1"), 54),
          SocketAddress(Ip("192.0.2.53"), 53), SocketAddress(Ip("::1"), 53))));
}

TEST(ParseDnsServersTest, RejectsAnythingElse) {
  EXPECT_THAT(ParseDnsServers(""), StatusIs(absl::StatusCode::kInvalidArgument,
                                            "no DNS server given"));
  for (const char* bad :
       {"dns.example", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:", "1.2.3.4:x",
        "[::1]", "[::1]:", "1.2.3.4,", "1.2.3"}) {
    EXPECT_THAT(ParseDnsServers(bad),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("DNS server \"")))
        << bad;
  }
}

}  // namespace
}  // namespace rsockd::net
