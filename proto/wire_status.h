// Conversion between absl::Status and the wire's stable error codes.
//
// The only place where wire::Code meets absl::StatusCode:
//
//   wire::Frame reply;
//   StatusToWire(status, reply.mutable_error());
//   ...
//   absl::Status s = StatusFromWire(frame.error());
//
// A refusal that names where to go instead (wire::Redirect) travels inside
// absl::Status as a payload: RedirectError makes one, RedirectOf reads it,
// and both conversions carry it.
#ifndef CHORUS_PROTO_WIRE_STATUS_H_
#define CHORUS_PROTO_WIRE_STATUS_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/protocol.pb.h"

namespace chorus::proto {

// Codes unknown to this build (a newer peer) become kUnknown.
absl::Status StatusFromWire(const wire::Status& status);

void StatusToWire(const absl::Status& status, wire::Status* out);

// kFailedPrecondition with `message`, naming `redirect` as the broker to
// ask instead.
absl::Status RedirectError(absl::string_view message,
                           const wire::Redirect& redirect);
// The redirect `status` carries, if any.
std::optional<wire::Redirect> RedirectOf(const absl::Status& status);

}  // namespace chorus::proto

#endif  // CHORUS_PROTO_WIRE_STATUS_H_
