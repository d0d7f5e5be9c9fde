// This file defines `CheckFrozenInput()`, the fuzz target of the frozen-file
// readers (docs/frozen_files.md): any bytes at all are given to the three
// readers, which must refuse them with an error or return rules that keep the
// format's promises. The libFuzzer entry point `LLVMFuzzerTestOneInput` (in the
// .cc) calls it, so the same target runs under libFuzzer (rules:frozen_fuzzer,
// built with clang) and under the deterministic replay test that any
// compiler builds (frozen_fuzz_replay_test.cc).
//
// For each input, two files are tried: the bytes as they are, which mostly
// exercise the container checks, and the same bytes with the header's
// version, length and checksum made right (`RepairFrozenContainer`), which
// lets mutations reach the payload's field checks — a random mutation
// almost never keeps a CRC-32C valid.
//
// The promises checked for every file a reader accepts; a broken one
// aborts the process (that is how a fuzzer learns of it):
//   - freezing the thawed rules gives back exactly the same bytes (the
//     encoding is canonical, so nothing in the file went unchecked);
//   - the normalized dump of the rules parses, with the server's parser,
//     back to the same rules (skipped when a user list names a /file, which
//     the parser would read, or when a dumped line is too long to parse).
//
// Thread-compatible; reads no files.

#ifndef RSOCKD_RULES_FROZEN_FUZZ_TARGET_H_
#define RSOCKD_RULES_FROZEN_FUZZ_TARGET_H_

#include <string>

#include "absl/strings/string_view.h"

namespace rsockd::rules {

// What one input did, for tests that check that a corpus reaches deep.
struct FrozenInputOutcome {
  // How many of the (up to six) reader calls accepted a file.
  int accepted = 0;
  // How many accepted files were also checked through their dump.
  int dumps_checked = 0;
};

// Runs the readers on `data` and on its repaired copy and checks every
// promise above; aborts with a message when one is broken.
FrozenInputOutcome CheckFrozenInput(absl::string_view data);

// `data` with the header's version set to the current one and its length
// and checksum recomputed, when it is at least a header and a checksum long
// (else unchanged): the magic and kind are left as they are.
std::string RepairFrozenContainer(absl::string_view data);

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_FROZEN_FUZZ_TARGET_H_
