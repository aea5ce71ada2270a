//! End-to-end tests of the emulator over raw TCP (no HTTP client library involved).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;

use super::sigv4::{self, Identity};
use super::time::{format_amz_date, now_unix};
use super::*;
use crate::eventstream::{DecodeErrorKind, Decoder, Message};

const LONG: Duration = Duration::from_secs(20);
const CLAUDE: &str = "us.anthropic.claude-3-5-haiku-20241022-v1:0";

fn encode_label(id: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(id, SET).to_string()
}

fn stream_path(model_id: &str) -> String {
    format!(
        "/model/{}/invoke-with-response-stream",
        encode_label(model_id)
    )
}

enum Auth<'a> {
    SigV4 {
        key: &'a str,
        secret: &'a str,
        token: Option<&'a str>,
        time: i64,
    },
    Bearer(&'a str),
    None,
}

fn default_auth() -> Auth<'static> {
    Auth::SigV4 {
        key: DEFAULT_ACCESS_KEY_ID,
        secret: DEFAULT_SECRET_ACCESS_KEY,
        token: None,
        time: now_unix(),
    }
}

/// The raw bytes of a request, signed as the client would sign it.
fn raw_request(
    emu: &Emulator,
    method: &str,
    path: &str,
    extra: &[(&str, &str)],
    body: &[u8],
    auth: Auth<'_>,
) -> Vec<u8> {
    let host = emu.addr().to_string();
    let mut req = HttpRequest {
        method: method.into(),
        path: path.into(),
        query: String::new(),
        headers: vec![
            ("Host".into(), host),
            ("Content-Type".into(), "application/json".into()),
        ],
        body: body.to_vec(),
    };
    for (n, v) in extra {
        req.headers.push((n.to_string(), v.to_string()));
    }
    match auth {
        Auth::SigV4 {
            key,
            secret,
            token,
            time,
        } => {
            req.headers
                .push(("X-Amz-Date".into(), format_amz_date(time)));
            if let Some(t) = token {
                req.headers.push(("X-Amz-Security-Token".into(), t.into()));
            }
            let mut names: Vec<String> = req
                .headers
                .iter()
                .map(|(n, _)| n.to_ascii_lowercase())
                .collect();
            names.sort();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let id = Identity {
                access_key_id: key.into(),
                secret_access_key: secret.into(),
                session_token: None,
            };
            let a = sigv4::authorization_for(&req, &id, DEFAULT_REGION, "bedrock", &names);
            req.headers.push(("Authorization".into(), a));
        }
        Auth::Bearer(t) => req
            .headers
            .push(("Authorization".into(), format!("Bearer {t}"))),
        Auth::None => {}
    }
    req.headers
        .push(("Content-Length".into(), body.len().to_string()));
    req.headers
        .push(("User-Agent".into(), "emulator-test".into()));
    let mut out = format!("{} {} HTTP/1.1\r\n", req.method, req.path);
    for (n, v) in &req.headers {
        out += &format!("{n}: {v}\r\n");
    }
    out += "\r\n";
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

struct Client {
    reader: BufReader<TcpStream>,
}

#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    /// Each HTTP chunk's data (chunked bodies) or the whole body as one element.
    chunks: Vec<Vec<u8>>,
    /// The body ended properly (last chunk / full Content-Length).
    complete: bool,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn body(&self) -> Vec<u8> {
        self.chunks.concat()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body()).unwrap()
    }
}

impl Client {
    fn connect(emu: &Emulator) -> Client {
        let s = TcpStream::connect(emu.addr()).unwrap();
        s.set_read_timeout(Some(LONG)).unwrap();
        Client {
            reader: BufReader::new(s),
        }
    }
    fn send(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).unwrap();
    }
    fn line(&mut self) -> Option<String> {
        let mut l = String::new();
        match self.reader.read_line(&mut l) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(l.trim_end_matches(['\r', '\n']).to_string()),
        }
    }
    fn head(&mut self) -> (u16, Vec<(String, String)>) {
        let status_line = self.line().expect("a status line");
        let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut headers = Vec::new();
        loop {
            let l = self.line().expect("a header line");
            if l.is_empty() {
                break;
            }
            let (n, v) = l.split_once(':').unwrap();
            headers.push((n.to_string(), v.trim().to_string()));
        }
        (status, headers)
    }
    /// Reads one HTTP chunk: `Some(data)`, `Some(empty)` for the last chunk, `None` at EOF.
    fn chunk(&mut self) -> Option<Vec<u8>> {
        let size = usize::from_str_radix(&self.line()?, 16).unwrap();
        let mut data = vec![0u8; size];
        self.reader.read_exact(&mut data).ok()?;
        let mut crlf = [0u8; 2];
        self.reader.read_exact(&mut crlf).ok()?;
        assert_eq!(&crlf, b"\r\n");
        if size == 0 {
            Some(Vec::new())
        } else {
            Some(data)
        }
    }
    fn response(&mut self) -> Response {
        let (status, headers) = self.head();
        let mut r = Response {
            status,
            headers,
            chunks: Vec::new(),
            complete: false,
        };
        if r.header("transfer-encoding") == Some("chunked") {
            while let Some(c) = self.chunk() {
                if c.is_empty() {
                    r.complete = true;
                    break;
                }
                r.chunks.push(c);
            }
        } else {
            let n: usize = r.header("content-length").unwrap().parse().unwrap();
            let mut body = vec![0u8; n];
            self.reader.read_exact(&mut body).unwrap();
            r.chunks.push(body);
            r.complete = true;
        }
        r
    }
    fn call(&mut self, bytes: &[u8]) -> Response {
        self.send(bytes);
        self.response()
    }
    fn at_eof(&mut self) -> bool {
        matches!(self.reader.fill_buf(), Ok([]) | Err(_))
    }
}

