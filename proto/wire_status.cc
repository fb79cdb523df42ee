#include "proto/wire_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"

namespace chorus::proto {
namespace {

constexpr absl::string_view kRedirectPayload = "type.chorus/wire.Redirect";

bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t length = lead < 0x80           ? 1
                          : (lead >> 5) == 0x6  ? 2
                          : (lead >> 4) == 0xe  ? 3
                          : (lead >> 3) == 0x1e ? 4
                                                : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) return false;
    }
    i += length;
  }
  return true;
}

}  // namespace

absl::Status StatusFromWire(const wire::Status& status) {
  const int code = status.code();
  if (code < 0 || code > static_cast<int>(absl::StatusCode::kUnauthenticated)) {
    return absl::UnknownError(status.message());
  }
  absl::Status out(static_cast<absl::StatusCode>(code), status.message());
  if (status.has_redirect()) {
    out.SetPayload(kRedirectPayload,
                   absl::Cord(status.redirect().SerializeAsString()));
  }
  return out;
}

void StatusToWire(const absl::Status& status, wire::Status* out) {
  out->set_code(static_cast<wire::Code>(status.code()));
  // The message is a proto3 string: a peer refuses the whole frame if it is
  // not UTF-8, so bytes echoed from bad input are escaped.
  if (IsValidUtf8(status.message())) {
    out->set_message(std::string(status.message()));
  } else {
    out->set_message(absl::CHexEscape(status.message()));
  }
  if (std::optional<wire::Redirect> redirect = RedirectOf(status)) {
    *out->mutable_redirect() = *std::move(redirect);
  }
}

absl::Status RedirectError(absl::string_view message,
                           const wire::Redirect& redirect) {
  absl::Status status = absl::FailedPreconditionError(message);
  status.SetPayload(kRedirectPayload, absl::Cord(redirect.SerializeAsString()));
  return status;
}

std::optional<wire::Redirect> RedirectOf(const absl::Status& status) {
  auto payload = status.GetPayload(kRedirectPayload);
  if (!payload.has_value()) return std::nullopt;
  wire::Redirect redirect;
  if (!redirect.ParseFromString(std::string(*payload))) return std::nullopt;
  return redirect;
}

}  // namespace chorus::proto
