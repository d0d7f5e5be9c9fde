// This file defines `ReleaseZeroStaticTls`, which gives back the memory a new
// thread's zero-initialised thread-locals dirtied without using it.
//
// glibc lays every loaded module's thread-locals out at the top of each new
// thread's stack and clears their zero-initialised part (.tbss) with memset,
// which makes every one of those pages resident. libglog alone brings a 30 KB
// per-thread message buffer, so each thread costs about eight pages before it
// runs a line of its own, and rsockd runs two threads per held session. Most
// of that buffer is never written (a log line fills its first few hundred
// bytes), so the pages are zero and can be handed back with
// madvise(MADV_DONTNEED): private anonymous memory reads back as zeros after
// that, which is exactly what the pages hold, and only the pages a thread
// really writes become resident again.

#ifndef RSOCKD_NET_STATIC_TLS_H_
#define RSOCKD_NET_STATIC_TLS_H_

#include <cstddef>

namespace rsockd::net {

// Releases every whole page of the calling thread's .tbss blocks that holds
// only zeros; returns the bytes released. Meant for the first thing a new
// thread does, when .tbss is still all zeros, but correct at any time: a page
// with a non-zero byte is kept. It only reads and releases the calling
// thread's own thread-locals, so it needs no locking beyond the loader's.
size_t ReleaseZeroStaticTls();

}  // namespace rsockd::net

#endif  // RSOCKD_NET_STATIC_TLS_H_
