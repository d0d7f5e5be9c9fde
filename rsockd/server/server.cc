#include "rsockd/server/server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "glog/logging.h"
#include "net/socks4.h"
#include "net/socks5.h"

namespace rsockd {
namespace {

// What a turned-away connection may have sent that the acceptor still reads
// before closing it (see TurnAway).
constexpr size_t kTurnAwayDrainLimit = 64 * 1024;

// The descriptor kept in reserve for answering a client when the process has
// none left (see Accept).
absl::StatusOr<FdCloser> OpenReserve() {
  // Any descriptor will do; /dev/null costs nothing.
  FdCloser fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, "open /dev/null");
  return fd;
}

// The relay pool for a session pool. A relay direction must start at once,
// and it can: there are at most `max_workers` relays. The queue only absorbs
// the instant between a direction signalling its end and its thread being
// idle again.
net::ThreadPool::Limits RelayLimits(const net::ThreadPool::Limits& sessions) {
  return {.max_workers = sessions.max_workers,
          .max_queue = sessions.max_workers};
}

}  // namespace

Server::Server(const ServerOptions& options, rules::RuleStore* rules,
               std::unique_ptr<net::Resolver> resolver)
    : options_(options),
      rules_(rules),
      resolver_(std::move(resolver)),
      pipes_(options.pipe_memory),
      hooks_(options.tunables.hooks),
      relay_threads_(RelayLimits(options.tunables.pool),
                     options.relay_stack_size),
      pool_(options.tunables.pool, options.worker_stack_size) {
  session_options_ = options.tunables.session;
  services_.resolver = resolver_.get();
  services_.pipes = &pipes_;
  services_.relay_threads = &relay_threads_;
  services_.hooks = &hooks_;
  services_.upstreams = &upstreams_;
  services_.own_listeners = &own_listeners_;
  services_.stats = &stats_;
  services_.request_log = options.request_log;
  services_.stop = &session_stop_;
}

absl::StatusOr<std::unique_ptr<Server>> Server::Create(
    const ServerOptions& options, rules::RuleStore* rules) {
  absl::StatusOr<std::unique_ptr<net::Resolver>> resolver =
      net::Resolver::Create(options.resolver);
  if (!resolver.ok()) return resolver.status();
  std::unique_ptr<Server> server(
      new Server(options, rules, *std::move(resolver)));
  absl::StatusOr<FdCloser> reserve = OpenReserve();
  if (!reserve.ok()) return reserve.status();
  server->reserve_ = *std::move(reserve);
  absl::StatusOr<std::vector<BoundListener>> listeners =
      BindListeners(options.listen, options.listen_backlog);
  if (!listeners.ok()) return listeners.status();
  for (BoundListener& listener : *listeners) {
    server->bound_.push_back(listener.address);
    server->listeners_.push_back(std::move(listener.socket));
  }
  server->own_listeners_ = OwnListeners(server->bound_);
  return server;
}

Server::~Server() { Stop(absl::ZeroDuration()); }

absl::Status Server::Start() {
  absl::StatusOr<net::Thread> thread = net::Thread::Start([this] { Accept(); });
  if (!thread.ok()) return thread.status();
  acceptor_ = *std::move(thread);
  for (const net::SocketAddress& address : bound_) {
    LOG(INFO) << "listening on " << address.ToString();
  }
  return absl::OkStatus();
}

void Server::Accept() {
  std::vector<pollfd> fds;
  for (const net::Socket& listener : listeners_) {
    fds.push_back({listener.fd(), POLLIN, 0});
  }
  fds.push_back({accept_stop_.fd(), POLLIN, 0});
  for (;;) {
    // A bounded wait only matters after EMFILE, when the listener stays
    // readable but accept() cannot succeed until a descriptor is freed.
    const int n = poll(fds.data(), fds.size(), /*timeout_ms=*/-1);
    if (n < 0 && errno != EINTR) {
      PLOG(ERROR) << "poll on listeners";
      return;
    }
    if (fds.back().revents != 0) return;  // stopping
    for (size_t i = 0; i + 1 < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      // Take everything pending on this listener.
      for (;;) {
        net::SocketAddress peer;
        absl::StatusOr<net::Socket> client = listeners_[i].Accept(&peer);
        if (client.ok()) {
          stats_.accepted.fetch_add(1, std::memory_order_relaxed);
          Dispatch(*std::move(client), peer);
          continue;
        }
        absl::Status failed = client.status();
        // EMFILE/ENFILE: answer the client with the reserve descriptor
        // rather than leave it waiting in silence.
        if (absl::IsResourceExhausted(failed)) {
          failed = TurnAwayWithReserve(listeners_[i]);
          if (failed.ok()) continue;
        }
        if (absl::IsUnavailable(failed)) break;  // EAGAIN: drained
        // Anything else (or no reserve to be had): the connection stays
        // pending; back off briefly instead of spinning on a listener that
        // stays readable.
        LOG_EVERY_N(WARNING, 100) << failed;
        pollfd stop{accept_stop_.fd(), POLLIN, 0};
        if (poll(&stop, 1, /*timeout_ms=*/100) > 0) return;
        break;
      }
    }
  }
}

