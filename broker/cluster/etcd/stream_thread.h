// StreamThread: the thread a LeaseKeeper or a Watcher runs its gRPC stream
// on, and the one way to stop it: Stop() raises the flag, cancels the stream
// in progress and joins.
//
//   thread_.Start([this] { Run(); });          // in the owner's constructor
//   if (!thread_.Enter(&context)) return;      // in Run: a stream begins
//   ... stream ...; thread_.Leave();
//   thread_.Stop();                            // in the owner's destructor
//
// Contract: Stop is called by the owner (not from the thread) before the
// members the body uses are destroyed; it is idempotent. Sleep and
// stopping() may be called from the body.
#ifndef CHORUS_BROKER_CLUSTER_ETCD_STREAM_THREAD_H_
#define CHORUS_BROKER_CLUSTER_ETCD_STREAM_THREAD_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/time/time.h"

namespace grpc {
class ClientContext;
}

namespace chorus::etcd {

class StreamThread {
 public:
  StreamThread() = default;
  ~StreamThread();
  StreamThread(const StreamThread&) = delete;
  StreamThread& operator=(const StreamThread&) = delete;

  void Start(std::function<void()> body);
  void Stop();

  bool stopping();
  // Waits `duration` unless stopped first; false when stopped.
  bool Sleep(absl::Duration duration);
  // The stream of `context` begins: Stop cancels it from now on. False (and
  // nothing registered) once stopping.
  bool Enter(grpc::ClientContext* context);
  // The stream has ended.
  void Leave();

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  grpc::ClientContext* context_ = nullptr;
  std::thread thread_;
};

}  // namespace chorus::etcd

#endif  // CHORUS_BROKER_CLUSTER_ETCD_STREAM_THREAD_H_
