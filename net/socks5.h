// This file defines the SOCKS5 wire format (RFC 1928) with username/password
// authentication (RFC 1929), in both directions: an encoder for each of the
// six messages and an incremental parser for each. rsockd's server decodes
// what a client encodes; rsockd as the client of a SOCKS5 upstream
// (socks5_client.h) encodes the client's messages and decodes the server's.
//
//   greeting       VER=5 | NMETHODS (1-255) | METHODS
//   method choice  VER=5 | METHOD                    (FF: none acceptable)
//   RFC 1929       VER=1 | ULEN (1-255) | UNAME | PLEN (1-255) | PASSWD
//   its status     VER=1 | STATUS                    (0: success)
//   request        VER=5 | CMD | RSV=0 | ATYP | DST.ADDR | DST.PORT (2)
//   reply          VER=5 | REP | RSV=0 | ATYP | BND.ADDR | BND.PORT (2)
//
// ATYP 1 is a 4-byte IPv4 address, 4 a 16-byte IPv6 address, 3 a host name
// (a length byte, 1-255, then the name). Ports are in network order.
//
// Host names are handled like SOCKS4A names (socks4.h): 1-255 bytes, any
// byte but NUL. A NUL, which SOCKS5 could carry, is refused as malformed: the
// resolver and a SOCKS4A upstream would both end the name there, so rules
// would judge one name and the connection go to another. An IPv4-mapped IPv6
// address (`::ffff:a.b.c.d`) decodes as the IPv4 address (address.h), so
// that rules on IPv4 addresses also hold for it.
//
// What rsockd's server does with each parser's errors is in
// docs/protocol.md ("Malformed messages"): a malformed greeting is closed
// without a reply, a malformed RFC 1929 request gets status 1, a request
// gets `error_reply()`.

#ifndef RSOCKD_NET_SOCKS5_H_
#define RSOCKD_NET_SOCKS5_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "net/address.h"

namespace rsockd::net {

inline constexpr uint8_t kSocks5Version = 0x05;
// The VER of the RFC 1929 subnegotiation, in both of its messages.
inline constexpr uint8_t kSocks5UserPassVersion = 0x01;
inline constexpr size_t kSocks5MaxMethods = 255;
// Each of UNAME and PASSWD.
inline constexpr size_t kSocks5MaxUserPassLength = 255;
inline constexpr size_t kSocks5MaxHostNameLength = 255;
// RFC 1929 STATUS: 0 is success, anything else failure.
inline constexpr uint8_t kSocks5UserPassSuccess = 0x00;
inline constexpr uint8_t kSocks5UserPassFailure = 0x01;

// METHOD values. A greeting may offer any byte; these are the ones rsockd
// knows by name.
enum class Socks5Method : uint8_t {
  kNoAuth = 0x00,
  kGssapi = 0x01,
  kUserPass = 0x02,  // RFC 1929
  kNoneAcceptable = 0xFF,
};

enum class Socks5Command : uint8_t {
  kConnect = 0x01,
  kBind = 0x02,
  kUdpAssociate = 0x03,
};

enum class Socks5AddressType : uint8_t {
  kIPv4 = 0x01,
  kHostName = 0x03,
  kIPv6 = 0x04,
};

// REP. A decoded reply always holds one of these.
enum class Socks5ReplyCode : uint8_t {
  kSucceeded = 0x00,
  kGeneralFailure = 0x01,
  kNotAllowed = 0x02,  // not allowed by the ruleset
  kNetworkUnreachable = 0x03,
  kHostUnreachable = 0x04,
  kConnectionRefused = 0x05,
  kTtlExpired = 0x06,
  kCommandNotSupported = 0x07,
  kAddressTypeNotSupported = 0x08,
};

// The meaning of `code` for logs, in RFC 1928's words ("connection refused",
// "TTL expired"); "unassigned" for a value outside 00-08.
absl::string_view Socks5ReplyCodeText(Socks5ReplyCode code);

// Socks5Address
//
// DST.ADDR/DST.PORT of a request or BND.ADDR/BND.PORT of a reply: a host name
// (ATYP 3) when `host_name` is not empty, else `ip` (ATYP 1 or 4). The
// parsers leave `ip` at 0.0.0.0 with a host name.
struct Socks5Address {
  IpAddress ip;
  // 1-255 bytes without NUL, or empty for an address.
  std::string host_name;
  uint16_t port = 0;

