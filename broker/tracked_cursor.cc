#include "broker/tracked_cursor.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "broker/batch_walker.h"
#include "broker/dead_letters.h"
#include "broker/partition.h"
#include "common/log.h"
#include "common/partitioner.h"
#include "storage/cursor_store.h"

namespace chorus::broker {
namespace {

// How much one dispatch step reads from the log.
constexpr size_t kReadChunkBytes = 256 * 1024;

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

}  // namespace

TrackedCursor::TrackedCursor(std::shared_ptr<Partition> partition,
                             TrackingConfig config, DeadLetters* dead_letters)
    : partition_(std::move(partition)),
      config_(std::move(config)),
      dead_letters_(dead_letters),
      timer_(partition_->shard()->executor()) {}

absl::Status TrackedCursor::Open(int64_t topic_created_ms) {
  if (config_.durable) {
    storage::CursorStore cursors(partition_->log().store());
    absl::StatusOr<std::optional<wire::CursorPosition>> stored =
        cursors.LoadPosition(config_.name, partition_->log().partition_id());
    if (!stored.ok()) return stored.status();
    if (stored->has_value()) {
      const uint64_t first = partition_->start_offset();
      next_read_ = std::max<uint64_t>((*stored)->position(), first);
      for (uint64_t offset : (*stored)->pending()) {
        if (offset < first || offset >= next_read_) continue;
        // Delivered before the restart: its key's slot is found on the way
        // out again.
        pending_[offset] = Pending{.deliveries = 1, .slot_known = false};
        waiting_.insert(offset);
      }
      opened_ = true;
      return absl::OkStatus();
    }
  }
  wire::StartPosition start = config_.start;
  if (topic_created_ms > config_.created_ms) {
    start.set_kind(wire::StartPosition::EARLIEST);
  }
  absl::StatusOr<uint64_t> offset = partition_->ResolveStart(start);
  if (!offset.ok()) return offset.status();
  next_read_ = *offset;
  opened_ = true;
  MarkDirty(nullptr);  // a durable cursor's start must survive a restart
  return absl::OkStatus();
}

uint64_t TrackedCursor::position() const {
  return pending_.empty() ? next_read_
                          : std::min(pending_.begin()->first, next_read_);
}

TrackedCursor::Member* TrackedCursor::FindMember(uint64_t id) {
  for (Member& member : members_) {
    if (member.id == id) return &member;
  }
  return nullptr;
}

void TrackedCursor::Join(uint64_t member_id,
                         std::weak_ptr<TrackedMember> member) {
  members_.push_back(Member{.id = member_id, .endpoint = member});
  if (std::shared_ptr<TrackedMember> endpoint = member.lock()) {
    asio::post(endpoint->shard()->executor(),
               [endpoint, at = position()] { endpoint->Started(at); });
  }
}

void TrackedCursor::Leave(uint64_t member_id) {
  std::erase_if(members_,
                [member_id](const Member& m) { return m.id == member_id; });
  for (auto& [offset, pending] : pending_) {
    if (pending.member == member_id) MakeWaiting(offset, pending);
  }
  for (uint64_t& owner : slot_owner_) {
    if (owner == member_id) owner = 0;
  }
  if (members_.empty() && !config_.durable) {
    closed_ = true;
    timer_.cancel();
    partition_->ForgetTracked(config_.name);
    return;
  }
  Dispatch();
}

void TrackedCursor::Ready(uint64_t member_id, uint64_t max_messages,
                          uint64_t max_bytes) {
  Member* member = FindMember(member_id);
  if (member == nullptr || max_messages == 0 || max_bytes == 0) return;
  member->ready = true;
  member->max_messages = max_messages;
  member->max_bytes = max_bytes;
  Dispatch();
}

void TrackedCursor::Ack(uint64_t member_id, const wire::AckRange& range,
                        bool nack,
                        absl::AnyInvocable<void(absl::Status)> stored) {
  // Returns the entry after `it`.
  auto settle = [&](absl::btree_map<uint64_t, Pending>::iterator it) {
    if (!nack) {
      Release(it->first, it->second);
      return pending_.erase(it);
    }
    if (it->second.member == member_id) MakeWaiting(it->first, it->second);
    return std::next(it);
  };
  for (uint64_t offset : range.offsets()) {
    if (auto it = pending_.find(offset); it != pending_.end()) settle(it);
  }
  for (auto it = pending_.begin();
       it != pending_.end() && it->first < range.up_to();) {
    it = it->second.member == member_id ? settle(it) : std::next(it);
  }
  MarkDirty(std::move(stored));
  Dispatch();
}

void TrackedCursor::OnCommitted() {
  for (const Member& member : members_) {
    if (member.ready) return Dispatch();
  }
}

void TrackedCursor::Close() {
  if (closed_) return;
  closed_ = true;
  timer_.cancel();
  for (const Member& member : members_) {
    if (std::shared_ptr<TrackedMember> endpoint = member.endpoint.lock()) {
      asio::post(endpoint->shard()->executor(),
                 [endpoint] { endpoint->Removed(); });
    }
  }
  members_.clear();
}

void TrackedCursor::Describe(wire::SubscriptionPartition* info) const {
  info->set_topic(partition_->topic());
  info->set_partition(partition_->index());
  const uint64_t head = partition_->committed_end();
  info->set_position(position());
  info->set_head(head);
  info->set_lag(head > position() ? head - position() : 0);
  info->set_pending(pending_.size() - waiting_.size());
}

TrackedCursor::Member* TrackedCursor::TargetFor(uint16_t slot) {
  if (!config_.group) {
    for (Member& member : members_) {
      if (member.ready) return &member;
    }
    return nullptr;
  }
  if (members_.empty()) return nullptr;
  Member* desired = &members_[slot % members_.size()];
  Member* current =
      slot_owner_[slot] == 0 ? nullptr : FindMember(slot_owner_[slot]);
  // A slot moves only while none of its messages await an ack, so that a
  // key's messages are never with two members at once.
  if (current == nullptr || (current != desired && slot_pending_[slot] == 0)) {
    slot_owner_[slot] = desired->id;
    current = desired;
  }
  return current->ready ? current : nullptr;
}

void TrackedCursor::Dispatch() {
  if (closed_ || !opened_ || dispatching_) return;
  if (std::none_of(members_.begin(), members_.end(),
                   [](const Member& m) { return m.ready; })) {
    return;
  }
  dispatching_ = true;
  const uint64_t before = position();
  if (!waiting_.empty()) HandOutWaiting();
  HandOutNew();
  FlushOutgoing();
  dispatching_ = false;
  if (position() != before) MarkDirty(nullptr);
  ScheduleTimer();
}

void TrackedCursor::HandOutWaiting() {
  BatchWalker walker(partition_->log());
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    const uint64_t offset = *it;
    Pending& pending = pending_[offset];
    const bool dead = config_.max_deliveries != 0 &&
                      pending.deliveries >= config_.max_deliveries;
    // Skip, without reading, what no ready member can take now.
    if (!dead && pending.slot_known && TargetFor(pending.slot) == nullptr) {
      ++it;
      continue;
    }
    if (walker.stored().empty() || offset < walker.header().base_offset ||
        offset >= walker.header().base_offset + walker.header().count) {
      CloseRuns();  // the runs view the batch in hand
    }
    absl::StatusOr<bool> found = walker.Seek(offset);
    if (!found.ok()) {
      ReportFailure(absl::Status(
          found.status().code(),
          absl::StrCat(partition_->topic(), "/", partition_->index(), " at ",
                       offset, ": ", found.status().message())));
      break;
    }
    if (!*found || dead) {
      // Removed by retention while it waited, or out of deliveries.
      if (dead) {
        DeadLetter(offset, walker.record(), walker.header().publisher,
                   pending.deliveries);
      }
      pending_.erase(offset);
      it = waiting_.erase(it);
      continue;
    }
    if (!pending.slot_known) {
      const std::string_view key = walker.record().key;
      pending.slot = static_cast<uint16_t>(config_.group && !key.empty()
                                               ? PartitionForKey(key, kSlots)
                                               : offset % kSlots);
      pending.slot_known = true;
    }
    Member* target = TargetFor(pending.slot);
    if (target == nullptr) {
      ++it;
      continue;
    }
    Give(*target, walker.stored(), offset, offset + 1, pending.deliveries + 1,
         walker.record().encoded.size());
    it = waiting_.erase(it);
    if (!tracking()) {
      pending_.erase(offset);
      continue;
    }
    pending.member = target->id;
    ++pending.deliveries;
    pending.deadline_ms = NowMs() + config_.ack_wait_ms;
    ++slot_pending_[pending.slot];
    if (std::none_of(members_.begin(), members_.end(),
                     [](const Member& m) { return m.ready; })) {
      break;
    }
  }
  CloseRuns();
}

