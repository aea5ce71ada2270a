//go:build !bedrockstream_intree

package bedrockstream

// By default the C library is found with pkg-config, as installed by
// `make install PREFIX=...` (bedrock_stream.pc). Set PKG_CONFIG_PATH to
// $PREFIX/lib/pkgconfig when the prefix is not a system one.

/*
#cgo pkg-config: bedrock_stream
*/
import "C"
