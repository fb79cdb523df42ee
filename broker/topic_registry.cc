#include "broker/topic_registry.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "broker/partition.h"
#include "common/status_macros.h"
#include "storage/partition_log.h"

namespace chorus::broker {
namespace {

absl::Status ValidateConfig(const wire::TopicConfig& config) {
  if (config.partitions() < 1 || config.partitions() > kMaxPartitions) {
    return absl::InvalidArgumentError(absl::StrCat("partitions must be 1..",
                                                   kMaxPartitions, ", not ",
                                                   config.partitions()));
  }
  if (config.retention_age_ms() < 0) {
    return absl::InvalidArgumentError("retention age must not be negative");
  }
  return absl::OkStatus();
}

storage::RetentionPolicy PolicyOf(const wire::TopicConfig& config) {
  return {.max_age_ms = config.retention_age_ms(),
          .max_bytes = config.retention_bytes(),
          .max_messages = config.retention_messages()};
}

// History a status topic keeps replayable when its config names no age.
constexpr int64_t kDefaultStatusRetentionMs = 24 * 60 * 60 * 1000;

}  // namespace

TopicRegistry::TopicRegistry(storage::Store* store, ShardSet* shards,
                             std::string node_id, bool clustered)
    : store_(store),
      shards_(shards),
      node_id_(std::move(node_id)),
      clustered_(clustered) {}

absl::Status TopicRegistry::NormalizeConfig(wire::TopicConfig* config) {
  if (config->partitions() == 0) config->set_partitions(1);
  if (config->status() && config->retention_age_ms() == 0) {
    config->set_retention_age_ms(kDefaultStatusRetentionMs);
  }
  return ValidateConfig(*config);
}

absl::Status TopicRegistry::Load() {
  CHORUS_ASSIGN_OR_RETURN(std::vector<wire::TopicRecord> records,
                          store_->LoadTopics());
  std::lock_guard<std::mutex> lock(mutex_);
  for (const wire::TopicRecord& record : records) {
    CHORUS_RETURN_IF_ERROR(Open(record).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<Topic>> TopicRegistry::Open(
    const wire::TopicRecord& record) {
  auto topic = std::make_shared<Topic>();
  topic->name = record.name();
  topic->config = record.config();
  topic->created_ms = record.created_ms();
  topic->incarnation = record.cluster_incarnation();
  topic->first_partition_id = record.first_partition_id();
  topic->placement.assign(record.placement().begin(), record.placement().end());
  for (uint32_t i = 0; i < record.config().partitions(); ++i) {
    if (record.placement().empty()) {
      wire::PartitionMetadata& self = topic->placement.emplace_back();
      self.set_partition(i);
      self.set_leader(node_id_);
      self.add_replicas(node_id_);
      self.add_isr(node_id_);
    }
    if (topic->placement[i].leader() != node_id_) {
      topic->partitions.push_back(nullptr);
      continue;
    }
    const uint64_t id = record.first_partition_id() + i;
    CHORUS_ASSIGN_OR_RETURN(std::unique_ptr<storage::PartitionLog> log,
                            storage::PartitionLog::Open(store_, id));
    Shard* shard = (*shards_)[id % shards_->size()].get();
    auto partition = std::make_shared<Partition>(
        record.name(), i, shard, std::move(log), PolicyOf(record.config()),
        record.config().status());
    topic->partitions.push_back(partition);
    topic->local_partitions.push_back(partition);
    asio::post(shard->executor(),
               [shard, partition] { shard->partitions().insert(partition); });
  }
  topics_[topic->name] = topic;
  return topic;
}

std::shared_ptr<Topic> TopicRegistry::Find(absl::string_view name) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : it->second;
}

absl::StatusOr<std::shared_ptr<Topic>> TopicRegistry::Create(
    absl::string_view name, wire::TopicConfig config) {
  if (clustered_) {
    return absl::FailedPreconditionError(
        "in a cluster, topics are created by the controller");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (topics_.contains(name)) {
    return absl::AlreadyExistsError(
        absl::StrCat("topic ", name, " already exists"));
  }
  return CreateLocked(name, std::move(config));
}

absl::StatusOr<std::shared_ptr<Topic>> TopicRegistry::FindOrCreate(
    absl::string_view name) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = topics_.find(name); it != topics_.end()) return it->second;
  if (clustered_) {
    return absl::NotFoundError(absl::StrCat("topic ", name, " does not exist"));
  }
  wire::TopicConfig config;
  config.set_partitions(1);
  return CreateLocked(name, std::move(config));
}

absl::StatusOr<std::shared_ptr<Topic>> TopicRegistry::CreateLocked(
    absl::string_view name, wire::TopicConfig config) {
  CHORUS_RETURN_IF_ERROR(ValidateTopicName(name));
  CHORUS_RETURN_IF_ERROR(NormalizeConfig(&config));
  wire::TopicRecord record;
  record.set_name(std::string(name));
  *record.mutable_config() = std::move(config);
  record.set_created_ms(absl::ToUnixMillis(absl::Now()));
  return AddLocked(std::move(record));
}

absl::StatusOr<std::shared_ptr<Topic>> TopicRegistry::AddLocked(
    wire::TopicRecord record) {
  CHORUS_ASSIGN_OR_RETURN(
      const uint64_t first_id,
      store_->AllocatePartitionIds(record.config().partitions()));
  record.set_first_partition_id(first_id);
  CHORUS_RETURN_IF_ERROR(store_->PutTopic(record));
  CHORUS_ASSIGN_OR_RETURN(std::shared_ptr<Topic> topic, Open(record));
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    std::shared_ptr<TopicWatcher> watcher = it->second.lock();
    if (!watcher) {
      watchers_.erase(it++);
      continue;
    }
    if (watcher->filter().Matches(topic->name)) watcher->OnTopicCreated(topic);
    ++it;
  }
  MetadataChangedLocked();
  return topic;
}

absl::StatusOr<std::shared_ptr<Topic>> TopicRegistry::Adopt(
    const std::string& name, const Assigned& assigned) {
  std::lock_guard<std::mutex> lock(mutex_);
  return AdoptLocked(name, assigned);
}

absl::StatusOr<std::shared_ptr<Topic>> TopicRegistry::AdoptLocked(
    const std::string& name, const Assigned& assigned) {
  std::shared_ptr<Topic> replaced;
  if (auto it = topics_.find(name); it != topics_.end()) {
    if (it->second->incarnation == assigned.incarnation) {
      return std::shared_ptr<Topic>();
    }
    replaced = it->second;
    CHORUS_RETURN_IF_ERROR(ForgetLocked(replaced));
  }
  const wire::TopicAssignment& assignment = assigned.assignment;
  if (assignment.partitions_size() !=
      static_cast<int>(assignment.config().partitions())) {
    return absl::DataLossError(
        absl::StrCat("the assignment of topic ", name, " places ",
                     assignment.partitions_size(), " of its ",
                     assignment.config().partitions(), " partitions"));
  }
  wire::TopicRecord record;
  record.set_name(name);
  *record.mutable_config() = assignment.config();
  record.set_created_ms(assignment.created_ms());
  record.set_cluster_incarnation(assigned.incarnation);
  *record.mutable_placement() = assignment.partitions();
  CHORUS_RETURN_IF_ERROR(AddLocked(std::move(record)).status());
  return replaced;
}

absl::StatusOr<std::shared_ptr<Topic>> TopicRegistry::Drop(
    const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = topics_.find(name);
  if (it == topics_.end()) return std::shared_ptr<Topic>();
  std::shared_ptr<Topic> topic = it->second;
  CHORUS_RETURN_IF_ERROR(ForgetLocked(topic));
  return topic;
}

absl::StatusOr<std::vector<std::shared_ptr<Topic>>> TopicRegistry::Reconcile(
    const std::map<std::string, Assigned>& topics) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::shared_ptr<Topic>> dropped;
  std::vector<std::shared_ptr<Topic>> gone;
  for (const auto& [name, topic] : topics_) {
    if (topic->incarnation == 0) {
      // Made by a single node on this data dir: never the cluster's.
      return absl::FailedPreconditionError(absl::StrCat(
          "the data dir holds topic ", name,
          " of a single node; a cluster broker needs a data dir of its own"));
    }
    if (!topics.contains(name)) gone.push_back(topic);
  }
  for (const std::shared_ptr<Topic>& topic : gone) {
    CHORUS_RETURN_IF_ERROR(ForgetLocked(topic));
    dropped.push_back(topic);
  }
  for (const auto& [name, assigned] : topics) {
    CHORUS_ASSIGN_OR_RETURN(std::shared_ptr<Topic> replaced,
                            AdoptLocked(name, assigned));
    if (replaced) dropped.push_back(std::move(replaced));
  }
  return dropped;
}

