//! Model families: detection from the model id, request validation, and the chunk documents
//! each family streams (the shapes the real models send).

use serde_json::{json, Map, Value};

use crate::extract::PROVIDERS;

/// The model families: the one table of the crate, [`crate::extract::ModelFamily`]. The
/// emulator answers every family except [`Unknown`](ModelFamily::Unknown) in its own format
/// ([`families`]); `Unknown` (a model id that does not reveal its family, with no family forced)
/// is answered in Claude's format, the default. Each `match` on it here is exhaustive, so a
/// family added to `extract` does not build until the emulator serves it.
pub use crate::extract::ModelFamily;

/// Every family the emulator answers in its own format: all of [`ModelFamily::ALL`] except
/// [`Unknown`](ModelFamily::Unknown).
pub fn families() -> impl Iterator<Item = ModelFamily> {
    ModelFamily::ALL
        .into_iter()
        .filter(|f| *f != ModelFamily::Unknown)
}

/// The name scenario specs use for a family (`family=claude`), besides its stable name.
pub(crate) fn spec_name(family: ModelFamily) -> &'static str {
    match family {
        ModelFamily::AnthropicClaude => "claude",
        ModelFamily::AmazonTitanText => "titan",
        ModelFamily::AmazonNova => "nova",
        ModelFamily::MetaLlama => "llama",
        ModelFamily::MistralText => "mistral",
        ModelFamily::MistralChat => "mistral-chat",
        ModelFamily::Cohere => "cohere",
        ModelFamily::Ai21Jamba => "jamba",
        ModelFamily::DeepSeek => "deepseek",
        ModelFamily::OpenAiGptOss => "gpt-oss",
        ModelFamily::Unknown => "unknown",
    }
}

/// A served family by its spec name (`claude`, …) or stable name (`anthropic-claude`, …).
pub(crate) fn parse_family(name: &str) -> Result<ModelFamily, String> {
    families()
        .find(|f| spec_name(*f).eq_ignore_ascii_case(name))
        .or_else(|| name.parse().ok().filter(|f| *f != ModelFamily::Unknown))
        .ok_or_else(|| {
            let names: Vec<&str> = families().map(spec_name).collect();
            format!(
                "unknown model family {name:?} (known: {})",
                names.join(", ")
            )
        })
}

/// The family a request is answered in: the one forced, else the one the model id reveals,
/// else the default.
pub(crate) fn answer_family(
    forced: Option<ModelFamily>,
    model_id: &str,
    default: ModelFamily,
) -> ModelFamily {
    forced
        .filter(|f| *f != ModelFamily::Unknown)
        .or_else(|| {
            Some(ModelFamily::from_model_id(model_id)).filter(|f| *f != ModelFamily::Unknown)
        })
        .unwrap_or(default)
}

