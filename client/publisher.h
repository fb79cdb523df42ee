// client_internal::Publisher: the publish side of a Client. It places each
// message in a partition itself (from Metadata: by key hash, or in turn per
// batch without a key), batches messages per partition, and sends each batch
// as one idempotent Publish: the client's producer id and the partition's
// next sequence, so that a batch sent again after a lost connection is
// stored once.
//
//   Publisher publisher(&link, &io, &metadata, options, producer_id);
//   publisher.Publish("acme.x", {.value = "up"}, [](auto result) { ... });
//   absl::Status first_error =
//       publisher.Flush(absl::Now() + absl::Seconds(30));
//
// A batch is sent when it reaches batch_max_bytes, or `linger` after the
// first message of the oldest open batch (one timer serves all), or on
// Flush; with a zero linger each publish is sent at once by the calling
// thread. At most proto::kProducerWindowBatches batches of a partition await
// their ack; the next ones wait (and the open batch grows meanwhile).
//
// Failures: a batch whose connection breaks stays, and is sent again, in
// order, on the next connection. A batch the broker refuses fails its
// messages; the partition's later batches then get a fresh producer id and
// sequences (the refused one left a hole the broker would refuse them for).
// A batch not acknowledged within publish_timeout fails its messages with
// kDeadlineExceeded but is still sent again until acknowledged (it may have
// been stored: dropping it would leave later batches unsure).
#ifndef CHORUS_CLIENT_PUBLISHER_H_
#define CHORUS_CLIENT_PUBLISHER_H_

#include <asio.hpp>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "client/io_thread.h"
#include "client/link.h"
#include "client/metadata_cache.h"

namespace chorus::client_internal {

// Thread-safe. Callbacks run on the I/O thread, except for publishes
// refused at once (client closed, message too big), whose callback runs
// inside Publish. Must outlive the I/O thread's use of it.
class Publisher {
 public:
  Publisher(Link* link, IoThread* io, MetadataCache* metadata,
            const ClientOptions& options, uint64_t producer_id);

  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // See Client::Publish. Back-pressure blocks at most request_timeout, then
  // fails the message with kDeadlineExceeded. Does not block on the I/O
  // thread (a callback that publishes is never stalled by back-pressure,
  // which only the I/O thread can relieve).
  void Publish(std::string_view topic, const Message& message,
               Client::PublishCallback done);

  // Sends every open batch now and waits, until `deadline`, for every
  // message published before to complete (callbacks included). Returns the
  // first error among them; kDeadlineExceeded on timeout;
  // kFailedPrecondition on the I/O thread, where it cannot wait (the
  // batches are still sent).
  absl::Status Flush(absl::Time deadline);

  // Later publishes fail at once with `status` (Close). What was published
  // is unaffected; Flush still sends and waits for it.
  void StopAccepting(absl::Status status);
  // Fails every message not yet acknowledged with `status` and refuses
  // later publishes with it (Close, after its Flush).
  void Abort(const absl::Status& status);

  // Link and metadata events (I/O thread).
  void OnConnected();
  void OnDisconnected(const absl::Status& status);
  void OnTopicMetadata(const std::string& topic,
                       absl::StatusOr<uint32_t> partitions);

 private:
  // A message's callback and its place in publish order (for Flush).
  struct Pending {
    Client::PublishCallback done;
    uint64_t ordinal = 0;
  };
  struct OpenBatch {
    std::string records;
    std::vector<Pending> pending;
    // Shared by every message of the batch (Message::bind, lease_id).
    bool bind = false;
    uint64_t lease_id = 0;
    absl::Time first_at;
  };
  // A batch with its producer id and sequence, until acknowledged.
  struct SentBatch {
    wire::Frame frame;  // the Publish, sent as it is every time
    uint32_t count = 0;
    size_t bytes = 0;
    std::vector<Pending> pending;  // empty once failed (by timeout)
    absl::Time deadline;
    uint64_t send_id = 0;  // the latest send of it; 0: not on this connection
  };
  struct Topic;
  // One partition of a topic: its producer identity and its batches.
  struct Stream {
    Topic* owner = nullptr;
    std::string topic;
    uint32_t partition = 0;
    uint64_t producer_id = 0;
    uint64_t next_sequence = 0;
    OpenBatch open;
    bool lingering = false;  // in lingering_
    std::deque<std::unique_ptr<SentBatch>> unacked;
    size_t in_flight = 0;  // unacked.front() onwards, sent on this connection
    bool active = false;   // in active_
  };
  // Topics with messages waiting for metadata are in waiting_topics_.
  // A message published before its topic's partitions were known.
  struct Waiting {
    std::string record;  // encoded, as for a batch
    std::string key;
    bool bind = false;
    uint64_t lease_id = 0;
    Pending pending;
    absl::Time deadline;
  };
  struct Topic {
    std::string name;
    uint32_t partitions = 0;  // 0: not known (yet, or anymore)
    std::vector<std::unique_ptr<Stream>> streams;
    uint32_t keyless = 0;  // where messages without a key go now
    std::vector<Waiting> waiting;
    bool resolving = false;
  };
  // A Flush waiting for the messages published up to `last_ordinal`.
  struct FlushWaiter {
    uint64_t last_ordinal = 0;
    size_t remaining = 0;
    absl::Status first_error;
  };
  // Callbacks to run once the mutex is released; `ordinal` 0 for a
  // publish refused before it counted.
  struct Outcome {
    Client::PublishCallback done;
    absl::StatusOr<PublishResult> result;
    uint64_t ordinal = 0;
  };
  using Outcomes = std::vector<Outcome>;

