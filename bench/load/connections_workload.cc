// `connections`: C idle connections (each has said Hello), the broker's RSS
// growth per connection, then a publish run while they stay open.
#include <memory>

#include "absl/strings/str_cat.h"
#include "bench/load/chorus_clients.h"
#include "common/status_macros.h"

namespace chorus::bench {

absl::StatusOr<BenchResult> RunConnections(const BenchConfig& config) {
  const std::string topic = RunTopic(config, "connections");
  {
    CHORUS_ASSIGN_OR_RETURN(std::unique_ptr<Client> admin,
                            ConnectClient(config, config.linger));
    CHORUS_RETURN_IF_ERROR(admin->CreateTopic(topic, {}).status());
  }
  CHORUS_ASSIGN_OR_RETURN(
      BenchResult result,
      MeasureIdleConnections(
          config, [&config] { return OpenIdleConnection(config); },
          [&config, &topic] { return PublishAndTime(config, topic); }));
  result.description = absl::StrCat(
      config.connections,
      " idle connections (TCP + Hello/Welcome, no client thread each); "
      "memory is the broker's RSS growth per connection; then ",
      config.publishers, " publisher(s) send ", config.messages,
      " messages of ", config.message_bytes, " B to one stored topic, acks on");
  return result;
}

}  // namespace chorus::bench
