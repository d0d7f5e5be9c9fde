// rsockd: the SOCKSified SOCKS server. See README.md and docs/.
//
// main() owns the process-level concerns: flags, logging, signals (blocked
// before any thread starts and taken by sigwait on this thread), the rule
// store and its reload, and the server's lifetime.

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gflags/gflags.h"
#include "glog/logging.h"
#include "net/address.h"
#include "net/resolver.h"
#include "rsockd/config.h"
#include "rsockd/inetd.h"
#include "rsockd/pid_file.h"
#include "rsockd/privileges.h"
#include "rsockd/server.h"
#include "rsockd/syslog_sink.h"
#include "rules/rule_store.h"
#include "rules/sockd_conf.h"

namespace {

bool ValidateDuration(const char* flag, const std::string& value) {
  absl::Duration duration;
  if (absl::ParseDuration(value, &duration) &&
      duration > absl::ZeroDuration()) {
    return true;
  }
  std::cerr << "--" << flag << ": \"" << value
            << "\" is not a positive duration (e.g. 30s, 2m, 1h30m)\n";
  return false;
}

bool ValidatePort(const char* flag, int32_t value) {
  if (value >= 0 && value <= 65535) return true;
  std::cerr << "--" << flag << ": " << value << " is not a port (0..65535)\n";
  return false;
}

bool ValidateNonNegative(const char* flag, int32_t value) {
  if (value >= 0) return true;
  std::cerr << "--" << flag << ": must not be negative\n";
  return false;
}

bool ValidateDnsServers(const char* flag, const std::string& value) {
  if (value.empty()) return true;
  absl::StatusOr<std::vector<rsockd::net::SocketAddress>> servers =
      rsockd::net::ParseDnsServers(value);
  if (servers.ok()) return true;
  std::cerr << "--" << flag << ": " << servers.status().message() << "\n";
  return false;
}

bool ValidateSyslogFacility(const char* flag, const std::string& value) {
  absl::StatusOr<int> facility = rsockd::ParseSyslogFacility(value);
  if (facility.ok()) return true;
  std::cerr << "--" << flag << ": " << facility.status().message() << "\n";
  return false;
}

std::vector<std::string> ListenItems(const std::string& value) {
  return absl::StrSplit(value, ',', absl::SkipWhitespace());
}

bool ValidateListen(const char* flag, const std::string& value) {
  const std::vector<std::string> items = ListenItems(value);
  if (items.empty()) {
    std::cerr << "--" << flag << ": no address given\n";
    return false;
  }
  for (const std::string& item : items) {
    if (!rsockd::net::IpAddress::Parse(item).has_value()) {
      std::cerr << "--" << flag << ": \"" << item
                << "\" is not an IPv4 or IPv6 address literal\n";
      return false;
    }
  }
  return true;
}

}  // namespace

DECLARE_string(flagfile);  // gflags' own

DEFINE_bool(ver, false, "Print the version and build options, then exit.");
DEFINE_int32(port, 1080, "TCP port to listen on; 0 picks a free port.");
DEFINE_validator(port, &ValidatePort);
DEFINE_string(listen, "0.0.0.0",
              "Listen address(es): IPv4 or IPv6 literals, comma-separated.");
DEFINE_validator(listen, &ValidateListen);
DEFINE_string(port_file, "",
              "After binding, write the bound port and a newline here.");
DEFINE_string(sockd_conf, "/etc/sockd.conf",
              "Access rules. If this default path does not exist, an "
              "embedded default permitting only loopback clients is used.");
DEFINE_string(socks_conf, "/etc/socks.conf",
              "Routing rules (socks.conf): direct, deny or through upstream "
              "SOCKS servers, per destination.");
DEFINE_string(route_file, "/etc/sockd.route",
              "Interface routes (sockd.route): the local address to use per "
              "destination on a multi-homed host.");
DEFINE_string(socks_server, "",
              "Default upstream SOCKS server(s) for socks.conf `sockd` lines "
              "without @= (host[:port],...); empty: $SOCKS_SERVER.");
DEFINE_string(upstream_retry_after, "30s",
              "How long an upstream server that failed is tried last.");
