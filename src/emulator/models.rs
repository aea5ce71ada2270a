//! Model families: detection from the model id, request validation, and the chunk documents
//! each family streams (the shapes the real models send).

use std::fmt;
use std::str::FromStr;

use serde_json::{json, Map, Value};

/// A model provider's native request/response format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelFamily {
    /// Anthropic Claude, Messages API (`anthropic.*`).
    Claude,
    /// Amazon Titan Text (`amazon.titan-text-*`).
    TitanText,
    /// Amazon Nova (`amazon.nova-*`).
    Nova,
    /// Meta Llama (`meta.*`).
    Llama,
    /// Mistral text completion (`mistral.*` except the chat models).
    MistralText,
    /// Mistral chat completion (`mistral.mistral-large-2407…`, `pixtral`).
    MistralChat,
    /// Cohere Command R / R+ (`cohere.*`).
    Cohere,
    /// AI21 Jamba (`ai21.*`).
    Jamba,
    /// DeepSeek R1 (`deepseek.*`).
    DeepSeek,
    /// OpenAI gpt-oss (`openai.*`).
    GptOss,
}

impl ModelFamily {
    /// All families.
    pub const ALL: [ModelFamily; 10] = [
        ModelFamily::Claude,
        ModelFamily::TitanText,
        ModelFamily::Nova,
        ModelFamily::Llama,
        ModelFamily::MistralText,
        ModelFamily::MistralChat,
        ModelFamily::Cohere,
        ModelFamily::Jamba,
        ModelFamily::DeepSeek,
        ModelFamily::GptOss,
    ];

    /// The short name used in scenario specs (`family=…`).
    pub fn as_str(self) -> &'static str {
        match self {
            ModelFamily::Claude => "claude",
            ModelFamily::TitanText => "titan",
            ModelFamily::Nova => "nova",
            ModelFamily::Llama => "llama",
            ModelFamily::MistralText => "mistral",
            ModelFamily::MistralChat => "mistral-chat",
            ModelFamily::Cohere => "cohere",
            ModelFamily::Jamba => "jamba",
            ModelFamily::DeepSeek => "deepseek",
            ModelFamily::GptOss => "gpt-oss",
        }
    }

    /// A model id of this family (for demos and tests).
    pub fn example_model_id(self) -> &'static str {
        match self {
            ModelFamily::Claude => "anthropic.claude-3-5-haiku-20241022-v1:0",
            ModelFamily::TitanText => "amazon.titan-text-express-v1",
            ModelFamily::Nova => "amazon.nova-lite-v1:0",
            ModelFamily::Llama => "meta.llama3-8b-instruct-v1:0",
            ModelFamily::MistralText => "mistral.mistral-7b-instruct-v0:2",
            ModelFamily::MistralChat => "mistral.mistral-large-2407-v1:0",
            ModelFamily::Cohere => "cohere.command-r-v1:0",
            ModelFamily::Jamba => "ai21.jamba-1-5-mini-v1:0",
            ModelFamily::DeepSeek => "us.deepseek.r1-v1:0",
            ModelFamily::GptOss => "openai.gpt-oss-20b-1:0",
        }
    }

    /// A minimal valid request body of this family with `prompt` as the user's text.
    pub fn example_body(self, prompt: &str) -> Vec<u8> {
        let v = match self {
            ModelFamily::Claude => {
                json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":256,
                "messages":[{"role":"user","content":prompt}]})
            }
            ModelFamily::TitanText => json!({"inputText": prompt,
                "textGenerationConfig":{"maxTokenCount":256}}),
            ModelFamily::Nova => json!({"messages":[{"role":"user","content":[{"text":prompt}]}],
                "inferenceConfig":{"maxTokens":256}}),
            ModelFamily::Llama => json!({"prompt": format!(
                "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{prompt}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"),
                "max_gen_len":256}),
            ModelFamily::MistralText => {
                json!({"prompt": format!("<s>[INST] {prompt} [/INST]"), "max_tokens":256})
            }
            ModelFamily::DeepSeek => {
                json!({"prompt": format!("<｜begin▁of▁sentence｜><｜User｜>{prompt}<｜Assistant｜><think>\n"), "max_tokens":256})
            }
            ModelFamily::Cohere => json!({"message": prompt, "max_tokens":256}),
            ModelFamily::MistralChat | ModelFamily::Jamba => {
                json!({"messages":[{"role":"user","content":prompt}],"max_tokens":256})
            }
            ModelFamily::GptOss => {
                json!({"messages":[{"role":"user","content":prompt}],"max_completion_tokens":256})
            }
        };
        v.to_string().into_bytes()
    }

    /// The family a model id reveals: an ARN is reduced to its resource,
    /// a geographic inference-profile prefix (`us.`, `global.`, …) is skipped, and the provider
    /// decides. `None` for ids that do not reveal it (application inference profiles, …).
    pub fn from_model_id(model_id: &str) -> Option<ModelFamily> {
        // One detection for the whole crate: the client's text extraction decides.
        use crate::extract::ModelFamily as F;
        Some(match F::from_model_id(model_id) {
            F::AnthropicClaude => ModelFamily::Claude,
            F::AmazonTitanText => ModelFamily::TitanText,
            F::AmazonNova => ModelFamily::Nova,
            F::MetaLlama => ModelFamily::Llama,
            F::MistralText => ModelFamily::MistralText,
            F::MistralChat => ModelFamily::MistralChat,
            F::Cohere => ModelFamily::Cohere,
            F::Ai21Jamba => ModelFamily::Jamba,
            F::DeepSeek => ModelFamily::DeepSeek,
            F::OpenAiGptOss => ModelFamily::GptOss,
            _ => return None,
        })
    }
}

