// rsockd: the SOCKSified SOCKS server. See README.md and docs/.
//
// main() owns the process-level concerns: flags and --help, logging,
// signals (blocked before any thread starts and taken by sigwait on this
// thread), and the server's lifetime: setup, serving signals until SIGTERM
// or SIGINT (SIGHUP runs the reload, rsockd/process/reload.h), shutdown.
// Flags become option structs here; no library reads them.

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

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gflags/gflags.h"
#include "glog/logging.h"
#include "net/address.h"
#include "net/resolver.h"
#include "rsockd/base/files.h"
#include "rsockd/base/status_macros.h"
#include "rsockd/process/config_watcher.h"
#include "rsockd/process/inetd.h"
#include "rsockd/process/pid_file.h"
#include "rsockd/process/privileges.h"
#include "rsockd/process/reload.h"
#include "rsockd/process/syslog_sink.h"
#include "rsockd/server/config.h"
#include "rsockd/server/descriptor_budget.h"
#include "rsockd/server/front_end.h"
#include "rsockd/server/server.h"
#include "rules/rule_set.h"
#include "rules/rule_store.h"
#include "rules/sockd_conf.h"

namespace {

bool ValidateSocks5Auth(const char* flag, const std::string& value) {
  if (rsockd::ParseSocks5Auth(value).has_value()) return true;
  std::cerr << "--" << flag << ": \"" << value
            << "\" is not one of any, password, none\n";
  return false;
}

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

// gflags' own.
DECLARE_string(flagfile);
DECLARE_bool(help);
DECLARE_bool(helpfull);
DECLARE_bool(helpshort);

DEFINE_bool(ver, false, "Print the version and build options, then exit.");
DEFINE_int32(port, 1080, "TCP port to listen on; 0 picks a free port.");
DEFINE_validator(port, &ValidatePort);
DEFINE_string(listen, "0.0.0.0,::",
              "Listen address(es): IPv4 or IPv6 literals, comma-separated. "
              "The default drops :: on a host without IPv6.");
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
              "without @= or with an empty @= (host[:port],...); empty: "
              "$SOCKS_SERVER.");
DEFINE_string(upstream_retry_after, "30s",
              "How long an upstream server that failed is tried last.");
DEFINE_validator(upstream_retry_after, &ValidateDuration);
DEFINE_int32(workers, 0,
             "Most sessions served at once (one worker thread each); 0 sizes "
             "it from the open-file limit.");
DEFINE_validator(workers, &ValidateNonNegative);
DEFINE_int32(queue, 1024,
             "Accepted connections that may wait for a worker; beyond that, "
             "clients are answered 91 at once. Shrunk (with a warning) when "
             "the open-file limit cannot hold it beside the workers.");
DEFINE_validator(queue, &ValidateNonNegative);
DEFINE_string(handshake_timeout, "10s",
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
            "exit; a TCP connection on descriptor 0 means this even without "
            "the flag (inetd.conf: socks stream tcp nowait nobody "
            "/usr/sbin/rsockd rsockd -i). Logs go to syslog.");
DEFINE_string(user, "",
              "After binding, switch to this user and its groups for good; "
              "rsockd exits if that fails.");
DEFINE_bool(syslog, false,
            "Also send the request log (notice; *Alert* lines warning), and "
            "every warning and error, to syslog with ident rsockd; always "
            "on in inetd mode.");
DEFINE_string(syslog_facility, "daemon",
              "The syslog facility of --syslog: daemon, auth, authpriv, "
              "user, local0..local7, ...");
DEFINE_validator(syslog_facility, &ValidateSyslogFacility);
DEFINE_string(syslog_socket, "/dev/log",
              "The syslog daemon's datagram socket (another path for a "
              "chroot, or for tests).");
DEFINE_bool(splice, true,
            "Relay with zero-copy splice(2); false uses read/write.");
DEFINE_string(password_file, "",
              "SOCKS5 username/password (RFC 1929): the users and their "
              "crypt(3) hashes, one user:hash a line, as mkpasswd or "
              "htpasswd -nB make them; empty: none. Read again on SIGHUP "
              "with the rule files.");
DEFINE_string(socks5_auth, "any",
              "SOCKS5 authentication: any (username/password when the "
              "client offers it and --password_file is set, else none), "
              "password (username/password only), none (no authentication "
              "only). A client offering nothing allowed gets method FF.");
