#include "rsockd/server/session.h"

#include <string.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "ident/ident_client.h"
#include "net/relay.h"
#include "net/service_names.h"
#include "net/socks4.h"
#include "rsockd/base/status_macros.h"
#include "rsockd/hooks/hook_command.h"
#include "rsockd/hooks/hook_context.h"
#include "rsockd/server/bind.h"
#include "rsockd/server/log_field.h"
#include "rsockd/server/outcome.h"
#include "rsockd/server/request.h"
#include "rsockd/server/socks4_front_end.h"
#include "rsockd/server/socks5_front_end.h"
#include "rsockd/server/upstream_chain.h"
#include "rules/name_lookups.h"

namespace rsockd {
namespace {

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

// A connection to relay, and the address its grant's reply carries.
struct Connection {
  net::Socket socket;
  net::SocketAddress address;
};

// What a step that yields a value returns: the value, or the outcome (a
// failure, never a grant) that ends the request.
template <typename T>
using OrFailure = std::variant<T, Outcome>;

rules::Command RulesCommand(Command command) {
  return command == Command::kBind ? rules::Command::kBind
                                   : rules::Command::kConnect;
}

// The request as an upstream server gets it: SOCKS4A when the client gave a
// name (the hop that finally connects resolves it), with the client's user
// id (a SOCKS5 client's verified user name).
net::Socks4Request UpstreamRequest(const Request& request) {
  net::Socks4Request upstream;
  upstream.command = request.command == Command::kBind
                         ? net::Socks4Command::kBind
                         : net::Socks4Command::kConnect;
  upstream.port = request.destination.port();
  upstream.ip = request.destination.address.ip();
  upstream.host_name = request.destination.name;
  // SOCKS4 carries only IPv4 addresses: a SOCKS5 client's IPv6 address goes
  // as a SOCKS4A name, its literal, which the upstream takes as that address
  // (docs/protocol.md#socks4a).
  if (!request.destination.is_name() && !upstream.ip.is_ipv4()) {
    upstream.host_name = upstream.ip.ToString();
  }
  upstream.user_id = request.user_id;
  return upstream;
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

  void Run(FrontEndFactory front_ends) {
    if (!ReadRequest(front_ends)) return;
    access_ = MakeAccessRequest();
    std::optional<Connection> connection = Serve();
    if (connection.has_value() && Connected(connection->address)) {
      RelayTo(connection->socket);
    }
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

  // Reads the request; when it cannot be read, the connection is dropped:
  // the front end has answered (or deliberately not), and this logs why.
  bool ReadRequest(FrontEndFactory front_ends) {
    absl::StatusOr<Request> request = Handshake(front_ends);
    if (!request.ok()) {
      stats_.bad_requests.fetch_add(1, std::memory_order_relaxed);
      Log(absl::StrCat("dropped -- ", peer_.ToString(), ": ",
                       request.status().message()));
      return false;
    }
    request_ = *std::move(request);
    return true;
  }

  // Picks the front end by the first byte and has it read the request, all
  // within one handshake timeout.
  absl::StatusOr<Request> Handshake(FrontEndFactory front_ends) {
    const net::Deadline deadline =
        net::Deadline::In(options_.handshake_timeout, services_.stop);
    uint8_t buffer[kHandshakeBufferSize];
    RSOCKD_ASSIGN_OR_RETURN(
        const size_t n,
        ReadHandshakeBytes(client_, absl::MakeSpan(buffer), deadline));
    front_end_ = front_ends(
        buffer[0], FrontEndContext{.client = &client_,
                                   .peer = peer_,
                                   .reply_timeout = options_.handshake_timeout,
                                   .stop = services_.stop,
                                   .stats = &stats_,
                                   .socks5_auth = options_.socks5_auth,
                                   .passwords = rules_->passwords().has_value()
                                                    ? &*rules_->passwords()
                                                    : nullptr});
    absl::StatusOr<Request> request =
        front_end_->ReadRequest(absl::MakeConstSpan(buffer, n), deadline);
    // A client that sends its SOCKS5 login without waiting for the method
    // choice has its password in this first read.
    explicit_bzero(buffer, sizeof(buffer));
    return request;
  }

  // The policy steps, in order; each decides with an Outcome. A failure is
  // answered here (Reject), and so is a BIND's first reply (Bound). Returns
  // the connection to relay once granted, for Run() to answer; nullopt when
  // the request ended.
  std::optional<Connection> Serve() {
    if (Outcome checked = CheckAccess(); !checked.granted()) {
      Reject(checked);
      return std::nullopt;
    }
    const bool bind = request_.command == Command::kBind;
    if (bind) {
      if (Outcome checked = CheckAnyPeer(); !checked.granted()) {
        Reject(checked);
        return std::nullopt;
      }
    }
    OrFailure<rules::RoutingDecision> route = Route();
    if (const Outcome* refused = std::get_if<Outcome>(&route)) {
      Reject(*refused);
      return std::nullopt;
    }
    const rules::RoutingDecision& decision =
        std::get<rules::RoutingDecision>(route);
    const bool upstream = decision.action == rules::SocksRule::Action::kSockd;
    if (bind) {
      return upstream ? BindThroughUpstreams(decision.servers)
                      : BindDirect(decision.addresses);
    }
    return Settle(upstream ? ConnectThroughUpstreams(decision.servers)
                           : ConnectDirect(decision.addresses));
  }

  // "Connect from ylee(ylee)@10.1.2.3 to dst (telnet)": the claimed user,
  // then identd's answer, or "unknown" (docs/operations.md, "The request
  // log"; fields from outside are escaped, log_field.h). A BIND names the
  // application server it expects: "Bind from ylee(ylee)@10.1.2.3 for dst
  // (ftp-data)". Then, once known, the address a name was connected at
  // (" at 10.9.8.7"), the upstream that carries the session (" via
  // fw1:1080") and a BIND's peer (" peer 10.9.8.7:20").
  std::string Description() const {
    const bool bind = request_.command == Command::kBind;
    return absl::StrCat(
        bind ? "Bind" : "Connect", " from ", EscapeLogField(request_.user_id),
        "(", EscapeLogField(ident_user_), ")@", request_.client.ip().ToString(),
        bind ? " for " : " to ", DestinationText(), " (",
        net::ServiceName(request_.destination.port()), ")", reached_, via_,
        bind_peer_.has_value() ? absl::StrCat(" peer ", bind_peer_->ToString())
                               : "");
  }

  // The destination as the client gave it: the name, or the address.
  std::string DestinationText() const {
    const Destination& destination = request_.destination;
    return destination.is_name() ? EscapeLogField(destination.name)
                                 : destination.address.ip().ToString();
  }

  // Who the bytes of the far side come from, for the "terminated" line.
  std::string FarSide() const {
    if (bind_peer_.has_value()) return bind_peer_->ToString();
    return DestinationText();
  }

  // The request as the rules see it, with lazy lookups that share the
  // session's answers (see Resolve()).
  rules::AccessRequest MakeAccessRequest() {
    rules::AccessRequest access;
    access.command = RulesCommand(request_.command);
    access.client = request_.client.ip();
    access.user = request_.user_id;
    access.port = request_.destination.port();
    if (request_.destination.is_name()) {
      access.destination_name = request_.destination.name;
      access.resolve_destination = [this] {
        const absl::StatusOr<std::vector<net::IpAddress>>& resolved =
            Resolve(request_.destination.name);
        return resolved.ok() ? *resolved : std::vector<net::IpAddress>();
      };
    } else {
      access.destination = request_.destination.address.ip();
    }
    rules::SetNameLookups(services_.resolver, options_.resolve_timeout,
                          services_.stop, &access);
    return access;
  }

  // sockd.conf's decision, then ident for a permit line, then the line's
  // hook.
  Outcome CheckAccess() {
    rules::AccessDecision decision = rules_->CheckAccess(access_);
    if (decision.permitted) {
      permitted_addresses_ = std::move(decision.addresses);
      const rules::IdentLevel level =
          decision.rule->ident_level.value_or(options_.ident_level);
      if (Outcome confirmed = CheckIdent(level); !confirmed.granted()) {
        return confirmed;
      }
      RunHook(decision.rule->command);
      return Outcome::Granted();
    }
    if (decision.rule != nullptr) RunHook(decision.rule->command);
    return Outcome::Failed(Failure::kDeniedByRules,
                           decision.rule == nullptr
                               ? "no matching line"
                               : absl::StrCat(rules_->access().filename, ":",
                                              decision.rule->line));
  }

  // After a permit line matched (docs/ident.md): asks the client's identd
  // when the
  // effective level says so. Unavailable: #NO_IDENTD hook, then lenient
  // permits and strict refuses (kIdentUnavailable). Another user id than
  // the request's: #BAD_ID hook and kIdentMismatch at both levels. A
  // request without a user id has none to contradict: the answer is only
  // recorded.
  Outcome CheckIdent(rules::IdentLevel level) {
    if (level == rules::IdentLevel::kOff) return Outcome::Granted();
    absl::StatusOr<std::string> ident_user = AskIdentd();
    if (!ident_user.ok()) {
      Log(absl::StrCat("cannot connect to identd on ",
                       request_.client.ip().ToString(), ": ",
                       ident_user.status().message()));
      RunHook(rules_->access().no_identd_command);
      if (level == rules::IdentLevel::kLenient) return Outcome::Granted();
      return Outcome::Failed(Failure::kIdentUnavailable, "identd required");
    }
    ident_user_ = *std::move(ident_user);
    if (request_.user_id_origin == UserIdOrigin::kNone ||
        ident_user_ == request_.user_id) {
      return Outcome::Granted();
    }
    Log(absl::StrCat("*Alert*: real user is ", EscapeLogField(ident_user_),
                     ", not ", EscapeLogField(request_.user_id)),
        google::GLOG_WARNING);
    RunHook(rules_->access().bad_id_command);
    return Outcome::Failed(Failure::kIdentMismatch, "ident mismatch");
  }

  absl::StatusOr<std::string> AskIdentd() {
    absl::StatusOr<net::SocketAddress> local = client_.LocalAddress();
    if (!local.ok()) return local.status();
    return ident::QueryIdent({.client = request_.client,
                              .server = *local,
                              .identd_port = options_.ident_port,
                              .timeout = options_.ident_timeout,
                              .stop = services_.stop});
  }

  // Starts a line's hook with the request's values (SubmitHook).
  void RunHook(const std::string& command) {
    if (command.empty()) return;
    // %z of a name: its first address once resolved, else the address the
    // request carried (request.h).
    net::IpAddress destination = request_.destination.address.ip();
    if (request_.destination.is_name() && resolved_.has_value() &&
        resolved_->ok()) {
      destination = (*resolved_)->front();
    }
    SubmitHook(command, HookContextFor(access_, ident_user_, destination),
               request_.client.ip(), access_.destination, options_, services_);
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
  // the request's name if any, else matched by its reverse name.
  rules::RouteTarget RouteTargetFor(rules::Command command,
                                    const net::IpAddress& address) {
    return {.command = command,
            .address = address,
            .name = request_.destination.name,
            .reverse_name = rules::ReverseNameLookup(services_.resolver,
                                                     options_.resolve_timeout,
                                                     services_.stop, address)};
  }

  // docs/bind.md: without a peer check that can fail, a BIND for DSTIP 0.0.0.0
  // admits whoever connects first; --bind_any_peer=false refuses such a
  // request outright rather than open a port that no peer could pass.
  Outcome CheckAnyPeer() {
    if (options_.bind_any_peer || !AnyPeer()) return Outcome::Granted();
    return Outcome::Failed(Failure::kDeniedByRules,
                           "BIND for any peer, and --bind_any_peer is off");
  }

  // A BIND for DSTIP 0.0.0.0.
  bool AnyPeer() const {
    return !request_.destination.is_name() &&
           request_.destination.address.ip().IsUnspecified();
  }

  // socks.conf's decision for the permitted request
  // (docs/socks_conf.md#decision).
  OrFailure<rules::RoutingDecision> Route() {
    rules::RoutingDecision route = rules_->Route(access_);
    if (route.rule != nullptr) RunHook(route.rule->command);
    if (route.action != rules::SocksRule::Action::kDeny) return route;
    return Outcome::Failed(
        Failure::kDeniedByRules,
        route.rule == nullptr
            ? absl::StrCat("no matching line in ", rules_->routing()->filename)
            : absl::StrCat(rules_->routing()->filename, ":", route.rule->line));
  }

  // The addresses the request may reach: the address it gave, or those of
  // its name that the deciding sockd.conf line and (for a direct route) the
  // socks.conf line both matched, in the resolver's order (README "Security
  // notes": a name never leads to an address no rule permitted).
  OrFailure<std::vector<net::IpAddress>> PermittedDestinations(
      const std::optional<std::vector<net::IpAddress>>& routed) {
    const Destination& destination = request_.destination;
    if (!destination.is_name()) {
      return std::vector<net::IpAddress>{destination.address.ip()};
    }
    const absl::StatusOr<std::vector<net::IpAddress>>& resolved =
        Resolve(destination.name);
    if (!resolved.ok()) {
      return Outcome::Failed(ResolveFailure(resolved.status()),
                             std::string(resolved.status().message()));
    }
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
      return Outcome::Failed(
          Failure::kDeniedByRules,
          absl::StrCat("no address of ", EscapeLogField(destination.name),
                       " is permitted by both sockd.conf and socks.conf"));
    }
    return addresses;
  }

  // Connects to the first of the permitted destinations that answers. The
  // outcome of the last address tried decides a failure; rsockd's own
  // listening socket (own_listeners.h) is a refusal.
  OrFailure<Connection> ConnectDirect(
      const std::optional<std::vector<net::IpAddress>>& routed) {
    OrFailure<std::vector<net::IpAddress>> addresses =
        PermittedDestinations(routed);
    if (Outcome* failed = std::get_if<Outcome>(&addresses)) {
      return std::move(*failed);
    }
    // One deadline for all addresses: "localhost" may be ::1 then 127.0.0.1.
    const net::Deadline deadline =
        net::Deadline::In(options_.connect_timeout, services_.stop);
    std::optional<Outcome> last_failure;
    for (const net::IpAddress& address :
         std::get<std::vector<net::IpAddress>>(addresses)) {
      const net::SocketAddress to(address, request_.destination.port());
      // Linux takes a connect to 0.0.0.0 or :: as one to this host, which
      // would get around rules that guard loopback services.
      if (address.IsUnspecified()) {
        last_failure =
            Outcome::Failed(Failure::kHostUnreachable,
                            absl::StrCat("unspecified destination address ",
                                         address.ToString()));
        continue;
      }
      if (services_.own_listeners->Contains(to)) {
        last_failure = Outcome::Failed(
            Failure::kDeniedByRules,
            absl::StrCat(to.ToString(), " is rsockd's own listening socket"));
        continue;
      }
      absl::StatusOr<std::optional<net::IpAddress>> source =
          rules_->SourceAddressFor(
              RouteTargetFor(rules::Command::kConnect, address));
      if (!source.ok()) {
        Log(source.status().message());
        last_failure = Outcome::Failed(Failure::kNetworkUnreachable,
                                       std::string(source.status().message()));
        continue;
      }
      absl::StatusOr<net::Socket> target =
          net::Socket::Connect(to, *source, deadline);
      if (target.ok()) {
        if (request_.destination.is_name()) {
          reached_ = absl::StrCat(" at ", to.ToString());
        }
        // The address the connection leaves from, which a SOCKS5 reply
        // carries; zeros should the kernel not say.
        const net::SocketAddress local =
            target->LocalAddress().value_or(net::SocketAddress());
        return Connection{*std::move(target), local};
      }
      last_failure = Outcome::Failed(ConnectFailure(target.status()),
                                     std::string(target.status().message()));
    }
    // PermittedDestinations gives at least one address.
    return *std::move(last_failure);
  }

  OrFailure<Connection> ConnectThroughUpstreams(
      absl::Span<const rules::UpstreamServer> servers) {
    OrFailure<UpstreamResult> result = AskUpstreams(servers);
    if (Outcome* failed = std::get_if<Outcome>(&result)) {
      return std::move(*failed);
    }
    UpstreamResult& granted = std::get<UpstreamResult>(result);
    return Connection{std::move(granted.socket),
                      net::SocketAddress(granted.reply.ip, granted.reply.port)};
  }

  // docs/socks_conf.md#upstream-chaining: sends the client's request
  // (CONNECT or BIND) through the first server that answers, which decides.
  // For 90 returns the result, with the connection to that server.
  OrFailure<UpstreamResult> AskUpstreams(
      absl::Span<const rules::UpstreamServer> servers) {
    UpstreamResult result = RequestThroughUpstreams(
        servers, UpstreamRequest(request_),
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
        return UpstreamRefused(*result.server, result.reply.code);
      case UpstreamResult::Outcome::kUnreachable:
        break;
    }
    return Outcome::Failed(Failure::kGeneralFailure,
                           absl::StrCat("no upstream server answered (",
                                        result.faults.size(), " tried)"));
  }

  static Outcome UpstreamRefused(const rules::UpstreamServer& server,
                                 net::Socks4ReplyCode code) {
    return Outcome::RefusedUpstream(
        {.version = SocksVersion::kSocks4, .code = static_cast<uint8_t>(code)},
        absl::StrCat("upstream ", server.ToString(), " replied ",
                     static_cast<int>(code)));
  }

  // A direct BIND (docs/bind.md): listens where sockd.route says, or else on
  // the address the client reached rsockd at; replies with that address;
  // waits for one peer while watching the client; checks the peer against
  // the destination. Returns the peer's connection, for the second reply.
  std::optional<Connection> BindDirect(
      const std::optional<std::vector<net::IpAddress>>& routed) {
    // The destination, or the permitted addresses of a name (resolved here:
    // this hop is the one that sees the peer); 0.0.0.0 admits any.
    OrFailure<std::vector<net::IpAddress>> peers =
        PermittedDestinations(routed);
    if (const Outcome* failed = std::get_if<Outcome>(&peers)) {
      Reject(*failed);
      return std::nullopt;
    }
    std::vector<net::IpAddress>& addresses =
        std::get<std::vector<net::IpAddress>>(peers);
    OrFailure<BindListener> listener = OpenBindListener(addresses.front());
    if (const Outcome* failed = std::get_if<Outcome>(&listener)) {
      Reject(*failed);
      return std::nullopt;
    }
    BindListener& listening = std::get<BindListener>(listener);
    if (!Bound(listening.address())) return std::nullopt;
    const ExpectedPeer expected =
        AnyPeer() ? ExpectedPeer::Any()
                  : ExpectedPeer::OneOf(std::move(addresses));
    absl::StatusOr<BindPeer> peer =
        listening.AcceptPeer(client_, expected, BindDeadline());
    if (!peer.ok()) {
      Reject(BindFailed(peer.status(), "no peer connected"));
      return std::nullopt;
    }
    bind_peer_ = peer->address;
    return Connection{std::move(peer->socket), peer->address};
  }

  // docs/socks_conf.md#upstream-chaining: the upstream listens for the peer
  // and checks it; rsockd passes on its two replies (the first one's
  // 0.0.0.0 made the upstream's address), watching the client while it
  // waits for the second.
  std::optional<Connection> BindThroughUpstreams(
      absl::Span<const rules::UpstreamServer> servers) {
    OrFailure<UpstreamResult> result = AskUpstreams(servers);
    if (const Outcome* failed = std::get_if<Outcome>(&result)) {
      Reject(*failed);
      return std::nullopt;
    }
    UpstreamResult& granted = std::get<UpstreamResult>(result);
    if (!Bound(FirstReplyAddress(granted.reply, granted.server_address))) {
      return std::nullopt;
    }
    absl::StatusOr<net::Socks4Reply> second =
        ReadSecondReply(granted.socket, client_, BindDeadline());
    if (!second.ok()) {
      Reject(BindFailed(second.status(), "no second reply from the upstream"));
      return std::nullopt;
    }
    if (second->code != net::Socks4ReplyCode::kGranted) {
      Reject(UpstreamRefused(*granted.server, second->code));
      return std::nullopt;
    }
    bind_peer_ = net::SocketAddress(second->ip, second->port);
    return Connection{std::move(granted.socket), *bind_peer_};
  }

  // Listens on the address sockd.route gives for the expected peer
  // (docs/sockd_route.md: the classic line is logged when no line matches),
  // else on the local address of the client's connection, which the client
  // can reach.
  OrFailure<BindListener> OpenBindListener(const net::IpAddress& target) {
    absl::StatusOr<std::optional<net::IpAddress>> source =
        rules_->SourceAddressFor(RouteTargetFor(rules::Command::kBind, target));
    if (!source.ok()) {
      Log(source.status().message());
      return Outcome::Failed(Failure::kNetworkUnreachable,
                             std::string(source.status().message()));
    }
    absl::StatusOr<BindListener> listener = [&] {
      if (source->has_value()) return BindListener::Open(**source);
      absl::StatusOr<net::SocketAddress> local = client_.LocalAddress();
      if (!local.ok()) return absl::StatusOr<BindListener>(local.status());
      return BindListener::Open(local->ip());
    }();
    if (!listener.ok()) {
      return Outcome::Failed(Failure::kGeneralFailure,
                             std::string(listener.status().message()));
    }
    return *std::move(listener);
  }

  net::Deadline BindDeadline() const {
    return net::Deadline::In(options_.bind_timeout, services_.stop);
  }

  // A BIND's wait that ended without a peer: a wrong peer is a refusal,
  // the timeout kTimedOut, the rest (the client leaving, stop, a garbled
  // second reply) failures.
  Outcome BindFailed(const absl::Status& status, absl::string_view timed_out) {
    if (absl::IsPermissionDenied(status)) {
      return Outcome::Failed(Failure::kDeniedByRules,
                             std::string(status.message()));
    }
    if (absl::IsDeadlineExceeded(status)) {
      return Outcome::Failed(
          Failure::kTimedOut,
          absl::StrCat(timed_out, " within ",
                       absl::FormatDuration(options_.bind_timeout)));
    }
    return Outcome::Failed(Failure::kGeneralFailure,
                           std::string(status.message()));
  }

  // The end of the steps: the connection, or the failure answered.
  std::optional<Connection> Settle(OrFailure<Connection> result) {
    if (const Outcome* failed = std::get_if<Outcome>(&result)) {
      Reject(*failed);
      return std::nullopt;
    }
    return std::get<Connection>(std::move(result));
  }

  // The first reply of a BIND: where the peer is to connect.
  bool Bound(const net::SocketAddress& address) {
    if (!Reply(Outcome::Granted(address))) return false;
    Log(absl::StrCat("bound -- ", Description(), " at ", address.ToString()));
    return true;
  }

  // The reply that hands the session to the relay: a CONNECT's grant, a
  // BIND's second reply.
  bool Connected(const net::SocketAddress& address) {
    if (!Reply(Outcome::Granted(address))) return false;
    Log(absl::StrCat("connected -- ", Description()));
    return true;
  }

  // The request-log line of a refusal ("refused -- DESC [sockd.conf:3]")
  // or a failure ("failed -- DESC. Error code: ..."), then its reply.
  void Reject(const Outcome& outcome) {
    if (IsRefusal(outcome.failure())) {
      Log(absl::StrCat("refused -- ", Description(), " [", outcome.reason(),
                       "]"));
    } else {
      Log(absl::StrCat("failed -- ", Description(),
                       ". Error code: ", outcome.reason()));
    }
    Reply(outcome);
  }

  // Every reply of the session goes through the front end here.
  bool Reply(const Outcome& outcome) {
    absl::Status status = front_end_->SendReply(outcome);
    if (!status.ok()) {
      VLOG(1) << "[" << id_ << "] cannot send reply: " << status;
      return false;
    }
    return true;
  }

  void RelayTo(net::Socket& target) {
    uint64_t early = 0;
    const absl::Span<const uint8_t> early_data = front_end_->early_data();
    if (!early_data.empty()) {
      absl::Status status = target.WriteAll(
          early_data, net::Deadline::In(options_.idle_timeout, services_.stop));
      if (!status.ok()) {
        Log(absl::StrCat("failed -- ", Description(),
                         ". Error code: ", status.message()));
        return;
      }
      early = early_data.size();
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
                     " bytes from ", EscapeLogField(request_.user_id), "@",
                     request_.client.ip().ToString(), ", ",
                     result.bytes_from_target, " bytes from ", FarSide()));
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
  // The client's protocol, chosen by its first byte; it reads the request
  // and sends every reply.
  std::unique_ptr<FrontEnd> front_end_;
  Request request_;
  // Built once the request is read; the rules and routing share it.
  rules::AccessRequest access_;
  // " via fw1:1080" once an upstream server carries the session.
  std::string via_;
  // A BIND's peer, once it connected (as the upstream reported it, when the
  // BIND went through one).
  std::optional<net::SocketAddress> bind_peer_;
  // For a name that the deciding sockd.conf line matched by address: the
  // addresses it matched (rules::AccessDecision::addresses).
  std::optional<std::vector<net::IpAddress>> permitted_addresses_;
  // " at 10.9.8.7:80" once a name is connected to directly.
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

std::unique_ptr<FrontEnd> FrontEndFor(uint8_t version,
                                      const FrontEndContext& context) {
  switch (version) {
    case net::kSocks5Version:
      return std::make_unique<Socks5FrontEnd>(context);
    case net::kSocks4Version:
    // Not SOCKS either: the SOCKS4 front end drops it without a reply.
    default:
      return std::make_unique<Socks4FrontEnd>(context);
  }
}

void RunSession(uint64_t id, net::Socket client, const net::SocketAddress& peer,
                std::shared_ptr<const rules::RuleSet> rules,
                const SessionOptions& options, const SessionServices& services,
                FrontEndFactory front_ends) {
  Session(id, std::move(client), peer, std::move(rules), options, services)
      .Run(front_ends);
}

}  // namespace rsockd
