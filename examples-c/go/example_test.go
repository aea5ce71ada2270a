package bedrockstream_test

// The examples run against the emulator (TestMain points AWS_REGION,
// AWS_ENDPOINT_URL_BEDROCK_RUNTIME and the credentials at it); in a real program the same
// variables, a profile or an instance role do.

import (
	"context"
	"errors"
	"fmt"
	"log"

	bedrockstream "github.com/bedrock-stream/bedrock-stream/examples-c/go"
)

// One question to Claude, the answer printed as it arrives.
func Example() {
	// Region, endpoint and credentials from the environment, as the AWS SDKs do.
	client, err := bedrockstream.NewClient()
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	req := &bedrockstream.Request{
		ModelID: "anthropic.claude-3-5-haiku-20241022-v1:0",
		Body: []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":512,` +
			`"messages":[{"role":"user","content":"Hi"}]}`),
	}
	var stop bedrockstream.StopReason
	err = client.Invoke(context.Background(), req, func(ev bedrockstream.Event) error {
		fmt.Print(ev.Text)
		if ev.StopReason != "" {
			stop = ev.StopReason
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println()
	fmt.Println("stop reason:", stop)
	// Output:
	// Hello from the Bedrock emulator! You said: “Hi”. 你好，世界！ 🦀
	// stop reason: end_turn
}

// The pull form: read the events with Next in your own loop.
func ExampleClient_Open() {
	client, err := bedrockstream.NewClient()
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	s, err := client.Open(context.Background(), &bedrockstream.Request{
		ModelID: "anthropic.claude-3-5-haiku-20241022-v1:0",
		Body: []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":512,` +
			`"messages":[{"role":"user","content":"pull"}]}`),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	for s.Next() {
		ev := s.Event()
		fmt.Print(ev.Text)
		if m := ev.Metrics; m != nil && m.OutputTokenCount != nil {
			fmt.Printf("\n(%d output tokens)\n", *m.OutputTokenCount)
		}
	}
	if err := s.Err(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// Hello from the Bedrock emulator! You said: “pull”. 你好，世界！ 🦀
	// (8 output tokens)
}

// Stop the stream from the callback once you have what you need.
func ExampleClient_Invoke_stop() {
	client, err := bedrockstream.NewClient()
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	req := &bedrockstream.Request{
		ModelID: "anthropic.claude-3-5-haiku-20241022-v1:0",
		Body: []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":512,` +
			`"messages":[{"role":"user","content":"stop"}]}`),
	}
	var text string
	err = client.Invoke(context.Background(), req, func(ev bedrockstream.Event) error {
		if text += ev.Text; len(text) >= 5 {
			return bedrockstream.ErrStop // Invoke returns nil
		}
		return nil
	})
	fmt.Printf("%q %v\n", text, err)
	// Output:
	// "Hello f" <nil>
}

// Failures are *Error values: errors.Is against a sentinel for the kind, errors.As for
// the details.
func ExampleError() {
	client, err := bedrockstream.NewClient(bedrockstream.WithMaxAttempts(1))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// The emulator answers this model id with HTTP 429 (ThrottlingException).
	req := &bedrockstream.Request{ModelID: "emulator-fault:http=429", Body: []byte(`{}`)}
	err = client.Invoke(context.Background(), req, func(bedrockstream.Event) error { return nil })
	if errors.Is(err, bedrockstream.ErrThrottling) {
		var e *bedrockstream.Error
		errors.As(err, &e)
		fmt.Println("throttled:", e.Code, e.HTTPStatus, "retryable:", e.Retryable, "timeout:", e.Timeout())
	}
	// Output:
	// throttled: ThrottlingException 429 retryable: true timeout: false
}