DEFINE_validator(socks5_auth, &ValidateSocks5Auth);
DEFINE_bool(reload_on_change, false,
            "Reload, as on SIGHUP, when a configuration file (the three rule "
            "files, their frozen files, /file user lists, --password_file, "
            "--flagfile) is written or replaced; watched with inotify, "
            "debounced.");
DEFINE_int32(pipe_memory_mib, 16,
             "MiB the relays' splice(2) pipes may hold at once (1 MiB a "
             "pipe, lent while bytes move, held while a reader is slow); "
             "beyond it a relay copies through a 16 KiB buffer. 0: no pipes.");
DEFINE_validator(pipe_memory_mib, &ValidateNonNegative);
DEFINE_bool(check_config, false,
            "Parse the configuration, print it normalized and exit 0, or "
            "print every error as file:line:col: message and exit 1.");

namespace rsockd {
namespace {

constexpr char kVersion[] = "0.1.0";

// The top of --help (and gflags' --helpxml, --helpon).
constexpr char kUsage[] =
    "Usage: rsockd [--flag=value ...]\n"
    "The SOCKSified SOCKS server: a SOCKS4/4A gateway with routing; see "
    "rsockd(8).\n"
    "\n"
    "Examples:\n"
    "  rsockd --sockd_conf=/etc/sockd.conf --socks_conf=/etc/socks.conf "
    "--port=1080\n"
    "  rsockd --flagfile=/etc/rsockd/rsockd.flags --check_config\n";

// --help lists rsockd's own flags in these groups, in this order. Every flag
// this file defines is in exactly one of them (rsockd/e2e/lifecycle_test.cc
// checks that against --helpxml).
struct FlagGroup {
  std::string heading;
  std::vector<std::string> flags;
};

std::vector<FlagGroup> FlagGroups() {
  return {
      {"Listening", {"port", "listen", "port_file", "inetd", "bind_any_peer"}},
      {"Configuration files",
       {"sockd_conf", "socks_conf", "route_file", "check_config",
        "reload_on_change"}},
      {"SOCKS5", {"socks5_auth", "password_file"}},
      {"Timeouts",
       {"handshake_timeout", "resolve_timeout", "connect_timeout",
        "bind_timeout", "idle_timeout", "hook_timeout", "drain_timeout"}},
      {"Ident (RFC 1413)", {"i", "I", "ident_timeout", "ident_port"}},
      {"Upstream servers and DNS",
       {"socks_server", "upstream_retry_after", "resolv_conf", "dns_servers"}},
      {"Process",
       {"ver", "workers", "queue", "splice", "pipe_memory_mib", "user",
        "pidfile", "syslog", "syslog_facility", "syslog_socket"}},
  };
}

// `text` in lines of at most `width` columns (a longer word gets a line of
// its own), each indented by `indent` spaces.
std::string Wrap(absl::string_view text, size_t indent, size_t width) {
  std::string wrapped;
  std::string line;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (!line.empty() && indent + line.size() + 1 + word.size() > width) {
      absl::StrAppend(&wrapped, std::string(indent, ' '), line, "\n");
      line.clear();
    }
    absl::StrAppend(&line, line.empty() ? "" : " ", word);
  }
  if (!line.empty()) absl::StrAppend(&wrapped, std::string(indent, ' '), line);
  return absl::StrCat(wrapped, "\n");
}

// --help's width: a line fits a terminal of 80 columns.
constexpr size_t kHelpWidth = 79;

// One flag in --help: "  --port=N (default: 1080)", then what it does. A
// default that goes without saying (empty, false) is left out.
std::string DescribeFlag(const gflags::CommandLineFlagInfo& flag) {
  std::string line =
      absl::StrCat("  ", flag.name.size() == 1 ? "-" : "--", flag.name);
  if (flag.type != "bool") {
    absl::StrAppend(&line, flag.type == "string" ? "=VALUE" : "=N");
  }
  if (!flag.default_value.empty() && flag.default_value != "false") {
    absl::StrAppend(&line, " (default: ", flag.default_value, ")");
  }
  return absl::StrCat(line, "\n", Wrap(flag.description, 6, kHelpWidth));
}

// --help and --helpshort: the usage, then rsockd's own flags by group.
// --helpfull: then the flags of the libraries too, in gflags' format, by the
// file that defines them.
std::string Help(bool full) {
  std::string help = kUsage;
  for (const FlagGroup& group : FlagGroups()) {
    absl::StrAppend(&help, "\n", group.heading, ":\n");
    for (const std::string& name : group.flags) {
      absl::StrAppend(
          &help,
          DescribeFlag(gflags::GetCommandLineFlagInfoOrDie(name.c_str())));
    }
  }
  absl::StrAppend(
      &help, "\n",
      Wrap("Boolean flags take the forms --name and --noname. "
           "--flagfile=FILE reads flags from FILE, one a line; SIGHUP reads "
           "it again. --helpfull also lists the flags of the libraries "
           "rsockd is built with (logging).",
           0, kHelpWidth));
  if (!full) return help;
  absl::StrAppend(&help,
                  "\nThe libraries' flags, by the file that defines them:\n");
  std::vector<gflags::CommandLineFlagInfo> flags;
  gflags::GetAllFlags(&flags);  // sorted by file
  std::string file;
  for (const gflags::CommandLineFlagInfo& flag : flags) {
    if (flag.filename == __FILE__) continue;
    if (flag.filename != file) {
      file = flag.filename;
      absl::StrAppend(&help, "\nFlags from ", file, ":\n");
    }
    absl::StrAppend(&help, gflags::DescribeOneFlag(flag));
  }
  return help;
}

absl::Duration DurationFlag(const std::string& value) {
  absl::Duration duration;
  // Validated at parse time.
  CHECK(absl::ParseDuration(value, &duration)) << value;
  return duration;
}

// Raises the soft open-file limit to the hard one.
void RaiseFileLimit() {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      PLOG(WARNING) << "cannot raise the open-file limit";
    }
  }
}

