# c-ares, the one run-time dependency: its CMake package (target
# c-ares::cares) when installed, else pkg-config's libcares (what Debian
# ships). DGRAM_WITH_CARES=OFF builds the built-in resolver instead
# (numeric addresses, localhost and custom lookups only).
set(dgram_resolver_sources)
set(dgram_resolver_libraries)
set(dgram_resolver_definitions)
set(dgram_cares_requires)

# dgram_cares_staticlib(<out>): on Windows, the static c-ares archive that
# pkg-config's libcares resolved to (empty when it is an import library, or
# elsewhere, where CARES_STATICLIB means nothing). GNU toolchains name
# import libraries *.dll.a; MSVC names both kinds *.lib, so there a .lib
# counts as static when no c-ares DLL sits in the prefix's bin/ beside it.
function(dgram_cares_staticlib out)
  set(static "")
  if(WIN32)
    foreach(library IN LISTS DGRAM_CARES_LINK_LIBRARIES)
      get_filename_component(name "${library}" NAME)
      if(name MATCHES "cares" AND NOT name MATCHES "\\.dll\\.a$")
        if(name MATCHES "\\.a$")
          set(static "${library}")
        elseif(name MATCHES "\\.lib$")
          get_filename_component(dir "${library}" DIRECTORY)
          file(GLOB dlls "${dir}/../bin/*cares*.dll")
          if(NOT dlls)
            set(static "${library}")
          endif()
        endif()
      endif()
    endforeach()
  endif()
  set(${out} "${static}" PARENT_SCOPE)
endfunction()

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
    dgram_cares_staticlib(dgram_cares_static)
    if(dgram_cares_static)
      # On Windows ares.h declares its functions dllimport unless told the
      # library is static: a static c-ares would leave __imp_ares_*
      # unresolved. (Its CMake package says so itself; a .pc may not: one
      # written for a build of both kinds keeps it in Cflags.private.)
      set(dgram_resolver_definitions CARES_STATICLIB)
      message(STATUS "dgram: c-ares from pkg-config is static "
                     "(${dgram_cares_static}): CARES_STATICLIB")
    endif()
  endif()
  set(dgram_resolver_sources src/common/resolver_cares.cpp)
  message(STATUS "dgram: name lookup with c-ares")
else()
  set(dgram_resolver_sources src/common/resolver_builtin.cpp)
  message(STATUS "dgram: name lookup without c-ares (numeric and localhost)")
endif()