DEFINE_validator(upstream_retry_after, &ValidateDuration);
DEFINE_int32(workers, 0,
             "Most sessions served at once (one worker thread each); 0 sizes "
             "it from the open-file limit.");
DEFINE_validator(workers, &ValidateNonNegative);
DEFINE_int32(queue, 1024,
             "Accepted connections that may wait for a worker; beyond that, "
             "clients are answered 91 at once.");
DEFINE_validator(queue, &ValidateNonNegative);
DEFINE_string(handshake_timeout, "30s",
              "How long a client has to send its whole request.");
DEFINE_validator(handshake_timeout, &ValidateDuration);
DEFINE_string(resolve_timeout, "10s",
              "How long a host name or reverse name lookup may take.");
DEFINE_validator(resolve_timeout, &ValidateDuration);
DEFINE_string(resolv_conf, "/etc/resolv.conf",
              "The resolver configuration (nameserver, search, options); "
              "read again by every lookup the cache does not answer. A path "
              "given explicitly must exist.");
DEFINE_string(dns_servers, "",
              "DNS servers to ask instead of resolv.conf's nameserver lines: "
              "IP[:port] or [IPv6]:port, comma-separated.");
DEFINE_validator(dns_servers, &ValidateDnsServers);
DEFINE_string(connect_timeout, "120s",
              "How long connecting to a destination may take (all of its "
              "addresses together).");
DEFINE_validator(connect_timeout, &ValidateDuration);
DEFINE_string(bind_timeout, "120s",
              "How long a BIND waits for its peer to connect (through an "
              "upstream: for the upstream's second reply).");
DEFINE_validator(bind_timeout, &ValidateDuration);
DEFINE_bool(bind_any_peer, true,
            "A BIND for DSTIP 0.0.0.0 admits any peer; false refuses such "
            "requests.");
DEFINE_string(idle_timeout, "2h",
              "A session with no byte in either direction for this long is "
              "closed.");
DEFINE_validator(idle_timeout, &ValidateDuration);
DEFINE_string(drain_timeout, "30s",
              "On SIGTERM/SIGINT, how long open sessions may go on.");
DEFINE_validator(drain_timeout, &ValidateDuration);
DEFINE_bool(i, false,
            "Ident level lenient for lines without ?=: ask the client's "
            "identd; a different user id gets 93, no answer is let through.");
DEFINE_bool(I, false,
            "Ident level strict for lines without ?=: as -i, but no answer "
            "from identd gets 92.");
DEFINE_string(ident_timeout, "15s",
              "How long the client's identd has to answer (connect, query, "
              "reply).");
DEFINE_validator(ident_timeout, &ValidateDuration);
DEFINE_int32(ident_port, 113, "The identd port asked (RFC 1413: 113).");
DEFINE_validator(ident_port, &ValidatePort);
DEFINE_string(hook_timeout, "30s",
              "A hook command still running after this long is killed with "
              "its process group.");
DEFINE_validator(hook_timeout, &ValidateDuration);
DEFINE_string(pidfile, "",
              "Write the process id here; removed again on a clean exit.");
DEFINE_bool(inetd, false,
            "Serve the one connection inetd passes on descriptor 0, then "
            "exit (inetd.conf: socks stream tcp nowait nobody "
            "/usr/sbin/rsockd rsockd --inetd --syslog).");
DEFINE_string(user, "",
              "After binding, switch to this user and its groups for good; "
              "rsockd exits if that fails.");
DEFINE_bool(syslog, false,
            "Also send the request log, and every warning and error, to "
            "syslog with ident rsockd.");
DEFINE_string(syslog_facility, "daemon",
              "The syslog facility of --syslog: daemon, auth, authpriv, "
              "user, local0..local7, ...");
DEFINE_validator(syslog_facility, &ValidateSyslogFacility);
DEFINE_string(syslog_socket, "/dev/log",
              "The syslog daemon's datagram socket (another path for a "
              "chroot, or for tests).");
DEFINE_bool(splice, true,
            "Relay with zero-copy splice(2); false uses read/write.");
DEFINE_bool(check_config, false,
            "Parse the configuration, print it normalized and exit 0, or "
            "print every error as file:line:col: message and exit 1.");

