#include "testing/rsockd_process.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "testing/files.h"
#include "testing/socket_io.h"
#include "testing/wait_for.h"

namespace rsockd::testing {
namespace {

std::string Env(const char* name) {
  const char* value = getenv(name);
  return value == nullptr ? "" : value;
}

}  // namespace

absl::StatusOr<std::string> RsockdProcess::BinaryPath() {
  std::string path = Env("RSOCKD_BINARY");
  if (path.empty()) path = RunfilePath("rsockd/rsockd");
  if (access(path.c_str(), X_OK) != 0) {
    return absl::NotFoundError(
        absl::StrCat("no rsockd binary at ", path,
                     " (add data = [\"//rsockd:rsockd\"] to the test, or set "
                     "$RSOCKD_BINARY)"));
  }
  return path;
}

absl::StatusOr<std::unique_ptr<RsockdProcess>> RsockdProcess::Start(
    const RsockdOptions& options) {
  std::string binary;
  if (options.binary_path.has_value()) {
    binary = *options.binary_path;
  } else {
    absl::StatusOr<std::string> found = BinaryPath();
    if (!found.ok()) return found.status();
    binary = *std::move(found);
  }
  absl::StatusOr<std::string> dir = MakeTempDir("rsockd-");
  if (!dir.ok()) return dir.status();
  const std::string conf_path = absl::StrCat(*dir, "/sockd.conf");
  const std::string port_path = absl::StrCat(*dir, "/port");
  if (absl::Status written = WriteStringToFile(conf_path, options.sockd_conf);
      !written.ok()) {
    return written;
  }

  SubprocessOptions spawn;
  spawn.argv = {binary, "--port=0", absl::StrCat("--port_file=", port_path),
                "--logtostderr", absl::StrCat("--sockd_conf=", conf_path)};
  if (options.listen.has_value()) {
    spawn.argv.push_back(absl::StrCat("--listen=", *options.listen));
  }
  // Each optional file: written and passed, or an empty path (no file).
  for (const auto& [flag, name, text] :
       {std::tuple("--socks_conf=", "/socks.conf", &options.socks_conf),
        std::tuple("--route_file=", "/sockd.route", &options.route_file)}) {
    std::string path;
    if (text->has_value()) {
      path = absl::StrCat(*dir, name);
      if (absl::Status written = WriteStringToFile(path, **text);
          !written.ok()) {
        return written;
      }
    }
    spawn.argv.push_back(absl::StrCat(flag, path));
  }
  spawn.argv.insert(spawn.argv.end(), options.extra_flags.begin(),
                    options.extra_flags.end());
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start(spawn);
  if (!process.ok()) return process.status();

  // Poll for the port file: rsockd writes it once, after binding. Only a
  // complete line counts, so a half-written file is never misread.
  Subprocess& child = **process;
  absl::StatusOr<uint16_t> port = WaitUntilAvailable(
      [&]() -> absl::StatusOr<uint16_t> {
        // The running state first: a server that wrote the file and then
        // exited is not reported as having exited without it.
        const bool running = child.Running();
        absl::StatusOr<std::string> contents = ReadFileToString(port_path);
        if (contents.ok() && absl::EndsWith(*contents, "\n")) {
          uint32_t number = 0;
          if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*contents),
                                &number) ||
              number == 0 || number > 65535) {
            return absl::InternalError(absl::StrCat(
                "rsockd wrote a bad port file: \"", *contents, "\""));
          }
          return static_cast<uint16_t>(number);
        }
        if (!running) {
          return absl::FailedPreconditionError(
              absl::StrCat(child.command_line(), " exited (",
                           child.exit_status()->ToString(),
                           ") before writing its port file"));
        }
        return absl::UnavailableError(
            absl::StrCat(child.command_line(), " wrote no port file"));
      },
      options.startup_timeout);
  if (!port.ok()) {
    return absl::Status(port.status().code(),
                        absl::StrCat(port.status().message(), "; stderr:\n",
                                     child.ReadStderr()));
  }
  return std::unique_ptr<RsockdProcess>(
      new RsockdProcess(*std::move(dir), *std::move(process), *port));
}

RsockdProcess::~RsockdProcess() {
  process_.reset();  // Kills and reaps first; then the files can go.
  (void)RemoveTree(dir_);
}

net::SocketAddress RsockdProcess::address() const {
  return LoopbackAddress(port_);
}

absl::StatusOr<ExitStatus> RsockdProcess::Stop(absl::Duration timeout) {
  if (process_->Running()) {
    if (absl::Status sent = process_->Signal(SIGTERM); !sent.ok()) {
      // It may have exited between the two calls; Wait tells.
      if (process_->Running()) return sent;
    }
  }
  return process_->Wait(timeout);
}

absl::StatusOr<int> RsockdProcess::OpenFdCount() const {
  const std::string path = absl::StrCat("/proc/", pid(), "/fd");
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) {
    return absl::ErrnoToStatus(errno, absl::StrCat("opendir(", path, ")"));
  }
  int count = 0;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count;
}

std::string RsockdProcess::DescribeOpenFds() const {
  const std::string path = absl::StrCat("/proc/", pid(), "/fd");
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return absl::StrCat("(cannot list ", path, ")");
  std::string description;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    char target[512];
    const std::string link = absl::StrCat(path, "/", entry->d_name);
    const ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
    absl::StrAppend(&description, entry->d_name, " -> ",
                    n < 0 ? "?" : absl::string_view(target, n), "\n");
  }
  closedir(dir);
  return description;
}

}  // namespace rsockd::testing
