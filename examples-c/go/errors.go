package bedrockstream

/*
#include <stdlib.h>
#include <bedrock_stream.h>
*/
import "C"

import (
	"context"
	"errors"
	"strings"
	"unsafe"
)

// Status is the kind of a failure: the C library's bedrock_stream_status. Compare errors
// with errors.Is against the sentinel errors below (ErrThrottling, ...), which are the
// Status values as errors; read Error.Status for a switch.
type Status int32

// The statuses of the C API (the numbers are part of its ABI; abi.go checks them against
// the header at compile time).
const (
	StatusOK                    Status = 0
	StatusNullArgument          Status = 1
	StatusInvalidUTF8           Status = 2
	StatusAbortedByCallback     Status = 3
	StatusPanic                 Status = 4
	StatusAccessDenied          Status = 10
	StatusResourceNotFound      Status = 11
	StatusThrottling            Status = 12
	StatusModelTimeout          Status = 13
	StatusInternalServer        Status = 14
	StatusServiceUnavailable    Status = 15
	StatusModelStreamError      Status = 16
	StatusValidation            Status = 17
	StatusServiceQuotaExceeded  Status = 18
	StatusModelNotReady         Status = 19
	StatusModelError            Status = 20
	StatusUnmodeledService      Status = 21
	StatusStreamError           Status = 22
	StatusUnexpectedContentType Status = 30
	StatusProtocol              Status = 31
	StatusTruncated             Status = 32
	StatusTransport             Status = 40
	StatusTimeout               Status = 41
	StatusInvalidInput          Status = 50
	StatusConfig                Status = 51
	StatusCredentials           Status = 52
	StatusCancelled             Status = 53
	StatusInternal              Status = 54
)

// Sentinel errors, one per kind of failure, for errors.Is:
//
//	if errors.Is(err, bedrockstream.ErrThrottling) { ... }
//
// Each is the Status of the same name; errors.Is matches any *Error of that Status.
var (
	// Local failures, found before anything was sent.
	ErrNullArgument error = StatusNullArgument // a required argument was missing
	ErrInvalidUTF8  error = StatusInvalidUTF8  // a string was not valid UTF-8
	ErrInvalidInput error = StatusInvalidInput // a value is not allowed (Message says which)
	ErrConfig       error = StatusConfig       // a setting is wrong: region, endpoint, CA bundle...
	ErrCredentials  error = StatusCredentials  // no credentials could be found or fetched

	// What the Go side did.
	ErrStoppedByCallback error = StatusAbortedByCallback // an Invoke callback returned an error (wrapped)
	ErrCancelled         error = StatusCancelled         // the context ended the call (ctx.Err() is wrapped)

	// Errors Bedrock answered with, before or inside the stream (see Error.Code).
	ErrAccessDenied         error = StatusAccessDenied         // AccessDeniedException
	ErrResourceNotFound     error = StatusResourceNotFound     // ResourceNotFoundException: model id, profile...
	ErrThrottling           error = StatusThrottling           // ThrottlingException: retry later
	ErrModelTimeout         error = StatusModelTimeout         // ModelTimeoutException
	ErrInternalServer       error = StatusInternalServer       // InternalServerException
	ErrServiceUnavailable   error = StatusServiceUnavailable   // ServiceUnavailableException
	ErrModelStreamError     error = StatusModelStreamError     // ModelStreamErrorException (see OriginalMessage)
	ErrValidation           error = StatusValidation           // ValidationException: the request body or a header
	ErrServiceQuotaExceeded error = StatusServiceQuotaExceeded // ServiceQuotaExceededException
	ErrModelNotReady        error = StatusModelNotReady        // ModelNotReadyException
	ErrModelError           error = StatusModelError           // ModelErrorException
	ErrUnmodeledService     error = StatusUnmodeledService     // a type not in the service model (e.g. a signature failure; see Code)
	ErrStreamError          error = StatusStreamError          // an error message inside the stream

	// The connection or the bytes on it.
	ErrUnexpectedContentType error = StatusUnexpectedContentType // the response is not an event stream
	ErrProtocol              error = StatusProtocol              // a malformed event stream (checksum...)
	ErrTruncated             error = StatusTruncated             // the stream ended in the middle
	ErrTransport             error = StatusTransport             // connecting, TLS, proxy, I/O
	ErrTimeout               error = StatusTimeout               // a timer of the client fired (see Error.Timer)

	// A bug in the library, caught at its boundary.
	ErrPanic    error = StatusPanic
	ErrInternal error = StatusInternal
)

// String names the status as the C library does: "THROTTLING", "UNKNOWN" for a value the
// linked library does not define.
func (s Status) String() string {
	return C.GoString(C.bedrock_stream_status_str(C.int32_t(s)))
}

// Error makes a Status usable as an errors.Is target (the sentinel errors).
func (s Status) Error() string {
	return "bedrockstream: " + s.String()
}

// ErrStop may be returned by an Invoke callback to stop the stream without an error:
// Invoke then returns nil.
var ErrStop = errors.New("bedrockstream: stop the stream")

