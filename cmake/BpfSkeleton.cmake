# Builds every bpf/*.bpf.c with clang -target bpf (CO-RE against the running
# kernel's BTF) and turns each object into a libbpf skeleton header with
# `bpftool gen skeleton`. The skeletons embed the object, so the loupe binary
# carries its BPF programs with it.
find_program(CLANG_BPF clang REQUIRED)
find_program(BPFTOOL bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)
set(VMLINUX_BTF /sys/kernel/btf/vmlinux CACHE FILEPATH "Kernel BTF used to generate vmlinux.h")

set(BPF_OUT ${CMAKE_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${BPF_OUT})

if(NOT EXISTS ${VMLINUX_BTF})
  message(FATAL_ERROR "No kernel BTF at ${VMLINUX_BTF}: Loupe's BPF programs are CO-RE and need "
                      "a kernel built with CONFIG_DEBUG_INFO_BTF=y (or pass -DVMLINUX_BTF=<file>).")
endif()
add_custom_command(
  OUTPUT ${BPF_OUT}/vmlinux.h
  COMMAND ${BPFTOOL} btf dump file ${VMLINUX_BTF} format c > ${BPF_OUT}/vmlinux.h
  COMMENT "Generating vmlinux.h from ${VMLINUX_BTF}")

execute_process(COMMAND uname -m OUTPUT_VARIABLE BPF_UNAME_M OUTPUT_STRIP_TRAILING_WHITESPACE)
if(BPF_UNAME_M STREQUAL "x86_64")
  set(BPF_TARGET_ARCH x86)
elseif(BPF_UNAME_M STREQUAL "aarch64")
  set(BPF_TARGET_ARCH arm64)
else()
  set(BPF_TARGET_ARCH ${BPF_UNAME_M})
endif()

file(GLOB BPF_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/bpf/*.bpf.c)
file(GLOB BPF_HEADERS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/bpf/*.h)
set(BPF_SKELETONS)
foreach(src ${BPF_SOURCES})
  get_filename_component(stem ${src} NAME_WE)  # socket_trace.bpf.c -> socket_trace
  set(obj ${BPF_OUT}/${stem}.bpf.o)
  set(skel ${BPF_OUT}/${stem}.skel.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${CLANG_BPF} -g -O2 -target bpf -D__TARGET_ARCH_${BPF_TARGET_ARCH}
            -Wall -Werror -I${BPF_OUT} -I${CMAKE_SOURCE_DIR}/bpf -c ${src} -o ${obj}
    DEPENDS ${src} ${BPF_HEADERS} ${BPF_OUT}/vmlinux.h
    COMMENT "Compiling BPF ${stem}")
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${stem}_bpf > ${skel}
    DEPENDS ${obj}
    COMMENT "Generating skeleton ${stem}.skel.h")
  list(APPEND BPF_SKELETONS ${skel})
endforeach()

add_custom_target(bpf_skeletons DEPENDS ${BPF_SKELETONS})
add_library(loupe_bpf_skeletons INTERFACE)
add_dependencies(loupe_bpf_skeletons bpf_skeletons)
target_include_directories(loupe_bpf_skeletons INTERFACE ${BPF_OUT} ${CMAKE_SOURCE_DIR}/bpf)
