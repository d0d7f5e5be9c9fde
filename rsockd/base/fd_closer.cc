#include "rsockd/base/fd_closer.h"

#include <unistd.h>

namespace rsockd {

bool FdCloser::Close() {
  if (fd_ < 0) return true;
  // close(2) releases the descriptor even when it reports EINTR on Linux,
  // so it must not be retried: the number may already be someone else's.
  return ::close(std::exchange(fd_, -1)) == 0;
}

}  // namespace rsockd
