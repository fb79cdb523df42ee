// Session handlers for subscriptions: subscribe, credit, acks, and the
// administration of named subscriptions.
#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "broker/partition.h"
#include "broker/session.h"
#include "storage/cursor_store.h"

namespace chorus::broker {
namespace {

// How long an unacked message waits before it is handed out again, when the
// subscriber names no time.
constexpr int64_t kDefaultAckWaitMs = 30'000;

// Names of unnamed subscriptions that take acks: "~" cannot start a
// subscription name, so they never meet a durable one.
std::atomic<uint64_t> next_ephemeral_name{1};

TrackingConfig TrackingOf(const wire::SubscriptionRecord& record) {
  return TrackingConfig{
      .name = record.name(),
      .durable = true,
      .group = record.group(),
      .ack_mode = record.ack_mode(),
      .ack_wait_ms =
          record.ack_wait_ms() == 0 ? kDefaultAckWaitMs : record.ack_wait_ms(),
      .max_deliveries = record.max_deliveries(),
      .dead_letter_topic = record.dead_letter_topic(),
      .from_publisher = record.from_publisher(),
      .start = record.start(),
      .created_ms = record.created_ms(),
  };
}

// Every local partition of every live topic that `filter` matches.
std::vector<std::shared_ptr<Partition>> MatchingPartitions(
    TopicRegistry& registry, const std::string& filter) {
  std::vector<std::shared_ptr<Partition>> partitions;
  absl::StatusOr<TopicFilter> parsed = TopicFilter::Parse(filter);
  if (!parsed.ok()) return partitions;
  for (const std::shared_ptr<Topic>& topic : registry.List()) {
    if (!parsed->Matches(topic->name)) continue;
    partitions.insert(partitions.end(), topic->local_partitions.begin(),
                      topic->local_partitions.end());
  }
  return partitions;
}

}  // namespace

absl::StatusOr<SubscriptionSpec> Session::SpecFor(
    const wire::Subscribe& subscribe) {
  absl::StatusOr<TopicFilter> filter = TopicFilter::Parse(subscribe.filter());
  if (!filter.ok()) return filter.status();
  const bool tracked = !subscribe.name().empty() ||
                       subscribe.ack_mode() != wire::Subscribe::NONE;
  if (subscribe.group() && subscribe.name().empty()) {
    return absl::InvalidArgumentError("a group subscription needs a name");
  }
  if (subscribe.group() && subscribe.ack_mode() == wire::Subscribe::NONE) {
    return absl::InvalidArgumentError(
        "a group subscription takes acks: use ack mode auto or explicit");
  }
  if (tracked && subscribe.start().kind() == wire::StartPosition::SNAPSHOT) {
    return absl::InvalidArgumentError(
        "a snapshot start is for plain subscriptions (no name, no acks)");
  }
  SubscriptionSpec spec{.id = subscribe.subscription_id(),
                        .filter = *std::move(filter),
                        .start = subscribe.start(),
                        .credit_messages = subscribe.credit_messages(),
                        .credit_bytes = subscribe.credit_bytes(),
                        .from_publisher = subscribe.from_publisher()};
  if (subscribe.name().empty()) {
    for (const wire::ResumePoint& point : subscribe.resume()) {
      spec.resume[{point.topic(), point.partition()}] = point.offset();
    }
  }
  if (!subscribe.name().empty()) {
    absl::StatusOr<wire::SubscriptionRecord> record =
        context_.catalog->Acquire(subscribe);
    if (!record.ok()) return record.status();
    spec.tracking = TrackingOf(*record);
  } else if (tracked) {
    spec.tracking = TrackingConfig{
        .name = absl::StrCat("~", next_ephemeral_name.fetch_add(1)),
        .ack_mode = subscribe.ack_mode(),
        .ack_wait_ms = subscribe.ack_wait_ms() == 0 ? kDefaultAckWaitMs
                                                    : subscribe.ack_wait_ms(),
        .max_deliveries = subscribe.max_deliveries(),
        .dead_letter_topic = subscribe.dead_letter_topic(),
        .from_publisher = subscribe.from_publisher(),
        .start = subscribe.start(),
        .created_ms = absl::ToUnixMillis(absl::Now()),
    };
  }
  return spec;
}

void Session::HandleSubscribe(uint64_t correlation_id,
                              const wire::Subscribe& subscribe) {
  const uint64_t id = subscribe.subscription_id();
  const size_t max_subscriptions =
      context_.options->max_subscriptions_per_connection;
  if (subscriptions_.size() >= max_subscriptions) {
    return ReplyError(correlation_id,
                      absl::ResourceExhaustedError(absl::StrCat(
                          "this connection already has ", subscriptions_.size(),
                          " subscriptions, the broker's limit "
                          "(--max-subscriptions-per-connection)")));
  }
  if (subscriptions_.contains(id)) {
    return ReplyError(correlation_id,
                      absl::AlreadyExistsError(absl::StrCat(
                          "subscription id ", id, " is already in use")));
  }
  absl::StatusOr<SubscriptionSpec> spec = SpecFor(subscribe);
  if (!spec.ok()) return ReplyError(correlation_id, spec.status());
  auto subscription = std::make_shared<Subscription>(
      *std::move(spec), shard_, this, context_.dead_letters);
  subscriptions_[id] = subscription;
  for (const std::shared_ptr<Topic>& topic :
       context_.registry->Watch(subscription, subscription.get())) {
    subscription->AttachTopic(topic, /*newly_created=*/false);
  }
  subscription->WhenStarted(
      [self = shared_from_this(), correlation_id, id](absl::Status status) {
        if (!status.ok()) {
          if (status.code() != absl::StatusCode::kCancelled) {
            self->CloseSubscription(id);
          }
          self->ReplyError(correlation_id, status);
          return;
        }
        wire::Frame reply;
        wire::SubscribeAck* ack = reply.mutable_subscribe_ack();
        ack->set_subscription_id(id);
        if (auto it = self->subscriptions_.find(id);
            it != self->subscriptions_.end()) {
          for (StartedAt& at : it->second->TakeStarted()) {
            wire::ResumePoint* point = ack->add_started();
            point->set_topic(std::move(at.topic));
            point->set_partition(at.partition);
            point->set_offset(at.offset);
          }
        }
        self->Reply(correlation_id, reply);
      });
}

void Session::CloseSubscription(uint64_t id) {
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end()) return;
  std::shared_ptr<Subscription> subscription = std::move(it->second);
  subscriptions_.erase(it);
  context_.registry->Unwatch(subscription.get());
  subscription->Close();
  const std::optional<TrackingConfig>& tracking = subscription->spec().tracking;
  if (tracking.has_value() && tracking->durable) {
    context_.catalog->Release(tracking->name);
  }
}