void Server::Dispatch(net::Socket client, const net::SocketAddress& peer) {
  const uint64_t id = next_id_++;
  const int fd = client.fd();
  // The snapshot is taken now: a reload after this point does not change
  // how this connection is judged or timed.
  std::shared_ptr<const rules::RuleSet> rules = rules_->Current();
  SessionOptions session_options;
  {
    absl::MutexLock lock(&mu_);
    session_options = session_options_;
  }
  if (RefuseOnSight(id, fd, peer, *rules, session_options)) return;
  {
    absl::MutexLock lock(&mu_);
    ++live_sessions_;
  }
  net::ThreadPool::Task task = [this, id, peer, client = std::move(client),
                                rules = std::move(rules),
                                session_options]() mutable {
    Serve(id, std::move(client), peer, std::move(rules), session_options);
    absl::MutexLock lock(&mu_);
    --live_sessions_;
  };
  if (pool_.TrySubmit(&task)) return;
  {
    absl::MutexLock lock(&mu_);
    --live_sessions_;
  }
  // The refused task still owns the socket; answer on it, then let the task
  // go, which closes it.
  TurnAway(fd);
  LOG_EVERY_N(WARNING, 100)
      << "[" << id << "] overloaded -- turned away " << peer.ToString() << " ("
      << google::COUNTER << " so far): all workers busy, queue full";
}

void Server::Serve(uint64_t id, net::Socket client,
                   const net::SocketAddress& peer,
                   std::shared_ptr<const rules::RuleSet> rules,
                   const SessionOptions& session_options) {
  stats_.sessions_open.fetch_add(1, std::memory_order_relaxed);
  stats_.sessions_total.fetch_add(1, std::memory_order_relaxed);
  RunSession(id, std::move(client), peer, std::move(rules), session_options,
             services_);
  stats_.sessions_open.fetch_sub(1, std::memory_order_relaxed);
}

void Server::ServeConnection(net::Socket client,
                             const net::SocketAddress& peer) {
  stats_.accepted.fetch_add(1, std::memory_order_relaxed);
  // inetd's listener may take any local address with this port.
  if (absl::StatusOr<net::SocketAddress> local = client.LocalAddress();
      local.ok()) {
    own_listeners_ = OwnListeners({net::SocketAddress(
        local->ip().is_ipv4() ? net::IpAddress() : *net::IpAddress::Parse("::"),
        local->port())});
  }
  SessionOptions session_options;
  {
    absl::MutexLock lock(&mu_);
    session_options = session_options_;
  }
  const uint64_t id = next_id_++;
  std::shared_ptr<const rules::RuleSet> rules = rules_->Current();
  if (RefuseOnSight(id, client.fd(), peer, *rules, session_options)) return;
  Serve(id, std::move(client), peer, std::move(rules), session_options);
}

bool Server::RefuseOnSight(uint64_t id, int fd, const net::SocketAddress& peer,
                           const rules::RuleSet& rules,
                           const SessionOptions& session_options) {
  const rules::ClientCheck check = rules.CheckClient(peer.ip());
  if (check.may_permit) return false;
  stats_.refused_on_sight.fetch_add(1, std::memory_order_relaxed);
  LogClientRefusal(id, peer, rules, check, session_options, services_);
  SendRejection(fd);
  return true;
}

std::vector<std::string> Server::StatsSnapshot(
    absl::Span<const std::string> extra_lines) const {
  std::vector<std::string> lines = {
      absl::StrCat("resolver forward ", resolver_->forward_stats().ToString()),
      absl::StrCat("resolver reverse ", resolver_->reverse_stats().ToString())};
  lines.insert(lines.end(), extra_lines.begin(), extra_lines.end());
  return rsockd::StatsSnapshot(stats_, pool_.counts(), pool_.limits(),
                               hooks_.counts(), lines);
}