/// Emulator helpers on the crate's family table.
impl ModelFamily {
    /// A model id of this family (for demos and tests). For
    /// [`Unknown`](ModelFamily::Unknown): an application inference profile ARN, which names no
    /// family (the emulator answers it in its default family's format).
    pub fn example_model_id(self) -> &'static str {
        match self {
            ModelFamily::AnthropicClaude => "anthropic.claude-3-5-haiku-20241022-v1:0",
            ModelFamily::AmazonTitanText => "amazon.titan-text-express-v1",
            ModelFamily::AmazonNova => "amazon.nova-lite-v1:0",
            ModelFamily::MetaLlama => "meta.llama3-8b-instruct-v1:0",
            ModelFamily::MistralText => "mistral.mistral-7b-instruct-v0:2",
            ModelFamily::MistralChat => "mistral.mistral-large-2407-v1:0",
            ModelFamily::Cohere => "cohere.command-r-v1:0",
            ModelFamily::Ai21Jamba => "ai21.jamba-1-5-mini-v1:0",
            ModelFamily::DeepSeek => "us.deepseek.r1-v1:0",
            ModelFamily::OpenAiGptOss => "openai.gpt-oss-20b-1:0",
            ModelFamily::Unknown => {
                "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/emulator"
            }
        }
    }

    /// A minimal valid request body of this family with `prompt` as the user's text
    /// ([`Unknown`](ModelFamily::Unknown): Claude's, the emulator's default format).
    pub fn example_body(self, prompt: &str) -> Vec<u8> {
        let v = match self {
            ModelFamily::AnthropicClaude | ModelFamily::Unknown => {
                json!({"anthropic_version":"bedrock-2023-05-31","max_tokens":256,
                "messages":[{"role":"user","content":prompt}]})
            }
            ModelFamily::AmazonTitanText => json!({"inputText": prompt,
                "textGenerationConfig":{"maxTokenCount":256}}),
            ModelFamily::AmazonNova => {
                json!({"messages":[{"role":"user","content":[{"text":prompt}]}],
                "inferenceConfig":{"maxTokens":256}})
            }
            ModelFamily::MetaLlama => json!({"prompt": format!(
                "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{prompt}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"),
                "max_gen_len":256}),
            ModelFamily::MistralText => {
                json!({"prompt": format!("<s>[INST] {prompt} [/INST]"), "max_tokens":256})
            }
            ModelFamily::DeepSeek => {
                json!({"prompt": format!("<｜begin▁of▁sentence｜><｜User｜>{prompt}<｜Assistant｜><think>\n"), "max_tokens":256})
            }
            ModelFamily::Cohere => json!({"message": prompt, "max_tokens":256}),
            ModelFamily::MistralChat | ModelFamily::Ai21Jamba => {
                json!({"messages":[{"role":"user","content":prompt}],"max_tokens":256})
            }
            ModelFamily::OpenAiGptOss => {
                json!({"messages":[{"role":"user","content":prompt}],"max_completion_tokens":256})
            }
        };
        v.to_string().into_bytes()
    }
}

