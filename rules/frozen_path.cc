#include "rules/frozen_path.h"

#include <sys/stat.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace rsockd::rules {
namespace {

bool Newer(const timespec& a, const timespec& b) {
  return a.tv_sec != b.tv_sec ? a.tv_sec > b.tv_sec : a.tv_nsec > b.tv_nsec;
}

}  // namespace

std::string FrozenPathFor(absl::string_view text_path,
                          absl::string_view extension) {
  if (absl::EndsWith(text_path, extension)) return std::string(text_path);
  const size_t slash = text_path.rfind('/');
  const size_t name_start = slash == absl::string_view::npos ? 0 : slash + 1;
  const size_t dot = text_path.rfind('.');
  if (dot != absl::string_view::npos && dot > name_start) {
    text_path = text_path.substr(0, dot);
  }
  return absl::StrCat(text_path, extension);
}

ConfigFileChoice ChooseConfigFile(const std::string& text_path,
                                  absl::string_view frozen_extension) {
  ConfigFileChoice choice;
  const std::string frozen_path = FrozenPathFor(text_path, frozen_extension);
  struct stat info;
  if (stat(frozen_path.c_str(), &info) == 0) {
    choice.path = frozen_path;
    choice.frozen = true;
    choice.exists = true;
    return choice;
  }
  choice.path = text_path;
  choice.exists = stat(text_path.c_str(), &info) == 0;
  return choice;
}

std::optional<std::string> NewerSource(const std::string& frozen_path,
                                       absl::Span<const std::string> sources) {
  struct stat frozen;
  // A frozen file that vanished since it was read cannot be judged here;
  // loading it again reports that.
  if (stat(frozen_path.c_str(), &frozen) != 0) return std::nullopt;
  for (const std::string& source : sources) {
    struct stat info;
    if (stat(source.c_str(), &info) == 0 &&
        Newer(info.st_mtim, frozen.st_mtim)) {
      return source;
    }
  }
  return std::nullopt;
}

}  // namespace rsockd::rules
