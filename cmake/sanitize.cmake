# TOKEND_SANITIZE: build every target of the tree with the given sanitizers,
# "address,undefined" (ASan + UBSan) or "thread" (TSan); empty for a normal
# build. tests/run.sh --sanitize uses its own build directory for each
# (build/asan, build/tsan); tests/sanitize/README.md says what runs under
# each mode and why.
set(TOKEND_SANITIZE "" CACHE STRING "sanitizers to build with: address,undefined or thread")

if(TOKEND_SANITIZE)
  if(NOT TOKEND_SANITIZE MATCHES "^(address,undefined|undefined,address|address|undefined|thread)$")
    message(FATAL_ERROR "TOKEND_SANITIZE=${TOKEND_SANITIZE}: use address,undefined or thread")
  endif()
  # -fno-sanitize-recover: a UBSan finding ends the process with an error
  # instead of printing and going on, so that ctest fails on it. Frame
  # pointers keep the reports' stacks complete and cheap to unwind.
  set(_tokend_sanitize_flags -fsanitize=${TOKEND_SANITIZE} -fno-sanitize-recover=all
      -fno-omit-frame-pointer)
  add_compile_options(${_tokend_sanitize_flags})
  add_link_options(${_tokend_sanitize_flags})
  # -O1 and line tables only: instrumented code compiles and links much
  # faster so, and the reports keep file:line stacks.
  foreach(lang C CXX)
    string(REGEX REPLACE "-O[0-9s]" "-O1" CMAKE_${lang}_FLAGS_RELWITHDEBINFO
           "${CMAKE_${lang}_FLAGS_RELWITHDEBINFO}")
    string(REGEX REPLACE "-g[0-9]?( |$)" "-g1\\1" CMAKE_${lang}_FLAGS_RELWITHDEBINFO
           "${CMAKE_${lang}_FLAGS_RELWITHDEBINFO}")
  endforeach()
endif()

# TSan: Debian's Abseil is not instrumented, so every executable gets
# tests/sanitize/tsan_absl_sync.cc, which tells TSan what absl::Mutex,
# CondVar and Notification calls do (see that file). Its definitions must be
# in the executable's dynamic symbol table to take the calls made inside the
# shared libraries.
if(TOKEND_SANITIZE STREQUAL "thread")
  add_library(tokend_tsan_absl_sync OBJECT ${PROJECT_SOURCE_DIR}/tests/sanitize/tsan_absl_sync.cc)
  target_link_libraries(tokend_tsan_absl_sync PRIVATE absl::synchronization absl::time)

  function(_tokend_tsan_link_executables dir)
    get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
    foreach(t IN LISTS targets)
      get_target_property(type ${t} TYPE)
      if(type STREQUAL "EXECUTABLE")
        target_link_libraries(${t} PRIVATE tokend_tsan_absl_sync)
        target_link_options(${t} PRIVATE "LINKER:--export-dynamic-symbol=_ZN4absl*"
                            "LINKER:--export-dynamic-symbol=_ZNK4absl*")
      endif()
    endforeach()
    get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
    foreach(sub IN LISTS subdirs)
      _tokend_tsan_link_executables(${sub})
    endforeach()
  endfunction()
  # Once every directory has declared its executables.
  cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL _tokend_tsan_link_executables
                 ${PROJECT_SOURCE_DIR})
endif()
