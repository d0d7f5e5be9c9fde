#include "net/resolver.h"

#include <ares.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/types/span.h"
#include "glog/logging.h"
#include "rsockd/base/fd_closer.h"

namespace rsockd::net {

// One c-ares query and the callers waiting for it. At any time at most one
// of them, the driver, holds the role that lets it touch `channel` and
// `outcome`; the role passes from one caller to the next under `mu`.
class Resolver::Flight {
 public:
  Flight(std::string what, FdCloser wake_fd)
      : what(std::move(what)), wake_fd_(std::move(wake_fd)) {}
  ~Flight() {
    // Nobody drives any more. A query still pending ends here with
    // ARES_EDESTRUCTION, whose callback writes `outcome`, still alive.
    if (channel != nullptr) ares_destroy(channel);
  }
  Flight(const Flight&) = delete;
  Flight& operator=(const Flight&) = delete;

  // Readable once the answer is published, or while the driver's role is
  // free; the caller that takes the role drains it.
  int wake_fd() const { return wake_fd_.get(); }
  void Wake() {
    const uint64_t one = 1;
    // Cannot fail short of a counter overflow.
    (void)!write(wake_fd(), &one, sizeof(one));
  }
  void Drain() {
    uint64_t count;
    (void)!read(wake_fd(), &count, sizeof(count));
  }

  // For error messages: "cannot resolve www.example.org".
  const std::string what;

  // The driver's alone. `address` is the one a reverse flight asks about.
  ares_channel channel = nullptr;
  IpAddress address;
  std::optional<absl::StatusOr<Answer>> outcome;

  absl::Mutex mu;
  bool driven ABSL_GUARDED_BY(mu) = true;
  // Callers in the flight, the driver included.
  int riders ABSL_GUARDED_BY(mu) = 1;
  // The outcome, once published.
  std::optional<absl::StatusOr<Answer>> answer ABSL_GUARDED_BY(mu);

  // The c-ares callbacks (`arg` is the flight). They run inside
  // ares_process_fd, or inside the call that starts the query when
  // /etc/hosts answers at once: on the driver's thread either way.
  static void OnAddresses(void* arg, int status, int timeouts,
                          ares_addrinfo* result);
  // A reverse flight asks /etc/hosts (OnHostsEntry), then the DNS for the
  // PTR record (OnPointer).
  static void OnHostsEntry(void* arg, int status, int timeouts, hostent* host);
  static void OnPointer(void* arg, int status, int timeouts,
                        unsigned char* response, int length);

 private:
  // A reverse flight's outcome: the name found.
  void SetName(const char* name) {
    Answer found;
    found.name = name == nullptr ? "" : name;
    outcome = std::move(found);
  }

