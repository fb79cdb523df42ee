// Partition: one partition of a topic on this broker — its log, its
// committed offset, the cursors that follow it and, for a status topic, the
// last value of each key (KeyTable).
//
// Ownership and threading: shared by its Topic and by in-flight work. Every
// method except the const accessors runs on the owning shard (shard()).
// committed_end() and start_offset() are atomics that any shard may read to
// bound its own log reads.
//
//   // on partition->shard():
//   partition->Append(std::move(records), count, "svc-a", {producer, seq},
//                     [](absl::StatusOr<AppendResult> r) { ... });
#ifndef CHORUS_BROKER_PARTITION_H_
#define CHORUS_BROKER_PARTITION_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "broker/delivery.h"
#include "broker/shard.h"
#include "broker/tracked_cursor.h"
#include "proto/protocol.pb.h"
#include "storage/partition_log.h"
#include "storage/producer_table.h"

namespace chorus::broker {

class PartitionCursor;

// The header of a stale marker (Partition::MarkStale).
inline constexpr std::string_view kStaleHeader = "chorus-stale";

struct AppendResult {
  uint64_t base_offset = 0;
  uint32_t count = 0;
};

class Partition : public std::enable_shared_from_this<Partition> {
 public:
  using AppendDone = absl::AnyInvocable<void(absl::StatusOr<AppendResult>)>;
  using InfoDone =
      absl::AnyInvocable<void(absl::StatusOr<wire::PartitionInfo>)>;

  Partition(std::string topic, uint32_t index, Shard* shard,
            std::unique_ptr<storage::PartitionLog> log,
            storage::RetentionPolicy retention, bool status_topic);

  const std::string& topic() const { return topic_; }
  uint32_t index() const { return index_; }
  Shard* shard() const { return shard_; }
  // Thread-safe read access to the log (bounded by committed_end()).
  const storage::PartitionLog& log() const { return *log_; }
  // A status topic's partition keeps the last value of each key.
  bool status_topic() const { return status_topic_; }
  // One past the last offset whose append is stored.
  uint64_t committed_end() const {
    return committed_end_.load(std::memory_order_acquire);
  }
  uint64_t start_offset() const {
    return start_offset_.load(std::memory_order_acquire);
  }

  // Stamps and stores a batch of `count` records; `done` runs on this shard
  // when the batch is stored under the fsync setting. Errors: kNotFound
  // when the topic was deleted, kInternal when storage failed (the partition
  // then refuses further appends: its offsets can no longer be trusted).
  // A status topic stages each keyed record into its KeyTable in the same
  // commit.
  //
  // With a producer (id not 0) the batch is idempotent (ProducerTable): a
  // batch stored before — or staged and not yet committed — is not stored
  // again; `done` gets its original offsets once it is committed. Errors
  // then also: kOutOfRange when the sequence skips ahead of the producer's
  // next, kAlreadyExists for a batch older than the ones remembered,
  // kInvalidArgument for a sequence inside a stored batch or with another
  // count, and the store's errors when the producer rows cannot be loaded.
  void Append(std::string records, uint32_t count, std::string_view publisher,
              storage::ProducerStamp producer, AppendDone done);

  // Status topics: publishes a stale marker for `key` (empty value, header
  // "chorus-stale: <reason>") unless the key's last value is no longer the
  // one stored at `offset` (someone published it since). Errors are logged.
  void MarkStale(std::string key, uint64_t offset, std::string reason,
                 std::string publisher);

  // Where `start` points now. Errors: those of the log (kDataLoss,
  // kInternal) for a time lookup.
  absl::StatusOr<uint64_t> ResolveStart(const wire::StartPosition& start);

  // Resolves `start` to an offset, adds `cursor` so that it hears of every
  // batch stored from then on, and tells the cursor where to start — in that
  // order, so that no batch falls between.
  void AddCursor(std::shared_ptr<PartitionCursor> cursor,
                 const wire::StartPosition& start);
  void RemoveCursor(const PartitionCursor* cursor);

  // Adds a member to the tracked cursor called config.name, opening it
  // first if needed; the member hears Started (with the error, if opening
  // failed). `topic_created_ms` is the topic's creation time.
  void JoinTracked(const TrackingConfig& config, int64_t topic_created_ms,
                   DeadLetters* dead_letters, uint64_t member_id,
                   std::weak_ptr<TrackedMember> member);
  // The tracked cursor called `name`, or null.
  std::shared_ptr<TrackedCursor> FindTracked(const std::string& name) const;
  // Drops the cursor called `name` (its last member left, or its durable
  // subscription was deleted).
  void ForgetTracked(const std::string& name);
  // Drops every tracked cursor (broker shutdown).
  void DropTrackedCursors();

  void Describe(InfoDone done);
  // Applies the retention policy (called by the shard's retention timer).
  void ApplyRetention();
  // Deletes the partition's data and ends its cursors (topic deletion).
  void Remove();

 private:
  void Committed(std::shared_ptr<const DeliveryBatch> batch);
  absl::Status Unavailable() const;
  // Idempotent appends: the verdict on `producer`'s batch; true if it is to
  // be appended, else `done` has been (or will be) answered.
  bool AdmitProducerBatch(storage::ProducerStamp producer, uint32_t count,
                          AppendDone& done);
  // A duplicate of `original`: answered with its offsets once committed.
  void AnswerDuplicate(const storage::ProducerTable::Batch& original,
                       AppendDone done);
  // Stages the changed producer rows once, at the end of the turn.
  void ScheduleProducerWrites();
  void StageKeys(std::string_view records,
                 const storage::StoredBatchHeader& header,
                 storage::CommitBatch* commit);
  void RebuildCursorSnapshots();

  const std::string topic_;
  const uint32_t index_;
  Shard* const shard_;
  std::unique_ptr<storage::PartitionLog> log_;
  const storage::RetentionPolicy retention_;
  const bool status_topic_;
  std::atomic<uint64_t> committed_end_;
  std::atomic<uint64_t> start_offset_;
  bool failed_ = false;
  bool removed_ = false;
  // Loaded on the first idempotent append: a partition that never gets one
  // costs nothing more.
  std::unique_ptr<storage::ProducerTable> producers_;
  bool producer_writes_scheduled_ = false;

  std::vector<std::shared_ptr<PartitionCursor>> cursors_;
  // Cursors grouped by the shard they live on, rebuilt when cursors change,
  // so that fan-out posts one task per shard and copies nothing per batch.
  using CursorList = std::vector<std::shared_ptr<PartitionCursor>>;
  std::vector<std::pair<Shard*, std::shared_ptr<const CursorList>>>
      cursors_by_shard_;
  absl::flat_hash_map<std::string, std::shared_ptr<TrackedCursor>> tracked_;
};

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_PARTITION_H_
