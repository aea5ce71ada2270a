//! `invoke`: a raw body in, one JSON line per event out, then one outcome line.

use std::io;
use std::time::Instant;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use bedrock_stream::extract::TextExtractor;
use bedrock_stream::Event;

use super::args::{ClientArgs, InvokeArgs};
use super::exit;
use super::output::{output_failed, Failure, JsonObj, Out};
use super::setup::{build_client, build_request, family, read_input, Verbose};

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
        let request = build_request(&a.model_id, body, &a.request)?;
        let client = build_client(g)?;
        Ok::<_, Failure>((fam, request, client))
    })();
    let (fam, request, client) = match prepared {
        Ok(p) => p,
        Err(f) => {
            verbose.failed(&f, Instant::now());
            return Ok(Err(f));
        }
    };
    let started = Instant::now();
    if a.no_stream {
        let r = match client.invoke_model(&request) {
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
    let mut stream = match verbose.open(&client, &request, &a.request) {
        Ok(s) => s,
        Err(f) => return Ok(Err(f)),
    };
    let mut extractor = TextExtractor::new(fam);
    let mut first = true;
    for event in &mut stream {
        if first {
            verbose.log(format_args!(
                "first event after {}",
                super::setup::ms(started.elapsed())
            ));
            first = false;
        }
        match event {
            Ok(Event::Chunk(chunk)) => {
                let info = extractor.process(chunk.bytes());
                let line = JsonObj::new()
                    .field("event", "chunk")
                    .field("bytes_b64", &B64.encode(chunk.bytes()))
                    .opt("text", info.text());
                out.line(&line.finish())?;
            }
            Ok(Event::Unknown(u)) => {
                let line = JsonObj::new()
                    .field("event", "unknown")
                    .field("event_type", u.event_type())
                    .field("payload_b64", &B64.encode(u.payload()));
                out.line(&line.finish())?;
            }
            Ok(other) => {
                // A future event kind of the library: report its type.
                let line = JsonObj::new()
                    .field("event", "unknown")
                    .field("event_type", other.event_type());
                out.line(&line.finish())?;
            }
            Err(e) => {
                let f = Failure::Lib(e);
                verbose.failed(&f, started);
                return Ok(Err(f));
            }
        }
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
