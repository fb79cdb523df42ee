// TopicAdmin: how a clustered broker creates and deletes topics. In a
// cluster only the controller decides which topics exist and where their
// partitions live, so a session hands the request to the cluster code
// (broker/cluster/topic_admin_service.h) and answers when it is carried out.
// A single node has none and uses its TopicRegistry directly.
//
// Contract: thread-safe and non-blocking; `done` runs once, on a thread of
// the implementation's, after this broker's TopicRegistry shows the change
// (so the session finds the new topic, or no longer finds the deleted one).
// Errors: kAlreadyExists (CreateTopic: the topic exists or is being
// created), kNotFound (DeleteTopic), kUnavailable / kDeadlineExceeded (etcd
// or the controller did not answer in time).
#ifndef CHORUS_BROKER_TOPIC_ADMIN_H_
#define CHORUS_BROKER_TOPIC_ADMIN_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "proto/protocol.pb.h"

namespace chorus::broker {

class TopicAdmin {
 public:
  using Done = std::function<void(absl::Status)>;

  virtual ~TopicAdmin() = default;
  // `config` is normalized and valid (TopicRegistry::NormalizeConfig).
  virtual void CreateTopic(const std::string& name, wire::TopicConfig config,
                           Done done) = 0;
  virtual void DeleteTopic(const std::string& name, Done done) = 0;
};

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_TOPIC_ADMIN_H_
