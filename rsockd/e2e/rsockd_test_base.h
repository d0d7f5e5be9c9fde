// This file defines `RsockdTest`, the fixture of the end-to-end tests: it
// starts the real rsockd binary (see testing/rsockd_process.h), and more of
// them as upstream hops for routing tests, and at the end of every test
// stops them all with SIGTERM and expects exit code 0 — so a server that
// crashed or hung during a test fails that test. When a test fails, the tail
// of the server's log is printed.
//
// Bounds: every wait here and in the tests is bounded; the bounds are
// generous because CI runs these on a loaded 2-core machine, and a passing
// run never waits them out.

#ifndef RSOCKD_RSOCKD_E2E_RSOCKD_TEST_BASE_H_
#define RSOCKD_RSOCKD_E2E_RSOCKD_TEST_BASE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/address.h"
#include "net/socket.h"
#include "testing/rsockd_process.h"

namespace rsockd::e2e {

// Any single network step (connect, handshake, a transfer of a few MiB).
inline constexpr absl::Duration kStepTimeout = absl::Seconds(30);
// A whole external client run (curl, socat, python3).
inline constexpr absl::Duration kCommandTimeout = absl::Seconds(60);
// Waiting for a log line about something that has already happened.
inline constexpr absl::Duration kLogTimeout = absl::Seconds(20);
// What rsockd logs once a SIGHUP has installed new rules.
inline constexpr char kReloaded[] = "SIGHUP: configuration reloaded";
// A sockd.conf that admits loopback clients: what a server gets when its
// RsockdOptions name none, spelled out for hops and for tests that say so.
inline constexpr char kPermitLoopback[] = "permit 127.0.0.0 255.0.0.0\n";

class RsockdTest : public ::testing::Test {
 protected:
  // Starts rsockd; a failure to start fails the test (use with
  // ASSERT_NO_FATAL_FAILURE).
  void StartRsockd(const rsockd::testing::RsockdOptions& options = {});

  // StartRsockd() with a socks.conf that sends every destination through
  // `servers`, tried in order (`ThroughServers`); it replaces any
  // `options.socks_conf`.
  void StartRsockdThrough(const std::vector<net::SocketAddress>& servers,
                          rsockd::testing::RsockdOptions options = {});

  // Starts another rsockd, as an upstream hop of the server under test
  // (route to it with `ThroughServers({hop.address()})`). Hops stay up until
  // the end of the test and are stopped, and checked like the server, after
  // it. A hop that cannot start is a broken test environment: it aborts the
  // test binary (CHECK) with the reason.
  rsockd::testing::RsockdProcess& StartHop(
      const rsockd::testing::RsockdOptions& options);

  // A cascade of two hops, both with `sockd_conf`: `last`, then `middle`
  // sending every destination through `last`. The server under test joins
  // it with `ThroughServers({middle.address()})`.
  struct HopChain {
    rsockd::testing::RsockdProcess& middle;
    rsockd::testing::RsockdProcess& last;
  };
  HopChain StartHopChain(const std::string& sockd_conf);

  // Stops the server, then the hops, and checks that each exited 0.
  void TearDown() override;

  rsockd::testing::RsockdProcess& rsockd() { return *rsockd_; }
  net::SocketAddress proxy() const { return rsockd_->address(); }

  // The last few KiB of the server's log, for failure messages.
  std::string LogTail() const;

  // Opens a CONNECT through the server to `echo` (an echo server) as `user`,
  // sends `data` over it as EchoRoundTrip() does, and closes it: the server
  // serves, and the session is over when this returns.
  ::testing::AssertionResult EchoThroughProxy(const net::SocketAddress& echo,
                                              absl::string_view user,
                                              absl::string_view data);

  // Sends the server SIGHUP and waits (kLogTimeout) for `expected_line` to
  // be logged after that: kReloaded, or an error the reload reports.
  ::testing::AssertionResult Reload(absl::string_view expected_line);

  // Asks for the statistics snapshot (SIGUSR1) until one contains
  // `substring` — counters settle a moment after a client sees its session
  // end, a worker picks a connection up a moment after it was accepted —
  // and returns the log from that snapshot on, through its "stats: hooks"
  // line at least.
  absl::StatusOr<std::string> WaitForStats(absl::string_view substring,
                                           absl::Duration timeout);

  // Descriptor counts of the server (/proc/PID/fd), for leak checks.
  // Polls the count until it is at most `limit`; the failure lists the
  // open descriptors.
  ::testing::AssertionResult WaitForFdCountAtMost(int limit,
                                                  absl::Duration timeout);
  // Polls until the count has not changed for a second; returns it.
  absl::StatusOr<int> SettledFdCount(absl::Duration timeout);

 private:
  std::unique_ptr<rsockd::testing::RsockdProcess> rsockd_;
  // In the order started.
  std::vector<std::unique_ptr<rsockd::testing::RsockdProcess>> hops_;
};

// The socks.conf line that sends every destination through `servers`, tried
// in order: "sockd @=127.0.0.1:4242,127.0.0.1:4243 ALL\n".
std::string ThroughServers(const std::vector<net::SocketAddress>& servers);

// Sends `data` through `tunnel` (an open CONNECT to an echo server) while
// reading the echo, then half-closes and expects exactly `data` back
// followed by EOF.
::testing::AssertionResult EchoRoundTrip(net::Socket& tunnel,
                                         absl::string_view data);

}  // namespace rsockd::e2e

#endif  // RSOCKD_RSOCKD_E2E_RSOCKD_TEST_BASE_H_
