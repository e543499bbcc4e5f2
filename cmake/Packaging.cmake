# `make install` layout and the Debian package (cpack -G DEB from the build
# directory): /usr/bin/loupe, the web UI in /usr/share/loupe/ui (where the
# binary looks when installed), the systemd unit and a default
# /etc/loupe/loupe.yaml (a conffile: upgrades keep local edits).
include(GNUInstallDirs)
install(TARGETS loupe RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The UI is looked for when installing or packaging, not when configuring:
# scripts/build-ui.sh usually runs after cmake's configure step.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/ui/dist/ DESTINATION ${CMAKE_INSTALL_DATADIR}/loupe/ui OPTIONAL)
install(CODE "if(NOT EXISTS \"${CMAKE_SOURCE_DIR}/ui/dist/index.html\")
  message(WARNING \"ui/dist not built: this install holds no web UI (run scripts/build-ui.sh)\")
endif()")
install(FILES ${CMAKE_SOURCE_DIR}/deploy/systemd/loupe.service DESTINATION lib/systemd/system)  # /usr/lib: usrmerge
install(FILES ${CMAKE_SOURCE_DIR}/deploy/systemd/loupe.yaml DESTINATION /etc/loupe)
install(FILES ${CMAKE_SOURCE_DIR}/README.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_PACKAGE_NAME loupe)
set(CPACK_PACKAGE_VENDOR "Loupe")
set(CPACK_PACKAGE_CONTACT "Loupe maintainers <loupe@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "every request between services (HTTP, PostgreSQL, MySQL, Redis, DNS) seen with eBPF")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # loupe_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: from the libraries the binary links
# ... and capstone, which it opens with dlopen (src/agent/capstone_library.h),
# so shlibdeps does not see it: Debian's package of the headers' major version.
string(REGEX MATCH "^[0-9]+" capstone_major "${CAPSTONE_VERSION}")
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libcapstone${capstone_major}")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/deploy/debian/conffiles ${CMAKE_SOURCE_DIR}/deploy/debian/postinst
    ${CMAKE_SOURCE_DIR}/deploy/debian/prerm ${CMAKE_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)  # the debug info stays in the build tree
set(CPACK_GENERATOR DEB)
include(CPack)
