#include "net/static_tls.h"

#include <elf.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

namespace rsockd::net {
namespace {

bool AllZero(const uint64_t* begin, const uint64_t* end) {
  return std::all_of(begin, end, [](uint64_t word) { return word == 0; });
}

// Releases [begin, end), a run of zero pages; returns the bytes released.
size_t Release(uintptr_t begin, uintptr_t end) {
  if (begin == end) return 0;
  return madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED) ==
                 0
             ? end - begin
             : 0;
}

// dl_iterate_phdr callback: releases the zero pages of one module's .tbss,
// one madvise(2) per run of them.
int ReleaseModule(dl_phdr_info* info, size_t /*size*/, void* released) {
  // Null when the module has no thread-locals, or when they are allocated
  // lazily (dlopen'ed modules) and this thread has not touched them yet.
  if (info->dlpi_tls_data == nullptr) return 0;
  static const uintptr_t kPage = sysconf(_SC_PAGESIZE);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& header = info->dlpi_phdr[i];
    if (header.p_type != PT_TLS) continue;
    const auto block = reinterpret_cast<uintptr_t>(info->dlpi_tls_data);
    // .tbss follows the initialised .tdata image inside the block.
    const uintptr_t first =
        (block + header.p_filesz + kPage - 1) & ~(kPage - 1);
    const uintptr_t last = (block + header.p_memsz) & ~(kPage - 1);
    uintptr_t run = first;  // start of the current run of zero pages
    for (uintptr_t page = first; page < last; page += kPage) {
      const auto* words = reinterpret_cast<const uint64_t*>(page);
      if (AllZero(words, words + kPage / sizeof(uint64_t))) continue;
      *static_cast<size_t*>(released) += Release(run, page);
      run = page + kPage;
    }
    if (run < last) *static_cast<size_t*>(released) += Release(run, last);
  }
  return 0;
}

}  // namespace

size_t ReleaseZeroStaticTls() {
  size_t released = 0;
  dl_iterate_phdr(ReleaseModule, &released);
  return released;
}

}  // namespace rsockd::net
