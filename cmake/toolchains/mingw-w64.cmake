# Cross-compiles dgram for 64-bit Windows with Debian's mingw-w64 (the
# "posix" thread model, which std::thread needs):
#   apt-get install g++-mingw-w64-x86-64-posix
#   cmake -S . -B build/win -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/mingw-w64.cmake
# With wine installed, the test programs run through it (ctest and Catch2's
# test discovery use CMAKE_CROSSCOMPILING_EMULATOR). See ci/windows-wine.sh.
# 32-bit Windows: -DDGRAM_MINGW_TRIPLE=i686-w64-mingw32
# (g++-mingw-w64-i686-posix; 64-bit wine does not run what it builds).
set(CMAKE_SYSTEM_NAME Windows)

set(DGRAM_MINGW_TRIPLE x86_64-w64-mingw32 CACHE STRING
    "The mingw-w64 target triple (tool name prefix)")
set(triple ${DGRAM_MINGW_TRIPLE})
string(REGEX MATCH "^[^-]+" CMAKE_SYSTEM_PROCESSOR "${triple}")
find_program(CMAKE_C_COMPILER NAMES ${triple}-gcc-posix ${triple}-gcc)
find_program(CMAKE_CXX_COMPILER NAMES ${triple}-g++-posix ${triple}-g++)
find_program(CMAKE_RC_COMPILER NAMES ${triple}-windres)
find_program(CMAKE_AR NAMES ${triple}-gcc-ar-posix ${triple}-ar)
find_program(CMAKE_RANLIB NAMES ${triple}-gcc-ranlib-posix ${triple}-ranlib)

# Libraries and headers come from the target's tree (and from prefixes the
# build adds, e.g. a cross-built c-ares); programs from the host.
list(APPEND CMAKE_FIND_ROOT_PATH /usr/${triple})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Self-contained .exe files: the GCC, C++ and winpthreads runtimes are
# linked in, so a program runs on Windows (or wine) without MinGW's DLLs.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

# wine64 runs 64-bit programs only; a 32-bit build needs Debian's wine32.
if(CMAKE_SYSTEM_PROCESSOR STREQUAL "x86_64")
  find_program(DGRAM_WINE NAMES wine64 wine PATHS /usr/lib/wine)
else()
  find_program(DGRAM_WINE NAMES wine PATHS /usr/lib/wine)
endif()
if(DGRAM_WINE AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${DGRAM_WINE})
endif()
