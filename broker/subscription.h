// Subscription and PartitionCursor: one client subscription and its position
// in each partition it follows.
//
// A plain subscription (no name, no acks) has a PartitionCursor per
// partition. A cursor is live when it has caught up: the partition then
// hands it each stored batch, which it sends as is. When it is behind —
// replaying history or a snapshot, out of credit, or its connection's write
// queue is full — it drops live batches and later reads what it missed from
// the log, so a slow subscriber costs the broker no memory and never holds
// up anyone else. A subscription that takes acks or has a name follows each
// partition through a MemberCursor instead (see member_cursor.h).
//
// Threading: all live on the shard of the subscriber's connection; every
// method runs there. Partitions reach cursors by posting to that shard.
//
//   auto sub = std::make_shared<Subscription>(spec, shard, sink);
//   sub->AttachTopic(topic, /*newly_created=*/false);
//   sub->WhenStarted([](absl::Status s) { /* send SubscribeAck */ });
#ifndef CHORUS_BROKER_SUBSCRIPTION_H_
#define CHORUS_BROKER_SUBSCRIPTION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/delivery.h"
#include "broker/shard.h"
#include "broker/topic.h"
#include "broker/topic_name.h"
#include "broker/tracked_cursor.h"
#include "proto/protocol.pb.h"

