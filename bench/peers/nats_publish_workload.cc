// `publish` on NATS: JetStream async publish with acks to a file stream.
#include "absl/strings/str_cat.h"
#include "bench/peers/nats_clients.h"
#include "bench/peers/nats_workloads.h"
#include "common/status_macros.h"

namespace chorus::bench {

absl::StatusOr<BenchResult> RunNatsPublish(const BenchConfig& config) {
  const std::string subject = RunTopic(config, "publish");
  CHORUS_RETURN_IF_ERROR(CreateStream(config, subject));
  CHORUS_ASSIGN_OR_RETURN(const double seconds,
                          JetStreamPublishAndTime(config, subject));
  const uint64_t messages =
      config.messages / config.publishers * config.publishers;
  BenchResult result;
  result.workload = "publish";
  result.description = absl::StrCat(
      config.publishers, " publisher(s) send ", messages, " messages of ",
      config.message_bytes,
      " B to one JetStream file stream with js_PublishAsync, every ack "
      "counted; write buffer ",
      config.batch_bytes, " B, at most ", config.max_in_flight,
      " messages unacked per publisher");
  AddThroughput(messages, config.message_bytes, seconds, &result);
  return result;
}

}  // namespace chorus::bench
