#include "rsockd/server/session.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "ident/ident_client.h"
#include "net/relay.h"
#include "net/service_names.h"
#include "net/socks4.h"
#include "rsockd/hooks/hook_command.h"
#include "rsockd/hooks/hook_context.h"
#include "rsockd/server/bind.h"
#include "rsockd/server/log_field.h"
#include "rsockd/server/upstream_chain.h"
#include "rules/name_lookups.h"

namespace rsockd {
namespace {

// Enough for the longest request (8 + 256 + 256 bytes) in one read; bytes
// beyond the request are kept and forwarded.
constexpr size_t kHandshakeBufferSize = 1024;

// Starts a hook with `context` (filtered, docs/hooks.md). The host names
// for %A and %Z are looked up (AddHookHostNames) on the hook's thread, so
// the request never waits on them.
void SubmitHook(const std::string& command, HookContext context,
                const net::IpAddress& client,
                const std::optional<net::IpAddress>& destination,
                const SessionOptions& options,
                const SessionServices& services) {
  services.hooks->SubmitPrepared([command, context = std::move(context), client,
                                  destination, resolver = services.resolver,
                                  stop = services.stop,
                                  timeout = options.resolve_timeout]() mutable {
    AddHookHostNames(command, client, destination, resolver, timeout, stop,
                     &context);
    return HookRunner::Command{ExpandHookCommand(command, context),
                               HookEnvironment(context)};
  });
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
    access_ = MakeAccessRequest(request);
    if (!Permitted(request)) return;
    const bool bind = request.command == net::Socks4Command::kBind;
    if (bind && !AnyPeerAllowed(request)) return;
    std::optional<rules::RoutingDecision> route = Route();
    if (!route.has_value()) return;
    const bool upstream = route->action == rules::SocksRule::Action::kSockd;
    // Each step replies (for BIND twice) and logs; on failure it has replied
    // 91 and returns nullopt.
    std::optional<net::Socket> target =
        bind ? (upstream ? BindThroughUpstreams(route->servers)
                         : BindDirect(route->addresses))
             : (upstream ? ConnectThroughUpstreams(route->servers)
                         : ConnectDirect(route->addresses));
    if (target.has_value()) RelayTo(*target);
  }

 private:
  // Every request-log line goes through here (to glog, and to syslog with
  // --syslog), and is made printable here:
  // client bytes reach it in many ways (user ids, host names, the resolver's
  // error text), and none may start a forged line. Lines are INFO, which
  // syslog gets at LOG_NOTICE; `*Alert*` lines are WARNING
  // (rsockd/process/syslog_sink.h).
  void Log(absl::string_view line,
           google::LogSeverity severity = google::GLOG_INFO) const {
    google::LogMessage(__FILE__, __LINE__, severity, services_.request_log,
                       /*also_send_to_log=*/true)
            .stream()
        << "[" << id_ << "] " << PrintableLine(line);
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
        // Bytes that are not SOCKS4 get no reply (docs/protocol.md); a SOCKS4
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
  // then identd's answer, or "unknown" (docs/operations.md, "The request
  // log"; fields from outside are escaped, log_field.h). A BIND names the
  // application server it expects: "Bind from ylee(ylee)@10.1.2.3 for dst
  // (ftp-data)". Then, once known, the address a name was connected at
  // (" at 10.9.8.7"), the upstream that carries the session (" via
  // fw1:1080") and a BIND's peer (" peer 10.9.8.7:20").
  std::string Description() const {
    const net::Socks4Request& request = parser_.request();
    const bool bind = request.command == net::Socks4Command::kBind;
    return absl::StrCat(
        bind ? "Bind" : "Connect", " from ", EscapeLogField(request.user_id),
        "(", EscapeLogField(ident_user_), ")@", peer_.ip().ToString(),
        bind ? " for " : " to ", Destination(), " (",
        net::ServiceName(request.port), ")", reached_, via_,
        bind_peer_.has_value() ? absl::StrCat(" peer ", bind_peer_->ToString())
                               : "");
  }

  // The destination as the client gave it: the SOCKS4A name, or DSTIP.
  std::string Destination() const {
    const net::Socks4Request& request = parser_.request();
    return request.is_socks4a() ? EscapeLogField(request.host_name)
                                : request.ip.ToString();
  }

  // Who the bytes of the far side come from, for the "terminated" line.
  std::string FarSide() const {
    if (bind_peer_.has_value()) return bind_peer_->ToString();
    return Destination();
  }

  // The request as the rules see it, with lazy lookups that share the
  // session's answers (see Resolve()).
  rules::AccessRequest MakeAccessRequest(const net::Socks4Request& request) {
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
                          services_.stop, &access);
    return access;
  }

