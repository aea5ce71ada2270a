// Package bedrockstream streams Amazon Bedrock Runtime InvokeModelWithResponseStream
// through libbedrock_stream, the C ABI of the bedrock-stream Rust library.
//
// A Client is built once with NewClient and shared by any number of goroutines. Each call
// takes a context and a Request:
//
//   - Invoke (push): the callback runs once per event, on the calling goroutine; returning
//     a non-nil error stops the stream (ErrStop stops it without an error).
//   - Open (pull): a Stream read with Next/Event/Err and released with Close.
//
// Cancelling the context cancels the call promptly from another goroutine, through the C
// library's cancel handle. Events are copied into Go memory, so they stay valid after the
// next event. Failures are *Error values read from the failed call's own error object
// (never from thread-local state, which would be wrong when a goroutine moves between OS
// threads); compare them with errors.Is against the Status constants.
//
// Settings left unset are resolved from the environment when the client is built, like
// the AWS SDKs: AWS_REGION, AWS_ENDPOINT_URL_BEDROCK_RUNTIME, AWS_ACCESS_KEY_ID & co.,
// AWS_BEARER_TOKEN_BEDROCK, AWS_PROFILE, HTTPS_PROXY.
//
// Linking: see README.md. The package's own flags look for the library in
// examples-c/build/lib (made by `make -C examples-c`); CGO_LDFLAGS given in the
// environment come first and override that.
package bedrockstream

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: -L${SRCDIR}/../build/lib -Wl,-rpath,${SRCDIR}/../build/lib -lbedrock_stream
#include <bedrock_stream.h>
*/
import "C"

import "fmt"

// HeaderVersion is the version of the C header this package was compiled against.
const HeaderVersion = C.BEDROCK_STREAM_VERSION_NUMBER

// Version is the version of the linked libbedrock_stream, e.g. "0.1.0".
func Version() string {
	return C.GoString(C.bedrock_stream_version())
}

// CheckVersion reports an error when the linked library is not the version of the header
// the package was compiled against.
func CheckVersion() error {
	if got := uint32(C.bedrock_stream_version_number()); got != HeaderVersion {
		return fmt.Errorf("bedrockstream: libbedrock_stream %s (0x%06x) does not match the header (0x%06x)",
			Version(), got, HeaderVersion)
	}
	return nil
}
