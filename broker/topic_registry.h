// TopicRegistry: the broker's topics by name, their creation, deletion and
// recovery, and the watchers (subscriptions) that follow topics by filter.
//
// Thread-safe: a std::mutex guards the maps. It sits on the admin path
// only; sessions cache the topics they publish to (see Topic::deleted).
//
// On a single node the registry decides: Create, FindOrCreate and Delete.
// In a cluster the controller decides, and the cluster code applies its
// decisions here (Adopt, Drop, Reconcile); Create and FindOrCreate then
// refuse, and the topics hold the logs of the partitions this broker leads.
//
//   TopicRegistry registry(store, &shards, node_id, /*clustered=*/false);
//   CHORUS_RETURN_IF_ERROR(registry.Load());
//   CHORUS_ASSIGN_OR_RETURN(auto topic, registry.Create("acme.x", config));
//   std::vector<std::shared_ptr<Topic>> now = registry.Watch(subscription);
#ifndef CHORUS_BROKER_TOPIC_REGISTRY_H_
#define CHORUS_BROKER_TOPIC_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "broker/shard.h"
#include "broker/topic.h"
#include "proto/cluster.pb.h"
#include "storage/store.h"

namespace chorus::broker {

// Most partitions one topic may have.
inline constexpr uint32_t kMaxPartitions = 1024;

class TopicRegistry {
 public:
  TopicRegistry(storage::Store* store, ShardSet* shards, std::string node_id,
                bool clustered);

  // Fills in the defaults of a new topic's config (1 partition, a status
  // topic's day of history) and checks it. kInvalidArgument when out of
  // bounds.
  static absl::Status NormalizeConfig(wire::TopicConfig* config);

  // Opens every stored topic and its partition logs. Call once, before the
  // shards serve. Errors: those of the store (kDataLoss, kInternal).
  absl::Status Load();

  // The live topic called `name`, or null.
  std::shared_ptr<Topic> Find(absl::string_view name);

  // Creates a topic and tells matching watchers. Errors: kInvalidArgument
  // (name, partitions out of 1..kMaxPartitions, negative retention),
  // kAlreadyExists, storage errors; kFailedPrecondition in a cluster.
  absl::StatusOr<std::shared_ptr<Topic>> Create(absl::string_view name,
                                                wire::TopicConfig config);
  // Find, else Create with the default config (auto-create). In a cluster
  // only Find: kNotFound.
  absl::StatusOr<std::shared_ptr<Topic>> FindOrCreate(absl::string_view name);

  // Forgets the topic (its record first, so a restart does not bring it
  // back), marks it deleted and returns it; the caller removes its partitions
  // on their shards. kNotFound if there is no such topic.
  absl::StatusOr<std::shared_ptr<Topic>> Delete(absl::string_view name);

  // Removes the local partitions of a topic that was deleted or dropped,
  // each on its shard; `done` runs on the last of those shards (at once
  // when there are none).
  static void RemovePartitions(const Topic& topic, std::function<void()> done);

  // In a cluster, what the controller decided about one topic, as read from
  // etcd: its assignment and incarnation.
  struct Assigned {
    wire::TopicAssignment assignment;
    int64_t incarnation = 0;
  };
  // Takes on the topic `name` as assigned, opening the partitions this
  // broker leads and telling watchers. A topic of that name of another
  // incarnation is dropped first. Returns the dropped one (for
  // RemovePartitions), or null.
  absl::StatusOr<std::shared_ptr<Topic>> Adopt(const std::string& name,
                                               const Assigned& assigned);
  // Forgets the topic `name` (the controller deleted it); null if unknown.
  absl::StatusOr<std::shared_ptr<Topic>> Drop(const std::string& name);
  // After a full read of the cluster's topics: drops the ones that are gone
  // or of another incarnation, adopts the ones missing. Returns the dropped.
  // kFailedPrecondition, changing nothing, when a stored topic was made by
  // a single node (its data is not the cluster's to drop).
  absl::StatusOr<std::vector<std::shared_ptr<Topic>>> Reconcile(
      const std::map<std::string, Assigned>& topics);

  // Every live topic, sorted by name.
  std::vector<std::shared_ptr<Topic>> List();

  // Registers `watcher` and returns the topics that match it now; topics
  // created later are passed to watcher->OnTopicCreated. Atomic with Create:
  // each topic is seen exactly once.
  std::vector<std::shared_ptr<Topic>> Watch(std::weak_ptr<TopicWatcher> watcher,
                                            const TopicWatcher* key);
  void Unwatch(const TopicWatcher* key);

  // Registers `watcher` to hear of every topic creation and deletion.
  void WatchMetadata(std::weak_ptr<MetadataWatcher> watcher,
                     const MetadataWatcher* key);
  void UnwatchMetadata(const MetadataWatcher* key);
  // Counts topic creations and deletions, from 1 at start (the version of
  // MetadataReply and MetadataChanged).
  uint64_t metadata_version();

 private:
  absl::StatusOr<std::shared_ptr<Topic>> Open(const wire::TopicRecord& record)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::StatusOr<std::shared_ptr<Topic>> CreateLocked(absl::string_view name,
                                                      wire::TopicConfig config)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Stores `record` (its partition ids allocated here), opens it and tells
  // the watchers.
  absl::StatusOr<std::shared_ptr<Topic>> AddLocked(wire::TopicRecord record)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::StatusOr<std::shared_ptr<Topic>> AdoptLocked(const std::string& name,
                                                     const Assigned& assigned)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Deletes the topic's record, unlists it and marks it deleted.
  absl::Status ForgetLocked(const std::shared_ptr<Topic>& topic)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void MetadataChangedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  storage::Store* const store_;
  ShardSet* const shards_;
  const std::string node_id_;
  const bool clustered_;
  std::mutex mutex_;
  absl::flat_hash_map<std::string, std::shared_ptr<Topic>> topics_
      ABSL_GUARDED_BY(mutex_);
  absl::flat_hash_map<const TopicWatcher*, std::weak_ptr<TopicWatcher>>
      watchers_ ABSL_GUARDED_BY(mutex_);
  absl::flat_hash_map<const MetadataWatcher*, std::weak_ptr<MetadataWatcher>>
      metadata_watchers_ ABSL_GUARDED_BY(mutex_);
  uint64_t metadata_version_ ABSL_GUARDED_BY(mutex_) = 1;
};

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_TOPIC_REGISTRY_H_
