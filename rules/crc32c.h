// This file defines `Crc32c()`, the CRC-32C (Castagnoli) checksum, used to
// detect corruption in frozen configuration files (frozen_io.h).
//
// CRC-32C rather than a 64-bit hash: it detects every burst error of up to 32
// bits and every odd number of flipped bits, which is what storage and copy
// errors look like, and it is the checksum of iSCSI, ext4 and SCTP, so its
// properties are well known. It is not a MAC: a hostile file can carry a
// matching checksum, which is why the readers also check every field.
//
// Parameters: reflected polynomial 0x82F63B78, initial value and final XOR
// 0xFFFFFFFF. Crc32c("123456789") == 0xE3069283.
//
// A pure function of its input: thread-safe.

#ifndef RSOCKD_RULES_CRC32C_H_
#define RSOCKD_RULES_CRC32C_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace rsockd::rules {

// Crc32c()
//
// The CRC-32C of `data`. To checksum data given in pieces, pass the result
// for the first pieces as `crc` when adding the next:
// Crc32c(b, Crc32c(a)) == Crc32c(a + b).
uint32_t Crc32c(absl::string_view data, uint32_t crc = 0);

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_CRC32C_H_
