# Building, installing and checking the C library (what cargo-c would do, by hand).
#
#   make lib                           # cargo build --release: .so (SONAME libbedrock_stream.so.0), .a
#   make install PREFIX=/usr/local     # lib, header, pkg-config file (DESTDIR supported)
#   make uninstall PREFIX=/usr/local
#   make test-install                  # install to a temporary prefix, then build examples-c/stream.c
#                                      # with nothing but `pkg-config --cflags --libs bedrock_stream`
#   make examples                      # build examples-c/ against target/debug (cargo build first)
#   make check-c                       # cargo test --features emulator --test c_examples
#   make demo                          # the README's first command: emulator + chat + C example
#   make test                          # the README's second command: everything CI runs
#
# Installed files:
#   $(LIBDIR)/libbedrock_stream.so.$(VERSION), .so.$(MAJOR) -> .so.$(VERSION), .so -> .so.$(MAJOR)
#   $(LIBDIR)/libbedrock_stream.a
#   $(INCLUDEDIR)/bedrock_stream.h
#   $(PKGCONFIGDIR)/bedrock_stream.pc   (Libs.private: from `rustc --print native-static-libs`)

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR ?=

CARGO ?= cargo
CC ?= cc
CARGO_TARGET_DIR ?= target
RELEASE_DIR = $(CARGO_TARGET_DIR)/release

VERSION := $(shell sed -n 's/^version = "\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
MAJOR := $(firstword $(subst ., ,$(VERSION)))
NATIVE_LIBS = $(RELEASE_DIR)/bedrock_stream.native-static-libs
BUILD_LOG = $(RELEASE_DIR)/bedrock_stream.build-log

.PHONY: lib install uninstall test-install examples check-c demo test

# One rustc run builds the rlib, the cdylib and the staticlib, and prints the system libraries
# the static archive needs. Cargo replays the note when the crate is already built; should it
# not, the list is taken from an empty staticlib (the same std libraries; our dependencies add
# no native library of their own).
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
	echo "$$libs" > $(NATIVE_LIBS); \
	echo "static link line: -lbedrock_stream $$libs"

install: lib
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 755 $(RELEASE_DIR)/libbedrock_stream.so $(DESTDIR)$(LIBDIR)/libbedrock_stream.so.$(VERSION)
	ln -sf libbedrock_stream.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libbedrock_stream.so.$(MAJOR)
	ln -sf libbedrock_stream.so.$(MAJOR) $(DESTDIR)$(LIBDIR)/libbedrock_stream.so
	install -m 644 $(RELEASE_DIR)/libbedrock_stream.a $(DESTDIR)$(LIBDIR)/libbedrock_stream.a
	install -m 644 include/bedrock_stream.h $(DESTDIR)$(INCLUDEDIR)/bedrock_stream.h
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

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libbedrock_stream.so.$(VERSION) \
		$(DESTDIR)$(LIBDIR)/libbedrock_stream.so.$(MAJOR) \
		$(DESTDIR)$(LIBDIR)/libbedrock_stream.so \
		$(DESTDIR)$(LIBDIR)/libbedrock_stream.a \
		$(DESTDIR)$(INCLUDEDIR)/bedrock_stream.h \
		$(DESTDIR)$(PKGCONFIGDIR)/bedrock_stream.pc

# Shared: only pkg-config's flags. Static: the archive plus pkg-config's Libs.private.
# Both programs must run and agree with the header's version.
test-install:
	@set -e; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(MAKE) --no-print-directory install PREFIX="$$tmp"; \
	export PKG_CONFIG_PATH="$$tmp/lib/pkgconfig"; \
	test "$$(pkg-config --modversion bedrock_stream)" = "$(VERSION)"; \
	test -L "$$tmp/lib/libbedrock_stream.so" && test -L "$$tmp/lib/libbedrock_stream.so.$(MAJOR)"; \
	echo "shared: $(CC) stream.c $$(pkg-config --cflags --libs bedrock_stream)"; \
	$(CC) -std=c99 -Wall -Wextra -Werror -pedantic -o "$$tmp/stream" examples-c/stream.c \
		$$(pkg-config --cflags --libs bedrock_stream); \
	readelf -d "$$tmp/stream" | grep -q 'NEEDED.*\[libbedrock_stream\.so\.$(MAJOR)\]'; \
	LD_LIBRARY_PATH="$$tmp/lib" "$$tmp/stream" --version; \
	echo "static: $(CC) stream.c $$tmp/lib/libbedrock_stream.a $$(pkg-config --static --libs bedrock_stream | sed 's/-lbedrock_stream//')"; \
	$(CC) -std=c99 -Wall -Wextra -Werror -pedantic -o "$$tmp/stream-static" examples-c/stream.c \
		$$(pkg-config --cflags bedrock_stream) "$$tmp/lib/libbedrock_stream.a" \
		$$(pkg-config --static --libs bedrock_stream | sed 's/-lbedrock_stream//'); \
	! readelf -d "$$tmp/stream-static" | grep -q 'libbedrock_stream'; \
	"$$tmp/stream-static" --version; \
	echo "test-install: ok"

examples:
	$(MAKE) -C examples-c LIBDIR=$(abspath $(CARGO_TARGET_DIR))/debug

check-c:
	$(CARGO) test --features emulator --test c_examples

# The README's demo: builds what it needs, starts the emulator on a free port, streams with the
# CLI and the C example, stops the emulator.
demo:
	./scripts/demo.sh

# Everything CI runs (.ci/run installs Go and valgrind first, then calls this).
test:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-features --all-targets -- -D warnings
	# `cargo test` does not write target/debug/libbedrock_stream.so; the C and Go tests link it.
	$(CARGO) build --all-features --lib
	# Go, valgrind and clang are required (a missing one fails the Go, C and C++ tests); never skipped here.
	env -u BEDROCK_STREAM_SKIP_GO -u BEDROCK_STREAM_SKIP_VALGRIND -u BEDROCK_STREAM_SKIP_CLANG $(CARGO) test --all-features
	$(MAKE) --no-print-directory test-install
