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
      vouched_at_(absl::Now()) {
  thread_.Start([this] { Run(); });
}

LeaseKeeper::~LeaseKeeper() { thread_.Stop(); }

void LeaseKeeper::Run() {
  while (true) {
    absl::Status gone = KeepAliveOverOneStream();
    if (thread_.stopping()) return;
    if (gone.ok() && absl::Now() - vouched_at_ >= lease_.ttl) {
      gone = absl::DeadlineExceededError(absl::StrCat(
          "etcd lease ", lease_.id, ": no keep-alive answered for ",
          absl::FormatDuration(lease_.ttl)));
    }
    if (!gone.ok()) {
      on_lost_(gone);
      return;
    }
    if (!thread_.Sleep(absl::Milliseconds(100))) return;
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
  if (!thread_.Enter(&context)) return absl::OkStatus();
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
    if (!thread_.Sleep(absl::Seconds(response.ttl()) / 3)) break;
  }
  context.TryCancel();
  stream->Finish().IgnoreError();
  thread_.Leave();
  return gone;
}

}  // namespace chorus::etcd
