#include "broker/cluster/cluster_node.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"

namespace chorus::cluster {
namespace {

// Waits until etcd answers a read, for up to the join timeout: a probe a
// second, each logged when it fails.
absl::Status WaitForEtcd(const ClusterKeys& keys,
                         const ClusterOptions& options) {
  absl::StatusOr<std::unique_ptr<etcd::Client>> probe_client =
      etcd::Client::Connect(options.etcd, {.call_timeout = absl::Seconds(1)});
  if (!probe_client.ok()) return probe_client.status();
  const absl::Time deadline = absl::Now() + options.join_timeout;
  while (true) {
    const absl::Time attempt = absl::Now();
    absl::StatusOr<std::optional<etcd::KeyValue>> probe =
        (*probe_client)->Get(keys.NextNodeId());
    if (probe.ok()) return absl::OkStatus();
    if (absl::Now() >= deadline) {
      return absl::UnavailableError(
          absl::StrCat("etcd at ", options.etcd, " did not answer for ",
                       absl::FormatDuration(options.join_timeout), ": ",
                       probe.status().message()));
    }
    Log(LogLevel::kWarning, "cluster",
        absl::StrCat("etcd at ", options.etcd, " does not answer (",
                     probe.status().message(), "); retrying"));
    absl::SleepFor(absl::Seconds(1) - (absl::Now() - attempt));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<ClusterNode>> ClusterNode::Open(
    const ClusterOptions& options, const std::string& data_dir) {
  // Calls are bounded by the session timeout; the start-up wait is
  // WaitForEtcd's own.
  absl::StatusOr<std::unique_ptr<etcd::Client>> etcd = etcd::Client::Connect(
      options.etcd,
      {.call_timeout = std::min(absl::Seconds(5), options.session_timeout)});
  if (!etcd.ok()) return etcd.status();
  const ClusterKeys keys(options.name);
  if (absl::Status reached = WaitForEtcd(keys, options); !reached.ok()) {
    return reached;
  }
  absl::StatusOr<BrokerIdentity> identity =
      LoadOrAssignIdentity(data_dir, options.name, **etcd, keys);
  if (!identity.ok()) return identity.status();
  return std::unique_ptr<ClusterNode>(
      new ClusterNode(options, *std::move(etcd), *std::move(identity)));
}

ClusterNode::ClusterNode(ClusterOptions options,
                         std::unique_ptr<etcd::Client> etcd,
                         BrokerIdentity identity)
    : options_(std::move(options)),
      etcd_(std::move(etcd)),
      keys_(options_.name),
      identity_(std::move(identity)),
      directory_(std::make_shared<ClusterDirectory>(options_.name)),
      // A request may wait out a controller's failover (a session timeout).
      topic_admin_(std::make_shared<TopicAdminService>(
          *etcd_, keys_, identity_.node_id,
          std::max(absl::Seconds(10), 2 * options_.session_timeout))) {}

ClusterNode::~ClusterNode() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (supervisor_.joinable()) supervisor_.join();
  Leave();
}

absl::Status ClusterNode::Join(const std::string& address,
                               broker::TopicRegistry* registry) {
  registry_ = registry;
  topic_admin_->SetLocalLookup([registry](const std::string& name) {
    std::shared_ptr<broker::Topic> topic = registry->Find(name);
    return topic ? topic->incarnation : int64_t{0};
  });
  record_.set_node_id(identity_.node_id);
  record_.set_address(address);
  record_.set_rack(options_.rack);
  record_.set_started_ms(absl::ToUnixMillis(absl::Now()));
  if (absl::Status entered = Enter(); !entered.ok()) return entered;
  supervisor_ = std::thread([this] { Supervise(); });
  return absl::OkStatus();
}

absl::Status ClusterNode::Enter() {
  absl::StatusOr<std::unique_ptr<Membership>> membership = Membership::Join(
      *etcd_, keys_, record_, options_, [this](absl::Status why) {
        Log(LogLevel::kError, "cluster",
            absl::StrCat("broker ", identity_.node_id,
                         " lost its registration (", why.message(),
                         "): it stops acting for the cluster until it "
                         "joins again"));
        RequestRejoin();
      });
  if (!membership.ok()) return membership.status();
  membership_ = *std::move(membership);
  Log(LogLevel::kInfo, "cluster",
      absl::StrCat("broker ", identity_.node_id, " joined cluster ",
                   options_.name, " at ", record_.address(), " (incarnation ",
                   membership_->incarnation(), ")"));
  absl::StatusOr<etcd::RangeResult> brokers =
      etcd_->GetPrefix(keys_.BrokersPrefix());
  if (!brokers.ok()) return brokers.status();
  std::map<std::string, wire::BrokerRecord> records;
  for (const etcd::KeyValue& kv : brokers->kvs) {
    wire::BrokerRecord record;
    if (record.ParseFromString(kv.value)) {
      records[record.node_id()] = std::move(record);
    }
  }
  directory_->SetBrokers(std::move(records));
  WatchBrokers(brokers->revision + 1);
  if (absl::Status synced = SyncTopics(); !synced.ok()) return synced;
  election_ = std::make_unique<ControllerElection>(
      *etcd_, keys_, identity_.node_id, membership_->lease_id(),
      [this](const ControllerInfo& now) { OnControllerChange(now); });
  return absl::OkStatus();
}

void ClusterNode::OnControllerChange(const ControllerInfo& now) {
  directory_->SetController(now);
  std::lock_guard<std::mutex> lock(controller_mutex_);
  if (now.node_id != identity_.node_id || now.epoch == 0) {
    controller_.reset();
    return;
  }
  if (controller_ && controller_->epoch() == now.epoch) return;
  controller_.reset();
  controller_ = std::make_unique<TopicController>(
      *etcd_, keys_, now.epoch, [this] { return directory_->Brokers(); });
}

absl::Status ClusterNode::SyncTopics() {
  absl::StatusOr<etcd::RangeResult> topics =
      etcd_->GetPrefix(keys_.TopicsPrefix());
  if (!topics.ok()) return topics.status();
  std::map<std::string, broker::TopicRegistry::Assigned> assigned;
  for (const etcd::KeyValue& kv : topics->kvs) {
    broker::TopicRegistry::Assigned& topic =
        assigned[std::string(keys_.TopicNameOf(kv.key))];
    if (!topic.assignment.ParseFromString(kv.value)) {
      return absl::DataLossError(
          absl::StrCat("the etcd record ", kv.key, " does not parse"));
    }
    topic.incarnation = kv.create_revision;
  }
  absl::StatusOr<std::vector<std::shared_ptr<broker::Topic>>> dropped =
      registry_->Reconcile(assigned);
  if (!dropped.ok()) return dropped.status();
  for (const std::shared_ptr<broker::Topic>& topic : *dropped) {
    broker::TopicRegistry::RemovePartitions(*topic, [] {});
    topic_admin_->Settle(topic->name, 0);
  }
  for (const auto& [name, topic] : assigned) {
    topic_admin_->Settle(name, topic.incarnation);
  }
  WatchTopics(topics->revision + 1);
  return absl::OkStatus();
}

void ClusterNode::WatchTopics(int64_t from_revision) {
  topics_watch_ = std::make_unique<etcd::Watcher>(
      *etcd_, keys_.TopicsPrefix(), from_revision,
      [this](std::vector<etcd::WatchEvent> events) {
        for (const etcd::WatchEvent& event : events) {
          if (event.type == etcd::WatchEvent::Type::kDelete) {
            DropTopic(std::string(keys_.TopicNameOf(event.kv.key)));
          } else {
            ApplyTopic(event.kv);
          }
        }
      },
      [this](absl::Status why) {
        Log(LogLevel::kWarning, "cluster",
            absl::StrCat("watch of topics ended (", why.message(),
                         "): joining again"));
        RequestRejoin();
      });
}

void ClusterNode::ApplyTopic(const etcd::KeyValue& kv) {
  const std::string name(keys_.TopicNameOf(kv.key));
  broker::TopicRegistry::Assigned assigned;
  assigned.incarnation = kv.create_revision;
  if (!assigned.assignment.ParseFromString(kv.value)) {
    Log(LogLevel::kError, "cluster",
        absl::StrCat("the etcd record of topic ", name, " does not parse"));
    return;
  }
  absl::StatusOr<std::shared_ptr<broker::Topic>> replaced =
      registry_->Adopt(name, assigned);
  if (!replaced.ok()) {
    Log(LogLevel::kError, "cluster",
        absl::StrCat("cannot take on topic ", name, ": ",
                     replaced.status().message()));
    return;
  }
  if (*replaced) broker::TopicRegistry::RemovePartitions(**replaced, [] {});
  topic_admin_->Settle(name, assigned.incarnation);
}

void ClusterNode::DropTopic(const std::string& name) {
  absl::StatusOr<std::shared_ptr<broker::Topic>> dropped =
      registry_->Drop(name);
  if (!dropped.ok()) {
    Log(LogLevel::kError, "cluster",
        absl::StrCat("cannot drop topic ", name, ": ",
                     dropped.status().message()));
    return;
  }
  if (*dropped) broker::TopicRegistry::RemovePartitions(**dropped, [] {});
  topic_admin_->Settle(name, 0);
}

void ClusterNode::RequestRejoin() {
  std::lock_guard<std::mutex> lock(mutex_);
  rejoin_ = true;
  wake_.notify_all();
}

void ClusterNode::WatchBrokers(int64_t from_revision) {
  brokers_watch_ = std::make_unique<etcd::Watcher>(
      *etcd_, keys_.BrokersPrefix(), from_revision,
      [this](std::vector<etcd::WatchEvent> events) {
        for (etcd::WatchEvent& event : events) {
          if (event.type == etcd::WatchEvent::Type::kDelete) {
            directory_->RemoveBroker(std::string(keys_.NodeIdOf(event.kv.key)));
            continue;
          }
          wire::BrokerRecord record;
          if (record.ParseFromString(event.kv.value)) {
            directory_->PutBroker(std::move(record));
          }
        }
      },
      [this](absl::Status why) {
        Log(LogLevel::kWarning, "cluster",
            absl::StrCat("watch of brokers ended (", why.message(),
                         "): joining again"));
        RequestRejoin();
      });
}

void ClusterNode::Leave() {
  election_.reset();
  {
    std::lock_guard<std::mutex> lock(controller_mutex_);
    controller_.reset();
  }
  topics_watch_.reset();
  brokers_watch_.reset();
  membership_.reset();
  directory_->SetController({});
}

void ClusterNode::Supervise() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || rejoin_; });
    if (stopping_) return;
    rejoin_ = false;
    lock.unlock();
    Leave();
    const absl::Status entered = Enter();
    lock.lock();
    if (!entered.ok()) {
      Log(LogLevel::kWarning, "cluster",
          absl::StrCat("joining again failed: ", entered.message(),
                       "; retrying"));
      rejoin_ = true;
      wake_.wait_for(lock, std::chrono::seconds(1),
                     [this] { return stopping_; });
    }
  }
}

}  // namespace chorus::cluster
