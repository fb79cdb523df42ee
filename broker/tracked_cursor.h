// TrackedCursor: the position of a subscription that takes acks, in one
// partition, shared by the subscription's members.
//
// It hands out the partition's messages to members that asked for work
// (Ready), remembers every message handed out until it is acked, hands a
// message out again when its ack does not come in time, when it is nacked or
// when its member leaves, and after max_deliveries sends it to the
// dead-letter topic. For a group, the messages of one key go to one member
// (the key's slot owner) and a slot moves to another member only once none
// of its messages are awaiting an ack, so per-key order survives members
// joining and leaving. A durable cursor stores its position (CursorStore)
// through the shard's group commit.
//
// Threading: owned by its Partition and lives on the partition's shard;
// every method runs there. Members live on their connections' shards and
// are reached by posting.
//
//   auto cursor = std::make_shared<TrackedCursor>(partition, config, ...);
//   cursor->Join(member);                    // member->Started(...) follows
//   cursor->Ready(member_id, 500, 1 << 20);  // deliveries are posted
//   cursor->Ack(member_id, range, /*nack=*/false);
#ifndef CHORUS_BROKER_TRACKED_CURSOR_H_
#define CHORUS_BROKER_TRACKED_CURSOR_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "asio.hpp"
#include "broker/delivery.h"
#include "broker/shard.h"
#include "proto/protocol.pb.h"
#include "proto/records.h"
#include "proto/storage.pb.h"
#include "storage/stored_batch.h"

namespace chorus::broker {

class DeadLetters;
class Partition;

// How a subscription that takes acks behaves (from Subscribe).
struct TrackingConfig {
  // The subscription's name; unnamed subscriptions get a broker-made one.
  std::string name;
  // True for named subscriptions: the position is stored and outlives the
  // members.
  bool durable = false;
  bool group = false;
  wire::Subscribe::AckMode ack_mode = wire::Subscribe::NONE;
  int64_t ack_wait_ms = 30'000;
  // 0: unlimited.
  uint32_t max_deliveries = 0;
  // Empty: "<topic>.dead-letter".
  std::string dead_letter_topic;
  // Empty: every publisher.
  std::string from_publisher;
  // Where a partition with no stored position starts...
  wire::StartPosition start;
  // ...unless its topic was created after this time (unix ms): then from
  // its beginning, so that nothing published to it is missed.
  int64_t created_ms = 0;
};

// One batch handed to a member: consecutive offsets, one delivery count.
struct TrackedDelivery {
  std::shared_ptr<const DeliveryBatch> batch;
  uint32_t delivery_count = 0;
};

// A member's end, implemented by MemberCursor. TrackedCursor posts every
// call to the member's shard.
class TrackedMember {
 public:
  virtual ~TrackedMember() = default;
  virtual Shard* shard() const = 0;
  // The cursor took the member, standing at `position` (its first offset
  // not yet done), or could not (the first error).
  virtual void Started(absl::StatusOr<uint64_t> position) = 0;
  // Answers one Ready: the batches it was given (never empty).
  virtual void Deliver(std::vector<TrackedDelivery> deliveries) = 0;
  // The partition is gone (topic deleted).
  virtual void Removed() = 0;
  // The cursor cannot go on (data loss, storage failure).
  virtual void Failed(absl::Status status) = 0;
};

class TrackedCursor : public std::enable_shared_from_this<TrackedCursor> {
 public:
  // Most messages awaiting an ack per partition; reading stops there.
  static constexpr size_t kMaxPending = 10'000;

  TrackedCursor(std::shared_ptr<Partition> partition, TrackingConfig config,
                DeadLetters* dead_letters);

  const TrackingConfig& config() const { return config_; }
  size_t members() const { return members_.size(); }
  bool idle() const { return members_.empty(); }

  // Loads the stored position (durable) or resolves config.start, once;
  // topic_created_ms tells whether the topic is newer than the subscription.
  // Errors: kDataLoss for a stored position that does not parse, and those
  // of resolving a start position.
  absl::Status Open(int64_t topic_created_ms);

