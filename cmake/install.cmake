# Install rules (DGRAM_INSTALL): the library, public and generated headers,
# the CMake package (dgram::dgram), a pkg-config file, the LICENSE and, when
# built, dgramcat (tools/CMakeLists.txt). Everything is relative to the
# prefix, so an installed tree still works after it is moved.
include(CMakePackageConfigHelpers)

set(dgram_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/dgram)

install(TARGETS dgram EXPORT dgramTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
                NAMELINK_COMPONENT Development
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/dgram ${dgram_generated_include}/dgram
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT dgramTargets NAMESPACE dgram::
        DESTINATION ${dgram_cmake_dir})

# What dgramConfig.cmake needs to find c-ares again: only a static dgram
# passes c-ares on to its users.
if(BUILD_SHARED_LIBS)
  set(dgram_config_needs_cares OFF)
else()
  set(dgram_config_needs_cares ${DGRAM_WITH_CARES})
endif()
configure_package_config_file(cmake/dgramConfig.cmake.in
  ${PROJECT_BINARY_DIR}/dgramConfig.cmake
  INSTALL_DESTINATION ${dgram_cmake_dir})
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/dgramConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/dgramConfig.cmake
              ${PROJECT_BINARY_DIR}/dgramConfigVersion.cmake
        DESTINATION ${dgram_cmake_dir})

# dgram.pc: prefix relative to the file's own directory (${pcfiledir}),
# so `cmake --install --prefix` and moving the tree keep it right.
set(dgram_pc_dir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR
   IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  # An absolute directory was asked for: the .pc says where it is.
  set(dgram_pc_prefix "${CMAKE_INSTALL_PREFIX}")
  set(dgram_pc_libdir "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(dgram_pc_includedir "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH dgram_pc_up "/prefix/${dgram_pc_dir}" "/prefix")
  string(REGEX REPLACE "/$" "" dgram_pc_up "${dgram_pc_up}")
  set(dgram_pc_prefix "\${pcfiledir}/${dgram_pc_up}")
  set(dgram_pc_libdir "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(dgram_pc_includedir "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
# Static: users link what dgram links (Requires.private, Libs.private,
# which `pkg-config --static` adds). Shared: nothing of it shows.
set(dgram_pc_requires_private "")
set(dgram_pc_libs_private "")
if(NOT BUILD_SHARED_LIBS)
  if(DGRAM_WITH_CARES)
    if(dgram_cares_requires)
      set(dgram_pc_requires_private "Requires.private: libcares")
    else()
      # c-ares found through its CMake package: name its library.
      set(dgram_pc_libs_private "-lcares")
    endif()
  endif()
  foreach(lib IN LISTS dgram_platform_libraries)
    string(APPEND dgram_pc_libs_private " -l${lib}")
  endforeach()
  string(STRIP "${dgram_pc_libs_private}" dgram_pc_libs_private)
  if(dgram_pc_libs_private)
    set(dgram_pc_libs_private "Libs.private: ${dgram_pc_libs_private}")
  endif()
endif()
configure_file(cmake/dgram.pc.in ${PROJECT_BINARY_DIR}/dgram.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/dgram.pc DESTINATION ${dgram_pc_dir})

install(FILES LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})