namespace rsockd {
namespace {

constexpr char kVersion[] = "0.1.0";

absl::Duration DurationFlag(const std::string& value) {
  absl::Duration duration;
  // Validated at parse time.
  CHECK(absl::ParseDuration(value, &duration)) << value;
  return duration;
}

// Raises the soft open-file limit to the hard one; returns the limit.
rlim_t RaiseFileLimit() {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      PLOG(WARNING) << "cannot raise the open-file limit";
      getrlimit(RLIMIT_NOFILE, &limit);
    }
  }
  return limit.rlim_cur;
}

// Default pool size: each session holds two sockets, plus pipes while bytes
// move, so a third of the descriptors, within sane bounds.
int DefaultWorkers(rlim_t file_limit) {
  const rlim_t by_files = file_limit / 3;
  return static_cast<int>(std::clamp<rlim_t>(by_files, 16, 8192));
}

bool IsExplicit(const char* flag) {
  return !gflags::GetCommandLineFlagInfoOrDie(flag).is_default;
}

ConfigPaths Paths() {
  ConfigPaths paths;
  paths.sockd_conf = FLAGS_sockd_conf;
  paths.sockd_conf_explicit = IsExplicit("sockd_conf");
  paths.socks_conf = FLAGS_socks_conf;
  paths.socks_conf_explicit = IsExplicit("socks_conf");
  paths.route_file = FLAGS_route_file;
  paths.route_file_explicit = IsExplicit("route_file");
  if (!FLAGS_socks_server.empty()) {
    paths.default_servers = FLAGS_socks_server;
    paths.default_servers_origin = "--socks_server";
  } else if (const char* env = std::getenv("SOCKS_SERVER"); env != nullptr) {
    paths.default_servers = env;
    paths.default_servers_origin = "SOCKS_SERVER";
  }
  return paths;
}

// The settings SIGHUP may change (docs/operations.md lists them): everything
// a connection reads when it is accepted, the pool limits, and logging.
// Other flags need a restart.
constexpr const char* kTunableFlags[] = {
    "handshake_timeout",
    "resolve_timeout",
    "connect_timeout",
    "bind_timeout",
    "bind_any_peer",
    "idle_timeout",
    "drain_timeout",
    "hook_timeout",
    "ident_timeout",
    "ident_port",
    "i",
    "I",
    "workers",
    "queue",
    "splice",
    "sockd_conf",
    "socks_conf",
    "route_file",
    "socks_server",
    "upstream_retry_after",
    "v",
    "vmodule",
    "minloglevel",
};

bool IsTunable(const std::string& name) {
  for (const char* tunable : kTunableFlags) {
    if (name == tunable) return true;
  }
  return false;
}

struct Tunables {
  SessionOptions session;
  net::ThreadPool::Limits pool;
  HookRunner::Options hooks;
};

Tunables TunablesFromFlags(rlim_t file_limit) {
  Tunables tunables;
  tunables.pool.max_workers =
      FLAGS_workers > 0 ? FLAGS_workers : DefaultWorkers(file_limit);
  tunables.pool.max_queue = FLAGS_queue;
  tunables.session.handshake_timeout = DurationFlag(FLAGS_handshake_timeout);
  tunables.session.resolve_timeout = DurationFlag(FLAGS_resolve_timeout);
  tunables.session.connect_timeout = DurationFlag(FLAGS_connect_timeout);
  tunables.session.idle_timeout = DurationFlag(FLAGS_idle_timeout);
  tunables.session.bind_timeout = DurationFlag(FLAGS_bind_timeout);
  tunables.session.bind_any_peer = FLAGS_bind_any_peer;
  tunables.session.upstream_retry_after =
      DurationFlag(FLAGS_upstream_retry_after);
  tunables.session.use_splice = FLAGS_splice;
  tunables.session.ident_level = FLAGS_I   ? rules::IdentLevel::kStrict
                                 : FLAGS_i ? rules::IdentLevel::kLenient
                                           : rules::IdentLevel::kOff;
  tunables.session.ident_timeout = DurationFlag(FLAGS_ident_timeout);
  tunables.session.ident_port = static_cast<uint16_t>(FLAGS_ident_port);
  tunables.hooks.timeout = DurationFlag(FLAGS_hook_timeout);
  return tunables;
}

