use super::*;
use proptest::prelude::*;
use std::fmt::Write as _;

use ModelFamily::*;

// ---- helpers ----

fn ci(
    text: Option<&str>,
    stop: Option<&str>,
    usage: Option<Usage>,
    metrics: Option<InvocationMetrics>,
) -> ChunkInfo {
    ChunkInfo {
        text: text.map(str::to_owned),
        stop_reason: stop.map(str::to_owned),
        usage,
        metrics,
    }
}

fn text(t: &str) -> ChunkInfo {
    ci(Some(t), None, None, None)
}

fn usage(input: Option<u64>, output: Option<u64>) -> Usage {
    Usage {
        input_tokens: input,
        output_tokens: output,
        ..Usage::default()
    }
}

fn metrics(input: u64, output: u64, latency: u64, first_byte: u64) -> InvocationMetrics {
    InvocationMetrics {
        input_token_count: Some(input),
        output_token_count: Some(output),
        invocation_latency_ms: Some(latency),
        first_byte_latency_ms: Some(first_byte),
        ..InvocationMetrics::default()
    }
}

/// Runs a whole stream; returns the per-chunk infos and the concatenated text (+ finish).
fn run(family: ModelFamily, chunks: &[&str]) -> (Vec<ChunkInfo>, String) {
    let mut ex = TextExtractor::new(family);
    let infos: Vec<ChunkInfo> = chunks.iter().map(|c| ex.process(c.as_bytes())).collect();
    let mut all: String = infos.iter().filter_map(ChunkInfo::text).collect();
    if let Some(rest) = ex.finish() {
        all.push_str(&rest);
    }
    (infos, all)
}

/// Families that carry text, with a chunk builder taking the *escaped* JSON string body.
const TEXT_FAMILIES: [ModelFamily; 10] = [
    AnthropicClaude,
    AmazonTitanText,
    AmazonNova,
    MetaLlama,
    MistralText,
    MistralChat,
    Cohere,
    Ai21Jamba,
    DeepSeek,
    OpenAiGptOss,
];

