// Conversion between absl::Status and the wire's stable error codes.
//
// The only place where wire::Code meets absl::StatusCode:
//
//   wire::Frame reply;
//   StatusToWire(status, reply.mutable_error());
//   ...
//   absl::Status s = StatusFromWire(frame.error());
#ifndef CHORUS_PROTO_WIRE_STATUS_H_
#define CHORUS_PROTO_WIRE_STATUS_H_

#include "absl/status/status.h"
#include "proto/protocol.pb.h"

namespace chorus::proto {

// Codes unknown to this build (a newer peer) become kUnknown.
absl::Status StatusFromWire(const wire::Status& status);

void StatusToWire(const absl::Status& status, wire::Status* out);

}  // namespace chorus::proto

#endif  // CHORUS_PROTO_WIRE_STATUS_H_
