//! `invoke`: a raw body in, one JSON line per event out, then one outcome line.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use bedrock_stream::{Client, InvokeRequest};

use super::args::{ClientArgs, InvokeArgs};
use super::exit;
use super::output::{output_failed, Failure, JsonObj, Out};
use super::setup::{build_request, client_builder, family, read_input, Verbose};

/// Runs `invoke`; returns the exit code.
pub fn run(g: &ClientArgs, a: &InvokeArgs) -> u8 {
    let verbose = Verbose::new(g.verbose);
    let mut out = Out::new();
    match invoke(g, a, &verbose, &mut out) {
        Ok(Ok(())) => match out.line(&JsonObj::new().field("outcome", "ok").finish()) {
            Ok(()) => exit::OK,
            Err(e) => output_failed(&e),
        },
        Ok(Err(f)) => {
            let line = f
                .json_members(JsonObj::new().field("outcome", "error"))
                .finish();
            match out.line(&line) {
                Ok(()) => f.exit_code(),
                Err(e) => output_failed(&e),
            }
        }
        Err(e) => output_failed(&e),
    }
}

/// The outer error is a failed write to stdout; the inner one the outcome of the call.
fn invoke(
    g: &ClientArgs,
    a: &InvokeArgs,
    verbose: &Verbose,
    out: &mut Out,
) -> io::Result<Result<(), Failure>> {
    let prepared = (|| {
        let fam = family(Some(&a.model_id), a.family.as_deref())?;
        let body = read_input(&a.body).map_err(|e| {
            Failure::client(format!("cannot read the body {}: {e}", a.body.display()))
        })?;
        // The stream reads the chunks' text with this family.
        let request = build_request(&a.model_id, body, &a.request)?.model_family(fam);
        let mut builder = client_builder(g)?;
        let saved = match &a.save_body {
            Some(path) => {
                let saved = SavedBody::create(path)?;
                let observer = Arc::clone(&saved);
                builder = builder.on_response_body(move |attempt, bytes| {
                    lock(&observer).add(attempt, bytes);
                });
                Some(saved)
            }
            None => None,
        };
        Ok::<_, Failure>((request, builder.build()?, saved))
    })();
    let (request, client, saved) = match prepared {
        Ok(p) => p,
        Err(f) => {
            verbose.failed(&f, Instant::now());
            return Ok(Err(f));
        }
    };
    let outcome = call(a, verbose, out, &request, &client)?;
    let Some(saved) = saved else {
        return Ok(outcome);
    };
    let saved = lock(&saved);
    let path = a.save_body.as_deref().unwrap_or(Path::new("")).display();
    match (&saved.error, outcome) {
        (None, outcome) => {
            verbose.log(format_args!(
                "response body saved to {path}: {} bytes (attempt {})",
                saved.len, saved.attempt
            ));
            Ok(outcome)
        }
        (Some(e), Ok(())) => Ok(Err(Failure::client(format!(
            "cannot write the response body to {path}: {e}"
        )))),
        (Some(e), Err(f)) => {
            eprintln!("bedrock-stream: cannot write the response body to {path}: {e}");
            Ok(Err(f))
        }
    }
}

/// `--save-body FILE`: the body of the call's latest attempt, written as it is read.
struct SavedBody {
    file: File,
    /// The attempt whose body the file holds (0: none yet).
    attempt: u32,
    len: u64,
    /// The first failed write; later pieces are dropped.
    error: Option<io::Error>,
}

impl SavedBody {
    fn create(path: &Path) -> Result<Arc<Mutex<SavedBody>>, Failure> {
        let file = File::create(path).map_err(|e| {
            Failure::client(format!(
                "cannot create {} (--save-body): {e}",
                path.display()
            ))
        })?;
        Ok(Arc::new(Mutex::new(SavedBody {
            file,
            attempt: 0,
            len: 0,
            error: None,
        })))
    }

    /// A piece of `attempt`'s body: a new attempt's body replaces the previous one's.
    fn add(&mut self, attempt: u32, bytes: &[u8]) {
        if self.error.is_some() {
            return;
        }
        let written = (|| {
            if attempt != self.attempt {
                self.file.set_len(0)?;
                self.file.seek(SeekFrom::Start(0))?;
                self.attempt = attempt;
                self.len = 0;
            }
            self.file.write_all(bytes)?;
            self.len += bytes.len() as u64;
            Ok(())
        })();
        self.error = written.err();
    }
}

/// The lock of a value no code panics under.
fn lock(m: &Mutex<SavedBody>) -> std::sync::MutexGuard<'_, SavedBody> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The call itself, once the request and the client are ready.
fn call(
    a: &InvokeArgs,
    verbose: &Verbose,
    out: &mut Out,
    request: &InvokeRequest,
    client: &Client,
) -> io::Result<Result<(), Failure>> {
    let started = Instant::now();
    if a.no_stream {
        let r = match client.invoke_model(request) {
            Ok(r) => r,
            Err(e) => {
                let f = Failure::Lib(e);
                verbose.failed(&f, started);
                return Ok(Err(f));
            }
        };
        let line = JsonObj::new()
            .field("event", "response")
            .field("body_b64", &B64.encode(&r.body))
            .field("content_type", &r.content_type)
            .field(
                "performance_config_latency",
                &r.performance_config_latency.map(|l| l.as_str()),
            )
            .field("service_tier", &r.service_tier.map(|t| t.as_str()));
        out.line(&line.finish())?;
        return Ok(Ok(()));
    }
    let mut stream = match verbose.open(client, request, &a.request) {
        Ok(s) => s,
        Err(f) => return Ok(Err(f)),
    };
    let mut first = true;
    loop {
        let event = match stream.next_event() {
            Ok(Some(event)) => event,
            Ok(None) => break,
            Err(e) => {
                let f = Failure::Lib(e);
                verbose.failed(&f, started);
                return Ok(Err(f));
            }
        };
        if first {
            verbose.log(format_args!(
                "first event after {}",
                super::setup::ms(started.elapsed())
            ));
            first = false;
        }
        let line = match event.unknown() {
            Some(u) => JsonObj::new()
                .field("event", "unknown")
                .field("event_type", u.event_type())
                .field("payload_b64", &B64.encode(u.payload())),
            // The text as the stream reads it (the request's model family).
            None => JsonObj::new()
                .field("event", "chunk")
                .field("bytes_b64", &B64.encode(event.payload()))
                .opt("text", event.text()),
        };
        out.line(&line.finish())?;
    }
    verbose.log(format_args!(
        "stream ended: {} event(s), {} attempt(s), request id {}, in {}",
        stream.events_delivered(),
        stream.attempts(),
        stream.request_id().unwrap_or("(none)"),
        super::setup::ms(started.elapsed())
    ));
    Ok(Ok(()))
}
