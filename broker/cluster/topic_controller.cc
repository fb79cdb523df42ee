#include "broker/cluster/topic_controller.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "broker/cluster/controller_election.h"
#include "broker/cluster/placement.h"
#include "common/log.h"

namespace chorus::cluster {
namespace {

constexpr absl::Duration kRetryPause = absl::Milliseconds(200);

}  // namespace

TopicController::TopicController(etcd::Client& etcd, const ClusterKeys& keys,
                                 int64_t epoch, LiveBrokers live_brokers)
    : etcd_(etcd),
      keys_(keys),
      epoch_(epoch),
      live_brokers_(std::move(live_brokers)),
      thread_([this] { Run(); }) {}

TopicController::~TopicController() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  watch_.reset();
}

bool TopicController::WaitFor(absl::Duration pause) {
  std::unique_lock<std::mutex> lock(mutex_);
  return !wake_.wait_for(lock, absl::ToChronoNanoseconds(pause),
                         [this] { return stopping_; });
}

void TopicController::Run() {
  while (true) {
    if (!Start()) {
      if (!WaitFor(kRetryPause)) return;
      continue;
    }
    while (true) {
      etcd::KeyValue request;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] {
          return stopping_ || restart_ || !requests_.empty();
        });
        if (stopping_) return;
        if (restart_) break;
        request = std::move(requests_.front());
        requests_.pop_front();
      }
      Outcome outcome;
      while ((outcome = CarryOut(request)) == Outcome::kRetry) {
        if (!WaitFor(kRetryPause)) return;
      }
      if (outcome == Outcome::kSuperseded) {
        Log(LogLevel::kInfo, "controller",
            absl::StrCat("controller epoch ", epoch_,
                         " was superseded: topic requests are left to the "
                         "new controller"));
        watch_.reset();
        return;
      }
    }
  }
}

bool TopicController::Start() {
  watch_.reset();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.clear();
    restart_ = false;
  }
  absl::StatusOr<etcd::RangeResult> topics =
      etcd_.GetPrefix(keys_.TopicsPrefix());
  absl::StatusOr<etcd::RangeResult> requests =
      topics.ok() ? etcd_.GetPrefix(keys_.TopicRequestsPrefix()) : topics;
  if (!requests.ok()) {
    Log(LogLevel::kWarning, "controller",
        absl::StrCat("cannot read the topics: ", requests.status().message(),
                     "; retrying"));
    return false;
  }
  topics_.clear();
  load_.clear();
  for (const etcd::KeyValue& kv : topics->kvs) {
    wire::TopicAssignment assignment;
    if (!assignment.ParseFromString(kv.value)) continue;
    for (const wire::PartitionMetadata& partition : assignment.partitions()) {
      for (const std::string& replica : partition.replicas()) ++load_[replica];
    }
    topics_[std::string(keys_.TopicNameOf(kv.key))] = std::move(assignment);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.assign(requests->kvs.begin(), requests->kvs.end());
  }
  watch_ = std::make_unique<etcd::Watcher>(
      etcd_, keys_.TopicRequestsPrefix(), requests->revision + 1,
      [this](std::vector<etcd::WatchEvent> events) {
        std::lock_guard<std::mutex> lock(mutex_);
        for (etcd::WatchEvent& event : events) {
          if (event.type == etcd::WatchEvent::Type::kPut) {
            requests_.push_back(std::move(event.kv));
          }
        }
        wake_.notify_all();
      },
      [this](absl::Status why) {
        Log(LogLevel::kWarning, "controller",
            absl::StrCat("watch of topic requests ended (", why.message(),
                         "): reading them again"));
        std::lock_guard<std::mutex> lock(mutex_);
        restart_ = true;
        wake_.notify_all();
      });
  return true;
}

TopicController::Outcome TopicController::CarryOut(
    const etcd::KeyValue& request) {
  const std::string name(keys_.TopicNameOf(request.key));
  wire::TopicRequest parsed;
  if (!parsed.ParseFromString(request.value)) {
    Log(LogLevel::kWarning, "controller",
        absl::StrCat("discarding an unreadable request for topic ", name));
    return Discard(name, request.mod_revision);
  }
  if (parsed.kind() == wire::TopicRequest::DELETE) {
    return Delete(name, request.mod_revision);
  }
  return Create(name, parsed, request.mod_revision);
}

