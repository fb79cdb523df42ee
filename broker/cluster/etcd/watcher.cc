#include "broker/cluster/etcd/watcher.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/cluster/etcd/api/rpc.grpc.pb.h"
#include "broker/cluster/etcd/grpc_glue.h"

namespace chorus::etcd {

Watcher::Watcher(Client& client, std::string prefix, int64_t start_revision,
                 EventsCallback on_events, FailedCallback on_failed)
    : client_(client),
      prefix_(std::move(prefix)),
      next_revision_(start_revision),
      on_events_(std::move(on_events)),
      on_failed_(std::move(on_failed)) {
  thread_.Start([this] { Run(); });
}

Watcher::~Watcher() { thread_.Stop(); }

void Watcher::Run() {
  absl::Duration backoff = absl::Milliseconds(50);
  while (true) {
    int64_t before = next_revision_;
    absl::Status failed = WatchOverOneStream();
    if (!failed.ok()) {
      on_failed_(failed);
      return;
    }
    if (next_revision_ != before) backoff = absl::Milliseconds(50);
    if (!thread_.Sleep(backoff)) return;
    backoff = std::min(backoff * 2, absl::Seconds(1));
  }
}

absl::Status Watcher::WatchOverOneStream() {
  grpc::ClientContext context;
  context.AddMetadata("hasleader", "true");
  if (!thread_.Enter(&context)) return absl::OkStatus();
  auto stub = etcdserverpb::Watch::NewStub(client_.channel());
  auto stream = stub->Watch(&context);
  etcdserverpb::WatchRequest request;
  etcdserverpb::WatchCreateRequest* create = request.mutable_create_request();
  create->set_key(prefix_);
  create->set_range_end(PrefixEnd(prefix_));
  create->set_start_revision(next_revision_);
  absl::Status failed = absl::OkStatus();
  etcdserverpb::WatchResponse response;
  if (stream->Write(request)) {
    while (stream->Read(&response)) {
      if (response.compact_revision() > 0) {
        failed = absl::OutOfRangeError(
            absl::StrCat("etcd watch on ", prefix_, ": revision ",
                         next_revision_, " was compacted (the oldest kept is ",
                         response.compact_revision(), ")"));
        break;
      }
      if (response.canceled()) break;
      if (response.events().empty()) continue;
      std::vector<WatchEvent> events;
      events.reserve(response.events_size());
      for (const mvccpb::Event& event : response.events()) {
        events.push_back(
            WatchEvent{.type = event.type() == mvccpb::Event::DELETE
                                   ? WatchEvent::Type::kDelete
                                   : WatchEvent::Type::kPut,
                       .kv = FromProto(event.kv())});
      }
      next_revision_ = events.back().kv.mod_revision + 1;
      on_events_(std::move(events));
    }
  }
  context.TryCancel();
  stream->Finish().IgnoreError();
  thread_.Leave();
  return failed;
}

}  // namespace chorus::etcd
