#include "broker/cluster/etcd/etcd_client.h"

#include <grpcpp/grpcpp.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/cluster/etcd/api/rpc.grpc.pb.h"
#include "broker/cluster/etcd/endpoints.h"
#include "broker/cluster/etcd/grpc_glue.h"

namespace chorus::etcd {
namespace {

std::vector<KeyValue> KeyValuesFromProto(
    const google::protobuf::RepeatedPtrField<mvccpb::KeyValue>& kvs) {
  std::vector<KeyValue> out;
  out.reserve(kvs.size());
  for (const mvccpb::KeyValue& kv : kvs) out.push_back(FromProto(kv));
  return out;
}

etcdserverpb::Compare ToProto(const Compare& compare) {
  etcdserverpb::Compare out;
  out.set_key(compare.key);
  out.set_result(etcdserverpb::Compare::EQUAL);
  switch (compare.target) {
    case Compare::Target::kCreateRevision:
      out.set_target(etcdserverpb::Compare::CREATE);
      out.set_create_revision(compare.revision);
      break;
    case Compare::Target::kModRevision:
      out.set_target(etcdserverpb::Compare::MOD);
      out.set_mod_revision(compare.revision);
      break;
    case Compare::Target::kValue:
      out.set_target(etcdserverpb::Compare::VALUE);
      out.set_value(compare.value);
      break;
  }
  return out;
}

etcdserverpb::RequestOp ToProto(const Op& op) {
  etcdserverpb::RequestOp out;
  switch (op.kind) {
    case Op::Kind::kGet:
      out.mutable_request_range()->set_key(op.key);
      break;
    case Op::Kind::kGetPrefix:
      out.mutable_request_range()->set_key(op.key);
      out.mutable_request_range()->set_range_end(PrefixEnd(op.key));
      break;
    case Op::Kind::kPut:
      out.mutable_request_put()->set_key(op.key);
      out.mutable_request_put()->set_value(op.value);
      out.mutable_request_put()->set_lease(op.lease_id);
      break;
    case Op::Kind::kDelete:
      out.mutable_request_delete_range()->set_key(op.key);
      break;
    case Op::Kind::kDeletePrefix:
      out.mutable_request_delete_range()->set_key(op.key);
      out.mutable_request_delete_range()->set_range_end(PrefixEnd(op.key));
      break;
  }
  return out;
}

}  // namespace

std::string PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(end.back() + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

struct Client::Stubs {
  explicit Stubs(const std::shared_ptr<grpc::Channel>& channel)
      : kv(etcdserverpb::KV::NewStub(channel)),
        lease(etcdserverpb::Lease::NewStub(channel)) {}
  std::unique_ptr<etcdserverpb::KV::Stub> kv;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease;
};

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(
    const std::string& endpoints, ClientOptions options) {
  absl::StatusOr<std::string> target = GrpcTarget(endpoints);
  if (!target.ok()) return target.status();
  grpc::ChannelArguments arguments;
  // Reconnect to a member that came back within a second, not after gRPC's
  // default backoff of up to two minutes.
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(
      *target, grpc::InsecureChannelCredentials(), arguments);
  return std::unique_ptr<Client>(new Client(std::move(channel), options));
}

Client::Client(std::shared_ptr<grpc::Channel> channel, ClientOptions options)
    : channel_(std::move(channel)),
      options_(options),
      stubs_(std::make_unique<Stubs>(channel_)) {}

Client::~Client() = default;

absl::StatusOr<RangeResult> Client::Range(const std::string& key,
                                          const std::string& range_end) {
  etcdserverpb::RangeRequest request;
  request.set_key(key);
  request.set_range_end(range_end);
  etcdserverpb::RangeResponse response;
  absl::Status status = UnaryCall(
      options_.call_timeout, "Range", [&](grpc::ClientContext& context) {
        return stubs_->kv->Range(&context, request, &response);
      });
  if (!status.ok()) return status;
  return RangeResult{.kvs = KeyValuesFromProto(response.kvs()),
                     .revision = response.header().revision()};
}

absl::StatusOr<std::optional<KeyValue>> Client::Get(const std::string& key) {
  absl::StatusOr<RangeResult> range = Range(key, "");
  if (!range.ok()) return range.status();
  if (range->kvs.empty()) return std::nullopt;
  return std::move(range->kvs.front());
}

absl::StatusOr<RangeResult> Client::GetPrefix(const std::string& prefix) {
  return Range(prefix, PrefixEnd(prefix));
}

absl::StatusOr<int64_t> Client::Put(const std::string& key,
                                    const std::string& value,
                                    int64_t lease_id) {
  etcdserverpb::PutRequest request;
  request.set_key(key);
  request.set_value(value);
  request.set_lease(lease_id);
  etcdserverpb::PutResponse response;
  absl::Status status = UnaryCall(
      options_.call_timeout, "Put", [&](grpc::ClientContext& context) {
        return stubs_->kv->Put(&context, request, &response);
      });
  if (!status.ok()) return status;
  return response.header().revision();
}

absl::StatusOr<int64_t> Client::DeleteRange(const std::string& key,
                                            const std::string& range_end) {
  etcdserverpb::DeleteRangeRequest request;
  request.set_key(key);
  request.set_range_end(range_end);
  etcdserverpb::DeleteRangeResponse response;
  absl::Status status = UnaryCall(
      options_.call_timeout, "DeleteRange", [&](grpc::ClientContext& context) {
        return stubs_->kv->DeleteRange(&context, request, &response);
      });
  if (!status.ok()) return status;
  return response.deleted();
}

absl::StatusOr<int64_t> Client::Delete(const std::string& key) {
  return DeleteRange(key, "");
}

absl::StatusOr<int64_t> Client::DeletePrefix(const std::string& prefix) {
  return DeleteRange(prefix, PrefixEnd(prefix));
}

absl::StatusOr<TxnResult> Client::Txn(const std::vector<Compare>& compares,
                                      const std::vector<Op>& success,
                                      const std::vector<Op>& failure) {
  etcdserverpb::TxnRequest request;
  for (const Compare& compare : compares) {
    *request.add_compare() = ToProto(compare);
  }
  for (const Op& op : success) *request.add_success() = ToProto(op);
  for (const Op& op : failure) *request.add_failure() = ToProto(op);
  etcdserverpb::TxnResponse response;
  absl::Status status = UnaryCall(
      options_.call_timeout, "Txn", [&](grpc::ClientContext& context) {
        return stubs_->kv->Txn(&context, request, &response);
      });
  if (!status.ok()) return status;
  TxnResult result{.succeeded = response.succeeded(),
                   .revision = response.header().revision()};
  for (const etcdserverpb::ResponseOp& op : response.responses()) {
    if (op.has_response_range()) {
      result.reads.push_back(KeyValuesFromProto(op.response_range().kvs()));
    }
  }
  return result;
}

absl::StatusOr<Lease> Client::GrantLease(absl::Duration ttl) {
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(std::max<int64_t>(
      1, absl::ToInt64Seconds(absl::Ceil(ttl, absl::Seconds(1)))));
  etcdserverpb::LeaseGrantResponse response;
  absl::Status status = UnaryCall(
      options_.call_timeout, "LeaseGrant", [&](grpc::ClientContext& context) {
        return stubs_->lease->LeaseGrant(&context, request, &response);
      });
  if (!status.ok()) return status;
  if (!response.error().empty()) {
    return absl::UnavailableError(
        absl::StrCat("etcd LeaseGrant: ", response.error()));
  }
  return Lease{.id = response.id(), .ttl = absl::Seconds(response.ttl())};
}

absl::Status Client::RevokeLease(int64_t lease_id) {
  etcdserverpb::LeaseRevokeRequest request;
  request.set_id(lease_id);
  etcdserverpb::LeaseRevokeResponse response;
  absl::Status status = UnaryCall(
      options_.call_timeout, "LeaseRevoke", [&](grpc::ClientContext& context) {
        return stubs_->lease->LeaseRevoke(&context, request, &response);
      });
  if (!status.ok()) return status;
  return absl::OkStatus();
}

}  // namespace chorus::etcd
