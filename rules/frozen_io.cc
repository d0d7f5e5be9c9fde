#include "rules/frozen_io.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rules/crc32c.h"

namespace rsockd::rules {
namespace {

// Little-endian encoding of `size` bytes of `value`.
void AppendLittleEndian(uint64_t value, int size, std::string* out) {
  for (int i = 0; i < size; ++i) {
    out->push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
  }
}

// Requires bytes.size() >= size.
uint64_t DecodeLittleEndian(absl::string_view bytes, int size) {
  uint64_t value = 0;
  for (int i = size - 1; i >= 0; --i) {
    value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  }
  return value;
}

// Header field offsets (see the table in frozen_io.h).
constexpr size_t kVersionOffset = 8;
constexpr size_t kKindOffset = 10;
constexpr size_t kLengthOffset = 12;

// Requires file.size() >= kFrozenHeaderSize.
uint16_t HeaderVersion(absl::string_view file) {
  return static_cast<uint16_t>(
      DecodeLittleEndian(file.substr(kVersionOffset), /*size=*/2));
}

}  // namespace

absl::string_view FrozenKindName(FrozenKind kind) {
  switch (kind) {
    case FrozenKind::kSockdConf:
      return "sockd.conf";
    case FrozenKind::kSocksConf:
      return "socks.conf";
    case FrozenKind::kSockdRoute:
      return "sockd.route";
  }
  return "unknown";
}

void FrozenWriter::U16(uint16_t value) {
  AppendLittleEndian(value, 2, &payload_);
}

void FrozenWriter::U32(uint32_t value) {
  AppendLittleEndian(value, 4, &payload_);
}

void FrozenWriter::String(absl::string_view bytes) {
  U32(static_cast<uint32_t>(bytes.size()));
  payload_.append(bytes.data(), bytes.size());
}

std::string SealFrozenRaw(uint16_t version, uint16_t kind,
                          absl::string_view payload) {
  std::string file(kFrozenMagic);
  file.reserve(kFrozenHeaderSize + payload.size() + kFrozenTrailerSize);
  AppendLittleEndian(version, 2, &file);
  AppendLittleEndian(kind, 2, &file);
  AppendLittleEndian(payload.size(), 4, &file);
  file.append(payload.data(), payload.size());
  AppendLittleEndian(Crc32c(file), 4, &file);
  return file;
}

absl::StatusOr<std::string> SealFrozen(FrozenKind kind,
                                       absl::string_view payload) {
  const size_t size = kFrozenHeaderSize + payload.size() + kFrozenTrailerSize;
  if (size > kMaxFrozenFileSize) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the frozen ", FrozenKindName(kind), " would be ", size,
                     " bytes, more than the ", kMaxFrozenFileSize,
                     " bytes a reader accepts"));
  }
  return SealFrozenRaw(kFrozenFormatVersion, static_cast<uint16_t>(kind),
                       payload);
}

absl::StatusOr<absl::string_view> UnsealFrozen(absl::string_view file,
                                               FrozenKind expected) {
  if (file.size() > kMaxFrozenFileSize) {
    return absl::DataLossError(absl::StrCat("file is ", file.size(),
                                            " bytes, more than the ",
                                            kMaxFrozenFileSize, " allowed"));
  }
  if (!absl::StartsWith(file, kFrozenMagic)) {
    // A file cut inside the magic is truncated; anything else (most often a
    // text config given where a frozen one is expected) is not a frozen file.
    if (!file.empty() && absl::StartsWith(kFrozenMagic, file)) {
      return absl::DataLossError(
          absl::StrCat("truncated: ", file.size(), " bytes, inside the magic"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "not a frozen ", FrozenKindName(expected), " (",
        file.empty() ? "empty file" : "no \"RSOCKDFZ\" magic at the start",
        ")"));
  }
  if (file.size() < kFrozenHeaderSize + kFrozenTrailerSize) {
    return absl::DataLossError(absl::StrCat(
        "truncated: ", file.size(), " bytes, less than the ",
        kFrozenHeaderSize + kFrozenTrailerSize, " of the header and checksum"));
  }
  const uint64_t version = HeaderVersion(file);
  if (version < kOldestFrozenFormatVersion || version > kFrozenFormatVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("format version ", version,
                     " is not supported (this build reads "
                     "versions ",
                     kOldestFrozenFormatVersion, " to ", kFrozenFormatVersion,
                     "); refreeze it with this build's tools"));
  }
  const uint64_t kind = DecodeLittleEndian(file.substr(kKindOffset), 2);
  if (kind != static_cast<uint16_t>(expected)) {
    const bool known = kind >= 1 && kind <= 3;
    return absl::InvalidArgumentError(
        absl::StrCat("this is a frozen ",
                     known ? FrozenKindName(static_cast<FrozenKind>(kind))
                           : absl::StrCat("file of unknown kind ", kind),
                     ", not a frozen ", FrozenKindName(expected)));
  }
  const uint64_t length = DecodeLittleEndian(file.substr(kLengthOffset), 4);
  const size_t actual = file.size() - kFrozenHeaderSize - kFrozenTrailerSize;
  if (length != actual) {
    return absl::DataLossError(
        absl::StrCat(length > actual ? "truncated" : "trailing bytes",
                     ": the header gives a payload of ", length,
                     " bytes, the file holds ", actual));
  }
  const size_t checked = kFrozenHeaderSize + actual;
  const uint32_t stored =
      static_cast<uint32_t>(DecodeLittleEndian(file.substr(checked), 4));
  const uint32_t computed = Crc32c(file.substr(0, checked));
  if (stored != computed) {
    return absl::DataLossError(absl::StrCat(
        "checksum mismatch (stored ", absl::Hex(stored, absl::kZeroPad8),
        ", computed ", absl::Hex(computed, absl::kZeroPad8),
        "): the file is corrupted"));
  }
  return file.substr(kFrozenHeaderSize, actual);
}

