// This file defines `Pipe`, the owner of a pipe(2) pair used as the kernel
// buffer for splice(2), and `PipePool`, which lends pipes to relays within a
// memory budget.
//
// A relayed session spends most of its life idle. Holding a pipe per
// direction would cost each session four descriptors (and a pipe buffer
// each) while idle; with the 20,000-descriptor limit that caps the server at
// a few thousand sessions. So a relay direction borrows a pipe only while
// bytes are moving and gives it back, empty, before it waits again.
//
// Borrowing only while bytes move is not enough when the reader stops: a
// direction whose sink does not read keeps its pipe, and the up to kPipeSize
// bytes in it, for as long as the sink does not read. Those pages are not
// counted against the kernel's TCP memory limits, and clients that never
// read can hold them for the idle timeout. So the pool has a budget: the
// pipes it owns, lent or idle, never hold more than `budget` bytes, and a
// direction refused a pipe copies through its own small buffer instead.
//
// Thread-safe.

#ifndef RSOCKD_NET_PIPE_POOL_H_
#define RSOCKD_NET_PIPE_POOL_H_

#include <cstddef>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "rsockd/base/fd_closer.h"

namespace rsockd::net {

// The capacity asked for new pipes (the kernel's pipe-max-size default).
inline constexpr int kPipeSize = 1 << 20;

// A pipe's two ends, closed on destruction. Move-only.
class Pipe {
 public:
  static absl::StatusOr<Pipe> Create();

  Pipe() = default;
  Pipe(Pipe&& other) noexcept = default;
  Pipe& operator=(Pipe&& other) noexcept = default;
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  bool valid() const { return read_.valid(); }
  int read_fd() const { return read_.get(); }
  int write_fd() const { return write_.get(); }
  void Close() {
    read_.Close();
    write_.Close();
  }

 private:
  FdCloser read_;
  FdCloser write_;
};

// PipePool
//
// Lends pipes, reusing returned ones. Each pipe counts as kPipeSize against
// the budget, the most it can hold (the kernel may have granted less), so
// the pool owns at most `budget / kPipeSize` pipes: that bounds both the
// kernel memory pipes can pin and their descriptors. A budget below
// kPipeSize lends nothing. The pool must outlive every Lease.
class PipePool {
 public:
  // A pipe on loan. Move-only. Give it back with Release() once it is
  // empty; a Lease destroyed without Release() closes its pipe, which may
  // still hold bytes that must never reach another session (after a failed
  // write), and frees its share of the budget.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    int read_fd() const { return pipe_.read_fd(); }
    int write_fd() const { return pipe_.write_fd(); }

    // Returns the pipe, which must be empty, to the pool for reuse.
    void Release() &&;

   private:
    friend class PipePool;
    Lease(PipePool* pool, Pipe pipe) : pool_(pool), pipe_(std::move(pipe)) {}

    PipePool* pool_;
    Pipe pipe_;
  };

  explicit PipePool(size_t budget) : max_pipes_(budget / kPipeSize) {}
  PipePool(const PipePool&) = delete;
  PipePool& operator=(const PipePool&) = delete;

  // A pipe from the pool, or a new one while the budget allows.
  // ResourceExhausted when the budget is spent; pipe2(2)'s error when no
  // pipe can be made (the descriptor limit). Either way the caller copies
  // through a buffer of its own instead.
  absl::StatusOr<Lease> Acquire();

  struct Counts {
    size_t lent = 0;  // lent out now
    size_t idle = 0;  // kept for reuse
  };
  Counts counts() const;

 private:
  // Takes back a pipe lent out: kept for reuse when `reuse`, else closed.
  void Return(Pipe pipe, bool reuse);

  const size_t max_pipes_;
  mutable absl::Mutex mu_;
  std::vector<Pipe> idle_ ABSL_GUARDED_BY(mu_);
  size_t lent_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace rsockd::net

#endif  // RSOCKD_NET_PIPE_POOL_H_
