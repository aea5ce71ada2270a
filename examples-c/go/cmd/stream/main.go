// Command stream asks a Bedrock model one question and prints the answer as it arrives,
// then the stop reason and the token usage.
//
//	usage: stream [-model ID] [-family NAME] [-max-tokens N] [-pull] [PROMPT...]
//	       stream -version
//
// The prompt is the arguments joined by spaces, or standard input when there are none.
// The body is built for Anthropic Claude models (the Messages API); -family tells the
// library how to read the chunks when the model id does not reveal it.
//
// Region, endpoint and credentials come from the environment, as with the AWS CLI:
// AWS_REGION, AWS_ENDPOINT_URL_BEDROCK_RUNTIME (e.g. the local emulator),
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_BEARER_TOKEN_BEDROCK
// or AWS_PROFILE.
//
// Exit status: 0 on success, 1 on failure (printed on stderr), 130 when interrupted.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	bedrockstream "github.com/bedrock-stream/bedrock-stream/examples-c/go"
)

// answer is what the stream told us besides the text.
type answer struct {
	events     uint64
	stopReason bedrockstream.StopReason
	// The latest counts the model reported (nil: not reported).
	inputTokens, outputTokens *uint64
	metrics                   *bedrockstream.Metrics // what Bedrock billed (last chunk)
}

func (a *answer) add(ev bedrockstream.Event) {
	a.events++
	if ev.Text != "" {
		os.Stdout.WriteString(ev.Text)
	}
	if ev.StopReason != "" {
		a.stopReason = ev.StopReason
	}
	if u := ev.Usage; u != nil {
		// Keep each count the model reported; never add them up.
		if u.InputTokens != nil {
			a.inputTokens = u.InputTokens
		}
		if u.OutputTokens != nil {
			a.outputTokens = u.OutputTokens
		}
	}
	if ev.Metrics != nil {
		a.metrics = ev.Metrics
	}
}

func (a *answer) print() {
	fmt.Printf("\n--\n")
	if a.stopReason != "" {
		fmt.Printf("stop reason: %s\n", a.stopReason)
	} else {
		fmt.Printf("stop reason: (none)\n")
	}
	switch m := a.metrics; {
	case m != nil && m.InputTokenCount != nil && m.OutputTokenCount != nil:
		fmt.Printf("tokens: %d in, %d out (invocation metrics)\n", *m.InputTokenCount, *m.OutputTokenCount)
	case a.inputTokens != nil || a.outputTokens != nil:
		fmt.Printf("tokens: %s in, %s out (model usage)\n", countOf(a.inputTokens), countOf(a.outputTokens))
	default:
		fmt.Printf("tokens: unknown\n")
	}
	fmt.Printf("events: %d\n", a.events)
}

func countOf(n *uint64) string {
	if n == nil {
		return "?"
	}
	return fmt.Sprint(*n)
}

// claudeBody is the Messages API body for one user message.
func claudeBody(prompt string, maxTokens int) []byte {
	body, err := json.Marshal(map[string]interface{}{
		"anthropic_version": "bedrock-2023-05-31",
		"max_tokens":        maxTokens,
		"messages":          []interface{}{map[string]string{"role": "user", "content": prompt}},
	})
	if err != nil {
		panic(err) // cannot happen: only strings and numbers
	}
	return body
}

func main() {
	model := flag.String("model", "anthropic.claude-3-5-haiku-20241022-v1:0", "model id, inference profile id or ARN")
	family := flag.String("family", "", "model family, when the model id does not reveal it (e.g. anthropic-claude)")
	maxTokens := flag.Int("max-tokens", 512, "max_tokens of the request")
	pull := flag.Bool("pull", false, "use the pull API (Open/Next) instead of a callback")
	version := flag.Bool("version", false, "print the library version and exit")
	flag.Parse()

	if *version {
		fmt.Printf("libbedrock_stream %s\n", bedrockstream.Version())
		if err := bedrockstream.CheckVersion(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	prompt := strings.Join(flag.Args(), " ")
	if flag.NArg() == 0 {
		in, err := io.ReadAll(os.Stdin)
		if err != nil {
			fmt.Fprintf(os.Stderr, "error: reading the prompt: %v\n", err)
			os.Exit(1)
		}
		prompt = strings.TrimRight(string(in), "\n")
	}

	// Ctrl-C cancels the stream (from the signal goroutine, through the C cancel handle).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	// Everything from the environment: no options.
	client, err := bedrockstream.NewClient()
	if err != nil {
		os.Exit(report("client", err))
	}
	defer client.Close()

	req := &bedrockstream.Request{
		ModelID:     *model,
		Body:        claudeBody(prompt, *maxTokens),
		ModelFamily: bedrockstream.ModelFamily(*family),
	}
	var a answer
	if *pull {
		err = pullStream(ctx, client, req, &a)
	} else {
		err = client.Invoke(ctx, req, func(ev bedrockstream.Event) error {
			a.add(ev)
			return nil
		})
	}
	if errors.Is(err, context.Canceled) {
		fmt.Printf("\n--\ncancelled after %d events\n", a.events)
		client.Close()
		os.Exit(130)
	}
	if err != nil {
		client.Close()
		os.Exit(report("stream", err))
	}
	a.print()
}

func pullStream(ctx context.Context, client *bedrockstream.Client, req *bedrockstream.Request, a *answer) error {
	s, err := client.Open(ctx, req)
	if err != nil {
		return err
	}
	defer s.Close()
	for s.Next() {
		a.add(s.Event())
	}
	return s.Err()
}

// report prints a failure with its details and returns the exit status.
func report(what string, err error) int {
	fmt.Fprintf(os.Stderr, "\nerror: %s failed: ", what)
	var e *bedrockstream.Error
	if !errors.As(err, &e) {
		fmt.Fprintf(os.Stderr, "%v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "%s: %s\n", e.Status.String(), e.Message)
	if e.Code != "" {
		fmt.Fprintf(os.Stderr, "code: %s, HTTP status: %d\n", e.Code, e.HTTPStatus)
	}
	if e.RequestID != "" {
		fmt.Fprintf(os.Stderr, "request id: %s\n", e.RequestID)
	}
	retryable := "no"
	if e.Retryable {
		retryable = "yes"
	}
	fmt.Fprintf(os.Stderr, "events before the failure: %d, retryable: %s\n", e.EventsDelivered, retryable)
	return 1
}
