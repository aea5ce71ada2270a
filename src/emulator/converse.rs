//! The emulator's Converse and ConverseStream answers: the request is checked as the service
//! checks it, then answered by a script chosen from the request itself.
//!
//! * A plain conversation: a text answer quoting the last user message, in as many deltas as
//!   the scenario's `chunks` (cut at `inferenceConfig.maxTokens` deltas, stop reason
//!   `max_tokens`).
//! * `toolConfig` with a `toolSpec`, last user message without `toolResult`: a short text, then
//!   a `toolUse` of the first tool with an input made from its JSON Schema (strings are
//!   `"Zürich"`, numbers `3`, booleans `true`), its JSON text split over several deltas (one
//!   split inside a `\u00fc` escape); stop reason `tool_use`.
//! * Last user message with `toolResult` blocks: a text answer quoting the tool results.
//! * `additionalModelRequestFields.thinking` or `.reasoning_config`: a reasoning block first
//!   (text deltas, then the signature in two deltas).
//! * `guardrailConfig.trace` `enabled` / `enabled_full`: a guardrail assessment in the trace.
//! * `additionalModelRequestFields.emulator`, an object of switches for tests:
//!   `"redacted_reasoning": true` (a `redactedContent` reasoning block),
//!   `"future": true` (an unknown event type after `messageStart`, an unknown delta member in
//!   the text block, an unknown top-level member in every event: `futureMessageStart`,
//!   `futureContentBlockStart`, `futureContentBlockDelta`, `futureContentBlockStop`,
//!   `futureMessageStop` (each `{"of": "<event type>"}`) and `futureMetadata`; in Converse, an
//!   unknown content block and an unknown response member).
//!
//! `metadata` carries the usage (with cache read/write tokens when the request has a
//! `cachePoint`), `metrics.latencyMs`, and the request's `performanceConfig` and `serviceTier`.
//! Every event payload carries a `p` padding member, as the service's do. The scenario's
//! faults count events as the chunks of InvokeModelWithResponseStream.

use base64::Engine as _;
use serde_json::{json, Value};

use super::{frames, models};
use crate::converse::{
    ContentBlock, ConverseRequest, GuardrailTrace, Role, Tool, ToolResultContentBlock,
};

/// The message the service sends when a conversation does not start with a user message.
const FIRST_MESSAGE: &str = "A conversation must start with a user message. Try again with a \
     conversation that starts with a user message.";

/// Parse and check a Converse / ConverseStream body (without `validate`, anything unreadable
/// counts as an empty request).
pub(crate) fn parse(body: &[u8], validate: bool) -> Result<ConverseRequest, String> {
    let request: ConverseRequest = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(_) if !validate => return Ok(ConverseRequest::default()),
        Err(e) => {
            return Err(format!(
                "Malformed input request: {e}, please reformat your input and try again."
            ))
        }
    };
    if validate {
        let first = request.messages.as_ref().and_then(|m| m.first());
        if first.is_none_or(|m| m.role != Role::User) {
            return Err(FIRST_MESSAGE.into());
        }
    }
    Ok(request)
}

enum Block {
    Reasoning {
        pieces: Vec<String>,
        signature: String,
    },
    Redacted(Vec<u8>),
    Text(Vec<String>),
    ToolUse {
        id: String,
        name: String,
        input: Value,
        fragments: Vec<String>,
    },
}

/// What the emulator answers to one request.
pub(crate) struct Plan {
    blocks: Vec<Block>,
    stop_reason: &'static str,
    input_tokens: u64,
    output_tokens: u64,
    cache_point: bool,
    guardrail: Option<String>,
    future: bool,
    response_fields: Option<Value>,
    performance_config: Option<Value>,
    service_tier: Option<Value>,
}

