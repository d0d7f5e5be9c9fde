#include "rsockd/server/outcome.h"

#include <cerrno>

#include "net/socket.h"

namespace rsockd {

bool IsRefusal(Failure failure) {
  switch (failure) {
    case Failure::kDeniedByRules:
    case Failure::kIdentUnavailable:
    case Failure::kIdentMismatch:
    case Failure::kUpstreamRefused:
      return true;
    case Failure::kNetworkUnreachable:
    case Failure::kHostUnreachable:
    case Failure::kConnectionRefused:
    case Failure::kTimedOut:
    case Failure::kCommandUnsupported:
    case Failure::kAddressTypeUnsupported:
    case Failure::kGeneralFailure:
      break;
  }
  return false;
}

Failure ConnectFailure(const absl::Status& status) {
  if (absl::IsDeadlineExceeded(status)) return Failure::kTimedOut;
  switch (net::SocketErrno(status)) {
    case ECONNREFUSED:
      return Failure::kConnectionRefused;
    case ENETUNREACH:
      return Failure::kNetworkUnreachable;
    case EHOSTUNREACH:
      return Failure::kHostUnreachable;
    default:
      return Failure::kGeneralFailure;
  }
}

Failure ResolveFailure(const absl::Status& status) {
  return absl::IsCancelled(status) ? Failure::kGeneralFailure
                                   : Failure::kHostUnreachable;
}

}  // namespace rsockd
