# CHORUS_SANITIZE: build everything (libraries, tools, tests, chorusd) with
# the given sanitizers, e.g. -DCHORUS_SANITIZE=address,undefined or
# -DCHORUS_SANITIZE=thread. Empty (the default) builds without.
#
# Any report is fatal (-fno-sanitize-recover): a test that provokes one fails,
# and chorusd's log carries the report, which the integration harness checks.
# Third-party libraries (Debian's RocksDB, protobuf, Abseil) are not
# instrumented; see deploy/sanitizers/ for the suppressions this requires.
set(CHORUS_SANITIZE "" CACHE STRING
    "Sanitizers to build with: address,undefined | thread | empty for none")

if(CHORUS_SANITIZE)
  if(CHORUS_SANITIZE MATCHES "thread" AND CHORUS_SANITIZE MATCHES "address")
    message(FATAL_ERROR "CHORUS_SANITIZE: thread cannot be combined with address")
  endif()
  add_compile_options(-fsanitize=${CHORUS_SANITIZE} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  # -O1 (after the build type's -O2, so it wins), as the sanitizers' own
  # docs suggest: it compiles about a third faster under instrumentation
  # (command_line.cc under ASan: 51-61 s against 81-85 s at -O2), which
  # keeps CI's two sanitizer builds within its time. Whether a variable may
  # be used uninitialized is the optimizer's guess and differs with the
  # level: -Wmaybe-uninitialized stays with the plain -O2 build. -g1 (line
  # tables, after the build type's -g) is all a report's stack needs, and
  # saves another fifth (tracked_cursor.cc under ASan: 29.5 s against 37 s).
  add_compile_options(-O1 -g1 -Wno-maybe-uninitialized)
  add_link_options(-fsanitize=${CHORUS_SANITIZE})
  if(CHORUS_SANITIZE MATCHES "thread")
    # Asio brackets each handler call with std::atomic_thread_fence, which
    # TSan does not model (g++ refuses it under -Werror=tsan). Handlers
    # cross threads through the scheduler's mutex, which TSan does see, so
    # the fences add nothing it needs.
    add_compile_definitions(ASIO_DISABLE_FENCED_BLOCK)
    # Abseil's flag headers hold one more fence (a seqlock read), only run
    # while flags are parsed on the main thread: let g++ warn, not fail.
    add_compile_options(-Wno-tsan)
  endif()
endif()