void LogErrors(const absl::Status& status) {
  for (absl::string_view line : absl::StrSplit(status.message(), '\n')) {
    LOG(ERROR) << line;
  }
}

// Every flag's current value, to undo a reload that fails.
class FlagSnapshot {
 public:
  FlagSnapshot() { gflags::GetAllFlags(&flags_); }

  // Puts back every flag whose value differs from the snapshot, or only
  // those that are not tunable; returns the names it put back.
  std::vector<std::string> Restore(bool only_untunable) const {
    std::vector<std::string> restored;
    for (const gflags::CommandLineFlagInfo& flag : flags_) {
      if (only_untunable && IsTunable(flag.name)) continue;
      std::string now;
      if (gflags::GetCommandLineOption(flag.name.c_str(), &now) &&
          now != flag.current_value) {
        gflags::SetCommandLineOption(flag.name.c_str(),
                                     flag.current_value.c_str());
        restored.push_back(flag.name);
      }
    }
    return restored;
  }

 private:
  std::vector<gflags::CommandLineFlagInfo> flags_;
};

// SIGHUP: the flagfile's tunable flags and the config files, as one change:
// either all of it is applied, or none of it and the errors are logged.
void Reload(const char* argv0, rlim_t file_limit, rules::RuleStore& store,
            Server& server) {
  const FlagSnapshot before;
  if (!FLAGS_flagfile.empty()) {
    // gflags prints the reasons for a failure to stderr itself.
    if (!gflags::ReadFromFlagsFile(FLAGS_flagfile, argv0,
                                   /*errors_are_fatal=*/false)) {
      before.Restore(/*only_untunable=*/false);
      LOG(ERROR) << "SIGHUP: " << FLAGS_flagfile
                 << " has errors; keeping the configuration in use";
      return;
    }
    for (const std::string& name : before.Restore(/*only_untunable=*/true)) {
      LOG(WARNING) << "SIGHUP: --" << name
                   << " changed in the flagfile but needs a restart; ignored";
    }
  }
  absl::StatusOr<std::shared_ptr<const rules::RuleSet>> rules =
      LoadRuleSet(Paths());
  if (!rules.ok()) {
    LogErrors(rules.status());
    before.Restore(/*only_untunable=*/false);
    LOG(ERROR) << "SIGHUP: configuration has errors; keeping the "
                  "configuration in use";
    return;
  }
  store.Install(*std::move(rules));
  const Tunables tunables = TunablesFromFlags(file_limit);
  server.Reconfigure(tunables.session, tunables.pool, tunables.hooks);
  LOG(INFO) << "SIGHUP: configuration reloaded; workers "
            << tunables.pool.max_workers << ", queue "
            << tunables.pool.max_queue;
}

// --check_config: the normalized configuration on stdout, or every error.
int CheckConfig() {
  absl::StatusOr<std::shared_ptr<const rules::RuleSet>> rules =
      LoadRuleSet(Paths());
  if (!rules.ok()) {
    std::cerr << rules.status().message() << "\n";
    return 1;
  }
  std::cout << FormatRuleSet(**rules);
  return 0;
}

// --user, once the listeners are bound: false (logged) when asked and it
// failed; rsockd must then not serve.
bool DropPrivilegesIfAsked() {
  if (FLAGS_user.empty()) return true;
  if (absl::Status dropped = DropPrivileges(FLAGS_user); !dropped.ok()) {
    LOG(ERROR) << dropped << "; not serving";
    return false;
  }
  LOG(INFO) << "running as user " << FLAGS_user;
  return true;
}

// SIGUSR1: the stats snapshot, one log line each (to syslog too). Parts of
// the process the server does not own add their lines to `extra`.
void LogStats(const Server& server, SyslogSink* syslog) {
  std::vector<std::string> extra;
  if (syslog != nullptr) extra.push_back(syslog->StatsLine());
  const std::vector<std::string> down = server.upstreams().DownServers(
      DurationFlag(FLAGS_upstream_retry_after), absl::Now());
  extra.push_back(absl::StrCat("upstreams ", down.empty() ? "all up" : "down: ",
                               absl::StrJoin(down, ", ")));
  for (const std::string& line : server.StatsSnapshot(extra)) {
    LOG_TO_SINK(syslog, INFO) << "stats: " << line;
  }
}