absl::Status TopicRegistry::ForgetLocked(const std::shared_ptr<Topic>& topic) {
  // Ids of partitions led elsewhere hold no data; their marks go at the
  // next start.
  CHORUS_RETURN_IF_ERROR(
      store_->DeleteTopic(topic->name, topic->first_partition_id,
                          static_cast<uint32_t>(topic->partitions.size())));
  topics_.erase(topic->name);
  topic->deleted.store(true, std::memory_order_release);
  MetadataChangedLocked();
  return absl::OkStatus();
}

void TopicRegistry::RemovePartitions(const Topic& topic,
                                     std::function<void()> done) {
  if (topic.local_partitions.empty()) return done();
  // Counted down from every partition's shard.
  auto remaining =
      std::make_shared<std::atomic<size_t>>(topic.local_partitions.size());
  auto shared_done = std::make_shared<std::function<void()>>(std::move(done));
  for (const std::shared_ptr<Partition>& partition : topic.local_partitions) {
    asio::post(partition->shard()->executor(),
               [partition, remaining, shared_done] {
                 partition->Remove();
                 partition->shard()->partitions().erase(partition);
                 if (remaining->fetch_sub(1, std::memory_order_acq_rel) == 1) {
                   (*shared_done)();
                 }
               });
  }
}

