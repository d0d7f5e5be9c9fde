// This file defines the container format shared by the frozen configuration
// files (docs/frozen_files.md) and the primitives that write and read their
// fields: `FrozenWriter`, `FrozenReader`, `SealFrozen()` and `UnsealFrozen()`.
//
// A frozen file is a header, a payload and a checksum. Every integer is
// unsigned little-endian, written and read byte by byte, so the format does
// not depend on the host's byte order or struct layout:
//
//   offset  size  field
//   0       8     magic "RSOCKDFZ"
//   8       2     format version (kFrozenFormatVersion)
//   10      2     kind: 1 sockd.conf, 2 socks.conf, 3 sockd.route
//   12      4     payload length N
//   16      N     payload (its layout belongs to the kind, see
//                 frozen_sockd_conf.h and the others)
//   16+N    4     CRC-32C (crc32c.h) of bytes 0 .. 16+N-1
//
// Inside a payload, a string is a u32 byte length followed by the bytes, and
// a list is a u32 count followed by the elements.
//
// Nothing read is trusted: `UnsealFrozen` checks the size cap, magic,
// version, kind, length and checksum, and `FrozenReader` checks every field
// against the bytes left and against the caller's limit before using it, so
// a truncated, corrupted or hostile file gives an error, never a crash or an
// unbounded allocation. Errors name the file offset of the field.
//
// The writer and reader are single-threaded values (thread-compatible).

#ifndef RSOCKD_RULES_FROZEN_IO_H_
#define RSOCKD_RULES_FROZEN_IO_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rsockd/base/files.h"

namespace rsockd::rules {

// The kinds of frozen file. The values are the kind field of the header.
enum class FrozenKind : uint16_t {
  kSockdConf = 1,
  kSocksConf = 2,
  kSockdRoute = 3,
};

// "sockd.conf", "socks.conf", "sockd.route": for messages.
absl::string_view FrozenKindName(FrozenKind kind);

// The format version this code writes and the only one it reads. A change of
// any payload layout must bump it: an old reader then refuses a new file
// with a clear message instead of misreading it.
inline constexpr uint16_t kFrozenFormatVersion = 1;

inline constexpr absl::string_view kFrozenMagic = "RSOCKDFZ";
inline constexpr size_t kFrozenHeaderSize = 16;
inline constexpr size_t kFrozenTrailerSize = 4;

// Largest frozen file written or read, in bytes. Above the largest text
// config (64 MiB) because user files are stored inside, but bounded so that a
// hostile or mistaken file cannot exhaust memory.
inline constexpr size_t kMaxFrozenFileSize = 128 << 20;

// FrozenWriter
//
// Builds a payload field by field.
class FrozenWriter {
 public:
  void U8(uint8_t value) { payload_.push_back(static_cast<char>(value)); }
  void U16(uint16_t value);
  void U32(uint32_t value);
  // The raw bytes, without a length (fixed-size fields such as addresses).
  void Bytes(absl::string_view bytes) {
    payload_.append(bytes.data(), bytes.size());
  }
  // A u32 length, then the bytes. Requires bytes.size() < 2^32, which the
  // file size cap makes a can't-happen for anything that can be sealed.
  void String(absl::string_view bytes);

  const std::string& payload() const { return payload_; }