fn claude_body(prompt: &str) -> Vec<u8> {
    ModelFamily::AnthropicClaude.example_body(prompt)
}

/// Invokes `model_id` with the family's example body on a fresh connection.
fn invoke(emu: &Emulator, model_id: &str) -> Response {
    let family = super::models::answer_family(None, model_id, ModelFamily::AnthropicClaude);
    let body = family.example_body("Say hi");
    let mut c = Client::connect(emu);
    c.call(&raw_request(
        emu,
        "POST",
        &stream_path(model_id),
        &[],
        &body,
        default_auth(),
    ))
}

/// Decodes every HTTP chunk as exactly one frame.
fn frames(r: &Response) -> Vec<Message> {
    r.chunks
        .iter()
        .map(|c| {
            let mut m = Decoder::decode_all(c).unwrap();
            assert_eq!(m.len(), 1, "one HTTP chunk must hold exactly one frame");
            m.remove(0)
        })
        .collect()
}

fn hs(m: &Message, name: &str) -> String {
    m.header(name)
        .and_then(|v| v.as_ref().as_str().map(String::from))
        .unwrap_or_default()
}

/// The inner documents of the chunk events.
fn inner_docs(msgs: &[Message]) -> Vec<Value> {
    msgs.iter()
        .filter(|m| hs(m, ":event-type") == "chunk")
        .map(|m| {
            let outer: Value = serde_json::from_slice(&m.payload).unwrap();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(outer["bytes"].as_str().unwrap())
                .unwrap();
            serde_json::from_slice(&bytes).unwrap()
        })
        .collect()
}

#[test]
fn public_types_are_thread_safe() {
    fn check<T: Send + Sync>() {}
    check::<Emulator>();
    check::<EmulatorBuilder>();
    check::<Scenario>();
    check::<RecordedRequest>();
}

