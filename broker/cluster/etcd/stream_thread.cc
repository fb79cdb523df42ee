#include "broker/cluster/etcd/stream_thread.h"

#include <grpcpp/client_context.h>

#include <utility>

namespace chorus::etcd {

StreamThread::~StreamThread() { Stop(); }

void StreamThread::Start(std::function<void()> body) {
  thread_ = std::thread(std::move(body));
}

void StreamThread::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool StreamThread::stopping() {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopping_;
}

bool StreamThread::Sleep(absl::Duration duration) {
  std::unique_lock<std::mutex> lock(mutex_);
  return !wake_.wait_for(lock, absl::ToChronoMilliseconds(duration),
                         [this] { return stopping_; });
}

bool StreamThread::Enter(grpc::ClientContext* context) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) return false;
  context_ = context;
  return true;
}

void StreamThread::Leave() {
  std::lock_guard<std::mutex> lock(mutex_);
  context_ = nullptr;
}

}  // namespace chorus::etcd
