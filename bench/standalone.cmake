# Builds bench/ as part of the main project while the root CMakeLists.txt does not add it itself:
# bench/pg_load passes this file as -DCMAKE_PROJECT_INCLUDE, and it includes bench/CMakeLists.txt
# at the end of the root file, when the libraries exist (add_subdirectory cannot be deferred).
function(segsync_add_bench)
  if(NOT TARGET pg_load_bench)
    include(${CMAKE_SOURCE_DIR}/bench/CMakeLists.txt)
  endif()
endfunction()
cmake_language(DEFER CALL segsync_add_bench)