#[test]
fn signed_stream_request_gets_a_valid_chunked_event_stream() {
    let emu = Emulator::builder().text_chunks(5).start().unwrap();
    let mut c = Client::connect(&emu);
    let req = raw_request(
        &emu,
        "POST",
        &stream_path(CLAUDE),
        &[
            ("X-Amzn-Bedrock-Accept", "application/json"),
            ("X-Amzn-Bedrock-Service-Tier", "priority"),
            ("X-Amzn-Bedrock-PerformanceConfig-Latency", "optimized"),
        ],
        &claude_body("What is Rust? 日本語"),
        default_auth(),
    );
    let r = c.call(&req);
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body()));
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.amazon.eventstream")
    );
    assert_eq!(
        r.header("x-amzn-bedrock-content-type"),
        Some("application/json")
    );
    assert_eq!(r.header("x-amzn-bedrock-service-tier"), Some("priority"));
    assert_eq!(
        r.header("x-amzn-bedrock-performanceconfig-latency"),
        Some("optimized")
    );
    let rid = r.header("x-amzn-requestid").unwrap().to_string();
    assert_eq!(rid.len(), 36);
    assert!(r.complete);

    // The concatenated body decodes as a whole too (the framing is independent of chunks).
    let whole = Decoder::decode_all(&r.body()).unwrap();
    let msgs = frames(&r);
    assert_eq!(whole, msgs);
    for m in &msgs {
        assert_eq!(hs(m, ":message-type"), "event");
        assert_eq!(hs(m, ":content-type"), "application/json");
    }
    let docs = inner_docs(&msgs);
    let types: Vec<&str> = docs.iter().map(|d| d["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    let text: String = docs
        .iter()
        .filter_map(|d| d["delta"]["text"].as_str())
        .collect();
    assert!(
        text.contains("What is Rust? 日本語") && text.contains('🦀') && text.contains("你好"),
        "{text}"
    );
    let metrics = &docs.last().unwrap()["amazon-bedrock-invocationMetrics"];
    assert_eq!(metrics["outputTokenCount"], 5);
    assert_eq!(
        metrics["outputTokenCount"],
        docs[8]["usage"]["output_tokens"]
    );
    assert_eq!(
        metrics["inputTokenCount"],
        docs[0]["message"]["usage"]["input_tokens"]
    );
    assert!(
        metrics["firstByteLatency"].as_u64().unwrap()
            <= metrics["invocationLatency"].as_u64().unwrap()
    );
    assert!(docs[..docs.len() - 1]
        .iter()
        .all(|d| d.get("amazon-bedrock-invocationMetrics").is_none()));
    // `p` padding present on some chunks and absent on others.
    let with_p = msgs
        .iter()
        .filter(|m| {
            serde_json::from_slice::<Value>(&m.payload)
                .unwrap()
                .get("p")
                .is_some()
        })
        .count();
    assert!(with_p > 0 && with_p < msgs.len());

    let rec = emu.requests();
    assert_eq!(rec.len(), 1);
    assert_eq!(rec[0].model_id.as_deref(), Some(CLAUDE));
    assert_eq!(
        rec[0].path,
        "/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/invoke-with-response-stream"
    );
    assert_eq!(rec[0].request_id, rid);
    assert_eq!(rec[0].status, 200);
    assert!(
        matches!(&rec[0].auth, AuthOutcome::SigV4 { access_key_id, .. } if access_key_id == DEFAULT_ACCESS_KEY_ID)
    );
    assert_eq!(rec[0].scenario.as_deref(), Some("normal"));
}

/// One family table: every family of `extract` is served by the emulator in its own format,
/// which the crate's extractor reads back completely (with the family given, and recognised from
/// the chunks under an id that names none); `Unknown` is answered in the default format.
#[test]
fn every_extract_family_is_served_by_the_emulator() {
    use crate::extract::TextExtractor;
    let emu = Emulator::start().unwrap();
    let served: Vec<ModelFamily> = super::families().collect();
    for family in ModelFamily::ALL {
        let model_id = family.example_model_id();
        assert_eq!(ModelFamily::from_model_id(model_id), family);
        if family == ModelFamily::Unknown {
            assert!(!served.contains(&family));
        } else {
            assert!(served.contains(&family), "{family} is not served");
        }
        let forced = Scenario::normal().with_family(family);
        for (id, extractor) in [
            (model_id, TextExtractor::new(family)),
            (
                ModelFamily::Unknown.example_model_id(),
                TextExtractor::new(ModelFamily::Unknown),
            ),
        ] {
            let mut extractor = extractor;
            emu.push_scenario(forced.clone());
            let mut c = Client::connect(&emu);
            let r = c.call(&raw_request(
                &emu,
                "POST",
                &stream_path(id),
                &[],
                &family.example_body("Say hi"),
                default_auth(),
            ));
            assert_eq!(r.status, 200, "{family} as {id}");
            let text: String = inner_docs(&frames(&r))
                .iter()
                .filter_map(|d| extractor.process(d.to_string().as_bytes()).into_text())
                .collect();
            assert!(
                text.contains("You said: “Say hi”") && text.ends_with('🦀'),
                "{family} as {id}: {text:?}"
            );
            let want = match family {
                ModelFamily::Unknown => ModelFamily::AnthropicClaude,
                // gpt-oss chunks name their model in `model`: under an ARN that names none,
                // their shape is Jamba's too, so the text is read and the family left open.
                ModelFamily::OpenAiGptOss if id != model_id => ModelFamily::Unknown,
                _ => family,
            };
            assert_eq!(extractor.family(), want, "{family} as {id}");
        }
    }
}

#[test]
fn every_family_streams_its_own_shape() {
    let emu = Emulator::start().unwrap();
    for family in super::families() {
        let r = invoke(&emu, family.example_model_id());
        assert_eq!(
            r.status,
            200,
            "{family}: {}",
            String::from_utf8_lossy(&r.body())
        );
        let docs = inner_docs(&frames(&r));
        let last = docs.last().unwrap();
        let m = &last["amazon-bedrock-invocationMetrics"];
        assert_eq!(m["outputTokenCount"], 8, "{family}");
        let text: String = docs
            .iter()
            .filter_map(|d| super::models::text_delta(family, d))
            .collect();
        assert!(
            text.contains("Say hi") && text.contains('🦀'),
            "{family}: {text}"
        );
    }
    // The family can be forced by the scenario.
    emu.push_scenario(
        Scenario::normal()
            .with_family(ModelFamily::AmazonTitanText)
            .with_chunks(1),
    );
    let body = ModelFamily::AmazonTitanText.example_body("forced");
    let mut c = Client::connect(&emu);
    let r = c.call(&raw_request(
        &emu,
        "POST",
        &stream_path(CLAUDE),
        &[],
        &body,
        default_auth(),
    ));
    let docs = inner_docs(&frames(&r));
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["completionReason"], "FINISH");
}

#[test]
fn keep_alive_reuses_the_connection_and_invoke_answers_json() {
    let emu = Emulator::start().unwrap();
    let mut c = Client::connect(&emu);
    let body = claude_body("one");
    assert_eq!(
        c.call(&raw_request(
            &emu,
            "POST",
            &stream_path(CLAUDE),
            &[],
            &body,
            default_auth()
        ))
        .status,
        200
    );
    let path = format!("/model/{}/invoke", encode_label(CLAUDE));
    let r = c.call(&raw_request(
        &emu,
        "POST",
        &path,
        &[],
        &body,
        Auth::Bearer(DEFAULT_BEARER_TOKEN),
    ));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let doc = r.json();
    assert!(doc["content"][0]["text"].as_str().unwrap().contains("one"));
    assert_eq!(r.header("x-amzn-bedrock-output-token-count"), Some("8"));
    let rec = emu.requests();
    assert_eq!(
        (rec[0].connection_id, rec[0].sequence_on_connection),
        (1, 1)
    );
    assert_eq!(
        (rec[1].connection_id, rec[1].sequence_on_connection),
        (1, 2)
    );
    assert_eq!(rec[1].auth, AuthOutcome::Bearer);
    assert_eq!(emu.connections_accepted(), 1);
}

