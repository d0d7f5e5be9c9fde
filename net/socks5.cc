#include "net/socks5.h"

#include <string.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "net/socks4.h"

namespace rsockd::net {
namespace {

// A SOCKS5 name may be forwarded to a SOCKS4A upstream, whose encoder takes
// names up to its own limit.
static_assert(kSocks5MaxHostNameLength <= kSocks4MaxHostNameLength);

// Reads the fields of a message off the front of the bytes received so far,
// and keeps track of how long the message is as far as they tell it.
class FieldReader {
 public:
  explicit FieldReader(absl::Span<const uint8_t> bytes) : bytes_(bytes) {}

  // Whether the next `n` bytes have arrived. When they have not, the
  // message is at least as long as the field: length() says so.
  bool Has(size_t n) {
    length_ = offset_ + n;
    return length_ <= bytes_.size();
  }
  // The message's length as far as known: the end of the last field asked
  // for with Has().
  size_t length() const { return length_; }

  // These require Has() of at least their size.
  uint8_t Byte() { return bytes_[offset_++]; }
  uint16_t Port() {
    const uint16_t port =
        static_cast<uint16_t>(bytes_[offset_] << 8 | bytes_[offset_ + 1]);
    offset_ += 2;
    return port;
  }
  const uint8_t* Take(size_t n) {
    const uint8_t* field = bytes_.data() + offset_;
    offset_ += n;
    return field;
  }
  std::string String(size_t n) {
    return std::string(reinterpret_cast<const char*>(Take(n)), n);
  }