const PROVIDERS: [&str; 8] = [
    "anthropic",
    "amazon",
    "meta",
    "mistral",
    "cohere",
    "ai21",
    "deepseek",
    "openai",
];

impl FromStr for ModelFamily {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ModelFamily::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<&str> = ModelFamily::ALL.iter().map(|f| f.as_str()).collect();
                format!("unknown model family {s:?} (known: {})", names.join(", "))
            })
    }
}

impl fmt::Display for ModelFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validation failure: the `ValidationException` message.
pub(crate) fn validate(family: ModelFamily, body: &Value) -> Result<(), String> {
    let Some(obj) = body.as_object() else {
        return Err("Malformed input request: #: expected type: JSONObject, found: JSONArray, please reformat your input and try again.".into());
    };
    let required: &[&str] = match family {
        ModelFamily::Claude => &["anthropic_version", "max_tokens", "messages"],
        ModelFamily::TitanText => &["inputText"],
        ModelFamily::Nova | ModelFamily::MistralChat | ModelFamily::Jamba | ModelFamily::GptOss => {
            &["messages"]
        }
        ModelFamily::Llama | ModelFamily::MistralText | ModelFamily::DeepSeek => &["prompt"],
        ModelFamily::Cohere => &["message"],
    };
    let missing: Vec<String> = required
        .iter()
        .filter(|k| !obj.contains_key(**k))
        .map(|k| format!("#: required key [{k}] not found"))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "Malformed input request: {}, please reformat your input and try again.",
            missing.join(", ")
        ));
    }
    Ok(())
}

/// Text of a message `content`: a string, or the text of `{"text": …}` blocks.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

fn last_user_message(body: &Value) -> String {
    body.get("messages")
        .and_then(Value::as_array)
        .and_then(|m| {
            m.iter()
                .rev()
                .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
                .or_else(|| m.last())
        })
        .and_then(|m| m.get("content"))
        .map(content_text)
        .unwrap_or_default()
}

