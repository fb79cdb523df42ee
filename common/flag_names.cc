#include "common/flag_names.h"

#include <algorithm>
#include <utility>

namespace chorus {

std::string RespellFlag(std::string arg, char from, char to) {
  if (arg.size() > 2 && arg.rfind("--", 0) == 0) {
    const size_t end = std::min(arg.find('='), arg.size());
    std::replace(arg.begin() + 2, arg.begin() + end, from, to);
  }
  return arg;
}

std::vector<std::string> RespellFlags(std::vector<std::string> args, char from,
                                      char to) {
  for (std::string& arg : args) {
    if (arg == "--") break;
    arg = RespellFlag(std::move(arg), from, to);
  }
  return args;
}

RespelledFlags::RespelledFlags(int argc, char** argv, char from, char to)
    : args_(
          RespellFlags(std::vector<std::string>(argv, argv + argc), from, to)) {
  for (std::string& arg : args_) pointers_.push_back(arg.data());
}

}  // namespace chorus
