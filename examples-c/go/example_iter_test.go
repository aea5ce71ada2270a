//go:build go1.23

package bedrockstream_test

import (
	"context"
	"fmt"
	"log"

	bedrockstream "github.com/bedrock-stream/bedrock-stream/examples-c/go"
)

// With Go 1.23 or later, a stream is also an iterator (your module's go.mod must say
// go 1.23 or later for the range-over-func loop).
func ExampleClient_Events() {
	client, err := bedrockstream.NewClient()
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	req := &bedrockstream.Request{
		ModelID: "anthropic.claude-3-5-haiku-20241022-v1:0",
		Body: []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":512,` +
			`"messages":[{"role":"user","content":"range"}]}`),
	}
	// Not a range loop, so that this file compiles in a go 1.19 module; yours reads
	//
	//	for ev, err := range client.Events(ctx, req) { ... }
	client.Events(context.Background(), req)(func(ev bedrockstream.Event, err error) bool {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Print(ev.Text)
		return true
	})
	fmt.Println()
	// Output:
	// Hello from the Bedrock emulator! You said: “range”. 你好，世界！ 🦀
}
