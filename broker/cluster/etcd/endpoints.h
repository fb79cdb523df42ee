// Turns the operator's etcd endpoint list ("http://H:P,http://H:P") into a
// gRPC target that spreads calls over the members ("ipv4:A:P,B:P", which
// gRPC's pick_first walks until one answers).
#ifndef CHORUS_BROKER_CLUSTER_ETCD_ENDPOINTS_H_
#define CHORUS_BROKER_CLUSTER_ETCD_ENDPOINTS_H_

#include <string>

#include "absl/status/statusor.h"

namespace chorus::etcd {

// Each endpoint is "[http://]HOST:PORT[/]"; HOST is an IPv4 address or a name
// resolved (to IPv4) now. kInvalidArgument names the bad entry; https is
// kUnimplemented until etcd connections can use TLS.
absl::StatusOr<std::string> GrpcTarget(const std::string& endpoints);

}  // namespace chorus::etcd

#endif  // CHORUS_BROKER_CLUSTER_ETCD_ENDPOINTS_H_