// --inetd: one connection, on this thread, then exit. There is no listener
// to close and only this session to drain, so the daemon's signal handling
// does not apply: SIGTERM and SIGINT end the process at once, like any inetd
// service, and SIGHUP and SIGUSR1 are ignored (a `kill -HUP` meant for a
// daemon must not cut these sessions; each inetd connection reads the
// configuration afresh anyway). Hooks the session started may finish
// within --drain_timeout.
int ServeInetd(Server& server, InetdConnection connection) {
  if (!DropPrivilegesIfAsked()) return 1;
  server.ServeConnection(std::move(connection.socket), connection.peer);
  server.Stop(DurationFlag(FLAGS_drain_timeout));
  return 0;
}

int Main(const char* argv0, SyslogSink* syslog,
         std::optional<InetdConnection> inetd) {
  // Before any thread exists, so every thread inherits the mask and only
  // sigwait below ever sees these signals.
  sigset_t signals;
  sigemptyset(&signals);
  for (int signal : {SIGHUP, SIGINT, SIGTERM, SIGUSR1}) {
    sigaddset(&signals, signal);
  }
  if (inetd.has_value()) {
    signal(SIGHUP, SIG_IGN);
    signal(SIGUSR1, SIG_IGN);
  } else {
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  }
  signal(SIGPIPE, SIG_IGN);

  const rlim_t file_limit = RaiseFileLimit();

  absl::StatusOr<std::shared_ptr<const rules::RuleSet>> rules =
      LoadRuleSet(Paths());
  if (!rules.ok()) {
    LogErrors(rules.status());
    LOG(ERROR) << "configuration has errors; not starting";
    return 1;
  }
  rules::RuleStore store(*std::move(rules));

  const Tunables tunables = TunablesFromFlags(file_limit);
  ServerOptions options;
  for (const std::string& item : ListenItems(FLAGS_listen)) {
    options.listen.emplace_back(*net::IpAddress::Parse(item),
                                static_cast<uint16_t>(FLAGS_port));
  }
  options.pool = tunables.pool;
  options.session = tunables.session;
  options.hooks = tunables.hooks;
  options.resolver.resolv_conf = FLAGS_resolv_conf;
  options.resolver.require_resolv_conf = IsExplicit("resolv_conf");
  if (!FLAGS_dns_servers.empty()) {
    // Validated at parse time.
    options.resolver.servers = *net::ParseDnsServers(FLAGS_dns_servers);
  }
  options.request_log = syslog;
  if (inetd.has_value()) options.listen.clear();  // inetd listens

  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Create(options, &store);
  if (!server.ok()) {
    LOG(ERROR) << "cannot start: " << server.status();
    return 1;
  }
  if (inetd.has_value()) return ServeInetd(**server, *std::move(inetd));

  // Written with the privileges rsockd starts with (/run is root's); removed
  // on the way out of Main.
  std::optional<PidFile> pidfile;
  if (!FLAGS_pidfile.empty()) {
    absl::StatusOr<PidFile> written = PidFile::Create(FLAGS_pidfile);
    if (!written.ok()) {
      LOG(ERROR) << "cannot write --pidfile: " << written.status();
      return 1;
    }
    pidfile.emplace(*std::move(written));
  }
  // Last: tests and scripts take the port file as the sign of readiness.
  if (!FLAGS_port_file.empty()) {
    const std::string port = absl::StrCat((*server)->bound()[0].port(), "\n");
    if (absl::Status written = WriteFileAtomically(FLAGS_port_file, port);
        !written.ok()) {
      LOG(ERROR) << "cannot write --port_file: " << written;
      return 1;
    }
  }
  // After binding, before the first connection is accepted.
  if (!DropPrivilegesIfAsked()) return 1;
  if (absl::Status started = (*server)->Start(); !started.ok()) {
    LOG(ERROR) << "cannot start: " << started;
    return 1;
  }
  LOG(INFO) << "rsockd " << kVersion << " ready; workers "
            << options.pool.max_workers << ", queue " << options.pool.max_queue;

  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGHUP) {
      Reload(argv0, file_limit, store, **server);
    } else if (signal == SIGUSR1) {
      LogStats(**server, syslog);
    } else {
      LOG(INFO) << strsignal(signal)
                << ": stopping; draining sessions for up to "
                << FLAGS_drain_timeout;
      break;
    }
  }
  (*server)->Stop(DurationFlag(FLAGS_drain_timeout));
  LOG(INFO) << "stopped: " << (*server)->stats().ToString();
  return 0;
}

