package bedrockstream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	bedrockstream "github.com/bedrock-stream/bedrock-stream/examples-c/go"
)

// A tool-use loop with ConverseStream: offer the model a tool, stream its answer; while it
// asks for the tool, run it, send the result after the model's own message, and stream the
// next answer.
func ExampleClient_ConverseStream() {
	client, err := bedrockstream.NewClient() // settings from the environment
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()

	req := bedrockstream.NewConverseRequest("anthropic.claude-3-5-haiku-20241022-v1:0").
		AddMessage(bedrockstream.RoleUser).
		AddText("What is the weather in Zürich?").
		AddTool("get_weather", "The weather forecast for a city.",
			`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`)
	defer req.Close()

	for turn := 0; turn < 4; turn++ {
		msg, err := client.ConverseStream(ctx, req, func(ev *bedrockstream.ConverseEvent) error {
			fmt.Print(ev.Text) // the answer as it arrives
			return nil
		})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println()
		if msg.StopReason != bedrockstream.StopToolUse {
			fmt.Println("stop reason:", msg.StopReason)
			break
		}
		// The model's message, then a user message with a result per tool use.
		req.AppendMessage(msg).AddMessage(bedrockstream.RoleUser)
		for _, use := range msg.ToolUses() {
			var input struct{ City string }
			if err := json.Unmarshal(use.ToolInput, &input); err != nil {
				log.Fatal(err)
			}
			fmt.Printf("[%s %s]\n", use.ToolName, input.City)
			result, _ := json.Marshal(map[string]interface{}{"city": input.City, "celsius": 21})
			req.AddToolResultJSON(use.ToolUseID, string(result), bedrockstream.ToolResultSuccess)
		}
		if err := req.Err(); err != nil {
			log.Fatal(err)
		}
	}
	// Output:
	// Let me call get_weather.
	// [get_weather Zürich]
	// The tool answered: {"celsius":21,"city":"Zürich"}. 你好，世界！ 🦀
	// stop reason: end_turn
}

// Converse (not streamed): the whole answer at once.
func ExampleClient_Converse() {
	client, err := bedrockstream.NewClient()
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	req := bedrockstream.NewConverseRequest("anthropic.claude-3-5-haiku-20241022-v1:0").
		AddSystemText("Be brief.").
		AddMessage(bedrockstream.RoleUser).
		AddText("Hi").
		SetMaxTokens(512)
	defer req.Close()
	msg, err := client.Converse(context.Background(), req)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(msg.Text)
	fmt.Println("stop reason:", msg.StopReason, "output tokens:", msg.Usage.OutputTokens)
	// Output:
	// Hello from the Bedrock emulator! You said: “Hi”. 你好，世界！ 🦀
	// stop reason: end_turn output tokens: 8
}
