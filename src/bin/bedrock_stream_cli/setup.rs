//! Building the client and the request from the options, reading inputs, and `--verbose`.

use std::fmt;
use std::fs;
use std::io::{self, IsTerminal, Read};
use std::path::Path;
use std::time::{Duration, Instant};

use bedrock_stream::extract::ModelFamily;
use bedrock_stream::{Client, ClientBuilder, EventStream, InvokeRequest};

use super::args::{ClientArgs, RequestArgs};
use super::output::Failure;

/// The client the client options describe.
pub fn build_client(g: &ClientArgs) -> Result<Client, Failure> {
    Ok(client_builder(g)?.build()?)
}

/// The builder of [`build_client`], for a command that adds to it.
pub fn client_builder(g: &ClientArgs) -> Result<ClientBuilder, Failure> {
    let mut b = Client::builder();
    if let Some(r) = &g.region {
        b = b.region(r);
    }
    if let Some(p) = &g.profile {
        b = b.profile(p);
    }
    if let Some(u) = &g.endpoint_url {
        b = b.endpoint_url(u);
    }
    if let Some(t) = g.connect_timeout {
        b = b.connect_timeout(t.0);
    }
    if let Some(t) = g.response_timeout {
        b = b.response_headers_timeout(t.0);
    }
    if let Some(t) = g.read_timeout {
        b = b.read_idle_timeout(t.0);
    }
    if let Some(t) = g.deadline {
        b = b.deadline(t.0);
    }
    if let Some(n) = g.max_attempts {
        b = b.max_attempts(n);
    }
    if let Some(path) = &g.ca_bundle {
        let pem = fs::read(path).map_err(|e| {
            Failure::client(format!("cannot read the CA bundle {}: {e}", path.display()))
        })?;
        b = b.ca_bundle_pem(pem);
    }
    Ok(b)
}

/// The request: model id, body and every request member given on the command line.
pub fn build_request(
    model_id: &str,
    body: Vec<u8>,
    r: &RequestArgs,
) -> Result<InvokeRequest, Failure> {
    let mut req = InvokeRequest::new(model_id, body);
    if let Some(v) = &r.content_type {
        req = req.content_type(v);
    }
    if let Some(v) = &r.accept {
        req = req.accept(v);
    }
    if let Some(v) = &r.trace {
        req = req.trace(v.parse()?);
    }
    if let Some(v) = &r.guardrail_identifier {
        req = req.guardrail_identifier(v);
    }
    if let Some(v) = &r.guardrail_version {
        req = req.guardrail_version(v);
    }
    if let Some(v) = &r.performance_config_latency {
        req = req.performance_config_latency(v.parse()?);
    }
    if let Some(v) = &r.service_tier {
        req = req.service_tier(v.parse()?);
    }
    if let Some(v) = &r.request_metadata {
        req = req.request_metadata(v);
    }
    if let Some(v) = &r.project_identifier {
        req = req.project_identifier(v);
    }
    Ok(req)
}

/// The model family: `--family` when given, else derived from the model id.
pub fn family(model_id: Option<&str>, forced: Option<&str>) -> Result<ModelFamily, Failure> {
    match forced {
        Some(name) => name
            .parse::<ModelFamily>()
            .map_err(|e| Failure::client(format!("--family: {e}"))),
        None => Ok(model_id
            .map(ModelFamily::from_model_id)
            .unwrap_or(ModelFamily::Unknown)),
    }
}

/// Reads a file, or stdin for `-`.
pub fn read_input(path: &Path) -> io::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        io::stdin().lock().read_to_end(&mut buf)?;
        Ok(buf)
    } else {
        fs::read(path)
    }
}

/// True when stdin is an interactive terminal.
pub fn stdin_is_terminal() -> bool {
    io::stdin().is_terminal()
}

/// `--verbose`: timestamped lines on stderr. It prints what was sent and received, never a
/// credential, signature, body or the (sensitive) request metadata.
#[derive(Debug)]
pub struct Verbose {
    on: bool,
    start: Instant,
}

impl Verbose {
    /// Starts the clock.
    pub fn new(on: bool) -> Verbose {
        Verbose {
            on,
            start: Instant::now(),
        }
    }

    /// Time since the start.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// One line on stderr, when verbose.
    pub fn log(&self, line: fmt::Arguments<'_>) {
        if self.on {
            eprintln!("* [{:8.3}s] {line}", self.elapsed().as_secs_f64());
        }
    }

