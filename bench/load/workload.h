// The workloads of the load tools: what each is asked to do (BenchConfig)
// and what it measured (BenchResult). chorus-bench runs them against chorusd
// through the client library; bench/peers' nats-bench runs the same
// workloads, with the same config, against nats-server.
//
//   BenchConfig config{.server = "127.0.0.1:7400", .messages = 1000000};
//   absl::StatusOr<BenchResult> result = RunPublish(config);
//   // result->metrics: {"msgs_per_s", ...}, {"mb_per_s", ...}
//
// Every workload is bounded by config.messages (or rate x duration) and by
// config.max_time; it fails (non-OK status) when anything it checks fails —
// a publish error, a message missing or out of order at a subscriber.
#ifndef CHORUS_BENCH_LOAD_WORKLOAD_H_
#define CHORUS_BENCH_LOAD_WORKLOAD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace chorus::bench {

struct BenchConfig {
  // Broker address: HOST:PORT (chorus-bench) or nats://HOST:PORT
  // (nats-bench). Default: 127.0.0.1:7400.
  std::string server = "127.0.0.1:7400";
  // First token of every topic a workload uses; a unique suffix is added per
  // run. Default: "bench".
  std::string topic = "bench";
  // Messages in all (publish, fanout, replay, topics, connections).
  // Default: 1,000,000.
  uint64_t messages = 1000000;
  // Value bytes per message; at least 16 (sequence number and timestamp).
  // Default: 128.
  size_t message_bytes = 128;
  // Concurrent publishing clients (publish). Default: 1.
  int publishers = 1;
  // Subscribing clients (fanout). Default: 4.
  int subscribers = 4;
  // Messages per second (latency). Default: 20,000.
  uint64_t rate = 20000;
  // How long the latency workload publishes. Default: 10 s.
  absl::Duration duration = absl::Seconds(10);
  // Topics (topics). Default: 10,000.
  uint64_t topics = 10000;
  // Idle connections (connections). Default: 5,000.
  uint64_t connections = 5000;
  // Client batching: a batch is sent `linger` after its first message or
  // when it holds `batch_bytes`. Defaults: 1 ms, 256 KiB.
  absl::Duration linger = absl::Milliseconds(1);
  size_t batch_bytes = 256 * 1024;
  // Messages a publisher may have sent but not yet acknowledged.
  // Default: 65,536.
  uint64_t max_in_flight = 65536;
  // Messages a subscriber lets the broker send ahead of its handler.
  // Default: 10,000.
  uint64_t credit = 10000;
  // Broker process id, for the memory workloads (topics, connections);
  // 0 skips the memory figures. Default: 0.
  int broker_pid = 0;
  // A workload fails if it is not done after this long. Default: 60 s.
  absl::Duration max_time = absl::Seconds(60);
};

struct BenchResult {
  std::string workload;
  // What the workload was asked to do, in words, for the report.
  std::string description;
  // Named figures in report order: msgs_per_s, mb_per_s, p99_us,
  // bytes_per_topic... Each run of a workload reports the same names.
  std::vector<std::pair<std::string, double>> metrics;

  void Add(std::string name, double value) {
    metrics.emplace_back(std::move(name), value);
  }
};

using WorkloadFunction = absl::StatusOr<BenchResult> (*)(const BenchConfig&);

struct Workload {
  std::string_view name;
  WorkloadFunction run;
};

// chorus-bench's workloads (bench/load/*_workload.cc); see bench/README.md.
absl::StatusOr<BenchResult> RunPublish(const BenchConfig& config);
absl::StatusOr<BenchResult> RunFanout(const BenchConfig& config);
absl::StatusOr<BenchResult> RunLatency(const BenchConfig& config);
absl::StatusOr<BenchResult> RunReplay(const BenchConfig& config);
absl::StatusOr<BenchResult> RunTopics(const BenchConfig& config);
absl::StatusOr<BenchResult> RunConnections(const BenchConfig& config);

}  // namespace chorus::bench

#endif  // CHORUS_BENCH_LOAD_WORKLOAD_H_
