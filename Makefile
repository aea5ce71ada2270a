# Building, installing and checking the C library (what cargo-c would do, by hand).
#
#   make lib                           # cargo build --release, then in target/release: the .so
#                                      # (SONAME libbedrock_stream.so.0) and its .so.0 link, and
#                                      # the .a reduced to export only bedrock_stream_* symbols
#   make install PREFIX=/usr/local     # lib, header, pkg-config and CMake files (DESTDIR supported;
#                                      # a relative PREFIX is taken from the current directory)
#   make uninstall PREFIX=/usr/local
#   make test-install                  # scripts/test-install.sh: install to a temporary prefix and
#                                      # build the README's C program by every route it documents
#   make examples                      # build examples-c/ against target/debug (cargo build first)
#   make check-c                       # cargo test --features emulator --test c_examples
#   make demo                          # the README's first command: emulator + chat + C examples
#   make test                          # the README's second command: everything CI runs
#
# Installed files:
#   $(LIBDIR)/libbedrock_stream.so.$(VERSION), .so.$(MAJOR) -> .so.$(VERSION), .so -> .so.$(MAJOR)
#   $(LIBDIR)/libbedrock_stream.a
#   $(INCLUDEDIR)/bedrock_stream.h, bedrock_stream.hpp (the header-only C++17 wrapper)
#   $(PKGCONFIGDIR)/bedrock_stream.pc          (shared; `--static` adds the system libraries)
#   $(PKGCONFIGDIR)/bedrock_stream_static.pc   (the .a by its path, for a static link of it alone)
#   $(CMAKEDIR)/bedrock_streamConfig.cmake, bedrock_streamConfigVersion.cmake
#                                              (imported targets bedrock_stream::bedrock_stream and
#                                              bedrock_stream::bedrock_stream_static; relocatable)
#   $(DATADIR)/bedrock_stream/valgrind.supp    (memcheck's known false positives: see the file)

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CMAKEDIR ?= $(LIBDIR)/cmake/bedrock_stream
DATADIR ?= $(PREFIX)/share
DESTDIR ?=
# The installed files record these paths: make them absolute.
override PREFIX := $(abspath $(PREFIX))
override LIBDIR := $(abspath $(LIBDIR))
override INCLUDEDIR := $(abspath $(INCLUDEDIR))
override PKGCONFIGDIR := $(abspath $(PKGCONFIGDIR))
override CMAKEDIR := $(abspath $(CMAKEDIR))
override DATADIR := $(abspath $(DATADIR))

CARGO ?= cargo
CC ?= cc
CARGO_TARGET_DIR ?= target
RELEASE_DIR = $(CARGO_TARGET_DIR)/release

