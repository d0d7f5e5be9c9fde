#include "net/socks5_fuzz_target.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"

namespace rsockd::net {
namespace {

using Result = Socks5InputOutcome::Result;

// A broken promise: say which and stop, so that the fuzzer keeps the input.
[[noreturn]] void Broken(absl::string_view parser, absl::string_view promise,
                         absl::string_view detail) {
  std::fprintf(stderr, "%.*s: %.*s\n%.*s\n", static_cast<int>(parser.size()),
               parser.data(), static_cast<int>(promise.size()), promise.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

absl::Span<const uint8_t> Bytes(absl::string_view data) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(data.data()),
                             data.size());
}

// What feeding a parser came to: the error, or how many bytes it used and
// whether that completed the message.
struct Fed {
  absl::Status status;
  size_t used = 0;
  bool done = false;

  friend bool operator==(const Fed&, const Fed&) = default;
};

std::string Describe(const Fed& fed) {
  return fed.status.ok()
             ? absl::StrCat(fed.done ? "done" : "waiting", " after ", fed.used)
             : fed.status.ToString();
}

// Feeds `pieces` in order to a fresh `parser`, stopping at the first error
// or once the message is complete.
Fed FeedPieces(Socks5Parser& parser,
               const std::vector<absl::string_view>& pieces) {
  Fed fed;
  for (absl::string_view piece : pieces) {
    const absl::StatusOr<size_t> used = parser.Feed(Bytes(piece));
    if (!used.ok()) return {used.status(), 0, false};
    fed.used += *used;
    if (parser.done()) break;
  }
  fed.done = parser.done();
  return fed;
}

// The largest message a parser here reads: an RFC 1929 request with a
// 255-byte user name and password.
constexpr size_t kLargestMessage = 3 + 2 * kSocks5MaxUserPassLength;

// The input in three ways: whole, one byte at a time (up to where no
// message can reach, then the rest at once), and in two pieces.
std::vector<std::vector<absl::string_view>> Splits(absl::string_view data) {
  std::vector<absl::string_view> bytes;
  for (size_t i = 0; i < data.size() && i < kLargestMessage; ++i) {
    bytes.push_back(data.substr(i, 1));
  }
  if (data.size() > kLargestMessage) {
    bytes.push_back(data.substr(kLargestMessage));
  }
  const size_t half = data.size() / 2;
  return {{data}, bytes, {data.substr(0, half), data.substr(half)}};
}

// Feeds the input to `whole` and to fresh parsers split three ways, checks
// the promises every parser keeps, and returns what `whole` made of it.
template <typename Parser, typename Encode>
Fed CheckParser(absl::string_view name, absl::string_view data, Encode encode,
                Parser& whole) {
  const Fed expected = FeedPieces(whole, {data});
  for (const std::vector<absl::string_view>& pieces : Splits(data)) {
    Parser parser;
    const Fed fed = FeedPieces(parser, pieces);
    if (!(fed == expected)) {
      Broken(name, "the result depends on how the bytes are split",
             absl::StrCat(Describe(fed), " in ", pieces.size(), " pieces, but ",
                          Describe(expected), " whole"));
    }
    if (fed.done && encode(parser) != encode(whole)) {
      Broken(name, "the message depends on how the bytes are split", "");
    }
  }
  if (!expected.status.ok()) {
    if (!absl::StartsWith(expected.status.message(), name)) {
      Broken(name, "an error that does not name its message",
             expected.status.ToString());
    }
    if (whole.EndOfInput() != expected.status || whole.bytes_wanted() != 0) {
      Broken(name, "an error that does not stick", "");
    }
  } else if (!expected.done) {
    if (expected.used != data.size() || whole.bytes_wanted() == 0 ||
        !absl::IsInvalidArgument(whole.EndOfInput())) {
      Broken(name, "waiting without having used every byte",
             Describe(expected));
    }
  } else if (whole.bytes_wanted() != 0 || !whole.EndOfInput().ok()) {
    Broken(name, "a decoded message that wants more", "");
  }
  return expected;
}

Result ResultOf(const Fed& fed) {
  if (!fed.status.ok()) return Result::kRefused;
  return fed.done ? Result::kDecoded : Result::kWaiting;
}

// The message encoded again must be the bytes it was decoded from.
void CheckCanonical(absl::string_view name, absl::string_view consumed,
                    absl::string_view encoded) {
  if (encoded != consumed) {
    Broken(name, "encoding the decoded message gives other bytes",
           absl::StrCat("decoded \"", absl::CHexEscape(consumed),
                        "\", encoded \"", absl::CHexEscape(encoded), "\""));
  }
}

Result CheckGreeting(absl::string_view data) {
  constexpr absl::string_view kName = "SOCKS5 greeting";
  const auto encode = [](const Socks5GreetingParser& parser) {
    return EncodeSocks5Greeting(parser.greeting().methods);
  };
  Socks5GreetingParser parser;
  const Fed fed = CheckParser(kName, data, encode, parser);
  if (fed.done) CheckCanonical(kName, data.substr(0, fed.used), encode(parser));
  return ResultOf(fed);
}

Result CheckUserPass(absl::string_view data) {
  constexpr absl::string_view kName = "RFC 1929 request";
  const auto encode = [](const Socks5UserPassParser& parser) {
    return EncodeSocks5UserPass(parser.credentials());
  };
  Socks5UserPassParser parser;
  const Fed fed = CheckParser(kName, data, encode, parser);
  if (fed.done) CheckCanonical(kName, data.substr(0, fed.used), encode(parser));
  return ResultOf(fed);
}

// An IPv4-mapped destination is sent on as IPv4, which must decode to the
// same request.
void CheckMappedRequest(absl::string_view name, const Socks5Request& request) {
  const std::string encoded = EncodeSocks5Request(request);
  Socks5RequestParser again;
  const absl::StatusOr<size_t> used = again.Feed(Bytes(encoded));
  if (!used.ok() || !again.done() || *used != encoded.size() ||
      !(again.request() == request)) {
    Broken(name, "an IPv4-mapped address does not encode as IPv4",
           absl::CHexEscape(encoded));
  }
}

Result CheckRequest(absl::string_view data, Socks5ReplyCode* error_reply) {
  constexpr absl::string_view kName = "SOCKS5 request";
  const auto encode = [](const Socks5RequestParser& parser) {
    return EncodeSocks5Request(parser.request());
  };
  Socks5RequestParser parser;
  const Fed fed = CheckParser(kName, data, encode, parser);
  if (fed.done) {
    // ATYP is the fourth byte.
    const bool mapped =
        static_cast<Socks5AddressType>(data[3]) == Socks5AddressType::kIPv6 &&
        parser.request().destination.ip.is_ipv4();
    if (mapped) {
      CheckMappedRequest(kName, parser.request());
    } else {
      CheckCanonical(kName, data.substr(0, fed.used), encode(parser));
    }
  }
  if (!fed.status.ok()) {
    *error_reply = parser.error_reply();
    const bool fits =
        absl::IsUnimplemented(fed.status)
            ? *error_reply == Socks5ReplyCode::kCommandNotSupported ||
                  *error_reply == Socks5ReplyCode::kAddressTypeNotSupported
            : absl::IsInvalidArgument(fed.status) &&
                  *error_reply == Socks5ReplyCode::kGeneralFailure;
    if (!fits) {
      Broken(kName, "error_reply() does not fit the error",
             absl::StrCat(fed.status.ToString(), " with REP ",
                          static_cast<int>(*error_reply)));
    }
  }
  return ResultOf(fed);
}

}  // namespace

Socks5InputOutcome CheckSocks5Input(absl::string_view data) {
  Socks5InputOutcome outcome;
  outcome.greeting = CheckGreeting(data);
  outcome.user_pass = CheckUserPass(data);
  outcome.request = CheckRequest(data, &outcome.request_error_reply);
  return outcome;
}

}  // namespace rsockd::net

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rsockd::net::CheckSocks5Input(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
