# Cross-compiles dgram for 64-bit Windows with clang (--target
# x86_64-w64-mingw32) on the headers, libraries and linker of Debian's
# mingw-w64 GCC: a second Windows compiler, whose diagnostics are closer
# to MSVC's (e.g. -Wdll-attribute-on-redeclaration, MSVC's C2375).
#   apt-get install clang lld g++-mingw-w64-x86-64-posix
#   cmake -S . -B build/clang-win \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/clang-mingw-w64.cmake
# See ci/windows-builds.sh. No emulator is set: wine runs what the GCC
# toolchain (mingw-w64.cmake) builds.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(triple x86_64-w64-mingw32)
find_program(CMAKE_C_COMPILER NAMES clang)
find_program(CMAKE_CXX_COMPILER NAMES clang++)
set(CMAKE_C_COMPILER_TARGET ${triple})
set(CMAKE_CXX_COMPILER_TARGET ${triple})
find_program(CMAKE_RC_COMPILER NAMES ${triple}-windres)
find_program(CMAKE_AR NAMES ${triple}-ar)
find_program(CMAKE_RANLIB NAMES ${triple}-ranlib)

# The mingw-w64 headers and libraries, and nothing of the host's: clang
# would otherwise add /usr/include after them.
set(CMAKE_SYSROOT /usr/${triple})
# clang 14 does not find Debian's versioned GCC directory
# (/usr/lib/gcc/x86_64-w64-mingw32/12-posix): its libstdc++ headers and
# libraries are named here, the newest "posix" (std::thread) one.
file(GLOB dgram_mingw_gcc_dirs LIST_DIRECTORIES true
     /usr/lib/gcc/${triple}/*-posix)
list(SORT dgram_mingw_gcc_dirs COMPARE NATURAL ORDER DESCENDING)
list(GET dgram_mingw_gcc_dirs 0 gcc)
if(NOT IS_DIRECTORY "${gcc}/include/c++")
  message(FATAL_ERROR "clang-mingw-w64: no libstdc++ under "
          "/usr/lib/gcc/${triple}/*-posix (apt-get install "
          "g++-mingw-w64-x86-64-posix)")
endif()
# (Standard include directories, not flags: they stay when CMAKE_CXX_FLAGS
# is given on the command line.)
set(CMAKE_CXX_STANDARD_INCLUDE_DIRECTORIES
    ${gcc}/include/c++ ${gcc}/include/c++/${triple} ${gcc}/include/c++/backward)
# Self-contained .exe files as with GCC (mingw-w64.cmake); winpthreads
# (-pthread) for std::thread and the C++ runtime's locks.
# lld: GNU ld warns "duplicate section ... has different size" for the
# type information of std::runtime_error that clang and GCC's libstdc++
# both emit.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -pthread -fuse-ld=lld -L${gcc}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-pthread -fuse-ld=lld -L${gcc}")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-pthread -fuse-ld=lld -L${gcc}")

list(APPEND CMAKE_FIND_ROOT_PATH /usr/${triple})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
