# Writes a C++ initializer list of {number, "name"} pairs of the target's
# native syscalls, as the target's C compiler sees <asm/unistd.h> (its
# macros, from `CC -dM -E`): x86_64's own unistd_64.h; on arm64 the generic
# table (asm-generic/unistd.h), where some numbers are aliases of aliases
# (__NR_mmap is __NR3264_mmap, 222) and which lines count depends on the
# __ARCH_WANT_* macros the architecture's header sets. Reading a header
# file as text, as this once did, gave arm64 an empty table.
# Run by CMake at build time:
#   cmake -DCC=<C compiler> [-DCC_FLAGS=...] -DOUT=<file> [-DSOURCE=<C text>] -P syscall_table.cmake
# SOURCE replaces `#include <asm/unistd.h>` (tests: another architecture's
# defines in front of asm-generic/unistd.h).
if(NOT DEFINED SOURCE)
  set(SOURCE "#include <asm/unistd.h>\n")
endif()
set(src ${OUT}.c)
file(WRITE ${src} "${SOURCE}")
separate_arguments(flags UNIX_COMMAND "${CC_FLAGS}")
execute_process(COMMAND ${CC} ${flags} -dM -E ${src}
  OUTPUT_VARIABLE macros ERROR_VARIABLE err RESULT_VARIABLE rc)
file(REMOVE ${src})
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "syscall name table: ${CC} cannot preprocess <asm/unistd.h> (the kernel's UAPI headers: Debian's linux-libc-dev):\n${err}")
endif()

string(REPLACE "\n" ";" lines "${macros}")
set(names)
foreach(line IN LISTS lines)
  if(line MATCHES "^#define __NR(3264)?_([a-z0-9_]+) (.+)$")
    set(generic "${CMAKE_MATCH_1}")
    set(name "${CMAKE_MATCH_2}")
    set(value "${CMAKE_MATCH_3}")
    string(REGEX REPLACE "^\\((.*)\\)$" "\\1" value "${value}")
    string(STRIP "${value}" value)
    if(generic)
      set(nr3264_${name} "${value}")
    else()
      set(nr_${name} "${value}")
      list(APPEND names ${name})
    endif()
  endif()
endforeach()

# Not syscalls: the table's size, and the start of the range left to each architecture.
list(REMOVE_ITEM names syscalls arch_specific_syscall)
set(body "// generated from the C compiler's <asm/unistd.h>; do not edit\n")
set(count 0)
set(entries)
foreach(name IN LISTS names)
  set(value "${nr_${name}}")
  # Follow aliases: __NR_x to __NR_y or __NR3264_y, a few levels at most.
  foreach(i RANGE 3)
    if(value MATCHES "^__NR3264_([a-z0-9_]+)$")
      set(value "${nr3264_${CMAKE_MATCH_1}}")
    elseif(value MATCHES "^__NR_([a-z0-9_]+)$")
      set(value "${nr_${CMAKE_MATCH_1}}")
    endif()
  endforeach()
  if(value MATCHES "^[0-9]+$")
    # Zero-padded for sorting: the macros come out of the preprocessor in no order.
    string(LENGTH "${value}" len)
    math(EXPR pad "6 - ${len}")
    string(REPEAT "0" ${pad} zeros)
    list(APPEND entries "${zeros}${value} ${name}")
    math(EXPR count "${count} + 1")
  endif()
endforeach()
list(SORT entries)
foreach(entry IN LISTS entries)
  string(REGEX MATCH "^0*([0-9]+) (.+)$" _ "${entry}")
  if(CMAKE_MATCH_1 STREQUAL "")
    set(CMAKE_MATCH_1 0)
  endif()
  string(APPEND body "{${CMAKE_MATCH_1}, \"${CMAKE_MATCH_2}\"},\n")
endforeach()
# Every architecture has a few hundred; a handful means the header was misread.
if(count LESS 200)
  message(FATAL_ERROR "syscall name table: only ${count} syscalls found in <asm/unistd.h> as ${CC} sees it")
endif()
file(WRITE ${OUT} "${body}")