  bool Permitted(const net::Socks4Request& request) {
    rules::AccessDecision decision = rules_->CheckAccess(access_);
    if (decision.permitted) {
      permitted_addresses_ = std::move(decision.addresses);
      const rules::IdentLevel level =
          decision.rule->ident_level.value_or(options_.ident_level);
      if (!IdentConfirms(request, level)) return false;
      RunHook(decision.rule->command);
      return true;
    }
    if (decision.rule != nullptr) RunHook(decision.rule->command);
    Refuse(decision.rule == nullptr ? "no matching line"
                                    : absl::StrCat(rules_->access().filename,
                                                   ":", decision.rule->line));
    return false;
  }

  // docs/ident.md, after a permit line matched: asks the client's identd when
  // the effective level says so. Unavailable: #NO_IDENTD hook, then lenient
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
      Refuse("identd required", net::Socks4ReplyCode::kIdentUnreachable);
      return false;
    }
    ident_user_ = *std::move(ident_user);
    if (ident_user_ == request.user_id) return true;
    Log(absl::StrCat("*Alert*: real user is ", EscapeLogField(ident_user_),
                     ", not ", EscapeLogField(request.user_id)),
        google::GLOG_WARNING);
    RunHook(rules_->access().bad_id_command);
    Refuse("ident mismatch", net::Socks4ReplyCode::kIdentMismatch);
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

  // Starts a line's hook with the request's values (SubmitHook).
  void RunHook(const std::string& command) {
    if (command.empty()) return;
    const net::Socks4Request& request = parser_.request();
    // %z of a SOCKS4A name: its first address once resolved, else DSTIP.
    net::IpAddress destination = request.ip;
    if (request.is_socks4a() && resolved_.has_value() && resolved_->ok()) {
      destination = (*resolved_)->front();
    }
    SubmitHook(command, HookContextFor(access_, ident_user_, destination),
               peer_.ip(), access_.destination, options_, services_);
  }

  // Resolves a SOCKS4A name once per session; the rules and the connect
  // share the answer.
  const absl::StatusOr<std::vector<net::IpAddress>>& Resolve(
      const std::string& name) {
    if (!resolved_.has_value()) {
      resolved_ = services_.resolver->Resolve(
          name, net::Deadline::In(options_.resolve_timeout, services_.stop));
    }
    return *resolved_;
  }

  // What sockd.route picks a local address for: `address`, reached by
  // `name` (a SOCKS4A name) if any, else matched by its reverse name.
  rules::RouteTarget RouteTargetFor(rules::Command command,
                                    const net::IpAddress& address,
                                    const std::string& name) {
    return {.command = command,
            .address = address,
            .name = name,
            .reverse_name = rules::ReverseNameLookup(services_.resolver,
                                                     options_.resolve_timeout,
                                                     services_.stop, address)};
  }

  // The addresses the request may reach: DSTIP, or those of the SOCKS4A
  // name that the deciding sockd.conf line and (for a direct route) the
  // socks.conf line both matched, in the resolver's order (README "Security
  // notes": a name never leads to an address no rule permitted).
  // PermissionDenied when the name has addresses but none of them is.
  absl::StatusOr<std::vector<net::IpAddress>> PermittedDestinations(
      const std::optional<std::vector<net::IpAddress>>& routed) {
    const net::Socks4Request& request = parser_.request();
    if (!request.is_socks4a()) return std::vector<net::IpAddress>{request.ip};
    const absl::StatusOr<std::vector<net::IpAddress>>& resolved =
        Resolve(request.host_name);
    if (!resolved.ok()) return resolved.status();
    std::vector<net::IpAddress> addresses;
    const auto permitted_by =
        [](const std::optional<std::vector<net::IpAddress>>& allowed,
           const net::IpAddress& address) {
          return !allowed.has_value() ||
                 std::find(allowed->begin(), allowed->end(), address) !=
                     allowed->end();
        };
    for (const net::IpAddress& address : *resolved) {
      if (permitted_by(permitted_addresses_, address) &&
          permitted_by(routed, address)) {
        addresses.push_back(address);
      }
    }
    if (addresses.empty()) {
      return absl::PermissionDeniedError(
          absl::StrCat("no address of ", EscapeLogField(request.host_name),
                       " is permitted by both sockd.conf and socks.conf"));
    }
    return addresses;
  }

