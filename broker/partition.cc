#include "broker/partition.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "broker/subscription.h"
#include "common/log.h"
#include "proto/records.h"
#include "storage/key_table.h"

namespace chorus::broker {

Partition::Partition(std::string topic, uint32_t index, Shard* shard,
                     std::unique_ptr<storage::PartitionLog> log,
                     storage::RetentionPolicy retention, bool status_topic)
    : topic_(std::move(topic)),
      index_(index),
      shard_(shard),
      log_(std::move(log)),
      retention_(retention),
      status_topic_(status_topic),
      committed_end_(log_->next_offset()),
      start_offset_(log_->start_offset()) {}

absl::Status Partition::Unavailable() const {
  return absl::InternalError(
      absl::StrCat("partition ", topic_, "/", index_,
                   " is unavailable after a storage failure"));
}

void Partition::Append(std::string records, uint32_t count,
                       std::string_view publisher,
                       storage::ProducerStamp producer, AppendDone done) {
  if (removed_) {
    done(absl::NotFoundError(absl::StrCat("topic ", topic_, " was deleted")));
    return;
  }
  if (failed_) {
    done(Unavailable());
    return;
  }
  if (producer.id != 0 && !AdmitProducerBatch(producer, count, done)) return;
  auto batch = std::make_shared<DeliveryBatch>();
  AppendDeliveryHead(topic_, index_, &batch->body);
  GroupCommit& commit = shard_->group_commit();
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  const storage::StoredBatchHeader header =
      log_->Append(records, count, publisher, now_ms, commit.Batch(),
                   &batch->body, producer);
  batch->base_offset = header.base_offset;
  batch->count = header.count;
  batch->publisher = std::string(publisher);
  if (status_topic_) StageKeys(records, header, commit.Batch());
  if (producer.id != 0) {
    producers_->Record(producer.id,
                       {producer.sequence, header.base_offset, count}, now_ms);
    ScheduleProducerWrites();
  }
  commit.OnStored([self = shared_from_this(), batch = std::move(batch),
                   done = std::move(done)](absl::Status status) mutable {
    if (!status.ok()) {
      if (!self->failed_) {
        self->failed_ = true;
        // Nothing at or past the committed end was stored: the producer
        // table must not claim it.
        if (self->producers_) {
          self->producers_->ForgetFrom(self->committed_end());
        }
        Log(LogLevel::kError, "partition",
            absl::StrCat(
                self->topic_, "/", self->index_,
                ": append failed, partition disabled: ", status.ToString()));
      }
      done(status);
      return;
    }
    const AppendResult result{batch->base_offset, batch->count};
    self->Committed(std::move(batch));
    done(result);
  });
}

bool Partition::AdmitProducerBatch(storage::ProducerStamp producer,
                                   uint32_t count, AppendDone& done) {
  if (producers_ == nullptr) {
    absl::StatusOr<std::unique_ptr<storage::ProducerTable>> loaded =
        storage::ProducerTable::Load(log_->store(), log_->partition_id());
    if (!loaded.ok()) {
      done(loaded.status());
      return false;
    }
    producers_ = *std::move(loaded);
  }
  using Verdict = storage::ProducerTable::Verdict;
  const Verdict verdict =
      producers_->Classify(producer.id, producer.sequence, count);
  const std::string where = absl::StrCat(topic_, "/", index_);
  switch (verdict.kind) {
    case Verdict::kNext:
      return true;
    case Verdict::kDuplicate:
      AnswerDuplicate(verdict.original, std::move(done));
      return false;
    case Verdict::kGap:
      done(absl::OutOfRangeError(
          absl::StrCat("producer ", producer.id, " is at sequence ",
                       verdict.expected, " on ", where, "; its batch at ",
                       producer.sequence, " would leave a gap")));
      return false;
    case Verdict::kForgotten:
      done(absl::AlreadyExistsError(absl::StrCat(
          "producer ", producer.id, " sequence ", producer.sequence, " on ",
          where, " was stored before the last ",
          storage::ProducerTable::kBatchesKept,
          " batches kept: its offsets are no longer known")));
      return false;
    case Verdict::kMismatch:
      done(absl::InvalidArgumentError(absl::StrCat(
          "producer ", producer.id, " sequence ", producer.sequence, " on ",
          where, " does not start a stored batch of ", count, " records")));
      return false;
  }
  return false;
}

void Partition::AnswerDuplicate(const storage::ProducerTable::Batch& original,
                                AppendDone done) {
  const AppendResult result{original.base_offset, original.count};
  const uint64_t end = original.base_offset + original.count;
  if (committed_end() >= end) {
    done(result);
    return;
  }
  // The first copy is still being committed: answer after it, from the
  // next commit (commits complete in order).
  GroupCommit& commit = shard_->group_commit();
  commit.Batch();
  commit.OnStored([self = shared_from_this(), result, end,
                   done = std::move(done)](absl::Status) mutable {
    if (self->committed_end() >= end) {
      done(result);
    } else {
      done(self->Unavailable());
    }
  });
}

void Partition::ScheduleProducerWrites() {
  if (producer_writes_scheduled_) return;
  producer_writes_scheduled_ = true;
  shard_->group_commit().BeforeCommit(
      [self = shared_from_this()](storage::CommitBatch* commit) {
        self->producer_writes_scheduled_ = false;
        // Removed: the partition's rows were deleted in this commit already.
        if (self->removed_ || self->failed_) return;
        self->producers_->StageWrites(commit);
      });
}

void Partition::StageKeys(std::string_view records,
                          const storage::StoredBatchHeader& header,
                          storage::CommitBatch* commit) {
  const storage::KeyTable keys(log_->store());
  proto::RecordReader reader(records);
  proto::RecordView record;
  std::string entry;
  for (uint64_t offset = header.base_offset; reader.Next(&record); ++offset) {
    if (record.key.empty()) continue;
    storage::StoredBatchHeader one = header;
    one.base_offset = offset;
    one.count = 1;
    if (one.producer_id != 0) {
      one.producer_sequence += offset - header.base_offset;
    }
    entry.clear();
    storage::AppendStoredBatch(one, record.encoded, &entry);
    keys.StagePut(log_->partition_id(), record.key, entry, commit);
  }
}

void Partition::MarkStale(std::string key, uint64_t offset, std::string reason,
                          std::string publisher) {
  if (removed_ || failed_ || !status_topic_) return;
  if (log_->next_offset() != committed_end()) {
    // An append still in flight may hold this key: decide after it.
    shard_->group_commit().Batch();
    shard_->group_commit().OnStored(
        [self = shared_from_this(), key = std::move(key), offset,
         reason = std::move(reason),
         publisher = std::move(publisher)](absl::Status) mutable {
          self->MarkStale(std::move(key), offset, std::move(reason),
                          std::move(publisher));
        });
    return;
  }
  absl::StatusOr<std::optional<std::string>> last =
      storage::KeyTable(log_->store()).Get(log_->partition_id(), key);
  if (!last.ok() || !last->has_value()) return;
  absl::StatusOr<storage::StoredBatchView> view =
      storage::ParseStoredBatch(**last);
  if (!view.ok() || view->header.base_offset != offset) return;
  std::string records;
  const proto::HeaderPair stale[] = {{std::string(kStaleHeader), reason}};
  proto::AppendRecord(key, "", stale, &records);
  Append(std::move(records), 1, publisher, {},
         [topic = topic_, key](absl::StatusOr<AppendResult> result) {
           if (result.ok()) return;
           Log(LogLevel::kError, "status",
               absl::StrCat("stale marker for ", topic, " key ", key, ": ",
                            result.status().ToString()));
         });
}

void Partition::JoinTracked(const TrackingConfig& config,
                            int64_t topic_created_ms, DeadLetters* dead_letters,
                            uint64_t member_id,
                            std::weak_ptr<TrackedMember> member) {
  std::shared_ptr<TrackedCursor>& cursor = tracked_[config.name];
  absl::Status opened =
      removed_
          ? absl::NotFoundError(absl::StrCat("topic ", topic_, " was deleted"))
          : absl::OkStatus();
  if (opened.ok() && cursor == nullptr) {
    cursor = std::make_shared<TrackedCursor>(shared_from_this(), config,
                                             dead_letters);
    opened = cursor->Open(topic_created_ms);
  }
  if (!opened.ok()) {
    tracked_.erase(config.name);
    if (std::shared_ptr<TrackedMember> endpoint = member.lock()) {
      asio::post(endpoint->shard()->executor(),
                 [endpoint, opened] { endpoint->Started(opened); });
    }
    return;
  }
  cursor->Join(member_id, std::move(member));
}

std::shared_ptr<TrackedCursor> Partition::FindTracked(
    const std::string& name) const {
  auto it = tracked_.find(name);
  return it == tracked_.end() ? nullptr : it->second;
}

void Partition::ForgetTracked(const std::string& name) {
  auto it = tracked_.find(name);
  if (it == tracked_.end()) return;
  std::shared_ptr<TrackedCursor> cursor = std::move(it->second);
  tracked_.erase(it);
  cursor->Close();
}

void Partition::DropTrackedCursors() {
  for (const auto& [name, cursor] : tracked_) cursor->Close();
  tracked_.clear();
}

void Partition::Committed(std::shared_ptr<const DeliveryBatch> batch) {
  committed_end_.store(batch->end_offset(), std::memory_order_release);
  for (const auto& [name, cursor] : tracked_) cursor->OnCommitted();
  for (const auto& [shard, cursors] : cursors_by_shard_) {
    asio::post(shard->executor(), [batch, cursors = cursors] {
      for (const auto& cursor : *cursors) cursor->OnStored(batch);
    });
  }
}

absl::StatusOr<uint64_t> Partition::ResolveStart(
    const wire::StartPosition& start) {
  const uint64_t first = log_->start_offset();
  const uint64_t end = log_->next_offset();
  const uint64_t value =
      start.value() < 0 ? 0 : static_cast<uint64_t>(start.value());
  switch (start.kind()) {
    case wire::StartPosition::EARLIEST:
      return first;
    case wire::StartPosition::OFFSET:
      return std::clamp(value, first, end);
    case wire::StartPosition::LAST:
      return end - std::min(value, end - first);
    case wire::StartPosition::TIME:
      return log_->FindOffsetAtTime(start.value(), first, end);
    case wire::StartPosition::SNAPSHOT:
      // Appends still in flight are not in the key table yet: they come
      // from the log, after the snapshot.
      return committed_end();
    case wire::StartPosition::LATEST:
    default:
      return end;
  }
}

void Partition::AddCursor(std::shared_ptr<PartitionCursor> cursor,
                          const wire::StartPosition& start) {
  absl::StatusOr<uint64_t> offset =
      removed_
          ? absl::NotFoundError(absl::StrCat("topic ", topic_, " was deleted"))
          : ResolveStart(start);
  if (offset.ok()) {
    cursors_.push_back(cursor);
    RebuildCursorSnapshots();
  }
  asio::post(cursor->shard()->executor(),
             [cursor, offset] { cursor->Start(offset); });
}

void Partition::RemoveCursor(const PartitionCursor* cursor) {
  auto it = std::find_if(cursors_.begin(), cursors_.end(),
                         [cursor](const auto& c) { return c.get() == cursor; });
  if (it == cursors_.end()) return;
  cursors_.erase(it);
  RebuildCursorSnapshots();
}

void Partition::RebuildCursorSnapshots() {
  std::vector<std::pair<Shard*, std::shared_ptr<CursorList>>> groups;
  for (const auto& cursor : cursors_) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) {
      return g.first == cursor->shard();
    });
    if (it == groups.end()) {
      groups.emplace_back(cursor->shard(), std::make_shared<CursorList>());
      it = groups.end() - 1;
    }
    it->second->push_back(cursor);
  }
  cursors_by_shard_.assign(groups.begin(), groups.end());
}