 private:
  const absl::Span<const uint8_t> bytes_;
  size_t offset_ = 0;
  size_t length_ = 0;
};

bool HasNul(absl::string_view text) {
  return text.find('\0') != absl::string_view::npos;
}

// ATYP | ADDR | PORT into `address`; stops early, OK, when a field has not
// arrived yet (in.length() says how long the message is then). Errors:
// Unimplemented for an unknown ATYP, InvalidArgument for a bad name.
absl::Status ScanAddress(FieldReader& in, Socks5Address& address) {
  if (!in.Has(1)) return absl::OkStatus();
  const uint8_t type = in.Byte();
  Socks5Address scanned;
  switch (static_cast<Socks5AddressType>(type)) {
    case Socks5AddressType::kIPv4:
      if (!in.Has(4 + 2)) return absl::OkStatus();
      scanned.ip = IpAddress::FromIPv4Bytes(in.Take(4));
      break;
    case Socks5AddressType::kIPv6:
      if (!in.Has(16 + 2)) return absl::OkStatus();
      scanned.ip = IpAddress::FromIPv6Bytes(in.Take(16));
      break;
    case Socks5AddressType::kHostName: {
      if (!in.Has(1)) return absl::OkStatus();
      const size_t size = in.Byte();
      if (size == 0) return absl::InvalidArgumentError("empty host name");
      if (!in.Has(size + 2)) return absl::OkStatus();
      scanned.host_name = in.String(size);
      if (HasNul(scanned.host_name)) {
        return absl::InvalidArgumentError("NUL in the host name");
      }
      break;
    }
    default:
      return absl::UnimplementedError(
          absl::StrCat("unknown address type ", type));
  }
  scanned.port = in.Port();
  address = std::move(scanned);
  return absl::OkStatus();
}

void AppendPort(uint16_t port, std::string& out) {
  out.push_back(static_cast<char>(port >> 8));
  out.push_back(static_cast<char>(port));
}

void AppendWithLength(absl::string_view field, std::string& out) {
  out.push_back(static_cast<char>(field.size()));
  out.append(field.data(), field.size());
}

void AppendAddress(const Socks5Address& address, std::string& out) {
  out.push_back(static_cast<char>(address.type()));
  if (address.has_host_name()) {
    CHECK_LE(address.host_name.size(), kSocks5MaxHostNameLength);
    CHECK(!HasNul(address.host_name));
    AppendWithLength(address.host_name, out);
  } else {
    out.append(reinterpret_cast<const char*>(address.ip.bytes()),
               address.ip.size());
  }
  AppendPort(address.port, out);
}

// VER | CMD-or-REP | RSV | address: the layout requests and replies share.
std::string EncodeAddressed(uint8_t code, const Socks5Address& address) {
  std::string bytes = {static_cast<char>(kSocks5Version),
                       static_cast<char>(code), 0};
  AppendAddress(address, bytes);
  return bytes;
}

}  // namespace

absl::string_view Socks5ReplyCodeText(Socks5ReplyCode code) {
  switch (code) {
    case Socks5ReplyCode::kSucceeded:
      return "succeeded";
    case Socks5ReplyCode::kGeneralFailure:
      return "general SOCKS server failure";
    case Socks5ReplyCode::kNotAllowed:
      return "connection not allowed by ruleset";
    case Socks5ReplyCode::kNetworkUnreachable:
      return "network unreachable";
    case Socks5ReplyCode::kHostUnreachable:
      return "host unreachable";
    case Socks5ReplyCode::kConnectionRefused:
      return "connection refused";
    case Socks5ReplyCode::kTtlExpired:
      return "TTL expired";
    case Socks5ReplyCode::kCommandNotSupported:
      return "command not supported";
    case Socks5ReplyCode::kAddressTypeNotSupported:
      return "address type not supported";
  }
  return "unassigned";
}

Socks5AddressType Socks5Address::type() const {
  if (has_host_name()) return Socks5AddressType::kHostName;
  return ip.is_ipv4() ? Socks5AddressType::kIPv4 : Socks5AddressType::kIPv6;
}

bool Socks5Greeting::Offers(Socks5Method method) const {
  return std::find(methods.begin(), methods.end(), method) != methods.end();
}

absl::Status ValidateSocks5Credentials(const Socks5Credentials& credentials) {
  for (const auto& [what, field] :
       {std::pair<absl::string_view, absl::string_view>{"user name",
                                                        credentials.user},
        {"password", credentials.password}}) {
    if (field.empty() || field.size() > kSocks5MaxUserPassLength) {
      return absl::InvalidArgumentError(
          absl::StrCat("the ", what, " must be 1 to ", kSocks5MaxUserPassLength,
                       " bytes long"));
    }
    if (HasNul(field)) {
      return absl::InvalidArgumentError(
          absl::StrCat("the ", what, " must not contain NUL"));
    }
  }
  return absl::OkStatus();
}

std::string EncodeSocks5Greeting(absl::Span<const Socks5Method> methods) {
  CHECK(!methods.empty());
  CHECK_LE(methods.size(), kSocks5MaxMethods);
  std::string bytes = {static_cast<char>(kSocks5Version),
                       static_cast<char>(methods.size())};
  for (Socks5Method method : methods) {
    bytes.push_back(static_cast<char>(method));
  }
  return bytes;
}

std::array<uint8_t, 2> EncodeSocks5MethodChoice(Socks5Method method) {
  return {kSocks5Version, static_cast<uint8_t>(method)};
}

std::string EncodeSocks5UserPass(const Socks5Credentials& credentials) {
  const absl::Status valid = ValidateSocks5Credentials(credentials);
  CHECK(valid.ok()) << valid;
  std::string bytes(1, static_cast<char>(kSocks5UserPassVersion));
  AppendWithLength(credentials.user, bytes);
  AppendWithLength(credentials.password, bytes);
  return bytes;
}

std::array<uint8_t, 2> EncodeSocks5UserPassStatus(uint8_t status) {
  return {kSocks5UserPassVersion, status};
}

std::string EncodeSocks5Request(const Socks5Request& request) {
  return EncodeAddressed(static_cast<uint8_t>(request.command),
                         request.destination);
}

std::string EncodeSocks5Reply(const Socks5Reply& reply) {
  return EncodeAddressed(static_cast<uint8_t>(reply.code), reply.bound);
}

absl::StatusOr<size_t> Socks5Parser::Feed(absl::Span<const uint8_t> data) {
  if (!error_.ok()) return error_;
  size_t used = 0;
  while (!done_) {
    const size_t take = std::min(length_ - bytes_.size(), data.size() - used);
    bytes_.insert(bytes_.end(), data.begin() + used,
                  data.begin() + used + take);
    used += take;
    if (bytes_.size() < length_) break;
    absl::StatusOr<size_t> length = Scan(bytes_);
    if (!length.ok()) {
      error_ =
          absl::Status(length.status().code(),
                       absl::StrCat(name_, ": ", length.status().message()));
      return error_;
    }
    DCHECK_GE(*length, bytes_.size());
    length_ = *length;
    done_ = length_ == bytes_.size();
  }
  return used;
}

absl::Status Socks5Parser::EndOfInput() const {
  if (done_ || !error_.ok()) return error_;
  return absl::InvalidArgumentError(absl::StrCat(name_, ": truncated after ",
                                                 bytes_.size(), " of at least ",
                                                 length_, " bytes"));
}

void Socks5Parser::WipeReceived() {
  explicit_bzero(bytes_.data(), bytes_.size());
}

size_t Socks5Parser::bytes_wanted() const {
  return done_ || !error_.ok() ? 0 : length_ - bytes_.size();
}

absl::StatusOr<size_t> Socks5GreetingParser::Scan(
    absl::Span<const uint8_t> bytes) {
  FieldReader in(bytes);
  if (!in.Has(2)) return in.length();
  const uint8_t version = in.Byte();
  if (version != kSocks5Version) {
    return absl::InvalidArgumentError(
        absl::StrCat("version ", version, ", not 5"));
  }
  const size_t count = in.Byte();
  if (count == 0) {
    return absl::InvalidArgumentError("no methods offered (NMETHODS 0)");
  }
  if (!in.Has(count)) return in.length();
  greeting_.methods.clear();
  for (size_t i = 0; i < count; ++i) {
    greeting_.methods.push_back(static_cast<Socks5Method>(in.Byte()));
  }
  return in.length();
}

absl::StatusOr<size_t> Socks5UserPassParser::Scan(
    absl::Span<const uint8_t> bytes) {
  FieldReader in(bytes);
  if (!in.Has(2)) return in.length();
  const uint8_t version = in.Byte();
  if (version != kSocks5UserPassVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("version ", version, ", not 1"));
  }
  const size_t user_size = in.Byte();
  if (user_size == 0) return absl::InvalidArgumentError("empty user name");
  if (!in.Has(user_size + 1)) return in.length();
  Socks5Credentials credentials;
  credentials.user = in.String(user_size);
  const size_t password_size = in.Byte();
  if (password_size == 0) return absl::InvalidArgumentError("empty password");
  if (!in.Has(password_size)) return in.length();
  credentials.password = in.String(password_size);
  // Both go to crypt(3) and the log as C strings, where a NUL ends them.
  if (HasNul(credentials.user)) {
    return absl::InvalidArgumentError("NUL in the user name");
  }
  if (HasNul(credentials.password)) {
    return absl::InvalidArgumentError("NUL in the password");
  }
  credentials_ = std::move(credentials);
  return in.length();
}