  // Connects to the first of the permitted destinations that answers.
  // PermissionDenied (a refusal, not a failure) for a destination that is
  // rsockd's own listening socket (own_listeners.h).
  absl::StatusOr<net::Socket> ConnectToDestination(
      const std::optional<std::vector<net::IpAddress>>& routed) {
    const net::Socks4Request& request = parser_.request();
    absl::StatusOr<std::vector<net::IpAddress>> addresses =
        PermittedDestinations(routed);
    if (!addresses.ok()) return addresses.status();
    // One deadline for all addresses: "localhost" may be ::1 then 127.0.0.1.
    const net::Deadline deadline =
        net::Deadline::In(options_.connect_timeout, services_.stop);
    absl::Status last_error;
    for (const net::IpAddress& address : *addresses) {
      const net::SocketAddress to(address, request.port);
      // Linux takes a connect to 0.0.0.0 or :: as one to this host, which
      // would get around rules that guard loopback services.
      if (address.IsUnspecified()) {
        last_error = absl::InvalidArgumentError(absl::StrCat(
            "unspecified destination address ", address.ToString()));
        continue;
      }
      if (services_.own_listeners->Contains(to)) {
        last_error = absl::PermissionDeniedError(
            absl::StrCat(to.ToString(), " is rsockd's own listening socket"));
        continue;
      }
      absl::StatusOr<std::optional<net::IpAddress>> source =
          rules_->SourceAddressFor(RouteTargetFor(rules::Command::kConnect,
                                                  address, request.host_name));
      if (!source.ok()) {
        Log(source.status().message());
        last_error = source.status();
        continue;
      }
      absl::StatusOr<net::Socket> target =
          net::Socket::Connect(to, *source, deadline);
      if (target.ok()) {
        if (request.is_socks4a()) {
          reached_ = absl::StrCat(" at ", to.ToString());
        }
        return target;
      }
      last_error = target.status();
    }
    return last_error;
  }

  // socks.conf's decision for the permitted request
  // (docs/socks_conf.md#decision). A refusal has been replied to and logged:
  // nullopt.
  std::optional<rules::RoutingDecision> Route() {
    const rules::RoutingDecision route = rules_->Route(access_);
    if (route.rule != nullptr) RunHook(route.rule->command);
    if (route.action != rules::SocksRule::Action::kDeny) return route;
    Refuse(
        route.rule == nullptr
            ? absl::StrCat("no matching line in ", rules_->routing()->filename)
            : absl::StrCat(rules_->routing()->filename, ":", route.rule->line));
    return std::nullopt;
  }

  std::optional<net::Socket> ConnectDirect(
      const std::optional<std::vector<net::IpAddress>>& routed) {
    absl::StatusOr<net::Socket> target = ConnectToDestination(routed);
    if (!target.ok()) {
      if (absl::IsPermissionDenied(target.status())) {
        Refuse(target.status().message());
      } else {
        Fail(target.status().message());
      }
      return std::nullopt;
    }
    if (!Connected()) return std::nullopt;
    return *std::move(target);
  }

  std::optional<net::Socket> ConnectThroughUpstreams(
      absl::Span<const rules::UpstreamServer> servers) {
    std::optional<UpstreamResult> result = AskUpstreams(servers);
    if (!result.has_value() || !Connected()) return std::nullopt;
    return std::move(result->socket);
  }

  // docs/socks_conf.md#upstream-chaining: sends the client's request (CONNECT
  // or BIND) through the first server that answers, which decides. For 90
  // returns the result, with the connection to that server; for its refusal, or
  // when none answered, it has replied 91 and logged: nullopt.
  std::optional<UpstreamResult> AskUpstreams(
      absl::Span<const rules::UpstreamServer> servers) {
    UpstreamResult result = RequestThroughUpstreams(
        servers, parser_.request(),
        UpstreamContext{.rules = rules_.get(),
                        .resolver = services_.resolver,
                        .health = services_.upstreams,
                        .resolve_timeout = options_.resolve_timeout,
                        .connect_timeout = options_.connect_timeout,
                        .retry_after = options_.upstream_retry_after,
                        .own_listeners = services_.own_listeners,
                        .stop = services_.stop});
    for (const std::string& fault : result.faults) {
      Log(absl::StrCat("upstream ", fault));
    }
    switch (result.outcome) {
      case UpstreamResult::Outcome::kGranted:
        via_ = absl::StrCat(" via ", result.server->ToString());
        return result;
      case UpstreamResult::Outcome::kRefused:
        Refuse(UpstreamRefusal(*result.server, result.reply.code));
        break;
      case UpstreamResult::Outcome::kUnreachable:
        Fail(absl::StrCat("no upstream server answered (", result.faults.size(),
                          " tried)"));
        break;
    }
    return std::nullopt;
  }