fn auth_error(emu: &Emulator, auth: Auth<'_>) -> Response {
    let mut c = Client::connect(emu);
    c.call(&raw_request(
        emu,
        "POST",
        &stream_path(CLAUDE),
        &[],
        &claude_body("x"),
        auth,
    ))
}

fn assert_error(r: &Response, status: u16, shape: &str, needle: &str) {
    assert_eq!(r.status, status, "{:?}", String::from_utf8_lossy(&r.body()));
    let t = r.header("x-amzn-errortype").unwrap();
    assert_eq!(t.split(':').next(), Some(shape), "{t}");
    assert!(t.contains(":http://internal.amazon.com/coral/"), "{t}");
    let body = r.json();
    let msg = body["message"]
        .as_str()
        .or(body["Message"].as_str())
        .unwrap();
    assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
    assert!(r.header("x-amzn-requestid").is_some());
}

#[test]
fn authentication_failures_look_like_aws() {
    let emu = Emulator::builder()
        .add_credentials("ASIATEMP", "temp-secret", Some("session-1"))
        .expired_session_token("stale-session")
        .start()
        .unwrap();
    let now = now_unix();
    let r = auth_error(
        &emu,
        Auth::SigV4 {
            key: DEFAULT_ACCESS_KEY_ID,
            secret: "wrong",
            token: None,
            time: now,
        },
    );
    assert_error(
        &r,
        403,
        "InvalidSignatureException",
        "The request signature we calculated does not match",
    );
    let r = auth_error(
        &emu,
        Auth::SigV4 {
            key: "AKIDUNKNOWN",
            secret: "x",
            token: None,
            time: now,
        },
    );
    assert_error(
        &r,
        403,
        "UnrecognizedClientException",
        "security token included in the request is invalid",
    );
    let r = auth_error(
        &emu,
        Auth::SigV4 {
            key: DEFAULT_ACCESS_KEY_ID,
            secret: DEFAULT_SECRET_ACCESS_KEY,
            token: None,
            time: now - 20 * 60,
        },
    );
    assert_error(&r, 403, "InvalidSignatureException", "Signature expired");
    let r = auth_error(
        &emu,
        Auth::SigV4 {
            key: "ASIATEMP",
            secret: "temp-secret",
            token: Some("stale-session"),
            time: now,
        },
    );
    assert_error(&r, 403, "ExpiredTokenException", "expired");
    let r = auth_error(
        &emu,
        Auth::SigV4 {
            key: "ASIATEMP",
            secret: "temp-secret",
            token: Some("other"),
            time: now,
        },
    );
    assert_error(&r, 403, "UnrecognizedClientException", "invalid");
    let r = auth_error(&emu, Auth::Bearer("wrong-key"));
    assert_error(&r, 403, "AccessDeniedException", "API Key");
    let r = auth_error(&emu, Auth::None);
    assert_error(
        &r,
        403,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    );
    // Temporary credentials with the right token pass.
    let r = auth_error(
        &emu,
        Auth::SigV4 {
            key: "ASIATEMP",
            secret: "temp-secret",
            token: Some("session-1"),
            time: now,
        },
    );
    assert_eq!(r.status, 200);
    let rejected = emu
        .requests()
        .iter()
        .filter(|r| !r.auth.is_accepted())
        .count();
    assert_eq!(rejected, 7);

    let open = Emulator::builder()
        .accept_any_credentials()
        .start()
        .unwrap();
    assert_eq!(auth_error(&open, Auth::None).status, 200);
    assert_eq!(open.requests()[0].auth, AuthOutcome::AcceptedAny);
}

