// This file defines `FdCloser`, the move-only owner of one file descriptor,
// in the shape of Sandboxed API's `FDCloser` (util/fileops.h): whatever path
// a function leaves by, the descriptor it opened is closed exactly once.
//
//   FdCloser fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
//   if (!fd.valid()) return absl::ErrnoToStatus(errno, "open");
//   ... read(fd.get(), ...); every return closes it ...
//
// Everything in rsockd that holds a descriptor holds it in an FdCloser, or
// in a class built on one (`net::Socket`, `net::Pipe`).
//
// Thread-safety: not synchronized. `get()` may be called from several
// threads while no thread moves, closes or releases the descriptor.

#ifndef RSOCKD_RSOCKD_BASE_FD_CLOSER_H_
#define RSOCKD_RSOCKD_BASE_FD_CLOSER_H_

#include <utility>

namespace rsockd {

class FdCloser {
 public:
  // Owns nothing.
  FdCloser() = default;
  // Takes ownership of `fd`; a negative value (a failed open(2)'s -1) owns
  // nothing, so the result of a call can be wrapped before it is checked.
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() { Close(); }

  FdCloser(FdCloser&& other) noexcept : fd_(other.Release()) {}
  FdCloser& operator=(FdCloser&& other) noexcept {
    if (this != &other) {
      Close();
      fd_ = other.Release();
    }
    return *this;
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

  bool valid() const { return fd_ >= 0; }
  // The descriptor, or -1; still owned by this object.
  int get() const { return fd_; }

  // Gives up ownership without closing: the caller now owns the returned
  // descriptor, and this object owns nothing.
  int Release() { return std::exchange(fd_, -1); }

  // Closes the descriptor now, if any, and owns nothing afterwards. Returns
  // false, with errno set, when close(2) reported an error: worth checking
  // after writing a file (NFS reports a failed write only there), not
  // otherwise. The descriptor is released either way, so it is never
  // closed twice.
  bool Close();

 private:
  int fd_ = -1;
};

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_BASE_FD_CLOSER_H_
