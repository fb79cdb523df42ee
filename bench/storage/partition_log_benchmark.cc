// PartitionLog append (one stored batch per commit, fsync=never) and
// sequential read, on RocksDB in a temporary folder.
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "proto/records.h"
#include "storage/partition_log.h"
#include "storage/store.h"

namespace chorus::storage {
namespace {

// A store in a fresh temporary folder, removed with it.
struct TempStore {
  TempStore() {
    char folder[] = "/tmp/chorus-log-bench-XXXXXX";
    dir = mkdtemp(folder);
    store = *Store::Open({.data_dir = dir, .fsync = FsyncMode::kNever});
    log = *PartitionLog::Open(store.get(), 1);
  }
  ~TempStore() {
    log.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
  std::string dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<PartitionLog> log;
};

std::string Records(int count) {
  std::string records;
  const std::string value(128, 'x');
  for (int i = 0; i < count; ++i) proto::AppendRecord("", value, {}, &records);
  return records;
}

absl::Status CommitNow(Store& store, CommitBatch batch) {
  absl::Status result;
  store.Commit(std::move(batch), [&result](absl::Status s) { result = s; });
  return result;
}

void BM_Append(benchmark::State& state) {
  TempStore temp;
  const int count = state.range(0);
  const std::string records = Records(count);
  std::string value;
  for (auto _ : state) {
    CommitBatch commit;
    value.clear();
    temp.log->Append(records, count, "bench", 1, &commit, &value);
    if (!CommitNow(*temp.store, std::move(commit)).ok()) {
      state.SkipWithError("commit failed");
    }
  }
  state.SetItemsProcessed(state.iterations() * count);
  state.SetBytesProcessed(state.iterations() * records.size());
}
BENCHMARK(BM_Append)->Arg(1)->Arg(100)->Arg(2000);

void BM_ReadSequential(benchmark::State& state) {
  TempStore temp;
  constexpr int kBatch = 100;
  constexpr int kBatches = 1000;
  const std::string records = Records(kBatch);
  std::string value;
  for (int b = 0; b < kBatches; ++b) {
    CommitBatch commit;
    value.clear();
    temp.log->Append(records, kBatch, "bench", 1, &commit, &value);
    (void)CommitNow(*temp.store, std::move(commit));
  }
  const uint64_t end = temp.log->next_offset();
  std::vector<std::string> batches;
  for (auto _ : state) {
    uint64_t from = 0;
    while (from < end) {
      batches.clear();
      if (!temp.log->Read(from, end, 1 << 20, &batches).ok()) {
        state.SkipWithError("read failed");
        break;
      }
      from += batches.size() * kBatch;
    }
  }
  state.SetItemsProcessed(state.iterations() * end);
  state.SetBytesProcessed(state.iterations() * kBatches * value.size());
}
BENCHMARK(BM_ReadSequential)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace chorus::storage

BENCHMARK_MAIN();
