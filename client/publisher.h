// client_internal::Publisher: the publish side of a Client. Batches messages
// per topic, sends each batch as one Publish, and completes each message's
// callback from the batch's PublishAck.
//
//   Publisher publisher(&connection, options);
//   publisher.Publish("acme.x", {.value = "up"}, [](auto result) { ... });
//   absl::Status first_error = publisher.Flush(absl::Now() +
//   absl::Seconds(30));
//
// A batch is sent when it reaches batch_max_bytes, or `linger` after the
// first message of the oldest open batch (one timer serves all topics), or on
// Flush; with a zero linger each publish is sent at once by the calling
// thread. Bytes of open and unacknowledged batches count against
// max_in_flight_bytes; Publish blocks while that is exceeded.
#ifndef CHORUS_CLIENT_PUBLISHER_H_
#define CHORUS_CLIENT_PUBLISHER_H_

#include <asio.hpp>
#include <condition_variable>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "client/connection.h"

namespace chorus::client_internal {

// Thread-safe. Callbacks run on the connection's I/O thread, except for
// publishes refused at once (client closed or connection lost, message too
// big), whose callback runs inside Publish. Must outlive the I/O thread.
class Publisher {
 public:
  Publisher(Connection* connection, const ClientOptions& options);

  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // See Client::Publish. Back-pressure blocks at most request_timeout, then
  // fails the message with kDeadlineExceeded. Does not block on the I/O
  // thread (a callback that publishes is never stalled by back-pressure,
  // which only the I/O thread can relieve).
  void Publish(std::string_view topic, const Message& message,
               Client::PublishCallback done);

  // Sends every open batch now and waits, until `deadline`, for every batch
  // sent before to complete (callbacks included). Returns the first error
  // among them; kDeadlineExceeded on timeout; kFailedPrecondition on the
  // I/O thread, where it cannot wait (the batches are still sent).
  absl::Status Flush(absl::Time deadline);

  // Later publishes fail at once with `status` (Close). Sent and open
  // batches are unaffected; Flush still sends and waits for them.
  void StopAccepting(absl::Status status);

  // Fails the open batches with `status` and refuses later publishes with
  // kUnavailable; sent batches are left to the connection, which fails them.
  // For a lost connection, and for Close on the I/O thread.
  void Abort(const absl::Status& status);

 private:
  struct OpenBatch {
    std::string records;
    std::vector<Client::PublishCallback> callbacks;
    // Shared by every message of the batch (Message::bind, lease_id).
    bool bind = false;
    uint64_t lease_id = 0;
  };
  // A Flush waiting for the batches sent up to `last_batch_id`.
  struct FlushWaiter {
    uint64_t last_batch_id = 0;
    size_t remaining = 0;
    absl::Status first_error;
  };
  // Callbacks to run once the mutex is released.
  struct Failure {
    std::vector<Client::PublishCallback> callbacks;
    absl::Status status;
  };

  // Sends `batch` (moved from). On a send error the batch's callbacks join
  // `failures` and the error is returned.
  absl::Status SendLocked(std::string_view topic, OpenBatch& batch,
                          std::vector<Failure>* failures)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SendAllLocked(std::vector<Failure>* failures)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ScheduleLingerLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartLingerTimer();  // I/O thread
  void SendAllNow();        // I/O thread
  // I/O thread: the broker answered batch `batch_id`, or it failed.
  void OnBatchDone(uint64_t batch_id, size_t bytes,
                   std::vector<Client::PublishCallback>& callbacks,
                   absl::StatusOr<wire::Frame> response);
  static void RunFailures(std::vector<Failure>& failures);
  bool CanAcceptLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The largest records size that fits a Publish frame.
  size_t MaxBatchRecordsBytes() const;

  Connection* const connection_;
  const ClientOptions options_;
  asio::steady_timer linger_timer_;  // I/O thread

  mutable std::mutex mu_;
  // Notified when in_flight_bytes_, status_ or a waiter's remaining changes.
  std::condition_variable cv_;
  absl::Status status_ ABSL_GUARDED_BY(mu_);  // non-OK: refuse publishes
  absl::flat_hash_map<std::string, OpenBatch> open_ ABSL_GUARDED_BY(mu_);
  bool linger_scheduled_ ABSL_GUARDED_BY(mu_) = false;
  size_t in_flight_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_batch_id_ ABSL_GUARDED_BY(mu_) = 0;
  size_t unacked_batches_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<FlushWaiter*> waiters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace chorus::client_internal

#endif  // CHORUS_CLIENT_PUBLISHER_H_