  bool has_host_name() const { return !host_name.empty(); }
  Socks5AddressType type() const;

  friend bool operator==(const Socks5Address&, const Socks5Address&) = default;
};

struct Socks5Greeting {
  // As offered, in the client's order; 1-255 of them.
  std::vector<Socks5Method> methods;

  bool Offers(Socks5Method method) const;

  friend bool operator==(const Socks5Greeting&,
                         const Socks5Greeting&) = default;
};

// The RFC 1929 request. The password must never reach a log.
struct Socks5Credentials {
  std::string user;
  std::string password;

  friend bool operator==(const Socks5Credentials&,
                         const Socks5Credentials&) = default;
};

struct Socks5Request {
  Socks5Command command = Socks5Command::kConnect;
  Socks5Address destination;

  friend bool operator==(const Socks5Request&, const Socks5Request&) = default;
};

struct Socks5Reply {
  Socks5ReplyCode code = Socks5ReplyCode::kGeneralFailure;
  Socks5Address bound;

  friend bool operator==(const Socks5Reply&, const Socks5Reply&) = default;
};

// ValidateSocks5Credentials()
//
// OK when RFC 1929 can carry `credentials` as rsockd's parser accepts them:
// user and password 1-255 bytes each, without NUL. Otherwise
// InvalidArgument saying which part is wrong (never quoting it), for
// checking credentials where they are configured.
absl::Status ValidateSocks5Credentials(const Socks5Credentials& credentials);

// Encoders. Each requires a message within the limits above (a CHECK: the
// parsers and ValidateSocks5Credentials keep anything else out).
std::string EncodeSocks5Greeting(absl::Span<const Socks5Method> methods);
std::array<uint8_t, 2> EncodeSocks5MethodChoice(Socks5Method method);
std::string EncodeSocks5UserPass(const Socks5Credentials& credentials);
std::array<uint8_t, 2> EncodeSocks5UserPassStatus(uint8_t status);
std::string EncodeSocks5Request(const Socks5Request& request);
std::string EncodeSocks5Reply(const Socks5Reply& reply);

// Socks5Parser
//
// What the six parsers below share: each takes the bytes of one message fed
// in any pieces and stops exactly at its end, so that bytes the peer sent
// after it (a pipelined next message, or data for the relay) are left to the
// caller. Each buffers at most one message (513 bytes for the largest).
//
//   Socks5RequestParser parser;
//   while (!parser.done()) {
//     ... read `bytes` ...
//     RSOCKD_ASSIGN_OR_RETURN(size_t used, parser.Feed(bytes));
//     bytes.remove_prefix(used);  // what is left follows the message
//   }
//
// A parser is in one of three states: done(); failed (Feed returned an
// error, which it returns again if fed more); or waiting for more bytes, at
// least `bytes_wanted()` of them. Reading no more than `bytes_wanted()` at a
// time never reads past the message. When the input ends while a parser
// waits, `EndOfInput()` gives the error for the truncated message.
//
// Thread-compatible.
class Socks5Parser {
 public:
  virtual ~Socks5Parser() = default;
  Socks5Parser(const Socks5Parser&) = delete;
  Socks5Parser& operator=(const Socks5Parser&) = delete;

  // Consumes bytes up to the end of the message; returns how many it used
  // (all of `data` unless it completed the message).
  absl::StatusOr<size_t> Feed(absl::Span<const uint8_t> data);

  // For when the input ends: OK once done(), the error once failed, else
  // InvalidArgument ("truncated after N of at least M bytes").
  absl::Status EndOfInput() const;

  bool done() const { return done_; }
  // The fewest bytes that can complete or advance the message; 0 once done
  // or failed.
  size_t bytes_wanted() const;

 protected:
  // `name` ("SOCKS5 request") begins every error message.
  explicit Socks5Parser(absl::string_view name) : name_(name) {}

  // Overwrites with zeros the bytes received so far.
  void WipeReceived();

 private:
  // Reads the fields of `bytes`, all of the message received so far: at
  // least as many bytes as the previous call's result, or 1 at first.
  // Returns the message's length as far as they tell it: more than
  // bytes.size() while fields are missing, bytes.size() once the message
  // is complete (its fields then stored). Errors name what is wrong, without
  // the prefix.
  virtual absl::StatusOr<size_t> Scan(absl::Span<const uint8_t> bytes) = 0;

