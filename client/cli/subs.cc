// The `chorus subs` commands: durable subscriptions, their positions and lag.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"

namespace chorus::cli {
namespace {

const char* AckName(AckMode mode) {
  switch (mode) {
    case AckMode::kAuto:
      return "auto";
    case AckMode::kExplicit:
      return "explicit";
    case AckMode::kNone:
      break;
  }
  return "none";
}

}  // namespace

int RunSubsList(Client& client, const SubsListCommand&) {
  absl::StatusOr<std::vector<SubscriptionInfo>> subscriptions =
      client.ListSubscriptions();
  if (!subscriptions.ok()) {
    PrintError(
        absl::StrCat("list subscriptions: ", subscriptions.status().message()));
    return kExitFailure;
  }
  std::string out;
  for (const SubscriptionInfo& info : *subscriptions) {
    absl::StrAppend(&out, info.name, "\t", info.filter, "\t",
                    info.group ? "group" : "durable", "\tmembers ",
                    info.members, "\tlag ", info.lag, "\n");
  }
  PrintOut(out);
  return kExitOk;
}

int RunSubsDescribe(Client& client, const SubsDescribeCommand& command) {
  absl::StatusOr<SubscriptionInfo> info =
      client.DescribeSubscription(command.name);
  if (!info.ok()) {
    PrintError(absl::StrCat("describe subscription ", command.name, ": ",
                            info.status().message()));
    return kExitFailure;
  }
  std::string out = absl::StrCat(
      "name: ", info->name, "\nfilter: ", info->filter,
      "\nkind: ", info->group ? "group" : "durable",
      "\nack: ", AckName(info->ack), "\nmembers: ", info->members,
      "\nlag: ", info->lag, "\ndead-lettered: ", info->dead_lettered, "\n");
  if (!info->from_publisher.empty()) {
    absl::StrAppend(&out, "from-publisher: ", info->from_publisher, "\n");
  }
  for (const SubscriptionPartitionInfo& p : info->partitions) {
    absl::StrAppend(&out, p.topic, "/", p.partition, ": position ", p.position,
                    " head ", p.head, " lag ", p.lag, " pending ", p.pending,
                    "\n");
  }
  PrintOut(out);
  return kExitOk;
}

int RunSubsDelete(Client& client, const SubsDeleteCommand& command) {
  absl::Status deleted = client.DeleteSubscription(command.name);
  if (!deleted.ok()) {
    PrintError(absl::StrCat("delete subscription ", command.name, ": ",
                            deleted.message()));
    return kExitFailure;
  }
  std::fprintf(stderr, "deleted subscription %s\n", command.name.c_str());
  return kExitOk;
}

}  // namespace chorus::cli
