// Matching one topic name against 100k subscription filters — what the
// registry does for each topic created while that many wildcard
// subscriptions watch — and parsing filters.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "broker/topic_name.h"

namespace chorus::broker {
namespace {

constexpr int kFilters = 100000;

// A mix of exact names, `*` and `>` filters over 1000 tenants.
std::vector<TopicFilter> Filters() {
  std::vector<TopicFilter> filters;
  filters.reserve(kFilters);
  for (int i = 0; i < kFilters; ++i) {
    const int tenant = i % 1000;
    std::string text;
    switch (i % 3) {
      case 0:
        text = absl::StrCat("acme", tenant, ".service", i, ".status");
        break;
      case 1:
        text = absl::StrCat("acme", tenant, ".*.status");
        break;
      default:
        text = absl::StrCat("acme", tenant, ".>");
    }
    filters.push_back(*TopicFilter::Parse(text));
  }
  return filters;
}

void BM_MatchOneTopicAgainst100kFilters(benchmark::State& state) {
  const std::vector<TopicFilter> filters = Filters();
  int matched = 0;
  for (auto _ : state) {
    matched = 0;
    for (const TopicFilter& filter : filters) {
      matched += filter.Matches("acme7.service7.status");
    }
    benchmark::DoNotOptimize(matched);
  }
  if (matched == 0) state.SkipWithError("nothing matched");
  state.SetItemsProcessed(state.iterations() * kFilters);
  state.counters["matched"] = matched;
}
BENCHMARK(BM_MatchOneTopicAgainst100kFilters)->Unit(benchmark::kMillisecond);

void BM_ParseFilter(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(TopicFilter::Parse("acme.*.payments.>"));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseFilter);

}  // namespace
}  // namespace chorus::broker

BENCHMARK_MAIN();
