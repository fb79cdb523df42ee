#include "client/ack_buffer.h"

#include <algorithm>

namespace chorus::client_internal {

void AckBuffer::Add(std::string_view topic, uint32_t partition,
                    uint64_t offset) {
  std::lock_guard<std::mutex> lock(mu_);
  ranges_[{std::string(topic), partition}].offsets.push_back(offset);
}

void AckBuffer::AddThrough(std::string_view topic, uint32_t partition,
                           uint64_t end) {
  std::lock_guard<std::mutex> lock(mu_);
  Range& range = ranges_[{std::string(topic), partition}];
  range.up_to = std::max(range.up_to, end);
}

bool AckBuffer::TakeInto(wire::Ack* ack) {
  std::lock_guard<std::mutex> lock(mu_);
  if (ranges_.empty()) return false;
  for (auto& [where, range] : ranges_) {
    wire::AckRange* out = ack->add_ranges();
    out->set_topic(where.first);
    out->set_partition(where.second);
    out->mutable_offsets()->Assign(range.offsets.begin(), range.offsets.end());
    out->set_up_to(range.up_to);
  }
  ranges_.clear();
  return true;
}

}  // namespace chorus::client_internal
