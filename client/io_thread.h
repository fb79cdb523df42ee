// client_internal::IoThread: the one thread and io_context of a Client, on
// which its connections do their I/O and its callbacks and handlers run.
//
//   IoThread io;
//   io.Start();
//   io.Post([] { /* on the I/O thread */ });
//   io.Stop();  // after the connections were shut down
#ifndef CHORUS_CLIENT_IO_THREAD_H_
#define CHORUS_CLIENT_IO_THREAD_H_

#include <asio.hpp>
#include <optional>
#include <thread>
#include <utility>

namespace chorus::client_internal {

// Start and Stop are called by the Client's owner; everything else is
// thread-safe. Outlives every object that holds a handle of its io_context.
class IoThread {
 public:
  IoThread();
  // Stops and joins. Must not run on the I/O thread (aborts: it would
  // destroy the thread it runs on).
  ~IoThread();

  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  void Start();
  // Lets the loop run out once what is queued now has run, then joins.
  // On the I/O thread it only lets the loop run out (the destructor joins).
  void Stop();

  asio::io_context& io() { return io_; }
  bool OnIoThread() const;
  template <typename Fn>
  void Post(Fn&& fn) {
    asio::post(io_, std::forward<Fn>(fn));
  }

 private:
  void Run();

  // Mutable: OnIoThread() const needs its (non-const) get_executor().
  mutable asio::io_context io_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>>
      work_;
  std::thread thread_;
};

}  // namespace chorus::client_internal

#endif  // CHORUS_CLIENT_IO_THREAD_H_
