# chorus_library(NAME <name> SOURCES <files...> DEPS <targets...>)
#
# Defines the library `chorus_<name>`, aliased `chorus::<name>`, with the repo
# root (and the generated-code root) on its include path and the project's
# warning flags. Every folder's library goes through here so they all build
# the same way.
# -Wmissing-field-initializers is off: g++ 12 fires it on designated
# initializers that rely on member defaults (`{.data_dir = "./data"}`), the
# style our options structs are made for.
set(CHORUS_WARNINGS -Wall -Wextra -Werror -Wno-missing-field-initializers)

function(chorus_library)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS" ${ARGN})
  set(target chorus_${ARG_NAME})
  add_library(${target} STATIC ${ARG_SOURCES})
  add_library(chorus::${ARG_NAME} ALIAS ${target})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_compile_options(${target} PRIVATE ${CHORUS_WARNINGS})
  target_link_libraries(${target} PUBLIC ${ARG_DEPS})
endfunction()

# chorus_executable(NAME <name> SOURCES <files...> DEPS <targets...>)
function(chorus_executable)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_compile_options(${ARG_NAME} PRIVATE ${CHORUS_WARNINGS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
endfunction()

# chorus_test(NAME <name> SOURCES <files...> DEPS <targets...> [LABELS <labels>])
# A GoogleTest binary registered with CTest, one CTest entry per test case.
function(chorus_test)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS;LABELS" ${ARGN})
  chorus_executable(NAME ${ARG_NAME} SOURCES ${ARG_SOURCES}
                    DEPS ${ARG_DEPS} GTest::gtest_main GTest::gmock)
  set(properties TIMEOUT 180)
  if(ARG_LABELS)
    list(APPEND properties LABELS ${ARG_LABELS})
  endif()
  include(GoogleTest)
  gtest_discover_tests(${ARG_NAME} DISCOVERY_TIMEOUT 30
                       PROPERTIES ${properties})
endfunction()