// Sets up what both modes share, then runs one of them.
int Run(const char* argv0) {
  std::optional<InetdConnection> inetd;
  if (FLAGS_inetd) {
    // First of all: until then, stdout and stderr may be the client's
    // connection, and a log line there would corrupt its SOCKS reply.
    absl::StatusOr<InetdConnection> taken = TakeInetdConnection();
    if (!taken.ok()) {
      LOG(ERROR) << taken.status();
      return 1;
    }
    inetd.emplace(*std::move(taken));
    for (const char* flag : {"pidfile", "port_file"}) {
      if (!gflags::GetCommandLineFlagInfoOrDie(flag).is_default) {
        LOG(ERROR) << "--" << flag << " does not apply with --inetd";
        return 1;
      }
    }
  }
  std::unique_ptr<SyslogSink> syslog;
  if (FLAGS_syslog) {
    absl::StatusOr<std::unique_ptr<SyslogSink>> sink = SyslogSink::Create(
        {.socket_path = FLAGS_syslog_socket,
         // Validated at parse time.
         .facility = *ParseSyslogFacility(FLAGS_syslog_facility)});
    if (!sink.ok()) {
      LOG(ERROR) << "--syslog: " << sink.status();
      return 1;
    }
    syslog = *std::move(sink);
    google::AddLogSink(syslog->warnings_and_errors());
  }
  const int status = Main(argv0, syslog.get(), std::move(inetd));
  if (syslog != nullptr) google::RemoveLogSink(syslog->warnings_and_errors());
  return status;
}

void PrintVersion() {
  std::cout << "rsockd " << kVersion << "\n"
            << "protocols: SOCKS4 SOCKS4A (CONNECT, BIND), ident (RFC 1413); "
               "no SOCKS5\n"
            << "routing (socks.conf): yes, upstream SOCKS4/4A chaining\n"
            << "multi-homed route support (sockd.route): yes\n"
            << "splice: yes (--splice=false for read/write)\n";
}

}  // namespace
}  // namespace rsockd

int main(int argc, char** argv) {
  // With TZ unset, glibc re-reads /etc/localtime (a stat(2) under its zone
  // lock) on every localtime_r and mktime, and glog calls both for every log
  // line, two per session. Naming the same file pins the zone after the first
  // read: a zone change then needs a restart, as with most daemons. Done
  // first, while this is the only thread.
  setenv("TZ", ":/etc/localtime", /*overwrite=*/0);
  // Debian builds Abseil without NDEBUG, which leaves absl::Mutex's
  // lock-order (deadlock) detection on: every Lock() then updates a graph
  // under one process-wide spinlock, which serialises the workers and relays
  // for a debugging aid. The unit tests, which do not run this main, keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // A foreground server logs to stderr unless told otherwise.
  gflags::SetCommandLineOptionWithMode("logtostderr", "true",
                                       gflags::SET_FLAGS_DEFAULT);
  gflags::SetUsageMessage(
      "rsockd [-ver] [--flag=value ...]\n"
      "The SOCKSified SOCKS server; see README.md.");
  gflags::ParseCommandLineFlags(&argc, &argv, /*remove_flags=*/true);
  if (argc > 1) {
    std::cerr << "rsockd: unexpected argument \"" << argv[1]
              << "\"; flags take the form --name=value\n";
    return 2;
  }
  if (FLAGS_ver) {
    rsockd::PrintVersion();
    return 0;
  }
  google::InitGoogleLogging(argv[0]);
  if (FLAGS_check_config) return rsockd::CheckConfig();
  return rsockd::Run(argv[0]);
}