    /// Sends the request and logs the request line, the response status and request id.
    pub fn open(
        &self,
        client: &Client,
        req: &InvokeRequest,
        members: &RequestArgs,
    ) -> Result<EventStream, Failure> {
        if self.on {
            let path = req
                .path()
                .unwrap_or_else(|_| "(invalid model id)".to_owned());
            self.log(format_args!(
                "> POST {}{path}",
                bedrock_stream::redact_url(client.endpoint_url())
            ));
            self.log(format_args!(
                "> region {}; model id {}; body {} bytes",
                client.region(),
                req.model_id(),
                req.body().len()
            ));
            for (name, value) in member_headers(members) {
                self.log(format_args!("> {name}: {value}"));
            }
        }
        let sent = Instant::now();
        match client.invoke_model_with_response_stream(req) {
            Ok(stream) => {
                self.log(format_args!(
                    "< HTTP {} after {}, {} attempt(s); request id {}; chunk content type {}",
                    stream.http_status(),
                    ms(sent.elapsed()),
                    stream.attempts(),
                    stream.request_id().unwrap_or("(none)"),
                    stream.content_type().unwrap_or("(none)"),
                ));
                if let Some(t) = stream.service_tier() {
                    self.log(format_args!("< service tier {t}"));
                }
                if let Some(p) = stream.performance_config_latency() {
                    self.log(format_args!("< performance latency {p}"));
                }
                Ok(stream)
            }
            Err(e) => {
                let f = Failure::Lib(e);
                self.failed(&f, sent);
                Err(f)
            }
        }
    }

    /// Logs a failure with its status, request id and attempts.
    pub fn failed(&self, f: &Failure, since: Instant) {
        if !self.on {
            return;
        }
        match f {
            Failure::Lib(e) => self.log(format_args!(
                "< failed after {}: {} error, code {}, HTTP status {}, request id {}, {} attempt(s), {} event(s) delivered",
                ms(since.elapsed()),
                e.class().as_str(),
                e.code().unwrap_or("(none)"),
                e.http_status().map(|s| s.to_string()).unwrap_or_else(|| "(none)".to_owned()),
                e.request_id().unwrap_or("(none)"),
                e.attempts(),
                e.events_delivered(),
            )),
            Failure::Local { .. } | Failure::Usage { .. } => self.log(format_args!("failed: {f}")),
        }
    }
}

/// Milliseconds, for logs.
pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The request members as headers for the log; request metadata is shown by size only.
fn member_headers(r: &RequestArgs) -> Vec<(&'static str, String)> {
    let mut h = vec![
        (
            "Content-Type",
            r.content_type
                .clone()
                .unwrap_or_else(|| "application/json".to_owned()),
        ),
        (
            "X-Amzn-Bedrock-Accept",
            r.accept
                .clone()
                .unwrap_or_else(|| "application/json".to_owned()),
        ),
    ];
    let optional: [(&'static str, &Option<String>); 6] = [
        ("X-Amzn-Bedrock-Trace", &r.trace),
        (
            "X-Amzn-Bedrock-GuardrailIdentifier",
            &r.guardrail_identifier,
        ),
        ("X-Amzn-Bedrock-GuardrailVersion", &r.guardrail_version),
        (
            "X-Amzn-Bedrock-PerformanceConfig-Latency",
            &r.performance_config_latency,
        ),
        ("X-Amzn-Bedrock-Service-Tier", &r.service_tier),
        ("X-Amzn-Bedrock-ProjectIdentifier", &r.project_identifier),
    ];
    for (name, v) in optional {
        if let Some(v) = v {
            h.push((name, v.clone()));
        }
    }
    if let Some(m) = &r.request_metadata {
        h.push((
            "X-Amzn-Bedrock-Request-Metadata",
            format!("({} bytes, not shown)", m.len()),
        ));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_metadata_is_never_logged() {
        let r = RequestArgs {
            request_metadata: Some(r#"{"team":"secret-team"}"#.to_owned()),
            trace: Some("ENABLED".to_owned()),
            ..RequestArgs::default()
        };
        let all = format!("{:?}", member_headers(&r));
        assert!(!all.contains("secret-team"), "{all}");
        assert!(all.contains("ENABLED"));
    }
}
