#include "client/topic_wire.h"

namespace chorus::client_internal {

void TopicConfigToWire(const TopicConfig& config, wire::TopicConfig* out) {
  out->set_partitions(config.partitions);
  out->set_status(config.status);
  out->set_retention_age_ms(absl::ToInt64Milliseconds(config.retention_age));
  out->set_retention_bytes(config.retention_bytes);
  out->set_retention_messages(config.retention_messages);
}

TopicConfig TopicConfigFromWire(const wire::TopicConfig& config) {
  TopicConfig result;
  result.partitions = config.partitions();
  result.status = config.status();
  result.retention_age = absl::Milliseconds(config.retention_age_ms());
  result.retention_bytes = config.retention_bytes();
  result.retention_messages = config.retention_messages();
  return result;
}

TopicInfo TopicInfoFromWire(const wire::TopicInfo& info) {
  TopicInfo result;
  result.name = info.name();
  result.config = TopicConfigFromWire(info.config());
  result.partitions.reserve(info.partitions_size());
  for (const wire::PartitionInfo& partition : info.partitions()) {
    result.partitions.push_back({partition.partition(),
                                 partition.start_offset(),
                                 partition.next_offset(), partition.bytes()});
  }
  return result;
}

}  // namespace chorus::client_internal