/// Removes chat-template markup (`<|…|>`, `<｜…｜>`, `<s>`, `[INST]`, `User:`/`Bot:` …).
fn strip_template(prompt: &str) -> String {
    let mut s = prompt.to_string();
    // Llama 3 role headers: drop the role name with its markers.
    while let Some(start) = s.find("<|start_header_id|>") {
        let Some(len) = s[start..].find("<|end_header_id|>") else {
            break;
        };
        s.replace_range(start..start + len + "<|end_header_id|>".len(), " ");
    }
    for (open, close) in [("<|", "|>"), ("<｜", "｜>")] {
        while let Some(start) = s.find(open) {
            let Some(len) = s[start..].find(close) else {
                break;
            };
            s.replace_range(start..start + len + close.len(), " ");
        }
    }
    for tok in ["<s>", "</s>", "[INST]", "[/INST]", "<think>"] {
        s = s.replace(tok, " ");
    }
    let s = s.trim();
    let s = s.strip_prefix("User:").unwrap_or(s);
    let s = s.trim_end().strip_suffix("Bot:").unwrap_or(s);
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The user's prompt text.
pub(crate) fn prompt_of(family: ModelFamily, body: &Value) -> String {
    let raw = match family {
        ModelFamily::Claude
        | ModelFamily::Nova
        | ModelFamily::MistralChat
        | ModelFamily::Jamba
        | ModelFamily::GptOss => last_user_message(body),
        ModelFamily::TitanText => body
            .get("inputText")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        ModelFamily::Llama | ModelFamily::MistralText | ModelFamily::DeepSeek => body
            .get("prompt")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        ModelFamily::Cohere => body
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    };
    strip_template(&raw)
}

/// The output-token limit the request sets, if any.
fn max_tokens_of(family: ModelFamily, body: &Value) -> Option<u64> {
    let get = |path: &[&str]| -> Option<u64> {
        let mut v = body;
        for p in path {
            v = v.get(p)?;
        }
        v.as_u64()
    };
    match family {
        ModelFamily::TitanText => get(&["textGenerationConfig", "maxTokenCount"]),
        ModelFamily::Nova => get(&["inferenceConfig", "maxTokens"])
            .or_else(|| get(&["inferenceConfig", "max_new_tokens"])),
        ModelFamily::Llama => get(&["max_gen_len"]),
        ModelFamily::GptOss => get(&["max_completion_tokens"]).or_else(|| get(&["max_tokens"])),
        _ => get(&["max_tokens"]),
    }
}

/// Token estimate for a text (deterministic; roughly one token per word, at least one).
pub(crate) fn count_tokens(text: &str) -> u64 {
    (text.split_whitespace().count() as u64).max(1)
}

/// What one invocation answers.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub family: ModelFamily,
    pub model_id: String,
    /// The text pieces, one per text chunk (one "token" each).
    pub pieces: Vec<String>,
    pub input_tokens: u64,
    /// Whether the output was cut by the request's token limit.
    pub hit_limit: bool,
}

impl Answer {
    pub fn output_tokens(&self) -> u64 {
        self.pieces.len() as u64
    }
    pub fn text(&self) -> String {
        self.pieces.concat()
    }
}

/// The emulator's reply to `prompt`: a friendly echo with multi-byte UTF-8 (CJK, a 4-byte
/// emoji).
pub(crate) fn reply_text(prompt: &str) -> String {
    let mut quoted: String = prompt.chars().take(200).collect();
    if quoted.len() < prompt.len() {
        quoted.push('…');
    }
    if quoted.is_empty() {
        "Hello from the Bedrock emulator! You sent an empty prompt. 你好，世界！ 🦀".into()
    } else {
        format!("Hello from the Bedrock emulator! You said: “{quoted}”. 你好，世界！ 🦀")
    }
}

/// Splits `text` into `n` non-empty pieces on character boundaries (fewer if it has fewer
/// characters).
pub(crate) fn split_pieces(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let n = n.clamp(1, chars.len().max(1));
    (0..n)
        .map(|i| {
            chars[i * chars.len() / n..(i + 1) * chars.len() / n]
                .iter()
                .collect()
        })
        .collect()
}

pub(crate) fn plan(family: ModelFamily, model_id: &str, body: &Value, chunks: usize) -> Answer {
    let prompt = prompt_of(family, body);
    let mut pieces = split_pieces(&reply_text(&prompt), chunks);
    let mut hit_limit = false;
    if let Some(max) = max_tokens_of(family, body) {
        let max = usize::try_from(max.max(1)).unwrap_or(usize::MAX);
        if pieces.len() > max {
            pieces.truncate(max);
            hit_limit = true;
        }
    }
    Answer {
        family,
        model_id: model_id.to_string(),
        pieces,
        input_tokens: count_tokens(&prompt) + 7,
        hit_limit,
    }
}

