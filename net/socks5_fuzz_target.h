// This file defines `CheckSocks5Input()`, the fuzz target of the SOCKS5
// parsers that read what a client sends (socks5.h): the greeting, the RFC
// 1929 request and the request. Each gets any bytes at all and must refuse
// them with an error, wait for more, or decode a message that keeps the
// codec's promises. The libFuzzer entry point `LLVMFuzzerTestOneInput` (in
// the .cc) calls it, so the same target runs under libFuzzer
// (net:socks5_fuzzer, built with clang) and under the replay test that any
// compiler builds (socks5_fuzz_replay_test.cc).
//
// The promises, checked for each parser; a broken one aborts the process
// (that is how a fuzzer learns of it):
//   - the bytes fed whole, one at a time, and in two pieces give the same
//     result: the same error, or the same message from the same bytes;
//   - a parser that waits has used every byte and wants more, and the end
//     of the input is then an error (truncated);
//   - an error has a message that names the message it is about, and a
//     request's error_reply() matches its kind (01 for malformed bytes, 07
//     or 08 for what SOCKS5 does not define);
//   - a decoded message encodes back to exactly the bytes it came from
//     (nothing in them went unchecked), except that a request for an
//     IPv4-mapped IPv6 address encodes as IPv4, which decodes the same.
//
// Thread-compatible.

#ifndef RSOCKD_NET_SOCKS5_FUZZ_TARGET_H_
#define RSOCKD_NET_SOCKS5_FUZZ_TARGET_H_

#include "absl/strings/string_view.h"
#include "net/socks5.h"

namespace rsockd::net {

// What each parser made of an input, for tests that check what a seed
// reaches.
struct Socks5InputOutcome {
  enum class Result { kWaiting, kDecoded, kRefused };

  Result greeting = Result::kWaiting;
  Result user_pass = Result::kWaiting;
  Result request = Result::kWaiting;
  // The REP for a refused request.
  Socks5ReplyCode request_error_reply = Socks5ReplyCode::kGeneralFailure;
};

// Runs the three parsers on `data` and checks every promise above; aborts
// with a message when one is broken.
Socks5InputOutcome CheckSocks5Input(absl::string_view data);

}  // namespace rsockd::net

#endif  // RSOCKD_NET_SOCKS5_FUZZ_TARGET_H_
