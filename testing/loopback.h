// This file defines `MakeLoopbackPair`, two connected TCP sockets over
// 127.0.0.1 made without fixed ports, for tests of code that needs real
// sockets (splice(2) does not work on socketpair(2) pairs of every kind).

#ifndef RSOCKD_TESTING_LOOPBACK_H_
#define RSOCKD_TESTING_LOOPBACK_H_

#include "absl/status/statusor.h"
#include "net/socket.h"

namespace rsockd::testing {

struct LoopbackPair {
  net::Socket connected;  // the side that called connect()
  net::Socket accepted;   // the side that accept() returned
};

// Binds 127.0.0.1:0, connects, accepts; every step bounded by 10 s.
absl::StatusOr<LoopbackPair> MakeLoopbackPair();

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_LOOPBACK_H_
