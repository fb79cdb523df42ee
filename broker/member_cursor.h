// MemberCursor: a tracked subscription's hold on one partition, on the
// subscriber's shard. It asks the partition's TrackedCursor for work while
// its subscription has credit and room (one request at a time) and passes
// on what it is given; acks go the same way.
//
// Threading: lives on the subscriber's shard; every method runs there. The
// TrackedCursor lives on the partition's shard and is reached by posting.
//
//   auto member = std::make_shared<MemberCursor>(subscription, partition,
//                                                shard);
//   member->Join(config, topic->created_ms, dead_letters);
#ifndef CHORUS_BROKER_MEMBER_CURSOR_H_
#define CHORUS_BROKER_MEMBER_CURSOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "broker/subscription.h"
#include "broker/tracked_cursor.h"

namespace chorus::broker {

class MemberCursor : public Cursor,
                     public TrackedMember,
                     public std::enable_shared_from_this<MemberCursor> {
 public:
  MemberCursor(Subscription* owner, std::shared_ptr<Partition> partition,
               Shard* shard);

  // Joins the tracked cursor called config.name; Started follows.
  void Join(const TrackingConfig& config, int64_t topic_created_ms,
            DeadLetters* dead_letters);
  // `stored` runs on this shard once the moved position is stored.
  void Ack(const wire::AckRange& range, bool nack,
           absl::AnyInvocable<void(absl::Status)> stored);

  // Cursor
  void Pump() override;
  void Close() override;

  // TrackedMember
  Shard* shard() const override { return shard_; }
  void Started(absl::StatusOr<uint64_t> position) override;
  void Deliver(std::vector<TrackedDelivery> deliveries) override;
  void Removed() override;
  void Failed(absl::Status status) override;

 private:
  // Runs `call` with the tracked cursor, on the partition's shard.
  void WithCursor(absl::AnyInvocable<void(TrackedCursor&)> call);

  Subscription* owner_;
  std::shared_ptr<Partition> partition_;
  Shard* shard_;
  const uint64_t member_id_;
  std::string name_;
  bool started_ = false;
  bool closed_ = false;
  bool asked_ = false;  // a Ready is out, unanswered
};

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_MEMBER_CURSOR_H_
