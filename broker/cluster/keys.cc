#include "broker/cluster/keys.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace chorus::cluster {

ClusterKeys::ClusterKeys(absl::string_view cluster)
    : root_(absl::StrCat("/chorus/", cluster, "/")) {}

std::string ClusterKeys::BrokersPrefix() const {
  return absl::StrCat(root_, "brokers/");
}

std::string ClusterKeys::Broker(absl::string_view node_id) const {
  return absl::StrCat(BrokersPrefix(), node_id);
}

absl::string_view ClusterKeys::NodeIdOf(absl::string_view broker_key) const {
  absl::ConsumePrefix(&broker_key, root_);
  absl::ConsumePrefix(&broker_key, "brokers/");
  return broker_key;
}

std::string ClusterKeys::NextNodeId() const {
  return absl::StrCat(root_, "next-node-id");
}

std::string ClusterKeys::Controller() const {
  return absl::StrCat(root_, "controller");
}

std::string ClusterKeys::TopicsPrefix() const {
  return absl::StrCat(root_, "topics/");
}

std::string ClusterKeys::Topic(absl::string_view name) const {
  return absl::StrCat(TopicsPrefix(), name);
}

std::string ClusterKeys::TopicRequestsPrefix() const {
  return absl::StrCat(root_, "topic-requests/");
}

std::string ClusterKeys::TopicRequest(absl::string_view name) const {
  return absl::StrCat(TopicRequestsPrefix(), name);
}

absl::string_view ClusterKeys::TopicNameOf(absl::string_view key) const {
  absl::ConsumePrefix(&key, root_);
  if (!absl::ConsumePrefix(&key, "topics/")) {
    absl::ConsumePrefix(&key, "topic-requests/");
  }
  return key;
}

}  // namespace chorus::cluster