absl::StatusOr<FrozenReader> OpenFrozen(absl::string_view file,
                                        FrozenKind expected) {
  absl::StatusOr<absl::string_view> payload = UnsealFrozen(file, expected);
  if (!payload.ok()) return payload.status();
  return FrozenReader(*payload, HeaderVersion(file));
}

absl::Status AddFrozenContext(const absl::Status& status,
                              absl::string_view context) {
  return absl::Status(status.code(),
                      absl::StrCat(context, ": ", status.message()));
}

absl::StatusOr<absl::string_view> FrozenReader::Take(size_t size,
                                                     absl::string_view what) {
  if (size > remaining()) {
    return absl::DataLossError(absl::StrCat("byte ", offset(), ": ", what,
                                            ": truncated (needs ", size,
                                            " bytes, ", remaining(), " left)"));
  }
  const absl::string_view bytes = payload_.substr(position_, size);
  position_ += size;
  return bytes;
}

absl::StatusOr<uint8_t> FrozenReader::U8(absl::string_view what) {
  absl::StatusOr<absl::string_view> bytes = Take(1, what);
  if (!bytes.ok()) return bytes.status();
  return static_cast<uint8_t>((*bytes)[0]);
}

absl::StatusOr<uint16_t> FrozenReader::U16(absl::string_view what) {
  absl::StatusOr<absl::string_view> bytes = Take(2, what);
  if (!bytes.ok()) return bytes.status();
  return static_cast<uint16_t>(DecodeLittleEndian(*bytes, 2));
}

absl::StatusOr<uint32_t> FrozenReader::U32(absl::string_view what) {
  absl::StatusOr<absl::string_view> bytes = Take(4, what);
  if (!bytes.ok()) return bytes.status();
  return static_cast<uint32_t>(DecodeLittleEndian(*bytes, 4));
}

absl::StatusOr<absl::string_view> FrozenReader::Bytes(size_t size,
                                                      absl::string_view what) {
  return Take(size, what);
}

absl::StatusOr<std::string> FrozenReader::String(absl::string_view what,
                                                 size_t max_length) {
  const size_t start = offset();
  absl::StatusOr<uint32_t> length = U32(what);
  if (!length.ok()) return length.status();
  if (*length > max_length) {
    return Invalid(start, what,
                   absl::StrCat("length ", *length, " is more than the ",
                                max_length, " allowed"));
  }
  if (*length > remaining()) {
    return Invalid(start, what,
                   absl::StrCat("length ", *length, " runs past the end (",
                                remaining(), " bytes left)"));
  }
  absl::StatusOr<absl::string_view> bytes = Take(*length, what);
  if (!bytes.ok()) return bytes.status();
  return std::string(*bytes);
}

absl::StatusOr<uint32_t> FrozenReader::Count(absl::string_view what,
                                             size_t min_element_size,
                                             uint32_t max_count) {
  const size_t start = offset();
  absl::StatusOr<uint32_t> count = U32(what);
  if (!count.ok()) return count.status();
  if (*count > max_count) {
    return Invalid(
        start, what,
        absl::StrCat(*count, " is more than the ", max_count, " allowed"));
  }
  if (*count > remaining() / min_element_size) {
    return Invalid(
        start, what,
        absl::StrCat(*count, " elements of at least ", min_element_size,
                     " bytes cannot fit in the ", remaining(), " bytes left"));
  }
  return *count;
}

absl::StatusOr<bool> FrozenReader::Bool(absl::string_view what) {
  const size_t start = offset();
  absl::StatusOr<uint8_t> value = U8(what);
  if (!value.ok()) return value.status();
  if (*value > 1) {
    return Invalid(start, what,
                   absl::StrCat("flag value ", *value, " is not 0 or 1"));
  }
  return *value == 1;
}

absl::Status FrozenReader::Invalid(size_t field_offset, absl::string_view what,
                                   absl::string_view problem) const {
  return absl::DataLossError(
      absl::StrCat("byte ", field_offset, ": ", what, ": ", problem));
}

absl::Status FrozenReader::ExpectEnd() const {
  if (remaining() == 0) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat("byte ", offset(), ": ", remaining(),
                                          " unexpected bytes after the last "
                                          "field"));
}

}  // namespace rsockd::rules