  static std::string UpstreamRefusal(const rules::UpstreamServer& server,
                                     net::Socks4ReplyCode code) {
    return absl::StrCat("upstream ", server.ToString(), " replied ",
                        static_cast<int>(code));
  }

  // docs/bind.md: without a peer check that can fail, a BIND for DSTIP 0.0.0.0
  // admits whoever connects first; --bind_any_peer=false refuses such a
  // request outright rather than open a port that no peer could pass.
  bool AnyPeerAllowed(const net::Socks4Request& request) {
    if (options_.bind_any_peer || request.is_socks4a() ||
        !request.ip.IsUnspecified()) {
      return true;
    }
    Refuse("BIND for any peer, and --bind_any_peer is off");
    return false;
  }

  // A direct BIND (docs/bind.md): listens where sockd.route says, or else on
  // the address the client reached rsockd at; replies with that address;
  // waits for one peer while watching the client; checks the peer against
  // DSTIP; replies with the peer's address. Returns the peer's connection.
  std::optional<net::Socket> BindDirect(
      const std::optional<std::vector<net::IpAddress>>& routed) {
    const net::Socks4Request& request = parser_.request();
    // DSTIP, or the permitted addresses of a SOCKS4A name (resolved here:
    // this hop is the one that sees the peer); DSTIP 0.0.0.0 admits any.
    absl::StatusOr<std::vector<net::IpAddress>> peers =
        PermittedDestinations(routed);
    if (!peers.ok()) {
      if (absl::IsPermissionDenied(peers.status())) {
        Refuse(peers.status().message());
      } else {
        Fail(peers.status().message());
      }
      return std::nullopt;
    }
    const ExpectedPeer expected =
        !request.is_socks4a() && request.ip.IsUnspecified()
            ? ExpectedPeer::Any()
            : ExpectedPeer::OneOf(*peers);
    absl::StatusOr<BindListener> listener =
        OpenBindListener(request, peers->front());
    if (!listener.ok()) {
      Fail(listener.status().message());
      return std::nullopt;
    }
    if (!Bound(listener->address())) return std::nullopt;
    absl::StatusOr<BindPeer> peer =
        listener->AcceptPeer(client_, expected, BindDeadline());
    if (!peer.ok()) {
      BindFailed(peer.status(), "no peer connected");
      return std::nullopt;
    }
    bind_peer_ = peer->address;
    if (!Connected(peer->address)) return std::nullopt;
    return std::move(peer->socket);
  }

  // docs/socks_conf.md#upstream-chaining: the upstream listens for the peer and
  // checks it; rsockd passes on its two replies (the first one's 0.0.0.0 made
  // the upstream's address), watching the client while it waits for the second.
  std::optional<net::Socket> BindThroughUpstreams(
      absl::Span<const rules::UpstreamServer> servers) {
    std::optional<UpstreamResult> result = AskUpstreams(servers);
    if (!result.has_value() ||
        !Bound(FirstReplyAddress(result->reply, result->server_address))) {
      return std::nullopt;
    }
    absl::StatusOr<net::Socks4Reply> second =
        ReadSecondReply(result->socket, client_, BindDeadline());
    if (!second.ok()) {
      BindFailed(second.status(), "no second reply from the upstream");
      return std::nullopt;
    }
    if (second->code != net::Socks4ReplyCode::kGranted) {
      Refuse(UpstreamRefusal(*result->server, second->code));
      return std::nullopt;
    }
    bind_peer_ = net::SocketAddress(second->ip, second->port);
    if (!Connected(*bind_peer_)) return std::nullopt;
    return std::move(result->socket);
  }

  // Listens on the address sockd.route gives for the expected peer (
  // docs/sockd_route.md: the classic line is logged when no line matches), else
  // on the local address of the client's connection, which the client can
  // reach.
  absl::StatusOr<BindListener> OpenBindListener(
      const net::Socks4Request& request, const net::IpAddress& target) {
    absl::StatusOr<std::optional<net::IpAddress>> source =
        rules_->SourceAddressFor(
            RouteTargetFor(rules::Command::kBind, target, request.host_name));
    if (!source.ok()) {
      Log(source.status().message());
      return source.status();
    }
    if (source->has_value()) return BindListener::Open(**source);
    absl::StatusOr<net::SocketAddress> local = client_.LocalAddress();
    if (!local.ok()) return local.status();
    return BindListener::Open(local->ip());
  }

