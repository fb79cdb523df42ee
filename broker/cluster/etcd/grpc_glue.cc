#include "broker/cluster/etcd/grpc_glue.h"

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"

namespace chorus::etcd {
namespace {

// "etcd <call>: <message>" with gRPC's code.
absl::Status FromGrpc(const grpc::Status& status, absl::string_view call) {
  return absl::Status(
      static_cast<absl::StatusCode>(status.error_code()),
      absl::StrCat("etcd ", call, ": ", status.error_message()));
}

}  // namespace

absl::Status UnaryCall(
    absl::Duration timeout, absl::string_view name,
    const std::function<grpc::Status(grpc::ClientContext&)>& call) {
  const auto deadline =
      std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout);
  while (true) {
    grpc::ClientContext context;
    context.set_wait_for_ready(true);
    context.set_deadline(deadline);
    const grpc::Status status = call(context);
    if (status.ok()) return absl::OkStatus();
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE ||
        std::chrono::system_clock::now() + std::chrono::milliseconds(50) >=
            deadline) {
      return FromGrpc(status, name);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

KeyValue FromProto(const mvccpb::KeyValue& kv) {
  return KeyValue{.key = kv.key(),
                  .value = kv.value(),
                  .create_revision = kv.create_revision(),
                  .mod_revision = kv.mod_revision(),
                  .version = kv.version(),
                  .lease = kv.lease()};
}

}  // namespace chorus::etcd
