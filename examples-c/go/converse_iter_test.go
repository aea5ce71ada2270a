//go:build go1.23

package bedrockstream_test

import (
	"context"
	"errors"
	"testing"

	bedrockstream "github.com/bedrock-stream/bedrock-stream/examples-c/go"
)

// The iterator forms of ConverseStream (called directly, not by a range loop, so that this
// file compiles in a go 1.19 module).
func TestConverseAllAndConverseEvents(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	text := ""
	c.ConverseEvents(ctx, hello(model, "iterate"))(func(ev *bedrockstream.ConverseEvent, err error) bool {
		if err != nil {
			t.Fatal(err)
		}
		text += ev.Text
		return true
	})
	if text != reply("iterate") {
		t.Errorf("text %q", text)
	}
	count := func(req *bedrockstream.ConverseRequest) (events int, errs []error) {
		c.ConverseEvents(ctx, req)(func(ev *bedrockstream.ConverseEvent, err error) bool {
			if err != nil {
				errs = append(errs, err)
			} else {
				events++
			}
			return true
		})
		return
	}
	if n, errs := count(hello("emulator-fault:exception=throttlingException:after=2", "x")); n != 2 || len(errs) != 1 ||
		!errors.Is(errs[0], bedrockstream.ErrThrottling) {
		t.Errorf("%d events, errors %v", n, errs)
	}
	if n, errs := count(hello("emulator-fault:http=400", "x")); n != 0 || len(errs) != 1 || !errors.Is(errs[0], bedrockstream.ErrValidation) {
		t.Errorf("%d events, errors %v", n, errs)
	}
	// Breaking out of All leaves the stream open; Message reads the rest.
	s, err := c.OpenConverseStream(ctx, hello(model, "break"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.All()(func(*bedrockstream.ConverseEvent, error) bool { return false })
	if msg, err := s.Message(); err != nil || msg.Text != reply("break") || s.EventsDelivered() < 3 {
		t.Errorf("after break: %v %v", msg, err)
	}
}
