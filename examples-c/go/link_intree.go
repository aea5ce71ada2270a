//go:build bedrockstream_intree

package bedrockstream

// Built with -tags bedrockstream_intree (the repository's own tests and `make -C
// examples-c`): the header of this checkout and the library linked in examples-c/build/lib
// (`make -C examples-c build/lib/libbedrock_stream.so.0` after `cargo build`). The rpath
// puts this checkout's path into the binaries: never for a program you ship.

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: -L${SRCDIR}/../build/lib -Wl,-rpath,${SRCDIR}/../build/lib -lbedrock_stream
*/
import "C"
