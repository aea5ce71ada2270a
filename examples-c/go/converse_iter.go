//go:build go1.23

package bedrockstream

import (
	"context"
	"iter"
)

// All returns the rest of the stream as an iterator, for a range-over-func loop; each event
// comes with a nil error, a failure comes once with a nil event and ends the loop. Read the
// finished message with Message after the loop:
//
//	s, err := client.OpenConverseStream(ctx, req)
//	if err != nil { ... }
//	defer s.Close()
//	for ev, err := range s.All() {
//		if err != nil {
//			return err
//		}
//		fmt.Print(ev.Text)
//	}
//	msg, err := s.Message()
//
// Breaking out of the loop leaves the stream open until Close.
func (s *ConverseEventStream) All() iter.Seq2[*ConverseEvent, error] {
	return func(yield func(*ConverseEvent, error) bool) {
		for s.Next() {
			if !yield(s.Event(), nil) {
				return
			}
		}
		if err := s.Err(); err != nil {
			yield(nil, err)
		}
	}
}

// ConverseEvents sends req and returns its events as an iterator: OpenConverseStream, All
// and Close in one (use OpenConverseStream when you need the finished message).
func (c *Client) ConverseEvents(ctx context.Context, req *ConverseRequest) iter.Seq2[*ConverseEvent, error] {
	return func(yield func(*ConverseEvent, error) bool) {
		s, err := c.OpenConverseStream(ctx, req)
		if err != nil {
			yield(nil, err)
			return
		}
		defer s.Close()
		// Not a range loop: this file must also compile in modules that say go < 1.22.
		s.All()(yield)
	}
}