  void Join(uint64_t member_id, std::weak_ptr<TrackedMember> member);
  // The member's messages awaiting an ack go to other members.
  void Leave(uint64_t member_id);
  // The member may take up to this many messages and bytes (one answer).
  void Ready(uint64_t member_id, uint64_t max_messages, uint64_t max_bytes);
  // Acks (or nacks) `range`'s messages. `stored` (may be null) runs on this
  // shard once the position it moved is stored.
  void Ack(uint64_t member_id, const wire::AckRange& range, bool nack,
           absl::AnyInvocable<void(absl::Status)> stored);
  // The partition committed new messages.
  void OnCommitted();
  // The partition was deleted: members hear of it; nothing more is done.
  void Close();

  void Describe(wire::SubscriptionPartition* info) const;
  uint64_t dead_lettered() const { return dead_lettered_; }

 private:
  struct Pending {
    uint64_t member = 0;  // 0: waiting to be handed out (again)
    uint32_t deliveries = 0;
    uint16_t slot = 0;
    bool slot_known = true;  // false for entries restored from the Store
    int64_t deadline_ms = 0;
  };
  // Records [from, to) of one stored batch, gathered for one member until
  // the batch in hand changes.
  struct Run {
    std::string_view stored;
    uint64_t from = 0;
    uint64_t to = 0;
    uint32_t delivery_count = 0;
  };
  struct Member {
    uint64_t id = 0;
    std::weak_ptr<TrackedMember> endpoint;
    bool ready = false;
    uint64_t max_messages = 0;
    uint64_t max_bytes = 0;
    Run run;
    std::vector<TrackedDelivery> outgoing;
  };
  static constexpr size_t kSlots = 256;

  bool tracking() const { return config_.ack_mode != wire::Subscribe::NONE; }
  uint64_t position() const;
  Member* FindMember(uint64_t id);
  // The member that gets messages of `slot` now, or null if none is ready.
  Member* TargetFor(uint16_t slot);
  void Dispatch();
  void HandOutWaiting();
  void HandOutNew();
  // Hands the records of `stored` in [from, to) to members (or marks them
  // waiting); returns false when no member can take more.
  bool Distribute(std::string_view stored, const storage::StoredBatchView& view,
                  uint64_t from, uint64_t to);
  // Adds [from, to) of `stored` (about `bytes` of records) to the member's
  // run; `stored` must stay valid until CloseRuns.
  void Give(Member& member, std::string_view stored, uint64_t from, uint64_t to,
            uint32_t delivery_count, uint64_t bytes);
  // Turns the member's open run (every member's) into a delivery batch.
  void CloseRun(Member& member);
  void CloseRuns();
  void FlushOutgoing();
  // Logs `status` and tells every member: the subscription stops at the
  // damage instead of skipping it silently.
  void ReportFailure(const absl::Status& status);
  // Marks a handed-out message as waiting to be handed out again.
  void MakeWaiting(uint64_t offset, Pending& pending);
  // Forgets `pending` (acked, dead-lettered or gone) from the counts.
  void Release(uint64_t offset, const Pending& pending);
  void DeadLetter(uint64_t offset, const proto::RecordView& record,
                  std::string_view publisher, uint32_t deliveries);
  void ScheduleTimer();
  void ExpireOverdue();
  void MarkDirty(absl::AnyInvocable<void(absl::Status)> stored);
  void StagePosition();

  const std::shared_ptr<Partition> partition_;
  const TrackingConfig config_;
  DeadLetters* const dead_letters_;
  bool opened_ = false;
  bool closed_ = false;
  bool dispatching_ = false;

  uint64_t next_read_ = 0;
  // Every message handed out and not yet acked, and those waiting to be
  // handed out (again); waiting_ holds the offsets of the latter.
  absl::btree_map<uint64_t, Pending> pending_;
  absl::btree_set<uint64_t> waiting_;
  uint64_t dead_lettered_ = 0;

  std::vector<Member> members_;
  std::array<uint64_t, kSlots> slot_owner_{};
  std::array<uint32_t, kSlots> slot_pending_{};

  asio::steady_timer timer_;
  bool timer_armed_ = false;
  bool stage_scheduled_ = false;
  std::vector<absl::AnyInvocable<void(absl::Status)>> waiting_for_store_;
};

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_TRACKED_CURSOR_H_
