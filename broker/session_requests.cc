// Session request handlers: what the broker does for each kind of frame.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker/partition.h"
#include "broker/session.h"
#include "common/partitioner.h"
#include "proto/records.h"

namespace chorus::broker {
namespace {

constexpr char kServerVersion[] = "chorusd 0.1.0";
// Bound on the per-session cache of topics it published to.
constexpr size_t kMaxCachedTopics = 1024;

// The records of one publish bound for one partition, and where they went.
struct PartitionPart {
  uint32_t partition = 0;
  std::string records;
  uint32_t count = 0;
  AppendResult result;
};

// A publish in flight: acked once every part is stored.
struct PendingPublish {
  uint64_t correlation_id = 0;
  std::shared_ptr<Topic> topic;
  std::vector<PartitionPart> parts;
  std::vector<uint32_t> record_partitions;
  size_t remaining = 0;
  absl::Status status;
  // Status topics with bind or a lease: the keyed records, by index.
  std::vector<std::pair<uint32_t, std::string>> keyed;
  size_t bytes = 0;  // counted in the session's in-flight publish bytes
};

// Where each keyed record of a stored publish went: records of one part
// hold consecutive offsets in publish order.
std::vector<KeyedRecord> LocateKeyed(PendingPublish& pending) {
  std::vector<KeyedRecord> located;
  std::vector<uint64_t> next(pending.parts.size());
  for (size_t j = 0; j < pending.parts.size(); ++j) {
    next[j] = pending.parts[j].result.base_offset;
  }
  auto part_index = [&](uint32_t record) -> size_t {
    if (pending.record_partitions.empty()) return 0;
    const uint32_t p = pending.record_partitions[record];
    for (size_t j = 0; j < pending.parts.size(); ++j) {
      if (pending.parts[j].partition == p) return j;
    }
    return 0;
  };
  size_t keyed = 0;
  uint32_t total = 0;
  for (const PartitionPart& part : pending.parts) total += part.count;
  for (uint32_t record = 0; record < total && keyed < pending.keyed.size();
       ++record) {
    const size_t j = part_index(record);
    const uint64_t offset = next[j]++;
    if (pending.keyed[keyed].first != record) continue;
    located.push_back({pending.topic->partitions[pending.parts[j].partition],
                       std::move(pending.keyed[keyed].second), offset});
    ++keyed;
  }
  return located;
}

}  // namespace

void Session::HandleFrame(wire::Frame& frame) {
  const uint64_t id = frame.correlation_id();
  if (!greeted_ && frame.body_case() != wire::Frame::kHello) {
    Fatal(absl::FailedPreconditionError(
        "the first frame of a connection must be Hello"));
    return;
  }
  switch (frame.body_case()) {
    case wire::Frame::kHello:
      return HandleHello(id, frame.hello());
    case wire::Frame::kPublish:
      return HandlePublish(id, *frame.mutable_publish());
    case wire::Frame::kSubscribe:
      return HandleSubscribe(id, frame.subscribe());
    case wire::Frame::kUnsubscribe:
      return HandleUnsubscribe(id, frame.unsubscribe());
    case wire::Frame::kCredit:
      return HandleCredit(frame.credit());
    case wire::Frame::kCreateTopic:
      return HandleCreateTopic(id, frame.create_topic());
    case wire::Frame::kDescribeTopic:
      return HandleDescribeTopic(id, frame.describe_topic().name());
    case wire::Frame::kListTopics:
      return HandleListTopics(id);
    case wire::Frame::kDeleteTopic:
      return HandleDeleteTopic(id, frame.delete_topic().name());
    case wire::Frame::kAck:
      return HandleAck(id, frame.ack());
    case wire::Frame::kListSubscriptions:
      return HandleListSubscriptions(id);
    case wire::Frame::kDescribeSubscription:
      return HandleDescribeSubscription(id,
                                        frame.describe_subscription().name());
    case wire::Frame::kDeleteSubscription:
      return HandleDeleteSubscription(id, frame.delete_subscription().name());
    case wire::Frame::kGrantLease:
      return HandleGrantLease(id, frame.grant_lease());
    case wire::Frame::kKeepAlive:
      return HandleKeepAlive(id, frame.keep_alive().lease_id());
    case wire::Frame::kRevokeLease:
      return HandleRevokeLease(id, frame.revoke_lease().lease_id());
    case wire::Frame::kMetadata:
      return HandleMetadata(id, frame.metadata());
    case wire::Frame::kPing: {
      wire::Frame reply;
      reply.mutable_pong();
      return Reply(id, reply);
    }
    case wire::Frame::BODY_NOT_SET:
      return ReplyError(id, absl::UnimplementedError(
                                "unknown request kind (a newer protocol?)"));
    default:
      return ReplyError(id,
                        absl::InvalidArgumentError(absl::StrCat(
                            "frame kind ", static_cast<int>(frame.body_case()),
                            " is sent by brokers, not clients")));
  }
}

void Session::HandleHello(uint64_t correlation_id, const wire::Hello& hello) {
  if (greeted_) {
    Fatal(absl::FailedPreconditionError("Hello sent twice"));
    return;
  }
  if (hello.protocol_version() != proto::kProtocolVersion) {
    Fatal(absl::FailedPreconditionError(
        absl::StrCat("unsupported protocol version ", hello.protocol_version(),
                     "; this broker speaks ", proto::kProtocolVersion)));
    return;
  }
  greeted_ = true;
  client_name_ = hello.client_name();
  if (hello.watch_metadata()) {
    watching_metadata_ = true;
    context_.registry->WatchMetadata(shared_from_this(), this);
  }
  wire::Frame reply;
  wire::Welcome* welcome = reply.mutable_welcome();
  welcome->set_protocol_version(proto::kProtocolVersion);
  welcome->set_server_version(kServerVersion);
  welcome->set_node_id(context_.options->node_id);
  welcome->set_max_frame_bytes(context_.options->max_frame_bytes);
  welcome->set_max_message_bytes(context_.options->max_message_bytes);
  Reply(correlation_id, reply);
}

absl::StatusOr<std::shared_ptr<Topic>> Session::TopicForPublish(
    absl::string_view name) {
  if (auto it = topic_cache_.find(name); it != topic_cache_.end()) {
    if (!it->second->deleted.load(std::memory_order_acquire)) return it->second;
    topic_cache_.erase(it);
  }
  absl::Status valid = ValidateTopicName(name);
  if (!valid.ok()) return valid;
  std::shared_ptr<Topic> topic;
  if (context_.options->auto_create_topics) {
    absl::StatusOr<std::shared_ptr<Topic>> created =
        context_.registry->FindOrCreate(name);
    if (!created.ok()) return created.status();
    topic = *std::move(created);
  } else {
    topic = context_.registry->Find(name);
    if (!topic) {
      return absl::NotFoundError(
          absl::StrCat("topic ", name, " does not exist (auto-create is off)"));
    }
  }
  if (topic_cache_.size() >= kMaxCachedTopics) topic_cache_.clear();
  topic_cache_.emplace(std::string(name), topic);
  return topic;
}

void Session::HandlePublish(uint64_t correlation_id, wire::Publish& publish) {
  // Behind a publish that waits for its topic, so that acks keep the order
  // of the publishes.
  if (awaiting_topic_) return Park(correlation_id, std::move(publish));
  PublishNow(correlation_id, publish, /*may_create=*/true);
}

void Session::PublishNow(uint64_t correlation_id, wire::Publish& publish,
                         bool may_create) {
  if (publish.producer_id() != 0 && !publish.has_partition()) {
    // A sequence counts records per partition: the broker cannot spread an
    // idempotent batch over partitions.
    return ReplyError(
        correlation_id,
        absl::InvalidArgumentError(
            "an idempotent publish (producer_id set) must name its partition"));
  }
  absl::StatusOr<std::shared_ptr<Topic>> found =
      TopicForPublish(publish.topic());
  if (!found.ok()) {
    if (may_create && CreatesClusterTopic(found.status())) {
      return ParkForTopic(correlation_id, std::move(publish));
    }
    return ReplyError(correlation_id, found.status());
  }
  std::shared_ptr<Topic> topic = *std::move(found);
  const uint32_t partitions = static_cast<uint32_t>(topic->partitions.size());
  if (publish.has_partition() && publish.partition() >= partitions) {
    return ReplyError(
        correlation_id,
        absl::InvalidArgumentError(absl::StrCat(
            "topic ", topic->name, " has ", partitions,
            " partitions; there is no partition ", publish.partition())));
  }
  const auto& local = topic->local_partitions;
  if (!publish.has_partition() && local.empty()) {
    return ReplyError(correlation_id, NotLeader(*topic, 0));
  }
  // Records without a key go together to one partition per batch, in turn
  // (in a cluster, among the partitions this broker leads).
  const uint32_t keyless =
      publish.has_partition() ? publish.partition()
      : local.size() == 1
          ? local.front()->index()
          : local[topic->round_robin.fetch_add(1, std::memory_order_relaxed) %
                  local.size()]
                ->index();
  if (topic->partitions[keyless] == nullptr) {
    return ReplyError(correlation_id, NotLeader(*topic, keyless));
  }
  const bool by_key = partitions > 1 && !publish.has_partition();

  auto pending = std::make_shared<PendingPublish>();
  pending->correlation_id = correlation_id;
  pending->topic = topic;
  const bool binds =
      topic->config.status() && (publish.bind() || publish.lease_id() != 0);
  pending->bytes = publish.records().size();
  proto::RecordReader reader(publish.records());
  proto::RecordView record;
  uint32_t count = 0;
  bool spread = false;
  while (reader.Next(&record)) {
    if (record.body.size() > context_.options->max_message_bytes) {
      return ReplyError(
          correlation_id,
          absl::ResourceExhaustedError(absl::StrCat(
              "message ", count, " is ", record.body.size(),
              " bytes; the limit is ", context_.options->max_message_bytes)));
    }
    if (binds && !record.key.empty()) {
      pending->keyed.emplace_back(count, std::string(record.key));
    }
    ++count;
    if (by_key) {
      const uint32_t p = record.key.empty()
                             ? keyless
                             : PartitionForKey(record.key, partitions);
      if (topic->partitions[p] == nullptr) {
        return ReplyError(correlation_id, NotLeader(*topic, p));
      }
      spread = spread || p != keyless;
      pending->record_partitions.push_back(p);
    }
  }
  if (!reader.status().ok()) {
    return ReplyError(correlation_id, reader.status());
  }
  if (count == 0) {
    return ReplyError(correlation_id,
                      absl::InvalidArgumentError("publish holds no records"));
  }
  if (!spread) {
    pending->record_partitions.clear();
    pending->parts.push_back(
        {keyless, std::move(*publish.mutable_records()), count, {}});
  } else {
    // Split by partition, slicing the encoded records as they are.
    std::vector<int> part_of(partitions, -1);
    proto::RecordReader again(publish.records());
    for (uint32_t p : pending->record_partitions) {
      again.Next(&record);
      if (part_of[p] < 0) {
        part_of[p] = static_cast<int>(pending->parts.size());
        pending->parts.push_back({p, {}, 0, {}});
      }
      PartitionPart& part = pending->parts[part_of[p]];
      part.records.append(record.encoded);
      ++part.count;
    }
  }

  pending->remaining = pending->parts.size();
  in_flight_publish_bytes_ += pending->bytes;
  ++pending_publishes_;
  for (size_t i = 0; i < pending->parts.size(); ++i) {
    PartitionPart& part = pending->parts[i];
    std::shared_ptr<Partition> partition = topic->partitions[part.partition];
    auto on_stored = [self = shared_from_this(), pending, i,
                      bind = publish.bind(), lease_id = publish.lease_id()](
                         absl::StatusOr<AppendResult> result) {
      asio::post(self->shard_->executor(), [self, pending, i, bind, lease_id,
                                            result = std::move(result)] {
        if (result.ok()) {
          pending->parts[i].result = *result;
        } else if (pending->status.ok()) {
          pending->status = result.status();
        }
        if (--pending->remaining > 0) return;
        --self->pending_publishes_;
        self->in_flight_publish_bytes_ -= pending->bytes;
        if (self->reader_waiting_) self->reader_wake_.cancel();
        if (!pending->status.ok()) {
          self->ReplyError(pending->correlation_id, pending->status);
        } else {
          wire::Frame reply;
          wire::PublishAck* ack = reply.mutable_publish_ack();
          for (const PartitionPart& part : pending->parts) {
            wire::PartitionRange* range = ack->add_ranges();
            range->set_partition(part.partition);
            range->set_first_offset(part.result.base_offset);
            range->set_count(part.result.count);
          }
          ack->mutable_record_partitions()->Assign(
              pending->record_partitions.begin(),
              pending->record_partitions.end());
          self->Reply(pending->correlation_id, reply);
          if (!pending->keyed.empty()) {
            self->BindKeys(bind, lease_id, LocateKeyed(*pending));
          }
        }
        self->WakeWriter();
      });
    };
    const storage::ProducerStamp producer{publish.producer_id(),
                                          publish.sequence()};
    asio::dispatch(partition->shard()->executor(),
                   [partition, records = std::move(part.records),
                    count = part.count, publisher = client_name_, producer,
                    on_stored = std::move(on_stored)]() mutable {
                     partition->Append(std::move(records), count, publisher,
                                       producer, std::move(on_stored));
                   });
  }
}

void Session::HandleCreateTopic(uint64_t correlation_id,
                                const wire::CreateTopic& create) {
  if (context_.topic_admin != nullptr) {
    return CreateClusterTopic(correlation_id, create);
  }
  absl::StatusOr<std::shared_ptr<Topic>> topic =
      context_.registry->Create(create.name(), create.config());
  if (!topic.ok()) return ReplyError(correlation_id, topic.status());
  DescribeInto(*std::move(topic), correlation_id);
}

void Session::HandleDescribeTopic(uint64_t correlation_id,
                                  absl::string_view name) {
  std::shared_ptr<Topic> topic = context_.registry->Find(name);
  if (!topic) {
    return ReplyError(correlation_id, absl::NotFoundError(absl::StrCat(
                                          "topic ", name, " does not exist")));
  }
  DescribeInto(std::move(topic), correlation_id);
}

void Session::DescribeInto(std::shared_ptr<Topic> topic,
                           uint64_t correlation_id) {
  struct Gather {
    wire::Frame reply;
    size_t remaining;
    absl::Status status;
  };
  auto gather = std::make_shared<Gather>();
  gather->remaining = topic->local_partitions.size();
  wire::TopicInfo* info = gather->reply.mutable_topic_info();
  info->set_name(topic->name);
  *info->mutable_config() = topic->config;
  // In a cluster, partitions led elsewhere are listed by number only.
  for (size_t i = 0; i < topic->partitions.size(); ++i) {
    info->add_partitions()->set_partition(static_cast<uint32_t>(i));
  }
  if (gather->remaining == 0) return Reply(correlation_id, gather->reply);
  for (const std::shared_ptr<Partition>& partition : topic->local_partitions) {
    const size_t i = partition->index();
    asio::post(partition->shard()->executor(), [self = shared_from_this(),
                                                partition, gather, i,
                                                correlation_id] {
      partition->Describe([self, gather, i, correlation_id](
                              absl::StatusOr<wire::PartitionInfo> info) {
        asio::post(self->shard_->executor(), [self, gather, i, correlation_id,
                                              info = std::move(info)] {
          if (info.ok()) {
            *gather->reply.mutable_topic_info()->mutable_partitions(i) = *info;
          } else if (gather->status.ok()) {
            gather->status = info.status();
          }
          if (--gather->remaining > 0) return;
          if (!gather->status.ok()) {
            return self->ReplyError(correlation_id, gather->status);
          }
          self->Reply(correlation_id, gather->reply);
        });
      });
    });
  }
}

void Session::HandleListTopics(uint64_t correlation_id) {
  wire::Frame reply;
  wire::TopicList* list = reply.mutable_topic_list();
  for (const std::shared_ptr<Topic>& topic : context_.registry->List()) {
    wire::TopicInfo* info = list->add_topics();
    info->set_name(topic->name);
    *info->mutable_config() = topic->config;
  }
  Reply(correlation_id, reply);
}

void Session::HandleDeleteTopic(uint64_t correlation_id,
                                absl::string_view name) {
  if (context_.topic_admin != nullptr) {
    return DeleteClusterTopic(correlation_id, std::string(name));
  }
  absl::StatusOr<std::shared_ptr<Topic>> topic =
      context_.registry->Delete(name);
  if (!topic.ok()) return ReplyError(correlation_id, topic.status());
  TopicRegistry::RemovePartitions(
      **topic, [self = shared_from_this(), correlation_id] {
        asio::post(self->shard_->executor(), [self, correlation_id] {
          wire::Frame reply;
          reply.mutable_ok();
          self->Reply(correlation_id, reply);
        });
      });
}

}  // namespace chorus::broker