// The open-file limit in force now (`prlimit --pid` can change it while
// rsockd runs; a reload sizes the pool for it).
rlim_t CurrentFileLimit() {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  return limit.rlim_cur;
}

bool IsExplicit(const char* flag) {
  return !gflags::GetCommandLineFlagInfoOrDie(flag).is_default;
}

ConfigPaths PathsFromFlags() {
  ConfigPaths paths;
  paths.sockd_conf = FLAGS_sockd_conf;
  paths.sockd_conf_explicit = IsExplicit("sockd_conf");
  paths.socks_conf = FLAGS_socks_conf;
  paths.socks_conf_explicit = IsExplicit("socks_conf");
  paths.route_file = FLAGS_route_file;
  paths.route_file_explicit = IsExplicit("route_file");
  paths.password_file = FLAGS_password_file;
  if (!FLAGS_socks_server.empty()) {
    paths.default_servers = FLAGS_socks_server;
    paths.default_servers_origin = "--socks_server";
  } else if (const char* env = std::getenv("SOCKS_SERVER"); env != nullptr) {
    paths.default_servers = env;
    paths.default_servers_origin = "SOCKS_SERVER";
  }
  return paths;
}

// The tunables, with the pool sized for the open-file limit in force.
Tunables TunablesFromFlags() {
  Tunables tunables;
  const PoolSize pool = PoolForFileLimit(
      static_cast<int64_t>(std::min<rlim_t>(CurrentFileLimit(), INT64_MAX)),
      FLAGS_workers, FLAGS_queue);
  // Said at start and on every reload, while it holds.
  if (pool.queue < FLAGS_queue) {
    LOG(WARNING) << pool.ExplainShrink(FLAGS_queue);
  }
  tunables.pool.max_workers = pool.workers;
  tunables.pool.max_queue = pool.queue;
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
  tunables.session.socks5_auth = *ParseSocks5Auth(FLAGS_socks5_auth);
  tunables.hooks.timeout = DurationFlag(FLAGS_hook_timeout);
  return tunables;
}

// What SIGHUP re-reads, and how the flags map to it.
Reloader::Options ReloadOptions(const char* argv0) {
  return {
      // The flags SIGHUP may change (docs/operations.md lists them):
      // everything a connection reads when it is accepted, the pool limits,
      // the configuration files, and logging. Other flags need a restart.
      .tunable_flags = {"handshake_timeout",
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
                        "password_file",
                        "socks5_auth",
                        "socks_server",
                        "upstream_retry_after",
                        "v",
                        "vmodule",
                        "minloglevel"},
      .program = argv0,
      .paths = &PathsFromFlags,
      .tunables = &TunablesFromFlags,
  };
}

