# CHORUS_FUZZ=ON builds the libFuzzer targets of tests/fuzz (target
# `fuzz_targets`). It needs clang (-DCMAKE_CXX_COMPILER=clang++): everything
# is built with coverage for the fuzzer and with ASan + UBSan, and any report
# aborts the run.
option(CHORUS_FUZZ "Build the libFuzzer targets in tests/fuzz (clang only)" OFF)

if(CHORUS_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "CHORUS_FUZZ needs clang: -DCMAKE_CXX_COMPILER=clang++")
  endif()
  if(CHORUS_SANITIZE)
    message(FATAL_ERROR "CHORUS_FUZZ already builds with address,undefined")
  endif()
  # -fsanitize=function is left out: clang 14 cannot emit its prologue data
  # for split coroutine functions ("Cannot represent a difference across
  # sections" in broker.cc); it checks calls through mistyped function
  # pointers, which we do not make.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                      -fno-sanitize=function -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