#[test]
fn routing_unknown_operations_and_the_extension_handler() {
    let handler: Handler = Arc::new(|req: &HttpRequest| {
        (req.path == "/latest/api/token").then(|| {
            HttpResponse::new(
                200,
                "text/plain",
                format!(
                    "token-for-{}",
                    req.header("x-aws-ec2-metadata-token-ttl-seconds")
                        .unwrap_or("?")
                ),
            )
        })
    });
    let emu = Emulator::builder().handler(handler).start().unwrap();
    let mut c = Client::connect(&emu);
    // A raw '/' inside the model id adds a path segment.
    let raw_arn = "/model/arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.x/invoke-with-response-stream";
    let r = c.call(&raw_request(
        &emu,
        "POST",
        raw_arn,
        &[],
        b"{}",
        default_auth(),
    ));
    assert_error(&r, 404, "UnknownOperationException", "not recognized");
    let r = c.call(&raw_request(
        &emu,
        "GET",
        &stream_path(CLAUDE),
        &[],
        b"",
        default_auth(),
    ));
    assert_eq!(r.status, 404);
    let r = c.call(&raw_request(
        &emu,
        "POST",
        "/model/x/converse-stream",
        &[],
        b"{}",
        default_auth(),
    ));
    // A route since Converse: a body without messages is the service's validation error.
    assert_error(&r, 400, "ValidationException", "start with a user message");
    let r = c.call(&raw_request(
        &emu,
        "POST",
        "/model/x/converse-whatever",
        &[],
        b"{}",
        default_auth(),
    ));
    assert_eq!(r.status, 404);
    let r = c.call(&raw_request(
        &emu,
        "PUT",
        "/latest/api/token",
        &[("X-aws-ec2-metadata-token-ttl-seconds", "21600")],
        b"",
        Auth::None,
    ));
    assert_eq!((r.status, r.body()), (200, b"token-for-21600".to_vec()));
    let r = c.call(&raw_request(
        &emu,
        "GET",
        "/nothing-here",
        &[],
        b"",
        Auth::None,
    ));
    assert_eq!(r.status, 404);
    // A label-encoded ARN is routed and decoded.
    let arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0";
    let r = c.call(&raw_request(
        &emu,
        "POST",
        &stream_path(arn),
        &[],
        &claude_body("arn"),
        default_auth(),
    ));
    assert_eq!(r.status, 200);
    let rec = emu.requests();
    assert_eq!(rec.len(), 7);
    assert_eq!(rec[6].model_id.as_deref(), Some(arn));
    assert!(rec.iter().all(|r| r.connection_id == 1));
    // Invalid bodies are a ValidationException.
    let r = c.call(&raw_request(
        &emu,
        "POST",
        &stream_path(CLAUDE),
        &[],
        b"not json",
        default_auth(),
    ));
    assert_error(&r, 400, "ValidationException", "Malformed input request");
    let r = c.call(&raw_request(
        &emu,
        "POST",
        &stream_path(CLAUDE),
        &[],
        br#"{"messages":[]}"#,
        default_auth(),
    ));
    assert_error(
        &r,
        400,
        "ValidationException",
        "required key [anthropic_version]",
    );
}

/// The emulator's modeled-error table is an independent oracle for the client's: both, and the
/// stream exceptions, are checked here against the service model itself.
#[test]
fn modeled_error_tables_match_the_service_model() {
    let model: Value = serde_json::from_str(include_str!(
        "../../tests/data/bedrock-runtime.service-2.json"
    ))
    .unwrap();
    let shapes = &model["shapes"];
    let mut from_model: Vec<(String, u16)> = model["operations"]["InvokeModelWithResponseStream"]
        ["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let shape = e["shape"].as_str().unwrap();
            let status = shapes[shape]["error"]["httpStatusCode"].as_u64().unwrap();
            (shape.to_owned(), u16::try_from(status).unwrap())
        })
        .collect();
    from_model.sort();
    let sorted = |mut v: Vec<(String, u16)>| {
        v.sort();
        v
    };
    let emulator = sorted(
        MODELED_ERRORS
            .iter()
            .map(|(s, c)| (s.to_string(), *c))
            .collect(),
    );
    let client = sorted(
        crate::error::MODELED_ERRORS
            .iter()
            .map(|m| (m.shape.to_owned(), m.status))
            .collect(),
    );
    assert_eq!(emulator, from_model);
    assert_eq!(client, from_model);

    let mut members: Vec<(String, String)> = model["shapes"]["ResponseStream"]["members"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, m)| shapes[m["shape"].as_str().unwrap()]["exception"] == true)
        .map(|(name, m)| (name.clone(), m["shape"].as_str().unwrap().to_owned()))
        .collect();
    members.sort();
    let mut emulated: Vec<String> = StreamException::MODELED
        .iter()
        .map(|e| e.as_str().to_owned())
        .collect();
    emulated.sort();
    let mut client: Vec<(String, String)> = crate::error::MODELED_ERRORS
        .iter()
        .filter_map(|m| Some((m.stream_member?.to_owned(), m.shape.to_owned())))
        .collect();
    client.sort();
    assert_eq!(
        emulated,
        members.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>()
    );
    assert_eq!(client, members);
    // The emulator's default shape for a status is one the model gives that status.
    for status in 100..600 {
        if let Some(shape) = super::router::default_shape(status) {
            assert!(from_model.contains(&(shape.to_owned(), status)), "{status}");
        }
    }
}

