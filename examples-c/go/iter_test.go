//go:build go1.23

package bedrockstream_test

import (
	"context"
	"errors"
	"testing"

	bedrockstream "github.com/bedrock-stream/bedrock-stream/examples-c/go"
)

// The iterator forms (called directly, not by a range loop, so that this file compiles in
// a go 1.19 module).
func TestStreamAllAndClientEvents(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	var s summary
	c.Events(ctx, &bedrockstream.Request{ModelID: model, Body: claude("iterate")})(func(ev bedrockstream.Event, err error) bool {
		if err != nil {
			t.Fatal(err)
		}
		s.add(ev)
		return true
	})
	s.checkComplete(t, "iterate")

	count := func(req *bedrockstream.Request) (events int, errs []error) {
		c.Events(ctx, req)(func(ev bedrockstream.Event, err error) bool {
			if err != nil {
				errs = append(errs, err)
			} else {
				events++
			}
			return true
		})
		return
	}
	// A failure in the stream comes once, after the events.
	if n, errs := count(faulty("exception=throttlingException:after=2", "x")); n != 2 || len(errs) != 1 ||
		!errors.Is(errs[0], bedrockstream.ErrThrottling) {
		t.Errorf("%d events, errors %v", n, errs)
	}
	// A failure of Open comes once, alone.
	if n, errs := count(faulty("http=400", "x")); n != 0 || len(errs) != 1 || !errors.Is(errs[0], bedrockstream.ErrValidation) {
		t.Errorf("%d events, errors %v", n, errs)
	}

	// Breaking out of All leaves the stream open: Next goes on where it stopped.
	st, err := c.Open(ctx, &bedrockstream.Request{ModelID: model, Body: claude("break")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.All()(func(bedrockstream.Event, error) bool { return false })
	if st.EventsDelivered() != 1 || !st.Next() || st.EventsDelivered() != 2 {
		t.Errorf("after break: %d events", st.EventsDelivered())
	}
}

// Closing from the loop body never deadlocks: Client.Close lets the running stream finish
// (as from an Invoke callback); Stream.Close ends the loop with ErrClosed, once.
func TestCloseInsideTheLoop(t *testing.T) {
	ctx := context.Background()
	c, c2 := newClient(t), newClient(t)
	done := make(chan struct{})
	var events int
	var errs []error
	go func() {
		defer close(done)
		c.Events(ctx, &bedrockstream.Request{ModelID: model, Body: claude("close the client")})(
			func(ev bedrockstream.Event, err error) bool {
				if err != nil {
					errs = append(errs, err)
				} else if events++; events == 1 {
					c.Close()
				}
				return true
			})
	}()
	within(t, done, "a loop whose body closed the client")
	if events < 3 || len(errs) != 0 {
		t.Errorf("client closed in the loop: %d events, errors %v", events, errs)
	}

	done = make(chan struct{})
	events, errs = 0, nil
	go func() {
		defer close(done)
		st, err := c2.Open(ctx, faulty("stall:after=2", "x"))
		if err != nil {
			errs = append(errs, err)
			return
		}
		st.All()(func(ev bedrockstream.Event, err error) bool {
			if err != nil {
				errs = append(errs, err)
			} else if events++; events == 1 {
				st.Close()
			}
			return true
		})
	}()
	within(t, done, "a loop whose body closed its stream")
	if events != 1 || len(errs) != 1 || errs[0] != bedrockstream.ErrClosed {
		t.Errorf("stream closed in the loop: %d events, errors %v", events, errs)
	}
}