/// Measured latencies for `amazon-bedrock-invocationMetrics`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Latency {
    pub first_byte_ms: u64,
    pub invocation_ms: u64,
}

pub(crate) fn metrics(input: u64, output: u64, lat: Latency) -> Value {
    json!({
        "inputTokenCount": input,
        "outputTokenCount": output,
        "invocationLatency": lat.invocation_ms.max(lat.first_byte_ms),
        "firstByteLatency": lat.first_byte_ms,
    })
}

/// Adds the metrics object to the last chunk document.
pub(crate) fn attach_metrics(doc: &mut Value, metrics: Value) {
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("amazon-bedrock-invocationMetrics".into(), metrics);
    }
}

/// A short model name as providers echo it (`claude-3-5-haiku-20241022` for
/// `us.anthropic.claude-3-5-haiku-20241022-v1:0`).
fn short_model_name(model_id: &str) -> String {
    let resource = model_id.rsplit('/').next().unwrap_or(model_id);
    let after_provider = PROVIDERS
        .iter()
        .find_map(|p| resource.split_once(&format!("{p}.")).map(|(_, r)| r))
        .unwrap_or(resource);
    let name = after_provider.split(':').next().unwrap_or(after_provider);
    match name.rfind("-v") {
        Some(i) if name[i + 2..].starts_with(|c: char| c.is_ascii_digit()) => name[..i].into(),
        _ => name.into(),
    }
}

pub(crate) fn random_id(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..len)
        .map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char)
        .collect()
}

