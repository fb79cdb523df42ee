// The workloads of chorus-bench: each drives a broker through the client
// library and reports what it measured.
//
//   BenchConfig config{.server = "127.0.0.1:7400", .messages = 1000000};
//   absl::StatusOr<BenchResult> result = RunPublish(config);
#ifndef CHORUS_BENCH_LOAD_WORKLOAD_H_
#define CHORUS_BENCH_LOAD_WORKLOAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace chorus::bench {

struct BenchConfig {
  // Broker address. Default: 127.0.0.1:7400.
  std::string server = "127.0.0.1:7400";
  // Topic the workload uses (a unique suffix is added per run).
  // Default: "bench".
  std::string topic = "bench";
  // Messages in all, across publishers. Default: 1,000,000.
  uint64_t messages = 1000000;
  // Value bytes per message. Default: 128.
  size_t message_bytes = 128;
  // Concurrent publishing clients. Default: 1.
  int publishers = 1;
  // Client batching: linger and batch size. Defaults: 1 ms, 256 KiB.
  absl::Duration linger = absl::Milliseconds(1);
  size_t batch_bytes = 256 * 1024;
  // The workload stops early after this long. Default: 60 s.
  absl::Duration max_time = absl::Seconds(60);
};

struct BenchResult {
  std::string workload;
  uint64_t messages = 0;
  double seconds = 0;
  double messages_per_second = 0;
  double megabytes_per_second = 0;
  // What the workload was asked to do, in words, for the report.
  std::string description;
};

// `publish`: config.publishers clients publish config.messages messages of
// config.message_bytes to one topic with acks on; the clock stops when the
// last ack arrives. kDataLoss if any publish failed.
absl::StatusOr<BenchResult> RunPublish(const BenchConfig& config);

}  // namespace chorus::bench

#endif  // CHORUS_BENCH_LOAD_WORKLOAD_H_
