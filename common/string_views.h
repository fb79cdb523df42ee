// Conversions between std::string_view and absl::string_view.
//
// Debian's Abseil is built with its own absl::string_view
// (ABSL_OPTION_USE_STD_STRING_VIEW 0), so the two do not convert implicitly.
// Our public APIs and protobuf use std::string_view; these convert at
// Abseil calls:
//
//   absl::StrCat("topic ", AsAbsl(topic));
//   std::string_view text = AsStd(status.message());
#ifndef CHORUS_COMMON_STRING_VIEWS_H_
#define CHORUS_COMMON_STRING_VIEWS_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace chorus {

inline absl::string_view AsAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

inline std::string_view AsStd(absl::string_view s) {
  return std::string_view(s.data(), s.size());
}

}  // namespace chorus

#endif  // CHORUS_COMMON_STRING_VIEWS_H_
