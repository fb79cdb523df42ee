// BrokerOptions: everything chorusd can be told at start-up.
//
// Each field has a default that starts a working single node, so
// `Broker broker(BrokerOptions{})` serves 127.0.0.1:7400 from ./data.
#ifndef CHORUS_BROKER_BROKER_OPTIONS_H_
#define CHORUS_BROKER_BROKER_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "broker/cluster/cluster_options.h"
#include "storage/store.h"

namespace chorus::broker {

struct BrokerOptions {
  // Address to listen on. Port 0 picks a free port. Default: 127.0.0.1:7400.
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 7400;
  // Shards: one io_context and thread each. Default: hardware cores.
  int threads = 0;
  // Identity reported in Welcome. Default: "chorus-1".
  std::string node_id = "chorus-1";
  // Storage: data folder and fsync policy (see storage::StoreOptions).
  storage::StoreOptions store;
  // Frames larger than this are refused and the connection closed.
  // Default: 8 MiB.
  size_t max_frame_bytes = size_t{8} << 20;
  // A published message (key, value and headers) larger than this is
  // refused. Default: 1 MiB.
  size_t max_message_bytes = size_t{1} << 20;
  // Publishing to a topic that does not exist creates it with one partition.
  // Default: true.
  bool auto_create_topics = true;
  // Delivery stops for a connection while this many bytes wait to be
  // written to it; the subscription resumes from the log once they drain.
  // Reading of the connection's requests pauses at twice this. Default: 4 MiB.
  size_t max_outbound_bytes = size_t{4} << 20;
  // Limits on clients (hostile or careless). A refused or closed client
  // gets an Error frame saying which limit it hit.
  //
  // Connections beyond this are refused with RESOURCE_EXHAUSTED and closed.
  // Default: 10000.
  size_t max_connections = 10000;
  // Subscribe beyond this many live subscriptions on one connection fails
  // with RESOURCE_EXHAUSTED. Default: 1000.
  size_t max_subscriptions_per_connection = 1000;
  // Reading a connection's requests pauses while its publishes not yet
  // stored (and acked) hold this many record bytes: back-pressure through
  // TCP instead of broker memory. One frame is always taken when none is in
  // flight. Default: 32 MiB.
  size_t max_in_flight_publish_bytes = size_t{32} << 20;
  // A connection that has not sent Hello this long after it was accepted is
  // closed. Default: 10 s.
  absl::Duration handshake_timeout = absl::Seconds(10);
  // A connection that sent nothing for this long is closed (the client
  // library pings while idle, see ClientOptions::keepalive_interval). Not
  // counted while the broker itself has paused reading it. Zero disables.
  // Default: 5 min.
  absl::Duration idle_timeout = absl::Minutes(5);
  // A frame must arrive whole within this long of its first bytes; a client
  // trickling a frame byte by byte (slow loris) is closed. Once reading has
  // ended (the client's end of stream, an error sent), what the session
  // still owes must be written within this long, or it is closed.
  // Default: 30 s.
  absl::Duration frame_timeout = absl::Seconds(30);
  // How often retention limits are applied. Default: 10 s.
  absl::Duration retention_check_interval = absl::Seconds(10);
  // How long shutdown waits for connections to finish their acks.
  // Default: 5 s.
  absl::Duration shutdown_grace = absl::Seconds(5);
  // Joining a cluster (etcd endpoints, cluster name...). Default: none, a
  // single node.
  cluster::ClusterOptions cluster;
};

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_BROKER_OPTIONS_H_