/// A validation failure: the `ValidationException` message.
pub(crate) fn validate(family: ModelFamily, body: &Value) -> Result<(), String> {
    let Some(obj) = body.as_object() else {
        return Err("Malformed input request: #: expected type: JSONObject, found: JSONArray, please reformat your input and try again.".into());
    };
    let required: &[&str] = match family {
        ModelFamily::AnthropicClaude | ModelFamily::Unknown => {
            &["anthropic_version", "max_tokens", "messages"]
        }
        ModelFamily::AmazonTitanText => &["inputText"],
        ModelFamily::AmazonNova
        | ModelFamily::MistralChat
        | ModelFamily::Ai21Jamba
        | ModelFamily::OpenAiGptOss => &["messages"],
        ModelFamily::MetaLlama | ModelFamily::MistralText | ModelFamily::DeepSeek => &["prompt"],
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
        ModelFamily::AnthropicClaude
        | ModelFamily::Unknown
        | ModelFamily::AmazonNova
        | ModelFamily::MistralChat
        | ModelFamily::Ai21Jamba
        | ModelFamily::OpenAiGptOss => last_user_message(body),
        ModelFamily::AmazonTitanText => body
            .get("inputText")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        ModelFamily::MetaLlama | ModelFamily::MistralText | ModelFamily::DeepSeek => body
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
        ModelFamily::AmazonTitanText => get(&["textGenerationConfig", "maxTokenCount"]),
        ModelFamily::AmazonNova => get(&["inferenceConfig", "maxTokens"])
            .or_else(|| get(&["inferenceConfig", "max_new_tokens"])),
        ModelFamily::MetaLlama => get(&["max_gen_len"]),
        ModelFamily::OpenAiGptOss => {
            get(&["max_completion_tokens"]).or_else(|| get(&["max_tokens"]))
        }
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
        ModelFamily::AnthropicClaude | ModelFamily::Unknown => {
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
        ModelFamily::AmazonTitanText => {
            let reason = if a.hit_limit { "LENGTH" } else { "FINISH" };
            for (i, p) in a.pieces.iter().enumerate() {
                let last = i + 1 == n;
                docs.push(json!({"outputText":p,"index":0,
                    "totalOutputTextTokenCount": if last { json!(out) } else { Value::Null },
                    "completionReason": if last { json!(reason) } else { Value::Null },
                    "inputTextTokenCount": if i == 0 { json!(inp) } else { Value::Null }}));
            }
        }
        ModelFamily::AmazonNova => {
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
        ModelFamily::MetaLlama => {
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
        ModelFamily::Ai21Jamba => {
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
        ModelFamily::OpenAiGptOss => {
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
        ModelFamily::AnthropicClaude | ModelFamily::Unknown => {
            json!({"id": format!("msg_bdrk_{}", random_id(24)),"type":"message",
            "role":"assistant","model":short_model_name(&a.model_id),
            "content":[{"type":"text","text":text}],
            "stop_reason": if limit {"max_tokens"} else {"end_turn"},"stop_sequence":null,
            "usage":{"input_tokens":inp,"output_tokens":out}})
        }
        ModelFamily::AmazonTitanText => {
            json!({"inputTextTokenCount":inp,"results":[{"tokenCount":out,
            "outputText":text,"completionReason": if limit {"LENGTH"} else {"FINISH"}}]})
        }
        ModelFamily::AmazonNova => {
            json!({"output":{"message":{"role":"assistant","content":[{"text":text}]}},
            "stopReason": if limit {"max_tokens"} else {"end_turn"},
            "usage":{"inputTokens":inp,"outputTokens":out,"totalTokens":inp + out}})
        }
        ModelFamily::MetaLlama => json!({"generation":text,"prompt_token_count":inp,
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
        ModelFamily::MistralChat | ModelFamily::Ai21Jamba | ModelFamily::OpenAiGptOss => {
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
                "model": if a.family == ModelFamily::OpenAiGptOss { a.model_id.clone() } else { short_model_name(&a.model_id) },
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
        ModelFamily::AnthropicClaude | ModelFamily::Unknown => (doc["type"]
            == "content_block_delta")
            .then(|| s(&doc["delta"]["text"]))
            .flatten(),
        ModelFamily::AmazonTitanText => s(&doc["outputText"]),
        ModelFamily::AmazonNova => s(&doc["contentBlockDelta"]["delta"]["text"]),
        ModelFamily::MetaLlama => s(&doc["generation"]),
        ModelFamily::MistralText => s(&doc["outputs"][0]["text"]),
        ModelFamily::MistralChat => s(&doc["choices"][0]["message"]["content"]),
        ModelFamily::Cohere => (doc["event_type"] == "text-generation")
            .then(|| s(&doc["text"]))
            .flatten(),
        ModelFamily::Ai21Jamba | ModelFamily::OpenAiGptOss => {
            s(&doc["choices"][0]["delta"]["content"])
        }
        ModelFamily::DeepSeek => s(&doc["choices"][0]["text"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_detection() {
        let cases = [
            ("anthropic.claude-3-5-haiku-20241022-v1:0", ModelFamily::AnthropicClaude),
            ("us.anthropic.claude-sonnet-4-20250514-v1:0", ModelFamily::AnthropicClaude),
            ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", ModelFamily::AnthropicClaude),
            ("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0", ModelFamily::AnthropicClaude),
            ("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0", ModelFamily::AmazonNova),
            ("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6", ModelFamily::Unknown),
            ("amazon.titan-text-express-v1", ModelFamily::AmazonTitanText),
            ("amazon.titan-embed-text-v2:0", ModelFamily::Unknown),
            ("us.amazon.nova-premier-v1:0", ModelFamily::AmazonNova),
            ("us.meta.llama3-2-11b-instruct-v1:0", ModelFamily::MetaLlama),
            ("mistral.mistral-7b-instruct-v0:2", ModelFamily::MistralText),
            ("mistral.mistral-large-2402-v1:0", ModelFamily::MistralText),
            ("mistral.mistral-large-2407-v1:0", ModelFamily::MistralChat),
            ("us.mistral.pixtral-large-2502-v1:0", ModelFamily::MistralChat),
            ("cohere.command-r-plus-v1:0", ModelFamily::Cohere),
            ("ai21.jamba-1-5-large-v1:0", ModelFamily::Ai21Jamba),
            ("us.deepseek.r1-v1:0", ModelFamily::DeepSeek),
            ("openai.gpt-oss-120b-1:0", ModelFamily::OpenAiGptOss),
            ("modèle espace", ModelFamily::Unknown),
            ("", ModelFamily::Unknown),
        ];
        for (id, want) in cases {
            assert_eq!(ModelFamily::from_model_id(id), want, "{id}");
        }
        for f in families() {
            assert_eq!(ModelFamily::from_model_id(f.example_model_id()), f);
            assert_eq!(parse_family(spec_name(f)), Ok(f));
            assert_eq!(parse_family(f.as_str()), Ok(f));
        }
        assert_eq!(
            ModelFamily::from_model_id(ModelFamily::Unknown.example_model_id()),
            ModelFamily::Unknown
        );
        assert!(parse_family("gpt-5").is_err());
        assert!(parse_family("unknown").is_err());
    }

    #[test]
    fn prompts_are_extracted_from_every_family_body() {
        for f in families() {
            let body: Value = serde_json::from_slice(&f.example_body("What is 2+2?")).unwrap();
            validate(f, &body).unwrap();
            assert_eq!(prompt_of(f, &body), "What is 2+2?", "{f}");
        }
        let blocks = json!({"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image"},{"type":"text","text":"b"}]},
            {"role":"assistant","content":"x"}]});
        assert_eq!(prompt_of(ModelFamily::AnthropicClaude, &blocks), "a b");
        let titan = json!({"inputText":"User: hi there\nBot:"});
        assert_eq!(prompt_of(ModelFamily::AmazonTitanText, &titan), "hi there");
    }

    #[test]
    fn validation_names_the_missing_keys() {
        let e = validate(ModelFamily::AnthropicClaude, &json!({"messages":[]})).unwrap_err();
        assert!(
            e.contains("[anthropic_version]") && e.contains("[max_tokens]"),
            "{e}"
        );
        assert!(!e.contains("[messages]"));
        assert!(validate(ModelFamily::AmazonTitanText, &json!([1])).is_err());
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
        for f in families() {
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
                ModelFamily::AnthropicClaude => vec![
                    format!("\"input_tokens\":{inp}"),
                    format!("\"output_tokens\":{out}"),
                ],
                ModelFamily::AmazonTitanText => vec![
                    format!("\"inputTextTokenCount\":{inp}"),
                    format!("\"totalOutputTextTokenCount\":{out}"),
                ],
                ModelFamily::AmazonNova => vec![
                    format!("\"inputTokens\":{inp}"),
                    format!("\"outputTokens\":{out}"),
                ],
                ModelFamily::MetaLlama => vec![
                    format!("\"prompt_token_count\":{inp}"),
                    format!("\"generation_token_count\":{out},\"prompt_token_count\":null"),
                ],
                ModelFamily::Cohere => vec![
                    format!("\"input_tokens\":{inp}"),
                    format!("\"output_tokens\":{out}"),
                ],
                ModelFamily::MistralChat | ModelFamily::Ai21Jamba | ModelFamily::OpenAiGptOss => {
                    vec![
                        format!("\"prompt_tokens\":{inp}"),
                        format!("\"completion_tokens\":{out}"),
                    ]
                }
                ModelFamily::MistralText | ModelFamily::DeepSeek => vec![],
                ModelFamily::Unknown => unreachable!("not in families()"),
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
        let a = plan(
            ModelFamily::AnthropicClaude,
            "anthropic.claude-v2",
            &body,
            8,
        );
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
