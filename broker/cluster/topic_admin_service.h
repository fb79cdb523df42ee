// TopicAdminService: broker::TopicAdmin for a clustered broker. It files a
// request in etcd ("topic-requests/<name>") for the controller to carry out
// (topic_controller.h), and answers the session once this broker's registry
// shows the outcome, which ClusterNode reports through Settle as it applies
// the controller's writes.
//
//   auto admin = std::make_shared<TopicAdminService>(etcd, keys, "1", 10s);
//   admin->CreateTopic("acme.x", config, [](absl::Status s) { ... });
//   ...  // ClusterNode, after registry.Adopt("acme.x", ...):
//   admin->Settle("acme.x", incarnation);
//
// A create is answered once this broker holds the topic; a delete once it
// no longer holds the incarnation it deleted. Other brokers follow etcd a
// moment later.
//
// Contract: CreateTopic and DeleteTopic never block: etcd is written from
// the service's own thread, where `done` also runs (once). A create is
// refused with kAlreadyExists when the topic exists (after this broker has
// it too) or a request for it is pending; a delete with kNotFound when it
// does not exist. A request not carried out within `timeout` fails with
// kDeadlineExceeded (the request stays filed: a controller elected later
// may still carry it out). The destructor fails what is waiting with
// kUnavailable.
#ifndef CHORUS_BROKER_CLUSTER_TOPIC_ADMIN_SERVICE_H_
#define CHORUS_BROKER_CLUSTER_TOPIC_ADMIN_SERVICE_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "broker/cluster/etcd/etcd_client.h"
#include "broker/cluster/keys.h"
#include "broker/topic_admin.h"
#include "proto/cluster.pb.h"

namespace chorus::cluster {

class TopicAdminService : public broker::TopicAdmin {
 public:
  // The incarnation of the topic this broker's registry holds under `name`,
  // 0 when it holds none.
  using LocalLookup = std::function<int64_t(const std::string& name)>;

  TopicAdminService(etcd::Client& etcd, const ClusterKeys& keys,
                    std::string node_id, absl::Duration timeout);
  ~TopicAdminService() override;
  TopicAdminService(const TopicAdminService&) = delete;
  TopicAdminService& operator=(const TopicAdminService&) = delete;

  // Set once the registry exists (ClusterNode::Join); until then no topic
  // counts as held here.
  void SetLocalLookup(LocalLookup lookup);
  // This broker's registry now holds `name` at `incarnation` (0: no
  // longer holds it).
  void Settle(const std::string& name, int64_t incarnation);

  // broker::TopicAdmin
  void CreateTopic(const std::string& name, wire::TopicConfig config,
                   Done done) override;
  void DeleteTopic(const std::string& name, Done done) override;

 private:
  struct Job {
    std::string name;
    wire::TopicRequest request;
    Done done;
  };
  // Someone waiting for `name` to be held here (a create), or to be held
  // no longer at incarnation `gone` (a delete).
  struct Waiter {
    bool want_exists;
    int64_t gone;
    absl::Status outcome;  // what `done` gets when it settles
    absl::Time deadline;
    Done done;
    bool SatisfiedBy(int64_t incarnation) const {
      return want_exists ? incarnation != 0 : incarnation != gone;
    }
  };
  using Waiters = std::multimap<std::string, Waiter>;

  void Run();
  void File(Job job);
  // Runs `waiter.done` now if this broker's registry satisfies it, else
  // when Settle does (or its deadline passes). Checked and registered
  // under the lock that Settle takes, so no change falls in between.
  void Await(const std::string& name, Waiter waiter);
  void Submit(Job job);

  etcd::Client& etcd_;
  const ClusterKeys keys_;
  const std::string node_id_;
  const absl::Duration timeout_;

  std::mutex mutex_;
  std::condition_variable wake_;
  LocalLookup local_lookup_;
  std::deque<Job> jobs_;
  Waiters waiters_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace chorus::cluster

#endif  // CHORUS_BROKER_CLUSTER_TOPIC_ADMIN_SERVICE_H_
