// TopicController: the controller's work on topics. Runs on the broker that
// won the election, for as long as its epoch lasts: it carries out the
// requests brokers file under "topic-requests/" (topic_admin_service.h),
// placing a new topic's partitions on the live brokers (placement.h) and
// writing its assignment to "topics/<name>", or deleting it.
//
//   TopicController controller(etcd, keys, epoch, [&] { return live(); });
//
// Contract: every write is fenced by `epoch` and removes the request it
// carries out in the same transaction, so a request is carried out once
// even across a controller change; once the epoch is superseded the
// controller writes nothing more. A create for a topic that exists, or a
// delete of one that is gone, is discarded. etcd errors are retried every
// 200 ms. Runs on a thread of its own; the destructor stops it.
#ifndef CHORUS_BROKER_CLUSTER_TOPIC_CONTROLLER_H_
#define CHORUS_BROKER_CLUSTER_TOPIC_CONTROLLER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "broker/cluster/etcd/etcd_client.h"
#include "broker/cluster/etcd/watcher.h"
#include "broker/cluster/keys.h"
#include "proto/cluster.pb.h"

namespace chorus::cluster {

class TopicController {
 public:
  // The node ids of the live brokers.
  using LiveBrokers = std::function<std::vector<std::string>()>;

  TopicController(etcd::Client& etcd, const ClusterKeys& keys, int64_t epoch,
                  LiveBrokers live_brokers);
  ~TopicController();
  TopicController(const TopicController&) = delete;
  TopicController& operator=(const TopicController&) = delete;

  int64_t epoch() const { return epoch_; }

 private:
  // How carrying out one request ended.
  enum class Outcome { kDone, kRetry, kSuperseded };

  void Run();
  // Reads every topic and request, and watches requests from there on.
  bool Start();
  Outcome CarryOut(const etcd::KeyValue& request);
  Outcome Create(const std::string& name, const wire::TopicRequest& request,
                 int64_t request_revision);
  Outcome Delete(const std::string& name, int64_t request_revision);
  // Removes a request that cannot be carried out.
  Outcome Discard(const std::string& name, int64_t request_revision);
  // What a fenced write's status means for the request.
  Outcome Judge(const absl::Status& status, const std::string& what);
  bool WaitFor(absl::Duration pause);

  etcd::Client& etcd_;
  const ClusterKeys keys_;
  const int64_t epoch_;
  const LiveBrokers live_brokers_;

  // Owned by the controller's thread.
  std::map<std::string, wire::TopicAssignment> topics_;
  std::map<std::string, int> load_;  // partitions placed on each broker
  std::unique_ptr<etcd::Watcher> watch_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<etcd::KeyValue> requests_;  // filled by the watch
  bool restart_ = false;                 // the watch failed
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace chorus::cluster

#endif  // CHORUS_BROKER_CLUSTER_TOPIC_CONTROLLER_H_
