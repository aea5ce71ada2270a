// Package bedrockstream streams Amazon Bedrock Runtime InvokeModelWithResponseStream
// through libbedrock_stream, the C library of the bedrock-stream Rust crate.
//
// A Client is built once with NewClient and shared by any number of goroutines. Each call
// takes a context and a Request:
//
//   - Invoke (push): the callback runs once per event, on the calling goroutine; returning
//     a non-nil error stops the stream (ErrStop stops it without an error).
//   - Open (pull): a Stream read with Next/Event/Err and released with Close; with Go 1.23
//     or later also as an iterator, Stream.All.
//   - ConverseStream (push) and OpenConverseStream (pull) send a ConverseRequest (one
//     request and event shape for every model, with tools) and fold the events into the
//     finished ConverseMessage, ready to append for the next turn; Converse and InvokeModel
//     are the calls that are not streamed.
//
// Cancelling the context cancels the call promptly from another goroutine. Events are
// copied into Go memory, so they stay valid after the next event. Failures are *Error
// values; compare them with errors.Is against the sentinel errors (ErrThrottling,
// ErrTimeout, ...) or against context.Canceled when the context ended the call.
//
// Settings left unset are resolved from the environment when the client is built, like
// the AWS SDKs: AWS_REGION, AWS_ENDPOINT_URL_BEDROCK_RUNTIME, AWS_ACCESS_KEY_ID & co.,
// AWS_BEARER_TOKEN_BEDROCK, AWS_PROFILE, HTTPS_PROXY.
//
// Linking: the package finds the C library with pkg-config (bedrock_stream.pc, installed
// by `make install PREFIX=...` in the repository); see README.md for the steps, and for
// static linking.
package bedrockstream

/*
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
