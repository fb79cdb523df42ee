// `topics` on NATS core: publish round-robin over T subjects, one wildcard
// subscriber; msgs/s and nats-server's RSS growth per subject.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/peers/nats_clients.h"
#include "bench/peers/nats_workloads.h"
#include "common/status_macros.h"

namespace chorus::bench {

absl::StatusOr<BenchResult> RunNatsTopics(const BenchConfig& config) {
  const std::string prefix = RunTopic(config, "topics");
  const uint64_t topics = std::min(config.topics, config.messages);
  const std::vector<std::string> names = TopicNames(prefix, topics);
  ArrivalTracker tracker(1, config.messages, /*ordered=*/false);
  CHORUS_ASSIGN_OR_RETURN(NatsConnection subscriber, ConnectNats(config));
  CHORUS_ASSIGN_OR_RETURN(
      std::unique_ptr<TrackedSubscription> subscription,
      TrackedSubscription::Core(subscriber.get(), absl::StrCat(prefix, ".>"),
                                &tracker, 0));
  CHORUS_ASSIGN_OR_RETURN(NatsConnection publisher, ConnectNats(config));
  int64_t rss_before = 0;
  if (config.broker_pid != 0) {
    CHORUS_ASSIGN_OR_RETURN(rss_before, ProcessRssBytes(config.broker_pid));
  }
  const absl::Time start = absl::Now();
  CHORUS_RETURN_IF_ERROR(
      PublishCore(publisher.get(), 0, config.messages, config,
                  [&names](uint64_t i) -> const std::string& {
                    return names[i % names.size()];
                  }));
  CHORUS_RETURN_IF_ERROR(tracker.Wait(start + config.max_time));
  BenchResult result;
  result.workload = "topics";
  result.description = absl::StrCat(
      "1 core NATS publisher sends ", config.messages, " messages of ",
      config.message_bytes, " B round-robin over ", topics,
      " subjects (nothing stored); 1 wildcard subscriber verifies every "
      "message; memory is nats-server's RSS growth over the run per subject");
  AddThroughput(config.messages, config.message_bytes,
                absl::ToDoubleSeconds(tracker.completed_at() - start), &result);
  if (config.broker_pid != 0) {
    CHORUS_ASSIGN_OR_RETURN(const int64_t rss_after,
                            ProcessRssBytes(config.broker_pid));
    result.Add("bytes_per_topic",
               static_cast<double>(rss_after - rss_before) / topics);
  }
  return result;
}

}  // namespace chorus::bench
