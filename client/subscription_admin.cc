// ClientCore: administration of named subscriptions, and leases.
#include "absl/strings/str_cat.h"
#include "client/client_core.h"
#include "common/status_macros.h"
#include "common/string_views.h"

namespace chorus::client_internal {
namespace {

SubscriptionInfo SubscriptionInfoFromWire(const wire::SubscriptionInfo& in) {
  SubscriptionInfo info;
  info.name = in.name();
  info.filter = in.filter();
  info.group = in.group();
  info.ack = AckModeFromWire(in.ack_mode());
  info.from_publisher = in.from_publisher();
  info.members = in.members();
  info.lag = in.lag();
  info.dead_lettered = in.dead_lettered();
  for (const wire::SubscriptionPartition& p : in.partitions()) {
    info.partitions.push_back({.topic = p.topic(),
                               .partition = p.partition(),
                               .position = p.position(),
                               .head = p.head(),
                               .lag = p.lag(),
                               .pending = p.pending()});
  }
  return info;
}

}  // namespace

absl::StatusOr<std::vector<SubscriptionInfo>> ClientCore::ListSubscriptions() {
  wire::Frame frame;
  frame.mutable_list_subscriptions();
  CHORUS_ASSIGN_OR_RETURN(
      wire::Frame response,
      Call(&frame, wire::Frame::kSubscriptionList, "list subscriptions"));
  std::vector<SubscriptionInfo> list;
  for (const wire::SubscriptionInfo& info :
       response.subscription_list().subscriptions()) {
    list.push_back(SubscriptionInfoFromWire(info));
  }
  return list;
}

absl::StatusOr<SubscriptionInfo> ClientCore::DescribeSubscription(
    std::string_view name) {
  wire::Frame frame;
  frame.mutable_describe_subscription()->set_name(std::string(name));
  CHORUS_ASSIGN_OR_RETURN(
      wire::Frame response,
      Call(&frame, wire::Frame::kSubscriptionInfo,
           absl::StrCat("describe subscription ", AsAbsl(name))));
  return SubscriptionInfoFromWire(response.subscription_info());
}

absl::Status ClientCore::DeleteSubscription(std::string_view name) {
  wire::Frame frame;
  frame.mutable_delete_subscription()->set_name(std::string(name));
  return Call(&frame, wire::Frame::kOk,
              absl::StrCat("delete subscription ", AsAbsl(name)))
      .status();
}

absl::StatusOr<uint64_t> ClientCore::GrantLease(absl::Duration ttl) {
  wire::Frame frame;
  frame.mutable_grant_lease()->set_ttl_ms(
      static_cast<uint32_t>(absl::ToInt64Milliseconds(ttl)));
  CHORUS_ASSIGN_OR_RETURN(
      wire::Frame response,
      Call(&frame, wire::Frame::kLeaseGranted, "grant lease"));
  return response.lease_granted().lease_id();
}

absl::Status ClientCore::KeepAlive(uint64_t lease_id) {
  wire::Frame frame;
  frame.mutable_keep_alive()->set_lease_id(lease_id);
  return Call(&frame, wire::Frame::kOk,
              absl::StrCat("keep lease ", lease_id, " alive"))
      .status();
}

absl::Status ClientCore::RevokeLease(uint64_t lease_id) {
  wire::Frame frame;
  frame.mutable_revoke_lease()->set_lease_id(lease_id);
  return Call(&frame, wire::Frame::kOk, absl::StrCat("revoke lease ", lease_id))
      .status();
}

}  // namespace chorus::client_internal
