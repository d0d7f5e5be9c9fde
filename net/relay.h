// This file defines `Relay`, which copies bytes between a client and its
// destination until both directions have ended.
//
// Two threads, one per direction: the caller's thread carries
// client → destination, a thread from a `ThreadPool` carries destination →
// client (pooled, so a session costs no clone(2)). Each copies until end of
// file on its source, then propagates the half-close with shutdown(SHUT_WR)
// on its sink, so a client that half-closes still receives the whole answer
// and no byte is lost either way. The caller waits for the other direction
// only if it ends first; in the usual order (the destination answers and
// closes, then the client closes) the pooled direction ends first and the
// caller never sleeps on it, which saves a wake-up per session.
//
// On Linux the bytes move with splice(2) through a pipe borrowed from a
// `PipePool` only while data flows; where splice is unsupported for the pair
// of descriptors (EINVAL) or turned off, and whenever the pool lends no pipe
// (its budget is spent, typically by directions whose sinks do not read and
// so keep theirs), the direction copies through a small buffer instead.
//
// Urgent (TCP out-of-band) data is relayed as urgent data: both sockets keep
// urgent bytes inline (SO_OOBINLINE), every read stops at the urgent mark,
// and the byte at the mark is sent on with MSG_OOB after every byte before
// it, so the far side finds it in the same place.
//
// A peer whose connection fails (a reset, or the kernel gave up on it) ends
// the relay as soon as nothing more can be delivered. Every wait for a
// source also watches the sink's connection, so the direction writing to the
// failed peer stops at once, even while its source is silent (a client that
// half-closed and then reset, while the destination says nothing); the
// direction reading from it first delivers what the peer sent before it
// failed, as a direct connection would. When only one peer failed, the
// other's socket is set to close with a reset (SO_LINGER 0) if nothing is
// left unsent on it, so that the failure reaches it, and every further hop
// of a proxy chain, rather than a FIN that after a half-close says nothing.
// Any other failure, the idle timeout (no byte in either direction for
// `idle_timeout`) and the StopSignal end the whole relay at once: both
// sockets are shut down so the other thread wakes.

#ifndef RSOCKD_NET_RELAY_H_
#define RSOCKD_NET_RELAY_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "net/deadline.h"
#include "net/pipe_pool.h"
#include "net/socket.h"
#include "net/thread_pool.h"

namespace rsockd::net {

struct RelayOptions {
  absl::Duration idle_timeout = absl::Hours(2);
  bool use_splice = true;
  // Fires to end the relay early (server stop); may be null.
  const StopSignal* stop = nullptr;
};

struct RelayResult {
  uint64_t bytes_from_client = 0;
  uint64_t bytes_from_target = 0;
  // OK when the direction ended with EOF; otherwise why it stopped
  // (DeadlineExceeded for the idle timeout, Cancelled for a stop).
  absl::Status client_to_target;
  absl::Status target_to_client;

  // The first failure of the two, or OK.
  absl::Status status() const {
    return client_to_target.ok() ? target_to_client : client_to_target;
  }
};

// Relays until both directions end. Both sockets must be connected and
// non-blocking; they stay open (the caller closes them, and one may have
// been set to close with a reset, see above), with SO_OOBINLINE set. When
// `threads` has no thread to spare, nothing is relayed and both statuses say
// so.
RelayResult Relay(Socket& client, Socket& target, PipePool& pipes,
                  ThreadPool& threads, const RelayOptions& options);

}  // namespace rsockd::net

#endif  // RSOCKD_NET_RELAY_H_
