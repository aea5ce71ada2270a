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