/// A random UUID-like string (`8-4-4-4-12` lower-case hex, version 4 layout).
pub(crate) fn uuid() -> String {
    let a = fastrand::u128(..);
    let a = (a & !(0xf << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let h = format!("{a:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn unix_now() -> u64 {
    super::time::now_unix().max(0) as u64
}

/// The chunk documents of a successful stream, in order. The caller attaches the metrics to
/// the last one when it sends it.
pub(crate) fn stream_docs(a: &Answer) -> Vec<Value> {
    let (inp, out) = (a.input_tokens, a.output_tokens());
    let n = a.pieces.len();
    let mut docs = Vec::with_capacity(n + 6);
    match a.family {
        ModelFamily::Claude => {
            docs.push(json!({"type":"message_start","message":{
                "id": format!("msg_bdrk_{}", random_id(24)), "type":"message","role":"assistant",
                "model": short_model_name(&a.model_id), "content":[], "stop_reason":null,
                "stop_sequence":null, "usage":{"input_tokens":inp,"output_tokens":1}}}));
            docs.push(json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}));
            for p in &a.pieces {
                docs.push(json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":p}}));
            }
            docs.push(json!({"type":"content_block_stop","index":0}));
            let stop = if a.hit_limit {
                "max_tokens"
            } else {
                "end_turn"
            };
            docs.push(json!({"type":"message_delta","delta":{"stop_reason":stop,"stop_sequence":null},"usage":{"output_tokens":out}}));
            docs.push(json!({"type":"message_stop"}));
        }
        ModelFamily::TitanText => {
            let reason = if a.hit_limit { "LENGTH" } else { "FINISH" };
            for (i, p) in a.pieces.iter().enumerate() {
                let last = i + 1 == n;
                docs.push(json!({"outputText":p,"index":0,
                    "totalOutputTextTokenCount": if last { json!(out) } else { Value::Null },
                    "completionReason": if last { json!(reason) } else { Value::Null },
                    "inputTextTokenCount": if i == 0 { json!(inp) } else { Value::Null }}));
            }
        }
        ModelFamily::Nova => {
            docs.push(json!({"messageStart":{"role":"assistant"}}));
            for p in &a.pieces {
                docs.push(json!({"contentBlockDelta":{"delta":{"text":p},"contentBlockIndex":0}}));
            }
            docs.push(json!({"contentBlockStop":{"contentBlockIndex":0}}));
            let stop = if a.hit_limit {
                "max_tokens"
            } else {
                "end_turn"
            };
            docs.push(json!({"messageStop":{"stopReason":stop}}));
            docs.push(json!({"metadata":{"usage":{"inputTokens":inp,"outputTokens":out},"metrics":{},"trace":{}}}));
        }
        ModelFamily::Llama => {
            for (i, p) in a.pieces.iter().enumerate() {
                docs.push(json!({"generation":p,
                    "prompt_token_count": if i == 0 { json!(inp) } else { Value::Null },
                    "generation_token_count": i + 1, "stop_reason": null}));
            }
            let stop = if a.hit_limit { "length" } else { "stop" };
            docs.push(json!({"generation":"","prompt_token_count":null,"generation_token_count":out,"stop_reason":stop}));
        }
        ModelFamily::MistralText => {
            for p in &a.pieces {
                docs.push(json!({"outputs":[{"text":p,"stop_reason":null}]}));
            }
            let stop = if a.hit_limit { "length" } else { "stop" };
            docs.push(json!({"outputs":[{"text":"","stop_reason":stop}]}));
        }
        ModelFamily::MistralChat => {
            let (id, created, model) = (uuid(), unix_now(), short_model_name(&a.model_id));
            for (i, p) in a.pieces.iter().enumerate() {
                let last = i + 1 == n;
                let stop = match (last, a.hit_limit) {
                    (false, _) => Value::Null,
                    (true, false) => json!("stop"),
                    (true, true) => json!("length"),
                };
                let role = if i == 0 {
                    json!("assistant")
                } else {
                    Value::Null
                };
                let usage = if last {
                    json!({"prompt_tokens":inp,"total_tokens":inp + out,"completion_tokens":out})
                } else {
                    Value::Null
                };
                docs.push(json!({"id":id,"object":"chat.completion.chunk","created":created,"model":model,
                    "choices":[{"index":0,"message":{"role":role,"content":p},"stop_reason":stop}],"usage":usage}));
            }
        }
        ModelFamily::Cohere => {
            let generation_id = uuid();
            docs.push(json!({"is_finished":false,"event_type":"stream-start","generation_id":generation_id}));
            for p in &a.pieces {
                docs.push(json!({"is_finished":false,"event_type":"text-generation","text":p}));
            }
            let reason = if a.hit_limit {
                "MAX_TOKENS"
            } else {
                "COMPLETE"
            };
            docs.push(json!({"is_finished":true,"event_type":"stream-end","finish_reason":reason,
                "response":{"response_id":uuid(),"text":a.text(),"generation_id":generation_id,
                    "chat_history":[],"finish_reason":reason,
                    "meta":{"api_version":{"version":"1"},"billed_units":{"input_tokens":inp,"output_tokens":out}}}}));
        }
        ModelFamily::Jamba => {
            let id = format!("chat-{}", uuid().replace('-', ""));
            docs.push(json!({"id":id,"choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}));
            for (i, p) in a.pieces.iter().enumerate() {
                if i + 1 < n {
                    docs.push(json!({"id":id,"choices":[{"index":0,"delta":{"content":p},"finish_reason":null}]}));
                } else {
                    let (finish, stop) = if a.hit_limit {
                        ("length", Value::Null)
                    } else {
                        ("stop", json!("<|eom|>"))
                    };
                    docs.push(json!({"id":id,"choices":[{"index":0,"delta":{"content":p},"finish_reason":finish,"stop_reason":stop}],
                        "usage":{"prompt_tokens":inp,"total_tokens":inp + out,"completion_tokens":out},
                        "meta":{"requestDurationMillis":0}}));
                }
            }
        }
        ModelFamily::DeepSeek => {
            for p in &a.pieces {
                docs.push(json!({"choices":[{"text":p,"stop_reason":null}]}));
            }
            let stop = if a.hit_limit { "length" } else { "stop" };
            docs.push(json!({"choices":[{"text":"","stop_reason":stop}]}));
        }
        ModelFamily::GptOss => {
            let (id, created) = (format!("chatcmpl-{}", random_id(12)), unix_now());
            for (i, p) in a.pieces.iter().enumerate() {
                let delta = if i == 0 {
                    json!({"role":"assistant","content":p})
                } else {
                    json!({"content":p})
                };
                docs.push(json!({"id":id,"object":"chat.completion.chunk","created":created,"model":a.model_id,
                    "choices":[{"index":0,"delta":delta,"finish_reason":null}]}));
            }
            let finish = if a.hit_limit { "length" } else { "stop" };
            docs.push(json!({"id":id,"object":"chat.completion.chunk","created":created,"model":a.model_id,
                "choices":[{"index":0,"delta":{},"finish_reason":finish}],
                "usage":{"prompt_tokens":inp,"completion_tokens":out,"total_tokens":inp + out}}));
        }
    }
    docs
}

/// Fills in `meta.requestDurationMillis` of a Jamba last chunk (it is measured).
pub(crate) fn set_duration(doc: &mut Value, ms: u64) {
    if let Some(meta) = doc.get_mut("meta").and_then(Value::as_object_mut) {
        if meta.contains_key("requestDurationMillis") {
            meta.insert("requestDurationMillis".into(), json!(ms));
        }
    }
}

/// The non-streaming `InvokeModel` response document.
pub(crate) fn invoke_doc(a: &Answer) -> Value {
    let (inp, out, text) = (a.input_tokens, a.output_tokens(), a.text());
    let limit = a.hit_limit;
    match a.family {
        ModelFamily::Claude => json!({"id": format!("msg_bdrk_{}", random_id(24)),"type":"message",
            "role":"assistant","model":short_model_name(&a.model_id),
            "content":[{"type":"text","text":text}],
            "stop_reason": if limit {"max_tokens"} else {"end_turn"},"stop_sequence":null,
            "usage":{"input_tokens":inp,"output_tokens":out}}),
        ModelFamily::TitanText => json!({"inputTextTokenCount":inp,"results":[{"tokenCount":out,
            "outputText":text,"completionReason": if limit {"LENGTH"} else {"FINISH"}}]}),
        ModelFamily::Nova => {
            json!({"output":{"message":{"role":"assistant","content":[{"text":text}]}},
            "stopReason": if limit {"max_tokens"} else {"end_turn"},
            "usage":{"inputTokens":inp,"outputTokens":out,"totalTokens":inp + out}})
        }
        ModelFamily::Llama => json!({"generation":text,"prompt_token_count":inp,
            "generation_token_count":out,"stop_reason": if limit {"length"} else {"stop"}}),
        ModelFamily::MistralText => {
            json!({"outputs":[{"text":text,"stop_reason": if limit {"length"} else {"stop"}}]})
        }
        ModelFamily::DeepSeek => {
            json!({"choices":[{"text":text,"stop_reason": if limit {"length"} else {"stop"}}]})
        }
        ModelFamily::Cohere => json!({"response_id":uuid(),"text":text,"generation_id":uuid(),
            "chat_history":[],"finish_reason": if limit {"MAX_TOKENS"} else {"COMPLETE"},
            "meta":{"billed_units":{"input_tokens":inp,"output_tokens":out}}}),
        ModelFamily::MistralChat | ModelFamily::Jamba | ModelFamily::GptOss => {
            let mut choice = Map::new();
            choice.insert("index".into(), json!(0));
            choice.insert("message".into(), json!({"role":"assistant","content":text}));
            let reason = if limit { "length" } else { "stop" };
            let key = if a.family == ModelFamily::MistralChat {
                "stop_reason"
            } else {
                "finish_reason"
            };
            choice.insert(key.into(), json!(reason));
            json!({"id": uuid(),"object":"chat.completion","created":unix_now(),
                "model": if a.family == ModelFamily::GptOss { a.model_id.clone() } else { short_model_name(&a.model_id) },
                "choices":[Value::Object(choice)],
                "usage":{"prompt_tokens":inp,"completion_tokens":out,"total_tokens":inp + out}})
        }
    }
}

/// The text a chunk document carries, for tests.
#[cfg(test)]
pub(crate) fn text_delta(family: ModelFamily, doc: &Value) -> Option<String> {
    let s = |v: &Value| v.as_str().map(String::from);
    match family {
        ModelFamily::Claude => (doc["type"] == "content_block_delta")
            .then(|| s(&doc["delta"]["text"]))
            .flatten(),
        ModelFamily::TitanText => s(&doc["outputText"]),
        ModelFamily::Nova => s(&doc["contentBlockDelta"]["delta"]["text"]),
        ModelFamily::Llama => s(&doc["generation"]),
        ModelFamily::MistralText => s(&doc["outputs"][0]["text"]),
        ModelFamily::MistralChat => s(&doc["choices"][0]["message"]["content"]),
        ModelFamily::Cohere => (doc["event_type"] == "text-generation")
            .then(|| s(&doc["text"]))
            .flatten(),
        ModelFamily::Jamba | ModelFamily::GptOss => s(&doc["choices"][0]["delta"]["content"]),
        ModelFamily::DeepSeek => s(&doc["choices"][0]["text"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_detection() {
        let cases = [
            ("anthropic.claude-3-5-haiku-20241022-v1:0", Some(ModelFamily::Claude)),
            ("us.anthropic.claude-sonnet-4-20250514-v1:0", Some(ModelFamily::Claude)),
            ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", Some(ModelFamily::Claude)),
            ("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0", Some(ModelFamily::Claude)),
            ("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0", Some(ModelFamily::Nova)),
            ("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6", None),
            ("amazon.titan-text-express-v1", Some(ModelFamily::TitanText)),
            ("amazon.titan-embed-text-v2:0", None),
            ("us.amazon.nova-premier-v1:0", Some(ModelFamily::Nova)),
            ("us.meta.llama3-2-11b-instruct-v1:0", Some(ModelFamily::Llama)),
            ("mistral.mistral-7b-instruct-v0:2", Some(ModelFamily::MistralText)),
            ("mistral.mistral-large-2402-v1:0", Some(ModelFamily::MistralText)),
            ("mistral.mistral-large-2407-v1:0", Some(ModelFamily::MistralChat)),
            ("us.mistral.pixtral-large-2502-v1:0", Some(ModelFamily::MistralChat)),
            ("cohere.command-r-plus-v1:0", Some(ModelFamily::Cohere)),
            ("ai21.jamba-1-5-large-v1:0", Some(ModelFamily::Jamba)),
            ("us.deepseek.r1-v1:0", Some(ModelFamily::DeepSeek)),
            ("openai.gpt-oss-120b-1:0", Some(ModelFamily::GptOss)),
            ("modèle espace", None),
            ("", None),
        ];
        for (id, want) in cases {
            assert_eq!(ModelFamily::from_model_id(id), want, "{id}");
        }
        for f in ModelFamily::ALL {
            assert_eq!(ModelFamily::from_model_id(f.example_model_id()), Some(f));
            assert_eq!(f.as_str().parse::<ModelFamily>(), Ok(f));
        }
        assert!("gpt-5".parse::<ModelFamily>().is_err());
    }

    #[test]
    fn prompts_are_extracted_from_every_family_body() {
        for f in ModelFamily::ALL {
            let body: Value = serde_json::from_slice(&f.example_body("What is 2+2?")).unwrap();
            validate(f, &body).unwrap();
            assert_eq!(prompt_of(f, &body), "What is 2+2?", "{f}");
        }
        let blocks = json!({"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image"},{"type":"text","text":"b"}]},
            {"role":"assistant","content":"x"}]});
        assert_eq!(prompt_of(ModelFamily::Claude, &blocks), "a b");
        let titan = json!({"inputText":"User: hi there\nBot:"});
        assert_eq!(prompt_of(ModelFamily::TitanText, &titan), "hi there");
    }

    #[test]
    fn validation_names_the_missing_keys() {
        let e = validate(ModelFamily::Claude, &json!({"messages":[]})).unwrap_err();
        assert!(
            e.contains("[anthropic_version]") && e.contains("[max_tokens]"),
            "{e}"
        );
        assert!(!e.contains("[messages]"));
        assert!(validate(ModelFamily::TitanText, &json!([1])).is_err());
        assert!(validate(ModelFamily::Cohere, &json!({"prompt":"x"})).is_err());
    }

    #[test]
    fn pieces_split_on_char_boundaries_and_rejoin() {
        let t = reply_text("héllo 🦀");
        for n in [1, 2, 3, 7, 50, 10_000] {
            let p = split_pieces(&t, n);
            assert_eq!(p.concat(), t);
            assert!(p.iter().all(|s| !s.is_empty()));
            assert_eq!(p.len(), n.min(t.chars().count()));
        }
        assert!(t.contains('🦀') && t.contains("你好") && t.contains("héllo"));
        assert_eq!(split_pieces("", 3), vec![String::new()]);
    }

    #[test]
    fn every_family_stream_carries_the_whole_text_and_consistent_counts() {
        for f in ModelFamily::ALL {
            let body: Value = serde_json::from_slice(&f.example_body("ping")).unwrap();
            let a = plan(f, f.example_model_id(), &body, 6);
            assert_eq!(a.pieces.len(), 6);
            let docs = stream_docs(&a);
            let text: String = docs.iter().filter_map(|d| text_delta(f, d)).collect();
            assert_eq!(text, a.text(), "{f}");
            assert!(text.contains("ping") && text.contains('🦀'));
            let all = Value::Array(docs.clone()).to_string();
            let out = a.output_tokens();
            let inp = a.input_tokens;
            let want: &[String] = &match f {
                ModelFamily::Claude => vec![
                    format!("\"input_tokens\":{inp}"),
                    format!("\"output_tokens\":{out}"),
                ],
                ModelFamily::TitanText => vec![
                    format!("\"inputTextTokenCount\":{inp}"),
                    format!("\"totalOutputTextTokenCount\":{out}"),
                ],
                ModelFamily::Nova => vec![
                    format!("\"inputTokens\":{inp}"),
                    format!("\"outputTokens\":{out}"),
                ],
                ModelFamily::Llama => vec![
                    format!("\"prompt_token_count\":{inp}"),
                    format!("\"generation_token_count\":{out},\"prompt_token_count\":null"),
                ],
                ModelFamily::Cohere => vec![
                    format!("\"input_tokens\":{inp}"),
                    format!("\"output_tokens\":{out}"),
                ],
                ModelFamily::MistralChat | ModelFamily::Jamba | ModelFamily::GptOss => vec![
                    format!("\"prompt_tokens\":{inp}"),
                    format!("\"completion_tokens\":{out}"),
                ],
                ModelFamily::MistralText | ModelFamily::DeepSeek => vec![],
            };
            for w in want {
                assert!(all.contains(w.as_str()), "{f}: {w} not in {all}");
            }
            // Non-streaming form carries the same text.
            assert!(invoke_doc(&a)
                .to_string()
                .contains(&serde_json::to_string(&a.text()).unwrap()[1..10]));
        }
    }

    #[test]
    fn token_limit_cuts_the_answer_and_sets_the_stop_reason() {
        let body = json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":2,"messages":[{"role":"user","content":"hi"}]});
        let a = plan(ModelFamily::Claude, "anthropic.claude-v2", &body, 8);
        assert_eq!(a.pieces.len(), 2);
        assert!(a.hit_limit);
        let docs = stream_docs(&a);
        assert_eq!(docs[docs.len() - 2]["delta"]["stop_reason"], "max_tokens");
        assert_eq!(docs[docs.len() - 2]["usage"]["output_tokens"], 2);
    }

    #[test]
    fn names_and_ids() {
        assert_eq!(
            short_model_name("us.anthropic.claude-3-5-haiku-20241022-v1:0"),
            "claude-3-5-haiku-20241022"
        );
        assert_eq!(
            short_model_name("mistral.mistral-large-2407-v1:0"),
            "mistral-large-2407"
        );
        assert_eq!(short_model_name("x"), "x");
        let u = uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(u.as_bytes()[14], b'4');
        assert!(matches!(u.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
    }
}
