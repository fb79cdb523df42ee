// chorus-bench: the end-to-end load tool, against chorusd through the client
// library.
//
//   chorus-bench --workload publish --messages 1000000 --message-bytes 128
//
// Prints one line per run and the medians; --json FILE writes them.
#include "bench/load/bench_main.h"
#include "bench/load/workload.h"

int main(int argc, char** argv) {
  using namespace chorus::bench;
  return BenchMain(argc, argv, "chorus-bench",
                   {{"publish", RunPublish},
                    {"fanout", RunFanout},
                    {"latency", RunLatency},
                    {"replay", RunReplay},
                    {"topics", RunTopics},
                    {"connections", RunConnections}});
}
