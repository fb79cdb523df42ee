#include "client/io_thread.h"

#include <cstdlib>
#include <exception>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace chorus::client_internal {
namespace {

std::string DescribeCurrentException() {
  try {
    throw;
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace

IoThread::IoThread() : work_(asio::make_work_guard(io_)) {}

IoThread::~IoThread() {
  if (OnIoThread()) {
    Log(LogLevel::kError, "client",
        "a Client was destroyed on its own I/O thread (from a handler or "
        "callback); this is a bug in the caller");
    std::abort();
  }
  Stop();
  if (thread_.joinable()) thread_.join();
}

void IoThread::Start() {
  thread_ = std::thread([this] { Run(); });
}

void IoThread::Stop() {
  // Handlers still queued after that (cancelled reads and writes, timers)
  // are destroyed with the io_context, never called: nothing waits for them.
  asio::post(io_, [this] {
    work_.reset();
    io_.stop();
  });
  if (!OnIoThread() && thread_.joinable()) thread_.join();
}

bool IoThread::OnIoThread() const {
  return io_.get_executor().running_in_this_thread();
}

void IoThread::Run() {
  while (true) {
    try {
      io_.run();
      return;
    } catch (...) {
      // A user callback threw; the library's own code does not. Keep
      // serving the other callbacks rather than terminating the process.
      Log(LogLevel::kError, "client",
          absl::StrCat("exception escaped a callback on the I/O thread: ",
                       DescribeCurrentException()));
    }
  }
}

}  // namespace chorus::client_internal
