#include "client/publish_ack.h"

#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace chorus::client_internal {
namespace {

struct RangeCursor {
  uint64_t next_offset = 0;
  uint32_t remaining = 0;
};

absl::Status BadAck(absl::string_view why) {
  return absl::InternalError(absl::StrCat("malformed publish ack: ", why));
}

}  // namespace

absl::StatusOr<std::vector<PublishResult>> PublishResultsFromAck(
    const wire::PublishAck& ack, size_t record_count) {
  absl::flat_hash_map<uint32_t, RangeCursor> cursors;
  uint64_t total = 0;
  for (const wire::PartitionRange& range : ack.ranges()) {
    auto [it, inserted] = cursors.try_emplace(
        range.partition(), RangeCursor{range.first_offset(), range.count()});
    if (!inserted) {
      return BadAck(
          absl::StrCat("partition ", range.partition(), " has two ranges"));
    }
    total += range.count();
  }
  if (total != record_count) {
    return BadAck(absl::StrCat("ranges count ", total,
                               " records, the batch had ", record_count));
  }
  std::vector<PublishResult> results(record_count);
  if (ack.record_partitions().empty()) {
    if (record_count == 0) return results;
    if (ack.ranges_size() != 1) {
      return BadAck("several ranges but no record partitions");
    }
    const wire::PartitionRange& range = ack.ranges(0);
    for (size_t i = 0; i < record_count; ++i) {
      results[i] = {range.partition(), range.first_offset() + i};
    }
    return results;
  }
  if (static_cast<size_t>(ack.record_partitions_size()) != record_count) {
    return BadAck(absl::StrCat("record_partitions has ",
                               ack.record_partitions_size(),
                               " entries, the batch had ", record_count));
  }
  for (size_t i = 0; i < record_count; ++i) {
    const uint32_t partition = ack.record_partitions(static_cast<int>(i));
    auto it = cursors.find(partition);
    if (it == cursors.end() || it->second.remaining == 0) {
      return BadAck(absl::StrCat("record ", i, " went to partition ", partition,
                                 " beyond its range"));
    }
    results[i] = {partition, it->second.next_offset++};
    --it->second.remaining;
  }
  return results;
}

}  // namespace chorus::client_internal
