// This file defines `Sha256`, an incremental SHA-256 (FIPS 180-4) for tests
// that check that megabytes crossed the proxy intact, and `PseudoRandomBytes`,
// a reproducible payload to send.
//
// Debian's Abseil has no public hash of this strength and the project links
// no crypto library, so this is a plain, test-only implementation.
//
// Thread-safety: a Sha256 is not synchronized.

#ifndef RSOCKD_TESTING_SHA256_H_
#define RSOCKD_TESTING_SHA256_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace rsockd::testing {

class Sha256 {
 public:
  Sha256();

  void Update(absl::string_view data);
  // The digest as 64 lowercase hex digits. Ends this hash: call only once.
  std::string HexDigest();

  // The digest of `data` in one step.
  static std::string Of(absl::string_view data);

 private:
  void Compress(const uint8_t block[64]);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_;
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

// `size` bytes from a fixed generator (splitmix64) seeded with `seed`: the
// same arguments always give the same bytes, different seeds differ.
std::string PseudoRandomBytes(size_t size, uint64_t seed);

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_SHA256_H_
