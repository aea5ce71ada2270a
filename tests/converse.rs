//! Converse and ConverseStream: the typed request checked member by member against the service
//! model (tests/data/bedrock-runtime.service-2.json), the JSON-text request, the events of
//! every type and delta kind (unknown ones kept), every stream exception, and the message
//! accumulator.

use std::collections::BTreeSet;

use base64::Engine as _;
use bedrock_stream::converse::*;
use bedrock_stream::eventstream::{Decoder, Header, Message as Frame};
use bedrock_stream::ErrorKind;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// The service model walker
// ---------------------------------------------------------------------------------------------

fn model() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/bedrock-runtime.service-2.json"
    );
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Every (structure, member) pair reachable from `root`, except members bound to the URI or
/// headers (`modelId`).
fn reachable(model: &Value, root: &str) -> BTreeSet<(String, String)> {
    fn walk(
        shapes: &Value,
        name: &str,
        seen: &mut BTreeSet<String>,
        out: &mut BTreeSet<(String, String)>,
    ) {
        if !seen.insert(name.to_owned()) {
            return;
        }
        let s = &shapes[name];
        if let Some(members) = s["members"].as_object() {
            for (m, def) in members {
                if def.get("location").is_some() {
                    continue;
                }
                out.insert((name.to_owned(), m.clone()));
                walk(shapes, def["shape"].as_str().unwrap(), seen, out);
            }
        }
        for k in ["member", "key", "value"] {
            if let Some(t) = s[k]["shape"].as_str() {
                walk(shapes, t, seen, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&model["shapes"], root, &mut BTreeSet::new(), &mut out);
    out
}

/// Check `v` against shape `name`: member names, JSON types, required members, unions with
/// exactly one member, enum values, base64 blobs, integers as integers. Records the
/// (structure, member) pairs seen.
fn check(
    model: &Value,
    name: &str,
    v: &Value,
    path: &str,
    seen: &mut BTreeSet<(String, String)>,
) -> Result<(), String> {
    let s = &model["shapes"][name];
    let fail = |what: &str| Err(format!("{path}: {what} (shape {name}, value {v})"));
    match s["type"].as_str().unwrap() {
        "structure" if s["document"] == true => Ok(()),
        "structure" => {
            let Some(obj) = v.as_object() else {
                return fail("expected an object");
            };
            let members = s["members"].as_object().unwrap();
            if s["union"] == true && obj.len() != 1 {
                return fail("a union must carry exactly one member");
            }
            for req in s["required"].as_array().into_iter().flatten() {
                let req = req.as_str().unwrap();
                if members[req].get("location").is_none() && !obj.contains_key(req) {
                    return fail(&format!("required member {req} missing"));
                }
            }
            for (k, val) in obj {
                let Some(def) = members.get(k) else {
                    return fail(&format!("{k} is not a member"));
                };
                if def.get("location").is_some() {
                    return fail(&format!("{k} is bound to the URI/headers, not the body"));
                }
                if val.is_null() {
                    return fail(&format!("{k} is null; unset members must be omitted"));
                }
                seen.insert((name.to_owned(), k.clone()));
                check(
                    model,
                    def["shape"].as_str().unwrap(),
                    val,
                    &format!("{path}.{k}"),
                    seen,
                )?;
            }
            Ok(())
        }
        "list" => {
            let Some(items) = v.as_array() else {
                return fail("expected an array");
            };
            let member = s["member"]["shape"].as_str().unwrap();
            for (i, item) in items.iter().enumerate() {
                check(model, member, item, &format!("{path}[{i}]"), seen)?;
            }
            Ok(())
        }
        "map" => {
            let Some(obj) = v.as_object() else {
                return fail("expected an object (map)");
            };
            let value = s["value"]["shape"].as_str().unwrap();
            for (k, item) in obj {
                check(model, value, item, &format!("{path}[{k:?}]"), seen)?;
            }
            Ok(())
        }
        "string" => match (v.as_str(), s["enum"].as_array()) {
            (None, _) => fail("expected a string"),
            (Some(x), Some(values)) if !values.iter().any(|e| e == x) => {
                fail("not a value of the enum")
            }
            _ => Ok(()),
        },
        "blob" => match v.as_str() {
            Some(b) if base64::engine::general_purpose::STANDARD.decode(b).is_ok() => Ok(()),
            _ => fail("expected a base64 string"),
        },
        "boolean" => v
            .as_bool()
            .map(|_| ())
            .ok_or(())
            .or_else(|_| fail("expected a boolean")),
        "integer" | "long" => {
            if v.is_i64() || v.is_u64() {
                Ok(())
            } else {
                fail("expected an integer (no fraction, no exponent)")
            }
        }
        "float" | "double" => {
            if v.is_number() {
                Ok(())
            } else {
                fail("expected a number")
            }
        }
        other => fail(&format!("unexpected shape type {other}")),
    }
}

// ---------------------------------------------------------------------------------------------
// A request with every member of ConverseStreamRequest set somewhere
// ---------------------------------------------------------------------------------------------

fn s3(uri: &str) -> S3Location {
    S3Location {
        uri: uri.into(),
        bucket_owner: Some("111122223333".into()),
    }
}

fn search_result() -> SearchResultBlock {
    SearchResultBlock {
        source: "https://example.com/a".into(),
        title: "A".into(),
        content: vec![SearchResultContentBlock {
            text: "alpha".into(),
        }],
        citations: Some(CitationsConfig { enabled: true }),
    }
}

fn every_content_block() -> Vec<ContentBlock> {
    let image = |source| ImageBlock {
        format: ImageFormat::Png,
        source,
        error: Some(ErrorBlock {
            message: Some("x".into()),
        }),
    };
    let doc = |source, format| DocumentBlock {
        format,
        name: "doc".into(),
        source,
        context: Some("ctx".into()),
        citations: Some(CitationsConfig { enabled: false }),
    };
    let location = DocumentLocation {
        document_index: Some(0),
        start: Some(1),
        end: Some(2),
    };
    let tool = ToolReference {
        r#type: Some("mcp".into()),
        name: Some("t".into()),
        server_name: Some("srv".into()),
    };
    vec![
        ContentBlock::Text("hello".into()),
        ContentBlock::Image(image(ImageSource::Bytes(Blob(vec![
            0x89, b'P', b'N', b'G',
        ])))),
        ContentBlock::Image(image(ImageSource::S3Location(s3("s3://bucket/a.png")))),
        ContentBlock::Document(doc(
            DocumentSource::Bytes(Blob(b"%PDF".to_vec())),
            Some(DocumentFormat::Pdf),
        )),
        ContentBlock::Document(doc(
            DocumentSource::S3Location(s3("s3://bucket/a.pdf")),
            None,
        )),
        ContentBlock::Document(doc(
            DocumentSource::Text("plain".into()),
            Some(DocumentFormat::Txt),
        )),
        ContentBlock::Document(doc(
            DocumentSource::Content(vec![DocumentContentBlock::Text("part".into())]),
            Some(DocumentFormat::Md),
        )),
        ContentBlock::Video(VideoBlock {
            format: VideoFormat::ThreeGp,
            source: VideoSource::Bytes(Blob(vec![1, 2, 3])),
        }),
        ContentBlock::Video(VideoBlock {
            format: VideoFormat::Mp4,
            source: VideoSource::S3Location(s3("s3://bucket/v.mp4")),
        }),
        ContentBlock::Audio(AudioBlock {
            format: AudioFormat::XAac,
            source: AudioSource::Bytes(Blob(vec![4, 5])),
            error: Some(ErrorBlock::default()),
        }),
        ContentBlock::Audio(AudioBlock {
            format: AudioFormat::Wav,
            source: AudioSource::S3Location(s3("s3://bucket/a.wav")),
            error: None,
        }),
        ContentBlock::ToolUse(ToolUseBlock {
            tool_use_id: "tooluse_1".into(),
            name: "get_weather".into(),
            input: json!({"city": "Paris", "days": 250}),
            r#type: Some(ToolUseType::ServerToolUse),
        }),
        ContentBlock::ToolResult(ToolResultBlock {
            tool_use_id: "tooluse_1".into(),
            content: vec![
                ToolResultContentBlock::Json(json!({"temp": 21})),
                ToolResultContentBlock::Text("sunny".into()),
                ToolResultContentBlock::Image(ImageBlock::bytes(ImageFormat::Jpeg, vec![1])),
                ToolResultContentBlock::Document(DocumentBlock::bytes(
                    DocumentFormat::Csv,
                    "t",
                    b"a,b".to_vec(),
                )),
                ToolResultContentBlock::Video(VideoBlock {
                    format: VideoFormat::Webm,
                    source: VideoSource::Bytes(Blob(vec![9])),
                }),
                ToolResultContentBlock::SearchResult(search_result()),
            ],
            status: Some(ToolResultStatus::Error),
            r#type: Some("tool_result".into()),
        }),
        ContentBlock::GuardContent(GuardrailConverseContentBlock::Text(
            GuardrailConverseTextBlock {
                text: "check me".into(),
                qualifiers: Some(vec![
                    GuardrailConverseContentQualifier::GroundingSource,
                    GuardrailConverseContentQualifier::Query,
                    GuardrailConverseContentQualifier::GuardContent,
                ]),
            },
        )),
        ContentBlock::GuardContent(GuardrailConverseContentBlock::Image(
            GuardrailConverseImageBlock {
                format: GuardrailConverseImageFormat::Jpeg,
                source: GuardrailConverseImageSource::Bytes(Blob(vec![0xff, 0xd8])),
            },
        )),
        ContentBlock::CachePoint(CachePointBlock {
            r#type: CachePointType::Default,
            ttl: Some(CacheTtl::OneHour),
        }),
        ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(ReasoningTextBlock {
            text: "private-chain".into(),
            signature: Some("sig-secret".into()),
        })),
        ContentBlock::ReasoningContent(ReasoningContentBlock::RedactedContent(Blob(vec![7; 5]))),
        ContentBlock::CitationsContent(CitationsContentBlock {
            content: Some(vec![CitationGeneratedContent::Text("cited".into())]),
            citations: Some(vec![
                Citation {
                    title: Some("T".into()),
                    source: Some("S".into()),
                    source_content: Some(vec![CitationSourceContent::Text("src".into())]),
                    location: Some(CitationLocation::Web(WebLocation {
                        url: Some("https://example.com".into()),
                        domain: Some("example.com".into()),
                    })),
                },
                Citation {
                    location: Some(CitationLocation::DocumentChar(location.clone())),
                    ..Citation::default()
                },
                Citation {
                    location: Some(CitationLocation::DocumentPage(location.clone())),
                    ..Citation::default()
                },
                Citation {
                    location: Some(CitationLocation::DocumentChunk(location)),
                    ..Citation::default()
                },
                Citation {
                    location: Some(CitationLocation::SearchResultLocation(
                        SearchResultLocation {
                            search_result_index: Some(0),
                            start: Some(0),
                            end: Some(3),
                        },
                    )),
                    ..Citation::default()
                },
            ]),
        }),
        ContentBlock::SearchResult(search_result()),
        ContentBlock::ToolAddition(ToolAdditionBlock { tool: tool.clone() }),
        ContentBlock::ToolRemoval(ToolRemovalBlock { tool }),
    ]
}

fn full_request(choice: ToolChoice) -> ConverseRequest {
    let schema = json!({"type": "object", "properties": {"city": {"type": "string"}},
                        "required": ["city"]});
    ConverseRequest::new("anthropic.claude-3-haiku-20240307-v1:0")
        .message(Message::new(Role::User, every_content_block()))
        .message(Message::assistant("ok"))
        .system_text("be brief")
        .system(SystemContentBlock::GuardContent(
            GuardrailConverseContentBlock::Text(GuardrailConverseTextBlock {
                text: "sys".into(),
                qualifiers: None,
            }),
        ))
        .system(SystemContentBlock::CachePoint(CachePointBlock::default()))
        .inference_config(InferenceConfiguration {
            max_tokens: Some(250),
            temperature: Some(0.5),
            top_p: Some(0.9),
            stop_sequences: Some(vec!["\n\nHuman:".into()]),
        })
        .tool(ToolSpecification {
            strict: Some(true),
            ..ToolSpecification::new("get_weather", schema).description("Weather of a city")
        })
        .tool(Tool::SystemTool(SystemTool {
            name: "nova_grounding".into(),
        }))
        .tool(Tool::CachePoint(CachePointBlock::default()))
        .tool_choice(choice)
        .guardrail_config(GuardrailConfiguration {
            guardrail_identifier: Some("gr1abc".into()),
            guardrail_version: Some("DRAFT".into()),
            trace: Some(GuardrailTrace::EnabledFull),
            stream_processing_mode: Some(GuardrailStreamProcessingMode::Async),
        })
        .project_identifier("proj_1")
        .additional_model_request_fields(json!({"top_k": 250, "thinking": {"budget_tokens": 1024}}))
        .prompt_variable("topic", "rainfall-secret")
        .additional_model_response_field_path("/stop_sequence")
        .request_metadata("team", "team-secret-1")
        .performance_config_latency(bedrock_stream::PerformanceConfigLatency::Optimized)
        .service_tier(bedrock_stream::ServiceTier::Flex)
        .output_config(OutputConfig {
            text_format: Some(OutputFormat {
                r#type: OutputFormatType::JsonSchema,
                structure: OutputFormatStructure::JsonSchema(JsonSchemaDefinition {
                    schema: r#"{"type":"object"}"#.into(),
                    name: Some("answer".into()),
                    description: Some("the answer".into()),
                }),
            }),
            effort: Some("high".into()),
        })
}

fn body_json(req: &ConverseRequest) -> Value {
    serde_json::from_slice(&req.to_body().unwrap()).unwrap()
}

#[test]
fn every_request_member_serialises_under_the_service_model_name_and_type() {
    let model = model();
    let mut seen = BTreeSet::new();
    for choice in [
        ToolChoice::auto(),
        ToolChoice::any(),
        ToolChoice::tool("get_weather"),
    ] {
        let req = full_request(choice);
        let body = body_json(&req);
        check(&model, "ConverseStreamRequest", &body, "$", &mut seen).unwrap();
        // What is sent reads back as the same typed request.
        let back: ConverseRequest = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(
            ConverseRequest {
                model_id: req.model_id.clone(),
                ..back
            },
            req
        );
    }
    let missing: Vec<_> = reachable(&model, "ConverseStreamRequest")
        .difference(&seen)
        .cloned()
        .collect();
    assert!(
        missing.is_empty(),
        "members of ConverseStreamRequest never serialised: {missing:?}"
    );
}

#[test]
fn the_converse_body_has_no_stream_member_and_fits_converse_request() {
    let model = model();
    let mut req = full_request(ToolChoice::auto());
    assert_eq!(
        req.validate(false).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    req.validate(true).unwrap();
    // The service model itself proves the point: streamProcessingMode is not a Converse member.
    let err = check(
        &model,
        "ConverseRequest",
        &body_json(&req),
        "$",
        &mut BTreeSet::new(),
    );
    assert!(err.unwrap_err().contains("streamProcessingMode"));
    req.guardrail_config
        .as_mut()
        .unwrap()
        .stream_processing_mode = None;
    req.validate(false).unwrap();
    let mut seen = BTreeSet::new();
    check(&model, "ConverseRequest", &body_json(&req), "$", &mut seen).unwrap();
}

#[test]
fn wire_details_exact_bytes() {
    // Unset members are omitted: an empty request is an empty object.
    assert_eq!(ConverseRequest::new("m").to_body().unwrap(), b"{}");
    let body = body_json(&full_request(ToolChoice::auto()));
    let user = &body["messages"][0]["content"];
    // Blobs are base64, integers stay integers, unit unions are empty objects.
    assert_eq!(user[1]["image"]["source"]["bytes"], "iVBORw==");
    assert_eq!(user[1]["image"]["format"], "png");
    assert_eq!(user[7]["video"]["format"], "three_gp");
    assert_eq!(user[9]["audio"]["format"], "x-aac");
    assert_eq!(
        user[11]["toolUse"]["input"],
        json!({"city": "Paris", "days": 250})
    );
    assert_eq!(user[17]["reasoningContent"]["redactedContent"], "BwcHBwc=");
    assert_eq!(body["toolConfig"]["toolChoice"], json!({"auto": {}}));
    assert_eq!(body["inferenceConfig"]["maxTokens"], json!(250));
    assert_eq!(body["inferenceConfig"]["temperature"], json!(0.5));
    assert_eq!(
        body["additionalModelRequestFields"]["top_k"].to_string(),
        "250"
    );
    assert_eq!(body["guardrailConfig"]["trace"], "enabled_full");
    assert_eq!(body["guardrailConfig"]["streamProcessingMode"], "async");
    assert_eq!(body["performanceConfig"], json!({"latency": "optimized"}));
    assert_eq!(body["serviceTier"], json!({"type": "flex"}));
    assert_eq!(
        body["promptVariables"],
        json!({"topic": {"text": "rainfall-secret"}})
    );
    assert_eq!(body["requestMetadata"], json!({"team": "team-secret-1"}));
    assert!(body.get("modelId").is_none());
    let raw = String::from_utf8(full_request(ToolChoice::auto()).to_body().unwrap()).unwrap();
    let tools = &raw[raw.find(r#""toolConfig":"#).unwrap()..];
    assert!(tools.starts_with(r#""toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","description":"Weather of a city","inputSchema":{"json":"#), "{tools}");
    // Secrets and payloads stay out of Debug.
    let debug = format!("{:?}", full_request(ToolChoice::auto()));
    for secret in [
        "rainfall-secret",
        "team-secret-1",
        "private-chain",
        "sig-secret",
    ] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
}

#[test]
fn a_request_given_as_json_text_is_validated_and_sent_unchanged() {
    let text = r#"{"messages":[{"role":"user","content":[{"text":"hi"}]}],"futureUnion":null}"#;
    // A member the model does not list is refused, before anything is sent.
    let e = ConverseJson::parse("m", text, true).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().contains("futureUnion"), "{e}");
    let text = r#"{"messages":[{"role":"user","content":[{"text":"hi"},{"brandNewBlock":{"x":1}}]}],
                   "additionalModelRequestFields":{"k":1.50}}"#;
    let ok = ConverseJson::parse("model-x", text, true).unwrap();
    assert_eq!(ok.body(), text.as_bytes(), "sent byte for byte");
    assert_eq!(ok.model_id(), "model-x");
    let bad = [
        ("not json", "not valid JSON"),
        ("[1]", "JSON object"),
        (r#"{"modelId":"x"}"#, "modelId"),
        (r#"{"messages":[{"content":[]}]}"#, "role"),
        (
            r#"{"messages":[{"role":"user","content":[{"text":"a","image":{}}]}]}"#,
            "exactly one",
        ),
        (
            r#"{"messages":[{"role":"user","content":[{}]}]}"#,
            "no member",
        ),
        (
            r#"{"messages":[{"role":"user","content":[{"image":{"format":"png","source":{"bytes":"!!"}}}]}]}"#,
            "base64",
        ),
        (
            r#"{"inferenceConfig":{"maxTokens":"many"}}"#,
            "expected u32 at line 1",
        ),
        (
            r#"{"inferenceConfig":{"maxTokens":1e2}}"#,
            "expected u32 at line 1",
        ),
        (r#"{"toolConfig":{"tools":[]}}"#, "at least one tool"),
        (
            r#"{"additionalModelResponseFieldPaths":["1","2","3","4","5","6","7","8","9","10","11"]}"#,
            "at most 10",
        ),
    ];
    for (text, needle) in bad {
        let e = ConverseJson::parse("m", text, true).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{text}");
        assert!(e.message().contains(needle), "{text}: {e}");
    }
    let e = ConverseJson::parse(
        "m",
        r#"{"guardrailConfig":{"streamProcessingMode":"sync"}}"#,
        false,
    )
    .unwrap_err();
    assert!(e.message().contains("streamProcessingMode"), "{e}");
    ConverseJson::parse(
        "m",
        r#"{"guardrailConfig":{"streamProcessingMode":"sync"}}"#,
        true,
    )
    .unwrap();
    assert_eq!(
        ConverseJson::parse("", "{}", true).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    // The typed request goes the same way.
    let typed = full_request(ToolChoice::any()).to_json(true).unwrap();
    assert_eq!(
        typed.body(),
        full_request(ToolChoice::any()).to_body().unwrap()
    );
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

fn frame(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    Frame::new(
        headers.iter().map(|(k, v)| Header::new(*k, *v)).collect(),
        payload.to_vec(),
    )
    .encode()
    .unwrap()
}

fn event_frame(event_type: &str, payload: &Value) -> Vec<u8> {
    frame(
        &[
            (":event-type", event_type),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
        payload.to_string().as_bytes(),
    )
}

fn decode(bytes: &[u8]) -> bedrock_stream::Result<ConverseStreamEvent> {
    let mut d = Decoder::new();
    d.feed(bytes);
    let m = d.next_message().unwrap().unwrap();
    ConverseStreamEvent::from_message(&m)
}

fn event(event_type: &str, payload: Value) -> ConverseStreamEvent {
    decode(&event_frame(event_type, &payload)).unwrap()
}

/// The shape of each event type in the service model.
fn event_shape(event_type: &str) -> &'static str {
    match event_type {
        "messageStart" => "MessageStartEvent",
        "contentBlockStart" => "ContentBlockStartEvent",
        "contentBlockDelta" => "ContentBlockDeltaEvent",
        "contentBlockStop" => "ContentBlockStopEvent",
        "messageStop" => "MessageStopEvent",
        "metadata" => "ConverseStreamMetadataEvent",
        other => panic!("{other}"),
    }
}

fn metadata_payload() -> Value {
    json!({
        "usage": {"inputTokens": 12, "outputTokens": 34, "totalTokens": 46,
                  "cacheReadInputTokens": 5, "cacheWriteInputTokens": 7,
                  "cacheDetails": [{"ttl": "5m", "inputTokens": 7}]},
        "metrics": {"latencyMs": 1234},
        "trace": {
            "guardrail": {
                "modelOutput": ["out"],
                "inputAssessment": {"gr1abc": {"contentPolicy": {"filters": [
                    {"type": "VIOLENCE", "confidence": "LOW", "filterStrength": "HIGH",
                     "action": "NONE", "detected": false}]}}},
                "outputAssessments": {"gr1abc": [{"wordPolicy": {"customWords": [],
                    "managedWordLists": []}}]},
                "actionReason": "No action."
            },
            "promptRouter": {"invokedModelId":
                "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"}
        },
        "performanceConfig": {"latency": "standard"},
        "serviceTier": {"type": "priority"}
    })
}

/// Every event type and every delta kind of the service model, as the service sends them.
fn every_event() -> Vec<(&'static str, Value)> {
    vec![
        ("messageStart", json!({"role": "assistant"})),
        (
            "contentBlockStart",
            json!({"contentBlockIndex": 1, "start": {"toolUse":
            {"toolUseId": "tooluse_1", "name": "get_weather", "type": "server_tool_use"}}}),
        ),
        (
            "contentBlockStart",
            json!({"contentBlockIndex": 2, "start": {"toolResult":
            {"toolUseId": "tooluse_1", "type": "t", "status": "success"}}}),
        ),
        (
            "contentBlockStart",
            json!({"contentBlockIndex": 3, "start": {"image": {"format": "webp"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": "Hel"}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{\"ci"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 2, "delta": {"toolResult":
            [{"text": "sun"}, {"json": {"t": 21}}]}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 4, "delta": {"reasoningContent": {"text": "hmm"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 4, "delta": {"reasoningContent": {"signature": "c2ln"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 5, "delta": {"reasoningContent": {"redactedContent": "AAEC"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"citation": {
            "title": "T", "source": "S", "sourceContent": [{"text": "quote"}],
            "location": {"documentPage": {"documentIndex": 0, "start": 1, "end": 2}}}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 3, "delta": {"image": {
            "source": {"bytes": "iVBORw=="}, "error": {"message": "partial"}}}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 0})),
        (
            "messageStop",
            json!({"stopReason": "tool_use",
            "additionalModelResponseFields": {"stop_sequence": null, "n": 250}}),
        ),
        ("metadata", metadata_payload()),
    ]
}

#[test]
fn event_structures_keep_unknown_top_level_members_and_check_the_known_ones() {
    // Unknown members are kept as received, the service's `p` padding is skipped, and they
    // serialise back beside the known members.
    let d: ContentBlockDeltaEvent = serde_json::from_str(
        r#"{"p":"abcdef","delta":{"text":"Hi"},"contentBlockIndex":2,"futureX":{"a":[1,null]},"z":null}"#,
    )
    .unwrap();
    assert_eq!(d.delta, ContentBlockDelta::Text("Hi".into()));
    assert_eq!(d.content_block_index, 2);
    assert_eq!(
        Value::Object(d.other.clone()),
        json!({"futureX": {"a": [1, null]}, "z": null})
    );
    assert_eq!(
        serde_json::to_value(&d).unwrap(),
        json!({"delta": {"text": "Hi"}, "contentBlockIndex": 2, "futureX": {"a": [1, null]}, "z": null})
    );
    // The usual delta has none (and allocates none).
    let plain: ContentBlockDeltaEvent =
        serde_json::from_str(r#"{"contentBlockIndex":0,"delta":{"text":"x"},"p":"ab"}"#).unwrap();
    assert!(plain.other.is_empty());
    fn round<T: serde::de::DeserializeOwned + serde::Serialize>(json: &str) -> Value {
        serde_json::to_value(serde_json::from_str::<T>(json).unwrap()).unwrap()
    }
    type Round = fn(&str) -> Value;
    let rows: [(Round, &str, Value); 4] = [
        (
            round::<MessageStartEvent>,
            r#"{"role":"assistant","next":1}"#,
            json!({"role": "assistant", "next": 1}),
        ),
        (
            round::<ContentBlockStartEvent>,
            r#"{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"t","name":"f"}},"k":"v"}"#,
            json!({"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "t", "name": "f"}}, "k": "v"}),
        ),
        (
            round::<ContentBlockStopEvent>,
            r#"{"contentBlockIndex":1,"k":[true]}"#,
            json!({"contentBlockIndex": 1, "k": [true]}),
        ),
        (
            round::<MessageStopEvent>,
            r#"{"stopReason":"end_turn","additionalModelResponseFields":null,"k":{}}"#,
            json!({"stopReason": "end_turn", "k": {}}),
        ),
    ];
    for (round, json, want) in rows {
        assert_eq!(round(json), want, "{json}");
    }
    let m: MessageStopEvent = serde_json::from_str(
        r#"{"stopReason":"end_turn","additionalModelResponseFields":{"a":1}}"#,
    )
    .unwrap();
    assert_eq!(m.additional_model_response_fields, Some(json!({"a": 1})));
    assert!(m.other.is_empty());
    // The known members are still checked: required, not twice, of their type.
    for (json, want) in [
        (
            r#"{"delta":{"text":"x"}}"#,
            "missing field `contentBlockIndex`",
        ),
        (
            r#"{"delta":{"text":"x"},"contentBlockIndex":1,"contentBlockIndex":2}"#,
            "duplicate field `contentBlockIndex`",
        ),
        (
            r#"{"delta":{"text":"x"},"contentBlockIndex":"1"}"#,
            "invalid type",
        ),
        (r#"[1]"#, "ContentBlockDeltaEvent"),
    ] {
        let e = serde_json::from_str::<ContentBlockDeltaEvent>(json).unwrap_err();
        assert!(e.to_string().contains(want), "{json}: {e}");
    }
    let e = serde_json::from_str::<MessageStopEvent>(
        r#"{"stopReason":"end_turn","additionalModelResponseFields":1,"additionalModelResponseFields":2}"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("duplicate field"), "{e}");
    // MessageStartEvent and ContentBlockStopEvent are still Eq.
    fn eq<T: Eq>(_: &T) {}
    eq(&serde_json::from_str::<MessageStartEvent>(r#"{"role":"user"}"#).unwrap());
    eq(&serde_json::from_str::<ContentBlockStopEvent>(r#"{"contentBlockIndex":0}"#).unwrap());
}

#[test]
fn every_event_type_and_delta_kind_decodes_to_its_typed_form() {
    let model = model();
    let mut seen = BTreeSet::new();
    for (t, payload) in every_event() {
        let e = event(t, payload.clone());
        assert_eq!(e.event_type(), t);
        assert!(!matches!(e, ConverseStreamEvent::Unknown(_)), "{t}");
        // Typed and back gives the same JSON, which fits the service model.
        let back = e.members().unwrap();
        assert_eq!(back, payload, "{t}");
        check(&model, event_shape(t), &back, t, &mut seen).unwrap();
    }
    // Every member of every event structure and delta union appears above (the guardrail
    // assessments are kept as JSON and not walked member by member).
    let mut expected = BTreeSet::new();
    for t in [
        "messageStart",
        "contentBlockStart",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
    ] {
        expected.extend(reachable(&model, event_shape(t)));
    }
    let missing: Vec<_> = expected
        .difference(&seen)
        .filter(|(shape, _)| {
            !shape.starts_with("Guardrail")
                && shape != "AppliedGuardrailDetails"
                && ![
                    "CitationLocation",
                    "WebLocation",
                    "DocumentCharLocation",
                    "DocumentChunkLocation",
                    "SearchResultLocation",
                    "ImageSource",
                    "S3Location",
                ]
                .contains(&shape.as_str())
        })
        .cloned()
        .collect();
    assert!(
        missing.is_empty(),
        "event members never decoded: {missing:?}"
    );

    // Spot checks of the typed values.
    match event("contentBlockDelta", every_event()[8].1.clone()) {
        ConverseStreamEvent::ContentBlockDelta(ContentBlockDeltaEvent {
            delta: ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Signature(s)),
            content_block_index: 4,
            ..
        }) => assert_eq!(s, "c2ln"),
        other => panic!("{other:?}"),
    }
    match event("contentBlockDelta", every_event()[9].1.clone()) {
        ConverseStreamEvent::ContentBlockDelta(ContentBlockDeltaEvent {
            delta:
                ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::RedactedContent(b)),
            ..
        }) => assert_eq!(b.as_bytes(), &[0, 1, 2]),
        other => panic!("{other:?}"),
    }
    match event("metadata", metadata_payload()) {
        ConverseStreamEvent::Metadata(m) => {
            assert_eq!(m.usage.cache_read_input_tokens, Some(5));
            assert_eq!(m.usage.cache_write_input_tokens, Some(7));
            assert_eq!(m.metrics.latency_ms, 1234);
            let g = m.trace.as_ref().unwrap().guardrail.as_ref().unwrap();
            assert_eq!(g.action_reason.as_deref(), Some("No action."));
            assert_eq!(
                g.input_assessment.as_ref().unwrap()["gr1abc"]["contentPolicy"]["filters"][0]
                    ["type"],
                "VIOLENCE"
            );
            assert_eq!(
                m.performance_config.unwrap().latency,
                Some(PerformanceConfigLatency::Standard)
            );
            assert_eq!(m.service_tier.unwrap().r#type, ServiceTierType::Priority);
        }
        other => panic!("{other:?}"),
    }
    match event("messageStop", json!({"stopReason": "end_turn"})) {
        ConverseStreamEvent::MessageStop(m) => assert_eq!(m.stop_reason, StopReason::EndTurn),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        event(
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": "x"}})
        )
        .text_delta(),
        Some("x")
    );
}

#[test]
fn unknown_event_types_members_and_values_are_kept_not_errors() {
    let e = event("citationsSummary", json!({"x": [1, 2]}));
    match &e {
        ConverseStreamEvent::Unknown(u) => {
            assert_eq!(u.event_type(), "citationsSummary");
            assert_eq!(u.payload(), br#"{"x":[1,2]}"#);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.event_type(), "citationsSummary");
    assert_eq!(e.members(), None);
    match event(
        "contentBlockDelta",
        json!({"contentBlockIndex": 2, "delta": {"audio": {"pcm": "AA=="}}}),
    ) {
        ConverseStreamEvent::ContentBlockDelta(d) => match d.delta {
            ContentBlockDelta::Unknown(u) => {
                assert_eq!(u.name, "audio");
                assert_eq!(u.value, json!({"pcm": "AA=="}));
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    match event(
        "contentBlockStart",
        json!({"contentBlockIndex": 0, "start": {"video": {}}}),
    ) {
        ConverseStreamEvent::ContentBlockStart(s) => assert_eq!(s.start.member_name(), "video"),
        other => panic!("{other:?}"),
    }
    match event(
        "contentBlockDelta",
        json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"summary": "s"}}}),
    ) {
        ConverseStreamEvent::ContentBlockDelta(ContentBlockDeltaEvent {
            delta: ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Unknown(u)),
            ..
        }) => assert_eq!(u.name, "summary"),
        other => panic!("{other:?}"),
    }
    // Unknown enum values, unknown structure members and the `p` padding member.
    match event(
        "messageStop",
        json!({"stopReason": "paused_for_breath", "p": "abcdef", "newField": 1}),
    ) {
        ConverseStreamEvent::MessageStop(m) => {
            assert_eq!(
                m.stop_reason,
                StopReason::Unknown("paused_for_breath".into())
            )
        }
        other => panic!("{other:?}"),
    }
    match event("messageStart", json!({"role": "narrator", "p": "xyz"})) {
        ConverseStreamEvent::MessageStart(m) => assert_eq!(m.role.as_str(), "narrator"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_stream_exception_is_a_typed_error_with_its_fields() {
    let table = [
        (
            "internalServerException",
            ErrorKind::InternalServer,
            500,
            true,
        ),
        (
            "modelStreamErrorException",
            ErrorKind::ModelStreamError,
            424,
            true,
        ),
        ("validationException", ErrorKind::Validation, 400, false),
        ("throttlingException", ErrorKind::Throttling, 429, true),
        (
            "serviceUnavailableException",
            ErrorKind::ServiceUnavailable,
            503,
            true,
        ),
        // Not in ConverseStreamOutput, still an error with its name.
        ("modelTimeoutException", ErrorKind::ModelTimeout, 408, false),
    ];
    for (name, kind, status, retryable) in table {
        let b = frame(
            &[
                (":exception-type", name),
                (":content-type", "application/json"),
                (":message-type", "exception"),
            ],
            br#"{"message":"it broke","originalStatusCode":502,"originalMessage":"upstream"}"#,
        );
        let e = decode(&b).unwrap_err();
        assert_eq!(e.kind(), kind, "{name}");
        assert_eq!(e.code(), Some(name));
        assert_eq!(e.http_status(), Some(status));
        assert_eq!(e.is_retryable(), retryable, "{name}");
        assert_eq!(e.message(), "it broke");
        assert_eq!(e.original_status_code(), Some(502));
        assert_eq!(e.original_message(), Some("upstream"));
        assert_eq!(e.class(), bedrock_stream::ErrorClass::Stream);
    }
    let b = frame(
        &[
            (":exception-type", "quotaMeltdownException"),
            (":message-type", "exception"),
        ],
        br#"{"message":"new"}"#,
    );
    let e = decode(&b).unwrap_err();
    assert_eq!(
        (e.kind(), e.code(), e.message()),
        (
            ErrorKind::UnmodeledService,
            Some("quotaMeltdownException"),
            "new"
        )
    );
    let b = frame(
        &[
            (":message-type", "error"),
            (":error-code", "InternalFailure"),
            (":error-message", "boom"),
        ],
        b"",
    );
    let e = decode(&b).unwrap_err();
    assert_eq!(
        (e.kind(), e.code()),
        (ErrorKind::StreamError, Some("InternalFailure"))
    );
    // A known event whose payload is not its documented JSON is a protocol error.
    for (t, payload) in [
        ("contentBlockDelta", &b"not json"[..]),
        ("contentBlockDelta", br#"{"contentBlockIndex":0}"#),
        (
            "contentBlockDelta",
            br#"{"contentBlockIndex":0,"delta":{}}"#,
        ),
        ("messageStart", br#"{}"#),
        ("metadata", br#"{"usage":{"inputTokens":1}}"#),
        ("contentBlockStop", br#"{"contentBlockIndex":-1}"#),
    ] {
        let b = frame(&[(":event-type", t), (":message-type", "event")], payload);
        let e = decode(&b).unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::Protocol,
            "{t} {}",
            String::from_utf8_lossy(payload)
        );
        assert!(e.message().contains(t), "{e}");
    }
}

// ---------------------------------------------------------------------------------------------
// The accumulator
// ---------------------------------------------------------------------------------------------

fn delta(index: u32, delta: Value) -> ConverseStreamEvent {
    event(
        "contentBlockDelta",
        json!({"contentBlockIndex": index, "delta": delta}),
    )
}

fn fold(events: &[ConverseStreamEvent]) -> bedrock_stream::Result<ConverseStreamResult> {
    let mut acc = MessageAccumulator::new();
    for e in events {
        acc.push(e)?;
    }
    acc.finish()
}

#[test]
fn tool_use_input_split_anywhere_is_joined_and_parsed_once() {
    let input = r#"{"city":"Par\u00eds","n":250,"nested":{"a":[1,2.5,"x\"y"]}}"#;
    // Every split point, including inside a string and inside a \u escape.
    for cut in 1..input.len() {
        for cut2 in [cut, (cut + 7).min(input.len())] {
            let parts = [&input[..cut], &input[cut..cut2], &input[cut2..]];
            let mut events = vec![
                event("messageStart", json!({"role": "assistant"})),
                delta(0, json!({"text": "Let me check."})),
                event("contentBlockStop", json!({"contentBlockIndex": 0})),
                event(
                    "contentBlockStart",
                    json!({"contentBlockIndex": 1,
                    "start": {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather"}}}),
                ),
            ];
            for p in parts.iter().filter(|p| !p.is_empty()) {
                events.push(delta(1, json!({"toolUse": {"input": p}})));
            }
            events.push(event("contentBlockStop", json!({"contentBlockIndex": 1})));
            events.push(event("messageStop", json!({"stopReason": "tool_use"})));
            events.push(event(
                "metadata",
                json!({"usage": {"inputTokens": 1, "outputTokens": 2,
                "totalTokens": 3}, "metrics": {"latencyMs": 4}}),
            ));
            let r = fold(&events).unwrap();
            assert!(r.wants_tools());
            let uses: Vec<_> = r.message.tool_uses().collect();
            assert_eq!(uses.len(), 1);
            assert_eq!(uses[0].tool_use_id, "tooluse_1");
            assert_eq!(
                uses[0].input,
                json!({"city": "París", "n": 250,
                "nested": {"a": [1, 2.5, "x\"y"]}})
            );
            assert_eq!(uses[0].input["n"].to_string(), "250");
            assert_eq!(r.message.text(), "Let me check.");
            assert_eq!(r.usage.as_ref().unwrap().total_tokens, 3);
            assert_eq!(r.metrics.as_ref().unwrap().latency_ms, 4);
        }
    }
}

#[test]
fn the_folded_message_goes_back_into_the_next_request_as_the_service_model_wants() {
    let events = vec![
        event("messageStart", json!({"role": "assistant"})),
        delta(0, json!({"reasoningContent": {"text": "The user "}})),
        delta(0, json!({"reasoningContent": {"text": "wants weather."}})),
        delta(0, json!({"reasoningContent": {"signature": "EqQBCkYI"}})),
        delta(0, json!({"reasoningContent": {"signature": "AhgCIkA="}})),
        event("contentBlockStop", json!({"contentBlockIndex": 0})),
        event(
            "contentBlockStart",
            json!({"contentBlockIndex": 1,
            "start": {"toolUse": {"toolUseId": "t1", "name": "noargs"}}}),
        ),
        event("contentBlockStop", json!({"contentBlockIndex": 1})),
        event("messageStop", json!({"stopReason": "tool_use"})),
    ];
    let r = fold(&events).unwrap();
    assert_eq!(r.message.role, Role::Assistant);
    match &r.message.content[0] {
        ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(t)) => {
            assert_eq!(t.text, "The user wants weather.");
            assert_eq!(t.signature.as_deref(), Some("EqQBCkYIAhgCIkA="));
        }
        other => panic!("{other:?}"),
    }
    // A tool use without input deltas has the empty object as input.
    assert_eq!(r.message.tool_uses().next().unwrap().input, json!({}));
    let next = ConverseRequest::new("m")
        .message(Message::user("weather?"))
        .message(r.message.clone())
        .message(Message::new(
            Role::User,
            vec![ContentBlock::ToolResult(ToolResultBlock::json(
                "t1",
                json!({"ok": true}),
            ))],
        ));
    let body = body_json(&next);
    check(
        &model(),
        "ConverseStreamRequest",
        &body,
        "$",
        &mut BTreeSet::new(),
    )
    .unwrap();
    assert_eq!(
        body["messages"][1]["content"][0],
        json!({"reasoningContent": {"reasoningText": {"text": "The user wants weather.",
            "signature": "EqQBCkYIAhgCIkA="}}})
    );
    assert_eq!(
        body["messages"][1]["content"][1],
        json!({"toolUse": {"toolUseId": "t1", "name": "noargs", "input": {}}})
    );
}

#[test]
fn redacted_reasoning_citations_tool_results_images_and_unknowns_fold() {
    let events: Vec<_> = every_event()
        .into_iter()
        .map(|(t, p)| event(t, p))
        .chain([
            delta(0, json!({"text": "lo"})),
            delta(1, json!({"toolUse": {"input": "ty\":\"Paris\"}"}})),
            delta(2, json!({"toolResult": [{"text": "ny"}]})),
            delta(6, json!({"hologram": {"x": 1}})),
            event(
                "contentBlockStart",
                json!({"contentBlockIndex": 7, "start": {"video": {}}}),
            ),
            event("futureEvent", json!({})),
        ])
        .collect();
    let r = fold(&events).unwrap();
    let c = &r.message.content;
    assert_eq!(c.len(), 6, "{c:?}");
    match &c[0] {
        ContentBlock::CitationsContent(cc) => {
            assert_eq!(
                cc.content.as_ref().unwrap(),
                &[CitationGeneratedContent::Text("Hello".into())]
            );
            let cit = &cc.citations.as_ref().unwrap()[0];
            assert_eq!(cit.title.as_deref(), Some("T"));
            assert_eq!(
                cit.source_content.as_ref().unwrap(),
                &[CitationSourceContent::Text("quote".into())]
            );
        }
        other => panic!("{other:?}"),
    }
    match &c[1] {
        ContentBlock::ToolUse(t) => {
            assert_eq!(t.input, json!({"city": "Paris"}));
            assert_eq!(t.r#type, Some(ToolUseType::ServerToolUse));
        }
        other => panic!("{other:?}"),
    }
    match &c[2] {
        ContentBlock::ToolResult(t) => {
            assert_eq!(t.status, Some(ToolResultStatus::Success));
            assert_eq!(
                t.content,
                vec![
                    ToolResultContentBlock::Text("sun".into()),
                    ToolResultContentBlock::Json(json!({"t": 21})),
                    ToolResultContentBlock::Text("ny".into()),
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    match &c[3] {
        ContentBlock::Image(i) => {
            assert_eq!(i.format, ImageFormat::Webp);
            assert_eq!(
                i.source,
                ImageSource::Bytes(Blob(vec![0x89, b'P', b'N', b'G']))
            );
        }
        other => panic!("{other:?}"),
    }
    match &c[4] {
        ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(t)) => {
            assert_eq!(
                (t.text.as_str(), t.signature.as_deref()),
                ("hmm", Some("c2ln"))
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        c[5],
        ContentBlock::ReasoningContent(ReasoningContentBlock::RedactedContent(Blob(vec![0, 1, 2])))
    );
    assert_eq!(r.stop_reason, Some(StopReason::ToolUse));
    assert_eq!(
        r.additional_model_response_fields.as_ref().unwrap()["n"],
        json!(250)
    );
    assert_eq!(r.usage.as_ref().unwrap().cache_write_input_tokens, Some(7));
    assert!(r.trace.as_ref().unwrap().prompt_router.is_some());
    assert_eq!(r.unknown_events.len(), 1);
    assert_eq!(r.unknown_events[0].event_type(), "futureEvent");
    let names: Vec<_> = r
        .unknown_members
        .iter()
        .map(|(i, u)| (*i, u.name.as_str()))
        .collect();
    assert_eq!(names, [(6, "hologram"), (7, "video")]);
}

#[test]
fn contradicting_events_are_protocol_errors_not_panics() {
    let start = |i: u32| {
        event(
            "contentBlockStart",
            json!({"contentBlockIndex": i,
            "start": {"toolUse": {"toolUseId": "t", "name": "n"}}}),
        )
    };
    let cases: Vec<(Vec<ConverseStreamEvent>, &str)> = vec![
        (
            vec![delta(0, json!({"toolUse": {"input": "{}"}}))],
            "no contentBlockStart",
        ),
        (
            vec![start(0), delta(0, json!({"text": "x"}))],
            "toolUse block",
        ),
        (
            vec![delta(0, json!({"text": "x"})), start(0)],
            "already holds",
        ),
        (
            vec![start(0), delta(0, json!({"toolUse": {"input": "{\"a\":"}}))],
            "not JSON",
        ),
        (
            vec![
                start(0),
                delta(0, json!({"toolUse": {"input": "{\"a\":1"}})),
                event("contentBlockStop", json!({"contentBlockIndex": 0})),
            ],
            "not JSON",
        ),
        (
            vec![
                start(0),
                event("contentBlockStop", json!({"contentBlockIndex": 0})),
                delta(0, json!({"toolUse": {"input": "{}"}})),
            ],
            "after its contentBlockStop",
        ),
        (
            vec![
                delta(0, json!({"reasoningContent": {"text": "a"}})),
                delta(0, json!({"reasoningContent": {"redactedContent": "AA=="}})),
            ],
            "both text and redactedContent",
        ),
        (
            vec![event(
                "contentBlockStart",
                json!({"contentBlockIndex": 0, "start": {"image": {"format": "png"}}}),
            )],
            "without a source",
        ),
    ];
    for (events, needle) in cases {
        let e = fold(&events).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol, "{needle}");
        assert!(e.message().contains(needle), "{needle}: {e}");
    }
}

#[test]
fn converse_response_reads_every_member_and_round_trips() {
    let model = model();
    let text = json!({
        "output": {"message": {"role": "assistant", "content": [
            {"text": "Hi"},
            {"toolUse": {"toolUseId": "t1", "name": "f", "input": {"a": 1}}},
            {"reasoningContent": {"reasoningText": {"text": "r", "signature": "s"}}},
            {"futureBlock": {"k": "v"}}
        ]}},
        "stopReason": "tool_use",
        "usage": {"inputTokens": 1, "outputTokens": 2, "totalTokens": 3, "cacheReadInputTokens": 0},
        "metrics": {"latencyMs": 99},
        "additionalModelResponseFields": {"x": [1, 2]},
        "trace": {"promptRouter": {"invokedModelId": "m"}},
        "performanceConfig": {"latency": "optimized"},
        "serviceTier": {"type": "default"}
    });
    let r: ConverseResponse = serde_json::from_value(text.clone()).unwrap();
    let m = r.message().unwrap();
    assert_eq!(m.text(), "Hi");
    assert_eq!(m.content[3].member_name(), "futureBlock");
    assert_eq!(r.stop_reason, StopReason::ToolUse);
    assert_eq!(r.metrics.latency_ms, 99);
    let back = serde_json::to_value(&r).unwrap();
    assert_eq!(back, text);
    // Without the unknown block, the answer fits ConverseResponse exactly.
    let mut known = back.clone();
    known["output"]["message"]["content"]
        .as_array_mut()
        .unwrap()
        .pop();
    check(
        &model,
        "ConverseResponse",
        &known,
        "$",
        &mut BTreeSet::new(),
    )
    .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Against the emulator
// ---------------------------------------------------------------------------------------------

#[cfg(feature = "emulator")]
mod emulated {
    use super::*;
    use std::sync::mpsc;
    use std::thread;
    use std::time::{Duration, Instant};

    use bedrock_stream::emulator::{AuthOutcome, Emulator, Scenario};
    use bedrock_stream::{CancelHandle, Client, Credentials, InvokeRequest};

    const MODEL: &str = "anthropic.claude-3-5-haiku-20241022-v1:0";

    fn emulator() -> Emulator {
        Emulator::builder().text_chunks(5).start().unwrap()
    }

    fn client(emu: &Emulator) -> Client {
        Client::builder()
            .region("us-east-1")
            .endpoint_url(emu.endpoint_url())
            .credentials(Credentials::new("AKIDEMULATOR", "emulator-secret", None))
            .ignore_env_bearer_token(true)
            .no_proxy()
            .retry_backoff(Duration::from_millis(1), Duration::from_millis(10))
            .build()
            .unwrap()
    }

    fn hello(model: &str) -> ConverseRequest {
        ConverseRequest::new(model)
            .system_text("Be brief.")
            .message(Message::user("Say hello"))
    }

    fn expected_reply(prompt: &str) -> String {
        format!("Hello from the Bedrock emulator! You said: “{prompt}”. 你好，世界！ 🦀")
    }

    fn weather_tool() -> ToolSpecification {
        ToolSpecification::new(
            "get_weather",
            json!({"type": "object", "properties": {"city": {"type": "string"},
                   "days": {"type": "integer"}}, "required": ["city"]}),
        )
        .description("The weather of a city")
    }

    #[test]
    fn a_text_answer_streams_as_typed_events_signed_with_sigv4() {
        let emu = emulator();
        let c = client(&emu);
        let req = hello(MODEL);
        let stream = c.converse_stream(&req).unwrap();
        assert!(stream.request_id().is_some());
        let events: Vec<_> = stream.map(Result::unwrap).collect();
        let types: Vec<_> = events.iter().map(|e| e.event_type().to_owned()).collect();
        let mut expected = vec!["messageStart"];
        expected.extend(["contentBlockDelta"; 5]);
        expected.extend(["contentBlockStop", "messageStop", "metadata"]);
        assert_eq!(types, expected);
        let text: String = events.iter().filter_map(|e| e.text_delta()).collect();
        assert_eq!(text, expected_reply("Say hello"));
        match events.last().unwrap() {
            ConverseStreamEvent::Metadata(m) => {
                assert!(m.usage.input_tokens > 0);
                assert_eq!(m.usage.output_tokens, 5);
                assert_eq!(m.usage.total_tokens, m.usage.input_tokens + 5);
            }
            other => panic!("{other:?}"),
        }
        let r = &emu.requests()[0];
        assert_eq!(
            r.path,
            format!("/model/{}/converse-stream", MODEL.replace(':', "%3A"))
        );
        assert_eq!(r.body, req.to_body().unwrap());
        assert!(matches!(r.auth, AuthOutcome::SigV4 { .. }), "{:?}", r.auth);
        assert_eq!(r.header("content-type"), Some("application/json"));
    }

    #[test]
    fn a_tool_use_round_trip_with_reasoning() {
        let emu = emulator();
        let c = client(&emu);
        let mut req = ConverseRequest::new(MODEL)
            .message(Message::user("Weather in Zürich?"))
            .tool(weather_tool())
            .tool_choice(ToolChoice::auto())
            .additional_model_request_fields(
                json!({"thinking": {"type": "enabled", "budget_tokens": 1024}}),
            );
        // The tool input arrives in several fragments, one cut inside a \u escape.
        let events: Vec<_> = c
            .converse_stream(&req)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let fragments: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                ConverseStreamEvent::ContentBlockDelta(ContentBlockDeltaEvent {
                    delta: ContentBlockDelta::ToolUse(t),
                    ..
                }) => Some(t.input.clone()),
                _ => None,
            })
            .collect();
        assert!(fragments.len() >= 3, "{fragments:?}");
        assert!(
            fragments.iter().any(|f| f.ends_with("\\u0")),
            "{fragments:?}"
        );
        let mut acc = MessageAccumulator::new();
        for e in &events {
            acc.push(e).unwrap();
        }
        let first = acc.finish().unwrap();
        assert!(first.wants_tools());
        match &first.message.content[0] {
            ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(t)) => {
                assert_eq!(t.signature.as_deref(), Some("RW11bGF0ZWQgc2lnbmF0dXJl"));
                assert!(!t.text.is_empty());
            }
            other => panic!("{other:?}"),
        }
        let tool_use = first.message.tool_uses().next().unwrap().clone();
        assert_eq!(tool_use.name, "get_weather");
        assert_eq!(tool_use.input, json!({"city": "Zürich", "days": 3}));
        // The program runs the tool and answers; the model's message goes back unchanged.
        req = req.message(first.message.clone()).message(Message::new(
            Role::User,
            vec![ContentBlock::ToolResult(ToolResultBlock::json(
                tool_use.tool_use_id.clone(),
                json!({"celsius": 21}),
            ))],
        ));
        let second = c.converse_stream(&req).unwrap().accumulate().unwrap();
        assert_eq!(second.stop_reason, Some(StopReason::EndTurn));
        assert!(
            second.message.text().contains(r#"{"celsius":21}"#),
            "{}",
            second.message.text()
        );
        // What the emulator received on the second turn is the service model's shape.
        let body: Value = serde_json::from_slice(&emu.requests()[1].body).unwrap();
        check(
            &model(),
            "ConverseStreamRequest",
            &body,
            "$",
            &mut BTreeSet::new(),
        )
        .unwrap();
        assert_eq!(
            body["messages"][1],
            serde_json::to_value(&first.message).unwrap()
        );
    }

    #[test]
    fn guardrail_trace_cache_usage_and_echoed_settings_arrive_in_metadata() {
        let emu = emulator();
        let c = client(&emu);
        let req = hello(MODEL)
            .system(SystemContentBlock::CachePoint(CachePointBlock::default()))
            .guardrail_config(GuardrailConfiguration {
                guardrail_identifier: Some("gr1abc".into()),
                guardrail_version: Some("1".into()),
                trace: Some(GuardrailTrace::Enabled),
                stream_processing_mode: Some(GuardrailStreamProcessingMode::Sync),
            })
            .performance_config_latency(bedrock_stream::PerformanceConfigLatency::Optimized)
            .service_tier(bedrock_stream::ServiceTier::Priority)
            .additional_model_response_field_path("/stop_sequence");
        let r = c.converse_stream(&req).unwrap().accumulate().unwrap();
        let g = r.trace.unwrap().guardrail.unwrap();
        assert_eq!(g.action_reason.as_deref(), Some("No action."));
        assert!(g.input_assessment.unwrap().contains_key("gr1abc"));
        let u = r.usage.unwrap();
        assert_eq!(u.cache_write_input_tokens, Some(u.input_tokens));
        assert_eq!(u.cache_read_input_tokens, Some(0));
        assert!(r.metrics.is_some());
        assert_eq!(
            r.performance_config.unwrap().latency,
            Some(PerformanceConfigLatency::Optimized)
        );
        assert_eq!(r.service_tier.unwrap().r#type, ServiceTierType::Priority);
        assert_eq!(
            r.additional_model_response_fields,
            Some(json!({"stop_sequence": "emulated"}))
        );
    }

    #[test]
    fn unknown_events_and_members_reach_the_caller_and_redacted_reasoning_folds() {
        let emu = emulator();
        let c = client(&emu);
        let req = hello(MODEL).additional_model_request_fields(
            json!({"emulator": {"future": true, "redacted_reasoning": true}}),
        );
        let events: Vec<_> = c
            .converse_stream(&req)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(events[1].event_type(), "futureEvent");
        assert!(matches!(events[1], ConverseStreamEvent::Unknown(_)));
        assert_eq!(events[1].unknown_members(), None);
        // Every known event keeps its unknown top-level member (and only that: the service's
        // `p` padding is not one).
        for e in events.iter().filter(|e| e.event_type() != "futureEvent") {
            let other = e.unknown_members().unwrap();
            let (name, want) = match e.event_type() {
                "metadata" => ("futureMetadata".to_owned(), json!({"carbonGrams": 1})),
                t => (
                    format!("future{}{}", t[..1].to_uppercase(), &t[1..]),
                    json!({"of": t}),
                ),
            };
            assert_eq!(other.len(), 1, "{e:?}");
            assert_eq!(other[&name], want, "{e:?}");
            // And serialises it back beside the known members.
            assert_eq!(e.members().unwrap()[&name], want);
        }
        let r = c.converse_stream(&req).unwrap().accumulate().unwrap();
        assert_eq!(r.unknown_events.len(), 1);
        // The unknown delta member, and the block events' unknown top-level members.
        let deltas = events
            .iter()
            .filter(|e| e.event_type() == "contentBlockDelta")
            .count();
        let block_events = events
            .iter()
            .filter(|e| e.event_type().starts_with("contentBlock"))
            .count();
        assert_eq!(
            r.unknown_members.len(),
            1 + block_events,
            "{:?}",
            r.unknown_members
        );
        let unknown_delta = r.unknown_members.iter().find(|m| m.1.name == "futureDelta");
        assert!(unknown_delta.is_some(), "{:?}", r.unknown_members);
        let top = |name: &str| {
            r.unknown_members
                .iter()
                .filter(|m| m.1.name == name)
                .count()
        };
        assert_eq!(top("futureContentBlockDelta"), deltas);
        assert_eq!(top("futureContentBlockStop"), block_events - deltas);
        // The message-level ones, as a ConverseResponse carries them.
        assert_eq!(
            serde_json::Value::Object(r.other.clone()),
            json!({"futureMessageStart": {"of": "messageStart"},
                   "futureMessageStop": {"of": "messageStop"},
                   "futureMetadata": {"carbonGrams": 1}})
        );
        assert!(matches!(
            &r.message.content[0],
            ContentBlock::ReasoningContent(ReasoningContentBlock::RedactedContent(b))
                if b.as_bytes().starts_with(b"\x00emulated")
        ));
        assert_eq!(r.message.text(), expected_reply("Say hello"));
        // Converse: an unknown content block and an unknown response member.
        let resp = c.converse(&req).unwrap();
        let m = resp.message().unwrap();
        assert_eq!(m.content.last().unwrap().member_name(), "futureBlock");
        assert_eq!(m.text(), expected_reply("Say hello"));
    }

    #[test]
    fn every_stream_exception_ends_the_stream_as_a_typed_error() {
        let emu = emulator();
        let c = client(&emu);
        for (name, kind) in [
            ("internalServerException", ErrorKind::InternalServer),
            ("modelStreamErrorException", ErrorKind::ModelStreamError),
            ("validationException", ErrorKind::Validation),
            ("throttlingException", ErrorKind::Throttling),
            ("serviceUnavailableException", ErrorKind::ServiceUnavailable),
            ("modelTimeoutException", ErrorKind::ModelTimeout),
            ("brandNewException", ErrorKind::UnmodeledService),
        ] {
            let req = hello(&format!(
                "emulator-fault:exception={name}:after=2:message=bad"
            ));
            let mut stream = c.converse_stream(&req).unwrap();
            assert!(stream.next().unwrap().is_ok());
            assert!(stream.next().unwrap().is_ok());
            let e = stream.next().unwrap().unwrap_err();
            assert_eq!((e.kind(), e.code()), (kind, Some(name)), "{e}");
            assert_eq!(e.message(), "bad");
            assert_eq!(e.events_delivered(), 2);
            assert!(stream.next().is_none());
            if name == "modelStreamErrorException" {
                assert_eq!(e.original_status_code(), Some(500));
            }
        }
        let e = c
            .converse_stream(&hello("emulator-fault:error=InternalFailure:after=1"))
            .unwrap()
            .accumulate()
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.code()),
            (ErrorKind::StreamError, Some("InternalFailure"))
        );
    }

    #[test]
    fn http_errors_retries_before_the_first_event_only_truncation_and_corruption() {
        let emu = emulator();
        let c = client(&emu);
        // Transient HTTP errors are retried; the third attempt succeeds.
        emu.push_scenario("fail=2:503".parse::<Scenario>().unwrap());
        let s = c.converse_stream(&hello(MODEL)).unwrap();
        assert_eq!(s.attempts(), 3);
        assert_eq!(
            s.accumulate().unwrap().message.text(),
            expected_reply("Say hello")
        );
        for (spec, kind, status) in [
            ("http=400", ErrorKind::Validation, 400),
            ("http=403", ErrorKind::AccessDenied, 403),
            ("http=404", ErrorKind::ResourceNotFound, 404),
            ("http=429", ErrorKind::Throttling, 429),
            ("http=424:ModelErrorException", ErrorKind::ModelError, 424),
            (
                "http=429:ModelNotReadyException",
                ErrorKind::ModelNotReady,
                429,
            ),
        ] {
            let e = c
                .converse_stream(&hello(&format!("emulator-fault:{spec}")))
                .unwrap_err();
            assert_eq!(
                (e.kind(), e.http_status()),
                (kind, Some(status)),
                "{spec}: {e}"
            );
            let expected_attempts = if e.is_retryable() { 3 } else { 1 };
            assert_eq!(e.attempts(), expected_attempts, "{spec}");
            let e = c
                .converse(&hello(&format!("emulator-fault:{spec}")))
                .unwrap_err();
            assert_eq!(
                (e.kind(), e.attempts()),
                (kind, expected_attempts),
                "converse {spec}"
            );
        }
        // A truncation before any event is retried; after one it is the caller's.
        let e = c
            .converse_stream(&hello("emulator-fault:truncate:after=0"))
            .unwrap()
            .accumulate()
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.attempts(), e.events_delivered()),
            (ErrorKind::Truncated, 3, 0)
        );
        let e = c
            .converse_stream(&hello("emulator-fault:truncate:after=3:abrupt"))
            .unwrap()
            .accumulate()
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.attempts(), e.events_delivered()),
            (ErrorKind::Truncated, 1, 3)
        );
        let e = c
            .converse_stream(&hello("emulator-fault:bad-crc:after=2"))
            .unwrap()
            .accumulate()
            .unwrap_err();
        assert_eq!((e.kind(), e.events_delivered()), (ErrorKind::Protocol, 2));
        // A request the service refuses is a typed validation error.
        let bad = ConverseRequest::new(MODEL).message(Message::assistant("I start"));
        let e = c.converse_stream(&bad).unwrap_err();
        assert_eq!((e.kind(), e.attempts()), (ErrorKind::Validation, 1));
        assert!(e.message().contains("start with a user message"), "{e}");
    }

    #[test]
    fn converse_stream_with_events_calls_back_per_event_and_stops_on_the_callbacks_word() {
        use std::ops::ControlFlow;
        let emu = emulator();
        let c = client(&emu);
        let json = hello(MODEL).to_json(true).unwrap();
        // To the end: every event, in order, and the summary counts them.
        let mut text = String::new();
        let mut seen = 0;
        let sum = c
            .converse_stream_with_events(&json, CancelHandle::new(), |e| {
                seen += 1;
                text.extend(e.text_delta());
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!((seen, sum.events, sum.stopped_early), (9, 9, false));
        assert_eq!((sum.attempts, sum.request_id.is_some()), (1, true));
        assert_eq!(text, expected_reply("Say hello"));
        // The callback's Break stops the stream at once: no more events, the summary says so.
        let mut seen = 0;
        let sum = c
            .converse_stream_with_events(&json, CancelHandle::new(), |_| {
                seen += 1;
                if seen == 3 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })
            .unwrap();
        assert_eq!((seen, sum.events, sum.stopped_early), (3, 3, true));
        // The typed-request form stops the same way.
        let mut seen = 0;
        let sum = c
            .converse_stream_with(&hello(MODEL), |_| {
                seen += 1;
                ControlFlow::Break(())
            })
            .unwrap();
        assert_eq!((seen, sum.events, sum.stopped_early), (1, 1, true));
        // An exception mid-stream is the call's error, with its counters.
        let mut seen = 0;
        let bad = hello("emulator-fault:exception=throttlingException:after=2:message=slow");
        let e = c
            .converse_stream_with_events(&bad.to_json(true).unwrap(), CancelHandle::new(), |_| {
                seen += 1;
                ControlFlow::Continue(())
            })
            .unwrap_err();
        assert_eq!(seen, 2);
        assert_eq!(
            (e.kind(), e.events_delivered(), e.attempts()),
            (ErrorKind::Throttling, 2, 1),
            "{e}"
        );
        assert!(e.request_id().is_some(), "{e}");
        // A cancel (here from the callback itself) ends the call as Cancelled, counters kept.
        let cancel = CancelHandle::new();
        let mut seen = 0;
        let e = c
            .converse_stream_with_events(&json, cancel.clone(), |_| {
                seen += 1;
                cancel.cancel();
                ControlFlow::Continue(())
            })
            .unwrap_err();
        assert_eq!(
            (seen, e.kind(), e.events_delivered()),
            (1, ErrorKind::Cancelled, 1)
        );
    }

    #[test]
    fn a_stalled_stream_is_cancelled_promptly_from_another_thread() {
        let emu = emulator();
        let c = client(&emu);
        let cancel = CancelHandle::new();
        let json = hello("emulator-fault:stall:after=2").to_json(true).unwrap();
        let mut stream = c.converse_stream_json(&json, cancel.clone()).unwrap();
        assert!(stream.next().unwrap().is_ok());
        assert!(stream.next().unwrap().is_ok());
        let (tx, rx) = mpsc::channel();
        let t = thread::spawn(move || {
            let started = Instant::now();
            let r = stream.next();
            tx.send(()).unwrap();
            (r, started.elapsed())
        });
        cancel.cancel();
        rx.recv_timeout(Duration::from_secs(10))
            .expect("next() returns after cancel");
        let (r, took) = t.join().unwrap();
        assert_eq!(r.unwrap().unwrap_err().kind(), ErrorKind::Cancelled);
        assert!(took < Duration::from_secs(5), "{took:?}");
    }

    #[test]
    fn converse_returns_the_same_message_the_stream_folds_to() {
        let emu = emulator();
        let c = client(&emu);
        let req = hello(MODEL)
            .additional_model_request_fields(json!({"reasoning_config": {"type": "enabled"}}))
            .inference_config(InferenceConfiguration {
                max_tokens: Some(3),
                ..Default::default()
            });
        let streamed = c.converse_stream(&req).unwrap().accumulate().unwrap();
        emu.push_scenario("fail=1:500".parse::<Scenario>().unwrap());
        let whole = c.converse(&req).unwrap();
        assert_eq!(whole.message().unwrap(), &streamed.message);
        assert_eq!(whole.stop_reason, StopReason::MaxTokens);
        assert_eq!(streamed.stop_reason, Some(StopReason::MaxTokens));
        assert_eq!(Some(&whole.usage), streamed.usage.as_ref());
        assert!(whole.request_id.is_some());
        let r = emu.requests();
        assert_eq!(r.len(), 3, "one stream, one failed and one good Converse");
        assert!(r[2].path.ends_with("/converse"));
        // The JSON-text form sends the caller's bytes.
        let text = r#"{"messages": [{"role": "user", "content": [{"text": "Hi"}]}]}"#;
        let j = ConverseJson::parse(MODEL, text, false).unwrap();
        let resp = c.converse_json(&j, CancelHandle::new()).unwrap();
        assert_eq!(resp.message().unwrap().text(), expected_reply("Hi"));
        assert_eq!(emu.requests()[3].body, text.as_bytes());
        // A ConverseStream-only member is refused for Converse, before sending.
        let j = ConverseJson::parse(
            MODEL,
            r#"{"guardrailConfig":{"streamProcessingMode":"sync"},"messages":[]}"#,
            true,
        )
        .unwrap();
        let e = c.converse_json(&j, CancelHandle::new()).unwrap_err();
        assert_eq!((e.kind(), e.attempts()), (ErrorKind::InvalidInput, 0));
        assert_eq!(emu.requests().len(), 4);
    }

    #[test]
    fn invoke_model_sends_the_raw_body_and_returns_the_raw_answer_with_headers() {
        let emu = emulator();
        let c = client(&emu);
        let body = serde_json::to_vec(&json!({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 64,
            "messages": [{"role": "user", "content": "Say hello"}]
        }))
        .unwrap();
        let req = InvokeRequest::new(MODEL, body.clone())
            .accept("application/json")
            .performance_config_latency(bedrock_stream::PerformanceConfigLatency::Optimized);
        emu.push_scenario("fail=1:503".parse::<Scenario>().unwrap());
        let r = c.invoke_model(&req).unwrap();
        assert_eq!(r.attempts, 2);
        assert_eq!(r.content_type.as_deref(), Some("application/json"));
        assert_eq!(
            r.performance_config_latency,
            Some(bedrock_stream::PerformanceConfigLatency::Optimized)
        );
        let doc: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(doc["content"][0]["text"], expected_reply("Say hello"));
        assert!(r.request_id.is_some());
        let sent = &emu.requests()[1];
        assert!(sent.path.ends_with("/invoke"), "{}", sent.path);
        assert_eq!(sent.body, body);
        assert_eq!(sent.header("accept"), Some("application/json"));
        assert!(
            !format!("{r:?}").contains("Hello"),
            "the body stays out of Debug"
        );
        let e = c
            .invoke_model(&InvokeRequest::new(
                "emulator-fault:http=400:ServiceQuotaExceededException",
                body,
            ))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ServiceQuotaExceeded);
    }
}

// ---------------------------------------------------------------------------------------------
// The command-line tool
// ---------------------------------------------------------------------------------------------

#[cfg(feature = "cli")]
mod cli {
    use super::*;
    use std::process::{Command, Stdio};

    use bedrock_stream::emulator::Emulator;

    const MODEL: &str = "anthropic.claude-3-5-haiku-20241022-v1:0";

    /// The tool pointed at `emu`, with a hermetic environment.
    fn bin(emu: &Emulator) -> Command {
        let dir = std::env::temp_dir().join("bedrock-stream-converse-test-no-home");
        let mut c = Command::new(env!("CARGO_BIN_EXE_bedrock-stream"));
        c.env_clear()
            .env("HOME", &dir)
            .env("AWS_CONFIG_FILE", dir.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emu.endpoint_url())
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "AKIDEMULATOR")
            .env("AWS_SECRET_ACCESS_KEY", "emulator-secret")
            .stdin(Stdio::null());
        c
    }

    /// `bedrock-stream converse ARGS` against `emu`.
    fn converse(emu: &Emulator, args: &[&str]) -> (i32, String, String) {
        let out = bin(emu).arg("converse").args(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    fn lines(stdout: &str) -> Vec<Value> {
        stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn file(name: &str, contents: &str) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!(
            "bedrock-stream-converse-{}-{name}",
            std::process::id()
        ));
        std::fs::write(&p, contents).unwrap();
        p
    }

    #[test]
    fn converse_streams_the_answer_with_a_summary() {
        let emu = Emulator::builder().text_chunks(4).start().unwrap();
        let (code, stdout, stderr) = converse(
            &emu,
            &["--model-id", MODEL, "--system", "Be brief.", "Say hello"],
        );
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(
            stdout,
            "Hello from the Bedrock emulator! You said: “Say hello”. 你好，世界！ 🦀\n"
        );
        assert!(
            stderr.contains("output tokens 4 · stop reason end_turn"),
            "{stderr}"
        );
        let body: Value = serde_json::from_slice(&emu.requests()[0].body).unwrap();
        assert_eq!(body["system"], json!([{"text": "Be brief."}]));
    }

    #[test]
    fn converse_json_prints_each_event_under_its_wire_name_then_the_outcome() {
        let emu = Emulator::builder().text_chunks(2).start().unwrap();
        let req = file(
            "request.json",
            r#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}],
               "additionalModelRequestFields":{"emulator":{"future":true}}}"#,
        );
        let (code, stdout, stderr) = converse(
            &emu,
            &[
                "--model-id",
                MODEL,
                "--json",
                "--request-file",
                req.to_str().unwrap(),
            ],
        );
        assert_eq!(code, 0, "{stderr}");
        let l = lines(&stdout);
        assert_eq!(
            l[0],
            json!({"event": "messageStart", "role": "assistant",
                   "futureMessageStart": {"of": "messageStart"}})
        );
        assert_eq!(l[1], json!({"event": "other", "type": "futureEvent"}));
        assert_eq!(
            stdout.lines().nth(2).unwrap(),
            r#"{"event":"contentBlockDelta","contentBlockIndex":0,"delta":{"text":"Hello from the Bedrock emula"},"futureContentBlockDelta":{"of":"contentBlockDelta"}}"#
        );
        assert_eq!(
            l[3]["delta"],
            json!({"futureDelta": {"hint": "kept as unknown"}})
        );
        let stop = l.iter().find(|v| v["event"] == "messageStop").unwrap();
        assert_eq!(stop["stopReason"], "end_turn");
        // Every event's unknown top-level member is printed beside the known ones.
        for (event, member) in [
            ("messageStart", "futureMessageStart"),
            ("contentBlockDelta", "futureContentBlockDelta"),
            ("contentBlockStop", "futureContentBlockStop"),
            ("messageStop", "futureMessageStop"),
        ] {
            let v = l.iter().find(|v| v["event"] == event).unwrap();
            assert_eq!(v[member], json!({"of": event}), "{v}");
        }
        let meta = &l[l.len() - 2];
        assert_eq!(meta["event"], "metadata");
        assert!(meta["usage"]["totalTokens"].as_u64().unwrap() > 0);
        assert_eq!(l.last().unwrap(), &json!({"outcome": "ok"}));
        // The request file went out unchanged.
        assert_eq!(emu.requests()[0].body, std::fs::read(&req).unwrap());
        std::fs::remove_file(req).unwrap();
    }

    #[test]
    fn converse_shows_tool_uses_and_no_stream_prints_the_response() {
        let emu = Emulator::builder().start().unwrap();
        let tools = file(
            "tools.json",
            r#"[{"name":"get_weather","description":"Weather","inputSchema":{"json":
                {"type":"object","properties":{"city":{"type":"string"}}}}}]"#,
        );
        let t = tools.to_str().unwrap();
        let (code, stdout, stderr) =
            converse(&emu, &["--model-id", MODEL, "--tools", t, "Weather?"]);
        assert_eq!(code, 0, "{stderr}");
        let mut out = stdout.lines();
        assert_eq!(out.next(), Some("Let me call get_weather."));
        let tool_line = out.next().unwrap();
        assert!(
            tool_line.starts_with("[tool use get_weather (tooluse_"),
            "{tool_line}"
        );
        assert!(
            tool_line.ends_with(r#"): {"city":"Zürich"}]"#),
            "{tool_line}"
        );
        assert!(stderr.contains("stop reason tool_use"), "{stderr}");
        let (code, stdout, stderr) = converse(
            &emu,
            &[
                "--model-id",
                MODEL,
                "--tools",
                t,
                "--no-stream",
                "--json",
                "Weather?",
            ],
        );
        assert_eq!(code, 0, "{stderr}");
        let l = lines(&stdout);
        assert_eq!(l.len(), 2, "{stdout}");
        assert_eq!(l[0]["event"], "response");
        assert_eq!(l[0]["stopReason"], "tool_use");
        assert_eq!(
            l[0]["output"]["message"]["content"][1]["toolUse"]["input"],
            json!({"city": "Zürich"})
        );
        assert_eq!(l[1], json!({"outcome": "ok"}));
        assert!(emu.requests()[1].path.ends_with("/converse"));
        std::fs::remove_file(tools).unwrap();
    }

    #[test]
    fn converse_errors_are_the_outcome_line_and_the_exit_code() {
        let emu = Emulator::builder().start().unwrap();
        let (code, stdout, _) = converse(
            &emu,
            &[
                "--model-id",
                "emulator-fault:exception=throttlingException:after=2",
                "--json",
                "Hi",
            ],
        );
        assert_eq!(code, 5, "stream errors exit 5");
        let l = lines(&stdout);
        assert_eq!(l.len(), 3);
        let last = l.last().unwrap();
        assert_eq!(last["outcome"], "error");
        assert_eq!(last["kind"], "stream");
        assert_eq!(last["code"], "throttlingException");
        assert_eq!(last["events_delivered"], 2);
        let (code, _, stderr) = converse(&emu, &["--model-id", "emulator-fault:http=403", "Hi"]);
        assert_eq!(code, 4, "{stderr}");
        assert!(stderr.contains("AccessDeniedException"), "{stderr}");
        // A bad request file is refused before anything is sent.
        let bad = file("bad.json", r#"{"modelId":"x"}"#);
        let before = emu.requests().len();
        let (code, stdout, _) = converse(
            &emu,
            &[
                "--model-id",
                MODEL,
                "--json",
                "--request-file",
                bad.to_str().unwrap(),
            ],
        );
        assert_eq!(code, 3);
        assert_eq!(lines(&stdout)[0]["kind"], "client");
        assert_eq!(emu.requests().len(), before);
        std::fs::remove_file(bad).unwrap();
    }

    #[test]
    fn invoke_no_stream_prints_the_whole_answer_then_the_outcome() {
        let emu = Emulator::builder().start().unwrap();
        let body =
            std::env::temp_dir().join(format!("bedrock-stream-invoke-{}.json", std::process::id()));
        std::fs::write(
            &body,
            r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":64,"messages":[{"role":"user","content":"Say hello"}]}"#,
        )
        .unwrap();
        let run = |model: &str| {
            bin(&emu)
                .args(["invoke", "--no-stream", "--model-id", model, "--body"])
                .arg(&body)
                .args(["--performance-config-latency", "optimized"])
                .output()
                .unwrap()
        };
        let out = run("anthropic.claude-3-5-haiku-20241022-v1:0");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["event"], "response");
        assert_eq!(lines[0]["content_type"], "application/json");
        assert_eq!(lines[0]["performance_config_latency"], "optimized");
        let doc: Value = serde_json::from_slice(
            &base64::engine::general_purpose::STANDARD
                .decode(lines[0]["body_b64"].as_str().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert!(doc["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Say hello"));
        assert_eq!(lines[1], json!({"outcome": "ok"}));
        assert!(emu.requests()[0].path.ends_with("/invoke"));
        let out = run("emulator-fault:http=400:ServiceQuotaExceededException");
        assert_eq!(out.status.code(), Some(4));
        let last: Value = serde_json::from_str(
            String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .last()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(last["code"], "ServiceQuotaExceededException");
        std::fs::remove_file(body).unwrap();
    }
}
