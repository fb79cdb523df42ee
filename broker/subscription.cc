#include "broker/subscription.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/member_cursor.h"
#include "broker/partition.h"
#include "common/log.h"
#include "storage/key_table.h"

namespace chorus::broker {
namespace {

// How much one catch-up step reads from the log before yielding the shard
// to other work.
constexpr size_t kReadChunkBytes = 256 * 1024;

// Adds a client's grant to a credit budget without overflow: a budget is
// capped far above anything a subscriber can consume.
void AddSaturating(uint64_t grant, int64_t* budget) {
  constexpr int64_t kMaxCredit = INT64_MAX / 2;
  const int64_t add = static_cast<int64_t>(
      std::min<uint64_t>(grant, static_cast<uint64_t>(kMaxCredit)));
  *budget = std::min(*budget + add, kMaxCredit);
}

}  // namespace

PartitionCursor::PartitionCursor(Subscription* owner,
                                 std::shared_ptr<Partition> partition,
                                 Shard* shard, bool snapshot)
    : owner_(owner),
      partition_(std::move(partition)),
      shard_(shard),
      snapshot_(snapshot) {}

void PartitionCursor::Start(absl::StatusOr<uint64_t> offset) {
  if (closed_) return;
  if (offset.status().code() == absl::StatusCode::kNotFound) {
    // The topic was deleted while the subscription attached: it simply no
    // longer matches.
    OnPartitionRemoved();
    owner_->CursorStarted(absl::OkStatus());
    return;
  }
  if (!offset.ok()) {
    owner_->CursorStarted(offset.status());
    return;
  }
  started_ = true;
  next_ = *offset;
  owner_->CursorStartedAt(*partition_, next_);
  Pump();
}

bool PartitionCursor::Wanted(const DeliveryBatch& batch) const {
  const std::string& from = owner_->spec().from_publisher;
  return from.empty() || batch.publisher == from;
}

void PartitionCursor::OnStored(std::shared_ptr<const DeliveryBatch> batch) {
  if (closed_ || !started_ || batch->end_offset() <= next_) return;
  if (batch->base_offset == next_ && !read_scheduled_ && !snapshot_) {
    if (!Wanted(*batch)) {
      next_ = batch->end_offset();
      return;
    }
    if (owner_->CanSend()) {
      next_ = batch->end_offset();
      owner_->Send(std::move(batch));
      return;
    }
  }
  Pump();
}

void PartitionCursor::OnPartitionRemoved() {
  if (closed_) return;
  closed_ = true;
  owner_->CursorRemoved(this);
}

void PartitionCursor::Pump() {
  if (closed_ || !started_ || read_scheduled_) return;
  if ((!snapshot_ && next_ >= partition_->committed_end()) ||
      !owner_->CanSend()) {
    return;
  }
  read_scheduled_ = true;
  asio::post(shard_->executor(), [self = shared_from_this()] {
    self->read_scheduled_ = false;
    if (self->snapshot_) {
      self->ReadSnapshot();
    } else {
      self->ReadFromLog();
    }
  });
}

void PartitionCursor::ReadSnapshot() {
  if (closed_) return;
  std::vector<storage::KeyTable::Entry> entries;
  absl::StatusOr<bool> any = false;
  if (partition_->status_topic()) {
    any = storage::KeyTable(partition_->log().store())
              .Scan(partition_->log().partition_id(), snapshot_after_set_,
                    snapshot_after_, kReadChunkBytes, &entries);
  }
  if (!any.ok()) {
    Log(LogLevel::kError, "subscription",
        absl::StrCat("snapshot of ", partition_->topic(), "/",
                     partition_->index(), ": ", any.status().ToString()));
    return;
  }
  for (storage::KeyTable::Entry& entry : entries) {
    if (!owner_->CanSend()) return;
    snapshot_after_set_ = true;
    snapshot_after_ = std::move(entry.key);
    absl::StatusOr<std::shared_ptr<const DeliveryBatch>> batch =
        DeliveryBatch::FromStored(partition_->topic(), partition_->index(),
                                  entry.stored, 0, next_);
    // Values stored at or after the start offset come from the log.
    if (batch.status().code() == absl::StatusCode::kOutOfRange) continue;
    if (!batch.ok()) {
      Log(LogLevel::kError, "subscription",
          absl::StrCat("data loss in the snapshot of ", partition_->topic(),
                       "/", partition_->index(), ": ",
                       batch.status().ToString()));
      continue;
    }
    if (Wanted(**batch)) owner_->Send(*std::move(batch));
  }
  if (!*any) {
    snapshot_ = false;
    snapshot_after_.clear();
    owner_->SendSnapshotEnd(*partition_);
  }
  Pump();
}

void PartitionCursor::ReadFromLog() {
  if (closed_) return;
  const uint64_t end = partition_->committed_end();
  if (next_ >= end) return;
  std::vector<std::string> stored;
  if (absl::Status read =
          partition_->log().Read(next_, end, kReadChunkBytes, &stored);
      !read.ok()) {
    const absl::Status status(
        read.code(),
        absl::StrCat("read ", partition_->topic(), "/", partition_->index(),
                     " at ", next_, ": ", read.message()));
    Log(LogLevel::kError, "subscription", status.ToString());
    owner_->Fail(status);
    return;
  }
  for (const std::string& value : stored) {
    if (!owner_->CanSend()) break;
    absl::StatusOr<std::shared_ptr<const DeliveryBatch>> batch =
        DeliveryBatch::FromStored(partition_->topic(), partition_->index(),
                                  value, next_);
    if (batch.status().code() == absl::StatusCode::kOutOfRange) continue;
    if (batch.ok() && !Wanted(**batch)) {
      next_ = (*batch)->end_offset();
      continue;
    }
    if (!batch.ok()) {
      // Reported, not skipped silently: the subscriber stops at the damage
      // and is told so.
      const absl::Status status = absl::DataLossError(absl::StrCat(
          "data loss in ", partition_->topic(), "/", partition_->index(),
          " at offset ", next_, ": ", batch.status().message()));
      Log(LogLevel::kError, "subscription", status.ToString());
      owner_->Fail(status);
      return;
    }
    next_ = (*batch)->end_offset();
    owner_->Send(*std::move(batch));
  }
  if (stored.empty()) {
    // Everything from next_ on was removed by retention while we lagged.
    next_ = std::max(next_, partition_->start_offset());
  }
  Pump();
}

void PartitionCursor::Close() {
  if (closed_) return;
  closed_ = true;
  asio::post(partition_->shard()->executor(),
             [partition = partition_, self = shared_from_this()] {
               partition->RemoveCursor(self.get());
             });
}

Subscription::Subscription(SubscriptionSpec spec, Shard* shard,
                           DeliverySink* sink, DeadLetters* dead_letters)
    : spec_(std::move(spec)),
      shard_(shard),
      sink_(sink),
      dead_letters_(dead_letters),
      credit_messages_(static_cast<int64_t>(
          std::min<uint64_t>(spec_.credit_messages, INT64_MAX / 2))),
      credit_bytes_(static_cast<int64_t>(
          std::min<uint64_t>(spec_.credit_bytes, INT64_MAX / 2))) {}

Subscription::~Subscription() { Close(); }

void Subscription::AttachTopic(const std::shared_ptr<Topic>& topic,
                               bool newly_created) {
  if (closed_) return;
  // Where a resumed subscription goes on in `partition`, if it does.
  auto resume_at = [&](const Partition& partition) -> std::optional<uint64_t> {
    if (newly_created || spec_.resume.empty()) return std::nullopt;
    auto it = spec_.resume.find(std::make_pair(topic->name, partition.index()));
    if (it == spec_.resume.end()) return std::nullopt;
    return it->second;
  };
  auto offset_start = [](uint64_t offset) {
    wire::StartPosition start;
    start.set_kind(wire::StartPosition::OFFSET);
    start.set_value(static_cast<int64_t>(
        std::min<uint64_t>(offset, std::numeric_limits<int64_t>::max())));
    return start;
  };
  if (spec_.tracking.has_value()) {
    for (const std::shared_ptr<Partition>& partition :
         topic->local_partitions) {
      auto member = std::make_shared<MemberCursor>(this, partition, shard_);
      cursors_.push_back(member);
      members_[{topic->name, partition->index()}] = member;
      ++pending_starts_;
      if (std::optional<uint64_t> offset = resume_at(*partition)) {
        TrackingConfig config = *spec_.tracking;
        config.start = offset_start(*offset);
        member->Join(config, topic->created_ms, dead_letters_);
      } else {
        member->Join(*spec_.tracking, topic->created_ms, dead_letters_);
      }
    }
    return;
  }
  wire::StartPosition start = spec_.start;
  if (newly_created) {
    start.set_kind(wire::StartPosition::EARLIEST);
    start.set_value(0);
  }
  for (const std::shared_ptr<Partition>& partition : topic->local_partitions) {
    const std::optional<uint64_t> offset = resume_at(*partition);
    const wire::StartPosition from = offset ? offset_start(*offset) : start;
    auto cursor = std::make_shared<PartitionCursor>(
        this, partition, shard_, from.kind() == wire::StartPosition::SNAPSHOT);
    cursors_.push_back(cursor);
    ++pending_starts_;
    asio::post(partition->shard()->executor(), [partition, cursor, from] {
      partition->AddCursor(cursor, from);
    });
  }
}

void Subscription::OnTopicCreated(std::shared_ptr<Topic> topic) {
  asio::post(shard_->executor(),
             [weak = weak_from_this(), topic = std::move(topic)] {
               if (auto self = weak.lock()) self->AttachTopic(topic, true);
             });
}

void Subscription::WhenStarted(absl::AnyInvocable<void(absl::Status)> done) {
  on_started_ = std::move(done);
  MaybeFinishStart();
}

void Subscription::CursorStartedAt(const Partition& partition,
                                   uint64_t offset) {
  if (!start_reported_) {
    started_.push_back({partition.topic(), partition.index(), offset});
  }
  CursorStarted(absl::OkStatus());
}

void Subscription::CursorStarted(const absl::Status& status) {
  --pending_starts_;
  if (start_status_.ok()) start_status_ = status;
  MaybeFinishStart();
}

void Subscription::MaybeFinishStart() {
  if (on_started_ && (pending_starts_ == 0 || !start_status_.ok())) {
    auto done = std::move(on_started_);
    on_started_ = nullptr;
    done(start_status_);
    start_reported_ = true;
    started_.clear();
  }
}

void Subscription::CursorRemoved(const Cursor* cursor) {
  for (auto it = members_.begin(); it != members_.end(); ++it) {
    if (it->second.get() == cursor) {
      members_.erase(it);
      break;
    }
  }
  std::erase_if(cursors_,
                [cursor](const auto& c) { return c.get() == cursor; });
}

absl::Status Subscription::Ack(const wire::AckRange& range, bool nack,
                               absl::AnyInvocable<void(absl::Status)> stored) {
  if (!spec_.tracking.has_value() ||
      spec_.tracking->ack_mode == wire::Subscribe::NONE) {
    return absl::FailedPreconditionError(
        absl::StrCat("subscription ", id(), " takes no acks"));
  }
  auto it = members_.find(std::make_pair(range.topic(), range.partition()));
  if (it == members_.end()) {
    return absl::NotFoundError(absl::StrCat("subscription ", id(),
                                            " does not follow ", range.topic(),
                                            "/", range.partition()));
  }
  it->second->Ack(range, nack, std::move(stored));
  return absl::OkStatus();
}

uint64_t Subscription::credit_messages() const {
  return credit_messages_ > 0 ? static_cast<uint64_t>(credit_messages_) : 0;
}

uint64_t Subscription::credit_bytes() const {
  return credit_bytes_ > 0 ? static_cast<uint64_t>(credit_bytes_) : 0;
}

void Subscription::SendSnapshotEnd(const Partition& partition) {
  sink_->SnapshotEnd(id(), partition.topic(), partition.index());
}

void Subscription::Fail(const absl::Status& status) {
  if (closed_) return;
  sink_->FailSubscription(id(), status);
}

void Subscription::AddCredit(uint64_t messages, uint64_t bytes) {
  AddSaturating(messages, &credit_messages_);
  AddSaturating(bytes, &credit_bytes_);
  Resume();
}

void Subscription::Resume() {
  for (const auto& cursor : cursors_) cursor->Pump();
}

bool Subscription::CanSend() const {
  return !closed_ && credit_messages_ > 0 && credit_bytes_ > 0 &&
         sink_->HasRoom();
}

void Subscription::Send(std::shared_ptr<const DeliveryBatch> batch,
                        uint32_t delivery_count) {
  credit_messages_ -= batch->count;
  credit_bytes_ -= static_cast<int64_t>(batch->credit_bytes());
  sink_->Deliver(id(), std::move(batch), delivery_count);
}

void Subscription::Close() {
  if (closed_) return;
  closed_ = true;
  for (const auto& cursor : cursors_) cursor->Close();
  cursors_.clear();
  members_.clear();
  if (on_started_) {
    auto done = std::move(on_started_);
    on_started_ = nullptr;
    done(absl::CancelledError("subscription closed"));
  }
}

}  // namespace chorus::broker
