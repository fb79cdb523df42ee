# Runs cmake/BuildInfo.cmake as a script: in this checkout the header names
# HEAD's commit; in a folder that is not a checkout's top (a release
# tarball unpacked anywhere, even inside another repository) it names none.
#
#   cmake -DSOURCE_DIR=<repo> -DWORK_DIR=<scratch> -P build_info_test.cmake
cmake_minimum_required(VERSION 3.25)

function(expect_commit source_dir expected)
  set(header "${WORK_DIR}/build_info_values.h")
  file(REMOVE "${header}")
  execute_process(COMMAND "${CMAKE_COMMAND}" -DSOURCE_DIR=${source_dir}
                          -DOUTPUT=${header} -DVERSION=9.8.7
                          -P "${SOURCE_DIR}/cmake/BuildInfo.cmake"
                  RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "BuildInfo.cmake failed for ${source_dir}")
  endif()
  file(READ "${header}" text)
  foreach(line "#define CHORUS_PROJECT_VERSION \"9.8.7\""
               "#define CHORUS_GIT_COMMIT \"${expected}\"")
    string(FIND "${text}" "${line}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "${source_dir}: no '${line}' in:\n${text}")
    endif()
  endforeach()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
# Inside the build folder, so inside this checkout when built from one.
file(MAKE_DIRECTORY "${WORK_DIR}/unpacked")
expect_commit("${WORK_DIR}/unpacked" "")

find_package(Git QUIET)
set(head "")
if(GIT_FOUND AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --short=12 HEAD
                  WORKING_DIRECTORY "${SOURCE_DIR}" OUTPUT_VARIABLE head
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()
expect_commit("${SOURCE_DIR}" "${head}")
file(REMOVE_RECURSE "${WORK_DIR}")
