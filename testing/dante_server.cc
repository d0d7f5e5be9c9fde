#include "testing/dante_server.h"

#include <signal.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "testing/files.h"
#include "testing/free_port_server.h"
#include "testing/socket_io.h"

namespace rsockd::testing {
namespace {

constexpr char kDanted[] = "/usr/sbin/danted";

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

}  // namespace

bool DanteServer::Installed() { return access(kDanted, X_OK) == 0; }

absl::StatusOr<std::unique_ptr<DanteServer>> DanteServer::Start(
    const DanteOptions& options) {
  absl::StatusOr<std::string> dir = MakeTempDir("dante-");
  if (!dir.ok()) return dir.status();
  absl::StatusOr<FreePortServer> started = StartOnFreePort(
      Loopback(), "danted",
      [&](uint16_t port) -> absl::StatusOr<std::unique_ptr<Subprocess>> {
        const std::string conf = absl::StrCat(*dir, "/danted.conf");
        if (absl::Status written =
                WriteStringToFile(conf, Config(options, port));
            !written.ok()) {
          return written;
        }
        return Subprocess::Start({.argv = {kDanted, "-f", conf, "-p",
                                           absl::StrCat(*dir, "/danted.pid")}});
      });
  if (!started.ok()) {
    (void)RemoveTree(*dir);
    return started.status();
  }
  return std::unique_ptr<DanteServer>(new DanteServer(
      *std::move(dir), std::move(started->process), started->address));
}

DanteServer::~DanteServer() {
  if (process_->Running() && process_->Signal(SIGTERM).ok()) {
    (void)process_->Wait(absl::Seconds(10));
  }
  process_.reset();
  (void)RemoveTree(dir_);
}

}  // namespace rsockd::testing