void Session::CloseSubscriptions() {
  while (!subscriptions_.empty()) {
    CloseSubscription(subscriptions_.begin()->first);
  }
}

void Session::HandleUnsubscribe(uint64_t correlation_id,
                                const wire::Unsubscribe& unsubscribe) {
  if (!subscriptions_.contains(unsubscribe.subscription_id())) {
    return ReplyError(correlation_id,
                      absl::NotFoundError(absl::StrCat(
                          "no subscription ", unsubscribe.subscription_id())));
  }
  CloseSubscription(unsubscribe.subscription_id());
  wire::Frame reply;
  reply.mutable_ok();
  Reply(correlation_id, reply);
}

void Session::HandleCredit(const wire::Credit& credit) {
  // Credit for a subscription that just ended is not an error: it crossed
  // the Unsubscribe on the wire.
  auto it = subscriptions_.find(credit.subscription_id());
  if (it != subscriptions_.end()) {
    it->second->AddCredit(credit.messages(), credit.bytes());
  }
}

void Session::HandleAck(uint64_t correlation_id, const wire::Ack& ack) {
  auto it = subscriptions_.find(ack.subscription_id());
  if (it == subscriptions_.end()) {
    // Acks that crossed an Unsubscribe are dropped; their messages go to
    // the subscription's other members (or wait for its return).
    if (correlation_id == 0) return;
    return ReplyError(correlation_id,
                      absl::NotFoundError(absl::StrCat("no subscription ",
                                                       ack.subscription_id())));
  }
  struct Gather {
    size_t remaining;
    absl::Status status;
  };
  auto gather = std::make_shared<Gather>(Gather{ack.ranges_size() + 1u, {}});
  auto one_done = [self = shared_from_this(), gather,
                   correlation_id](absl::Status status) {
    if (gather->status.ok()) gather->status = status;
    if (--gather->remaining > 0 || correlation_id == 0) return;
    if (!gather->status.ok()) {
      return self->ReplyError(correlation_id, gather->status);
    }
    wire::Frame reply;
    reply.mutable_ok();
    self->Reply(correlation_id, reply);
  };
  for (const wire::AckRange& range : ack.ranges()) {
    absl::Status accepted = it->second->Ack(
        range, ack.nack(),
        correlation_id == 0 ? absl::AnyInvocable<void(absl::Status)>()
                            : one_done);
    if (!accepted.ok()) one_done(accepted);
  }
  one_done(absl::OkStatus());
}

