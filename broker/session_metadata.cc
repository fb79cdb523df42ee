// Session handler for Metadata. On a single node this broker is the only
// one, the controller, and the leader of every partition; in a cluster the
// brokers and the controller come from the cluster's view, the partitions'
// leaders from the controller's assignment, and topics to auto-create are
// asked of the controller before the reply.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "broker/session.h"
#include "proto/wire_status.h"

namespace chorus::broker {

void Session::AddTopicMetadata(const Topic& topic,
                               wire::TopicMetadata* out) const {
  out->set_name(topic.name);
  *out->mutable_config() = topic.config;
  for (const wire::PartitionMetadata& placed : topic.placement) {
    *out->add_partitions() = placed;
  }
}

void Session::CountPartitions(wire::MetadataReply* metadata) const {
  absl::flat_hash_map<std::string_view, wire::BrokerInfo*> by_id;
  for (wire::BrokerInfo& broker : *metadata->mutable_brokers()) {
    by_id[broker.node_id()] = &broker;
  }
  for (const std::shared_ptr<Topic>& topic : context_.registry->List()) {
    for (const wire::PartitionMetadata& placed : topic->placement) {
      for (const std::string& replica : placed.replicas()) {
        if (auto it = by_id.find(replica); it != by_id.end()) {
          it->second->set_partitions(it->second->partitions() + 1);
        }
      }
      if (auto it = by_id.find(placed.leader()); it != by_id.end()) {
        it->second->set_leaders(it->second->leaders() + 1);
      }
    }
  }
}

void Session::HandleMetadata(uint64_t correlation_id,
                             const wire::Metadata& request, bool created) {
  wire::Frame reply;
  wire::MetadataReply* metadata = reply.mutable_metadata_reply();
  if (context_.cluster != nullptr) {
    context_.cluster->Describe(metadata);
  } else {
    const std::string& node_id = context_.options->node_id;
    wire::BrokerInfo* self = metadata->add_brokers();
    self->set_node_id(node_id);
    self->set_address(local_address_);
    self->set_alive(true);
    metadata->set_controller(node_id);
  }
  if (request.cluster_only()) {
    CountPartitions(metadata);
    return Reply(correlation_id, reply);
  }
  if (request.topics().empty()) {
    // Read before the topics: a change after it is announced by a push.
    metadata->set_version(context_.registry->metadata_version());
    for (const std::shared_ptr<Topic>& topic : context_.registry->List()) {
      AddTopicMetadata(*topic, metadata->add_topics());
    }
    return Reply(correlation_id, reply);
  }
  const bool create =
      request.auto_create() && context_.options->auto_create_topics;
  if (create && !created && context_.topic_admin != nullptr) {
    std::vector<std::string> missing;
    for (const std::string& name : request.topics()) {
      if (ValidateTopicName(name).ok() && !context_.registry->Find(name)) {
        missing.push_back(name);
      }
    }
    if (!missing.empty()) {
      return CreateMetadataTopics(correlation_id, request, std::move(missing));
    }
  }
  for (const std::string& name : request.topics()) {
    wire::TopicMetadata* out = metadata->add_topics();
    out->set_name(name);
    absl::StatusOr<std::shared_ptr<Topic>> topic =
        absl::NotFoundError(absl::StrCat("topic ", name, " does not exist"));
    if (absl::Status valid = ValidateTopicName(name); !valid.ok()) {
      topic = valid;
    } else if (create) {
      topic = context_.registry->FindOrCreate(name);
    } else if (std::shared_ptr<Topic> found = context_.registry->Find(name)) {
      topic = std::move(found);
    } else if (request.auto_create()) {
      topic = absl::NotFoundError(
          absl::StrCat("topic ", name, " does not exist (auto-create is off)"));
    }
    if (!topic.ok()) {
      proto::StatusToWire(topic.status(), out->mutable_error());
      continue;
    }
    AddTopicMetadata(**topic, out);
  }
  // After the topics, to count the ones this request created.
  metadata->set_version(context_.registry->metadata_version());
  Reply(correlation_id, reply);
}

}  // namespace chorus::broker
