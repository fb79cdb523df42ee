// Topic: a named set of partitions with its configuration; TopicWatcher,
// the hook through which subscriptions learn of topics created later; and
// MetadataWatcher, through which connections hear that topics changed.
//
// A Topic is immutable after creation but for `deleted` and the round-robin
// counter (atomics), so any shard may hold and read it.
#ifndef CHORUS_BROKER_TOPIC_H_
#define CHORUS_BROKER_TOPIC_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "broker/topic_name.h"
#include "proto/protocol.pb.h"

namespace chorus::broker {

class Partition;

struct Topic {
  std::string name;
  wire::TopicConfig config;
  // Indexed by partition number. In a cluster, null for a partition that
  // another broker leads: this broker holds no log of it.
  std::vector<std::shared_ptr<Partition>> partitions;
  // The non-null ones, in partition order.
  std::vector<std::shared_ptr<Partition>> local_partitions;
  // Leader and replicas of each partition (on a single node, this broker).
  std::vector<wire::PartitionMetadata> placement;
  int64_t created_ms = 0;  // unix milliseconds
  // In a cluster, the create revision of the topic's etcd record; 0 on a
  // single node.
  int64_t incarnation = 0;
  // Partition i is stored under partition id first_partition_id + i.
  uint64_t first_partition_id = 0;
  std::atomic<bool> deleted{false};
  // Next partition for a batch of records without keys.
  std::atomic<uint64_t> round_robin{0};
};

// Implemented by subscriptions. The registry calls OnTopicCreated from
// whichever thread created the topic, under its lock: implementations only
// post work to their own shard.
class TopicWatcher {
 public:
  virtual ~TopicWatcher() = default;
  virtual const TopicFilter& filter() const = 0;
  virtual void OnTopicCreated(std::shared_ptr<Topic> topic) = 0;
};

// Implemented by sessions that asked for MetadataChanged pushes. Called like
// TopicWatcher::OnTopicCreated (any thread, under the registry's lock) after
// every topic creation and deletion, with the registry's new version.
class MetadataWatcher {
 public:
  virtual ~MetadataWatcher() = default;
  virtual void OnMetadataChanged(uint64_t version) = 0;
};

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_TOPIC_H_