ServerOptions ServerOptionsFromFlags(SyslogSink* syslog, bool inetd) {
  ServerOptions options;
  options.tunables = TunablesFromFlags();
  if (!inetd) {  // else inetd listens
    // The default serves both families where the host has IPv6; an address
    // given explicitly must be bound, or rsockd does not start.
    const bool drop_ipv6 = !IsExplicit("listen") && !net::Ipv6Available();
    if (drop_ipv6) LOG(INFO) << "this host has no IPv6: not listening on ::";
    for (const std::string& item : ListenItems(FLAGS_listen)) {
      const net::IpAddress ip = *net::IpAddress::Parse(item);
      if (drop_ipv6 && !ip.is_ipv4()) continue;
      options.listen.emplace_back(ip, static_cast<uint16_t>(FLAGS_port));
    }
  }
  options.pipe_memory = static_cast<size_t>(FLAGS_pipe_memory_mib) << 20;
  options.resolver.resolv_conf = FLAGS_resolv_conf;
  options.resolver.require_resolv_conf = IsExplicit("resolv_conf");
  if (!FLAGS_dns_servers.empty()) {
    // Validated at parse time.
    options.resolver.servers = *net::ParseDnsServers(FLAGS_dns_servers);
  }
  options.request_log = syslog;
  return options;
}

// --reload_on_change: watches the configuration's files (WatchedFiles)
// and, once a burst of changes is over, reloads exactly as SIGHUP does, by
// sending this process SIGHUP: the reload then runs on main's thread like
// any other, and one arriving while another is pending is merged with it.
absl::StatusOr<std::unique_ptr<ConfigWatcher>> WatchConfig(
    const rules::RuleSet& rules) {
  return ConfigWatcher::Start(
      {.paths = WatchedFiles(PathsFromFlags(), FLAGS_flagfile, rules)},
      [](std::vector<std::string> changed) {
        LOG(INFO) << "--reload_on_change: " << absl::StrJoin(changed, ", ")
                  << " changed; reloading";
        kill(getpid(), SIGHUP);
      });
}

// --check_config: the normalized configuration on stdout, or every error.
int CheckConfig() {
  absl::StatusOr<std::shared_ptr<const rules::RuleSet>> rules =
      LoadRuleSet(PathsFromFlags());
  if (!rules.ok()) {
    std::cerr << rules.status().message() << "\n";
    return 1;
  }
  std::cout << FormatRuleSet(**rules);
  return 0;
}

// `status` after `context`, as a line of the log says it ("cannot write
// --pidfile: PERMISSION_DENIED: ...").
absl::Status InContext(absl::string_view context, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(context, status.ToString()));
}

