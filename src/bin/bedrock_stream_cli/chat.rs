//! `chat`: a prompt in the model family's native request format, the answer streamed to stdout,
//! a summary on stderr.

use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use bedrock_stream::extract::ModelFamily;
use serde_json::{json, Map, Value};

use super::args::{ChatArgs, ClientArgs};
use super::exit;
use super::output::{output_failed, Failure, Out};
use super::setup::{build_client, build_request, family, stdin_is_terminal, Verbose};

/// What the user asked for, independent of the family.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt<'a> {
    /// The user's message.
    pub text: &'a str,
    /// The system prompt.
    pub system: Option<&'a str>,
    /// Maximum tokens to generate.
    pub max_tokens: u32,
    /// Sampling temperature.
    pub temperature: Option<f64>,
}

/// The request body for `family` (each family's native request format).
pub fn request_body(family: ModelFamily, p: &Prompt<'_>) -> Result<Value, Failure> {
    let mut body = Map::new();
    let put = |m: &mut Map<String, Value>, k: &str, v: Value| {
        m.insert(k.to_owned(), v);
    };
    // Families whose body is an OpenAI-like message list with an optional system message.
    let chat_messages = || {
        let mut msgs = Vec::new();
        if let Some(s) = p.system {
            msgs.push(json!({"role": "system", "content": s}));
        }
        msgs.push(json!({"role": "user", "content": p.text}));
        Value::Array(msgs)
    };
    match family {
        ModelFamily::AnthropicClaude => {
            put(&mut body, "anthropic_version", json!("bedrock-2023-05-31"));
            put(&mut body, "max_tokens", json!(p.max_tokens));
            if let Some(s) = p.system {
                put(&mut body, "system", json!(s));
            }
            put(
                &mut body,
                "messages",
                json!([{"role": "user", "content": [{"type": "text", "text": p.text}]}]),
            );
            if let Some(t) = p.temperature {
                put(&mut body, "temperature", json!(t));
            }
        }
        ModelFamily::AmazonTitanText => {
            let input = match p.system {
                Some(s) => format!("{s}\n\nUser: {}\nBot:", p.text),
                None => format!("User: {}\nBot:", p.text),
            };
            put(&mut body, "inputText", json!(input));
            let mut cfg = Map::new();
            cfg.insert("maxTokenCount".into(), json!(p.max_tokens));
            if let Some(t) = p.temperature {
                cfg.insert("temperature".into(), json!(t));
            }
            put(&mut body, "textGenerationConfig", Value::Object(cfg));
        }
        ModelFamily::AmazonNova => {
            put(&mut body, "schemaVersion", json!("messages-v1"));
            if let Some(s) = p.system {
                put(&mut body, "system", json!([{"text": s}]));
            }
            put(
                &mut body,
                "messages",
                json!([{"role": "user", "content": [{"text": p.text}]}]),
            );
            let mut cfg = Map::new();
            cfg.insert("maxTokens".into(), json!(p.max_tokens));
            if let Some(t) = p.temperature {
                cfg.insert("temperature".into(), json!(t));
            }
            put(&mut body, "inferenceConfig", Value::Object(cfg));
        }
        ModelFamily::MetaLlama => {
            let mut prompt = String::from("<|begin_of_text|>");
            if let Some(s) = p.system {
                prompt.push_str("<|start_header_id|>system<|end_header_id|>\n\n");
                prompt.push_str(s);
                prompt.push_str("<|eot_id|>");
            }
            prompt.push_str("<|start_header_id|>user<|end_header_id|>\n\n");
            prompt.push_str(p.text);
            prompt.push_str("<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
            put(&mut body, "prompt", json!(prompt));
            put(&mut body, "max_gen_len", json!(p.max_tokens));
            if let Some(t) = p.temperature {
                put(&mut body, "temperature", json!(t));
            }
        }
        ModelFamily::MistralText => {
            let inst = match p.system {
                Some(s) => format!("{s}\n\n{}", p.text),
                None => p.text.to_owned(),
            };
            put(
                &mut body,
                "prompt",
                json!(format!("<s>[INST] {inst} [/INST]")),
            );
            put(&mut body, "max_tokens", json!(p.max_tokens));
            if let Some(t) = p.temperature {
                put(&mut body, "temperature", json!(t));
            }
        }
        ModelFamily::MistralChat | ModelFamily::Ai21Jamba => {
            put(&mut body, "messages", chat_messages());
            put(&mut body, "max_tokens", json!(p.max_tokens));
            if let Some(t) = p.temperature {
                put(&mut body, "temperature", json!(t));
            }
        }
        ModelFamily::OpenAiGptOss => {
            put(&mut body, "messages", chat_messages());
            put(&mut body, "max_completion_tokens", json!(p.max_tokens));
            if let Some(t) = p.temperature {
                put(&mut body, "temperature", json!(t));
            }
        }
        ModelFamily::Cohere => {
            put(&mut body, "message", json!(p.text));
            if let Some(s) = p.system {
                put(&mut body, "preamble", json!(s));
            }
            put(&mut body, "max_tokens", json!(p.max_tokens));
            if let Some(t) = p.temperature {
                put(&mut body, "temperature", json!(t));
            }
        }
        ModelFamily::DeepSeek => {
            let prompt = format!(
                "<\u{ff5c}begin\u{2581}of\u{2581}sentence\u{ff5c}>{}<\u{ff5c}User\u{ff5c}>{}<\u{ff5c}Assistant\u{ff5c}><think>\n",
                p.system.unwrap_or(""),
                p.text
            );
            put(&mut body, "prompt", json!(prompt));
            put(&mut body, "max_tokens", json!(p.max_tokens));
            if let Some(t) = p.temperature {
                put(&mut body, "temperature", json!(t));
            }
        }
        _ => {
            return Err(Failure::client(
                "the model id does not tell which request format to use (application inference \
                 profile, provisioned, custom or imported model?); pass --family, e.g. \
                 --family anthropic-claude, or send your own body with `bedrock-stream invoke`",
            ))
        }
    }
    Ok(Value::Object(body))
}

/// Runs `chat`; returns the exit code.
pub fn run(g: &ClientArgs, a: &ChatArgs) -> u8 {
    let verbose = Verbose::new(g.verbose);
    exit_on_ctrl_c();
    match chat(g, a, &verbose) {
        Ok(code) => code,
        Err(Outcome::Output(e)) => output_failed(&e),
        Err(Outcome::Failed(f)) => {
            eprintln!("bedrock-stream: {f}");
            f.exit_code()
        }
    }
}

enum Outcome {
    Output(io::Error),
    Failed(Failure),
}

/// Whether the answer printed so far ends inside a line (for Ctrl-C to end it).
static LINE_OPEN: AtomicBool = AtomicBool::new(false);

/// On Ctrl-C (SIGINT): end the line being printed, say so on stderr, exit 130.
fn exit_on_ctrl_c() {
    use signal_hook::consts::SIGINT;
    use signal_hook::iterator::Signals;
    let Ok(mut signals) = Signals::new([SIGINT]) else {
        return; // the default action stays: the shell reports 130 all the same
    };
    thread::spawn(move || {
        if signals.forever().next().is_some() {
            if LINE_OPEN.load(Ordering::SeqCst) {
                // The main thread holds the stdout lock: write through a second handle.
                let ended = OpenOptions::new()
                    .append(true)
                    .open("/dev/stdout")
                    .and_then(|mut f| f.write_all(b"\n"));
                if ended.is_err() {
                    eprintln!();
                }
            }
            eprintln!("bedrock-stream: interrupted");
            std::process::exit(i32::from(exit::INTERRUPTED));
        }
    });
}

impl From<Failure> for Outcome {
    fn from(f: Failure) -> Outcome {
        Outcome::Failed(f)
    }
}

/// The prompt argument, or stdin for `-` (or nothing, when stdin is not a terminal).
pub fn read_prompt(command: &str, prompt: Option<&str>) -> Result<String, Failure> {
    let from_stdin = match prompt {
        Some("-") => true,
        Some(_) => false,
        None if stdin_is_terminal() => {
            return Err(Failure::Usage {
                command: command.to_owned(),
                message: "the PROMPT argument is required when stdin is a terminal (give it, or \
                          `-` or a pipe to read it from stdin)"
                    .to_owned(),
            })
        }
        None => true,
    };
    let text = if from_stdin {
        let mut s = String::new();
        io::stdin()
            .lock()
            .read_to_string(&mut s)
            .map_err(|e| Failure::client(format!("cannot read the prompt from stdin: {e}")))?;
        s
    } else {
        prompt.unwrap_or_default().to_owned()
    };
    if text.trim().is_empty() {
        return Err(Failure::client("the prompt is empty"));
    }
    Ok(text)
}

/// Running totals for the summary (shared with `converse`).
#[derive(Debug, Default)]
pub struct Summary {
    first_text: Option<Duration>,
    last_text: Option<Duration>,
    /// Input tokens, when reported.
    pub input_tokens: Option<u64>,
    /// Output tokens, when reported.
    pub output_tokens: Option<u64>,
    /// The stop reason, when reported.
    pub stop_reason: Option<String>,
    ended_with_newline: bool,
    printed_any: bool,
}

impl Summary {
    /// Whether text was printed and its last piece did not end a line.
    pub fn needs_newline(&self) -> bool {
        self.printed_any && !self.ended_with_newline
    }
}

fn chat(g: &ClientArgs, a: &ChatArgs, verbose: &Verbose) -> Result<u8, Outcome> {
    let fam = family(Some(&a.model_id), a.family.as_deref())?;
    let prompt_text = read_prompt("chat", a.prompt.as_deref())?;
    let prompt = Prompt {
        text: prompt_text.trim_end_matches(['\n', '\r']),
        system: a.system.as_deref(),
        max_tokens: a.max_tokens,
        temperature: a.temperature,
    };
    let body = request_body(fam, &prompt)?;
    let body = serde_json::to_vec(&body).map_err(|e| Failure::client(e.to_string()))?;
    let mut out = Out::new();
    if a.print_body {
        out.line(&String::from_utf8_lossy(&body))
            .map_err(Outcome::Output)?;
        return Ok(exit::OK);
    }
    // The stream reads the chunks' text with this family.
    let request = build_request(&a.model_id, body, &a.request)?.model_family(fam);
    let client = build_client(g)?;
    let started = Instant::now();
    verbose.log(format_args!("family {fam}"));
    let mut stream = verbose.open(&client, &request, &a.request)?;
    let mut sum = Summary::default();
    let mut failure = None;
    loop {
        match stream.next_event() {
            Ok(None) => break,
            Ok(Some(event)) if event.chunk().is_some() => {
                let info = event.info();
                if let Some(text) = info.text() {
                    emit(&mut out, &mut sum, text, started).map_err(Outcome::Output)?;
                }
                if let Some(r) = info.stop_reason() {
                    sum.stop_reason = Some(r.to_owned());
                }
                if let Some(u) = info.usage() {
                    sum.input_tokens = u.input_tokens.or(sum.input_tokens);
                    sum.output_tokens = u.output_tokens.or(sum.output_tokens);
                }
                if let Some(m) = info.metrics() {
                    // Billed totals of the whole invocation win over per-chunk counts.
                    sum.input_tokens = m.input_token_count.or(sum.input_tokens);
                    sum.output_tokens = m.output_token_count.or(sum.output_tokens);
                }
            }
            Ok(Some(other)) => {
                verbose.log(format_args!(
                    "event of unknown type {:?} skipped",
                    other.event_type()
                ));
            }
            Err(e) => {
                failure = Some(Failure::Lib(e));
                break;
            }
        }
    }
    if let Some(rest) = stream.finish_text() {
        emit(&mut out, &mut sum, &rest, started).map_err(Outcome::Output)?;
    }
    if sum.printed_any && !sum.ended_with_newline {
        out.text("\n").map_err(Outcome::Output)?;
        LINE_OPEN.store(false, Ordering::SeqCst);
    }
    let total = started.elapsed();
    verbose.log(format_args!(
        "stream ended: {} event(s) in {}",
        stream.events_delivered(),
        super::setup::ms(total)
    ));
    if let Some(f) = failure {
        verbose.failed(&f, started);
        return Err(Outcome::Failed(f));
    }
    if !a.no_summary {
        eprintln!("{}", summary_line(&sum, total));
    }
    Ok(exit::OK)
}

/// Print a piece of the answer and note its time.
pub fn emit(out: &mut Out, sum: &mut Summary, text: &str, started: Instant) -> io::Result<()> {
    let now = started.elapsed();
    sum.first_text.get_or_insert(now);
    sum.last_text = Some(now);
    sum.printed_any = true;
    sum.ended_with_newline = text.ends_with('\n');
    let written = out.text(text);
    LINE_OPEN.store(!sum.ended_with_newline, Ordering::SeqCst);
    written
}

/// The summary printed on stderr after the answer.
pub fn summary_line(s: &Summary, total: Duration) -> String {
    let ttft = s
        .first_text
        .map(|d| format!("{:.3} s", d.as_secs_f64()))
        .unwrap_or_else(|| "n/a (no text)".to_owned());
    // Output tokens over the time from the first token to the end of the stream.
    let rate = match (s.output_tokens, s.first_text) {
        (Some(n), Some(first)) if total > first && n > 0 => {
            format!("{:.1} tokens/s", n as f64 / (total - first).as_secs_f64())
        }
        _ => "n/a tokens/s".to_owned(),
    };
    let tokens = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_else(|| "n/a".to_owned());
    format!(
        "-- time to first token {ttft} · {rate} · input tokens {} · output tokens {} · stop reason {} · total {:.3} s",
        tokens(s.input_tokens),
        tokens(s.output_tokens),
        s.stop_reason.as_deref().unwrap_or("n/a"),
        total.as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt() -> Prompt<'static> {
        Prompt {
            text: "Hi \"there\"",
            system: Some("Be brief."),
            max_tokens: 64,
            temperature: Some(0.5),
        }
    }

    #[test]
    fn every_known_family_gets_a_body_with_the_prompt_and_limits() {
        for fam in ModelFamily::ALL {
            let body = request_body(fam, &prompt());
            if fam == ModelFamily::Unknown {
                assert!(body.is_err());
                continue;
            }
            let text = serde_json::to_string(&body.unwrap()).unwrap();
            assert!(text.contains(r#"Hi \"there\""#), "{fam}: {text}");
            assert!(text.contains("Be brief."), "{fam}: {text}");
            assert!(text.contains("64"), "{fam}: {text}");
            assert!(text.contains("0.5"), "{fam}: {text}");
            assert!(
                !text.contains("\"stream\"") && !text.contains("\"model\""),
                "{fam}"
            );
        }
    }

    #[test]
    fn bodies_follow_each_family_format() {
        let p = Prompt {
            text: "Q",
            system: None,
            max_tokens: 10,
            temperature: None,
        };
        let claude = request_body(ModelFamily::AnthropicClaude, &p).unwrap();
        assert_eq!(claude["anthropic_version"], "bedrock-2023-05-31");
        assert_eq!(claude["messages"][0]["content"][0]["text"], "Q");
        assert!(claude.get("system").is_none() && claude.get("temperature").is_none());
        let titan = request_body(ModelFamily::AmazonTitanText, &p).unwrap();
        assert_eq!(titan["inputText"], "User: Q\nBot:");
        assert_eq!(titan["textGenerationConfig"]["maxTokenCount"], 10);
        let nova = request_body(ModelFamily::AmazonNova, &p).unwrap();
        assert_eq!(nova["messages"][0]["content"][0]["text"], "Q");
        assert_eq!(nova["inferenceConfig"]["maxTokens"], 10);
        let llama = request_body(ModelFamily::MetaLlama, &p).unwrap();
        assert_eq!(
            llama["prompt"],
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
        );
        assert_eq!(llama["max_gen_len"], 10);
        assert_eq!(
            request_body(ModelFamily::MistralText, &p).unwrap()["prompt"],
            "<s>[INST] Q [/INST]"
        );
        assert_eq!(
            request_body(ModelFamily::MistralChat, &p).unwrap()["messages"][0]["role"],
            "user"
        );
        assert_eq!(
            request_body(ModelFamily::Cohere, &p).unwrap()["message"],
            "Q"
        );
        assert_eq!(
            request_body(ModelFamily::Ai21Jamba, &p).unwrap()["messages"][0]["content"],
            "Q"
        );
        let ds = request_body(ModelFamily::DeepSeek, &p).unwrap();
        assert_eq!(
            ds["prompt"],
            "<\u{ff5c}begin\u{2581}of\u{2581}sentence\u{ff5c}><\u{ff5c}User\u{ff5c}>Q<\u{ff5c}Assistant\u{ff5c}><think>\n"
        );
        let oss = request_body(ModelFamily::OpenAiGptOss, &p).unwrap();
        assert_eq!(oss["max_completion_tokens"], 10);
    }

    #[test]
    fn the_summary_says_what_is_unknown() {
        let s = Summary {
            first_text: Some(Duration::from_millis(100)),
            output_tokens: Some(10),
            input_tokens: Some(3),
            stop_reason: Some("end_turn".into()),
            ..Summary::default()
        };
        let line = summary_line(&s, Duration::from_millis(1100));
        assert!(line.contains("time to first token 0.100 s"), "{line}");
        assert!(line.contains("10.0 tokens/s"), "{line}");
        assert!(
            line.contains("input tokens 3") && line.contains("output tokens 10"),
            "{line}"
        );
        assert!(line.contains("stop reason end_turn"), "{line}");
        let none = summary_line(&Summary::default(), Duration::from_millis(5));
        assert!(
            none.contains("n/a (no text)") && none.contains("n/a tokens/s"),
            "{none}"
        );
    }
}