 private:
  std::string payload_;
};

// SealFrozen()
//
// The whole file for `payload`: header, payload, checksum. ResourceExhausted
// when the file would be larger than kMaxFrozenFileSize (it could not be read
// back).
absl::StatusOr<std::string> SealFrozen(FrozenKind kind,
                                       absl::string_view payload);

// SealFrozenRaw()
//
// Like SealFrozen with any version and kind values and no size cap: for tests
// and the fuzzer, which build files that a reader must refuse, and which
// repair the checksum of a mutated file to reach the payload checks.
std::string SealFrozenRaw(uint16_t version, uint16_t kind,
                          absl::string_view payload);

// UnsealFrozen()
//
// Checks a whole file read into `file` and returns its payload (a view into
// `file`). Errors, each with a message saying what is wrong:
//   - InvalidArgument: not a frozen file (size below the header, magic), a
//     version other than kFrozenFormatVersion, a kind other than `expected`;
//   - DataLoss: larger than kMaxFrozenFileSize, truncated or with trailing
//     bytes (the length field disagrees with the size), checksum mismatch.
absl::StatusOr<absl::string_view> UnsealFrozen(absl::string_view file,
                                               FrozenKind expected);

// AddFrozenContext()
//
// `status` with "`context`: " before its message, same code: how the layers
// of a reader say where an error is ("rule 3: byte 57: destination: ...").
absl::Status AddFrozenContext(const absl::Status& status,
                              absl::string_view context);

// FrozenReader
//
// Reads a payload (from UnsealFrozen) field by field. Each method names the
// field in its error (`what`), which is DataLoss with the field's offset in
// the file: "byte 42: rule count: truncated (needs 4 bytes, 1 left)".
class FrozenReader {
 public:
  // `payload` must outlive the reader; `file_offset` is where it starts in
  // the file (kFrozenHeaderSize), for messages.
  explicit FrozenReader(absl::string_view payload,
                        size_t file_offset = kFrozenHeaderSize)
      : payload_(payload), file_offset_(file_offset) {}

  absl::StatusOr<uint8_t> U8(absl::string_view what);
  absl::StatusOr<uint16_t> U16(absl::string_view what);
  absl::StatusOr<uint32_t> U32(absl::string_view what);
  // `size` raw bytes (a fixed-size field).
  absl::StatusOr<absl::string_view> Bytes(size_t size, absl::string_view what);
  // A length-prefixed string of at most `max_length` bytes.
  absl::StatusOr<std::string> String(absl::string_view what, size_t max_length);
  // A list count, when each element takes at least `min_element_size` bytes
  // (> 0): a count that the bytes left cannot hold, or above `max_count`, is
  // an error before anything is allocated for it. (Readers also do not
  // reserve room for `count` elements: a list grows only as its elements
  // are read and checked, so memory follows the bytes actually present.)
  absl::StatusOr<uint32_t> Count(absl::string_view what,
                                 size_t min_element_size, uint32_t max_count);
  // A u8 holding a boolean: 0 or 1, anything else is an error.
  absl::StatusOr<bool> Bool(absl::string_view what);

  // DataLoss at the offset of the field that starts at `field_offset` (from
  // offset() before reading it): for values that read fine but are invalid.
  absl::Status Invalid(size_t field_offset, absl::string_view what,
                       absl::string_view problem) const;
  // OK when the whole payload was read; else an error about trailing bytes.
  absl::Status ExpectEnd() const;

  // The file offset of the next field.
  size_t offset() const { return file_offset_ + position_; }
  size_t remaining() const { return payload_.size() - position_; }

 private:
  // Takes `size` bytes, or fails naming `what`.
  absl::StatusOr<absl::string_view> Take(size_t size, absl::string_view what);

  absl::string_view payload_;
  size_t file_offset_;
  size_t position_ = 0;
};

// LoadFrozenFile()
//
// Reads the file at `path` (at most kMaxFrozenFileSize bytes) and passes it
// to `thaw` (ThawSockdConf and the like). Every error message starts with
// the path: "/etc/sockd.fc: checksum mismatch ...".
template <typename Rules, typename Thaw>
absl::StatusOr<Rules> LoadFrozenFile(const std::string& path, Thaw thaw) {
  absl::StatusOr<std::string> file = ReadFile(path, kMaxFrozenFileSize);
  if (!file.ok()) return file.status();  // ReadFile names the path.
  absl::StatusOr<Rules> rules = thaw(*file);
  if (!rules.ok()) return AddFrozenContext(rules.status(), path);
  return rules;
}

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_FROZEN_IO_H_