absl::Status Server::TurnAwayWithReserve(const net::Socket& listener) {
  if (!reserve_.valid()) {
    // Given up by an earlier turn-away that could not take it back.
    absl::StatusOr<FdCloser> reserve = OpenReserve();
    if (!reserve.ok()) return reserve.status();
    reserve_ = *std::move(reserve);
  }
  reserve_.Close();
  net::SocketAddress peer;
  absl::StatusOr<net::Socket> client = listener.Accept(&peer);
  // Another thread may take the descriptor first (EMFILE again: the caller
  // backs off). Whatever happened, the reserve is reopened once the client
  // is closed.
  if (client.ok()) {
    stats_.accepted.fetch_add(1, std::memory_order_relaxed);
    TurnAway(client->fd());
    client->Close();
    LOG_EVERY_N(WARNING, 100)
        << "out of descriptors -- turned away " << peer.ToString() << " ("
        << google::COUNTER << " so far): the open-file limit is reached";
  }
  absl::StatusOr<FdCloser> reserve = OpenReserve();
  if (reserve.ok()) reserve_ = *std::move(reserve);
  return client.status();
}

void Server::TurnAway(int fd) {
  stats_.overloaded.fetch_add(1, std::memory_order_relaxed);
  SendRejection(fd);
}

void Server::SendRejection(int fd) {
  // The acceptor never waits for a client's first byte, but one already
  // here tells the version: a SOCKS5 client is told that no method is
  // acceptable (`05 FF`), which it understands, where 91 would read as a
  // garbled answer. Anyone else gets SOCKS4's 91 (docs/protocol.md).
  uint8_t version = 0;
  const bool socks5 = recv(fd, &version, 1, MSG_PEEK | MSG_DONTWAIT) == 1 &&
                      version == net::kSocks5Version;
  std::array<uint8_t, 8> reply;
  size_t size = 0;
  if (socks5) {
    stats_.socks5_no_method.fetch_add(1, std::memory_order_relaxed);
    const std::array<uint8_t, 2> choice =
        net::EncodeSocks5MethodChoice(net::Socks5Method::kNoneAcceptable);
    size =
        std::copy(choice.begin(), choice.end(), reply.begin()) - reply.begin();
  } else {
    stats_.CountReply(net::Socks4ReplyCode::kRejected);
    reply = net::EncodeSocks4Reply(net::Socks4ReplyCode::kRejected, 0,
                                   net::IpAddress());
    size = reply.size();
  }
  // A fresh socket's send buffer always has room for 8 bytes.
  (void)!send(fd, reply.data(), size, MSG_NOSIGNAL | MSG_DONTWAIT);
  shutdown(fd, SHUT_WR);
  // Consume what the client already sent: closing with unread input sends
  // RST, which can destroy the reply before the client reads it. Bounded:
  // a client that keeps sending must not hold up the acceptor; past the
  // bound it gets the reset (it was not going to be served either way).
  char discard[4096];
  size_t drained = 0;
  while (drained < kTurnAwayDrainLimit) {
    const ssize_t n = recv(fd, discard, sizeof(discard), MSG_DONTWAIT);
    if (n <= 0) break;
    drained += static_cast<size_t>(n);
  }
}

void Server::Reconfigure(const Tunables& tunables) {
  hooks_.SetOptions(tunables.hooks);
  {
    absl::MutexLock lock(&mu_);
    session_options_ = tunables.session;
  }
  relay_threads_.SetLimits(RelayLimits(tunables.pool));
  pool_.SetLimits(tunables.pool);
}

void Server::Stop(absl::Duration drain) {
  if (stopped_) return;
  stopped_ = true;
  accept_stop_.Notify();
  acceptor_.Join();
  listeners_.clear();
  const absl::Time deadline = absl::Now() + drain;
  {
    absl::MutexLock lock(&mu_);
    const auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return live_sessions_ == 0;
    };
    if (!mu_.AwaitWithDeadline(absl::Condition(&drained), deadline)) {
      LOG(WARNING) << "drain deadline passed with " << live_sessions_
                   << " sessions open; ending them";
      session_stop_.Notify();
      mu_.Await(absl::Condition(&drained));
    }
  }
  // A hook is part of the request that started it (a deny's report, say):
  // it may finish within the same deadline. The runner's destructor kills
  // what is still running after that.
  if (!hooks_.WaitUntilIdle(deadline)) {
    LOG(WARNING) << "drain deadline passed with hooks running; killing them";
  }
}

}  // namespace rsockd
