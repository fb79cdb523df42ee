// ClusterOptions: how a broker joins a cluster (chorusd --etcd ...). With no
// etcd endpoints the broker is a single node and none of this applies.
#ifndef CHORUS_BROKER_CLUSTER_CLUSTER_OPTIONS_H_
#define CHORUS_BROKER_CLUSTER_CLUSTER_OPTIONS_H_

#include <string>

#include "absl/time/time.h"

namespace chorus::cluster {

struct ClusterOptions {
  // "http://H:P[,http://H:P...]"; empty: a single node.
  std::string etcd;
  // Brokers with the same name on the same etcd form one cluster.
  std::string name = "chorus";
  // HOST:PORT other brokers and clients reach this one at; empty: the
  // address it listens on.
  std::string advertise;
  // Failure domain; replicas of a partition go to different racks first.
  std::string rack;
  // A broker that has not renewed its etcd lease for this long counts as
  // gone (its registration, and a controller's role, lapse).
  absl::Duration session_timeout = absl::Seconds(6);
  // How long a starting broker keeps trying an unreachable etcd, and waits
  // for a previous run's registration to lapse, before it gives up.
  absl::Duration join_timeout = absl::Seconds(30);
};

}  // namespace chorus::cluster

#endif  // CHORUS_BROKER_CLUSTER_CLUSTER_OPTIONS_H_
