package bedrockstream

/*
#include "bsgo.h"
*/
import "C"

import "runtime"

// Stream is an open response read with Next (the pull API):
//
//	s, err := client.Open(ctx, req)
//	if err != nil { ... }
//	defer s.Close()
//	for s.Next() {
//		ev := s.Event()
//		...
//	}
//	if err := s.Err(); err != nil { ... }
//
// With Go 1.23 or later, All is the same loop as an iterator.
//
// Next, Event and Err are used by one goroutine at a time. Close may be called from any
// goroutine, also while Next waits: it then cancels the stream and Next returns false.
//
// Streams come from Client.Open; the zero Stream has ended with ErrNotInitialized.
type Stream struct {
	streamCore
	ptr         *C.bedrock_stream_stream
	event       Event
	contentType string
}

// RequestID is the x-amzn-RequestId of the response ("" when the service sent none).
func (s *Stream) RequestID() string { return s.requestID }

// ContentType is the X-Amzn-Bedrock-Content-Type of the response (the MIME type of the
// chunks), "" when absent.
func (s *Stream) ContentType() string { return s.contentType }

// Next waits for the next event. It returns true when there is one (read it with Event)
// and false at the clean end of the stream or on a failure (see Err); then it keeps
// returning false.
func (s *Stream) Next() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.event = Event{}
	if !s.begin(s.ptr != nil) {
		return false
	}
	var ev *C.bedrock_stream_event
	var cerr *C.bedrock_stream_error
	if rc := C.bedrock_stream_stream_next(s.ptr, &ev, &cerr); rc != C.BEDROCK_STREAM_STATUS_OK {
		s.failed(rc, cerr)
		return false
	}
	if ev == nil { // the clean end
		s.finish(nil)
		return false
	}
	// The C event is valid only until the next call: copy it now.
	s.event = copyEvent(ev)
	s.delivered++
	return true
}

// Event is the event read by the last successful Next: a copy in Go memory that stays
// valid after later calls.
func (s *Stream) Event() Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.event
}

// Err is nil while the stream runs and after its clean end; otherwise the failure that
// ended it: an *Error (with EventsDelivered), or ErrClosed when Close was called before
// the end.
func (s *Stream) Err() error { return s.errLocked() }

// EventsDelivered counts the events Next has returned so far.
func (s *Stream) EventsDelivered() uint64 { return s.deliveredLocked() }

// Close frees the stream. Before the end it closes the connection (the model stops
// generating), and a Next waiting in another goroutine returns false with Err ErrClosed.
// Idempotent; always returns nil.
func (s *Stream) Close() error {
	s.close(func() {
		if s.ptr != nil {
			C.bedrock_stream_stream_free(s.ptr)
			s.ptr = nil
		}
		runtime.SetFinalizer(s, nil)
	})
	return nil
}
