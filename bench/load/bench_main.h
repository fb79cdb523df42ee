// The command line shared by chorus-bench and nats-bench: flags into a
// BenchConfig, the named workload run --runs times, a table row per run, the
// median of each figure, and --json FILE.
//
//   int main(int argc, char** argv) {
//     return chorus::bench::BenchMain(argc, argv, "chorus-bench",
//                                     {{"publish", RunPublish}, ...});
//   }
//
// Exit status: 0 when every run succeeded, 1 when one failed (its error on
// stderr), 2 for a usage error.
#ifndef CHORUS_BENCH_LOAD_BENCH_MAIN_H_
#define CHORUS_BENCH_LOAD_BENCH_MAIN_H_

#include <string_view>
#include <vector>

#include "bench/load/workload.h"

namespace chorus::bench {

int BenchMain(int argc, char** argv, std::string_view tool,
              const std::vector<Workload>& workloads);

}  // namespace chorus::bench

#endif  // CHORUS_BENCH_LOAD_BENCH_MAIN_H_
