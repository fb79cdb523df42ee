// Lets programs that use Abseil flags (defined with underscores, e.g.
// `data_dir`) accept the dashed spellings users type: `--data-dir`.
//
//   int main(int argc, char** argv) {
//     chorus::DashedFlags flags(argc, argv);
//     absl::ParseCommandLine(flags.argc(), flags.argv());
#ifndef CHORUS_COMMON_FLAG_NAMES_H_
#define CHORUS_COMMON_FLAG_NAMES_H_

#include <string>
#include <vector>

namespace chorus {

// A copy of argv in which every "--flag-name[=value]" reads
// "--flag_name[=value]"; values and positional arguments are untouched.
class DashedFlags {
 public:
  DashedFlags(int argc, char** argv);

  DashedFlags(const DashedFlags&) = delete;
  DashedFlags& operator=(const DashedFlags&) = delete;

  int argc() { return static_cast<int>(pointers_.size()); }
  char** argv() { return pointers_.data(); }

 private:
  std::vector<std::string> args_;
  std::vector<char*> pointers_;
};

}  // namespace chorus

#endif  // CHORUS_COMMON_FLAG_NAMES_H_