  net::Deadline BindDeadline() const {
    return net::Deadline::In(options_.bind_timeout, services_.stop);
  }

  // A BIND's wait ended without a peer: a wrong peer is a refusal, the rest
  // (timeout, the client leaving, stop) failures. Replies 91.
  void BindFailed(const absl::Status& status, absl::string_view timed_out) {
    if (absl::IsPermissionDenied(status)) {
      Refuse(status.message());
    } else if (absl::IsDeadlineExceeded(status)) {
      Fail(absl::StrCat(timed_out, " within ",
                        absl::FormatDuration(options_.bind_timeout)));
    } else {
      Fail(status.message());
    }
  }

  // The first reply of a BIND: where the peer is to connect.
  bool Bound(const net::SocketAddress& address) {
    if (!Reply(net::Socks4ReplyCode::kGranted, address)) return false;
    Log(absl::StrCat("bound -- ", Description(), " at ", address.ToString()));
    return true;
  }

  // The reply that hands the session to the relay: 90 with zeros for a
  // CONNECT, with the peer's address for a BIND.
  bool Connected(const net::SocketAddress& address = net::SocketAddress()) {
    if (!Reply(net::Socks4ReplyCode::kGranted, address)) return false;
    Log(absl::StrCat("connected -- ", Description()));
    return true;
  }

  // The request-log line of a refusal ("[socks.conf:3]", "[upstream ...
  // replied 91]"), then its reply.
  void Refuse(absl::string_view why,
              net::Socks4ReplyCode code = net::Socks4ReplyCode::kRejected) {
    Log(absl::StrCat("refused -- ", Description(), " [", why, "]"));
    Reply(code);
  }

  // The request-log line of a failure, then 91.
  void Fail(absl::string_view error) {
    Log(absl::StrCat("failed -- ", Description(), ". Error code: ", error));
    Reply(net::Socks4ReplyCode::kRejected);
  }

  bool Reply(net::Socks4ReplyCode code,
             const net::SocketAddress& address = net::SocketAddress()) {
    stats_.CountReply(code);
    const std::array<uint8_t, 8> reply =
        net::EncodeSocks4Reply(code, address.port(), address.ip());
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
    Log(absl::StrCat("terminated -- ", Description(), ". ", from_client,
                     " bytes from ", EscapeLogField(parser_.request().user_id),
                     "@", peer_.ip().ToString(), ", ", result.bytes_from_target,
                     " bytes from ", FarSide()));
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
  // Built once the request is read; the rules and routing share it.
  rules::AccessRequest access_;
  // " via fw1:1080" once an upstream server carries the session.
  std::string via_;
  // A BIND's peer, once it connected (as the upstream reported it, when the
  // BIND went through one).
  std::optional<net::SocketAddress> bind_peer_;
  std::vector<uint8_t> early_data_;
  // For a SOCKS4A name that the deciding sockd.conf line matched by
  // address: the addresses it matched (rules::AccessDecision::addresses).
  std::optional<std::vector<net::IpAddress>> permitted_addresses_;
  // " at 10.9.8.7:80" once a SOCKS4A name is connected to directly.
  std::string reached_;
  std::optional<absl::StatusOr<std::vector<net::IpAddress>>> resolved_;
  // identd's answer once it confirmed the user; "unknown" until then.
  std::string ident_user_ = "unknown";
};

}  // namespace

void LogClientRefusal(uint64_t id, const net::SocketAddress& peer,
                      const rules::RuleSet& rules,
                      const rules::ClientCheck& check,
                      const SessionOptions& options,
                      const SessionServices& services) {
  const rules::SockdRule* rule = check.refused_by;
  LOG_TO_SINK(services.request_log, INFO)
      << "[" << id << "] refused -- Connection from " << peer.ip().ToString()
      << " ["
      << (rule == nullptr
              ? absl::StrCat("no line of ", rules.access().filename,
                             " permits this client")
              : absl::StrCat(rules.access().filename, ":", rule->line))
      << "]";
  if (rule == nullptr || rule->command.empty()) return;
  // The request was never read: only the client's fields are known.
  HookContext context;
  context.client_ip = peer.ip().ToString();
  context.ident_user = "unknown";
  SubmitHook(rule->command, std::move(context), peer.ip(), std::nullopt,
             options, services);
}

void RunSession(uint64_t id, net::Socket client, const net::SocketAddress& peer,
                std::shared_ptr<const rules::RuleSet> rules,
                const SessionOptions& options,
                const SessionServices& services) {
  Session(id, std::move(client), peer, std::move(rules), options, services)
      .Run();
}

}  // namespace rsockd
