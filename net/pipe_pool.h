// This file defines `Pipe`, the owner of a pipe(2) pair used as the kernel
// buffer for splice(2), and `PipePool`, which lends pipes to relays.
//
// A relayed session spends most of its life idle. Holding a pipe per
// direction would cost each session four descriptors (and 64 KiB of kernel
// buffer each) while idle; with the 20,000-descriptor limit that caps the
// server at a few thousand sessions. So a relay direction borrows a pipe only
// while bytes are moving and gives it back, empty, before it waits again.
//
// Thread-safe.

#ifndef RSOCKD_NET_PIPE_POOL_H_
#define RSOCKD_NET_PIPE_POOL_H_

#include <cstddef>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace rsockd::net {

// The capacity asked for new pipes (the kernel's pipe-max-size default).
inline constexpr int kPipeSize = 1 << 20;

// A pipe's two ends, closed on destruction. Move-only.
class Pipe {
 public:
  static absl::StatusOr<Pipe> Create();

  Pipe() = default;
  Pipe(Pipe&& other) noexcept;
  Pipe& operator=(Pipe&& other) noexcept;
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  ~Pipe() { Close(); }

  bool valid() const { return read_fd_ >= 0; }
  int read_fd() const { return read_fd_; }
  int write_fd() const { return write_fd_; }
  void Close();

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
};

class PipePool {
 public:
  // Keeps at most `max_idle` pipes for reuse; more are closed when returned.
  explicit PipePool(size_t max_idle) : max_idle_(max_idle) {}
  PipePool(const PipePool&) = delete;
  PipePool& operator=(const PipePool&) = delete;

  // A pipe from the pool, or a new one.
  absl::StatusOr<Pipe> Acquire();
  // Returns a pipe. It must be empty: a pipe with bytes left in it (after a
  // failed write) must be dropped instead, or they would leak into another
  // session.
  void Release(Pipe pipe);

  size_t idle() const;

 private:
  const size_t max_idle_;
  mutable absl::Mutex mu_;
  std::vector<Pipe> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rsockd::net

#endif  // RSOCKD_NET_PIPE_POOL_H_
