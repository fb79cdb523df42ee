// client_internal::AckBuffer: acks of one subscription gathered between
// sends, so that many acks travel in one Ack frame.
//
//   AckBuffer acks;
//   acks.Add("acme.x", 0, 41);          // one message
//   acks.AddThrough("acme.x", 0, 100);  // every delivered offset below 100
//   wire::Ack ack;
//   if (acks.TakeInto(&ack)) connection->Send(frame_with(ack));
//
// Thread-safe.
#ifndef CHORUS_CLIENT_ACK_BUFFER_H_
#define CHORUS_CLIENT_ACK_BUFFER_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "proto/protocol.pb.h"

namespace chorus::client_internal {

class AckBuffer {
 public:
  void Add(std::string_view topic, uint32_t partition, uint64_t offset);
  // Covers every offset below `end` (exclusive) delivered to this client.
  void AddThrough(std::string_view topic, uint32_t partition, uint64_t end);
  // Moves the gathered acks into `ack`'s ranges; false if there were none.
  bool TakeInto(wire::Ack* ack);

 private:
  struct Range {
    std::vector<uint64_t> offsets;
    uint64_t up_to = 0;
  };
  std::mutex mu_;
  absl::flat_hash_map<std::pair<std::string, uint32_t>, Range> ranges_;
};

}  // namespace chorus::client_internal

#endif  // CHORUS_CLIENT_ACK_BUFFER_H_