void Partition::Describe(InfoDone done) {
  absl::StatusOr<uint64_t> bytes = log_->SizeBytes();
  if (!bytes.ok()) {
    done(bytes.status());
    return;
  }
  wire::PartitionInfo info;
  info.set_partition(index_);
  info.set_start_offset(log_->start_offset());
  info.set_next_offset(log_->next_offset());
  info.set_bytes(*bytes);
  done(info);
}

void Partition::ApplyRetention() {
  if (removed_ || failed_) return;
  if (retention_.max_age_ms == 0 && retention_.max_bytes == 0 &&
      retention_.max_messages == 0) {
    return;
  }
  absl::StatusOr<uint64_t> start =
      log_->ApplyRetention(retention_, absl::ToUnixMillis(absl::Now()));
  if (!start.ok()) {
    Log(LogLevel::kWarning, "retention",
        absl::StrCat(topic_, "/", index_, ": ", start.status().ToString()));
    return;
  }
  start_offset_.store(*start, std::memory_order_release);
}

void Partition::Remove() {
  removed_ = true;
  // Behind this turn's appends in the same commit: none outlives the data.
  log_->StageDeleteAll(shard_->group_commit().Batch());
  for (const auto& cursor : cursors_) {
    asio::post(cursor->shard()->executor(),
               [cursor] { cursor->OnPartitionRemoved(); });
  }
  cursors_.clear();
  cursors_by_shard_.clear();
  for (const auto& [name, cursor] : tracked_) cursor->Close();
  tracked_.clear();
}

}  // namespace chorus::broker
