#include "proto/wire_status.h"

namespace chorus::proto {

absl::Status StatusFromWire(const wire::Status& status) {
  const int code = status.code();
  if (code < 0 || code > static_cast<int>(absl::StatusCode::kUnauthenticated)) {
    return absl::UnknownError(status.message());
  }
  return absl::Status(static_cast<absl::StatusCode>(code), status.message());
}

void StatusToWire(const absl::Status& status, wire::Status* out) {
  out->set_code(static_cast<wire::Code>(status.code()));
  out->set_message(std::string(status.message()));
}

}  // namespace chorus::proto