void TrackedCursor::HandOutNew() {
  const uint64_t end = partition_->committed_end();
  while (next_read_ < end && (!tracking() || pending_.size() < kMaxPending) &&
         std::any_of(members_.begin(), members_.end(),
                     [](const Member& m) { return m.ready; })) {
    next_read_ = std::max(next_read_, partition_->start_offset());
    std::vector<std::string> stored;
    if (absl::Status read =
            partition_->log().Read(next_read_, end, kReadChunkBytes, &stored);
        !read.ok()) {
      ReportFailure(absl::Status(
          read.code(),
          absl::StrCat("read ", partition_->topic(), "/", partition_->index(),
                       " at ", next_read_, ": ", read.message())));
      return;
    }
    if (stored.empty()) return;
    for (const std::string& value : stored) {
      absl::StatusOr<storage::StoredBatchView> view =
          storage::ParseStoredBatch(value);
      if (!view.ok()) {
        ReportFailure(absl::DataLossError(absl::StrCat(
            "data loss in ", partition_->topic(), "/", partition_->index(),
            " at offset ", next_read_, ": ", view.status().message())));
        return;
      }
      const uint64_t batch_end = view->header.base_offset + view->header.count;
      if (batch_end <= next_read_) continue;
      if (!config_.from_publisher.empty() &&
          view->header.publisher != config_.from_publisher) {
        next_read_ = batch_end;
        continue;
      }
      const bool more = Distribute(value, *view, next_read_, batch_end);
      CloseRuns();  // the runs view `value`
      if (!more) return;
    }
  }
}

