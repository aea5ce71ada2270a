package bedrockstream

/*
#include "bsgo.h"
*/
import "C"

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

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
	mu        sync.Mutex // held by Next (and Close) while it uses ptr
	ptr       *C.bedrock_stream_stream
	cancel    *C.bedrock_stream_cancel
	watch     *watcher
	ctx       context.Context
	event     Event
	err       error
	done      bool   // the stream ended or failed: Next returns false
	delivered uint64 // events returned by Next
	closeOnce sync.Once
	closing   atomic.Bool // Close was called

	requestID, contentType string
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
	if s.done {
		return false
	}
	if s.ptr == nil {
		if s.closing.Load() {
			s.finish(ErrClosed)
		} else {
			s.finish(ErrNotInitialized) // the zero Stream
		}
		return false
	}
	var ev *C.bedrock_stream_event
	var cerr *C.bedrock_stream_error
	rc := C.bedrock_stream_stream_next(s.ptr, &ev, &cerr)
	if rc != C.BEDROCK_STREAM_STATUS_OK {
		byContext := s.watch.stop()
		e := takeError(rc, cerr)
		switch {
		case e.Status == StatusCancelled && s.closing.Load():
			s.finish(ErrClosed) // Close from another goroutine interrupted this call
			return false
		case e.Status == StatusCancelled && (byContext || s.ctx.Err() != nil):
			e.cause = s.ctx.Err()
		}
		s.finish(e)
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

// finish records the end of the stream; called with mu held.
func (s *Stream) finish(err error) {
	s.done = true
	s.err = err
	s.event = Event{}
	s.watch.stop() // no need to watch the context any more
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
func (s *Stream) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// EventsDelivered counts the events Next has returned so far.
func (s *Stream) EventsDelivered() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered
}

// Close frees the stream. Before the end it closes the connection (the model stops
// generating), and a Next waiting in another goroutine returns false with Err ErrClosed.
// Idempotent; always returns nil.
func (s *Stream) Close() error {
	s.closeOnce.Do(func() {
		// Wake a Next that waits in another goroutine; nothing happens after the end.
		s.closing.Store(true)
		if s.cancel != nil {
			C.bedrock_stream_cancel_cancel(s.cancel)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.watch.stop()
		if s.ptr != nil {
			C.bedrock_stream_stream_free(s.ptr)
			s.ptr = nil
		}
		if s.cancel != nil {
			C.bedrock_stream_cancel_free(s.cancel)
			s.cancel = nil
		}
		runtime.SetFinalizer(s, nil)
	})
	return nil
}
