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
  // How often retention limits are applied. Default: 10 s.
  absl::Duration retention_check_interval = absl::Seconds(10);
  // How long shutdown waits for connections to finish their acks.
  // Default: 5 s.
  absl::Duration shutdown_grace = absl::Seconds(5);
};

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_BROKER_OPTIONS_H_
