# Boost.Hana's headers for qpipe's CMake target. Included by CMakeLists.txt (add_subdirectory,
# FetchContent) and by the installed qpipeConfig.cmake, so that the consumer's own toolchain
# decides, at the consumer's configure time, how Boost reaches the compiler.
#
# Native builds: QPIPE_BOOST_INCLUDE_DIR if set, else CMake's Boost package (Boost::headers).
# Cross builds (CMAKE_CROSSCOMPILING, e.g. with cmake/cortex-m0.cmake): the target compiler must
# not see the build machine's /usr/include, where glibc's headers would shadow the target's C
# library (picolibc: "bits/libc-header-start.h: No such file"). So the Boost headers are reached
# through a folder in the build tree that holds only a link `boost` to them, passed with -isystem
# (as meson.build does). QPIPE_BOOST_LINK_FOLDER turns this on or off (default: on when cross).

set(QPIPE_BOOST_INCLUDE_DIR "" CACHE PATH
    "Folder holding boost/hana.hpp (empty: CMake's Boost package, or when cross-compiling a search of the usual folders)")
option(QPIPE_BOOST_LINK_FOLDER
       "Reach Boost through a build-tree folder holding only a 'boost' link (keeps /usr/include away from a cross compiler)"
       ${CMAKE_CROSSCOMPILING})

# qpipe_boost_headers(TARGET): give the INTERFACE library TARGET the Boost headers.
function(qpipe_boost_headers target)
  if(NOT QPIPE_BOOST_INCLUDE_DIR AND NOT QPIPE_BOOST_LINK_FOLDER)
    find_package(Boost 1.61 REQUIRED)  # Hana came with Boost 1.61
    target_link_libraries(${target} INTERFACE Boost::headers)
    return()
  endif()

  set(boost_dir "${QPIPE_BOOST_INCLUDE_DIR}")
  if(NOT boost_dir)
    # The host's Boost headers serve the target too (Hana is headers only): search outside any
    # sysroot, in the folders a Generic (bare-metal) platform does not search by itself.
    find_path(QPIPE_BOOST_FOUND_DIR boost/hana.hpp
              HINTS ENV BOOST_ROOT ENV BOOST_INCLUDEDIR
              PATH_SUFFIXES include
              PATHS /usr/local/include /usr/include
              NO_CMAKE_FIND_ROOT_PATH)
    set(boost_dir "${QPIPE_BOOST_FOUND_DIR}")
  endif()
  if(NOT boost_dir OR NOT EXISTS "${boost_dir}/boost/hana.hpp")
    message(FATAL_ERROR "qpipe: no boost/hana.hpp under '${boost_dir}'. "
                        "Set QPIPE_BOOST_INCLUDE_DIR to the folder that holds boost/hana.hpp.")
  endif()

  if(QPIPE_BOOST_LINK_FOLDER)
    set(link_folder "${CMAKE_BINARY_DIR}/qpipe-target-boost")
    file(MAKE_DIRECTORY "${link_folder}")
    # Replaces a link left by an earlier configure.
    file(CREATE_LINK "${boost_dir}/boost" "${link_folder}/boost" SYMBOLIC)
    set(boost_dir "${link_folder}")
  endif()
  target_include_directories(${target} SYSTEM INTERFACE "${boost_dir}")
endfunction()