#[test]
fn every_modeled_http_error_and_the_unmodeled_ones() {
    let emu = Emulator::start().unwrap();
    for (shape, status) in MODELED_ERRORS {
        emu.push_scenario(Scenario::http_error(status, shape));
        let r = invoke(&emu, CLAUDE);
        assert_error(&r, status, shape, "");
        assert!(r
            .header("x-amzn-errortype")
            .unwrap()
            .ends_with(":http://internal.amazon.com/coral/com.amazon.bedrock/"));
        let body = r.json();
        assert!(!body["message"].as_str().unwrap().is_empty());
        match shape {
            "ModelStreamErrorException" => {
                assert_eq!(body["originalStatusCode"], 500);
                assert!(body["originalMessage"].is_string());
            }
            "ModelErrorException" => {
                assert_eq!(body["originalStatusCode"], 500);
                assert_eq!(body["resourceName"], CLAUDE);
            }
            _ => assert_eq!(body.as_object().unwrap().len(), 1, "{body}"),
        }
    }
    // By model id: a status with its default shape and a custom message.
    let r = invoke(&emu, "emulator-fault:http=429:message=slow%20down");
    assert_error(&r, 429, "ThrottlingException", "slow down");
    let r = invoke(&emu, "emulator-fault:http=504");
    assert_eq!(r.status, 504);
    assert!(r.header("x-amzn-errortype").is_none());
    let r = invoke(&emu, "emulator-fault:html-502");
    assert_eq!(
        (r.status, r.header("content-type")),
        (502, Some("text/html"))
    );
    assert!(String::from_utf8(r.body())
        .unwrap()
        .contains("502 Bad Gateway"));
    let r = invoke(&emu, "emulator-fault:json-200");
    assert_eq!(
        (r.status, r.header("content-type")),
        (200, Some("application/json"))
    );
    assert!(r.json()["message"].is_string());
    let r = invoke(&emu, "emulator-fault:text-200");
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    let r = invoke(&emu, "emulator-fault:nonsense");
    assert_error(&r, 400, "ValidationException", "invalid emulator scenario");
}

#[test]
fn stream_exceptions_after_k_chunks() {
    let emu = Emulator::start().unwrap();
    for exc in StreamException::MODELED {
        emu.push_scenario(Scenario::exception(exc.clone(), 3));
        let r = invoke(&emu, CLAUDE);
        assert!(r.complete);
        let msgs = frames(&r);
        assert_eq!(msgs.len(), 4);
        assert!(msgs[..3].iter().all(|m| hs(m, ":event-type") == "chunk"));
        let last = &msgs[3];
        assert_eq!(hs(last, ":message-type"), "exception");
        assert_eq!(hs(last, ":exception-type"), exc.as_str());
        let payload: Value = serde_json::from_slice(&last.payload).unwrap();
        assert_eq!(payload["message"], exc.default_message());
        if exc == StreamException::ModelStreamError {
            assert_eq!(payload["originalStatusCode"], 500);
            assert!(payload["originalMessage"].is_string());
        } else {
            assert!(payload.get("originalStatusCode").is_none());
        }
    }
    let r = invoke(&emu, "emulator-fault:exception=modelStreamErrorException:after=1:status=503:original-message=overloaded");
    let msgs = frames(&r);
    assert_eq!(msgs.len(), 2);
    let payload: Value = serde_json::from_slice(&msgs[1].payload).unwrap();
    assert_eq!(
        (
            payload["originalStatusCode"].as_u64(),
            payload["originalMessage"].as_str()
        ),
        (Some(503), Some("overloaded"))
    );

    let r = invoke(&emu, "emulator-fault:error=InternalFailure:after=1");
    let msgs = frames(&r);
    assert_eq!(msgs.len(), 2);
    assert_eq!(hs(&msgs[1], ":message-type"), "error");
    assert_eq!(hs(&msgs[1], ":error-code"), "InternalFailure");
    assert!(!hs(&msgs[1], ":error-message").is_empty());
    assert!(msgs[1].payload.is_empty());

    // Oversized names from Rust are cut to what a header can hold, never a panic.
    let huge = "x".repeat(40_000);
    emu.push_scenario(Scenario::exception(StreamException::Other(huge.clone()), 0));
    emu.push_scenario(Scenario::error_message(&huge, &huge, 0));
    for _ in 0..2 {
        let msgs = frames(&invoke(&emu, CLAUDE));
        assert_eq!(msgs.len(), 1);
        let m = &msgs[0];
        let name = [":exception-type", ":error-code"]
            .map(|h| hs(m, h))
            .concat();
        assert_eq!(name.len(), crate::eventstream::MAX_ENCODED_HEADER_VALUE_LEN);
    }

    let r = invoke(&emu, "emulator-fault:unknown-event=shinyNewEvent:after=2");
    let msgs = frames(&r);
    assert_eq!(msgs.len(), 10 + 1 + 3);
    assert_eq!(hs(&msgs[2], ":event-type"), "shinyNewEvent");
    assert_eq!(inner_docs(&msgs).len(), 13);
}

#[test]
fn truncation_bad_crc_and_reset_break_the_stream_as_asked() {
    let emu = Emulator::start().unwrap();
    // Clean HTTP end in the middle of a frame.
    let r = invoke(&emu, "emulator-fault:truncate:after=2");
    assert!(r.complete);
    let mut d = Decoder::new();
    d.feed(&r.body());
    let mut n = 0;
    while d.next_message().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 2);
    assert!(d.finish().is_err(), "a frame must be left incomplete");
    // Abrupt: no final HTTP chunk.
    let r = invoke(&emu, "emulator-fault:truncate:after=1:abrupt");
    assert!(!r.complete);
    assert_eq!(r.chunks.len(), 2);

    let r = invoke(&emu, "emulator-fault:bad-crc:after=1");
    assert!(r.complete);
    let mut d = Decoder::new();
    d.feed(&r.body());
    assert!(d.next_message().unwrap().is_some());
    let e = d.next_message().unwrap_err();
    assert_eq!(e.kind(), DecodeErrorKind::MessageChecksumMismatch);

    let r = invoke(&emu, "emulator-fault:reset:after=2");
    assert!(!r.complete);
    assert_eq!(r.chunks.len(), 2);
}

