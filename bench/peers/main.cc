// nats-bench: chorus-bench's workloads against nats-server, for the ratios
// of bench/compare.sh.
//
//   nats-bench --server nats://127.0.0.1:4222 --workload publish
#include "bench/load/bench_main.h"
#include "bench/peers/nats_workloads.h"

int main(int argc, char** argv) {
  using namespace chorus::bench;
  return BenchMain(argc, argv, "nats-bench",
                   {{"publish", RunNatsPublish},
                    {"fanout", RunNatsFanout},
                    {"latency", RunNatsLatency},
                    {"replay", RunNatsReplay},
                    {"topics", RunNatsTopics},
                    {"connections", RunNatsConnections}});
}