bool TrackedCursor::Distribute(std::string_view stored,
                               const storage::StoredBatchView& view,
                               uint64_t from, uint64_t to) {
  if (!config_.group) {
    Member* target = TargetFor(0);
    if (target == nullptr) return false;
    uint64_t n = std::min(to - from, target->max_messages);
    if (tracking()) n = std::min<uint64_t>(n, kMaxPending - pending_.size());
    if (n == 0) return false;
    Give(*target, stored, from, from + n, 1,
         stored.size() * n / view.header.count);
    if (tracking()) {
      const int64_t deadline = NowMs() + config_.ack_wait_ms;
      for (uint64_t offset = from; offset < from + n; ++offset) {
        pending_.emplace_hint(pending_.end(), offset,
                              Pending{.member = target->id,
                                      .deliveries = 1,
                                      .deadline_ms = deadline});
      }
      slot_pending_[0] += static_cast<uint32_t>(n);
    }
    next_read_ = from + n;
    return next_read_ == to;
  }
  proto::RecordReader reader(view.records);
  proto::RecordView record;
  const int64_t deadline = NowMs() + config_.ack_wait_ms;
  for (uint64_t offset = view.header.base_offset;
       offset < to && reader.Next(&record); ++offset) {
    if (offset < from) continue;
    if (tracking() && pending_.size() >= kMaxPending) return false;
    const uint16_t slot = static_cast<uint16_t>(
        record.key.empty() ? offset % kSlots
                           : PartitionForKey(record.key, kSlots));
    Member* target = TargetFor(slot);
    next_read_ = offset + 1;
    if (target == nullptr) {
      // Its key's member is busy: it waits, the others go on.
      pending_.emplace_hint(pending_.end(), offset,
                            Pending{.member = 0, .slot = slot});
      waiting_.insert(waiting_.end(), offset);
      continue;
    }
    Give(*target, stored, offset, offset + 1, 1, record.encoded.size());
    if (tracking()) {
      pending_.emplace_hint(pending_.end(), offset,
                            Pending{.member = target->id,
                                    .deliveries = 1,
                                    .slot = slot,
                                    .deadline_ms = deadline});
      ++slot_pending_[slot];
    }
  }
  return std::any_of(members_.begin(), members_.end(),
                     [](const Member& m) { return m.ready; });
}

void TrackedCursor::Give(Member& member, std::string_view stored, uint64_t from,
                         uint64_t to, uint32_t delivery_count, uint64_t bytes) {
  // Without acks nothing is counted: the message is done once sent.
  if (!tracking()) delivery_count = 0;
  Run& run = member.run;
  const bool extends = run.to > run.from &&
                       run.stored.data() == stored.data() && run.to == from &&
                       run.delivery_count == delivery_count;
  if (!extends) {
    CloseRun(member);
    run = Run{stored, from, to, delivery_count};
  } else {
    run.to = to;
  }
  member.max_messages -= std::min(member.max_messages, to - from);
  member.max_bytes -= std::min(member.max_bytes, bytes);
  if (member.max_messages == 0 || member.max_bytes == 0) member.ready = false;
}

void TrackedCursor::CloseRun(Member& member) {
  Run& run = member.run;
  if (run.to <= run.from) return;
  absl::StatusOr<std::shared_ptr<const DeliveryBatch>> batch =
      DeliveryBatch::FromStored(partition_->topic(), partition_->index(),
                                run.stored, run.from, run.to);
  if (batch.ok()) {
    member.outgoing.push_back({*std::move(batch), run.delivery_count});
  } else {
    ReportFailure(batch.status());
  }
  run = Run{};
}

void TrackedCursor::CloseRuns() {
  for (Member& member : members_) CloseRun(member);
}

