#include "common/flag_names.h"

#include <algorithm>

namespace chorus {

DashedFlags::DashedFlags(int argc, char** argv) : args_(argv, argv + argc) {
  bool flags_done = false;
  for (std::string& arg : args_) {
    if (arg == "--") flags_done = true;
    if (!flags_done && arg.rfind("--", 0) == 0) {
      const size_t end = std::min(arg.find('='), arg.size());
      std::replace(arg.begin() + 2, arg.begin() + end, '-', '_');
    }
    pointers_.push_back(arg.data());
  }
}

}  // namespace chorus
