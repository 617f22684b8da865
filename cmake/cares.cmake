# c-ares, the one run-time dependency: its CMake package (target
# c-ares::cares) when installed, else pkg-config's libcares (what Debian
# ships). DGRAM_WITH_CARES=OFF builds the built-in resolver instead
# (numeric addresses, localhost and custom lookups only).
set(dgram_resolver_sources)
set(dgram_resolver_libraries)
set(dgram_cares_requires)

if(DGRAM_WITH_CARES)
  find_package(c-ares CONFIG QUIET)
  if(TARGET c-ares::cares)
    set(dgram_resolver_libraries c-ares::cares)
  else()
    find_package(PkgConfig QUIET)
    if(PkgConfig_FOUND)
      pkg_check_modules(DGRAM_CARES QUIET IMPORTED_TARGET libcares)
    endif()
    if(NOT DGRAM_CARES_FOUND)
      message(FATAL_ERROR
        "dgram: c-ares not found (neither its CMake package nor pkg-config "
        "libcares). Install it (Debian: apt-get install libc-ares-dev) or "
        "configure with -DDGRAM_WITH_CARES=OFF to resolve only numeric "
        "addresses and localhost.")
    endif()
    set(dgram_resolver_libraries PkgConfig::DGRAM_CARES)
    set(dgram_cares_requires libcares)
  endif()
  set(dgram_resolver_sources src/common/resolver_cares.cpp)
  message(STATUS "dgram: name lookup with c-ares")
else()
  set(dgram_resolver_sources src/common/resolver_builtin.cpp)
  message(STATUS "dgram: name lookup without c-ares (numeric and localhost)")
endif()
