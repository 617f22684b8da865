# Cross-compiles dgram for another Linux architecture with Debian's cross
# compilers, and runs what it builds under qemu-user: 32-bit ARM and
# big-endian s390x are what ci/cross-qemu.sh checks.
#   apt-get install g++-arm-linux-gnueabihf qemu-user
#   cmake -S . -B build/armhf -DDGRAM_CROSS_TRIPLE=arm-linux-gnueabihf \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/linux-cross.cmake \
#     -DDGRAM_WITH_CARES=OFF
# (No c-ares: Debian has no cross-built libc-ares-dev without multiarch.)
# ctest and Catch2's test discovery run the programs through
# qemu-<arch> -L /usr/<triple> (CMAKE_CROSSCOMPILING_EMULATOR).
set(CMAKE_SYSTEM_NAME Linux)

set(DGRAM_CROSS_TRIPLE arm-linux-gnueabihf CACHE STRING
    "The cross compiler's target triple (tool name prefix)")
set(triple ${DGRAM_CROSS_TRIPLE})
string(REGEX MATCH "^[^-]+" CMAKE_SYSTEM_PROCESSOR "${triple}")

find_program(CMAKE_C_COMPILER NAMES ${triple}-gcc)
find_program(CMAKE_CXX_COMPILER NAMES ${triple}-g++)
find_program(CMAKE_AR NAMES ${triple}-gcc-ar ${triple}-ar)
find_program(CMAKE_RANLIB NAMES ${triple}-gcc-ranlib ${triple}-ranlib)

list(APPEND CMAKE_FIND_ROOT_PATH /usr/${triple})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# qemu-user's name for the architecture: arm for arm*, else the triple's.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^arm")
  set(dgram_qemu_arch arm)
else()
  set(dgram_qemu_arch ${CMAKE_SYSTEM_PROCESSOR})
endif()
find_program(DGRAM_QEMU NAMES qemu-${dgram_qemu_arch}
                              qemu-${dgram_qemu_arch}-static)
if(DGRAM_QEMU AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${DGRAM_QEMU} -L /usr/${triple})
endif()
