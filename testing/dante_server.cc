#include "testing/dante_server.h"

#include <signal.h>
#include <unistd.h>

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "testing/files.h"
#include "testing/socket_io.h"

namespace rsockd::testing {
namespace {

constexpr char kDanted[] = "/usr/sbin/danted";
constexpr int kAttempts = 5;
constexpr absl::Duration kStartTimeout = absl::Seconds(20);

absl::StatusOr<uint16_t> FreePort() {
  absl::StatusOr<net::Socket> probe =
      net::Socket::Listen(LoopbackAddress(0), 1);
  if (!probe.ok()) return probe.status();
  absl::StatusOr<net::SocketAddress> bound = probe->LocalAddress();
  if (!bound.ok()) return bound.status();
  return bound->port();
}

std::string Config(const DanteOptions& options, uint16_t port) {
  std::string conf = absl::StrCat(
      "logoutput: stderr\n"
      "internal: 127.0.0.1 port = ",
      port,
      "\n"
      "external: 127.0.0.1\n"
      "clientmethod: none\n"
      "socksmethod: none\n"
      "user.privileged: root\n"
      "user.unprivileged: nobody\n"
      "client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }\n",
      options.deny_all ? "socks block { from: 0.0.0.0/0 to: 0.0.0.0/0 }\n"
                       : "socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 "
                         "command: connect bind bindreply }\n");
  if (options.upstream.has_value()) {
    // danted's parser wants these on separate lines.
    absl::StrAppend(
        &conf, "route {\n  from: 0.0.0.0/0 to: 0.0.0.0/0 via: ",
        options.upstream->ip().ToString(), " port = ", options.upstream->port(),
        "\n  proxyprotocol: socks_v4\n  command: connect bind\n}\n");
  }
  return conf;
}

// Polls until `address` accepts a connection, `process` ends, or the time
// is up.
absl::Status WaitListening(const net::SocketAddress& address,
                           Subprocess& process) {
  const absl::Time deadline = absl::Now() + kStartTimeout;
  while (absl::Now() < deadline) {
    if (!process.Running()) {
      return absl::UnavailableError(
          absl::StrCat("danted exited: ", process.ReadStderr()));
    }
    absl::StatusOr<net::Socket> probe = net::Socket::Connect(
        address, std::nullopt, net::Deadline::In(absl::Seconds(1)));
    if (probe.ok()) return absl::OkStatus();
    // Nothing to wait on but time: danted gives no readiness signal.
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "danted did not listen on ", address.ToString(), " within ",
      absl::FormatDuration(kStartTimeout), ": ", process.ReadStderr()));
}

}  // namespace

bool DanteServer::Installed() { return access(kDanted, X_OK) == 0; }

absl::StatusOr<std::unique_ptr<DanteServer>> DanteServer::Start(
    const DanteOptions& options) {
  absl::StatusOr<std::string> dir = MakeTempDir("dante-");
  if (!dir.ok()) return dir.status();
  absl::Status last_error;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    absl::StatusOr<uint16_t> port = FreePort();
    if (!port.ok()) return port.status();
    const std::string conf = absl::StrCat(*dir, "/danted.conf");
    if (absl::Status written = WriteStringToFile(conf, Config(options, *port));
        !written.ok()) {
      return written;
    }
    absl::StatusOr<std::unique_ptr<Subprocess>> process =
        Subprocess::Start({.argv = {kDanted, "-f", conf, "-p",
                                    absl::StrCat(*dir, "/danted.pid")}});
    if (!process.ok()) return process.status();
    const net::SocketAddress address = LoopbackAddress(*port);
    last_error = WaitListening(address, **process);
    if (last_error.ok()) {
      return std::unique_ptr<DanteServer>(
          new DanteServer(*std::move(dir), *std::move(process), address));
    }
    (void)(*process)->Signal(SIGTERM);
    (void)(*process)->Wait(absl::Seconds(10));
  }
  (void)RemoveTree(*dir);
  return last_error;
}

DanteServer::~DanteServer() {
  if (process_->Running() && process_->Signal(SIGTERM).ok()) {
    (void)process_->Wait(absl::Seconds(10));
  }
  process_.reset();
  (void)RemoveTree(dir_);
}

}  // namespace rsockd::testing
