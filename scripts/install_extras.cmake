# Run by `cmake --install` (install(CODE) in CMakeLists.txt), after the
# binary is in place: strips it and puts the shell completions where each
# shell looks without configuration. Decided here, at install time, because
# `cmake --install build --prefix /usr` changes the prefix after configuring.
# DESTDIR is honoured: file(INSTALL) prepends it, and so does the strip.
#
# Set by CMakeLists.txt: TAPIO_SOURCE_DIR, TAPIO_DATADIR (share), TAPIO_BINARY
# (the installed binary, relative to the prefix or absolute), TAPIO_STRIP
# (strip program, empty: do not strip), TAPIO_{BASH,ZSH,FISH}_COMPLETION_DIR
# (empty: chosen from the prefix, below).

string(REGEX REPLACE "(.)/+$" "\\1" prefix "${CMAKE_INSTALL_PREFIX}")

# ---- strip ----
if(TAPIO_STRIP)
  set(binary "${TAPIO_BINARY}")
  if(NOT IS_ABSOLUTE "${binary}")
    set(binary "${prefix}/${binary}")
  endif()
  message(STATUS "Stripping: $ENV{DESTDIR}${binary}")
  execute_process(COMMAND "${TAPIO_STRIP}" "$ENV{DESTDIR}${binary}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "tapio-trace: cannot strip $ENV{DESTDIR}${binary} with ${TAPIO_STRIP}")
  endif()
endif()

# ---- completions ----
# bash: bash-completion loads <dir>/bash-completion/completions/tapio-trace
#   for each dir of $XDG_DATA_DIRS (default /usr/local/share:/usr/share) on
#   the first <TAB>.
# zsh: a file _tapio-trace in a directory of $fpath. Debian's zsh has
#   /usr/local/share/zsh/site-functions and /usr/share/zsh/vendor-completions
#   (not /usr/share/zsh/site-functions, which other distributions use).
# fish: <dir>/fish/vendor_completions.d for each dir of $XDG_DATA_DIRS, but
#   without XDG_DATA_DIRS (a console or ssh login) only
#   /usr/share/fish/vendor_completions.d; /etc/fish/completions, the local
#   administrator's directory, is always read, so an install to /usr/local
#   goes there.
set(bash_dir "${prefix}/${TAPIO_DATADIR}/bash-completion/completions")
set(zsh_dir "${prefix}/${TAPIO_DATADIR}/zsh/site-functions")
set(fish_dir "${prefix}/${TAPIO_DATADIR}/fish/vendor_completions.d")
if(prefix STREQUAL "/usr" AND EXISTS /etc/debian_version)
  set(zsh_dir "/usr/${TAPIO_DATADIR}/zsh/vendor-completions")
elseif(prefix STREQUAL "/usr/local")
  set(fish_dir "/etc/fish/completions")
endif()
foreach(shell bash zsh fish)
  string(TOUPPER ${shell} upper)
  if(TAPIO_${upper}_COMPLETION_DIR)
    set(${shell}_dir "${TAPIO_${upper}_COMPLETION_DIR}")
  endif()
endforeach()

file(INSTALL DESTINATION "${bash_dir}" TYPE FILE RENAME tapio-trace
     FILES "${TAPIO_SOURCE_DIR}/completions/tapio-trace.bash")
file(INSTALL DESTINATION "${zsh_dir}" TYPE FILE FILES "${TAPIO_SOURCE_DIR}/completions/_tapio-trace")
file(INSTALL DESTINATION "${fish_dir}" TYPE FILE FILES "${TAPIO_SOURCE_DIR}/completions/tapio-trace.fish")
