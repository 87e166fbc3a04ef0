# SEGSYNC_FUZZ=ON builds the libFuzzer targets of tests/fuzz (clang only), with everything
# instrumented for coverage and checked by ASan and UBSan. `make fuzz` drives it.
option(SEGSYNC_FUZZ "Build the libFuzzer targets (needs clang)" OFF)
if(SEGSYNC_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SEGSYNC_FUZZ needs clang for libFuzzer; configure with "
                        "-DCMAKE_CXX_COMPILER=clang++-14")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
