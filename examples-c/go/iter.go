//go:build go1.23

package bedrockstream

import (
	"context"
	"iter"
)

// All returns the rest of the stream as an iterator, for a range-over-func loop:
//
//	s, err := client.Open(ctx, req)
//	if err != nil { ... }
//	defer s.Close()
//	for ev, err := range s.All() {
//		if err != nil {
//			return err // the stream failed: an *Error, as from Err
//		}
//		fmt.Print(ev.Text)
//	}
//
// Each event comes with a nil error; a failure comes once, with the zero Event, and ends
// the loop; the clean end of the stream ends it without an error. Breaking out of the loop
// leaves the stream open until Close. All is Next, Event and Err in a loop: mixing them is
// fine, one goroutine at a time.
func (s *Stream) All() iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for s.Next() {
			if !yield(s.Event(), nil) {
				return
			}
		}
		if err := s.Err(); err != nil {
			yield(Event{}, err)
		}
	}
}

// Events sends req and returns its events as an iterator: Open, All and Close in one.
// The stream is opened when the loop starts and closed when it ends, also by break,
// return or panic in the loop body:
//
//	for ev, err := range client.Events(ctx, req) {
//		if err != nil {
//			return err // from Open or from the stream
//		}
//		fmt.Print(ev.Text)
//	}
func (c *Client) Events(ctx context.Context, req *Request) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		s, err := c.Open(ctx, req)
		if err != nil {
			yield(Event{}, err)
			return
		}
		defer s.Close()
		// Not a range loop: this file must also compile in modules that say go < 1.22.
		s.All()(yield)
	}
}