void Socks5UserPassParser::WipePassword() {
  explicit_bzero(credentials_.password.data(), credentials_.password.size());
  WipeReceived();
}

absl::StatusOr<size_t> Socks5RequestParser::Scan(
    absl::Span<const uint8_t> bytes) {
  FieldReader in(bytes);
  // VER CMD RSV, and ATYP, which ScanAddress reads.
  if (!in.Has(4)) return in.length();
  const uint8_t version = in.Byte();
  const uint8_t command = in.Byte();
  const uint8_t reserved = in.Byte();
  if (version != kSocks5Version) {
    return absl::InvalidArgumentError(
        absl::StrCat("version ", version, ", not 5"));
  }
  if (reserved != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSV ", reserved, ", not 0"));
  }
  if (command < static_cast<uint8_t>(Socks5Command::kConnect) ||
      command > static_cast<uint8_t>(Socks5Command::kUdpAssociate)) {
    error_reply_ = Socks5ReplyCode::kCommandNotSupported;
    return absl::UnimplementedError(absl::StrCat("unknown command ", command));
  }
  if (absl::Status scanned = ScanAddress(in, request_.destination);
      !scanned.ok()) {
    if (absl::IsUnimplemented(scanned)) {
      error_reply_ = Socks5ReplyCode::kAddressTypeNotSupported;
    }
    return scanned;
  }
  request_.command = static_cast<Socks5Command>(command);
  return in.length();
}

absl::StatusOr<size_t> Socks5MethodChoiceParser::Scan(
    absl::Span<const uint8_t> bytes) {
  FieldReader in(bytes);
  if (!in.Has(2)) return in.length();
  const uint8_t version = in.Byte();
  if (version != kSocks5Version) {
    return absl::DataLossError(absl::StrCat("version ", version, ", not 5"));
  }
  method_ = static_cast<Socks5Method>(in.Byte());
  return in.length();
}

absl::StatusOr<size_t> Socks5UserPassStatusParser::Scan(
    absl::Span<const uint8_t> bytes) {
  FieldReader in(bytes);
  if (!in.Has(2)) return in.length();
  const uint8_t version = in.Byte();
  if (version != kSocks5UserPassVersion && version != kSocks5Version) {
    return absl::DataLossError(
        absl::StrCat("version ", version, ", not 1 (or 5)"));
  }
  status_ = in.Byte();
  return in.length();
}

absl::StatusOr<size_t> Socks5ReplyParser::Scan(
    absl::Span<const uint8_t> bytes) {
  FieldReader in(bytes);
  if (!in.Has(4)) return in.length();
  const uint8_t version = in.Byte();
  const uint8_t code = in.Byte();
  in.Byte();  // RSV
  if (version != kSocks5Version) {
    return absl::DataLossError(absl::StrCat("version ", version, ", not 5"));
  }
  if (code > static_cast<uint8_t>(Socks5ReplyCode::kAddressTypeNotSupported)) {
    return absl::DataLossError(absl::StrCat("unknown REP ", code));
  }
  if (absl::Status scanned = ScanAddress(in, reply_.bound); !scanned.ok()) {
    return absl::DataLossError(scanned.message());
  }
  reply_.code = static_cast<Socks5ReplyCode>(code);
  return in.length();
}

}  // namespace rsockd::net
