#include "testing/fake_dns_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "glog/logging.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/resolver.h"
#include "net/socket.h"
#include "rsockd/base/status_macros.h"
#include "testing/socket_io.h"
#include "testing/status_matchers.h"

namespace rsockd::testing {
namespace {

using Behaviour = FakeDnsServer::Behaviour;
using ::rsockd::testing::ConnectTcp;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::ReadExactly;
using ::rsockd::testing::StatusIs;

constexpr absl::Duration kTimeout = absl::Seconds(10);

// A query with id 0x1234 and RD set for "www.test" of `type`.
std::string Query(uint8_t type, absl::string_view name = "\3www\4test") {
  std::string query = {
      0x12, 0x34,  // ID
      0x01, 0x00,  // flags: RD
      0x00, 0x01,  // QDCOUNT
      0x00, 0x00,  // ANCOUNT
      0x00, 0x00,  // NSCOUNT
      0x00, 0x00,  // ARCOUNT
  };
  query.append(name.data(), name.size());
  query.push_back('\0');                          // root label
  query.append({0x00, static_cast<char>(type)});  // QTYPE
  query.append({0x00, 0x01});                     // QCLASS IN
  return query;
}

// A UDP socket connected to the fake.
class Client {
 public:
  explicit Client(const net::SocketAddress& server)
      : socket_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    sockaddr_storage storage;
    const socklen_t length = server.ToSockaddr(&storage);
    CHECK_EQ(
        connect(socket_.fd(), reinterpret_cast<sockaddr*>(&storage), length),
        0);
  }

  void Send(absl::string_view datagram) {
    ASSERT_EQ(send(socket_.fd(), datagram.data(), datagram.size(), 0),
              static_cast<ssize_t>(datagram.size()));
  }

  // The next datagram, or an error when none comes within `timeout`.
  absl::StatusOr<std::string> Receive(absl::Duration timeout) {
    RSOCKD_RETURN_IF_ERROR(
        net::Deadline::In(timeout).Wait(socket_.fd(), POLLIN));
    char buffer[4096];
    const ssize_t n = recv(socket_.fd(), buffer, sizeof(buffer), 0);
    if (n < 0) return absl::ErrnoToStatus(errno, "recv");
    return std::string(buffer, n);
  }

 private:
  net::Socket socket_;
};

class FakeDnsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(dns_, FakeDnsServer::Start());
    client_ = std::make_unique<Client>(dns_->address());
  }

  std::unique_ptr<FakeDnsServer> dns_;
  std::unique_ptr<Client> client_;
};

TEST_F(FakeDnsServerTest, AnswersWithTheRecordsOfTheAskedType) {
  dns_->AddAddress("WWW.test.", *net::IpAddress::Parse("192.0.2.7"), 300);
  dns_->AddAddress("www.test", *net::IpAddress::Parse("2001:db8::7"), 60);
  client_->Send(Query(FakeDnsServer::kTypeA));
  ASSERT_OK_AND_ASSIGN(std::string response, client_->Receive(kTimeout));
  const std::string question = Query(FakeDnsServer::kTypeA).substr(12);
  std::string expected = {
      0x12,       0x34,        // ID
      char(0x81), char(0x80),  // flags: QR, RD, RA; NOERROR
      0x00,       0x01,        // QDCOUNT
      0x00,       0x01,        // ANCOUNT
      0x00,       0x00,        // NSCOUNT
      0x00,       0x00,        // ARCOUNT
  };
  expected += question;
  expected += std::string{
      char(0xc0), 0x0c,              // NAME: the question's
      0x00,       0x01,              // TYPE A
      0x00,       0x01,              // CLASS IN
      0x00,       0x00, 0x01, 0x2c,  // TTL 300
      0x00,       0x04,              // RDLENGTH
      char(192),  0,    2,    7,     // RDATA
  };
  EXPECT_EQ(response, expected);

  client_->Send(Query(FakeDnsServer::kTypeAaaa));
  ASSERT_OK_AND_ASSIGN(response, client_->Receive(kTimeout));
  ASSERT_EQ(response.size(), 12 + question.size() + 12 + 16);
  EXPECT_EQ(response.substr(response.size() - 22, 6),
            std::string({0x00, 0x00, 0x00, 0x3c,  // TTL 60
                         0x00, 0x10}));           // RDLENGTH 16
  EXPECT_EQ(dns_->queries("www.test"), 2);
}

TEST_F(FakeDnsServerTest, NameWithoutRecordsOfTheTypeGetsAnEmptyAnswer) {
  dns_->AddAddress("www.test", *net::IpAddress::Parse("192.0.2.7"), 300);
  client_->Send(Query(FakeDnsServer::kTypeAaaa));
  ASSERT_OK_AND_ASSIGN(std::string response, client_->Receive(kTimeout));
  EXPECT_EQ(response[3] & 0x0f, 0) << "NOERROR";
  EXPECT_EQ(response.substr(6, 2), std::string(2, '\0')) << "ANCOUNT 0";
}

TEST_F(FakeDnsServerTest, UnknownNameIsNxDomain) {
  client_->Send(Query(FakeDnsServer::kTypeA));
  ASSERT_OK_AND_ASSIGN(std::string response, client_->Receive(kTimeout));
  EXPECT_EQ(response[3] & 0x0f, 3) << "NXDOMAIN";
}

