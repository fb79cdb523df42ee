// Partition: one partition of a topic on this broker — its log, its
// committed offset and the cursors that follow it.
//
// Ownership and threading: shared by its Topic and by in-flight work. Every
// method except the const accessors runs on the owning shard (shard()).
// committed_end() and start_offset() are atomics that any shard may read to
// bound its own log reads.
//
//   // on partition->shard():
//   partition->Append(std::move(records), count, "svc-a",
//                     [](absl::StatusOr<AppendResult> r) { ... });
#ifndef CHORUS_BROKER_PARTITION_H_
#define CHORUS_BROKER_PARTITION_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "broker/delivery.h"
#include "broker/shard.h"
#include "proto/protocol.pb.h"
#include "storage/partition_log.h"

namespace chorus::broker {

class PartitionCursor;

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
            storage::RetentionPolicy retention);

  const std::string& topic() const { return topic_; }
  uint32_t index() const { return index_; }
  Shard* shard() const { return shard_; }
  // Thread-safe read access to the log (bounded by committed_end()).
  const storage::PartitionLog& log() const { return *log_; }
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
  void Append(std::string records, uint32_t count, std::string_view publisher,
              AppendDone done);

  // Resolves `start` to an offset, adds `cursor` so that it hears of every
  // batch stored from then on, and tells the cursor where to start — in that
  // order, so that no batch falls between.
  void AddCursor(std::shared_ptr<PartitionCursor> cursor,
                 const wire::StartPosition& start);
  void RemoveCursor(const PartitionCursor* cursor);

  void Describe(InfoDone done);
  // Applies the retention policy (called by the shard's retention timer).
  void ApplyRetention();
  // Deletes the partition's data and ends its cursors (topic deletion).
  void Remove();

 private:
  absl::StatusOr<uint64_t> ResolveStart(const wire::StartPosition& start);
  void Committed(std::shared_ptr<const DeliveryBatch> batch);
  void RebuildCursorSnapshots();

  const std::string topic_;
  const uint32_t index_;
  Shard* const shard_;
  std::unique_ptr<storage::PartitionLog> log_;
  const storage::RetentionPolicy retention_;
  std::atomic<uint64_t> committed_end_;
  std::atomic<uint64_t> start_offset_;
  bool failed_ = false;
  bool removed_ = false;

  std::vector<std::shared_ptr<PartitionCursor>> cursors_;
  // Cursors grouped by the shard they live on, rebuilt when cursors change,
  // so that fan-out posts one task per shard and copies nothing per batch.
  using CursorList = std::vector<std::shared_ptr<PartitionCursor>>;
  std::vector<std::pair<Shard*, std::shared_ptr<const CursorList>>>
      cursors_by_shard_;
};

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_PARTITION_H_
