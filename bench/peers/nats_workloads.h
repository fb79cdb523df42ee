// nats-bench's workloads: chorus-bench's workloads (bench/load/workload.h)
// done the NATS way, against nats-server -js. publish and replay use
// JetStream (file storage, async publish with acks; an ordered consumer);
// fanout, latency and topics use core NATS (nothing stored); connections
// counts idle raw connections, then times a JetStream publish.
//
//   absl::StatusOr<BenchResult> result = RunNatsPublish(config);
#ifndef CHORUS_BENCH_PEERS_NATS_WORKLOADS_H_
#define CHORUS_BENCH_PEERS_NATS_WORKLOADS_H_

#include "absl/status/statusor.h"
#include "bench/load/workload.h"

namespace chorus::bench {

absl::StatusOr<BenchResult> RunNatsPublish(const BenchConfig& config);
absl::StatusOr<BenchResult> RunNatsFanout(const BenchConfig& config);
absl::StatusOr<BenchResult> RunNatsLatency(const BenchConfig& config);
absl::StatusOr<BenchResult> RunNatsReplay(const BenchConfig& config);
absl::StatusOr<BenchResult> RunNatsTopics(const BenchConfig& config);
absl::StatusOr<BenchResult> RunNatsConnections(const BenchConfig& config);

}  // namespace chorus::bench

#endif  // CHORUS_BENCH_PEERS_NATS_WORKLOADS_H_