// --user, once the listeners are bound. When asked and it fails, rsockd
// must not serve.
absl::Status DropPrivilegesIfAsked() {
  if (FLAGS_user.empty()) return absl::OkStatus();
  if (absl::Status dropped = DropPrivileges(FLAGS_user); !dropped.ok()) {
    return absl::Status(dropped.code(),
                        absl::StrCat(dropped.ToString(), "; not serving"));
  }
  LOG(INFO) << "running as user " << FLAGS_user;
  return absl::OkStatus();
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

// Sets the signal dispositions and returns the signals ServeSignals takes.
// Called before any thread exists, so every thread inherits the mask and
// only sigwait ever sees these signals. In inetd mode (see ServeInetd)
// nothing is blocked: SIGHUP and SIGUSR1 are ignored, SIGTERM and SIGINT
// keep their default action.
sigset_t SetUpSignals(bool inetd) {
  sigset_t signals;
  sigemptyset(&signals);
  for (int signal : {SIGHUP, SIGINT, SIGTERM, SIGUSR1}) {
    sigaddset(&signals, signal);
  }
  if (inetd) {
    signal(SIGHUP, SIG_IGN);
    signal(SIGUSR1, SIG_IGN);
  } else {
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  }
  signal(SIGPIPE, SIG_IGN);
  return signals;
}

// --inetd: one connection, on this thread, then exit. There is no listener
// to close and only this session to drain, so the daemon's signal handling
// does not apply: SIGTERM and SIGINT end the process at once, like any inetd
// service, and SIGHUP and SIGUSR1 are ignored (a `kill -HUP` meant for a
// daemon must not cut these sessions; each inetd connection reads the
// configuration afresh anyway). Hooks the session started may finish
// within --drain_timeout.
int ServeInetd(Server& server, InetdConnection connection) {
  if (absl::Status dropped = DropPrivilegesIfAsked(); !dropped.ok()) {
    LOG(ERROR) << dropped.message();
    return 1;
  }
  server.ServeConnection(std::move(connection.socket), connection.peer);
  server.Stop(DurationFlag(FLAGS_drain_timeout));
  return 0;
}

// What the daemon holds while it serves; the pid file goes last.
struct Daemon {
  std::optional<PidFile> pidfile;
  std::unique_ptr<ConfigWatcher> watcher;
};

// The daemon's setup once `server` is bound: the pid file, the port file,
// --user, the acceptor, --reload_on_change.
absl::StatusOr<Daemon> SetUpDaemon(Server& server,
                                   const rules::RuleStore& store) {
  Daemon daemon;
  // Written with the privileges rsockd starts with (/run is root's).
  if (!FLAGS_pidfile.empty()) {
    absl::StatusOr<PidFile> written = PidFile::Create(FLAGS_pidfile);
    if (!written.ok()) {
      return InContext("cannot write --pidfile: ", written.status());
    }
    daemon.pidfile.emplace(*std::move(written));
  }
  // Tests and scripts take the port file as the sign of readiness: the
  // listeners are bound, so connections wait in their backlog.
  if (!FLAGS_port_file.empty()) {
    const std::string port = absl::StrCat(server.bound()[0].port(), "\n");
    if (absl::Status written = WriteFileAtomically(FLAGS_port_file, port, 0644);
        !written.ok()) {
      return InContext("cannot write --port_file: ", written);
    }
  }
  // After binding, before the first connection is accepted.
  RSOCKD_RETURN_IF_ERROR(DropPrivilegesIfAsked());
  if (absl::Status started = server.Start(); !started.ok()) {
    return InContext("cannot start: ", started);
  }
  if (FLAGS_reload_on_change) {
    absl::StatusOr<std::unique_ptr<ConfigWatcher>> watcher =
        WatchConfig(*store.Current());
    if (!watcher.ok()) {
      return InContext("--reload_on_change: ", watcher.status());
    }
    daemon.watcher = *std::move(watcher);
  }
  return daemon;
}

// Takes `signals` until SIGTERM or SIGINT: SIGHUP reloads, SIGUSR1 logs the
// stats.
void ServeSignals(const sigset_t& signals, Reloader& reloader,
                  const Server& server, SyslogSink* syslog) {
  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    switch (signal) {
      case SIGHUP:
        reloader.Reload().IgnoreError();  // it logs the outcome
        break;
      case SIGUSR1:
        LogStats(server, syslog);
        break;
      default:
        LOG(INFO) << strsignal(signal)
                  << ": stopping; draining sessions for up to "
                  << FLAGS_drain_timeout;
        return;
    }
  }
}

// Stops accepting, drains the sessions, and says what was served.
void Shutdown(Server& server) {
  server.Stop(DurationFlag(FLAGS_drain_timeout));
  LOG(INFO) << "stopped: " << server.stats().ToString();
}

int Main(const char* argv0, SyslogSink* syslog,
         std::optional<InetdConnection> inetd) {
  // Setup.
  const sigset_t signals = SetUpSignals(inetd.has_value());
  RaiseFileLimit();
  absl::StatusOr<std::shared_ptr<const rules::RuleSet>> rules =
      LoadRuleSet(PathsFromFlags());
  if (!rules.ok()) {
    LogConfigErrors(rules.status());
    LOG(ERROR) << "configuration has errors; not starting";
    return 1;
  }
  rules::RuleStore store(*std::move(rules));
  const ServerOptions options =
      ServerOptionsFromFlags(syslog, inetd.has_value());
  absl::StatusOr<std::unique_ptr<Server>> server =
      Server::Create(options, &store);
  if (!server.ok()) {
    LOG(ERROR) << "cannot start: " << server.status();
    return 1;
  }
  if (inetd.has_value()) return ServeInetd(**server, *std::move(inetd));
  absl::StatusOr<Daemon> daemon = SetUpDaemon(**server, store);
  if (!daemon.ok()) {
    LOG(ERROR) << daemon.status().message();
    return 1;
  }
  Reloader reloader(ReloadOptions(argv0), &store, server->get(),
                    daemon->watcher.get());
  LOG(INFO) << "rsockd " << kVersion << " ready; workers "
            << options.tunables.pool.max_workers << ", queue "
            << options.tunables.pool.max_queue;

  // Serve, until SIGTERM or SIGINT.
  ServeSignals(signals, reloader, **server, syslog);

  Shutdown(**server);
  return 0;
}

// In inetd mode, descriptor 2 holds what was printed before the syslog sink
// existed (rsockd/process/inetd.h) until this takes it.
bool captured_stderr_pending = false;

