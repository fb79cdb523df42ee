#include "broker/shard.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace chorus::broker {

GroupCommit::GroupCommit(storage::Store* store,
                         asio::io_context::executor_type executor)
    : store_(store), executor_(executor) {}

storage::CommitBatch* GroupCommit::Batch() {
  if (!scheduled_) {
    scheduled_ = true;
    asio::post(executor_, [this] { CommitNow(); });
  }
  return &batch_;
}

void GroupCommit::OnStored(Done done) { waiting_.push_back(std::move(done)); }

void GroupCommit::BeforeCommit(
    absl::AnyInvocable<void(storage::CommitBatch*)> stage) {
  before_commit_.push_back(std::move(stage));
}

void GroupCommit::CommitNow() {
  scheduled_ = false;
  std::vector<absl::AnyInvocable<void(storage::CommitBatch*)>> stages;
  stages.swap(before_commit_);
  for (auto& stage : stages) stage(&batch_);
  auto waiting = std::make_shared<std::vector<Done>>(std::move(waiting_));
  waiting_.clear();
  // The batch leaves batch_ before the store sees it: the store calls back
  // inline (fsync interval and never), and a callback may stage the next
  // turn's writes (a stale marker, a dead letter), which must go into a
  // fresh batch_ for the next commit rather than be dropped with this one.
  storage::CommitBatch batch = std::move(batch_);
  batch_ = storage::CommitBatch();
  // Under fsync=always the store calls back from its sync thread; either
  // way the callbacks run here on the shard.
  store_->Commit(std::move(batch),
                 [executor = executor_, waiting](absl::Status status) {
                   asio::dispatch(executor, [waiting, status] {
                     for (Done& done : *waiting) done(status);
                   });
                 });
}

Shard::Shard(int index, storage::Store* store)
    : index_(index),
      group_commit_(store, io_context_.get_executor()),
      leases_(index, io_context_.get_executor()) {}

Shard::~Shard() { Stop(); }

void Shard::Start() {
  work_.emplace(io_context_.get_executor());
  thread_ = std::thread([this] {
    while (true) {
      try {
        io_context_.run();
        return;
      } catch (const std::exception& e) {
        // A handler threw: a bug, but one connection's bug must not take the
        // shard down. Log it and keep serving.
        Log(LogLevel::kError, "shard",
            absl::StrCat("shard ", index_, " handler threw: ", e.what()));
      }
    }
  });
}

void Shard::Stop() {
  if (!thread_.joinable()) return;
  work_.reset();
  io_context_.stop();
  thread_.join();
}

}  // namespace chorus::broker