void Session::DescribeSubscriptionInto(
    SubscriptionCatalog::Entry entry,
    absl::AnyInvocable<void(wire::SubscriptionInfo)> done) {
  struct Gather {
    wire::SubscriptionInfo info;
    std::vector<wire::SubscriptionPartition> partitions;
    size_t remaining = 0;
    absl::AnyInvocable<void(wire::SubscriptionInfo)> done;
  };
  auto gather = std::make_shared<Gather>();
  const wire::SubscriptionRecord& record = entry.record;
  wire::SubscriptionInfo& info = gather->info;
  info.set_name(record.name());
  info.set_filter(record.filter());
  info.set_group(record.group());
  info.set_ack_mode(record.ack_mode());
  info.set_members(static_cast<uint32_t>(entry.members));
  info.set_from_publisher(record.from_publisher());
  gather->done = std::move(done);
  std::vector<std::shared_ptr<Partition>> partitions =
      MatchingPartitions(*context_.registry, record.filter());
  gather->partitions.resize(partitions.size());
  gather->remaining = partitions.size() + 1;
  auto finish = [gather] {
    if (--gather->remaining > 0) return;
    uint64_t lag = 0;
    for (wire::SubscriptionPartition& partition : gather->partitions) {
      if (partition.topic().empty()) continue;  // never followed yet
      lag += partition.lag();
      *gather->info.add_partitions() = std::move(partition);
    }
    gather->info.set_lag(lag);
    gather->done(std::move(gather->info));
  };
  for (size_t i = 0; i < partitions.size(); ++i) {
    std::shared_ptr<Partition> partition = partitions[i];
    asio::post(partition->shard()->executor(), [self = shared_from_this(),
                                                partition, gather, finish, i,
                                                name = record.name()] {
      wire::SubscriptionPartition view;
      uint64_t dead_lettered = 0;
      if (std::shared_ptr<TrackedCursor> cursor =
              partition->FindTracked(name)) {
        cursor->Describe(&view);
        dead_lettered = cursor->dead_lettered();
      } else if (absl::StatusOr<std::optional<wire::CursorPosition>> stored =
                     storage::CursorStore(partition->log().store())
                         .LoadPosition(name, partition->log().partition_id());
                 stored.ok() && stored->has_value()) {
        const uint64_t head = partition->committed_end();
        const uint64_t position = std::min(
            (*stored)->pending_size() > 0 ? (*stored)->pending(0) : head,
            (*stored)->position());
        view.set_topic(partition->topic());
        view.set_partition(partition->index());
        view.set_position(position);
        view.set_head(head);
        view.set_lag(head > position ? head - position : 0);
      }
      asio::post(self->shard_->executor(), [gather, finish, i, dead_lettered,
                                            view = std::move(view)]() mutable {
        gather->partitions[i] = std::move(view);
        gather->info.set_dead_lettered(gather->info.dead_lettered() +
                                       dead_lettered);
        finish();
      });
    });
  }
  finish();
}

void Session::HandleListSubscriptions(uint64_t correlation_id) {
  std::vector<SubscriptionCatalog::Entry> entries = context_.catalog->List();
  struct Gather {
    wire::Frame reply;
    size_t remaining;
  };
  auto gather = std::make_shared<Gather>();
  gather->remaining = entries.size() + 1;
  wire::SubscriptionList* list = gather->reply.mutable_subscription_list();
  for (size_t i = 0; i < entries.size(); ++i) list->add_subscriptions();
  auto finish = [self = shared_from_this(), gather, correlation_id] {
    if (--gather->remaining > 0) return;
    self->Reply(correlation_id, gather->reply);
  };
  for (size_t i = 0; i < entries.size(); ++i) {
    DescribeSubscriptionInto(
        std::move(entries[i]),
        [gather, finish, i](wire::SubscriptionInfo info) {
          *gather->reply.mutable_subscription_list()->mutable_subscriptions(
              static_cast<int>(i)) = std::move(info);
          finish();
        });
  }
  finish();
}

void Session::HandleDescribeSubscription(uint64_t correlation_id,
                                         const std::string& name) {
  absl::StatusOr<SubscriptionCatalog::Entry> entry =
      context_.catalog->Find(name);
  if (!entry.ok()) return ReplyError(correlation_id, entry.status());
  DescribeSubscriptionInto(
      *std::move(entry),
      [self = shared_from_this(), correlation_id](wire::SubscriptionInfo info) {
        wire::Frame reply;
        *reply.mutable_subscription_info() = std::move(info);
        self->Reply(correlation_id, reply);
      });
}

void Session::HandleDeleteSubscription(uint64_t correlation_id,
                                       const std::string& name) {
  absl::StatusOr<wire::SubscriptionRecord> record =
      context_.catalog->Delete(name);
  if (!record.ok()) return ReplyError(correlation_id, record.status());
  std::vector<std::shared_ptr<Partition>> partitions =
      MatchingPartitions(*context_.registry, record->filter());
  auto remaining = std::make_shared<size_t>(partitions.size() + 1);
  auto finish = [self = shared_from_this(), remaining, correlation_id, name] {
    if (--*remaining > 0) return;
    // Positions staged while the cursors were being dropped go too.
    absl::Status erased = self->context_.catalog->ErasePositions(name);
    if (!erased.ok()) return self->ReplyError(correlation_id, erased);
    wire::Frame reply;
    reply.mutable_ok();
    self->Reply(correlation_id, reply);
  };
  for (const std::shared_ptr<Partition>& partition : partitions) {
    asio::post(partition->shard()->executor(),
               [self = shared_from_this(), partition, name, finish] {
                 partition->ForgetTracked(name);
                 asio::post(self->shard_->executor(), finish);
               });
  }
  finish();
}

}  // namespace chorus::broker