// Sends what was printed to the captured stderr to syslog, one message a
// line, at LOG_ERR: flag errors are all that is printed there.
void ForwardCapturedStderr(SyslogSink& syslog) {
  if (!captured_stderr_pending) return;
  captured_stderr_pending = false;
  absl::StatusOr<std::string> captured = TakeCapturedStderr();
  if (!captured.ok()) {
    LOG(ERROR) << captured.status();
    return;
  }
  for (absl::string_view line :
       absl::StrSplit(*captured, '\n', absl::SkipWhitespace())) {
    syslog.SendLine(LOG_ERR, line);
  }
}

// atexit: when the process ends before Run took the capture (gflags exits
// on a bad flag), with the syslog flags as far as they were parsed.
void ForwardCapturedStderrAtExit() {
  if (!captured_stderr_pending) return;
  absl::StatusOr<int> facility = ParseSyslogFacility(FLAGS_syslog_facility);
  absl::StatusOr<std::unique_ptr<SyslogSink>> syslog =
      SyslogSink::Create({.socket_path = FLAGS_syslog_socket,
                          .facility = facility.ok() ? *facility : LOG_DAEMON});
  if (syslog.ok()) ForwardCapturedStderr(**syslog);
}

// Sets up what both modes share, then runs one of them. `inetd` is the
// connection inetd passed on descriptor 0, or why there is none.
int Run(const char* argv0, absl::StatusOr<InetdConnection> inetd) {
  // FailedPrecondition: descriptor 0 is no inetd connection. Anything else:
  // it was one, and taking it failed; serving as a daemon would be wrong.
  if (!inetd.ok() &&
      (FLAGS_inetd || !absl::IsFailedPrecondition(inetd.status()))) {
    LOG(ERROR) << inetd.status();
    return 1;
  }
  std::unique_ptr<SyslogSink> syslog;
  // In inetd mode syslog is the only place diagnostics can go: descriptors
  // 0 to 2 carry nothing but the SOCKS protocol.
  if (FLAGS_syslog || inetd.ok()) {
    absl::StatusOr<std::unique_ptr<SyslogSink>> sink = SyslogSink::Create(
        {.socket_path = FLAGS_syslog_socket,
         // Validated at parse time.
         .facility = *ParseSyslogFacility(FLAGS_syslog_facility)});
    if (!sink.ok()) {
      LOG(ERROR) << "--syslog: " << sink.status();
      return 1;
    }
    syslog = *std::move(sink);
    ForwardCapturedStderr(*syslog);
  }
  std::optional<InetdConnection> connection;
  if (inetd.ok()) {
    for (const char* flag : {"pidfile", "port_file"}) {
      if (IsExplicit(flag)) {
        LOG(ERROR) << "--" << flag << " does not apply in inetd mode";
        return 1;
      }
    }
    connection.emplace(*std::move(inetd));
  }
  return Main(argv0, syslog.get(), std::move(connection));
}

void PrintVersion() {
  std::cout << "rsockd " << kVersion << "\n"
            << "protocols: SOCKS4 SOCKS4A (CONNECT, BIND), SOCKS5 (RFC 1928: "
               "CONNECT, BIND; no UDP ASSOCIATE) with username/password "
               "(RFC 1929), ident (RFC 1413)\n"
            << "IPv6: yes (listen, connect, BIND, ident, upstream servers)\n"
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
  gflags::SetUsageMessage(rsockd::kUsage);
  // First of all, before anything can write to descriptor 2: a TCP
  // connection on descriptor 0 means inetd started rsockd, with --inetd or
  // without (the classic `rsockd -i` line). Until then, stdout and stderr
  // may be the client's connection, and a line there would corrupt its
  // SOCKS reply.
  absl::StatusOr<rsockd::InetdConnection> inetd = rsockd::TakeInetdConnection();
  if (inetd.ok() && inetd->stderr_captured) {
    rsockd::captured_stderr_pending = true;
    std::atexit(&rsockd::ForwardCapturedStderrAtExit);
  }
  // gflags' own --help lists every library's flags before rsockd's (and
  // --helpshort none): rsockd answers those itself, and leaves the rest
  // (--helpxml, --helpon, --helpmatch, --version) to gflags.
  gflags::ParseCommandLineNonHelpFlags(&argc, &argv, /*remove_flags=*/true);
  if (FLAGS_help || FLAGS_helpshort || FLAGS_helpfull) {
    std::cout << rsockd::Help(/*full=*/FLAGS_helpfull);
    return 0;
  }
  gflags::HandleCommandLineHelpFlags();
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
  return rsockd::Run(argv[0], std::move(inetd));
}