TopicController::Outcome TopicController::Create(
    const std::string& name, const wire::TopicRequest& request,
    int64_t request_revision) {
  if (topics_.contains(name)) return Discard(name, request_revision);
  const std::vector<std::string> brokers = live_brokers_();
  if (brokers.empty()) return Outcome::kRetry;
  std::map<std::string, int> load = load_;
  wire::TopicAssignment assignment;
  *assignment.mutable_config() = request.config();
  for (wire::PartitionMetadata& partition :
       AssignReplicas(brokers, load, request.config().partitions(), 1)) {
    *assignment.add_partitions() = std::move(partition);
  }
  assignment.set_created_ms(absl::ToUnixMillis(absl::Now()));
  assignment.set_controller_epoch(epoch_);
  const std::string topic_key = keys_.Topic(name);
  const std::string request_key = keys_.TopicRequest(name);
  absl::StatusOr<etcd::TxnResult> written = ControllerElection::FencedTxn(
      etcd_, keys_, epoch_,
      {etcd::Compare::Absent(topic_key),
       etcd::Compare::ModRevisionIs(request_key, request_revision)},
      {etcd::Op::Put(topic_key, assignment.SerializeAsString()),
       etcd::Op::Delete(request_key)});
  if (absl::IsAborted(written.status())) {
    // The request changed (its newer version comes through the watch).
    return Outcome::kDone;
  }
  const Outcome outcome =
      Judge(written.status(), absl::StrCat("create topic ", name));
  if (outcome != Outcome::kDone) return outcome;
  Log(LogLevel::kInfo, "controller",
      absl::StrCat("created topic ", name, " (", assignment.partitions_size(),
                   " partitions, asked by broker ", request.requested_by(),
                   ")"));
  topics_[name] = std::move(assignment);
  load_ = std::move(load);
  return Outcome::kDone;
}

TopicController::Outcome TopicController::Delete(const std::string& name,
                                                 int64_t request_revision) {
  const std::string request_key = keys_.TopicRequest(name);
  absl::StatusOr<etcd::TxnResult> written = ControllerElection::FencedTxn(
      etcd_, keys_, epoch_,
      {etcd::Compare::ModRevisionIs(request_key, request_revision)},
      {etcd::Op::Delete(keys_.Topic(name)), etcd::Op::Delete(request_key)});
  if (absl::IsAborted(written.status())) return Outcome::kDone;
  const Outcome outcome =
      Judge(written.status(), absl::StrCat("delete topic ", name));
  if (outcome != Outcome::kDone) return outcome;
  if (auto it = topics_.find(name); it != topics_.end()) {
    for (const wire::PartitionMetadata& partition : it->second.partitions()) {
      for (const std::string& replica : partition.replicas()) {
        --load_[replica];
      }
    }
    topics_.erase(it);
    Log(LogLevel::kInfo, "controller", absl::StrCat("deleted topic ", name));
  }
  return Outcome::kDone;
}

TopicController::Outcome TopicController::Discard(const std::string& name,
                                                  int64_t request_revision) {
  const std::string request_key = keys_.TopicRequest(name);
  absl::StatusOr<etcd::TxnResult> written = ControllerElection::FencedTxn(
      etcd_, keys_, epoch_,
      {etcd::Compare::ModRevisionIs(request_key, request_revision)},
      {etcd::Op::Delete(request_key)});
  if (absl::IsAborted(written.status())) return Outcome::kDone;
  return Judge(written.status(),
               absl::StrCat("discard the request for topic ", name));
}

TopicController::Outcome TopicController::Judge(const absl::Status& status,
                                                const std::string& what) {
  if (status.ok()) return Outcome::kDone;
  if (absl::IsFailedPrecondition(status)) return Outcome::kSuperseded;
  Log(LogLevel::kWarning, "controller",
      absl::StrCat("cannot ", what, ": ", status.message(), "; retrying"));
  return Outcome::kRetry;
}

}  // namespace chorus::cluster
