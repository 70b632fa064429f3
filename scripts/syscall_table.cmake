# Writes a C++ initializer list of {number, "name"} pairs for this machine's
# native syscalls, read from the kernel UAPI header. Run by CMake at build time.
set(candidates
  /usr/include/x86_64-linux-gnu/asm/unistd_64.h
  /usr/include/aarch64-linux-gnu/asm/unistd.h
  /usr/include/asm-generic/unistd.h
  /usr/include/asm/unistd_64.h)
set(header "")
foreach(c ${candidates})
  if(EXISTS ${c})
    set(header ${c})
    break()
  endif()
endforeach()
set(body "// generated from ${header}; do not edit\n")
if(header)
  file(STRINGS ${header} lines REGEX "^#define __NR_[a-z0-9_]+[ \t]+[0-9]+")
  foreach(line ${lines})
    string(REGEX MATCH "__NR_([a-z0-9_]+)[ \t]+([0-9]+)" _ ${line})
    string(APPEND body "{${CMAKE_MATCH_2}, \"${CMAKE_MATCH_1}\"},\n")
  endforeach()
endif()
file(WRITE ${OUT} "${body}")
