// Waiting with Abseil deadlines on std synchronization, and a one-shot event.
//
// Chorus locks with std::mutex and std::condition_variable, not absl::Mutex:
// Debian's libabsl is not built with ThreadSanitizer, so TSan cannot see its
// locks and reports false races on everything they guard. std primitives
// live in libstdc++/glibc, which TSan intercepts.
//
// A std::condition_variable, unlike absl::Mutex::Await, does not re-check a
// condition by itself: whoever changes the awaited state calls notify_all.
//
//   std::unique_lock lock(mu_);
//   if (!WaitFor(cv_, lock, absl::Seconds(5), [&] { return done_; })) ...
//
//   Notification ready;           // thread A
//   ready.Notify();               // thread B
//   ready.WaitForNotification();  // thread A
//
// Thread-safe: a Notification may be used from any thread.
#ifndef CHORUS_COMMON_SYNC_H_
#define CHORUS_COMMON_SYNC_H_

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace chorus {

// Waits on `cv` (with `lock` held on entry and on return) until `done()`
// holds or `deadline` passes, and returns `done()`. An infinite deadline
// waits for ever.
template <typename Predicate>
bool WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
               absl::Time deadline, Predicate done) {
  while (!done()) {
    const absl::Time now = absl::Now();
    if (now >= deadline) return false;
    // Bounded steps: std::chrono overflows on an infinite deadline.
    const absl::Duration step = std::min(deadline - now, absl::Hours(1));
    cv.wait_for(lock, absl::ToChronoNanoseconds(step));
  }
  return true;
}

// As WaitUntil, for `timeout` from now.
template <typename Predicate>
bool WaitFor(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
             absl::Duration timeout, Predicate done) {
  return WaitUntil(cv, lock, absl::Now() + timeout, std::move(done));
}

// A one-shot event: Notify once (later calls do nothing), wait any number of
// times. The notifier holds the mutex while it wakes the waiters, so a waiter
// may destroy the Notification as soon as its wait returns true.
class Notification {
 public:
  void Notify() {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
    cv_.notify_all();
  }

  bool HasBeenNotified() const {
    std::lock_guard<std::mutex> lock(mu_);
    return notified_;
  }

  void WaitForNotification() const {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return notified_; });
  }

  // Returns whether Notify was called within `timeout`.
  bool WaitForNotificationWithTimeout(absl::Duration timeout) const {
    std::unique_lock<std::mutex> lock(mu_);
    return WaitFor(cv_, lock, timeout, [this] { return notified_; });
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool notified_ = false;
};

}  // namespace chorus

#endif  // CHORUS_COMMON_SYNC_H_