  // Adds a message to its partition's open batch; `encode` appends its
  // record. `counted`: its bytes are in in_flight_bytes_ already (it waited
  // for metadata). A message the broker would refuse fails alone.
  void AddLocked(Topic& topic, std::string_view key, bool bind,
                 uint64_t lease_id,
                 absl::FunctionRef<void(std::string*)> encode, Pending pending,
                 bool counted, Outcomes* outcomes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Checks an encoded record against the broker's limits: the error the
  // broker would give its whole batch, or OK.
  absl::Status CheckRecord(std::string_view record) const;
  // Closes `stream`'s open batch: stamps it and sends it when it may.
  void CloseLocked(Stream& stream, Outcomes* outcomes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sends what the window allows.
  void PumpLocked(Stream& stream, Outcomes* outcomes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CloseAllLocked(Outcomes* outcomes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Fails the messages of `topic` waiting for metadata.
  void FailWaitingLocked(Topic& topic, const absl::Status& status,
                         Outcomes* outcomes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Gives `stream` a fresh producer id and stamps its batches from
  // unacked[from] on again under it, to be sent anew; later batches follow
  // it.
  void RestampLocked(Stream& stream, size_t from)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // I/O thread: the broker answered send `send_id` of a batch.
  void OnResponse(Stream* stream, uint64_t send_id,
                  absl::StatusOr<wire::Frame> response);
  // Hands `pending`'s callbacks their result, to run (then count as
  // completed for Flush) once the mutex is released.
  void CompleteLocked(std::vector<Pending>& pending,
                      const absl::StatusOr<std::vector<PublishResult>>& results,
                      Outcomes* outcomes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CompleteOneLocked(Pending& pending, absl::StatusOr<PublishResult> result,
                         Outcomes* outcomes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes acknowledged (or refused) unacked[index].
  void DropLocked(Stream& stream, size_t index)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ActivateLocked(Stream& stream) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ScheduleLingerLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartLingerTimer();  // I/O thread
  void SendAllNow();        // I/O thread
  void ScheduleExpiry();    // I/O thread
  void ExpireNow();         // I/O thread
  // Runs the callbacks, then counts their messages as completed.
  void Run(Outcomes& outcomes) ABSL_LOCKS_EXCLUDED(mu_);
  bool CanAcceptLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The largest records size that fits a Publish frame.
  size_t MaxBatchRecordsBytes() const;
  uint64_t NewProducerIdLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Link* const link_;
  IoThread* const io_;
  MetadataCache* const metadata_;
  const ClientOptions options_;
  const uint64_t producer_id_;
  asio::steady_timer linger_timer_;  // I/O thread
  asio::steady_timer expiry_timer_;  // I/O thread

  mutable std::mutex mu_;
  // Notified when in_flight_bytes_, status_ or a waiter's remaining changes.
  std::condition_variable cv_;
  absl::Status status_ ABSL_GUARDED_BY(mu_);  // non-OK: refuse publishes
  // Sends go out only while connected, after what the last connection left
  // unacknowledged was sent again.
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);  // for timeout messages
  // Pointers to topics and streams stay valid: neither is ever removed.
  absl::flat_hash_map<std::string, std::unique_ptr<Topic>> topics_
      ABSL_GUARDED_BY(mu_);
  // Streams with an open batch, and with batches or waiting messages.
  std::vector<Stream*> lingering_ ABSL_GUARDED_BY(mu_);
  std::vector<Stream*> active_ ABSL_GUARDED_BY(mu_);
  std::vector<Topic*> waiting_topics_ ABSL_GUARDED_BY(mu_);
  bool linger_scheduled_ ABSL_GUARDED_BY(mu_) = false;
  size_t in_flight_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_ordinal_ ABSL_GUARDED_BY(mu_) = 0;
  size_t outstanding_ ABSL_GUARDED_BY(mu_) = 0;  // messages not completed
  uint64_t last_send_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<FlushWaiter*> waiters_ ABSL_GUARDED_BY(mu_);
  std::mt19937_64 random_ ABSL_GUARDED_BY(mu_);
  bool expiry_started_ = false;  // I/O thread
};

}  // namespace chorus::client_internal

#endif  // CHORUS_CLIENT_PUBLISHER_H_
