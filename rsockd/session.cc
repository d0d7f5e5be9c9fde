#include "rsockd/session.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "glog/logging.h"
#include "ident/ident_client.h"
#include "net/relay.h"
#include "net/service_names.h"
#include "net/socks4.h"
#include "rsockd/hook_command.h"
#include "rules/name_lookups.h"

namespace rsockd {
namespace {

// Enough for the longest request (8 + 256 + 256 bytes) in one read; bytes
// beyond the request are kept and forwarded.
constexpr size_t kHandshakeBufferSize = 1024;

// Text made safe for a one-line log entry: printable ASCII only.
std::string Printable(absl::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

class Session {
 public:
  Session(uint64_t id, net::Socket client, const net::SocketAddress& peer,
          std::shared_ptr<const rules::RuleSet> rules,
          const SessionOptions& options, const SessionServices& services)
      : id_(id),
        client_(std::move(client)),
        peer_(peer),
        rules_(std::move(rules)),
        services_(services),
        options_(options),
        stats_(*services.stats) {}

  void Run() {
    if (!ReadRequest()) return;
    const net::Socks4Request& request = parser_.request();
    if (!Permitted(request)) return;
    if (request.command == net::Socks4Command::kBind) {
      Log(absl::StrCat("failed -- ", Description(),
                       ". Error code: BIND is not available in this build"));
      Reply(net::Socks4ReplyCode::kRejected);
      return;
    }
    absl::StatusOr<net::Socket> target = ConnectToDestination(request);
    if (!target.ok()) {
      Log(absl::StrCat("failed -- ", Description(),
                       ". Error code: ", target.status().message()));
      Reply(net::Socks4ReplyCode::kRejected);
      return;
    }
    if (!Reply(net::Socks4ReplyCode::kGranted)) return;
    Log(absl::StrCat("connected -- ", Description()));
    RelayTo(*target);
  }

 private:
  // Every request-log line goes through here (to glog, and to syslog with
  // --syslog), and is made printable here:
  // client bytes reach it in many ways (user ids, host names, the resolver's
  // error text), and none may start a forged line.
  void Log(absl::string_view line) const {
    LOG_TO_SINK(services_.request_log, INFO)
        << "[" << id_ << "] " << Printable(line);
  }

  // Reads and parses the request. On failure it has already answered (or
  // deliberately not) and logged; returns false.
  bool ReadRequest() {
    const net::Deadline deadline =
        net::Deadline::In(options_.handshake_timeout, services_.stop);
    uint8_t buffer[kHandshakeBufferSize];
    while (!parser_.done()) {
      absl::StatusOr<size_t> n =
          client_.ReadSome(absl::MakeSpan(buffer), deadline);
      if (!n.ok() || *n == 0) {
        stats_.bad_requests.fetch_add(1, std::memory_order_relaxed);
        Log(absl::StrCat(
            "dropped -- ", peer_.ToString(), ": ",
            n.ok() ? "closed before a whole request"
                   : absl::StrCat("no whole request: ", n.status().message())));
        return false;
      }
      absl::StatusOr<size_t> used = parser_.Feed(absl::MakeSpan(buffer, *n));
      if (!used.ok()) {
        stats_.bad_requests.fetch_add(1, std::memory_order_relaxed);
        Log(absl::StrCat("dropped -- ", peer_.ToString(), ": ",
                         used.status().message()));
        // Bytes that are not SOCKS4 get no reply (SPEC §3.1); a SOCKS4
        // request we cannot serve gets 91.
        if (!parser_.not_socks4()) Reply(net::Socks4ReplyCode::kRejected);
        return false;
      }
      if (parser_.done()) {
        early_data_.assign(buffer + *used, buffer + *n);
      }
    }
    return true;
  }

  // "Connect from ylee(ylee)@10.1.2.3 to dst (telnet)": the claimed user,
  // then identd's answer, or "unknown" (SPEC §10).
  std::string Description() const {
    const net::Socks4Request& request = parser_.request();
    return absl::StrCat(
        request.command == net::Socks4Command::kBind ? "Bind" : "Connect",
        " from ", request.user_id, "(", ident_user_, ")@",
        peer_.ip().ToString(), " to ",
        request.is_socks4a() ? request.host_name : request.ip.ToString(), " (",
        net::ServiceName(request.port), ")");
  }

  bool Permitted(const net::Socks4Request& request) {
    rules::AccessRequest access;
    access.command = request.command == net::Socks4Command::kBind
                         ? rules::Command::kBind
                         : rules::Command::kConnect;
    access.client = peer_.ip();
    access.user = request.user_id;
    access.port = request.port;
    if (request.is_socks4a()) {
      access.destination_name = request.host_name;
      access.resolve_destination = [this, &request] {
        const absl::StatusOr<std::vector<net::IpAddress>>& resolved =
            Resolve(request.host_name);
        return resolved.ok() ? *resolved : std::vector<net::IpAddress>();
      };
    } else {
      access.destination = request.ip;
    }
    rules::SetNameLookups(services_.resolver, options_.resolve_timeout,
                          &access);
    const rules::AccessDecision decision = rules_->CheckAccess(access);
    if (decision.permitted) {
      const rules::IdentLevel level =
          decision.rule->ident_level.value_or(options_.ident_level);
      if (!IdentConfirms(request, level)) return false;
      RunHook(decision.rule->command);
      return true;
    }
    if (decision.rule != nullptr) RunHook(decision.rule->command);
    Log(absl::StrCat(
        "refused -- ", Description(), " [",
        decision.rule == nullptr
            ? "no matching line"
            : absl::StrCat(rules_->access().filename, ":", decision.rule->line),
        "]"));
    Reply(net::Socks4ReplyCode::kRejected);
    return false;
  }

  // SPEC §5, after a permit line matched: asks the client's identd when the
  // effective level says so. Unavailable: #NO_IDENTD hook, then lenient
  // permits and strict replies 92. Another user id: #BAD_ID hook and 93 at
  // both levels. Returns whether the request may go on; when not, it has
  // replied and logged.
  bool IdentConfirms(const net::Socks4Request& request,
                     rules::IdentLevel level) {
    if (level == rules::IdentLevel::kOff) return true;
    absl::StatusOr<std::string> ident_user = AskIdentd();
    if (!ident_user.ok()) {
      Log(absl::StrCat("cannot connect to identd on ", peer_.ip().ToString(),
                       ": ", ident_user.status().message()));
      RunHook(rules_->access().no_identd_command);
      if (level == rules::IdentLevel::kLenient) return true;
      Log(absl::StrCat("refused -- ", Description(), " [identd required]"));
      Reply(net::Socks4ReplyCode::kIdentUnreachable);
      return false;
    }
    ident_user_ = *std::move(ident_user);
    if (ident_user_ == request.user_id) return true;
    Log(absl::StrCat("*Alert*: real user is ", ident_user_, ", not ",
                     request.user_id));
    RunHook(rules_->access().bad_id_command);
    Log(absl::StrCat("refused -- ", Description(), " [ident mismatch]"));
    Reply(net::Socks4ReplyCode::kIdentMismatch);
    return false;
  }

  absl::StatusOr<std::string> AskIdentd() {
    absl::StatusOr<net::SocketAddress> local = client_.LocalAddress();
    if (!local.ok()) return local.status();
    return ident::QueryIdent({.client = peer_,
                              .server = *local,
                              .identd_port = options_.ident_port,
                              .timeout = options_.ident_timeout,
                              .stop = services_.stop});
  }

  // Starts a line's hook with the request's values (filtered, SPEC §6).
  // The host names for %A and %Z (forward-confirmed reverse names, else the
  // addresses) are looked up on the hook's executor thread, and only when
  // the command asks for them, so the request never waits on them.
  void RunHook(const std::string& command) {
    if (command.empty()) return;
    const net::Socks4Request& request = parser_.request();
    HookContext context;
    context.client_ip = peer_.ip().ToString();
    context.command =
        request.command == net::Socks4Command::kBind ? "bind" : "connect";
    context.service = net::ServiceName(request.port);
    context.port = request.port;
    context.ident_user = ident_user_;
    context.claimed_user = request.user_id;
    std::optional<net::IpAddress> destination = request.ip;
    if (request.is_socks4a()) {
      destination.reset();
      if (resolved_.has_value() && resolved_->ok()) {
        destination = (*resolved_)->front();
      }
      context.destination_host = request.host_name;
    }
    context.destination_ip =
        destination ? destination->ToString() : request.ip.ToString();
    services_.hooks->SubmitPrepared(
        [command, context, client = peer_.ip(), destination,
         resolver = services_.resolver,
         timeout = options_.resolve_timeout]() mutable {
          const auto name_of = [&](const net::IpAddress& ip) {
            absl::StatusOr<std::string> name =
                resolver->ReverseName(ip, absl::Now() + timeout);
            return name.ok() ? *name : ip.ToString();
          };
          context.client_host = absl::StrContains(command, "%A")
                                    ? name_of(client)
                                    : context.client_ip;
          if (context.destination_host.empty()) {
            context.destination_host =
                destination && absl::StrContains(command, "%Z")
                    ? name_of(*destination)
                    : context.destination_ip;
          }
          return HookRunner::Command{ExpandHookCommand(command, context),
                                     HookEnvironment(context)};
        });
  }

  // Resolves a SOCKS4A name once per session; the rules and the connect
  // share the answer.
  const absl::StatusOr<std::vector<net::IpAddress>>& Resolve(
      const std::string& name) {
    if (!resolved_.has_value()) {
      resolved_ = services_.resolver->Resolve(
          name, absl::Now() + options_.resolve_timeout);
    }
    return *resolved_;
  }

  absl::StatusOr<net::Socket> ConnectToDestination(
      const net::Socks4Request& request) {
    std::vector<net::IpAddress> addresses;
    if (request.is_socks4a()) {
      const absl::StatusOr<std::vector<net::IpAddress>>& resolved =
          Resolve(request.host_name);
      if (!resolved.ok()) return resolved.status();
      addresses = *resolved;
    } else {
      addresses.push_back(request.ip);
    }
    // One deadline for all addresses: "localhost" may be ::1 then 127.0.0.1.
    const net::Deadline deadline =
        net::Deadline::In(options_.connect_timeout, services_.stop);
    absl::Status last_error;
    for (const net::IpAddress& address : addresses) {
      // Linux takes a connect to 0.0.0.0 or :: as one to this host, which
      // would get around rules that guard loopback services.
      if (address.IsUnspecified()) {
        last_error = absl::InvalidArgumentError(absl::StrCat(
            "unspecified destination address ", address.ToString()));
        continue;
      }
      absl::StatusOr<net::Socket> target = net::Socket::Connect(
          net::SocketAddress(address, request.port), std::nullopt, deadline);
      if (target.ok()) return target;
      last_error = target.status();
    }
    return last_error;
  }

  bool Reply(net::Socks4ReplyCode code) {
    stats_.CountReply(code);
    const std::array<uint8_t, 8> reply =
        net::EncodeSocks4Reply(code, 0, net::IpAddress());
    absl::Status status = client_.WriteAll(
        reply, net::Deadline::In(options_.handshake_timeout, services_.stop));
    if (!status.ok()) {
      VLOG(1) << "[" << id_ << "] cannot send reply: " << status;
      return false;
    }
    return true;
  }

  void RelayTo(net::Socket& target) {
    uint64_t early = 0;
    if (!early_data_.empty()) {
      absl::Status status = target.WriteAll(
          early_data_,
          net::Deadline::In(options_.idle_timeout, services_.stop));
      if (!status.ok()) {
        Log(absl::StrCat("failed -- ", Description(),
                         ". Error code: ", status.message()));
        return;
      }
      early = early_data_.size();
    }
    net::RelayOptions relay_options;
    relay_options.idle_timeout = options_.idle_timeout;
    relay_options.use_splice = options_.use_splice;
    relay_options.stop = services_.stop;
    const net::RelayResult result =
        net::Relay(client_, target, *services_.pipes, *services_.relay_threads,
                   relay_options);
    const uint64_t from_client = early + result.bytes_from_client;
    stats_.bytes_from_clients.fetch_add(from_client, std::memory_order_relaxed);
    stats_.bytes_from_destinations.fetch_add(result.bytes_from_target,
                                             std::memory_order_relaxed);
    const net::Socks4Request& request = parser_.request();
    Log(absl::StrCat(
        "terminated -- ", Description(), ". ", from_client, " bytes from ",
        request.user_id, "@", peer_.ip().ToString(), ", ",
        result.bytes_from_target, " bytes from ",
        request.is_socks4a() ? request.host_name : request.ip.ToString()));
    if (!result.status().ok()) {
      VLOG(1) << "[" << id_ << "] relay ended: " << result.status();
    }
  }

  const uint64_t id_;
  net::Socket client_;
  const net::SocketAddress peer_;
  const std::shared_ptr<const rules::RuleSet> rules_;
  const SessionServices& services_;
  const SessionOptions& options_;
  Stats& stats_;
  net::Socks4RequestParser parser_;
  std::vector<uint8_t> early_data_;
  std::optional<absl::StatusOr<std::vector<net::IpAddress>>> resolved_;
  // identd's answer once it confirmed the user; "unknown" until then.
  std::string ident_user_ = "unknown";
};

}  // namespace

void RunSession(uint64_t id, net::Socket client, const net::SocketAddress& peer,
                std::shared_ptr<const rules::RuleSet> rules,
                const SessionOptions& options,
                const SessionServices& services) {
  Session(id, std::move(client), peer, std::move(rules), options, services)
      .Run();
}

}  // namespace rsockd
