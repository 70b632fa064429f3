# ctest syscall_table: scripts/syscall_table.cmake against bpf/syscall_nr.h,
# for the target architecture (the C compiler's <asm/unistd.h>) and for
# arm64 on any host (asm-generic/unistd.h with arm64's __ARCH_WANT_* macros,
# arch/arm64/include/uapi/asm/unistd.h), which once came out empty. Every
# syscall the BPF side numbers must have that number and that name in the
# table, but for the few newer than the host's kernel headers.
#   cmake -DCC=<C compiler> -DSRC=<source dir> -DBIN=<scratch dir> -DARCH=<x86|arm64> -P syscall_table_test.cmake
file(READ ${SRC}/bpf/syscall_nr.h nr_header)

function(check_arch arch table)
  # The #if branch of syscall_nr.h for arch.
  string(FIND "${nr_header}" "defined(__TARGET_ARCH_${arch})" start)
  if(start EQUAL -1)
    message(FATAL_ERROR "bpf/syscall_nr.h has no branch for ${arch}")
  endif()
  string(SUBSTRING "${nr_header}" ${start} -1 branch)
  string(FIND "${branch}" "#el" end)
  string(SUBSTRING "${branch}" 0 ${end} branch)
  string(REGEX MATCHALL "#define TT_NR_[a-z0-9_]+ [0-9]+" defines "${branch}")
  file(READ ${table} text)
  set(checked 0)
  set(missing)
  foreach(def IN LISTS defines)
    string(REGEX MATCH "TT_NR_([a-z0-9_]+) ([0-9]+)" _ "${def}")
    set(name ${CMAKE_MATCH_1})
    set(nr ${CMAKE_MATCH_2})
    string(REGEX MATCH "{([0-9]+), \"${name}\"}" found "${text}")
    if(NOT found)
      list(APPEND missing ${name})
    elseif(NOT CMAKE_MATCH_1 STREQUAL nr)
      message(FATAL_ERROR "${arch}: the table says ${name} is ${CMAKE_MATCH_1}, bpf/syscall_nr.h says ${nr}")
    else()
      math(EXPR checked "${checked} + 1")
    endif()
  endforeach()
  list(LENGTH missing n_missing)
  # fchmodat2 (6.6) and the like are absent from older kernel headers.
  if(checked LESS 20 OR n_missing GREATER 2)
    message(FATAL_ERROR "${arch}: ${checked} syscalls match bpf/syscall_nr.h, missing from the table: ${missing}")
  endif()
  message(STATUS "${arch}: ${checked} syscall numbers match bpf/syscall_nr.h (not in these kernel headers: ${missing})")
endfunction()

file(MAKE_DIRECTORY ${BIN})
execute_process(COMMAND ${CMAKE_COMMAND} -DCC=${CC} -DOUT=${BIN}/native.inc -P ${SRC}/scripts/syscall_table.cmake
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "syscall_table.cmake failed for the target")
endif()
check_arch(${ARCH} ${BIN}/native.inc)

set(arm64 "#define __ARCH_WANT_RENAMEAT\n#define __ARCH_WANT_NEW_STAT\n#define __ARCH_WANT_SET_GET_RLIMIT\n"
  "#define __ARCH_WANT_TIME32_SYSCALLS\n#define __ARCH_WANT_SYS_CLONE3\n#define __ARCH_WANT_MEMFD_SECRET\n"
  "#include <asm-generic/unistd.h>\n")
string(CONCAT arm64 ${arm64})
execute_process(COMMAND ${CMAKE_COMMAND} -DCC=${CC} -DOUT=${BIN}/arm64.inc "-DSOURCE=${arm64}"
  -P ${SRC}/scripts/syscall_table.cmake RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "syscall_table.cmake failed for arm64")
endif()
check_arch(arm64 ${BIN}/arm64.inc)
