// Where each record of an acknowledged publish batch was stored.
//
// A PublishAck gives per-partition offset ranges and, when the batch spread
// over several partitions, the partition of each record. This turns it into
// one PublishResult per record, in publish order:
//
//   absl::StatusOr<std::vector<PublishResult>> results =
//       client_internal::PublishResultsFromAck(frame.publish_ack(), 3);
//   // (*results)[i] is where record i of the batch went.
#ifndef CHORUS_CLIENT_PUBLISH_ACK_H_
#define CHORUS_CLIENT_PUBLISH_ACK_H_

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "client/client.h"
#include "proto/protocol.pb.h"

namespace chorus::client_internal {

// Record i with partition p gets the first offset of p's range plus the
// number of earlier records of the batch that went to p.
// Errors: kInternal when the ack does not describe `record_count` records
// (ranges missing, counts that do not add up): a broker bug, reported rather
// than guessed around.
absl::StatusOr<std::vector<PublishResult>> PublishResultsFromAck(
    const wire::PublishAck& ack, size_t record_count);

}  // namespace chorus::client_internal

#endif  // CHORUS_CLIENT_PUBLISH_ACK_H_
