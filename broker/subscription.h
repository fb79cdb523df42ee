// Subscription and PartitionCursor: one client subscription and its position
// in each partition it follows.
//
// A cursor is live when it has caught up: the partition then hands it each
// stored batch, which it sends as is. When it is behind — replaying history,
// out of credit, or its connection's write queue is full — it drops live
// batches and later reads what it missed from the log, so a slow subscriber
// costs the broker no memory and never holds up anyone else.
//
// Threading: both live on the shard of the subscriber's connection; every
// method runs there. Partitions reach cursors by posting to that shard.
//
//   auto sub = std::make_shared<Subscription>(id, filter, start, 1000,
//                                             1 << 20, shard, sink);
//   sub->AttachTopic(topic, /*newly_created=*/false);
//   sub->WhenStarted([](absl::Status s) { /* send SubscribeAck */ });
#ifndef CHORUS_BROKER_SUBSCRIPTION_H_
#define CHORUS_BROKER_SUBSCRIPTION_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/delivery.h"
#include "broker/shard.h"
#include "broker/topic.h"
#include "broker/topic_name.h"
#include "proto/protocol.pb.h"

namespace chorus::broker {

class Partition;
class Subscription;

// Where deliveries go: the subscriber's connection.
class DeliverySink {
 public:
  virtual ~DeliverySink() = default;
  // False while the connection's write queue is over its limit.
  virtual bool HasRoom() const = 0;
  virtual void Deliver(uint64_t subscription_id,
                       std::shared_ptr<const DeliveryBatch> batch) = 0;
};

class PartitionCursor : public std::enable_shared_from_this<PartitionCursor> {
 public:
  PartitionCursor(Subscription* owner, std::shared_ptr<Partition> partition,
                  Shard* shard);

  Shard* shard() const { return shard_; }

  // From the partition: where to start (or why it cannot).
  void Start(absl::StatusOr<uint64_t> offset);
  // From the partition: a batch was stored.
  void OnStored(std::shared_ptr<const DeliveryBatch> batch);
  // From the partition: its topic was deleted.
  void OnPartitionRemoved();

  // Catches up from the log if behind and allowed to send.
  void Pump();
  // Detaches from the partition; no call after this has any effect.
  void Close();

 private:
  void ReadFromLog();

  Subscription* owner_;
  std::shared_ptr<Partition> partition_;
  Shard* shard_;
  uint64_t next_ = 0;
  bool started_ = false;
  bool closed_ = false;
  bool read_scheduled_ = false;
};

class Subscription : public std::enable_shared_from_this<Subscription>,
                     public TopicWatcher {
 public:
  Subscription(uint64_t id, TopicFilter filter, wire::StartPosition start,
               uint64_t credit_messages, uint64_t credit_bytes, Shard* shard,
               DeliverySink* sink);
  ~Subscription() override;

  uint64_t id() const { return id_; }
  const TopicFilter& filter() const override { return filter_; }

  // Follows every partition of `topic`: from the subscription's start
  // position, or from the beginning for a topic created after the
  // subscription began (so that nothing published to it is missed).
  void AttachTopic(const std::shared_ptr<Topic>& topic, bool newly_created);
  // Any thread (the registry): posts AttachTopic to this shard.
  void OnTopicCreated(std::shared_ptr<Topic> topic) override;

  // Runs `done` once every partition attached so far has its start offset
  // (or with the first error).
  void WhenStarted(absl::AnyInvocable<void(absl::Status)> done);

  void AddCredit(uint64_t messages, uint64_t bytes);
  // The connection's write queue drained: resume cursors that fell behind.
  void Resume();
  void Close();
  bool closed() const { return closed_; }

  // For cursors.
  bool CanSend() const;
  void Send(std::shared_ptr<const DeliveryBatch> batch);
  void CursorStarted(const absl::Status& status);
  void CursorRemoved(const PartitionCursor* cursor);

 private:
  void MaybeFinishStart();

  const uint64_t id_;
  const TopicFilter filter_;
  const wire::StartPosition start_;
  Shard* const shard_;
  DeliverySink* const sink_;
  int64_t credit_messages_;
  int64_t credit_bytes_;
  bool closed_ = false;
  std::vector<std::shared_ptr<PartitionCursor>> cursors_;
  int pending_starts_ = 0;
  absl::Status start_status_;
  absl::AnyInvocable<void(absl::Status)> on_started_;
};

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_SUBSCRIPTION_H_