/// `reset` ends the connection with a TCP RST (SO_LINGER 0), not a FIN: the reader sees a
/// reset, never a clean end of file.
#[test]
fn reset_fault_sends_a_tcp_reset() {
    let emu = Emulator::start().unwrap();
    let mut s = TcpStream::connect(emu.addr()).unwrap();
    s.set_read_timeout(Some(LONG)).unwrap();
    s.write_all(&raw_request(
        &emu,
        "POST",
        &stream_path("emulator-fault:reset:after=1"),
        &[],
        &claude_body("a"),
        default_auth(),
    ))
    .unwrap();
    let mut buf = [0u8; 4096];
    let end = loop {
        match s.read(&mut buf) {
            Ok(0) => break None,
            Ok(_) => continue,
            Err(e) => break Some(e.kind()),
        }
    };
    assert_eq!(end, Some(std::io::ErrorKind::ConnectionReset));
}

#[test]
fn fail_n_then_succeed_by_model_id_and_by_queue() {
    let emu = Emulator::start().unwrap();
    let id = "emulator-fault:fail=2:503";
    let statuses: Vec<u16> = (0..4).map(|_| invoke(&emu, id).status).collect();
    assert_eq!(statuses, [503, 503, 200, 200]);
    emu.reset_fail_counters();
    assert_eq!(invoke(&emu, id).status, 503);

    emu.push_scenario(Scenario::fail_then_succeed(2, 429));
    emu.push_scenario(Scenario::http_status(500));
    let statuses: Vec<u16> = (0..4).map(|_| invoke(&emu, CLAUDE).status).collect();
    assert_eq!(statuses, [429, 429, 500, 200]);
    assert_eq!(emu.pending_scenarios(), 0);

    // Default scenario.
    emu.set_default_scenario(Scenario::http_error(403, "AccessDeniedException"));
    assert_eq!(invoke(&emu, CLAUDE).status, 403);
}

#[test]
fn stall_is_silent_until_the_client_leaves_and_is_counted_as_a_client_close() {
    let emu = Emulator::start().unwrap();
    let mut c = Client::connect(&emu);
    c.send(&raw_request(
        &emu,
        "POST",
        &stream_path("emulator-fault:stall:after=1"),
        &[],
        &claude_body("x"),
        default_auth(),
    ));
    let (status, _) = c.head();
    assert_eq!(status, 200);
    let first = c.chunk().unwrap();
    assert_eq!(Decoder::decode_all(&first).unwrap().len(), 1);
    // Nothing else arrives (the stall never ends on its own).
    c.reader
        .get_ref()
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut b = [0u8; 1];
    let e = c.reader.read(&mut b).unwrap_err();
    assert!(matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    ));
    assert_eq!(emu.closed_connections(), 0);
    drop(c);
    assert!(emu.wait_for_closed_connections(1, LONG));
}

#[test]
fn hang_after_last_and_stall_end_when_the_emulator_shuts_down() {
    let emu = Emulator::start().unwrap();
    let mut hang = Client::connect(&emu);
    hang.send(&raw_request(
        &emu,
        "POST",
        &stream_path("emulator-fault:hang-after-last"),
        &[],
        &claude_body("x"),
        default_auth(),
    ));
    let (status, _) = hang.head();
    assert_eq!(status, 200);
    for _ in 0..13 {
        assert!(!hang.chunk().unwrap().is_empty());
    }
    let mut stall = Client::connect(&emu);
    stall.send(&raw_request(
        &emu,
        "POST",
        &stream_path("emulator-fault:stall-headers"),
        &[],
        &claude_body("x"),
        default_auth(),
    ));
    assert!(emu.wait_for_requests(2, LONG));
    emu.shutdown(); // returns only after joining every thread
    assert!(hang.at_eof());
    assert!(stall.at_eof());
    assert_eq!(emu.open_connections(), 0);
    assert_eq!(
        emu.closed_connections(),
        0,
        "server-side closes are not client closes"
    );
}

#[test]
fn finite_stall_and_drip_still_deliver_everything() {
    let emu = Emulator::builder()
        .chunk_delay(Duration::from_millis(1))
        .start()
        .unwrap();
    let r = invoke(&emu, "emulator-fault:stall:after=2:for=20ms,chunks=3");
    assert!(r.complete);
    assert_eq!(frames(&r).len(), 8);
    let r = invoke(&emu, "emulator-fault:drip=2ms,chunks=2");
    assert_eq!(frames(&r).len(), 7);
}

