#include "testing/ftp_server.h"

#include <signal.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "testing/free_port_server.h"

namespace rsockd::testing {
namespace {

// Debian's interpreter: a python3 earlier on PATH may not see Debian's
// packages (docs/testing.md#real-peers-and-clients).
constexpr char kPython[] = "/usr/bin/python3";
constexpr char kPyftpdlib[] = "/usr/lib/python3/dist-packages/pyftpdlib";

}  // namespace

bool FtpServer::Installed() {
  return access(kPython, X_OK) == 0 && access(kPyftpdlib, R_OK) == 0;
}

absl::StatusOr<std::unique_ptr<FtpServer>> FtpServer::Start(
    const net::IpAddress& ip, const std::string& root) {
  absl::StatusOr<FreePortServer> started =
      StartOnFreePort(ip, "pyftpdlib", [&](uint16_t port) {
        return Subprocess::Start(
            {.argv = {kPython, "-m", "pyftpdlib", "-i", ip.ToString(), "-p",
                      absl::StrCat(port), "-d", root}});
      });
  if (!started.ok()) return started.status();
  return std::unique_ptr<FtpServer>(
      new FtpServer(std::move(started->process), started->address));
}

FtpServer::~FtpServer() {
  if (process_->Running() && process_->Signal(SIGTERM).ok()) {
    (void)process_->Wait(absl::Seconds(10));
  }
}

}  // namespace rsockd::testing
