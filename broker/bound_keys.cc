#include "broker/bound_keys.h"

#include "broker/partition.h"

namespace chorus::broker {

void BoundKeys::Bind(std::shared_ptr<Partition> partition, std::string key,
                     uint64_t offset, std::string publisher) {
  const Partition* where = partition.get();
  keys_[{where, std::move(key)}] =
      Binding{std::move(partition), offset, std::move(publisher)};
}

void BoundKeys::MarkAllStale(const std::string& reason) {
  for (auto& [where, binding] : keys_) {
    asio::post(binding.partition->shard()->executor(),
               [partition = binding.partition, key = where.second,
                offset = binding.offset, reason,
                publisher = std::move(binding.publisher)]() mutable {
                 partition->MarkStale(std::move(key), offset, std::move(reason),
                                      std::move(publisher));
               });
  }
  keys_.clear();
}

}  // namespace chorus::broker