  const FdCloser wake_fd_;
};

namespace {

// Addresses kept of one answer, in c-ares' order: more than any real host
// name has, and a bound on what a hostile zone can make the cache hold
// (10,000 names of 64 addresses: about 11 MiB). The rules see, and the
// connect tries, the same addresses.
constexpr size_t kMaxAddresses = 64;

// Characters a reverse name may hold. Stricter than DNS (which allows any
// byte) but wider than the rule syntax: '_' appears in real PTR records.
bool IsNameCharacter(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
         c == '.' || c == '_';
}

// A c-ares status as the Resolver's errors: the DNS said no (NotFound), the
// DNS failed (Unavailable), or something local went wrong (Internal).
absl::Status AresError(int status, absl::string_view what) {
  const std::string message = absl::StrCat(what, ": ", ares_strerror(status));
  switch (status) {
    case ARES_ENOTFOUND:
    case ARES_ENODATA:
    case ARES_EBADNAME:
    case ARES_ENONAME:
      return absl::NotFoundError(message);
    case ARES_ETIMEOUT:
    case ARES_ESERVFAIL:
    case ARES_EREFUSED:
    case ARES_ECONNREFUSED:
    case ARES_EBADRESP:
    case ARES_EFORMERR:
    case ARES_ENOTIMP:
    case ARES_EOF:
      return absl::UnavailableError(message);
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION:
      return absl::CancelledError(message);
    default:
      return absl::InternalError(message);
  }
}

// c-ares is initialised once per process and never cleaned up (a no-op on
// Linux, but the API asks for it before any channel).
int InitAresLibrary() {
  static const int status = ares_library_init(ARES_LIB_INIT_ALL);
  return status;
}

// A channel configured by `resolv_conf` (and its friends: /etc/hosts,
// nsswitch.conf), with `servers` instead of its nameserver lines when given,
// and `lookups` ("f": /etc/hosts only) instead of nsswitch.conf's order.
absl::StatusOr<ares_channel> NewChannel(
    const std::string& resolv_conf, const std::vector<SocketAddress>& servers,
    const char* lookups) {
  ares_options options{};
  options.resolvconf_path = const_cast<char*>(resolv_conf.c_str());
  int mask = ARES_OPT_RESOLVCONF;
  if (lookups != nullptr) {
    options.lookups = const_cast<char*>(lookups);
    mask |= ARES_OPT_LOOKUPS;
  }
  ares_channel channel = nullptr;
  int status = ares_init_options(&channel, &options, mask);
  if (status != ARES_SUCCESS) {
    return absl::FailedPreconditionError(absl::StrCat(
        "c-ares cannot start with ", resolv_conf, ": ", ares_strerror(status)));
  }
  if (!servers.empty()) {
    std::vector<ares_addr_port_node> nodes(servers.size());
    for (size_t i = 0; i < servers.size(); ++i) {
      const IpAddress& ip = servers[i].ip();
      ares_addr_port_node& node = nodes[i];
      node.next = i + 1 < nodes.size() ? &nodes[i + 1] : nullptr;
      node.family = ip.is_ipv4() ? AF_INET : AF_INET6;
      std::copy(ip.bytes(), ip.bytes() + ip.size(),
                reinterpret_cast<uint8_t*>(&node.addr));
      node.udp_port = servers[i].port();
      node.tcp_port = servers[i].port();
    }
    status = ares_set_servers_ports(channel, nodes.data());
    if (status != ARES_SUCCESS) {
      ares_destroy(channel);
      return absl::FailedPreconditionError(absl::StrCat(
          "c-ares does not take the DNS servers: ", ares_strerror(status)));
    }
  }
  return channel;
}

}  // namespace

void Resolver::Flight::OnAddresses(void* arg, int status, int /*timeouts*/,
                                   ares_addrinfo* result) {
  Flight& flight = *static_cast<Flight*>(arg);
  if (status != ARES_SUCCESS) {
    flight.outcome = AresError(status, flight.what);
    if (result != nullptr) ares_freeaddrinfo(result);
    return;
  }
  Answer answer;
  // The answer lives as long as its shortest-lived record, CNAMEs included.
  // /etc/hosts answers have TTL 0; a TTL with the top bit set (negative
  // here) counts as 0, as RFC 2181 §8 says.
  int ttl = INT_MAX;
  for (const ares_addrinfo_node* node = result->nodes; node != nullptr;
       node = node->ai_next) {
    absl::StatusOr<SocketAddress> address =
        SocketAddress::FromSockaddr(node->ai_addr, node->ai_addrlen);
    if (!address.ok()) continue;
    if (answer.addresses.size() < kMaxAddresses &&
        std::find(answer.addresses.begin(), answer.addresses.end(),
                  address->ip()) == answer.addresses.end()) {
      answer.addresses.push_back(address->ip());
    }
    ttl = std::min(ttl, node->ai_ttl);
  }
  for (const ares_addrinfo_cname* cname = result->cnames; cname != nullptr;
       cname = cname->next) {
    ttl = std::min(ttl, cname->ttl);
  }
  ares_freeaddrinfo(result);
  if (answer.addresses.empty()) {
    flight.outcome = absl::NotFoundError(
        absl::StrCat(flight.what, ": no address in the answer"));
    return;
  }
  answer.ttl = absl::Seconds(std::max(ttl, 0));
  flight.outcome = std::move(answer);
}

void Resolver::Flight::OnHostsEntry(void* arg, int status, int /*timeouts*/,
                                    hostent* host) {
  Flight& flight = *static_cast<Flight*>(arg);
  if (status == ARES_SUCCESS) {
    flight.SetName(host->h_name);
    return;
  }
  if (status != ARES_ENOTFOUND) {
    flight.outcome = AresError(status, flight.what);
    return;
  }
  // Asked directly, not through ares_gethostbyaddr's own DNS step, which
  // turns every failure (a timeout, SERVFAIL) into "not found".
  ares_query(flight.channel, ReverseZoneName(flight.address).c_str(), ns_c_in,
             ns_t_ptr, &Flight::OnPointer, &flight);
}

void Resolver::Flight::OnPointer(void* arg, int status, int /*timeouts*/,
                                 unsigned char* response, int length) {
  Flight& flight = *static_cast<Flight*>(arg);
  hostent* host = nullptr;
  if (status == ARES_SUCCESS) {
    const IpAddress& ip = flight.address;
    status = ares_parse_ptr_reply(response, length, ip.bytes(), ip.size(),
                                  ip.is_ipv4() ? AF_INET : AF_INET6, &host);
  }
  if (status != ARES_SUCCESS) {
    flight.outcome = AresError(status, flight.what);
    return;
  }
  flight.SetName(host->h_name);
  ares_free_hostent(host);
}

absl::StatusOr<std::unique_ptr<Resolver>> Resolver::Create(
    const Options& options) {
  if (const int status = InitAresLibrary(); status != ARES_SUCCESS) {
    return absl::InternalError(absl::StrCat("c-ares: ", ares_strerror(status)));
  }
  // c-ares reads a missing resolv.conf as an empty one; a name given
  // wrongly should be said so instead. (An unreadable one fails below.)
  if (options.require_resolv_conf &&
      access(options.resolv_conf.c_str(), F_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot read ", options.resolv_conf, ": ", strerror(errno)));
  }
  absl::StatusOr<ares_channel> channel =
      NewChannel(options.resolv_conf, options.servers, /*lookups=*/nullptr);
  if (!channel.ok()) return channel.status();
  ares_destroy(*channel);
  return std::unique_ptr<Resolver>(new Resolver(options));
}

Resolver::Resolver(const Options& options)
    : resolv_conf_(options.resolv_conf),
      servers_(options.servers),
      max_ttl_(options.max_ttl),
      failure_ttl_(options.failure_ttl),
      clock_(options.clock),
      reverse_cache_(options.reverse_cache),
      host_cache_(options.max_cached_names) {}

Resolver::~Resolver() {
  absl::MutexLock lock(&mu_);
  DCHECK(forward_.flights.empty() && reverse_.flights.empty())
      << "Resolver destroyed during a lookup";
}

absl::Time Resolver::Now() const { return clock_ ? clock_() : absl::Now(); }

absl::StatusOr<Resolver::Seat> Resolver::Board(Kind kind,
                                               const std::string& key,
                                               absl::string_view what) {
  Lane& lane = LaneOf(kind);
  if (auto it = lane.flights.find(key); it != lane.flights.end()) {
    // A flight in the map has no answer yet and at least one rider: the
    // one that lands or drops it takes it out of the map first.
    absl::MutexLock lock(&it->second->mu);
    ++it->second->riders;
    ++lane.counters.joined;
    return Seat{it->second, false};
  }
  FdCloser wake_fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_fd.valid()) {
    return absl::ErrnoToStatus(errno, absl::StrCat(what, ": eventfd"));
  }
  auto flight = std::make_shared<Flight>(std::string(what), std::move(wake_fd));
  lane.flights.emplace(key, flight);
  ++lane.counters.lookups;
  return Seat{std::move(flight), true};
}

void Resolver::Launch(Flight& flight, const char* lookups,
                      absl::FunctionRef<void(Flight&)> start) const {
  absl::StatusOr<ares_channel> channel =
      NewChannel(resolv_conf_, servers_, lookups);
  if (!channel.ok()) {
    flight.outcome = absl::Status(
        channel.status().code(),
        absl::StrCat(flight.what, ": ", channel.status().message()));
    return;
  }
  flight.channel = *channel;
  start(flight);
}

absl::Status Resolver::Drive(Flight& flight, const Deadline& deadline) {
  while (!flight.outcome.has_value()) {
    ares_socket_t sockets[ARES_GETSOCK_MAXNUM];
    const int bits = ares_getsock(flight.channel, sockets, ARES_GETSOCK_MAXNUM);
    absl::InlinedVector<pollfd, 4> fds;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      short events = 0;
      if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
      if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
      if (events != 0) fds.push_back({sockets[i], events, 0});
    }
    // Until the next retransmission or server switch, within the deadline.
    absl::Time until = deadline.when();
    timeval next;
    if (ares_timeout(flight.channel, nullptr, &next) != nullptr) {
      until = std::min(until, absl::Now() + absl::DurationFromTimeval(next));
    } else if (fds.empty()) {
      // No socket, no timer and no outcome: c-ares has nothing left to do
      // for a query it never answered. Not expected; said rather than spun.
      flight.outcome =
          absl::InternalError(absl::StrCat(flight.what, ": c-ares stalled"));
      break;
    }
    const absl::Status waited =
        Deadline(until, deadline.stop()).Wait(absl::MakeSpan(fds));
    if (absl::IsDeadlineExceeded(waited)) {
      if (deadline.Expired()) return waited;
      // c-ares' own timer: it retransmits, or gives up with ETIMEOUT.
      ares_process_fd(flight.channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      continue;
    }
    if (!waited.ok()) return waited;  // stopping, or poll failed
    for (const pollfd& fd : fds) {
      if (fd.revents == 0) continue;
      // Errors and hang-ups are c-ares' to see, by reading.
      ares_process_fd(flight.channel,
                      (fd.revents & (POLLIN | POLLERR | POLLHUP)) != 0
                          ? fd.fd
                          : ARES_SOCKET_BAD,
                      (fd.revents & POLLOUT) != 0 ? fd.fd : ARES_SOCKET_BAD);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Resolver::Answer> Resolver::Ride(Kind kind,
                                                const std::string& key,
                                                Seat seat,
                                                const Deadline& deadline) {
  Flight& flight = *seat.flight;
  for (;;) {
    if (seat.driving) {
      const absl::Status driven = Drive(flight, deadline);
      if (!driven.ok()) {
        Leave(kind, key, flight, /*driving=*/true);
        return absl::Status(driven.code(),
                            absl::StrCat(flight.what, ": ", driven.message()));
      }
      absl::StatusOr<Answer> outcome = *std::move(flight.outcome);
      // Done with the sockets; whoever drops the flight last frees the rest.
      ares_destroy(flight.channel);
      flight.channel = nullptr;
      Land(kind, key, flight, outcome);
      return outcome;
    }
    {
      absl::MutexLock lock(&flight.mu);
      if (flight.answer.has_value()) {
        --flight.riders;
        return *flight.answer;
      }
      if (!flight.driven) {
        // The driver gave up: this caller goes on with the same query.
        flight.driven = true;
        flight.Drain();
        seat.driving = true;
      }
    }
    if (seat.driving) {
      absl::MutexLock lock(&mu_);
      ++LaneOf(kind).counters.handoffs;
      continue;
    }
    const absl::Status waited = deadline.Wait(flight.wake_fd(), POLLIN);
    if (!waited.ok()) {
      {
        absl::MutexLock lock(&flight.mu);
        if (flight.answer.has_value()) {  // it came just now
          --flight.riders;
          return *flight.answer;
        }
      }
      Leave(kind, key, flight, /*driving=*/false);
      return absl::Status(waited.code(),
                          absl::StrCat(flight.what, ": ", waited.message()));
    }
  }
}

void Resolver::Erase(Lane& lane, const std::string& key, const Flight& flight) {
  if (auto it = lane.flights.find(key);
      it != lane.flights.end() && it->second.get() == &flight) {
    lane.flights.erase(it);
  }
}

void Resolver::Land(Kind kind, const std::string& key, Flight& flight,
                    const absl::StatusOr<Answer>& outcome) {
  absl::MutexLock lock(&mu_);
  // Cached before it leaves the map, both under mu_: a caller coming now
  // finds one or the other, and never starts a second query.
  if (kind == Kind::kForward) CacheForward(key, outcome);
  Erase(LaneOf(kind), key, flight);
  absl::MutexLock flight_lock(&flight.mu);
  flight.answer = outcome;
  --flight.riders;
  flight.Wake();
}

void Resolver::Leave(Kind kind, const std::string& key, Flight& flight,
                     bool driving) {
  absl::MutexLock lock(&mu_);
  absl::MutexLock flight_lock(&flight.mu);
  --flight.riders;
  if (driving) {
    flight.driven = false;
    flight.Wake();
  }
  if (flight.riders == 0 && !flight.driven) {
    Lane& lane = LaneOf(kind);
    Erase(lane, key, flight);
    ++lane.counters.abandoned;
  }
}

void Resolver::CacheForward(const std::string& key,
                            const absl::StatusOr<Answer>& outcome) {
  const absl::Time now = Now();
  if (outcome.ok()) {
    const absl::Duration ttl = std::min(outcome->ttl, max_ttl_);
    host_cache_.Insert(key, outcome->addresses, now + ttl, now);
  } else if (absl::IsNotFound(outcome.status()) ||
             absl::IsUnavailable(outcome.status())) {
    host_cache_.Insert(key, outcome.status(), now + failure_ttl_, now);
  }
}

absl::StatusOr<std::vector<IpAddress>> Resolver::Resolve(
    absl::string_view name, const Deadline& deadline) {
  if (std::optional<IpAddress> literal = IpAddress::Parse(name)) {
    return std::vector<IpAddress>{*literal};
  }
  if (name.empty()) return absl::NotFoundError("cannot resolve an empty name");
  const std::string what = absl::StrCat("cannot resolve ", name);
  const std::string key = absl::AsciiStrToLower(name);
  absl::StatusOr<Seat> seat;
  {
    absl::MutexLock lock(&mu_);
    if (std::optional<absl::StatusOr<std::vector<IpAddress>>> cached =
            host_cache_.Find(key, Now())) {
      return *std::move(cached);
    }
    seat = Board(Kind::kForward, key, what);
  }
  if (!seat.ok()) return seat.status();
  if (seat->driving) {
    const std::string host(name);
    Launch(*seat->flight, /*lookups=*/nullptr, [&host](Flight& flight) {
      ares_addrinfo_hints hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      ares_getaddrinfo(flight.channel, host.c_str(), /*service=*/nullptr,
                       &hints, &Flight::OnAddresses, &flight);
    });
  }
  absl::StatusOr<Answer> answer =
      Ride(Kind::kForward, key, *std::move(seat), deadline);
  if (!answer.ok()) return answer.status();
  return std::move(answer->addresses);
}

absl::StatusOr<std::string> Resolver::ReverseName(const IpAddress& ip,
                                                  const Deadline& deadline) {
  if (std::optional<absl::StatusOr<std::string>> cached =
          reverse_cache_.Find(ip, Now())) {
    return *std::move(cached);
  }
  const std::string key = ip.ToString();
  absl::StatusOr<Seat> seat;
  {
    absl::MutexLock lock(&mu_);
    seat =
        Board(Kind::kReverse, key, absl::StrCat("no reverse name for ", key));
  }
  if (!seat.ok()) return seat.status();
  if (seat->driving) {
    seat->flight->address = ip;
    // /etc/hosts first (c-ares reads it for ares_gethostbyaddr with lookups
    // "f"), then the DNS: see OnHostsEntry.
    Launch(*seat->flight, "f", [&ip](Flight& flight) {
      ares_gethostbyaddr(flight.channel, ip.bytes(), ip.size(),
                         ip.is_ipv4() ? AF_INET : AF_INET6,
                         &Flight::OnHostsEntry, &flight);
    });
  }
  absl::StatusOr<std::string> name = Confirm(
      ip, Ride(Kind::kReverse, key, *std::move(seat), deadline), deadline);
  reverse_cache_.Insert(ip, name, Now());
  return name;
}

absl::StatusOr<std::string> Resolver::Confirm(const IpAddress& ip,
                                              absl::StatusOr<Answer> pointer,
                                              const Deadline& deadline) {
  if (!pointer.ok()) return pointer.status();
  const std::string address = ip.ToString();
  std::string name = absl::AsciiStrToLower(pointer->name);
  if (absl::EndsWith(name, ".")) name.pop_back();
  // A PTR record may say anything; only plain host names are worth
  // confirming. A numeric "name" would resolve to itself.
  if (name.empty() || !std::all_of(name.begin(), name.end(), IsNameCharacter) ||
      IpAddress::Parse(name).has_value()) {
    return absl::NotFoundError(absl::StrCat("reverse name of ", address,
                                            " is not a host name: \"",
                                            absl::CHexEscape(name), "\""));
  }
  absl::StatusOr<std::vector<IpAddress>> forward = Resolve(name, deadline);
  if (absl::IsNotFound(forward.status())) {
    return absl::NotFoundError(
        absl::StrCat("reverse name ", name, " of ", address,
                     " does not resolve: ", forward.status().message()));
  }
  if (!forward.ok()) return forward.status();
  if (std::find(forward->begin(), forward->end(), ip) == forward->end()) {
    return absl::NotFoundError(absl::StrCat("reverse name ", name, " of ",
                                            address,
                                            " does not resolve back to it"));
  }
  return name;
}

std::string Resolver::Stats::ToString() const {
  return absl::StrCat("lookups=", lookups, " joined=", joined,
                      " handoffs=", handoffs, " abandoned=", abandoned,
                      " cached=", cached, " hits=", cache.hits,
                      " misses=", cache.misses, " evictions=", cache.evictions);
}

Resolver::Stats Resolver::forward_stats() const {
  absl::MutexLock lock(&mu_);
  Stats stats = forward_.counters;
  stats.cache = host_cache_.stats();
  stats.cached = host_cache_.size();
  return stats;
}

Resolver::Stats Resolver::reverse_stats() const {
  Stats stats;
  {
    absl::MutexLock lock(&mu_);
    stats = reverse_.counters;
  }
  stats.cache = reverse_cache_.stats();
  stats.cached = reverse_cache_.size();
  return stats;
}

std::string ReverseZoneName(const IpAddress& address) {
  std::string name;
  if (address.is_ipv4()) {
    for (int i = 3; i >= 0; --i) {
      absl::StrAppend(&name, address.bytes()[i], ".");
    }
    return absl::StrCat(name, "in-addr.arpa");
  }
  constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    const uint8_t byte = address.bytes()[i];
    name.push_back(kHex[byte & 0xf]);
    name.push_back('.');
    name.push_back(kHex[byte >> 4]);
    name.push_back('.');
  }
  return absl::StrCat(name, "ip6.arpa");
}

absl::StatusOr<std::vector<SocketAddress>> ParseDnsServers(
    absl::string_view list) {
  if (absl::StripAsciiWhitespace(list).empty()) {
    return absl::InvalidArgumentError("no DNS server given");
  }
  std::vector<SocketAddress> servers;
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    item = absl::StripAsciiWhitespace(item);
    const auto bad = [item](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("DNS server \"", absl::CHexEscape(item), "\": ", why));
    };
    absl::string_view host = item;
    uint32_t port = 53;
    if (absl::ConsumePrefix(&host, "[")) {
      // [IPv6]:port
      const size_t close = host.find("]:");
      if (close == absl::string_view::npos) {
        return bad("want [IPv6 address]:port");
      }
      if (!absl::SimpleAtoi(host.substr(close + 2), &port)) {
        return bad("not a port number");
      }
      host = host.substr(0, close);
    } else if (host.find(':') == host.rfind(':') &&
               host.find(':') != absl::string_view::npos) {
      // IPv4:port (an IPv6 literal has several colons)
      const size_t colon = host.find(':');
      if (!absl::SimpleAtoi(host.substr(colon + 1), &port)) {
        return bad("not a port number");
      }
      host = host.substr(0, colon);
    }
    std::optional<IpAddress> ip = IpAddress::Parse(host);
    if (!ip.has_value()) return bad("not an IP address");
    if (port == 0 || port > 65535) return bad("port out of range (1..65535)");
    servers.emplace_back(*ip, static_cast<uint16_t>(port));
  }
  return servers;
}

}  // namespace rsockd::net
