# Builds every bpf/*.bpf.c with clang -target bpf and turns each object into a
# libbpf skeleton header with `bpftool gen skeleton`. The skeletons embed the
# object, so the loupe binary carries its BPF programs with it.
#
# The programs are CO-RE: they compile against the kernel types vendored in
# bpf/vmlinux/<arch>/vmlinux.h (scripts/gen-vmlinux.sh regenerates them) and
# libbpf relocates field offsets to the running kernel's BTF at load time. The
# build therefore never reads the build host's kernel, and the architecture is
# the target's (CMAKE_SYSTEM_PROCESSOR, set by a cross toolchain file), not
# the build host's.
find_program(CLANG_BPF clang REQUIRED)
find_program(BPFTOOL bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)

# CMAKE_SYSTEM_PROCESSOR spellings -> the kernel's arch names, which name both
# the vendored header's folder and libbpf's __TARGET_ARCH_<arch> (bpf_tracing.h
# picks the pt_regs layout from it; bpf/syscall_numbers.h the syscall numbers).
function(loupe_bpf_arch processor out)
  string(TOLOWER "${processor}" p)
  if(p MATCHES "^(x86_64|amd64)$")
    set(${out} x86 PARENT_SCOPE)
  elseif(p MATCHES "^(aarch64|arm64)$")
    set(${out} arm64 PARENT_SCOPE)
  else()
    message(FATAL_ERROR "Loupe's BPF programs support x86_64 and aarch64; the target processor "
                        "is '${processor}' (set CMAKE_SYSTEM_PROCESSOR or BPF_TARGET_ARCH).")
  endif()
endfunction()

loupe_bpf_arch("${CMAKE_SYSTEM_PROCESSOR}" BPF_DEFAULT_ARCH)
set(BPF_TARGET_ARCH ${BPF_DEFAULT_ARCH} CACHE STRING "Kernel arch the BPF programs target (x86, arm64)")
set(BPF_VMLINUX_DIR ${CMAKE_SOURCE_DIR}/bpf/vmlinux/${BPF_TARGET_ARCH})
if(NOT EXISTS ${BPF_VMLINUX_DIR}/vmlinux.h)
  message(FATAL_ERROR "No vendored ${BPF_VMLINUX_DIR}/vmlinux.h for BPF_TARGET_ARCH=${BPF_TARGET_ARCH}")
endif()

# The one clang command line for a BPF object of any architecture.
function(loupe_bpf_compile_command arch src obj out)
  set(${out} ${CLANG_BPF} -g -O2 -target bpf -D__TARGET_ARCH_${arch} -Wall -Werror
             -I${CMAKE_SOURCE_DIR}/bpf/vmlinux/${arch} -I${CMAKE_SOURCE_DIR}/bpf -c ${src} -o ${obj}
      PARENT_SCOPE)
endfunction()

set(BPF_OUT ${CMAKE_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${BPF_OUT})

file(GLOB BPF_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/bpf/*.bpf.c)
file(GLOB BPF_HEADERS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/bpf/*.h)
set(BPF_SKELETONS)
foreach(src ${BPF_SOURCES})
  get_filename_component(stem ${src} NAME_WE)  # socket_trace.bpf.c -> socket_trace
  set(obj ${BPF_OUT}/${stem}.bpf.o)
  set(skel ${BPF_OUT}/${stem}.skel.h)
  loupe_bpf_compile_command(${BPF_TARGET_ARCH} ${src} ${obj} compile)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${compile}
    DEPENDS ${src} ${BPF_HEADERS} ${BPF_VMLINUX_DIR}/vmlinux.h
    COMMENT "Compiling BPF ${stem} (${BPF_TARGET_ARCH})")
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${stem}_bpf > ${skel}
    DEPENDS ${obj}
    COMMENT "Generating skeleton ${stem}.skel.h")
  list(APPEND BPF_SKELETONS ${skel})
endforeach()

# The other vendored architectures are compiled by tests (`ctest -R
# bpf_compiles_for`): clang -target bpf needs no cross toolchain, so an x86
# build still notices BPF code that no longer compiles for arm64 (and the
# other way round).
# An architecture is a folder holding a vmlinux.h (the folder also holds
# files such as .clang-format).
file(GLOB BPF_VENDORED_HEADERS RELATIVE ${CMAKE_SOURCE_DIR}/bpf/vmlinux
     ${CMAKE_SOURCE_DIR}/bpf/vmlinux/*/vmlinux.h)
set(BPF_ARCHES)
foreach(header ${BPF_VENDORED_HEADERS})
  get_filename_component(arch ${header} DIRECTORY)
  list(APPEND BPF_ARCHES ${arch})
endforeach()
list(REMOVE_ITEM BPF_ARCHES ${BPF_TARGET_ARCH})
foreach(arch ${BPF_ARCHES})
  foreach(src ${BPF_SOURCES})
    get_filename_component(stem ${src} NAME_WE)
    loupe_bpf_compile_command(${arch} ${src} ${BPF_OUT}/${stem}.${arch}.bpf.o compile)
    add_test(NAME bpf_compiles_for_${arch}_${stem} COMMAND ${compile})
    set_tests_properties(bpf_compiles_for_${arch}_${stem} PROPERTIES LABELS bpf TIMEOUT 60)
  endforeach()
endforeach()

add_custom_target(bpf_skeletons DEPENDS ${BPF_SKELETONS})
add_library(loupe_bpf_skeletons INTERFACE)
add_dependencies(loupe_bpf_skeletons bpf_skeletons)
target_include_directories(loupe_bpf_skeletons INTERFACE ${BPF_OUT} ${CMAKE_SOURCE_DIR}/bpf)
