// What a binary was built from, for the tools' --version.
//
//   std::puts(chorus::VersionLine("chorusd").c_str());
//   // chorusd 0.1.0 (commit 22c1900a1b2c, RelWithDebInfo build)
//
// The version is CMake's project(VERSION); the commit is the git checkout's
// HEAD when CMake last configured the build (left out when built outside a
// git checkout, e.g. from a release tarball); the build type is
// CMAKE_BUILD_TYPE (or the configuration of a multi-config generator).
#ifndef CHORUS_COMMON_BUILD_INFO_H_
#define CHORUS_COMMON_BUILD_INFO_H_

#include <string>
#include <string_view>

namespace chorus {

// "<program> <version> (commit <commit>, <build type> build)", without a
// trailing newline; the commit part is left out when it is not known.
std::string VersionLine(std::string_view program);

}  // namespace chorus

#endif  // CHORUS_COMMON_BUILD_INFO_H_
