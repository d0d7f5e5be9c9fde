// This file defines `FakeDnsServer`, a scripted DNS server on UDP for tests
// of the resolver (net/resolver.h) and of rsockd's name lookups.
//
// It binds 127.0.0.1:0 for UDP and the same port for TCP, and serves both on
// one thread. An answer longer than 512 bytes goes over UDP truncated (TC,
// no records), as a real server's would, so that the client asks again over
// TCP. Each query (one question, class IN), UDP or TCP, is counted under its
// name (lower case, without the final dot) and handled as the name's
// behaviour says:
//
//   kAnswer    the name's records of the asked type (A, AAAA or PTR), each
//              with its own TTL; a name with records, but none of that type,
//              gets an empty answer (NODATA); a name with no records at all
//              gets NXDOMAIN.
//   kNxDomain  NXDOMAIN.
//   kServFail  SERVFAIL.
//   kSilent    no answer, ever: a dead server.
//   kHold      no answer until `ReleaseHeld()`, which makes the name
//              kAnswer and answers the queries held so far.
//
// Names without a behaviour of their own get the default one (kAnswer until
// `SetDefaultBehaviour`). Messages that are not such a query are ignored.
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<FakeDnsServer> dns,
//                        FakeDnsServer::Start());
//   dns->AddAddress("www.test", *net::IpAddress::Parse("192.0.2.7"), 300);
//   dns->SetBehaviour("dead.test", FakeDnsServer::Behaviour::kSilent);
//   ... point the resolver at dns->address() ...
//   EXPECT_EQ(dns->queries("www.test"), 2);  // A and AAAA
//
// Shutdown: the destructor fires a StopSignal that the serving thread's wait
// watches, then joins it; TCP connections close with the fake.
//
// Thread-safety: all methods are thread-safe.

#ifndef RSOCKD_TESTING_FAKE_DNS_SERVER_H_
#define RSOCKD_TESTING_FAKE_DNS_SERVER_H_

#include <sys/socket.h>

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/socket.h"

namespace rsockd::testing {

class FakeDnsServer {
 public:
  enum class Behaviour { kAnswer, kNxDomain, kServFail, kSilent, kHold };

  // Record types served.
  static constexpr uint16_t kTypeA = 1;
  static constexpr uint16_t kTypePtr = 12;
  static constexpr uint16_t kTypeAaaa = 28;

  // Binds 127.0.0.1:0 (UDP and TCP).
  static absl::StatusOr<std::unique_ptr<FakeDnsServer>> Start();
  ~FakeDnsServer();

  FakeDnsServer(const FakeDnsServer&) = delete;
  FakeDnsServer& operator=(const FakeDnsServer&) = delete;

  // A record of any type for `name`; `data` is its RDATA in wire form.
  void AddRecord(absl::string_view name, uint16_t type, std::string data,
                 uint32_t ttl);
  // An A or AAAA record (by the address's family) for `name`.
  void AddAddress(absl::string_view name, const net::IpAddress& address,
                  uint32_t ttl);
  // A PTR record for `address` (under net::ReverseZoneName) that names
  // `target`.
  void AddPointer(const net::IpAddress& address, absl::string_view target,
                  uint32_t ttl);

  void SetBehaviour(absl::string_view name, Behaviour behaviour);
  void SetDefaultBehaviour(Behaviour behaviour);
  // Turns every kHold name to kAnswer and answers the queries held so far.
  void ReleaseHeld();

  const net::SocketAddress& address() const { return address_; }

  // Queries received for `name`, and for all names together.
  int queries(absl::string_view name) const;
  int total_queries() const;
  // Waits until at least `count` queries have been received in all.
  absl::Status WaitForQueries(int count, absl::Duration timeout) const;

 private:
  struct Record {
    uint16_t type;
    uint32_t ttl;
    std::string data;  // RDATA, in wire form
  };
  // A query that parsed: the header fields and question the answer repeats.
  struct Query {
    uint16_t id;
    bool recursion_desired;
    std::string name;      // lower case, dotted, no final dot
    std::string question;  // the question section's bytes as received
    uint16_t type;
  };
  // Where an answer goes: a UDP peer, or a TCP connection.
  struct Client {
    sockaddr_storage peer;
    socklen_t peer_length = 0;
    std::shared_ptr<net::Socket> connection;  // TCP; null for UDP
  };
  struct Held {
    Client client;
    Query query;
  };
  // A TCP connection and the bytes read from it not yet handled.
  struct Connection {
    std::shared_ptr<net::Socket> socket;
    std::string buffer;
  };

  FakeDnsServer(net::Socket udp, net::Socket tcp, net::SocketAddress address);
  static bool ParseQuery(absl::string_view message, Query* query);
  void Serve();
  void ReadDatagrams();
  // Reads what `connection` has and handles each whole message; false when
  // the client closed it (or it failed).
  bool ReadStream(Connection& connection);
  void Handle(absl::string_view message, const Client& client);
  // The response to `query` under `behaviour` (never kSilent or kHold) for
  // `client` (truncated over UDP when too long).
  std::string Respond(const Query& query, Behaviour behaviour,
                      const Client& client) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Send(const std::string& response, const Client& client) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  net::Socket udp_;
  net::Socket tcp_;
  const net::SocketAddress address_;
  net::StopSignal stop_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::vector<Record>> records_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Behaviour> behaviours_ ABSL_GUARDED_BY(mu_);
  Behaviour default_behaviour_ ABSL_GUARDED_BY(mu_) = Behaviour::kAnswer;
  std::vector<Held> held_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> queries_ ABSL_GUARDED_BY(mu_);
  int total_queries_ ABSL_GUARDED_BY(mu_) = 0;
  // The serving thread's alone.
  std::list<Connection> connections_;
  // Last member: started after every field it uses is built.
  std::thread server_;
};

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_FAKE_DNS_SERVER_H_
