// `connections` on NATS: C idle raw connections (CONNECT + PING/PONG),
// nats-server's RSS growth per connection, then a JetStream publish run.
#include "absl/strings/str_cat.h"
#include "bench/peers/nats_clients.h"
#include "bench/peers/nats_workloads.h"
#include "common/status_macros.h"

namespace chorus::bench {

absl::StatusOr<BenchResult> RunNatsConnections(const BenchConfig& config) {
  const std::string subject = RunTopic(config, "connections");
  CHORUS_RETURN_IF_ERROR(CreateStream(config, subject));
  CHORUS_ASSIGN_OR_RETURN(
      BenchResult result,
      MeasureIdleConnections(
          config, [&config] { return OpenIdleNatsConnection(config); },
          [&config, &subject] {
            return JetStreamPublishAndTime(config, subject);
          }));
  result.description = absl::StrCat(
      config.connections,
      " idle raw connections (CONNECT + PING/PONG); memory is nats-server's "
      "RSS growth per connection; then ",
      config.publishers, " JetStream publisher(s) send ", config.messages,
      " messages of ", config.message_bytes, " B with acks");
  return result;
}

}  // namespace chorus::bench
