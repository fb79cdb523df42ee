// Glue between etcd's gRPC messages and the rest of the etcd client: unary
// calls with a deadline, waiting for a connection and retried while etcd
// is unavailable; gRPC status as absl::Status (the two share the canonical
// codes); and etcd's KeyValue as ours.
#ifndef CHORUS_BROKER_CLUSTER_ETCD_GRPC_GLUE_H_
#define CHORUS_BROKER_CLUSTER_ETCD_GRPC_GLUE_H_

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <functional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "broker/cluster/etcd/api/kv.pb.h"
#include "broker/cluster/etcd/txn.h"

namespace chorus::etcd {

// Makes the unary call `call` makes with the context it is given, which
// waits for a ready connection (trying etcd's members in turn) until
// `timeout` from now; a call that fails with UNAVAILABLE (the member went
// away mid-call) is made again until then. So a write may be applied twice:
// callers write transactions whose repeat they recognize.
absl::Status UnaryCall(
    absl::Duration timeout, absl::string_view name,
    const std::function<grpc::Status(grpc::ClientContext&)>& call);

KeyValue FromProto(const mvccpb::KeyValue& kv);

}  // namespace chorus::etcd

#endif  // CHORUS_BROKER_CLUSTER_ETCD_GRPC_GLUE_H_
