#include "net/socks4.h"

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace rsockd::net {
namespace {

// Appends bytes up to a NUL to `out`. Returns how many bytes it used and
// whether it saw the NUL (which it consumes but does not append).
struct ScanResult {
  size_t used;
  bool terminated;
};

ScanResult ScanNulTerminated(absl::Span<const uint8_t> data, std::string* out) {
  const uint8_t* nul =
      static_cast<const uint8_t*>(std::memchr(data.data(), 0, data.size()));
  const size_t text_size = nul ? nul - data.data() : data.size();
  out->append(reinterpret_cast<const char*>(data.data()), text_size);
  return {nul ? text_size + 1 : text_size, nul != nullptr};
}

bool IsSocks4aAddress(const IpAddress& ip) {
  const uint32_t value = ip.ipv4_host_order();
  return value != 0 && value <= 0xff;
}

}  // namespace

absl::StatusOr<size_t> Socks4RequestParser::Feed(
    absl::Span<const uint8_t> data) {
  size_t used = 0;
  if (state_ == State::kHeader) {
    const size_t take =
        std::min(data.size(), sizeof(Socks4Header) - header_size_);
    std::memcpy(header_ + header_size_, data.data(), take);
    header_size_ += take;
    used += take;
    // The version is checked as soon as it arrives, before waiting for more.
    if (header_size_ >= 1 && header_[0] != kSocks4Version) {
      not_socks4_ = true;
      return absl::InvalidArgumentError(
          absl::StrCat("not a SOCKS4 request (version ", header_[0], ")"));
    }
    if (header_size_ < sizeof(Socks4Header)) return used;
    Socks4Header header;
    std::memcpy(&header, header_, sizeof(header));
    if (header.command != static_cast<uint8_t>(Socks4Command::kConnect) &&
        header.command != static_cast<uint8_t>(Socks4Command::kBind)) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown SOCKS4 command ", header.command));
    }
    request_.command = static_cast<Socks4Command>(header.command);
    request_.port =
        static_cast<uint16_t>((header.port[0] << 8) | header.port[1]);
    request_.ip = IpAddress::FromIPv4Bytes(header.ip);
    state_ = State::kUserId;
  }
  if (state_ == State::kUserId) {
    const ScanResult scan =
        ScanNulTerminated(data.subspan(used), &request_.user_id);
    used += scan.used;
    if (request_.user_id.size() > kSocks4MaxUserIdLength) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "USERID longer than ", kSocks4MaxUserIdLength, " bytes"));
    }
    if (!scan.terminated) return used;
    state_ = IsSocks4aAddress(request_.ip) ? State::kHostName : State::kDone;
  }
  if (state_ == State::kHostName) {
    const ScanResult scan =
        ScanNulTerminated(data.subspan(used), &request_.host_name);
    used += scan.used;
    if (request_.host_name.size() > kSocks4MaxHostNameLength) {
      return absl::ResourceExhaustedError(
          absl::StrCat("SOCKS4A host name longer than ",
                       kSocks4MaxHostNameLength, " bytes"));
    }
    if (!scan.terminated) return used;
    if (request_.host_name.empty()) {
      return absl::InvalidArgumentError("empty SOCKS4A host name");
    }
    state_ = State::kDone;
  }
  return used;
}

std::array<uint8_t, 8> EncodeSocks4Reply(Socks4ReplyCode code, uint16_t port,
                                         const IpAddress& ip) {
  Socks4Header reply{};
  reply.version = kSocks4ReplyVersion;
  reply.command = static_cast<uint8_t>(code);
  reply.port[0] = static_cast<uint8_t>(port >> 8);
  reply.port[1] = static_cast<uint8_t>(port);
  if (ip.is_ipv4()) std::memcpy(reply.ip, ip.bytes(), 4);
  std::array<uint8_t, 8> bytes;
  std::memcpy(bytes.data(), &reply, sizeof(reply));
  return bytes;
}

absl::StatusOr<Socks4Reply> ParseSocks4Reply(
    const std::array<uint8_t, kSocks4ReplySize>& bytes) {
  const uint8_t code = bytes[1];
  const bool known_version =
      bytes[0] == kSocks4ReplyVersion || bytes[0] == kSocks4Version;
  if (!known_version ||
      code < static_cast<uint8_t>(Socks4ReplyCode::kGranted) ||
      code > static_cast<uint8_t>(Socks4ReplyCode::kIdentMismatch)) {
    return absl::DataLossError(
        absl::StrCat("garbled reply: version ", bytes[0], ", code ", code));
  }
  Socks4Reply reply;
  reply.code = static_cast<Socks4ReplyCode>(code);
  reply.port = static_cast<uint16_t>(bytes[2] << 8 | bytes[3]);
  reply.ip = IpAddress::FromIPv4Bytes(&bytes[4]);
  return reply;
}

std::string EncodeSocks4Request(const Socks4Request& request) {
  CHECK_LE(request.user_id.size(), kSocks4MaxUserIdLength);
  CHECK_LE(request.host_name.size(), kSocks4MaxHostNameLength);
  Socks4Header header{};
  header.version = kSocks4Version;
  header.command = static_cast<uint8_t>(request.command);
  header.port[0] = static_cast<uint8_t>(request.port >> 8);
  header.port[1] = static_cast<uint8_t>(request.port);
  if (request.is_socks4a()) {
    header.ip[3] = 1;
  } else {
    CHECK(request.ip.is_ipv4());
    std::memcpy(header.ip, request.ip.bytes(), 4);
  }
  std::string bytes(reinterpret_cast<const char*>(&header), sizeof(header));
  bytes.append(request.user_id);
  bytes.push_back('\0');
  if (request.is_socks4a()) {
    bytes.append(request.host_name);
    bytes.push_back('\0');
  }
  return bytes;
}

}  // namespace rsockd::net