void TopicRegistry::MetadataChangedLocked() {
  ++metadata_version_;
  for (auto it = metadata_watchers_.begin(); it != metadata_watchers_.end();) {
    std::shared_ptr<MetadataWatcher> watcher = it->second.lock();
    if (!watcher) {
      metadata_watchers_.erase(it++);
      continue;
    }
    watcher->OnMetadataChanged(metadata_version_);
    ++it;
  }
}

void TopicRegistry::WatchMetadata(std::weak_ptr<MetadataWatcher> watcher,
                                  const MetadataWatcher* key) {
  std::lock_guard<std::mutex> lock(mutex_);
  metadata_watchers_[key] = std::move(watcher);
}

void TopicRegistry::UnwatchMetadata(const MetadataWatcher* key) {
  std::lock_guard<std::mutex> lock(mutex_);
  metadata_watchers_.erase(key);
}

uint64_t TopicRegistry::metadata_version() {
  std::lock_guard<std::mutex> lock(mutex_);
  return metadata_version_;
}

absl::StatusOr<std::shared_ptr<Topic>> TopicRegistry::Delete(
    absl::string_view name) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = topics_.find(name);
  if (it == topics_.end()) {
    return absl::NotFoundError(absl::StrCat("topic ", name, " does not exist"));
  }
  std::shared_ptr<Topic> topic = it->second;
  CHORUS_RETURN_IF_ERROR(ForgetLocked(topic));
  return topic;
}

std::vector<std::shared_ptr<Topic>> TopicRegistry::List() {
  std::vector<std::shared_ptr<Topic>> topics;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    topics.reserve(topics_.size());
    for (const auto& [name, topic] : topics_) topics.push_back(topic);
  }
  std::sort(topics.begin(), topics.end(),
            [](const auto& a, const auto& b) { return a->name < b->name; });
  return topics;
}

std::vector<std::shared_ptr<Topic>> TopicRegistry::Watch(
    std::weak_ptr<TopicWatcher> watcher, const TopicWatcher* key) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::shared_ptr<Topic>> matches;
  const TopicFilter& filter = key->filter();
  if (filter.is_exact()) {
    if (auto it = topics_.find(filter.text()); it != topics_.end()) {
      matches.push_back(it->second);
    }
  } else {
    for (const auto& [name, topic] : topics_) {
      if (filter.Matches(name)) matches.push_back(topic);
    }
  }
  watchers_[key] = std::move(watcher);
  return matches;
}

void TopicRegistry::Unwatch(const TopicWatcher* key) {
  std::lock_guard<std::mutex> lock(mutex_);
  watchers_.erase(key);
}

}  // namespace chorus::broker