VERSION := $(shell sed -n 's/^version = "\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
MAJOR := $(word 1,$(subst ., ,$(VERSION)))
MINOR := $(word 2,$(subst ., ,$(VERSION)))
NATIVE_LIBS = $(RELEASE_DIR)/bedrock_stream.native-static-libs
BUILD_LOG = $(RELEASE_DIR)/bedrock_stream.build-log
ARCHIVE = $(RELEASE_DIR)/libbedrock_stream.a

.PHONY: lib install uninstall test-install examples check-c demo test

# One rustc run builds the rlib, the cdylib and the staticlib, and prints the system libraries
# the static archive needs. Cargo replays the note when the crate is already built; should it
# not, the list is taken from an empty staticlib (the same std libraries; our dependencies add
# no native library of their own).
#
# `-lgcc_s` (the shared unwinder) is dropped from that list: the compiler driver adds the
# unwinder itself (gcc and clang: libgcc_s as needed for a dynamic program, libgcc_eh for
# `-static`, where `-lgcc_s` cannot be found), and `-lc` is always linked.
#
# The archive: cargo's holds the Rust standard library and every dependency with their symbols
# global (about 10,800 besides ours, 5,000 of them of default visibility), which clash with
# another Rust static library, or any C symbol of the same name (`rust_eh_personality`), in the
# same program. `ld -r` links the members our API needs into one object (what a program's link
# would take) and dissolves the COMDAT groups (whose signatures would otherwise still be merged
# with another library's), `objcopy` keeps only the `bedrock_stream_*` symbols global and drops
# the embedded LLVM bitcode (`.llvmbc`, from `lto`: useless to a C linker, and binutils' LLVM
# plugin chokes on it), and that object replaces the archive's contents (done again, it changes
# nothing). Symbols are listed with readelf, which, unlike nm, never hands the object to the
# LLVM plugin.
lib:
	mkdir -p $(RELEASE_DIR)
	$(CARGO) rustc --release --lib -- --print native-static-libs 2> $(BUILD_LOG) || \
		{ cat $(BUILD_LOG) >&2; exit 1; }
	@grep -v 'native-static-libs\|link against the following native' $(BUILD_LOG) >&2 || true
	@libs=$$(sed -n 's/.*native-static-libs: //p' $(BUILD_LOG) | tail -n 1); \
	if [ -z "$$libs" ]; then \
		tmp=$$(mktemp -d) && echo > "$$tmp/empty.rs" && \
		libs=$$(rustc --crate-type staticlib --print native-static-libs -o "$$tmp/empty.a" \
			"$$tmp/empty.rs" 2>&1 | sed -n 's/.*native-static-libs: //p' | tail -n 1); \
		rm -rf "$$tmp"; \
	fi; \
	test -n "$$libs" || { echo "cannot find the native static libraries" >&2; exit 1; }; \
	libs=$$(printf '%s\n' $$libs | grep -v -x -e '-lgcc_s' -e '-lc' | tr '\n' ' ' | sed 's/ $$//'); \
	echo "$$libs" > $(NATIVE_LIBS); \
	echo "static link line: -lbedrock_stream $$libs"
	ln -sf libbedrock_stream.so $(RELEASE_DIR)/libbedrock_stream.so.$(MAJOR)
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	readelf -sW $(ARCHIVE) 2>/dev/null | awk '($$5 == "GLOBAL" || $$5 == "WEAK") && \
		$$7 != "UND" && $$8 ~ /^bedrock_stream_/ { print $$8 }' | sort -u > "$$tmp/api"; \
	test -s "$$tmp/api" || { echo "no bedrock_stream_* symbol in $(ARCHIVE)" >&2; exit 1; }; \
	ld -r --force-group-allocation -o "$$tmp/bedrock_stream.o" \
		$$(sed 's/^/-u /' "$$tmp/api") $(ARCHIVE); \
	objcopy --keep-global-symbols="$$tmp/api" --remove-section=.llvmbc \
		--remove-section=.llvmcmd "$$tmp/bedrock_stream.o"; \
	rm -f "$$tmp/lib.a"; ar rcs "$$tmp/lib.a" "$$tmp/bedrock_stream.o"; \
	cp "$$tmp/lib.a" $(ARCHIVE).tmp && mv $(ARCHIVE).tmp $(ARCHIVE); \
	echo "$(ARCHIVE): $$(wc -l < "$$tmp/api") global symbols, all bedrock_stream_*"

# The pkg-config and CMake files record absolute paths (pkg-config) or paths relative to the
# CMake file (CMake: the tree may be moved).
install: lib
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(CMAKEDIR) $(DESTDIR)$(DATADIR)/bedrock_stream
	install -m 644 valgrind.supp $(DESTDIR)$(DATADIR)/bedrock_stream/valgrind.supp
	install -m 755 $(RELEASE_DIR)/libbedrock_stream.so $(DESTDIR)$(LIBDIR)/libbedrock_stream.so.$(VERSION)
	ln -sf libbedrock_stream.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libbedrock_stream.so.$(MAJOR)
	ln -sf libbedrock_stream.so.$(MAJOR) $(DESTDIR)$(LIBDIR)/libbedrock_stream.so
	install -m 644 $(ARCHIVE) $(DESTDIR)$(LIBDIR)/libbedrock_stream.a
	install -m 644 include/bedrock_stream.h $(DESTDIR)$(INCLUDEDIR)/bedrock_stream.h
	install -m 644 examples-c/bedrock_stream.hpp $(DESTDIR)$(INCLUDEDIR)/bedrock_stream.hpp
	printf '%s\n' \
		'prefix=$(PREFIX)' \
		'libdir=$(LIBDIR)' \
		'includedir=$(INCLUDEDIR)' \
		'' \
		'Name: bedrock_stream' \
		'Description: Blocking client for Amazon Bedrock Runtime InvokeModelWithResponseStream (C API)' \
		'Version: $(VERSION)' \
		'Libs: -L$${libdir} -lbedrock_stream' \
		"Libs.private: $$(cat $(NATIVE_LIBS))" \
		'Cflags: -I$${includedir}' \
		> $(DESTDIR)$(PKGCONFIGDIR)/bedrock_stream.pc
	printf '%s\n' \
		'prefix=$(PREFIX)' \
		'libdir=$(LIBDIR)' \
		'includedir=$(INCLUDEDIR)' \
		'' \
		'Name: bedrock_stream_static' \
		'Description: bedrock_stream linked statically (libbedrock_stream.a; the C library stays shared)' \
		'Version: $(VERSION)' \
		"Libs: \$${libdir}/libbedrock_stream.a $$(cat $(NATIVE_LIBS))" \
		'Cflags: -I$${includedir}' \
		> $(DESTDIR)$(PKGCONFIGDIR)/bedrock_stream_static.pc
	libdir_rel=$$(realpath -m --relative-to=$(CMAKEDIR) $(LIBDIR)); \
	includedir_rel=$$(realpath -m --relative-to=$(CMAKEDIR) $(INCLUDEDIR)); \
	static_libs=$$(printf '%s;' $$(cat $(NATIVE_LIBS)) | sed 's/;$$//'); \
	sed -e "s|@VERSION@|$(VERSION)|g" -e "s|@MAJOR@|$(MAJOR)|g" \
		-e "s|@LIBDIR_FROM_HERE@|$$libdir_rel|g" -e "s|@INCLUDEDIR_FROM_HERE@|$$includedir_rel|g" \
		-e "s|@STATIC_LIBS@|$$static_libs|g" \
		cmake/bedrock_streamConfig.cmake.in > $(DESTDIR)$(CMAKEDIR)/bedrock_streamConfig.cmake
	sed -e "s|@VERSION@|$(VERSION)|g" -e "s|@MAJOR@|$(MAJOR)|g" -e "s|@MINOR@|$(MINOR)|g" \
		-e "s|@SIZEOF_VOID_P@|$$(($$(getconf LONG_BIT) / 8))|g" \
		cmake/bedrock_streamConfigVersion.cmake.in \
		> $(DESTDIR)$(CMAKEDIR)/bedrock_streamConfigVersion.cmake

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libbedrock_stream.so.$(VERSION) \
		$(DESTDIR)$(LIBDIR)/libbedrock_stream.so.$(MAJOR) \
		$(DESTDIR)$(LIBDIR)/libbedrock_stream.so \
		$(DESTDIR)$(LIBDIR)/libbedrock_stream.a \
		$(DESTDIR)$(INCLUDEDIR)/bedrock_stream.h \
		$(DESTDIR)$(INCLUDEDIR)/bedrock_stream.hpp \
		$(DESTDIR)$(PKGCONFIGDIR)/bedrock_stream.pc \
		$(DESTDIR)$(PKGCONFIGDIR)/bedrock_stream_static.pc \
		$(DESTDIR)$(CMAKEDIR)/bedrock_streamConfig.cmake \
		$(DESTDIR)$(CMAKEDIR)/bedrock_streamConfigVersion.cmake \
		$(DESTDIR)$(DATADIR)/bedrock_stream/valgrind.supp
	-rmdir $(DESTDIR)$(CMAKEDIR) $(DESTDIR)$(DATADIR)/bedrock_stream 2>/dev/null

# Installs to temporary prefixes and builds the README's C program by every route the README
# documents, with the README's own commands, running each program against the emulator; also
# examples-c/stream.c, the CMake package moved after a DESTDIR install, and the symbols of the
# installed archive.
test-install:
	CARGO="$(CARGO)" ./scripts/test-install.sh

examples:
	$(MAKE) -C examples-c LIBDIR=$(abspath $(CARGO_TARGET_DIR))/debug

check-c:
	$(CARGO) test --features emulator --test c_examples

# The README's demo: builds what it needs, starts the emulator on a free port, streams with the
# CLI and the C examples (InvokeModelWithResponseStream and ConverseStream), stops the emulator.
demo:
	./scripts/demo.sh

# Everything CI runs (.ci/run installs Go and valgrind first, then calls this).
test:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-features --all-targets -- -D warnings
	# A Rust user's build (no C API) is warning-free too: code only the C layer uses is cfg'd on `capi`.
	$(CARGO) clippy --no-default-features --all-targets -- -D warnings
	# The crate docs (README.md is their front page) as docs.rs builds them, without a warning.
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --all-features --no-deps
	# `cargo test` does not write target/debug/libbedrock_stream.so; the C and Go tests link it.
	$(CARGO) build --all-features --lib
	# Go, valgrind and clang are required (a missing one fails the Go, C and C++ tests); never skipped here.
	env -u BEDROCK_STREAM_SKIP_GO -u BEDROCK_STREAM_SKIP_VALGRIND -u BEDROCK_STREAM_SKIP_CLANG $(CARGO) test --all-features
	$(MAKE) --no-print-directory test-install
	# The published crate builds from the .crate alone (what crates.io and docs.rs users get).
	$(CARGO) package --offline --allow-dirty
