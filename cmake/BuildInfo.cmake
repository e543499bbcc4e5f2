# Version, git commit and build date for `loupe --version`, fixed when CMake
# configures (re-run cmake to refresh them). They go into one generated
# source file of the CLI only, so a new commit recompiles one file, not every
# file that sees a compile definition. The date honours SOURCE_DATE_EPOCH
# (reproducible builds).
execute_process(
  COMMAND git -C ${CMAKE_SOURCE_DIR} rev-parse --short=12 HEAD
  OUTPUT_VARIABLE LOUPE_GIT_COMMIT
  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT LOUPE_GIT_COMMIT)
  set(LOUPE_GIT_COMMIT unknown)
endif()
string(TIMESTAMP LOUPE_BUILD_DATE "%Y-%m-%dT%H:%M:%SZ" UTC)
configure_file(${CMAKE_SOURCE_DIR}/src/cli/build_info_values.cpp.in
               ${CMAKE_BINARY_DIR}/generated/build_info_values.cpp @ONLY)