void TrackedCursor::ReportFailure(const absl::Status& status) {
  Log(LogLevel::kError, "subscription",
      absl::StrCat(config_.name, ": ", status.ToString()));
  for (const Member& member : members_) {
    if (std::shared_ptr<TrackedMember> endpoint = member.endpoint.lock()) {
      asio::post(endpoint->shard()->executor(),
                 [endpoint, status] { endpoint->Failed(status); });
    }
  }
}

void TrackedCursor::FlushOutgoing() {
  CloseRuns();
  for (Member& member : members_) {
    if (member.outgoing.empty()) continue;
    member.ready = false;  // one answer per Ready
    std::shared_ptr<TrackedMember> endpoint = member.endpoint.lock();
    if (!endpoint) {
      member.outgoing.clear();
      continue;
    }
    asio::post(endpoint->shard()->executor(),
               [endpoint, deliveries = std::move(member.outgoing)]() mutable {
                 endpoint->Deliver(std::move(deliveries));
               });
    member.outgoing.clear();
  }
}

void TrackedCursor::MakeWaiting(uint64_t offset, Pending& pending) {
  if (pending.member == 0) return;
  --slot_pending_[pending.slot];
  pending.member = 0;
  waiting_.insert(offset);
}

void TrackedCursor::Release(uint64_t offset, const Pending& pending) {
  if (pending.member == 0) {
    waiting_.erase(offset);
  } else {
    --slot_pending_[pending.slot];
  }
}

void TrackedCursor::DeadLetter(uint64_t offset, const proto::RecordView& record,
                               std::string_view publisher,
                               uint32_t deliveries) {
  std::vector<proto::HeaderPair> headers;
  proto::HeaderReader header_reader(record.body);
  std::string_view name, value;
  while (header_reader.Next(&name, &value)) headers.emplace_back(name, value);
  headers.emplace_back("chorus-dead-letter-topic", partition_->topic());
  headers.emplace_back("chorus-dead-letter-partition",
                       absl::StrCat(partition_->index()));
  headers.emplace_back("chorus-dead-letter-offset", absl::StrCat(offset));
  headers.emplace_back("chorus-deliveries", absl::StrCat(deliveries));
  headers.emplace_back("chorus-subscription", config_.name);
  std::string records;
  proto::AppendRecord(record.key, record.value, headers, &records);
  const std::string topic =
      config_.dead_letter_topic.empty()
          ? absl::StrCat(partition_->topic(), ".dead-letter")
          : config_.dead_letter_topic;
  ++dead_lettered_;
  Log(LogLevel::kWarning, "subscription",
      absl::StrCat(config_.name, ": ", partition_->topic(), "/",
                   partition_->index(), " offset ", offset, " was delivered ",
                   deliveries, " times without an ack; moved to ", topic));
  dead_letters_->Publish(topic, std::move(records), std::string(publisher));
}

void TrackedCursor::ScheduleTimer() {
  if (closed_ || timer_armed_ || !tracking() ||
      pending_.size() == waiting_.size()) {
    return;
  }
  timer_armed_ = true;
  const int64_t tick = std::clamp<int64_t>(config_.ack_wait_ms / 4, 10, 1000);
  timer_.expires_after(std::chrono::milliseconds(tick));
  timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
    self->timer_armed_ = false;
    if (ec || self->closed_) return;
    self->ExpireOverdue();
  });
}

void TrackedCursor::ExpireOverdue() {
  const int64_t now = NowMs();
  for (auto& [offset, pending] : pending_) {
    if (pending.member != 0 && pending.deadline_ms <= now) {
      MakeWaiting(offset, pending);
    }
  }
  Dispatch();
  ScheduleTimer();  // Dispatch returns early when no member is ready
}

void TrackedCursor::MarkDirty(absl::AnyInvocable<void(absl::Status)> stored) {
  if (!config_.durable) {
    if (stored) stored(absl::OkStatus());
    return;
  }
  if (stored) waiting_for_store_.push_back(std::move(stored));
  if (stage_scheduled_) return;
  stage_scheduled_ = true;
  // Staged once per shard turn however many acks the turn brought.
  asio::post(partition_->shard()->executor(),
             [self = shared_from_this()] { self->StagePosition(); });
}

void TrackedCursor::StagePosition() {
  stage_scheduled_ = false;
  if (closed_) return;
  wire::CursorPosition position;
  position.set_position(next_read_);
  for (const auto& [offset, pending] : pending_) position.add_pending(offset);
  GroupCommit& commit = partition_->shard()->group_commit();
  storage::CursorStore(partition_->log().store())
      .StagePosition(config_.name, partition_->log().partition_id(), position,
                     commit.Batch());
  if (waiting_for_store_.empty()) return;
  commit.OnStored(
      [callbacks = std::move(waiting_for_store_)](absl::Status status) mutable {
        for (auto& callback : callbacks) callback(status);
      });
  waiting_for_store_.clear();
}

}  // namespace chorus::broker
