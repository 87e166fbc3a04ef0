# One INTERFACE target carries the warning flags, so every target gets the same ones.
add_library(segsync_warnings INTERFACE)
target_compile_options(segsync_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough -Wformat=2)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 at -O3 reports false -Wrestrict positives inside libstdc++ for `"literal" +
  # std::string` (GCC bug 105329), which would break a Release build with -Werror.
  target_compile_options(segsync_warnings INTERFACE -Wno-restrict)
endif()
option(SEGSYNC_WERROR "Treat warnings as errors" OFF)
if(SEGSYNC_WERROR)
  target_compile_options(segsync_warnings INTERFACE -Werror)
endif()