fn text_chunk(family: ModelFamily, escaped: &str) -> String {
    let s = escaped;
    match family {
        AnthropicClaude => format!(
            r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":"{s}"}}}}"#
        ),
        AmazonTitanText => {
            format!(r#"{{"outputText":"{s}","index":0,"completionReason":null}}"#)
        }
        AmazonNova => {
            format!(r#"{{"contentBlockDelta":{{"delta":{{"text":"{s}"}},"contentBlockIndex":0}}}}"#)
        }
        MetaLlama => format!(r#"{{"generation":"{s}","stop_reason":null}}"#),
        MistralText => format!(r#"{{"outputs":[{{"text":"{s}","stop_reason":null}}]}}"#),
        MistralChat => format!(
            r#"{{"choices":[{{"index":0,"message":{{"role":"assistant","content":"{s}"}},"stop_reason":null}}]}}"#
        ),
        Cohere => {
            format!(r#"{{"is_finished":false,"event_type":"text-generation","text":"{s}"}}"#)
        }
        Ai21Jamba | OpenAiGptOss => format!(
            r#"{{"id":"x","choices":[{{"index":0,"delta":{{"content":"{s}"}},"finish_reason":null}}]}}"#
        ),
        DeepSeek => format!(r#"{{"choices":[{{"text":"{s}","stop_reason":null}}]}}"#),
        other => panic!("no text chunk for {other}"),
    }
}

/// JSON string body with every non-printable-ASCII UTF-16 unit written as `\uXXXX`.
fn escape_utf16(units: &[u16]) -> String {
    let mut out = String::new();
    for &u in units {
        match u {
            0x22 => out.push_str("\\\""),
            0x5C => out.push_str("\\\\"),
            0x20..=0x7E => out.push(char::from(u as u8)),
            _ => write!(out, "\\u{u:04x}").unwrap(),
        }
    }
    out
}

// ---- example chunk sequences, per family ----

#[test]
fn claude_example_sequence() {
    let (infos, all) = run(
        AnthropicClaude,
        &[
            r#"{"type":"message_start","message":{"id":"msg_bdrk_01XYZexample","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":14,"output_tokens":1}}}"#,
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"! How can I help you today?"}}"#,
            r#"{"type":"content_block_stop","index":0}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":12}}"#,
            r#"{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":14,"outputTokenCount":12,"invocationLatency":640,"firstByteLatency":410}}"#,
        ],
    );
    assert_eq!(
        infos,
        vec![
            ci(None, None, Some(usage(Some(14), Some(1))), None),
            ChunkInfo::default(),
            text("Hello"),
            text("! How can I help you today?"),
            ChunkInfo::default(),
            ci(None, Some("end_turn"), Some(usage(None, Some(12))), None),
            ci(None, None, None, Some(metrics(14, 12, 640, 410))),
        ]
    );
    assert_eq!(all, "Hello! How can I help you today?");
}

#[test]
fn titan_example_sequence() {
    let (infos, all) = run(
        AmazonTitanText,
        &[
            r#"{"outputText":"\nBot: Hello! How can","index":0,"totalOutputTextTokenCount":null,"completionReason":null,"inputTextTokenCount":3}"#,
            r#"{"outputText":" I help you today?","index":0,"totalOutputTextTokenCount":13,"completionReason":"FINISH","inputTextTokenCount":null,"amazon-bedrock-invocationMetrics":{"inputTokenCount":3,"outputTokenCount":13,"invocationLatency":833,"firstByteLatency":512}}"#,
        ],
    );
    assert_eq!(
        infos,
        vec![
            ci(
                Some("\nBot: Hello! How can"),
                None,
                Some(usage(Some(3), None)),
                None
            ),
            ci(
                Some(" I help you today?"),
                Some("FINISH"),
                Some(usage(None, Some(13))),
                Some(metrics(3, 13, 833, 512))
            ),
        ]
    );
    assert_eq!(all, "\nBot: Hello! How can I help you today?");
}

#[test]
fn nova_example_sequence() {
    let (infos, all) = run(
        AmazonNova,
        &[
            r#"{"messageStart":{"role":"assistant"}}"#,
            r#"{"contentBlockDelta":{"delta":{"text":"Quantum computers"},"contentBlockIndex":0}}"#,
            r#"{"contentBlockDelta":{"delta":{"text":" use qubits."},"contentBlockIndex":0}}"#,
            r#"{"contentBlockStop":{"contentBlockIndex":0}}"#,
            r#"{"messageStop":{"stopReason":"end_turn"}}"#,
            r#"{"metadata":{"usage":{"inputTokens":9,"outputTokens":6},"metrics":{},"trace":{}},"amazon-bedrock-invocationMetrics":{"inputTokenCount":9,"outputTokenCount":6,"invocationLatency":402,"firstByteLatency":150}}"#,
        ],
    );
    assert_eq!(
        infos,
        vec![
            ChunkInfo::default(),
            text("Quantum computers"),
            text(" use qubits."),
            ChunkInfo::default(),
            ci(None, Some("end_turn"), None, None),
            ci(
                None,
                None,
                Some(usage(Some(9), Some(6))),
                Some(metrics(9, 6, 402, 150))
            ),
        ]
    );
    assert_eq!(all, "Quantum computers use qubits.");
}

#[test]
fn nova_observed_metadata_chunk_and_non_text_deltas() {
    let mut ex = TextExtractor::new(AmazonNova);
    let info = ex.process(br#"{"metadata":{"usage":{"inputTokens":1,"outputTokens":54},"metrics":{},"trace":{}},"amazon-bedrock-invocationMetrics":{"inputTokenCount":1,"outputTokenCount":54,"invocationLatency":884,"firstByteLatency":99}}"#);
    assert_eq!(
        info,
        ci(
            None,
            None,
            Some(usage(Some(1), Some(54))),
            Some(metrics(1, 54, 884, 99))
        )
    );
    let tool = ex.process(br#"{"contentBlockDelta":{"delta":{"toolUse":{"input":"{\"a\":1}"}},"contentBlockIndex":1}}"#);
    assert_eq!(tool, ChunkInfo::default());
    let reasoning = ex.process(br#"{"contentBlockDelta":{"delta":{"reasoningContent":{"text":"hmm"}},"contentBlockIndex":0}}"#);
    assert_eq!(reasoning, ChunkInfo::default());
    let cached = ex.process(br#"{"metadata":{"usage":{"inputTokens":3,"outputTokens":4,"cacheReadInputTokenCount":100,"cacheWriteInputTokenCount":7}}}"#);
    assert_eq!(
        cached.usage(),
        Some(Usage {
            input_tokens: Some(3),
            output_tokens: Some(4),
            cache_read_input_tokens: Some(100),
            cache_write_input_tokens: Some(7),
        })
    );
}

#[test]
fn llama_example_sequence() {
    let (infos, all) = run(
        MetaLlama,
        &[
            r#"{"generation":"\n\n","prompt_token_count":10,"generation_token_count":1,"stop_reason":null}"#,
            r#"{"generation":"Hello","prompt_token_count":null,"generation_token_count":2,"stop_reason":null}"#,
            r#"{"generation":" there!","prompt_token_count":null,"generation_token_count":4,"stop_reason":null}"#,
            r#"{"generation":"","prompt_token_count":null,"generation_token_count":5,"stop_reason":"stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":10,"outputTokenCount":5,"invocationLatency":873,"firstByteLatency":550}}"#,
        ],
    );
    assert_eq!(
        infos,
        vec![
            ci(Some("\n\n"), None, Some(usage(Some(10), Some(1))), None),
            ci(Some("Hello"), None, Some(usage(None, Some(2))), None),
            ci(Some(" there!"), None, Some(usage(None, Some(4))), None),
            ci(
                None,
                Some("stop"),
                Some(usage(None, Some(5))),
                Some(metrics(10, 5, 873, 550))
            ),
        ]
    );
    assert_eq!(all, "\n\nHello there!");
}

const MISTRAL_TEXT_EXAMPLE: [&str; 3] = [
    r#"{"outputs":[{"text":" A","stop_reason":null}]}"#,
    r#"{"outputs":[{"text":" hello world program prints a greeting.","stop_reason":null}]}"#,
    r#"{"outputs":[{"text":"","stop_reason":"stop"}],"amazon-bedrock-invocationMetrics":{"inputTokenCount":21,"outputTokenCount":9,"invocationLatency":512,"firstByteLatency":190}}"#,
];

const MISTRAL_CHAT_EXAMPLE: [&str; 2] = [
    r#"{"id":"b0098812-0ad9-42da-9f17-a5e2f554eb6b","object":"chat.completion.chunk","created":1732582566,"model":"mistral-large-2407","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"stop_reason":null}],"usage":null}"#,
    r#"{"id":"b0098812-0ad9-42da-9f17-a5e2f554eb6b","object":"chat.completion.chunk","created":1732582566,"model":"mistral-large-2407","choices":[{"index":0,"message":{"role":null,"content":" there!"},"stop_reason":"stop"}],"usage":{"prompt_tokens":5,"total_tokens":9,"completion_tokens":4},"amazon-bedrock-invocationMetrics":{"inputTokenCount":5,"outputTokenCount":4,"invocationLatency":719,"firstByteLatency":148}}"#,
];

#[test]
fn mistral_text_example_sequence_with_either_mistral_family() {
    for family in [MistralText, MistralChat] {
        let (infos, all) = run(family, &MISTRAL_TEXT_EXAMPLE);
        assert_eq!(
            infos,
            vec![
                text(" A"),
                text(" hello world program prints a greeting."),
                ci(None, Some("stop"), None, Some(metrics(21, 9, 512, 190))),
            ],
            "{family}"
        );
        assert_eq!(all, " A hello world program prints a greeting.");
    }
}

#[test]
fn mistral_chat_example_sequence_with_either_mistral_family() {
    for family in [MistralChat, MistralText] {
        let (infos, all) = run(family, &MISTRAL_CHAT_EXAMPLE);
        assert_eq!(
            infos,
            vec![
                text("Hello"),
                ci(
                    Some(" there!"),
                    Some("stop"),
                    Some(usage(Some(5), Some(4))),
                    Some(metrics(5, 4, 719, 148))
                ),
            ],
            "{family}"
        );
        assert_eq!(all, "Hello there!");
    }
    // The observed Bedrock frame, and Mistral's native `delta` spelling.
    let mut ex = TextExtractor::new(MistralChat);
    let observed = ex.process(
        br#"{"choices":[{"index":0,"message":{"role":"assistant","content":"I"},"stop_reason":null}]}"#,
    );
    assert_eq!(observed, text("I"));
    let native = ex.process(
        br#"{"choices":[{"index":0,"delta":{"content":" am"},"finish_reason":"length"}]}"#,
    );
    assert_eq!(native, ci(Some(" am"), Some("length"), None, None));
}

#[test]
fn cohere_example_sequence_does_not_repeat_the_final_response_text() {
    let (infos, all) = run(
        Cohere,
        &[
            r#"{"is_finished":false,"event_type":"stream-start","generation_id":"7f1c2c1e-0000-4000-8000-000000000001"}"#,
            r#"{"is_finished":false,"event_type":"text-generation","text":"Hello"}"#,
            r#"{"is_finished":false,"event_type":"text-generation","text":" world!"}"#,
            r#"{"is_finished":true,"event_type":"stream-end","finish_reason":"COMPLETE","response":{"response_id":"a1b2","text":"Hello world!","generation_id":"7f1c2c1e-0000-4000-8000-000000000001","finish_reason":"COMPLETE","meta":{"billed_units":{"input_tokens":7,"output_tokens":3}}},"amazon-bedrock-invocationMetrics":{"inputTokenCount":7,"outputTokenCount":3,"invocationLatency":380,"firstByteLatency":210}}"#,
        ],
    );
    assert_eq!(
        infos,
        vec![
            ChunkInfo::default(),
            text("Hello"),
            text(" world!"),
            ci(
                None,
                Some("COMPLETE"),
                Some(usage(Some(7), Some(3))),
                Some(metrics(7, 3, 380, 210))
            ),
        ]
    );
    assert_eq!(all, "Hello world!");
}

#[test]
fn cohere_other_event_types_and_older_generations_shape() {
    let (infos, all) = run(
        Cohere,
        &[
            // A non-text event that happens to carry a `text` member contributes nothing.
            r#"{"is_finished":false,"event_type":"search-queries-generation","text":"query","search_queries":[{"text":"q"}]}"#,
            // Older Command (command-text-v14) chunks.
            r#"{"generations":[{"id":"g1","text":" Hi","finish_reason":null}]}"#,
            r#"{"generations":[{"id":"g1","text":" there","finish_reason":null},{"text":"ignored"}]}"#,
            r#"{"generations":[{"id":"g1","text":"","finish_reason":"MAX_TOKENS"}],"is_finished":true}"#,
            // Top-level text without event_type (older stream shape).
            r#"{"text":"!","is_finished":false}"#,
        ],
    );
    assert_eq!(
        infos,
        vec![
            ChunkInfo::default(),
            text(" Hi"),
            text(" there"),
            ci(None, Some("MAX_TOKENS"), None, None),
            text("!"),
        ]
    );
    assert_eq!(all, " Hi there!");
}

#[test]
fn jamba_example_and_observed_chunk_use_finish_reason_not_stop_token() {
    let (infos, all) = run(
        Ai21Jamba,
        &[
            r#"{"id":"chat-5b2f","choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}"#,
            r#"{"id":"chat-5b2f","choices":[{"index":0,"delta":{"content":"Hi there"},"finish_reason":null}]}"#,
            r#"{"id":"chat-5b2f","choices":[{"index":0,"delta":{"content":"!"},"finish_reason":"stop","stop_reason":"<|eom|>"}],"usage":{"prompt_tokens":12,"total_tokens":16,"completion_tokens":4},"meta":{"requestDurationMillis":140},"amazon-bedrock-invocationMetrics":{"inputTokenCount":12,"outputTokenCount":4,"invocationLatency":310,"firstByteLatency":120}}"#,
        ],
    );
    assert_eq!(
        infos,
        vec![
            ChunkInfo::default(),
            text("Hi there"),
            ci(
                Some("!"),
                Some("stop"),
                Some(usage(Some(12), Some(4))),
                Some(metrics(12, 4, 310, 120))
            ),
        ]
    );
    assert_eq!(all, "Hi there!");

    let observed = TextExtractor::new(Ai21Jamba).process(br#"{"id":"chat-ae86a1e555f04e5cbddb86cc6a98ce5e","choices":[{"index":0,"delta":{"content":"?"},"finish_reason":"stop","stop_reason":"<|eom|>"}],"usage":{"prompt_tokens":144,"total_tokens":158,"completion_tokens":14},"meta":{"requestDurationMillis":146},"amazon-bedrock-invocationMetrics":{"inputTokenCount":63,"outputTokenCount":263,"invocationLatency":5330,"firstByteLatency":122}}"#);
    assert_eq!(
        observed,
        ci(
            Some("?"),
            Some("stop"),
            Some(usage(Some(144), Some(14))),
            Some(metrics(63, 263, 5330, 122))
        )
    );
}

#[test]
fn deepseek_example_sequence_and_llama_style_shape() {
    let (infos, all) = run(
        DeepSeek,
        &[
            r#"{"choices":[{"text":"Okay, the user asks","stop_reason":null}]}"#,
            r#"{"choices":[{"text":" for a greeting.\n</think>\n\nHello!","stop_reason":null}]}"#,
            r#"{"choices":[{"text":"","stop_reason":"stop"}],"amazon-bedrock-invocationMetrics":{"inputTokenCount":11,"outputTokenCount":19,"invocationLatency":1450,"firstByteLatency":620}}"#,
        ],
    );
    assert_eq!(
        infos,
        vec![
            text("Okay, the user asks"),
            text(" for a greeting.\n</think>\n\nHello!"),
            ci(None, Some("stop"), None, Some(metrics(11, 19, 1450, 620))),
        ]
    );
    assert_eq!(
        all,
        "Okay, the user asks for a greeting.\n</think>\n\nHello!"
    );

    let (infos, all) = run(
        DeepSeek,
        &[
            r#"{"generation":"<think>","prompt_token_count":5,"generation_token_count":1,"stop_reason":null}"#,
            r#"{"generation":"Hi","prompt_token_count":null,"generation_token_count":2,"stop_reason":"length"}"#,
        ],
    );
    assert_eq!(
        infos,
        vec![
            ci(Some("<think>"), None, Some(usage(Some(5), Some(1))), None),
            ci(Some("Hi"), Some("length"), Some(usage(None, Some(2))), None),
        ]
    );
    assert_eq!(all, "<think>Hi");
}

#[test]
fn gpt_oss_example_sequence() {
    let (infos, all) = run(
        OpenAiGptOss,
        &[
            r#"{"id":"chatcmpl-7a1","object":"chat.completion.chunk","created":1754400000,"model":"openai.gpt-oss-120b-1:0","choices":[{"index":0,"delta":{"role":"assistant","content":"<reasoning>User greets.</reasoning>"},"finish_reason":null}]}"#,
            r#"{"id":"chatcmpl-7a1","object":"chat.completion.chunk","created":1754400000,"model":"openai.gpt-oss-120b-1:0","choices":[{"index":0,"delta":{"content":"Hello!"},"finish_reason":null}]}"#,
            r#"{"id":"chatcmpl-7a1","object":"chat.completion.chunk","created":1754400000,"model":"openai.gpt-oss-120b-1:0","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":20,"completion_tokens":9,"total_tokens":29},"amazon-bedrock-invocationMetrics":{"inputTokenCount":20,"outputTokenCount":9,"invocationLatency":700,"firstByteLatency":300}}"#,
        ],
    );
    assert_eq!(
        infos,
        vec![
            text("<reasoning>User greets.</reasoning>"),
            text("Hello!"),
            ci(
                None,
                Some("stop"),
                Some(usage(Some(20), Some(9))),
                Some(metrics(20, 9, 700, 300))
            ),
        ]
    );
    assert_eq!(all, "<reasoning>User greets.</reasoning>Hello!");
}

#[test]
fn unrecognisable_shapes_stay_unknown_and_give_only_metrics() {
    let chunks = [
        // No family's member, or a member no family owns alone.
        r#"{"text":"Hello"}"#,
        r#"{"type":"text","text":"Hello"}"#,
        r#"{"completion":"Hello","stop_reason":"stop"}"#,
        r#"{"choices":[{"index":0,"finish_reason":null}]}"#,
        r#"{"choices":[]}"#,
        // The members of two families at once.
        r#"{"choices":[{"delta":{"content":"x"},"text":"y","finish_reason":"stop"}],"usage":{"prompt_tokens":1}}"#,
        r#"{"generation":"x","outputText":"y"}"#,
        r#"{"type":"content_block_delta","delta":{"type":"text_delta","text":"x"},"event_type":"text-generation"}"#,
        r#"{"choices":[{"delta":{"content":"x"}}],"meta":{"requestDurationMillis":1},"model":"openai.gpt-oss-20b-1:0"}"#,
        // Family members of the wrong type.
        r#"{"generation":5,"outputText":null}"#,
        // Metrics alone.
        r#"{"amazon-bedrock-invocationMetrics":{"inputTokenCount":14,"outputTokenCount":12,"invocationLatency":640,"firstByteLatency":410}}"#,
    ];
    let mut ex = TextExtractor::new(Unknown);
    let infos: Vec<ChunkInfo> = chunks.iter().map(|c| ex.process(c.as_bytes())).collect();
    assert_eq!(ex.family(), Unknown);
    let last = chunks.len() - 1;
    assert!(infos[..last].iter().all(ChunkInfo::is_empty), "{infos:?}");
    assert_eq!(
        infos[last],
        ci(None, None, None, Some(metrics(14, 12, 640, 410)))
    );
    for c in chunks {
        assert_eq!(ModelFamily::from_chunk(c.as_bytes()), None, "{c}");
    }
    assert_eq!(ex.finish(), None);
}

#[test]
fn every_family_is_recognised_from_its_chunks_when_the_id_does_not_say() {
    let arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3";
    for family in TEXT_FAMILIES {
        let chunk = text_chunk(family, "Hello");
        let mut ex = TextExtractor::for_model_id(arn);
        assert_eq!(ex.family(), Unknown);
        // Read exactly as an extractor made for the family reads it.
        let expected = TextExtractor::new(family).process(chunk.as_bytes());
        assert_eq!(ex.process(chunk.as_bytes()), expected, "{family}");
        assert_eq!(expected, text("Hello"), "{family}");
        match family {
            // Their shared `choices[0].delta` shape tells nothing yet.
            Ai21Jamba | OpenAiGptOss => {
                assert_eq!(ModelFamily::from_chunk(chunk.as_bytes()), None);
                assert_eq!(ex.family(), Unknown, "{family}");
            }
            _ => {
                assert_eq!(ModelFamily::from_chunk(chunk.as_bytes()), Some(family));
                assert_eq!(ex.family(), family);
            }
        }
    }
    // The members that tell Jamba and gpt-oss apart (Jamba's observed last chunk; gpt-oss
    // echoing its model id).
    let jamba = br#"{"id":"chat-ae86","choices":[{"index":0,"delta":{"content":"?"},"finish_reason":"stop","stop_reason":"<|eom|>"}],"usage":{"prompt_tokens":144,"total_tokens":158,"completion_tokens":14},"meta":{"requestDurationMillis":146}}"#;
    let oss = br#"{"id":"chatcmpl-7a1","object":"chat.completion.chunk","created":1754400000,"model":"openai.gpt-oss-120b-1:0","choices":[{"index":0,"delta":{"content":"Hello!"},"finish_reason":null}]}"#;
    assert_eq!(ModelFamily::from_chunk(jamba), Some(Ai21Jamba));
    assert_eq!(ModelFamily::from_chunk(oss), Some(OpenAiGptOss));
    for (family, distinctive) in [(Ai21Jamba, &jamba[..]), (OpenAiGptOss, &oss[..])] {
        let mut ex = TextExtractor::new(Unknown);
        let first = text_chunk(family, "a");
        assert_eq!(ex.process(first.as_bytes()), text("a"));
        assert_eq!(ex.family(), Unknown);
        assert_eq!(
            ex.process(distinctive),
            TextExtractor::new(family).process(distinctive)
        );
        assert_eq!(ex.family(), family);
    }
    // Whitespace around the document, Nova's non-text events and Claude's ping recognise too.
    for (chunk, family) in [
        (
            &b" \n{\"messageStart\":{\"role\":\"assistant\"}}"[..],
            AmazonNova,
        ),
        (
            br#"{"metadata":{"usage":{}},"messageStop":{"stopReason":"end_turn"}}"#,
            AmazonNova,
        ),
        (br#"{"type":"ping"}"#, AnthropicClaude),
        (
            br#"{"is_finished":false,"event_type":"stream-start"}"#,
            Cohere,
        ),
        (br#"{"generations":[{"text":"x"}]}"#, Cohere),
        (
            br#"{"outputs":[{"text":"","stop_reason":"stop"}]}"#,
            MistralText,
        ),
    ] {
        assert_eq!(ModelFamily::from_chunk(chunk), Some(family), "{chunk:?}");
    }
}

#[test]
fn a_recognised_family_stays_and_ambiguous_chunks_do_not_lock_one_in() {
    let mut ex = TextExtractor::new(Unknown);
    // Ambiguous first: nothing is extracted, nothing is locked in.
    assert!(ex
        .process(br#"{"generation":"x","outputs":[{"text":"y"}]}"#)
        .is_empty());
    assert!(ex.process(br#"{"text":"x"}"#).is_empty());
    assert_eq!(ex.family(), Unknown);
    // The first distinctive chunk decides, for the rest of the stream.
    assert_eq!(
        ex.process(br#"{"outputText":"Hi","index":0,"completionReason":null}"#),
        text("Hi")
    );
    assert_eq!(ex.family(), AmazonTitanText);
    assert!(ex
        .process(br#"{"generation":"Llama?","stop_reason":null}"#)
        .is_empty());
    assert_eq!(ex.family(), AmazonTitanText);
    assert_eq!(
        ex.process(br#"{"outputText":"!","completionReason":"FINISH"}"#),
        ci(Some("!"), Some("FINISH"), None, None)
    );
    // The next stream is recognised afresh.
    assert_eq!(ex.finish(), None);
    assert_eq!(ex.family(), Unknown);
    assert_eq!(
        ex.process(br#"{"generation":"Yo","stop_reason":null}"#),
        text("Yo")
    );
    assert_eq!(ex.family(), MetaLlama);
    // A shared delta chunk read provisionally does not stop a later distinctive chunk from
    // deciding; a family given at creation is never replaced.
    let mut ex = TextExtractor::new(Unknown);
    let delta = br#"{"choices":[{"delta":{"content":"a"},"finish_reason":null}]}"#;
    assert_eq!(ex.process(delta), text("a"));
    assert_eq!(ex.process(delta), text("a"));
    assert_eq!(ex.family(), Unknown);
    let mut fixed = TextExtractor::new(MistralChat);
    assert!(fixed.process(br#"{"outputText":"x"}"#).is_empty());
    assert_eq!(fixed.finish(), None);
    assert_eq!(fixed.family(), MistralChat);
    // A surrogate pair split across the recognising chunk and the next is still joined.
    let mut ex = TextExtractor::new(Unknown);
    assert_eq!(
        ex.process(br#"{"generation":"\ud83e"}"#),
        ChunkInfo::default()
    );
    assert_eq!(
        ex.process(br#"{"generation":"\udd80!"}"#),
        text("\u{1F980}!")
    );
}

#[test]
fn families_do_not_read_each_others_shapes() {
    // A Llama extractor must not take Titan's or Claude's text, and vice versa.
    let llama = TextExtractor::new(MetaLlama)
        .process(br#"{"outputText":"x","choices":[{"text":"y"}],"completionReason":"FINISH"}"#);
    assert!(llama.is_empty());
    let titan =
        TextExtractor::new(AmazonTitanText).process(br#"{"generation":"x","stop_reason":"stop"}"#);
    assert!(titan.is_empty());
    let jamba = TextExtractor::new(Ai21Jamba)
        .process(br#"{"choices":[{"text":"x","message":{"content":"y"}}]}"#);
    assert!(jamba.is_empty());
}

// ---- metrics ----

#[test]
fn metrics_with_prompt_cache_counts_nulls_and_odd_numbers() {
    let mut ex = TextExtractor::new(AnthropicClaude);
    let info = ex.process(br#"{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":10,"outputTokenCount":15,"invocationLatency":1798,"firstByteLatency":1507,"cacheReadInputTokenCount":0,"cacheWriteInputTokenCount":25037}}"#);
    assert_eq!(
        info.metrics(),
        Some(InvocationMetrics {
            cache_read_input_token_count: Some(0),
            cache_write_input_token_count: Some(25037),
            ..metrics(10, 15, 1798, 1507)
        })
    );
    // null, negative, fractional, string, boolean, nested values: None; integral floats and
    // u64::MAX are kept; unknown members are ignored.
    let info = ex.process(br#"{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":null,"outputTokenCount":-3,"invocationLatency":1.5,"firstByteLatency":"12","cacheReadInputTokenCount":true,"cacheWriteInputTokenCount":[1],"futureMetric":{"a":1}}}"#);
    assert_eq!(info.metrics(), Some(InvocationMetrics::default()));
    let info = ex.process(br#"{"amazon-bedrock-invocationMetrics":{"inputTokenCount":2.0,"outputTokenCount":1e3,"invocationLatency":18446744073709551615,"firstByteLatency":1e30,"cacheReadInputTokenCount":{"x":[]}}}"#);
    assert_eq!(
        info.metrics(),
        Some(InvocationMetrics {
            input_token_count: Some(2),
            output_token_count: Some(1000),
            invocation_latency_ms: Some(u64::MAX),
            ..InvocationMetrics::default()
        })
    );
    // An explicit null metrics object is no metrics.
    let info = ex.process(br#"{"type":"message_stop","amazon-bedrock-invocationMetrics":null}"#);
    assert_eq!(info, ChunkInfo::default());
}

#[test]
fn metrics_are_parsed_for_every_family() {
    let doc = br#"{"amazon-bedrock-invocationMetrics":{"inputTokenCount":1,"outputTokenCount":2,"invocationLatency":3,"firstByteLatency":4}}"#;
    for family in ModelFamily::ALL {
        let info = TextExtractor::new(family).process(doc);
        assert_eq!(
            info,
            ci(None, None, None, Some(metrics(1, 2, 3, 4))),
            "{family}"
        );
    }
}

// ---- Claude specifics ----

#[test]
fn claude_non_text_deltas_and_events_give_no_text() {
    let chunks = [
        r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}}"#,
        r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Par"}}"#,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me think"}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM"}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{"type":"char_location","cited_text":"x"}}}"#,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"not a delta"}}"#,
        r#"{"type":"ping"}"#,
        r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        // A text member on a delta that is not a text_delta, or a delta without a type.
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","text":"no"}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"text":"no"}}"#,
        r#"{"delta":{"type":"text_delta","text":"no"}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":""}}"#,
    ];
    let (infos, all) = run(AnthropicClaude, &chunks);
    assert_eq!(all, "");
    for (info, chunk) in infos.iter().zip(chunks) {
        assert!(info.is_empty(), "{chunk} gave {info:?}");
    }
}

#[test]
fn claude_usage_with_cache_fields_and_newer_message_delta() {
    let mut ex = TextExtractor::new(AnthropicClaude);
    let start = ex.process(br#"{"type":"message_start","message":{"id":"m","usage":{"input_tokens":4,"cache_creation_input_tokens":1500,"cache_read_input_tokens":0,"output_tokens":1}}}"#);
    assert_eq!(
        start.usage(),
        Some(Usage {
            input_tokens: Some(4),
            output_tokens: Some(1),
            cache_read_input_tokens: Some(0),
            cache_write_input_tokens: Some(1500),
        })
    );
    let delta = ex.process(br#"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":4,"cache_creation_input_tokens":null,"cache_read_input_tokens":null,"output_tokens":30}}"#);
    assert_eq!(delta.stop_reason(), Some("tool_use"));
    assert_eq!(delta.usage(), Some(usage(Some(4), Some(30))));
    // Usage members on other event types are not Claude's usage fields.
    let other =
        ex.process(br#"{"type":"content_block_stop","index":0,"usage":{"output_tokens":99}}"#);
    assert!(other.is_empty());
}

// ---- unknown fields, padding, escapes, Unicode ----

#[test]
fn unknown_fields_and_p_padding_are_ignored() {
    let mut ex = TextExtractor::new(AnthropicClaude);
    let info = ex.process(br#"{"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123","type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi","extra":{"nested":[1,2,{"x":null}]}},"future_field":true,"n":-1.5e7}"#);
    assert_eq!(info, text("Hi"));
    for family in TEXT_FAMILIES {
        let chunk = text_chunk(family, "Hi");
        let padded = format!(
            r#"{{"p":"abcdefghijkl","zz_future":[{{"a":null}}],{}"#,
            &chunk[1..]
        );
        let info = TextExtractor::new(family).process(padded.as_bytes());
        assert_eq!(info, text("Hi"), "{family}: {padded}");
    }
}

#[test]
fn json_escapes_in_text_are_decoded() {
    for family in TEXT_FAMILIES {
        let chunk = text_chunk(
            family,
            r#"a\nb\t\"q\" \\ \/ \u00e9\u4f60\u597d \ud83d\ude00"#,
        );
        let info = TextExtractor::new(family).process(chunk.as_bytes());
        assert_eq!(info, text("a\nb\t\"q\" \\ / é你好 😀"), "{family}");
    }
}

#[test]
fn multibyte_utf8_passes_through_untouched() {
    let s = "你好，世界 😀🎉 déjà vu — ZWJ 👩‍👩‍👧 𝕏";
    for family in TEXT_FAMILIES {
        let (infos, all) = run(
            family,
            &[&text_chunk(family, s), &text_chunk(family, "日本語")],
        );
        assert_eq!(infos[0], text(s), "{family}");
        assert_eq!(all, format!("{s}日本語"), "{family}");
    }
}

// ---- surrogate pairs and incomplete characters split across chunks ----

#[test]
fn surrogate_pair_split_across_chunks_is_joined_for_every_family() {
    for family in TEXT_FAMILIES {
        let (infos, all) = run(
            family,
            &[
                &text_chunk(family, r"ab\ud83d"),
                &text_chunk(family, r"\ude00cd"),
            ],
        );
        assert_eq!(infos[0], text("ab"), "{family}");
        assert_eq!(infos[1], text("😀cd"), "{family}");
        assert_eq!(all, "ab😀cd", "{family}");
    }
}

#[test]
fn held_high_surrogate_survives_chunks_without_text() {
    let (infos, all) = run(
        AnthropicClaude,
        &[
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\uD83D"}}"#,
            r#"{"type":"ping"}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\uDE00"}}"#,
        ],
    );
    assert_eq!(
        infos,
        vec![ChunkInfo::default(), ChunkInfo::default(), text("😀")]
    );
    assert_eq!(all, "😀");
}

#[test]
fn lone_surrogates_become_replacement_characters() {
    let cases: [(&[&str], &str); 7] = [
        // High surrogate followed by ordinary text in the next chunk.
        (&[r"a\ud83d", r"b"], "a\u{FFFD}b"),
        // Lone low surrogate.
        (&[r"\ude00x"], "\u{FFFD}x"),
        // High surrogate inside a string followed by a non-surrogate.
        (&[r"a\ud83db"], "a\u{FFFD}b"),
        // Two highs, then a proper pair.
        (&[r"\ud83d\ud83d\ude00"], "\u{FFFD}😀"),
        // High then high across chunks; the second pairs with the third chunk.
        (&[r"\ud83d", r"\ud83d", r"\ude00"], "\u{FFFD}😀"),
        // High held at the very end: flushed by finish().
        (&[r"x\udbff"], "x\u{FFFD}"),
        // Low surrogate then high surrogate: both lone.
        (&[r"\udc00\ud800", r"z"], "\u{FFFD}\u{FFFD}z"),
    ];
    for family in TEXT_FAMILIES {
        for (parts, expected) in cases {
            let chunks: Vec<String> = parts.iter().map(|p| text_chunk(family, p)).collect();
            let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
            let (_, all) = run(family, &refs);
            assert_eq!(all, expected, "{family} {parts:?}");
        }
    }
}

#[test]
fn finish_flushes_once_and_stop_reason_flushes_held_character() {
    let mut ex = TextExtractor::new(MetaLlama);
    assert_eq!(
        ex.process(br#"{"generation":"\ud83d"}"#),
        ChunkInfo::default()
    );
    assert_eq!(ex.finish(), Some("\u{FFFD}".to_owned()));
    assert_eq!(ex.finish(), None);

    // A chunk with a stop reason ends the text: the held surrogate is emitted there.
    let mut ex = TextExtractor::new(MetaLlama);
    assert_eq!(ex.process(br#"{"generation":"ok\ud83d"}"#), text("ok"));
    let last = ex.process(br#"{"generation":"","stop_reason":"stop"}"#);
    assert_eq!(last, ci(Some("\u{FFFD}"), Some("stop"), None, None));
    assert_eq!(ex.finish(), None);

    // Claude's stop reason arrives in message_delta without text.
    let mut ex = TextExtractor::new(AnthropicClaude);
    let held = ex.process(br#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\ud83d"}}"#);
    assert_eq!(held, ChunkInfo::default());
    let stop = ex.process(br#"{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":1}}"#);
    assert_eq!(
        stop,
        ci(
            Some("\u{FFFD}"),
            Some("max_tokens"),
            Some(usage(None, Some(1))),
            None
        )
    );
    // Nothing held: finish is None and a stop reason adds no text.
    let mut ex = TextExtractor::new(MetaLlama);
    assert_eq!(
        ex.process(br#"{"generation":"","stop_reason":"stop"}"#),
        ci(None, Some("stop"), None, None)
    );
    assert_eq!(ex.finish(), None);
}

#[test]
fn raw_utf8_split_or_invalid_inside_a_json_string_is_repaired() {
    // Not valid JSON text strictly, but must not lose the character or panic.
    let mut ex = TextExtractor::new(MetaLlama);
    assert_eq!(ex.process(b"{\"generation\":\"a\xF0\x9F\"}"), text("a"));
    assert_eq!(ex.process(b"{\"generation\":\"\x98\x80b\"}"), text("😀b"));
    assert_eq!(
        ex.process(b"{\"generation\":\"x\xFFy\xC3\"}"),
        text("x\u{FFFD}y")
    );
    assert_eq!(ex.process(b"{\"generation\":\"z\"}"), text("\u{FFFD}z"));
    assert_eq!(ex.finish(), None);
}

// ---- malformed input ----

#[test]
fn malformed_chunks_give_empty_info_for_every_family() {
    let inputs: [&[u8]; 14] = [
        b"",
        b"   ",
        b"not json",
        b"{",
        b"}",
        b"null",
        b"\"Hello\"",
        b"42",
        br#"["Hello","stop"]"#,
        br#"[{"generation":"Hello"}]"#,
        b"{\"generation\":\"Hel",
        br#"{"generation":"a"} trailing"#,
        b"\xFF\xFE{\"generation\":\"a\"}",
        br#"{"type":"content_block_delta","delta":{"type":"text_delta","text":"a"}"#,
    ];
    for family in ModelFamily::ALL {
        let mut ex = TextExtractor::new(family);
        for input in inputs {
            let info = ex.process(input);
            assert_eq!(info, ChunkInfo::default(), "{family} {input:?}");
        }
        assert_eq!(ex.finish(), None);
    }
}

#[test]
fn wrong_types_lose_the_text_but_keep_metrics() {
    let metrics_json = r#""amazon-bedrock-invocationMetrics":{"inputTokenCount":1,"outputTokenCount":2,"invocationLatency":3,"firstByteLatency":4}"#;
    let docs = [
        format!(r#"{{"generation":5,{metrics_json}}}"#),
        format!(r#"{{"outputText":{{"a":1}},{metrics_json}}}"#),
        format!(r#"{{"type":"content_block_delta","delta":"text",{metrics_json}}}"#),
        format!(r#"{{"choices":{{"0":{{"text":"x"}}}},{metrics_json}}}"#),
        format!(r#"{{"contentBlockDelta":[1],{metrics_json}}}"#),
        format!(r#"{{"text":true,{metrics_json}}}"#),
    ];
    let families = [
        MetaLlama,
        AmazonTitanText,
        AnthropicClaude,
        DeepSeek,
        AmazonNova,
        Cohere,
    ];
    for (doc, family) in docs.iter().zip(families) {
        let info = TextExtractor::new(family).process(doc.as_bytes());
        assert_eq!(
            info,
            ci(None, None, None, Some(metrics(1, 2, 3, 4))),
            "{family}: {doc}"
        );
    }
    // An array where a string is expected is skipped without failing the document.
    let info = TextExtractor::new(MistralChat).process(br#"{"choices":[{"message":{"content":[{"type":"text","text":"x"}]},"stop_reason":"stop"}]}"#);
    assert_eq!(info, ci(None, Some("stop"), None, None));
}

#[test]
fn null_fields_are_absent() {
    let (infos, all) = run(
        MetaLlama,
        &[
            r#"{"generation":null,"prompt_token_count":null,"generation_token_count":null,"stop_reason":null,"amazon-bedrock-invocationMetrics":null}"#,
        ],
    );
    assert_eq!(infos, vec![ChunkInfo::default()]);
    assert_eq!(all, "");
    let info = TextExtractor::new(OpenAiGptOss)
        .process(br#"{"choices":[{"delta":{"content":null},"finish_reason":null}],"usage":null}"#);
    assert!(info.is_empty());
    let info = TextExtractor::new(AmazonNova)
        .process(br#"{"contentBlockDelta":null,"messageStop":{"stopReason":null},"metadata":{"usage":null}}"#);
    assert!(info.is_empty());
    let info = TextExtractor::new(OpenAiGptOss).process(br#"{"choices":[],"usage":{}}"#);
    assert!(info.is_empty());
}

// ---- model ids ----

#[test]
fn family_from_model_ids() {
    let cases = [
        ("anthropic.claude-3-haiku-20240307-v1:0", AnthropicClaude),
        ("anthropic.claude-3-5-haiku-20241022-v1:0", AnthropicClaude),
        ("anthropic.claude-sonnet-4-20250514-v1:0", AnthropicClaude),
        ("us.anthropic.claude-sonnet-4-20250514-v1:0", AnthropicClaude),
        ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", AnthropicClaude),
        ("eu.anthropic.claude-3-7-sonnet-20250219-v1:0", AnthropicClaude),
        ("apac.anthropic.claude-3-5-sonnet-20240620-v1:0", AnthropicClaude),
        ("us-gov.anthropic.claude-3-haiku-20240307-v1:0", AnthropicClaude),
        ("jp.anthropic.claude-sonnet-4-5-20250929-v1:0", AnthropicClaude),
        ("au.anthropic.claude-sonnet-4-5-20250929-v1:0", AnthropicClaude),
        ("ca.anthropic.claude-sonnet-4-5-20250929-v1:0", AnthropicClaude),
        ("US.Anthropic.Claude-3-Haiku", AnthropicClaude),
        ("  anthropic.claude-3-haiku-20240307-v1:0\n", AnthropicClaude),
        ("amazon.titan-text-express-v1", AmazonTitanText),
        ("amazon.titan-text-lite-v1", AmazonTitanText),
        ("amazon.titan-text-premier-v1:0", AmazonTitanText),
        ("amazon.titan-tg1-large", AmazonTitanText),
        ("amazon.nova-micro-v1:0", AmazonNova),
        ("amazon.nova-lite-v1:0", AmazonNova),
        ("amazon.nova-pro-v1:0", AmazonNova),
        ("us.amazon.nova-premier-v1:0", AmazonNova),
        ("us.amazon.nova-2-lite-v1:0", AmazonNova),
        ("meta.llama3-8b-instruct-v1:0", MetaLlama),
        ("meta.llama3-70b-instruct-v1:0", MetaLlama),
        ("meta.llama3-1-70b-instruct-v1:0", MetaLlama),
        ("us.meta.llama3-2-11b-instruct-v1:0", MetaLlama),
        ("us.meta.llama3-3-70b-instruct-v1:0", MetaLlama),
        ("mistral.mistral-7b-instruct-v0:2", MistralText),
        ("mistral.mixtral-8x7b-instruct-v0:1", MistralText),
        ("mistral.mistral-large-2402-v1:0", MistralText),
        ("mistral.mistral-small-2402-v1:0", MistralText),
        ("mistral.mistral-large-2407-v1:0", MistralChat),
        ("us.mistral.pixtral-large-2502-v1:0", MistralChat),
        ("cohere.command-r-v1:0", Cohere),
        ("cohere.command-r-plus-v1:0", Cohere),
        ("cohere.command-text-v14", Cohere),
        ("cohere.command-light-text-v14", Cohere),
        ("ai21.jamba-1-5-large-v1:0", Ai21Jamba),
        ("ai21.jamba-1-5-mini-v1:0", Ai21Jamba),
        ("ai21.jamba-instruct-v1:0", Ai21Jamba),
        ("us.deepseek.r1-v1:0", DeepSeek),
        ("openai.gpt-oss-20b-1:0", OpenAiGptOss),
        ("openai.gpt-oss-120b-1:0", OpenAiGptOss),
        // ARNs that name the model.
        (
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
            AnthropicClaude,
        ),
        (
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0",
            AnthropicClaude,
        ),
        (
            "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.meta.llama3-8b-instruct-v1:0",
            MetaLlama,
        ),
        (
            "arn:aws:bedrock:eu-west-1::foundation-model/amazon.titan-text-express-v1",
            AmazonTitanText,
        ),
        // ARNs that do not reveal the format: never guessed.
        (
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
            Unknown,
        ),
        (
            "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcdef123456",
            Unknown,
        ),
        (
            "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.titan-text-express-v1:0:8k/abc123",
            Unknown,
        ),
        (
            "arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/abc123",
            Unknown,
        ),
        (
            "arn:aws:bedrock:us-east-1:123456789012:imported-model/abc123",
            Unknown,
        ),
        ("arn:aws:bedrock:us-east-1:123456789012:prompt/PROMPT12AB:1", Unknown),
        (
            "arn:aws:bedrock:us-east-1:123456789012:default-prompt-router/anthropic.claude:1",
            Unknown,
        ),
        ("arn:aws:sagemaker:us-east-1:123456789012:endpoint/my-endpoint", Unknown),
        (
            "arn:aws:sagemaker:us-east-1:123456789012:endpoint/anthropic.claude-x",
            Unknown,
        ),
        ("arn:aws:bedrock:us-east-1::foundation-model/", Unknown),
        ("arn:aws:bedrock", Unknown),
        // Not text-streaming families of known providers.
        ("amazon.titan-embed-text-v2:0", Unknown),
        ("amazon.titan-image-generator-v1", Unknown),
        ("cohere.embed-english-v3", Unknown),
        ("ai21.j2-ultra-v1", Unknown),
        ("openai.whisper-x", Unknown),
        // Unknown providers and odd ids.
        ("stability.sd3-large-v1:0", Unknown),
        ("us.writer.palmyra-x5-v1:0", Unknown),
        ("xai.grok-1", Unknown),
        ("us.foo.bar", Unknown),
        ("modèle espace", Unknown),
        ("", Unknown),
        ("anthropic", Unknown),
        ("anthropic.", Unknown),
        ("us.anthropic", Unknown),
        ("us.us.anthropic.claude-3", Unknown),
        ("123.anthropic.claude-3", Unknown),
        ("ünï.anthropic.claude-3", Unknown),
    ];
    for (id, expected) in cases {
        assert_eq!(ModelFamily::from_model_id(id), expected, "{id:?}");
    }
    assert_eq!(
        TextExtractor::for_model_id("us.meta.llama3-3-70b-instruct-v1:0").family(),
        MetaLlama
    );
}

#[test]
fn family_names_round_trip_and_reject_others() {
    let names = [
        "anthropic-claude",
        "amazon-titan-text",
        "amazon-nova",
        "meta-llama",
        "mistral-text",
        "mistral-chat",
        "cohere",
        "ai21-jamba",
        "deepseek",
        "openai-gpt-oss",
        "unknown",
    ];
    assert_eq!(names.len(), ModelFamily::ALL.len());
    for (family, name) in ModelFamily::ALL.iter().zip(names) {
        assert_eq!(family.as_str(), name);
        assert_eq!(family.to_string(), name);
        assert_eq!(name.parse::<ModelFamily>(), Ok(*family));
        assert_eq!(name.to_uppercase().replace('-', "_").parse(), Ok(*family));
    }
    assert_eq!(" meta-llama\t".parse(), Ok(MetaLlama));
    for bad in [
        "",
        "llama",
        "meta-llam",
        "meta-llamaa",
        "anthropic claude",
        "ünknown",
    ] {
        let err = bad.parse::<ModelFamily>().unwrap_err();
        assert_eq!(err.name(), bad);
        let msg = err.to_string();
        assert!(
            msg.contains("anthropic-claude") && msg.contains("openai-gpt-oss"),
            "{msg}"
        );
    }
}

// ---- properties ----

proptest! {
    /// Any text, escaped as UTF-16 `\uXXXX` units and cut at arbitrary unit boundaries
    /// (including between the halves of surrogate pairs), is reassembled exactly.
    #[test]
    fn prop_text_split_at_any_utf16_unit_is_reassembled(
        s in "\\PC{0,24}",
        cuts in proptest::collection::vec(any::<proptest::sample::Index>(), 0..5),
        family_index in 0..TEXT_FAMILIES.len(),
    ) {
        let family = TEXT_FAMILIES[family_index];
        let units: Vec<u16> = s.encode_utf16().collect();
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(units.len() + 1)).collect();
        points.push(0);
        points.push(units.len());
        points.sort_unstable();
        let mut ex = TextExtractor::new(family);
        let mut out = String::new();
        for w in points.windows(2) {
            let chunk = text_chunk(family, &escape_utf16(&units[w[0]..w[1]]));
            if let Some(t) = ex.process(chunk.as_bytes()).into_text() {
                out.push_str(&t);
            }
        }
        if let Some(rest) = ex.finish() {
            out.push_str(&rest);
        }
        prop_assert_eq!(out, s);
    }

    /// Arbitrary bytes never panic and never produce text out of nothing.
    #[test]
    fn prop_arbitrary_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..64),
        family_index in 0..ModelFamily::ALL.len(),
    ) {
        let mut ex = TextExtractor::new(ModelFamily::ALL[family_index]);
        let info = ex.process(&bytes);
        if bytes.first() != Some(&b'{') {
            prop_assert!(info.is_empty());
        }
        let _ = ex.finish();
    }

    /// Arbitrary JSON-ish documents built from the fields the parsers know never panic.
    #[test]
    fn prop_fieldy_documents_never_panic(
        doc in r#"\{("(text|generation|outputText|type|delta|choices|outputs|usage|stop_reason|amazon-bedrock-invocationMetrics)":(null|1|-1|1\.5|"[a-z\\\\u0-9]{0,8}"|\[\]|\{\}|\[\{"text":"x"\}\]|\{"text":"\\ud83d"\}),?){0,6}\}"#,
        family_index in 0..ModelFamily::ALL.len(),
    ) {
        let mut ex = TextExtractor::new(ModelFamily::ALL[family_index]);
        let _ = ex.process(doc.as_bytes());
        let _ = ex.finish();
    }
}
