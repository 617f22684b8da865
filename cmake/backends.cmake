# Which backends this platform can compile, which of them are compiled in
# (DGRAM_BACKENDS: all by default, or a chosen few, e.g. "poll" for the
# smallest build) and which one is the default. A Loop picks one of those
# compiled in at run time (the DGRAM_BACKEND environment variable or the
# Loop constructor), so one build can test them all.
# The checks compile C++, as the library does: a C check would miss what
# glibc declares only under _GNU_SOURCE (recvmmsg, sendmmsg), which g++
# defines and gcc does not, so a parent project that enables C would build
# the library without its batched system calls. (The cached results are
# named DGRAM_CXX_HAS_*, not the old C checks' DGRAM_HAVE_*, so a build
# tree configured before is checked again.)
include(CheckCXXSymbolExists)
include(CheckCXXSourceCompiles)

set(dgram_platform_sources)
set(dgram_platform_libraries)
set(dgram_backend_definitions)
set(dgram_available_backends)

if(WIN32)
  # Winsock + IOCP (src/win32). Windows 7 is the oldest target
  # (GetQueuedCompletionStatusEx, if_nametoindex).
  list(APPEND dgram_platform_sources
    src/win32/afd_poll.cpp
    src/win32/backend_iocp.cpp
    src/win32/backends.cpp
    src/win32/error_map.cpp
    src/win32/interfaces.cpp
    src/win32/signal_source.cpp
    src/win32/udp_errors.cpp
    src/win32/udp_io.cpp
    src/win32/winsock.cpp)
  list(APPEND dgram_platform_libraries ws2_32 iphlpapi)
  list(APPEND dgram_backend_definitions
    WIN32_LEAN_AND_MEAN NOMINMAX _WIN32_WINNT=0x0601)
  list(APPEND dgram_available_backends iocp)
else()
  list(APPEND dgram_platform_sources
    src/posix/backends.cpp
    src/posix/interfaces.cpp
    src/posix/errno_map.cpp
    src/posix/signal_source.cpp
    src/posix/udp_io.cpp
    src/posix/wakeup.cpp)
  check_cxx_symbol_exists(epoll_create1 "sys/epoll.h" DGRAM_CXX_HAS_EPOLL)
  check_cxx_symbol_exists(kqueue "sys/event.h" DGRAM_CXX_HAS_KQUEUE)
  check_cxx_symbol_exists(recvmmsg "sys/socket.h" DGRAM_CXX_HAS_RECVMMSG)
  check_cxx_symbol_exists(sendmmsg "sys/socket.h" DGRAM_CXX_HAS_SENDMMSG)
  if(DGRAM_CXX_HAS_EPOLL)
    list(APPEND dgram_available_backends epoll)
  endif()
  if(DGRAM_CXX_HAS_KQUEUE)
    list(APPEND dgram_available_backends kqueue)
  endif()
  list(APPEND dgram_available_backends poll)
  if(DGRAM_CXX_HAS_RECVMMSG)
    list(APPEND dgram_backend_definitions DGRAM_HAVE_RECVMMSG=1)
  endif()
  if(DGRAM_CXX_HAS_SENDMMSG)
    list(APPEND dgram_backend_definitions DGRAM_HAVE_SENDMMSG=1)
  endif()
endif()

# DGRAM_BACKENDS: "auto" or a list (";" or ",") of available backends.
# From here on dgram_available_backends is what is compiled in (the tests
# are registered once per entry).
if(NOT DGRAM_BACKENDS OR DGRAM_BACKENDS STREQUAL "auto")
  set(dgram_selected_backends ${dgram_available_backends})
else()
  string(REPLACE "," ";" dgram_selected_backends "${DGRAM_BACKENDS}")
  list(REMOVE_DUPLICATES dgram_selected_backends)
  foreach(backend IN LISTS dgram_selected_backends)
    if(NOT backend IN_LIST dgram_available_backends)
      message(FATAL_ERROR "DGRAM_BACKENDS: ${backend} is not available on "
              "this platform (available: ${dgram_available_backends})")
    endif()
  endforeach()
  # In the platform's order of preference, whatever order was given.
  set(dgram_ordered_backends)
  foreach(backend IN LISTS dgram_available_backends)
    if(backend IN_LIST dgram_selected_backends)
      list(APPEND dgram_ordered_backends ${backend})
    endif()
  endforeach()
  set(dgram_selected_backends ${dgram_ordered_backends})
endif()
set(dgram_available_backends ${dgram_selected_backends})
if("epoll" IN_LIST dgram_available_backends)
  list(APPEND dgram_platform_sources src/posix/backend_epoll.cpp)
  list(APPEND dgram_backend_definitions DGRAM_HAVE_EPOLL=1)
endif()
if("kqueue" IN_LIST dgram_available_backends)
  list(APPEND dgram_platform_sources src/posix/backend_kqueue.cpp)
  list(APPEND dgram_backend_definitions DGRAM_HAVE_KQUEUE=1)
endif()
if("poll" IN_LIST dgram_available_backends)
  list(APPEND dgram_platform_sources src/posix/backend_poll.cpp)
  list(APPEND dgram_backend_definitions DGRAM_HAVE_POLL=1)
endif()

if(DGRAM_BACKEND STREQUAL "auto")
  list(GET dgram_available_backends 0 dgram_default_backend)
else()
  list(FIND dgram_available_backends "${DGRAM_BACKEND}" dgram_backend_index)
  if(dgram_backend_index EQUAL -1)
    message(FATAL_ERROR "DGRAM_BACKEND=${DGRAM_BACKEND} is not compiled in "
            "(DGRAM_BACKENDS: ${dgram_available_backends})")
  endif()
  set(dgram_default_backend "${DGRAM_BACKEND}")
endif()
list(APPEND dgram_backend_definitions
     DGRAM_DEFAULT_BACKEND="${dgram_default_backend}")
message(STATUS "dgram backends: ${dgram_available_backends} "
               "(default ${dgram_default_backend})")