#[test]
fn bulk_frames_have_the_requested_size() {
    let emu = Emulator::start().unwrap();
    for size in [1, 200, 1000, 4096, 65_536, 300_000] {
        let frame = super::frames::bulk_frame(size);
        let min = super::frames::bulk_frame(1).len();
        assert_eq!(frame.len(), size.max(min), "size {size}");
        Decoder::decode_all(&frame).unwrap();
    }
    let r = invoke(&emu, "emulator-fault:bulk:chunks=1500:size=4096");
    assert!(r.complete);
    assert_eq!(r.chunks.len(), 1501);
    assert!(r.chunks[..1500]
        .iter()
        .all(|c| c.len() == 4096 && c == &r.chunks[0]));
    let docs = inner_docs(&frames(&r));
    assert_eq!(docs[0]["type"], "content_block_delta");
    assert_eq!(
        docs[1500]["amazon-bedrock-invocationMetrics"]["outputTokenCount"],
        1500
    );
}

#[test]
fn converse_stream_bulk_sends_text_deltas_of_the_requested_size() {
    let emu = Emulator::start().unwrap();
    let model = "emulator-fault:bulk:chunks=1500:size=200";
    let path = format!("/model/{}/converse-stream", encode_label(model));
    let body = br#"{"messages":[{"role":"user","content":[{"text":"Say hi"}]}]}"#;
    let r =
        Client::connect(&emu).call(&raw_request(&emu, "POST", &path, &[], body, default_auth()));
    assert_eq!(r.status, 200);
    assert!(r.complete);
    let msgs = frames(&r);
    let types: Vec<String> = msgs.iter().map(|m| hs(m, ":event-type")).collect();
    assert_eq!(msgs.len(), 1 + 1500 + 3);
    assert_eq!(types[0], "messageStart");
    assert!(types[1..1501].iter().all(|t| t == "contentBlockDelta"));
    assert_eq!(
        types[1501..],
        ["contentBlockStop", "messageStop", "metadata"]
    );
    assert!(r.chunks[1..1501]
        .iter()
        .all(|c| c.len() == 200 && c == &r.chunks[1]));
    let delta: Value = serde_json::from_slice(&msgs[1].payload).unwrap();
    assert_eq!(delta["contentBlockIndex"], 0);
    assert!(delta["delta"]["text"]
        .as_str()
        .unwrap()
        .starts_with("The quick"));
    let meta: Value = serde_json::from_slice(&msgs[1503].payload).unwrap();
    assert_eq!(meta["usage"]["outputTokens"], 1500);
    assert!(meta["metrics"]["latencyMs"].is_u64());
}

#[test]
fn garbage_gets_400_and_the_connection_is_closed() {
    let emu = Emulator::start().unwrap();
    let mut c = Client::connect(&emu);
    let r = c.call(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03 hello\r\n\r\n");
    assert_eq!(r.status, 400);
    assert!(c.at_eof());
    let mut c = Client::connect(&emu);
    let r = c.call(format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(70_000)).as_bytes());
    assert_eq!(r.status, 431);
    // The emulator is still serving.
    assert_eq!(invoke(&emu, CLAUDE).status, 200);
}

#[test]
fn idle_connections_can_be_closed_and_the_connection_limit_holds() {
    let emu = Emulator::builder().max_connections(1).start().unwrap();
    let mut c = Client::connect(&emu);
    assert_eq!(
        c.call(&raw_request(
            &emu,
            "POST",
            &stream_path(CLAUDE),
            &[],
            &claude_body("a"),
            default_auth()
        ))
        .status,
        200
    );
    // The only slot is taken by the idle keep-alive connection.
    let mut other = Client::connect(&emu);
    let (status, _) = other.head();
    assert_eq!(status, 503);
    // The connection turns idle when its thread is back waiting for the next request, which
    // may be just after the client has read the whole response.
    let deadline = std::time::Instant::now() + LONG;
    let mut closed = emu.close_idle_connections();
    while closed == 0 && std::time::Instant::now() < deadline {
        std::thread::yield_now();
        closed = emu.close_idle_connections();
    }
    assert_eq!(closed, 1);
    assert!(c.at_eof());
    assert!(emu.wait_stats_open_zero());
    assert_eq!(emu.closed_connections(), 0);
    assert_eq!(invoke(&emu, CLAUDE).status, 200);
}

#[test]
fn scenario_close_and_http10_close_the_connection() {
    let emu = Emulator::start().unwrap();
    let mut c = Client::connect(&emu);
    let r = c.call(&raw_request(
        &emu,
        "POST",
        &stream_path("emulator-fault:normal,close"),
        &[],
        &claude_body("a"),
        default_auth(),
    ));
    assert_eq!((r.status, r.header("connection")), (200, Some("close")));
    assert!(c.at_eof());
    let mut c = Client::connect(&emu);
    let r = c.call(&raw_request(
        &emu,
        "POST",
        &stream_path("emulator-fault:http=500,close:silent"),
        &[],
        &claude_body("a"),
        default_auth(),
    ));
    assert_eq!(
        (r.status, r.header("connection")),
        (500, Some("keep-alive"))
    );
    assert!(c.at_eof());
    let mut c = Client::connect(&emu);
    let r = c.call(b"GET /x HTTP/1.0\r\n\r\n");
    assert_eq!(r.status, 404);
    assert!(c.at_eof());
}

impl Emulator {
    fn wait_stats_open_zero(&self) -> bool {
        self.shared.wait_stats(LONG, |s| s.open == 0)
    }
}
