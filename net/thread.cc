#include "net/thread.h"

#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "net/static_tls.h"

namespace rsockd::net {
namespace {

void* RunBody(void* arg) {
  // Thousands of these threads can be alive at once: see static_tls.h.
  ReleaseZeroStaticTls();
  std::unique_ptr<absl::AnyInvocable<void() &&>> body(
      static_cast<absl::AnyInvocable<void() &&>*>(arg));
  std::move (*body)();
  return nullptr;
}

}  // namespace

absl::StatusOr<Thread> Thread::Start(absl::AnyInvocable<void() &&> body,
                                     size_t stack_size) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, stack_size);
  auto* heap_body = new absl::AnyInvocable<void() &&>(std::move(body));
  Thread thread;
  const int error = pthread_create(&thread.handle_, &attr, RunBody, heap_body);
  pthread_attr_destroy(&attr);
  if (error != 0) {
    delete heap_body;
    return absl::ResourceExhaustedError(
        absl::StrCat("pthread_create: ", strerror(error)));
  }
  thread.joinable_ = true;
  return thread;
}

Thread::Thread(Thread&& other) noexcept
    : handle_(other.handle_),
      joinable_(std::exchange(other.joinable_, false)) {}

Thread& Thread::operator=(Thread&& other) noexcept {
  if (this != &other) {
    Join();
    handle_ = other.handle_;
    joinable_ = std::exchange(other.joinable_, false);
  }
  return *this;
}

void Thread::Join() {
  if (joinable_) {
    pthread_join(handle_, nullptr);
    joinable_ = false;
  }
}

}  // namespace rsockd::net
