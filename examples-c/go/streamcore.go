package bedrockstream

/*
#include <bedrock_stream.h>
*/
import "C"

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// streamCore is what Stream and ConverseEventStream share: the cancel handle with its
// context watcher, how the stream ended, and the protocol of Next and Close.
type streamCore struct {
	mu        sync.Mutex // held by Next (and Close) while it uses the library's stream
	cancel    *C.bedrock_stream_cancel
	watch     *watcher
	ctx       context.Context
	err       error
	done      bool   // the stream ended or failed: Next returns false
	delivered uint64 // events returned by Next
	closeOnce sync.Once
	closing   atomic.Bool // Close was called

	requestID string
}

// begin is the start of Next, with mu held: whether the library's stream may be read (live
// tells whether there is one: none after Close, or in a zero value).
func (s *streamCore) begin(live bool) bool {
	switch {
	case s.done:
		return false
	case !live && s.closing.Load():
		s.finish(ErrClosed)
		return false
	case !live:
		s.finish(ErrNotInitialized)
		return false
	case s.ctx.Err() != nil:
		// The context is done: no further event, even when the watcher has not run yet
		// (the next call then fails with CANCELLED, attributed to the context).
		C.bedrock_stream_cancel_cancel(s.cancel)
	}
	return true
}

// failed records the failure of a next call, with mu held: Close from another goroutine
// (ErrClosed), the context (the error wraps ctx.Err()), or what the library said.
func (s *streamCore) failed(rc C.bedrock_stream_status, cerr *C.bedrock_stream_error) {
	byContext := s.watch.stop()
	e := takeError(rc, cerr)
	switch {
	case e.Status == StatusCancelled && s.closing.Load():
		s.finish(ErrClosed)
		return
	case e.Status == StatusCancelled && (byContext || s.ctx.Err() != nil):
		e.cause = s.ctx.Err()
	}
	s.finish(e)
}

// finish records the end of the stream, with mu held.
func (s *streamCore) finish(err error) {
	s.done = true
	s.err = err
	s.watch.stop() // no need to watch the context any more
}

func (s *streamCore) errLocked() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *streamCore) deliveredLocked() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered
}

// close wakes a Next waiting in another goroutine, then frees everything (free releases the
// owner's handles, with mu held). Once.
func (s *streamCore) close(free func()) {
	s.closeOnce.Do(func() {
		s.closing.Store(true)
		if s.cancel != nil {
			C.bedrock_stream_cancel_cancel(s.cancel)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.watch.stop()
		free()
		if s.cancel != nil {
			C.bedrock_stream_cancel_free(s.cancel)
			s.cancel = nil
		}
	})
}

// stoppedBy is what a push call returns when its callback returned err: nil for ErrStop,
// else an *Error (ErrStoppedByCallback) that wraps err.
func (s *streamCore) stoppedBy(err error) error {
	if errors.Is(err, ErrStop) {
		return nil
	}
	return &Error{
		Status:          StatusAbortedByCallback,
		Message:         "the callback stopped the stream",
		RequestID:       s.requestID,
		EventsDelivered: s.deliveredLocked(),
		cause:           err,
	}
}
