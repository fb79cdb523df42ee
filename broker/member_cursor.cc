#include "broker/member_cursor.h"

#include <atomic>
#include <utility>

#include "broker/partition.h"

namespace chorus::broker {
namespace {

// Member ids are unique in the broker, whatever shard made them.
std::atomic<uint64_t> next_member_id{1};

}  // namespace

MemberCursor::MemberCursor(Subscription* owner,
                           std::shared_ptr<Partition> partition, Shard* shard)
    : owner_(owner),
      partition_(std::move(partition)),
      shard_(shard),
      member_id_(next_member_id.fetch_add(1, std::memory_order_relaxed)) {}

void MemberCursor::Join(const TrackingConfig& config, int64_t topic_created_ms,
                        DeadLetters* dead_letters) {
  name_ = config.name;
  asio::post(partition_->shard()->executor(),
             [partition = partition_, config, topic_created_ms, dead_letters,
              id = member_id_, self = weak_from_this()] {
               partition->JoinTracked(config, topic_created_ms, dead_letters,
                                      id, self);
             });
}

void MemberCursor::WithCursor(absl::AnyInvocable<void(TrackedCursor&)> call) {
  asio::post(
      partition_->shard()->executor(),
      [partition = partition_, name = name_, call = std::move(call)]() mutable {
        if (std::shared_ptr<TrackedCursor> cursor =
                partition->FindTracked(name)) {
          call(*cursor);
        }
      });
}

void MemberCursor::Ack(const wire::AckRange& range, bool nack,
                       absl::AnyInvocable<void(absl::Status)> stored) {
  if (closed_) {
    if (stored) stored(absl::OkStatus());
    return;
  }
  absl::AnyInvocable<void(absl::Status)> back;
  if (stored) {
    back = [shard = shard_,
            stored = std::move(stored)](absl::Status status) mutable {
      asio::post(shard->executor(), [stored = std::move(stored),
                                     status]() mutable { stored(status); });
    };
  }
  WithCursor([id = member_id_, range, nack,
              back = std::move(back)](TrackedCursor& cursor) mutable {
    cursor.Ack(id, range, nack, std::move(back));
  });
}

void MemberCursor::Pump() {
  if (!started_ || closed_ || asked_ || !owner_->CanSend()) return;
  asked_ = true;
  WithCursor([id = member_id_, messages = owner_->credit_messages(),
              bytes = owner_->credit_bytes()](TrackedCursor& cursor) {
    cursor.Ready(id, messages, bytes);
  });
}

void MemberCursor::Close() {
  if (closed_) return;
  closed_ = true;
  WithCursor([id = member_id_](TrackedCursor& cursor) { cursor.Leave(id); });
}

void MemberCursor::Started(absl::StatusOr<uint64_t> position) {
  if (closed_) return;
  started_ = position.ok();
  if (!started_) {
    closed_ = true;
    owner_->CursorStarted(position.status());
  } else {
    owner_->CursorStartedAt(*partition_, *position);
  }
  Pump();
}

void MemberCursor::Deliver(std::vector<TrackedDelivery> deliveries) {
  asked_ = false;
  if (closed_) return;  // the cursor hands them out again once we leave
  for (TrackedDelivery& delivery : deliveries) {
    owner_->Send(std::move(delivery.batch), delivery.delivery_count);
  }
  Pump();
}

void MemberCursor::Failed(absl::Status status) {
  if (!closed_) owner_->Fail(status);
}

void MemberCursor::Removed() {
  if (closed_) return;
  closed_ = true;
  owner_->CursorRemoved(this);
}

}  // namespace chorus::broker
