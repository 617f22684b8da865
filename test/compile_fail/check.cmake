# One compile-fail check, run by ctest (test/CMakeLists.txt):
#   cmake -DCXX=<compiler> -DSOURCE=<snippet.cpp> -DINCLUDE=<dir>
#         -DGENERATED_INCLUDE=<dir> -DMAX_LINES=<n> -P check.cmake
# The snippet compiles as it is (so it tests nothing but its one wrong
# line), and fails with DGRAM_COMPILE_FAIL defined, with every text its
# "// expect: <text>" comments name in the compiler's output, which is at
# most MAX_LINES lines long (the point: one readable error, not a wall).
cmake_minimum_required(VERSION 3.16)

file(STRINGS "${SOURCE}" expect_lines REGEX "^// expect: ")
if(NOT expect_lines)
  message(FATAL_ERROR "${SOURCE}: no '// expect: <text>' line")
endif()

set(flags -std=c++17 -fsyntax-only "-I${INCLUDE}" "-I${GENERATED_INCLUDE}")

execute_process(COMMAND "${CXX}" ${flags} "${SOURCE}"
                RESULT_VARIABLE control_result
                OUTPUT_VARIABLE control_output ERROR_VARIABLE control_output)
if(NOT control_result EQUAL 0)
  message(FATAL_ERROR "${SOURCE} does not compile even without its wrong "
                      "line:\n${control_output}")
endif()

execute_process(COMMAND "${CXX}" ${flags} -DDGRAM_COMPILE_FAIL "${SOURCE}"
                RESULT_VARIABLE result
                OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(result EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled with its wrong line")
endif()
foreach(line IN LISTS expect_lines)
  string(REGEX REPLACE "^// expect: " "" expect "${line}")
  string(FIND "${output}" "${expect}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${SOURCE}: the error does not say '${expect}':\n"
                        "${output}")
  endif()
endforeach()
string(REGEX MATCHALL "\n" newlines "${output}")
list(LENGTH newlines lines)
message(STATUS "${SOURCE}: ${lines} lines of errors")
if(lines GREATER MAX_LINES)
  message(FATAL_ERROR "${SOURCE}: ${lines} lines of errors (at most "
                      "${MAX_LINES}):\n${output}")
endif()
