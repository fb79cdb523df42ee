#include "broker/cluster/topic_admin_service.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace chorus::cluster {

TopicAdminService::TopicAdminService(etcd::Client& etcd,
                                     const ClusterKeys& keys,
                                     std::string node_id,
                                     absl::Duration timeout)
    : etcd_(etcd),
      keys_(keys),
      node_id_(std::move(node_id)),
      timeout_(timeout),
      thread_([this] { Run(); }) {}

TopicAdminService::~TopicAdminService() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  const absl::Status stopped =
      absl::UnavailableError("the broker is leaving the cluster");
  for (Job& job : jobs_) job.done(stopped);
  for (auto& [name, waiter] : waiters_) waiter.done(stopped);
}

void TopicAdminService::SetLocalLookup(LocalLookup lookup) {
  std::lock_guard<std::mutex> lock(mutex_);
  local_lookup_ = std::move(lookup);
}

void TopicAdminService::CreateTopic(const std::string& name,
                                    wire::TopicConfig config, Done done) {
  Job job{name, {}, std::move(done)};
  job.request.set_kind(wire::TopicRequest::CREATE);
  *job.request.mutable_config() = std::move(config);
  Submit(std::move(job));
}

void TopicAdminService::DeleteTopic(const std::string& name, Done done) {
  Job job{name, {}, std::move(done)};
  job.request.set_kind(wire::TopicRequest::DELETE);
  Submit(std::move(job));
}

void TopicAdminService::Submit(Job job) {
  job.request.set_requested_by(node_id_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_all();
}

void TopicAdminService::Settle(const std::string& name, int64_t incarnation) {
  std::vector<Waiter> settled;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto [begin, end] = waiters_.equal_range(name);
    for (auto it = begin; it != end;) {
      if (!it->second.SatisfiedBy(incarnation)) {
        ++it;
        continue;
      }
      settled.push_back(std::move(it->second));
      it = waiters_.erase(it);
    }
  }
  for (Waiter& waiter : settled) waiter.done(waiter.outcome);
}

void TopicAdminService::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (!jobs_.empty()) {
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      File(std::move(job));
      lock.lock();
      continue;
    }
    std::optional<absl::Time> next;
    std::vector<Waiter> expired;
    const absl::Time now = absl::Now();
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->second.deadline <= now) {
        expired.push_back(std::move(it->second));
        it = waiters_.erase(it);
        continue;
      }
      if (!next || it->second.deadline < *next) next = it->second.deadline;
      ++it;
    }
    if (!expired.empty()) {
      lock.unlock();
      for (Waiter& waiter : expired) {
        waiter.done(absl::DeadlineExceededError(
            absl::StrCat("the controller did not carry out the request within ",
                         absl::FormatDuration(timeout_),
                         " (it stays filed; is a controller elected?)")));
      }
      lock.lock();
      continue;
    }
    auto ready = [this] { return stopping_ || !jobs_.empty(); };
    if (next) {
      wake_.wait_until(lock, absl::ToChronoTime(*next), ready);
    } else {
      wake_.wait(lock, ready);
    }
  }
}

void TopicAdminService::Await(const std::string& name, Waiter waiter) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const int64_t held = local_lookup_ ? local_lookup_(name) : 0;
    if (!waiter.SatisfiedBy(held)) {
      waiter.deadline = absl::Now() + timeout_;
      waiters_.emplace(name, std::move(waiter));
      return;
    }
  }
  waiter.done(waiter.outcome);
}

void TopicAdminService::File(Job job) {
  const std::string topic_key = keys_.Topic(job.name);
  const std::string request_key = keys_.TopicRequest(job.name);
  const bool create = job.request.kind() == wire::TopicRequest::CREATE;
  std::vector<etcd::Compare> compares = {etcd::Compare::Absent(request_key)};
  int64_t deleting = 0;  // the incarnation a delete removes
  if (create) {
    compares.push_back(etcd::Compare::Absent(topic_key));
  } else {
    absl::StatusOr<std::optional<etcd::KeyValue>> current =
        etcd_.Get(topic_key);
    if (!current.ok()) return job.done(current.status());
    if (!current->has_value()) {
      return job.done(absl::NotFoundError(
          absl::StrCat("topic ", job.name, " does not exist")));
    }
    deleting = (*current)->create_revision;
    compares.push_back(etcd::Compare::CreateRevisionIs(topic_key, deleting));
  }
  absl::StatusOr<etcd::TxnResult> filed = etcd_.Txn(
      compares, {etcd::Op::Put(request_key, job.request.SerializeAsString())},
      {etcd::Op::Get(request_key)});
  if (!filed.ok()) return job.done(filed.status());
  if (filed->succeeded) {
    // While the request is pending no other can be filed, so the next
    // topic of this name is the one it creates.
    return Await(job.name,
                 {create, deleting, absl::OkStatus(), {}, std::move(job.done)});
  }
  const bool pending = !filed->reads.empty() && !filed->reads[0].empty();
  if (pending) {
    return job.done(
        create ? absl::AlreadyExistsError(absl::StrCat(
                     "topic ", job.name, " is being created or deleted"))
               : absl::AbortedError(
                     absl::StrCat("another request for topic ", job.name,
                                  " is being carried out; try again")));
  }
  if (!create) {
    return job.done(absl::AbortedError(
        absl::StrCat("topic ", job.name, " changed meanwhile; try again")));
  }
  // It exists: the answer is that, once this broker holds it too.
  Await(job.name, {true,
                   0,
                   absl::AlreadyExistsError(
                       absl::StrCat("topic ", job.name, " already exists")),
                   {},
                   std::move(job.done)});
}

}  // namespace chorus::cluster
