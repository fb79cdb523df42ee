#include "common/build_info.h"

#include "absl/strings/str_cat.h"
#include "common/build_info_values.h"
#include "common/string_views.h"

namespace chorus {

std::string VersionLine(std::string_view program) {
  // CHORUS_BUILD_TYPE comes from common/CMakeLists.txt, the rest from the
  // header cmake/BuildInfo.cmake generates.
  constexpr std::string_view kCommit = CHORUS_GIT_COMMIT;
  constexpr std::string_view kBuildType = CHORUS_BUILD_TYPE;
  return absl::StrCat(
      AsAbsl(program), " " CHORUS_PROJECT_VERSION " (",
      kCommit.empty() ? "" : absl::StrCat("commit ", AsAbsl(kCommit), ", "),
      kBuildType.empty() ? "unknown" : AsAbsl(kBuildType), " build)");
}

}  // namespace chorus