namespace chorus::broker {

class DeadLetters;
class MemberCursor;
class Partition;
class Subscription;

// Where deliveries go: the subscriber's connection.
class DeliverySink {
 public:
  virtual ~DeliverySink() = default;
  // False while the connection's write queue is over its limit.
  virtual bool HasRoom() const = 0;
  // `delivery_count` is 0 for subscriptions that take no acks.
  virtual void Deliver(uint64_t subscription_id,
                       std::shared_ptr<const DeliveryBatch> batch,
                       uint32_t delivery_count) = 0;
  virtual void SnapshotEnd(uint64_t subscription_id, const std::string& topic,
                           uint32_t partition) = 0;
  // The subscription cannot go on (its log is damaged: kDataLoss); the
  // subscriber must hear why.
  virtual void FailSubscription(uint64_t subscription_id,
                                const absl::Status& status) = 0;
};

// A subscription's hold on one partition.
class Cursor {
 public:
  virtual ~Cursor() = default;
  // Sends what it may (credit and room allowing).
  virtual void Pump() = 0;
  // Lets go of the partition; no call after this has any effect.
  virtual void Close() = 0;
};

// What a client asked for in Subscribe.
struct SubscriptionSpec {
  uint64_t id = 0;
  TopicFilter filter;
  wire::StartPosition start;
  uint64_t credit_messages = 0;
  uint64_t credit_bytes = 0;
  // Plain subscriptions: only this publisher's messages (empty: all).
  std::string from_publisher;
  // Set for a subscription with a name or acks: it follows partitions
  // through tracked cursors.
  std::optional<TrackingConfig> tracking;
  // Unnamed subscriptions: where to start in these partitions (topic and
  // index) instead of `start`, for topics that exist when it begins.
  absl::flat_hash_map<std::pair<std::string, uint32_t>, uint64_t> resume;
};

// Where a subscription started following one partition (SubscribeAck).
struct StartedAt {
  std::string topic;
  uint32_t partition = 0;
  uint64_t offset = 0;
};

class PartitionCursor : public Cursor,
                        public std::enable_shared_from_this<PartitionCursor> {
 public:
  // With `snapshot`, the cursor first sends the last value of each key
  // stored before its start offset, then SnapshotEnd, then the log.
  PartitionCursor(Subscription* owner, std::shared_ptr<Partition> partition,
                  Shard* shard, bool snapshot);

  Shard* shard() const { return shard_; }

  // From the partition: where to start (or why it cannot).
  void Start(absl::StatusOr<uint64_t> offset);
  // From the partition: a batch was stored.
  void OnStored(std::shared_ptr<const DeliveryBatch> batch);
  // From the partition: its topic was deleted.
  void OnPartitionRemoved();

  // Catches up from the snapshot or the log if behind and allowed to send.
  void Pump() override;
  void Close() override;

 private:
  void ReadFromLog();
  void ReadSnapshot();
  bool Wanted(const DeliveryBatch& batch) const;

  Subscription* owner_;
  std::shared_ptr<Partition> partition_;
  Shard* shard_;
  uint64_t next_ = 0;
  bool started_ = false;
  bool closed_ = false;
  bool read_scheduled_ = false;
  // Snapshot phase: keys after snapshot_after_ are still to be sent.
  bool snapshot_ = false;
  bool snapshot_after_set_ = false;
  std::string snapshot_after_;
};

class Subscription : public std::enable_shared_from_this<Subscription>,
                     public TopicWatcher {
 public:
  Subscription(SubscriptionSpec spec, Shard* shard, DeliverySink* sink,
               DeadLetters* dead_letters);
  ~Subscription() override;

  uint64_t id() const { return spec_.id; }
  const TopicFilter& filter() const override { return spec_.filter; }
  const SubscriptionSpec& spec() const { return spec_; }

  // Follows every partition of `topic`: from the subscription's start
  // position, or from the beginning for a topic created after the
  // subscription began (so that nothing published to it is missed).
  void AttachTopic(const std::shared_ptr<Topic>& topic, bool newly_created);
  // Any thread (the registry): posts AttachTopic to this shard.
  void OnTopicCreated(std::shared_ptr<Topic> topic) override;

  // Runs `done` once every partition attached so far has its start offset
  // (or with the first error).
  void WhenStarted(absl::AnyInvocable<void(absl::Status)> done);
  // Where each partition attached before WhenStarted's `done` started (call
  // from `done`; later starts are not kept).
  std::vector<StartedAt> TakeStarted() { return std::move(started_); }

  void AddCredit(uint64_t messages, uint64_t bytes);
  // The connection's write queue drained: resume cursors that fell behind.
  void Resume();
  void Close();
  bool closed() const { return closed_; }

  // Acks or nacks messages of one partition; `stored` as for
  // TrackedCursor::Ack. kNotFound if the subscription does not follow it;
  // kFailedPrecondition if it takes no acks.
  absl::Status Ack(const wire::AckRange& range, bool nack,
                   absl::AnyInvocable<void(absl::Status)> stored);

  // For cursors.
  bool CanSend() const;
  // Credit left, for members asking tracked cursors for work.
  uint64_t credit_messages() const;
  uint64_t credit_bytes() const;
  void Send(std::shared_ptr<const DeliveryBatch> batch,
            uint32_t delivery_count = 0);
  void SendSnapshotEnd(const Partition& partition);
  void CursorStarted(const absl::Status& status);
  // A cursor started at `offset` of `partition`.
  void CursorStartedAt(const Partition& partition, uint64_t offset);
  void CursorRemoved(const Cursor* cursor);
  // A cursor cannot read on (damaged log): tells the subscriber.
  void Fail(const absl::Status& status);

 private:
  void MaybeFinishStart();

  const SubscriptionSpec spec_;
  Shard* const shard_;
  DeliverySink* const sink_;
  DeadLetters* const dead_letters_;
  int64_t credit_messages_;
  int64_t credit_bytes_;
  bool closed_ = false;
  std::vector<std::shared_ptr<Cursor>> cursors_;
  // Tracked subscriptions: the member cursor of each partition.
  absl::flat_hash_map<std::pair<std::string, uint32_t>,
                      std::shared_ptr<MemberCursor>>
      members_;
  int pending_starts_ = 0;
  bool start_reported_ = false;
  std::vector<StartedAt> started_;
  absl::Status start_status_;
  absl::AnyInvocable<void(absl::Status)> on_started_;
};

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_SUBSCRIPTION_H_
