# The git commit the build comes from, captured at configure time ("unknown"
# outside a git checkout, e.g. from a release tarball).
find_package(Git QUIET)
set(TPW_GIT_COMMIT "unknown")
if(GIT_FOUND)
  execute_process(
    COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
    OUTPUT_VARIABLE tpw_git_out OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE tpw_git_rc ERROR_QUIET)
  if(tpw_git_rc EQUAL 0 AND tpw_git_out)
    set(TPW_GIT_COMMIT "${tpw_git_out}")
  endif()
endif()