fn switch(req: &ConverseRequest, name: &str) -> bool {
    req.additional_model_request_fields
        .as_ref()
        .and_then(|f| f.get("emulator"))
        .and_then(|e| e.get(name))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn text_of(blocks: &[ContentBlock]) -> String {
    blocks
        .iter()
        .filter_map(|b| match b {
            ContentBlock::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A sample value for a JSON Schema.
fn sample(schema: &Value) -> Value {
    match schema.get("type").and_then(Value::as_str) {
        Some("object") | None => {
            let mut out = serde_json::Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, v) in props {
                    out.insert(k.clone(), sample(v));
                }
            }
            Value::Object(out)
        }
        Some("string") => json!("Zürich"),
        Some("integer") | Some("number") => json!(3),
        Some("boolean") => json!(true),
        Some("array") => json!([]),
        Some(_) => Value::Null,
    }
}

/// The JSON text of `v` with every non-ASCII character as a `\u` escape, split into fragments,
/// one cut falling inside the first escape.
fn fragments(v: &Value) -> Vec<String> {
    let mut text = String::new();
    for c in v.to_string().chars() {
        if c.is_ascii() {
            text.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                text.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    let mut cuts = vec![text.len() / 4, text.len() * 3 / 4];
    if let Some(p) = text.find("\\u") {
        cuts.push(p + 3);
    }
    cuts.retain(|&c| c > 0 && c < text.len());
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::new();
    let mut from = 0;
    for c in cuts {
        out.push(text[from..c].to_owned());
        from = c;
    }
    out.push(text[from..].to_owned());
    out
}

/// Choose the answer for a request.
pub(crate) fn plan(req: &ConverseRequest, chunks: usize) -> Plan {
    let messages = req.messages.as_deref().unwrap_or_default();
    let last_user = messages.iter().rev().find(|m| m.role == Role::User);
    let tool_results: Vec<String> = last_user
        .map(|m| {
            m.content
                .iter()
                .filter_map(|b| match b {
                    ContentBlock::ToolResult(r) => Some(
                        r.content
                            .iter()
                            .map(|c| match c {
                                ToolResultContentBlock::Text(t) => t.clone(),
                                ToolResultContentBlock::Json(j) => j.to_string(),
                                other => format!("<{}>", other.member_name()),
                            })
                            .collect::<Vec<_>>()
                            .join(" "),
                    ),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let tool = req.tool_config.as_ref().and_then(|t| {
        t.tools.iter().find_map(|tool| match tool {
            Tool::ToolSpec(s) => Some(s),
            _ => None,
        })
    });
    let fields = req.additional_model_request_fields.as_ref();
    let reasoning =
        fields.is_some_and(|f| f.get("thinking").is_some() || f.get("reasoning_config").is_some());

    let mut blocks = Vec::new();
    if switch(req, "redacted_reasoning") {
        blocks.push(Block::Redacted(
            b"\x00emulated redacted reasoning\xff".to_vec(),
        ));
    } else if reasoning {
        blocks.push(Block::Reasoning {
            pieces: models::split_pieces("The user wants an answer; I will give one.", 3),
            signature: "RW11bGF0ZWQgc2lnbmF0dXJl".into(),
        });
    }
    let mut stop_reason = "end_turn";
    let text = match (tool, tool_results.is_empty()) {
        (Some(spec), true) => {
            let input = match &spec.input_schema {
                crate::converse::ToolInputSchema::Json(schema) => sample(schema),
                _ => json!({}),
            };
            stop_reason = "tool_use";
            blocks.push(Block::Text(vec![format!("Let me call {}.", spec.name)]));
            blocks.push(Block::ToolUse {
                id: format!("tooluse_{}", &models::uuid()[..8]),
                name: spec.name.clone(),
                fragments: fragments(&input),
                input,
            });
            None
        }
        (_, false) => Some(format!(
            "The tool answered: {}. 你好，世界！ 🦀",
            tool_results.join("; ")
        )),
        (None, true) => Some(models::reply_text(
            &last_user.map(|m| text_of(&m.content)).unwrap_or_default(),
        )),
    };
    if let Some(text) = text {
        let mut pieces = models::split_pieces(&text, chunks);
        let max = req.inference_config.as_ref().and_then(|c| c.max_tokens);
        if let Some(max) = max.map(|m| m.max(1) as usize) {
            if pieces.len() > max {
                pieces.truncate(max);
                stop_reason = "max_tokens";
            }
        }
        blocks.push(Block::Text(pieces));
    }
    let request_text: usize = messages
        .iter()
        .map(|m| text_of(&m.content).len())
        .sum::<usize>()
        + req
            .system
            .iter()
            .flatten()
            .map(|s| serde_json::to_string(s).map_or(0, |t| t.len()))
            .sum::<usize>();
    let output_tokens = blocks
        .iter()
        .map(|b| match b {
            Block::Reasoning { pieces, .. } | Block::Text(pieces) => pieces.len() as u64,
            Block::Redacted(_) => 1,
            Block::ToolUse { fragments, .. } => fragments.len() as u64,
        })
        .sum();
    let cache_point = serde_json::to_string(req).is_ok_and(|t| t.contains("\"cachePoint\""));
    let guardrail = req.guardrail_config.as_ref().and_then(|g| {
        matches!(
            g.trace,
            Some(GuardrailTrace::Enabled) | Some(GuardrailTrace::EnabledFull)
        )
        .then(|| g.guardrail_identifier.clone().unwrap_or_default())
    });
    let response_fields = req
        .additional_model_response_field_paths
        .as_ref()
        .map(|paths| {
            let mut out = serde_json::Map::new();
            for p in paths {
                let key = p.trim_start_matches('/').to_owned();
                out.insert(key, json!("emulated"));
            }
            Value::Object(out)
        });
    Plan {
        blocks,
        stop_reason,
        input_tokens: (request_text as u64 / 4).max(1),
        output_tokens,
        cache_point,
        guardrail,
        future: switch(req, "future"),
        response_fields,
        performance_config: req
            .performance_config
            .as_ref()
            .and_then(|p| serde_json::to_value(p).ok()),
        service_tier: req
            .service_tier
            .as_ref()
            .and_then(|s| serde_json::to_value(s).ok()),
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn usage(plan: &Plan) -> Value {
    let mut u = json!({
        "inputTokens": plan.input_tokens,
        "outputTokens": plan.output_tokens,
        "totalTokens": plan.input_tokens + plan.output_tokens,
    });
    if plan.cache_point {
        u["cacheReadInputTokens"] = json!(0);
        u["cacheWriteInputTokens"] = json!(plan.input_tokens);
    }
    u
}

fn guardrail_trace(id: &str, characters: u64) -> Value {
    let assessment = json!({
        "contentPolicy": {"filters": [{"type": "VIOLENCE", "confidence": "NONE",
            "filterStrength": "HIGH", "action": "NONE", "detected": false}]},
        "invocationMetrics": {
            "guardrailProcessingLatency": 12,
            "usage": {"topicPolicyUnits": 0, "contentPolicyUnits": 1, "wordPolicyUnits": 0,
                "sensitiveInformationPolicyUnits": 0, "sensitiveInformationPolicyFreeUnits": 0,
                "contextualGroundingPolicyUnits": 0},
            "guardrailCoverage": {"textCharacters": {"guarded": characters, "total": characters}}
        }
    });
    json!({
        "guardrail": {
            "inputAssessment": {id: assessment.clone()},
            "outputAssessments": {id: [assessment]},
            "actionReason": "No action."
        }
    })
}

/// The optional members shared by `metadata` and `ConverseResponse`.
fn add_tail(out: &mut Value, plan: &Plan) {
    if let Some(id) = &plan.guardrail {
        out["trace"] = guardrail_trace(id, plan.input_tokens * 4);
    }
    if let Some(p) = &plan.performance_config {
        out["performanceConfig"] = p.clone();
    }
    if let Some(s) = &plan.service_tier {
        out["serviceTier"] = s.clone();
    }
}

/// The events of the stream, in order, as (`:event-type`, payload). The `metadata` event is
/// last; its `metrics.latencyMs` is set when it is sent.
pub(crate) fn events(plan: &Plan) -> Vec<(&'static str, Value)> {
    let mut out = vec![("messageStart", json!({"role": "assistant"}))];
    if plan.future {
        out.push((
            "futureEvent",
            json!({"note": "an event type this client does not know yet"}),
        ));
    }
    for (i, block) in plan.blocks.iter().enumerate() {
        let delta = |d: Value| {
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": i, "delta": d}),
            )
        };
        match block {
            Block::Reasoning { pieces, signature } => {
                for p in pieces {
                    out.push(delta(json!({"reasoningContent": {"text": p}})));
                }
                let (a, b) = signature.split_at(signature.len() / 2);
                for s in [a, b] {
                    out.push(delta(json!({"reasoningContent": {"signature": s}})));
                }
            }
            Block::Redacted(bytes) => {
                out.push(delta(
                    json!({"reasoningContent": {"redactedContent": b64(bytes)}}),
                ));
            }
            Block::Text(pieces) => {
                for (k, p) in pieces.iter().enumerate() {
                    out.push(delta(json!({"text": p})));
                    if plan.future && k == 0 {
                        out.push(delta(json!({"futureDelta": {"hint": "kept as unknown"}})));
                    }
                }
            }
            Block::ToolUse {
                id,
                name,
                fragments,
                ..
            } => {
                out.push((
                    "contentBlockStart",
                    json!({"contentBlockIndex": i, "start": {"toolUse": {"toolUseId": id, "name": name}}}),
                ));
                for f in fragments {
                    out.push(delta(json!({"toolUse": {"input": f}})));
                }
            }
        }
        out.push(("contentBlockStop", json!({"contentBlockIndex": i})));
    }
    let mut stop = json!({"stopReason": plan.stop_reason});
    if let Some(f) = &plan.response_fields {
        stop["additionalModelResponseFields"] = f.clone();
    }
    out.push(("messageStop", stop));
    let mut meta = json!({"usage": usage(plan), "metrics": {"latencyMs": 0}});
    add_tail(&mut meta, plan);
    if plan.future {
        meta["futureMetadata"] = json!({"carbonGrams": 1});
    }
    out.push(("metadata", meta));
    if plan.future {
        for (t, payload) in &mut out {
            if let Some(name) = future_member(t) {
                payload[name] = json!({"of": t});
            }
        }
    }
    out
}

/// The unknown top-level member the `future` script adds to each event type (`metadata` has
/// `futureMetadata` already; the unknown event type none).
fn future_member(event_type: &str) -> Option<&'static str> {
    Some(match event_type {
        "messageStart" => "futureMessageStart",
        "contentBlockStart" => "futureContentBlockStart",
        "contentBlockDelta" => "futureContentBlockDelta",
        "contentBlockStop" => "futureContentBlockStop",
        "messageStop" => "futureMessageStop",
        _ => return None,
    })
}

/// The bulk workload of ConverseStream (`emulator-fault:bulk:chunks=N:size=BYTES`): the
/// `messageStart` frame, one `contentBlockDelta` text frame of `size` bytes (or the smallest
/// possible) to be sent `frames` times, and the tail (`contentBlockStop`, `messageStop`,
/// `metadata` with the usage and the stream's latency).
pub(crate) fn bulk(
    plan: &Plan,
    frames: u64,
    size: usize,
) -> (
    Vec<u8>,
    Vec<u8>,
    impl FnOnce(models::Latency) -> Vec<Vec<u8>>,
) {
    const FILLER: &str = "The quick brown fox jumps over the lazy dog. ";
    let delta = |n: usize| {
        let text: String = FILLER.chars().cycle().take(n).collect();
        let payload = json!({"contentBlockIndex": 0, "delta": {"text": text}});
        frames::event_frame("contentBlockDelta", payload.to_string().as_bytes())
    };
    // The text is ASCII without escapes: one more character, one more byte.
    let delta = delta(size.saturating_sub(delta(0).len()));
    let head = event_frame("messageStart", &json!({"role": "assistant"}), 0);
    let input_tokens = plan.input_tokens;
    let tail = move |lat: models::Latency| {
        let usage = json!({"inputTokens": input_tokens, "outputTokens": frames,
                           "totalTokens": input_tokens + frames});
        vec![
            event_frame("contentBlockStop", &json!({"contentBlockIndex": 0}), 1),
            event_frame("messageStop", &json!({"stopReason": "end_turn"}), 2),
            event_frame(
                "metadata",
                &json!({"usage": usage, "metrics": {"latencyMs": lat.invocation_ms}}),
                3,
            ),
        ]
    };
    (head, delta, tail)
}

/// One event frame, with a `p` padding member whose length varies with `index`.
pub(crate) fn event_frame(event_type: &str, payload: &Value, index: usize) -> Vec<u8> {
    let mut payload = payload.clone();
    payload["p"] = json!(frames::padding((index * 7 + 3) % 56 + 1));
    frames::event_frame(event_type, payload.to_string().as_bytes())
}

/// The `ConverseResponse` JSON of the same answer.
pub(crate) fn response(plan: &Plan, latency_ms: u64) -> Value {
    let mut content: Vec<Value> = plan
        .blocks
        .iter()
        .map(|b| match b {
            Block::Reasoning { pieces, signature } => json!({"reasoningContent": {"reasoningText":
                {"text": pieces.concat(), "signature": signature}}}),
            Block::Redacted(bytes) => json!({"reasoningContent": {"redactedContent": b64(bytes)}}),
            Block::Text(pieces) => json!({"text": pieces.concat()}),
            Block::ToolUse {
                id, name, input, ..
            } => {
                json!({"toolUse": {"toolUseId": id, "name": name, "input": input}})
            }
        })
        .collect();
    if plan.future {
        content.push(json!({"futureBlock": {"hint": "kept as unknown"}}));
    }
    let mut out = json!({
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": plan.stop_reason,
        "usage": usage(plan),
        "metrics": {"latencyMs": latency_ms},
    });
    if let Some(f) = &plan.response_fields {
        out["additionalModelResponseFields"] = f.clone();
    }
    add_tail(&mut out, plan);
    if plan.future {
        out["futureMember"] = json!({"x": 1});
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_input_fragments_split_inside_an_escape_and_rejoin() {
        let v = json!({"city": "Zürich 🦀", "n": 3});
        let f = fragments(&v);
        assert!(f.len() >= 3, "{f:?}");
        assert!(f.iter().any(|p| p.ends_with("\\u0")), "{f:?}");
        let joined: Value = serde_json::from_str(&f.concat()).unwrap();
        assert_eq!(joined, v);
        assert!(f.concat().is_ascii());
    }

    #[test]
    fn requests_are_checked_like_the_service() {
        assert!(parse(
            br#"{"messages":[{"role":"assistant","content":[{"text":"x"}]}]}"#,
            true
        )
        .unwrap_err()
        .contains("start with a user message"));
        assert!(parse(b"{}", true).is_err());
        assert!(parse(br#"{"modelId":"x","messages":[]}"#, true).is_err());
        assert!(parse(b"nonsense", false).is_ok());
    }
}