// ErrClosed is returned by calls on a Client after Close, and by Stream.Err after a
// Stream was closed before its end.
var ErrClosed = errors.New("bedrockstream: use of a closed client or stream")

// ErrNotInitialized is returned by the calls of a zero Client (not made by NewClient) and
// by Stream.Err of a zero Stream (not made by Client.Open).
var ErrNotInitialized = errors.New("bedrockstream: use of a Client not made by NewClient or a Stream not made by Open")

// Error is the detail of a failed call, read from the error object the C library returned
// for that very call.
type Error struct {
	// Status is the kind of failure; errors.Is(err, ErrX) compares it.
	Status Status
	// Code is the AWS error code as the service sent it ("ThrottlingException",
	// "throttlingException", "InvalidSignatureException", ...); empty for local failures.
	Code string
	// Message is the library's one-sentence description (it includes the code, HTTP status
	// and request id when known).
	Message string
	// HTTPStatus of the error response, or the status the service model assigns to an
	// exception in the stream (throttlingException: 429); 0 when none.
	HTTPStatus int
	// RequestID is the x-amzn-RequestId of the response, empty when none was received.
	RequestID string
	// Retryable says whether sending the same request again may succeed.
	Retryable bool
	// EventsDelivered counts the events handed to the caller before the failure.
	EventsDelivered uint64
	// Attempts counts the HTTP attempts made (0 when nothing was sent).
	Attempts uint32
	// OriginalStatusCode and OriginalMessage come with ModelStreamErrorException /
	// ModelErrorException (what the model itself returned); 0 / empty when absent.
	OriginalStatusCode int32
	OriginalMessage    string
	// ResourceName of a ModelErrorException, empty when absent.
	ResourceName string
	// Timer names the timer that fired for StatusTimeout: "connect", "response-headers",
	// "read-idle" or "deadline"; empty otherwise.
	Timer string

	// cause is what made the call stop on the Go side: the callback's error
	// (ErrStoppedByCallback) or the context's error (ErrCancelled).
	cause error
}

// Error describes the failure (and its Go-side cause, if any).
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("bedrockstream: ")
	b.WriteString(e.Status.String())
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.cause != nil {
		b.WriteString(": ")
		b.WriteString(e.cause.Error())
	}
	return b.String()
}

// Is reports whether target is this error's Status, so that
// errors.Is(err, ErrThrottling) works.
func (e *Error) Is(target error) bool {
	s, ok := target.(Status)
	return ok && s == e.Status
}

// Timeout reports whether the failure is a timeout (as net.Error does): a timer of the
// client fired (ErrTimeout, see Timer), the model timed out (ErrModelTimeout), or the
// context's deadline expired.
func (e *Error) Timeout() bool {
	return e.Status == StatusTimeout || e.Status == StatusModelTimeout ||
		errors.Is(e.cause, context.DeadlineExceeded)
}

// Unwrap returns the Go-side cause: the error an Invoke callback returned, or the
// context's error when the context cancelled the call (errors.Is(err, context.Canceled)).
func (e *Error) Unwrap() error {
	return e.cause
}

// takeError converts the error object of a failed call into an *Error and frees it. rc is
// the status the call returned; cerr is what it wrote to err_out (NULL only if the library
// could not allocate one).
func takeError(rc C.bedrock_stream_status, cerr *C.bedrock_stream_error) *Error {
	if cerr == nil {
		return &Error{Status: Status(rc), Message: "no error details"}
	}
	defer C.bedrock_stream_error_free(cerr)
	e := &Error{
		Status:             Status(C.bedrock_stream_error_status(cerr)),
		Code:               goStringOrEmpty(C.bedrock_stream_error_code(cerr)),
		HTTPStatus:         int(C.bedrock_stream_error_http_status(cerr)),
		RequestID:          goStringOrEmpty(C.bedrock_stream_error_request_id(cerr)),
		Retryable:          bool(C.bedrock_stream_error_retryable(cerr)),
		EventsDelivered:    uint64(C.bedrock_stream_error_events_delivered(cerr)),
		Attempts:           uint32(C.bedrock_stream_error_attempts(cerr)),
		OriginalStatusCode: int32(C.bedrock_stream_error_original_status_code(cerr)),
		OriginalMessage:    goStringOrEmpty(C.bedrock_stream_error_original_message(cerr)),
		ResourceName:       goStringOrEmpty(C.bedrock_stream_error_resource_name(cerr)),
		Timer:              goStringOrEmpty(C.bedrock_stream_error_timer(cerr)),
	}
	var n C.size_t
	if C.bedrock_stream_error_message(cerr, nil, 0, &n) == C.BEDROCK_STREAM_STATUS_OK && n > 0 {
		buf := make([]byte, int(n)+1)
		if C.bedrock_stream_error_message(cerr, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), nil) == C.BEDROCK_STREAM_STATUS_OK {
			e.Message = string(buf[:n])
		}
	}
	return e
}

// localError is a failure detected by this package before calling the library.
func localError(s Status, message string) *Error {
	return &Error{Status: s, Message: message}
}

func goStringOrEmpty(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}