  const absl::string_view name_;
  std::vector<uint8_t> bytes_;
  size_t length_ = 1;  // the message's length as far as known
  bool done_ = false;
  absl::Status error_;
};

// --- Client to server -------------------------------------------------------

// The greeting. Errors are InvalidArgument: a VER other than 5, NMETHODS 0.
class Socks5GreetingParser final : public Socks5Parser {
 public:
  Socks5GreetingParser() : Socks5Parser("SOCKS5 greeting") {}
  // Requires done().
  const Socks5Greeting& greeting() const { return greeting_; }

 private:
  absl::StatusOr<size_t> Scan(absl::Span<const uint8_t> bytes) override;
  Socks5Greeting greeting_;
};

// The RFC 1929 request. Errors are InvalidArgument: a VER other than 1,
// ULEN or PLEN 0, a NUL in the user name or password. Error messages never
// quote either.
class Socks5UserPassParser final : public Socks5Parser {
 public:
  Socks5UserPassParser() : Socks5Parser("RFC 1929 request") {}
  // Requires done().
  const Socks5Credentials& credentials() const { return credentials_; }

  // Overwrites with zeros the password, in credentials() and in the bytes
  // received, once it has been checked. The parser is of no further use.
  void WipePassword();

 private:
  absl::StatusOr<size_t> Scan(absl::Span<const uint8_t> bytes) override;
  Socks5Credentials credentials_;
};

// The request. Errors: InvalidArgument for malformed bytes (a VER other than
// 5, RSV not 0, a host name of length 0 or with a NUL), Unimplemented for a
// CMD or ATYP that SOCKS5 does not define. `error_reply()` says which REP
// answers the error.
class Socks5RequestParser final : public Socks5Parser {
 public:
  Socks5RequestParser() : Socks5Parser("SOCKS5 request") {}
  // Requires done().
  const Socks5Request& request() const { return request_; }
  // After an error from Feed or EndOfInput: kCommandNotSupported for an
  // unknown CMD, kAddressTypeNotSupported for an unknown ATYP,
  // kGeneralFailure for anything else.
  Socks5ReplyCode error_reply() const { return error_reply_; }

 private:
  absl::StatusOr<size_t> Scan(absl::Span<const uint8_t> bytes) override;
  Socks5Request request_;
  Socks5ReplyCode error_reply_ = Socks5ReplyCode::kGeneralFailure;
};

// --- Server to client -------------------------------------------------------
//
// Errors are DataLoss: bytes that are not what a SOCKS5 server sends are a
// fault of that server, unlike a well-formed refusal.

// The method choice: any METHOD (the client checks that it offered it).
// Error: a VER other than 5.
class Socks5MethodChoiceParser final : public Socks5Parser {
 public:
  Socks5MethodChoiceParser() : Socks5Parser("SOCKS5 method choice") {}
  // Requires done().
  Socks5Method method() const { return method_; }

 private:
  absl::StatusOr<size_t> Scan(absl::Span<const uint8_t> bytes) override;
  Socks5Method method_ = Socks5Method::kNoneAcceptable;
};

// The RFC 1929 status. VER may be 1 or 5: servers that answer a success
// with 5 are common enough that clients (curl among them) accept it, and
// STATUS alone says whether the server accepted the credentials. Error:
// another VER.
class Socks5UserPassStatusParser final : public Socks5Parser {
 public:
  Socks5UserPassStatusParser() : Socks5Parser("RFC 1929 status") {}
  // Requires done(). kSocks5UserPassSuccess, or any other byte for failure.
  uint8_t status() const { return status_; }

 private:
  absl::StatusOr<size_t> Scan(absl::Span<const uint8_t> bytes) override;
  uint8_t status_ = kSocks5UserPassFailure;
};

// The reply, for CONNECT, BIND (either reply) and UDP ASSOCIATE. RSV is
// ignored. Errors: a VER other than 5, a REP above 08, an unknown ATYP, a
// host name of length 0 or with a NUL.
class Socks5ReplyParser final : public Socks5Parser {
 public:
  Socks5ReplyParser() : Socks5Parser("SOCKS5 reply") {}
  // Requires done().
  const Socks5Reply& reply() const { return reply_; }

 private:
  absl::StatusOr<size_t> Scan(absl::Span<const uint8_t> bytes) override;
  Socks5Reply reply_;
};

}  // namespace rsockd::net

#endif  // RSOCKD_NET_SOCKS5_H_