TEST_F(FakeDnsServerTest, ScriptedFailures) {
  dns_->AddAddress("www.test", *net::IpAddress::Parse("192.0.2.7"), 300);
  dns_->SetBehaviour("www.test", Behaviour::kServFail);
  client_->Send(Query(FakeDnsServer::kTypeA));
  ASSERT_OK_AND_ASSIGN(std::string response, client_->Receive(kTimeout));
  EXPECT_EQ(response[3] & 0x0f, 2) << "SERVFAIL";

  dns_->SetBehaviour("www.test", Behaviour::kNxDomain);
  client_->Send(Query(FakeDnsServer::kTypeA));
  ASSERT_OK_AND_ASSIGN(response, client_->Receive(kTimeout));
  EXPECT_EQ(response[3] & 0x0f, 3) << "NXDOMAIN";
}

TEST_F(FakeDnsServerTest, SilentNameIsCountedButNeverAnswered) {
  dns_->SetDefaultBehaviour(Behaviour::kSilent);
  client_->Send(Query(FakeDnsServer::kTypeA));
  ASSERT_THAT(dns_->WaitForQueries(1, kTimeout), IsOk());
  EXPECT_THAT(client_->Receive(absl::Milliseconds(200)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, ::testing::_));
  EXPECT_EQ(dns_->queries("www.test"), 1);
  EXPECT_EQ(dns_->total_queries(), 1);
}

TEST_F(FakeDnsServerTest, HeldQueriesAreAnsweredOnRelease) {
  dns_->AddAddress("www.test", *net::IpAddress::Parse("192.0.2.7"), 300);
  dns_->SetBehaviour("www.test", Behaviour::kHold);
  client_->Send(Query(FakeDnsServer::kTypeA));
  ASSERT_THAT(dns_->WaitForQueries(1, kTimeout), IsOk());
  EXPECT_THAT(client_->Receive(absl::Milliseconds(200)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, ::testing::_));
  dns_->ReleaseHeld();
  ASSERT_OK_AND_ASSIGN(std::string response, client_->Receive(kTimeout));
  EXPECT_EQ(response.substr(0, 2), "\x12\x34");
  EXPECT_EQ(response.substr(6, 2), std::string("\0\1", 2)) << "ANCOUNT 1";
  // From now on the name is answered at once.
  client_->Send(Query(FakeDnsServer::kTypeA));
  EXPECT_THAT(client_->Receive(kTimeout), IsOk());
}

TEST_F(FakeDnsServerTest, AnswersPointerRecordsInTheReverseZones) {
  const net::IpAddress ip = *net::IpAddress::Parse("192.0.2.7");
  dns_->AddPointer(ip, "host.test", 60);
  client_->Send(
      Query(FakeDnsServer::kTypePtr, "\0017\0012\0010\003192\7in-addr\4arpa"));
  ASSERT_OK_AND_ASSIGN(std::string response, client_->Receive(kTimeout));
  EXPECT_TRUE(absl::EndsWith(response, std::string("\0\x0b\4host\4test\0", 13)))
      << "RDLENGTH 11, then the target's name";
  EXPECT_EQ(dns_->queries("7.2.0.192.in-addr.arpa"), 1);
}

TEST_F(FakeDnsServerTest, LongAnswerIsTruncatedOverUdpAndWholeOverTcp) {
  for (int i = 0; i < 100; ++i) {
    dns_->AddAddress("www.test",
                     *net::IpAddress::Parse(absl::StrCat("10.0.0.", i)), 60);
  }
  const std::string query = Query(FakeDnsServer::kTypeA);
  client_->Send(query);
  ASSERT_OK_AND_ASSIGN(std::string truncated, client_->Receive(kTimeout));
  EXPECT_EQ(truncated.size(), query.size()) << "header and question only";
  EXPECT_EQ(truncated[2] & 0x02, 0x02) << "TC";
  EXPECT_EQ(truncated.substr(6, 2), std::string(2, '\0')) << "ANCOUNT 0";

  // Over TCP, each message behind its two-byte length (RFC 1035 §4.2.2).
  ASSERT_OK_AND_ASSIGN(net::Socket tcp, ConnectTcp(dns_->address(), kTimeout));
  const std::string framed =
      std::string({0x00, static_cast<char>(query.size())}) + query;
  ASSERT_THAT(tcp.WriteAll(framed + framed, net::Deadline::In(kTimeout)),
              IsOk());
  for (int i = 0; i < 2; ++i) {
    ASSERT_OK_AND_ASSIGN(std::string length,
                         ReadExactly(tcp, 2, net::Deadline::In(kTimeout)));
    const size_t size = (uint8_t(length[0]) << 8) | uint8_t(length[1]);
    EXPECT_EQ(size, query.size() + 100 * 16);
    ASSERT_OK_AND_ASSIGN(std::string whole,
                         ReadExactly(tcp, size, net::Deadline::In(kTimeout)));
    EXPECT_EQ(whole.substr(6, 2), std::string("\0\x64", 2)) << "ANCOUNT 100";
  }
  EXPECT_EQ(dns_->queries("www.test"), 3);
}

TEST_F(FakeDnsServerTest, IgnoresWhatIsNotAQuery) {
  std::string response_bit = Query(FakeDnsServer::kTypeA);
  response_bit[2] = char(0x81);
  for (const std::string& garbage :
       {std::string("\x12\x34\x01"), response_bit,
        Query(FakeDnsServer::kTypeA, "\77truncated")}) {
    client_->Send(garbage);
  }
  client_->Send(Query(FakeDnsServer::kTypeA));
  ASSERT_OK_AND_ASSIGN(std::string response, client_->Receive(kTimeout));
  EXPECT_EQ(response.substr(0, 2), "\x12\x34");
  EXPECT_EQ(dns_->total_queries(), 1) << "only the real query counts";
}

}  // namespace
}  // namespace rsockd::testing
