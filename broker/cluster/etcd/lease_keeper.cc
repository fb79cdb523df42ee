#include "broker/cluster/etcd/lease_keeper.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/cluster/etcd/api/rpc.grpc.pb.h"

namespace chorus::etcd {

LeaseKeeper::LeaseKeeper(Client& client, Lease lease, LostCallback on_lost)
    : client_(client),
      lease_(lease),
      on_lost_(std::move(on_lost)),
      vouched_at_(absl::Now()),
      thread_([this] { Run(); }) {}

LeaseKeeper::~LeaseKeeper() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    if (stream_context_ != nullptr) stream_context_->TryCancel();
  }
  wake_.notify_all();
  thread_.join();
}

bool LeaseKeeper::Sleep(absl::Duration duration) {
  std::unique_lock<std::mutex> lock(mutex_);
  return !wake_.wait_for(lock, absl::ToChronoMilliseconds(duration),
                         [this] { return stopping_; });
}

void LeaseKeeper::Run() {
  while (true) {
    absl::Status gone = KeepAliveOverOneStream();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
    }
    if (gone.ok() && absl::Now() - vouched_at_ >= lease_.ttl) {
      gone = absl::DeadlineExceededError(absl::StrCat(
          "etcd lease ", lease_.id, ": no keep-alive answered for ",
          absl::FormatDuration(lease_.ttl)));
    }
    if (!gone.ok()) {
      on_lost_(gone);
      return;
    }
    if (!Sleep(absl::Milliseconds(100))) return;
  }
}

absl::Status LeaseKeeper::KeepAliveOverOneStream() {
  grpc::ClientContext context;
  // The stream ends when the lease's vouched life does: a member that hangs
  // cannot hold the keeper past the moment the lease may have expired.
  context.set_deadline(absl::ToChronoTime(vouched_at_ + lease_.ttl));
  // A member cut off from etcd's leader ends the stream rather than
  // answering for a cluster it cannot reach.
  context.AddMetadata("hasleader", "true");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return absl::OkStatus();
    stream_context_ = &context;
  }
  auto stub = etcdserverpb::Lease::NewStub(client_.channel());
  auto stream = stub->LeaseKeepAlive(&context);
  absl::Status gone = absl::OkStatus();
  while (true) {
    etcdserverpb::LeaseKeepAliveRequest request;
    request.set_id(lease_.id);
    absl::Time sent = absl::Now();
    etcdserverpb::LeaseKeepAliveResponse response;
    if (!stream->Write(request) || !stream->Read(&response)) break;
    if (response.ttl() <= 0) {
      gone = absl::NotFoundError(
          absl::StrCat("etcd lease ", lease_.id, " has expired"));
      break;
    }
    vouched_at_ = sent;
    if (!Sleep(absl::Seconds(response.ttl()) / 3)) break;
  }
  context.TryCancel();
  stream->Finish().IgnoreError();
  std::lock_guard<std::mutex> lock(mutex_);
  stream_context_ = nullptr;
  return gone;
}

}  // namespace chorus::etcd
