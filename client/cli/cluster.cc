// chorus cluster status.
#include <string>

#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"

namespace chorus::cli {

int RunClusterStatus(Client& client, const ClusterStatusCommand&) {
  absl::StatusOr<ClusterInfo> cluster = client.DescribeCluster();
  if (!cluster.ok()) {
    PrintError(
        absl::StrCat("describe the cluster: ", cluster.status().message()));
    return kExitFailure;
  }
  std::string out = absl::StrCat(
      "cluster: ",
      cluster->cluster.empty() ? "(a single node)" : cluster->cluster, "\n");
  if (cluster->controller.empty()) {
    absl::StrAppend(&out, "controller: none (an election is under way)\n");
  } else {
    absl::StrAppend(&out, "controller: ", cluster->controller, " (epoch ",
                    cluster->controller_epoch, ")\n");
  }
  for (const BrokerInfo& broker : cluster->brokers) {
    absl::StrAppend(&out, broker.node_id, "\t", broker.address, "\t",
                    broker.rack.empty() ? "-" : broker.rack, "\t",
                    broker.alive ? "alive" : "gone", "\t", broker.partitions,
                    broker.partitions == 1 ? " partition, " : " partitions, ",
                    broker.leaders, " led\n");
  }
  PrintOut(out);
  return kExitOk;
}

}  // namespace chorus::cli
