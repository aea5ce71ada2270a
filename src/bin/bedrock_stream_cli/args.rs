//! The command line: the subcommands, their options, and the client options of `chat`,
//! `converse` and `invoke`.

use std::path::PathBuf;
use std::time::Duration;

use bedrock_stream::emulator::DEFAULT_REGION;
use clap::{Args, Parser, Subcommand};

/// An enum-valued option, checked with the library's own parser: the one rule of every
/// enum-valued setting (ASCII case and surrounding whitespace ignored). A bad value is a usage
/// error.
fn wire_value<T>(s: &str) -> Result<String, String>
where
    T: std::str::FromStr<Err = bedrock_stream::Error>,
{
    s.parse::<T>()
        .map(|_| s.to_owned())
        .map_err(|e| e.message().to_owned())
}

const ABOUT: &str =
    "Stream Amazon Bedrock Runtime InvokeModelWithResponseStream from the command line, \
decode captured event streams, and run the local Bedrock emulator.";

const AFTER_HELP: &str = "\
Credentials, region and endpoint are resolved like the AWS SDKs do: the options above, then
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_BEARER_TOKEN_BEDROCK,
AWS_REGION, AWS_ENDPOINT_URL_BEDROCK_RUNTIME, AWS_PROFILE and ~/.aws/config.

Try it locally:
  bedrock-stream emulator --port 8080 &        # prints the variables to export
  bedrock-stream chat --model-id anthropic.claude-3-5-haiku-20241022-v1:0 'Say hello'

Exit codes (the same for every command):
  0  success
  1  the tool's own input or output failed (unreadable capture, closed stdout, emulator failed)
  2  invalid command line
  3  client error: invalid input, configuration or credentials, refused before sending
  4  service error: the service answered with an HTTP error before the stream started
  5  stream error: an exception or error message arrived inside the stream
  6  protocol error: the bytes are not a valid event stream (also a corrupt `decode` capture)
  7  transport error: connecting, TLS, DNS or the connection failed
  8  timeout: a timer (--connect-timeout, --response-timeout, --read-timeout, --deadline) fired
  130  interrupted by Ctrl-C (SIGINT); `chat` first ends the line it was printing";

/// The whole command line.
#[derive(Debug, Parser)]
#[command(name = "bedrock-stream", version, about = ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    /// The client options of `chat`, `converse` and `invoke`, also accepted before the command
    /// name.
    #[command(flatten)]
    pub client: ClientArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send a prompt, print the answer as it streams in, then a summary on stderr.
    #[command(after_help = CHAT_AFTER_HELP)]
    Chat(ChatArgs),
    /// Converse with any model through ConverseStream (or Converse): the answer as it streams
    /// in, tool-use requests, then a summary on stderr; or JSON lines with --json.
    #[command(after_help = CONVERSE_AFTER_HELP)]
    Converse(ConverseArgs),
    /// Send a raw request body and print every event as one JSON line (for scripts and tests).
    #[command(after_help = INVOKE_AFTER_HELP)]
    Invoke(InvokeArgs),
    /// Decode a captured application/vnd.amazon.eventstream body into JSON lines.
    #[command(after_help = DECODE_AFTER_HELP)]
    Decode(DecodeArgs),
    /// Run the local Bedrock Runtime emulator in the foreground (Ctrl-C stops it).
    #[command(after_help = EMULATOR_AFTER_HELP)]
    Emulator(EmulatorArgs),
}

/// How `chat`, `converse` and `invoke` reach Bedrock: given after the command name, or before it.
#[derive(Debug, Clone, Default, Args)]
#[command(
    next_help_heading = "Client options (chat, converse, invoke; before or after the command name)"
)]
pub struct ClientArgs {
    /// AWS region (also the SigV4 signing region) [default: AWS_REGION, then the profile]
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Shared-config profile to use instead of AWS_PROFILE / default
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Send requests to this URL instead of the regional endpoint (VPC endpoint, emulator)
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Seconds allowed to connect (TCP, proxy, TLS); 0 switches the timer off [default: 10]
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub connect_timeout: Option<Seconds>,
    /// Seconds allowed from sending the request to the response headers; 0 = off [default: 300]
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub response_timeout: Option<Seconds>,
    /// Longest silence, in seconds, allowed on an open stream; 0 = off [default: 60]
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub read_timeout: Option<Seconds>,
    /// Overall deadline of the call in seconds, retries included; 0 = off [default: off]
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub deadline: Option<Seconds>,
    /// Attempts in all, the first included (1 = never retry) [default: 3]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: Option<u32>,
    /// Trust the CA certificates of this PEM file in addition to the built-in roots
    #[arg(long, value_name = "PEM_FILE")]
    pub ca_bundle: Option<PathBuf>,
    /// Print the request line, status, request id and timings to stderr (never a secret)
    #[arg(short, long)]
    pub verbose: bool,
}

impl ClientArgs {
    /// These options, each one not given taken from `outer` (the options before the command
    /// name).
    pub fn or(&self, outer: &ClientArgs) -> ClientArgs {
        ClientArgs {
            region: self.region.clone().or_else(|| outer.region.clone()),
            profile: self.profile.clone().or_else(|| outer.profile.clone()),
            endpoint_url: self
                .endpoint_url
                .clone()
                .or_else(|| outer.endpoint_url.clone()),
            connect_timeout: self.connect_timeout.or(outer.connect_timeout),
            response_timeout: self.response_timeout.or(outer.response_timeout),
            read_timeout: self.read_timeout.or(outer.read_timeout),
            deadline: self.deadline.or(outer.deadline),
            max_attempts: self.max_attempts.or(outer.max_attempts),
            ca_bundle: self.ca_bundle.clone().or_else(|| outer.ca_bundle.clone()),
            verbose: self.verbose || outer.verbose,
        }
    }

    /// The options given, by name (for refusing them where they do not apply).
    pub fn given(&self) -> Vec<&'static str> {
        [
            ("--region", self.region.is_some()),
            ("--profile", self.profile.is_some()),
            ("--endpoint-url", self.endpoint_url.is_some()),
            ("--connect-timeout", self.connect_timeout.is_some()),
            ("--response-timeout", self.response_timeout.is_some()),
            ("--read-timeout", self.read_timeout.is_some()),
            ("--deadline", self.deadline.is_some()),
            ("--max-attempts", self.max_attempts.is_some()),
            ("--ca-bundle", self.ca_bundle.is_some()),
            ("--verbose", self.verbose),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect()
    }
}

/// A timer setting: `None` switches the timer off (the user wrote 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seconds(pub Option<Duration>);

fn parse_seconds(s: &str) -> Result<Seconds, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds (for example 30 or 0.5)"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!(
            "{s:?} must be a finite number of seconds, 0 or more"
        ));
    }
    if v == 0.0 {
        return Ok(Seconds(None));
    }
    Duration::try_from_secs_f64(v)
        .map(|d| Seconds(Some(d)))
        .map_err(|e| format!("{s:?}: {e}"))
}

/// The request members of the service model other than the model id and the body.
#[derive(Debug, Clone, Args, Default)]
#[command(next_help_heading = "Request members (InvokeModelWithResponseStream headers)")]
pub struct RequestArgs {
    /// contentType: MIME type of the request body [default: application/json]
    #[arg(long, value_name = "MIME")]
    pub content_type: Option<String>,
    /// accept: MIME type wanted for the chunks [default: application/json]
    #[arg(long, value_name = "MIME")]
    pub accept: Option<String>,
    /// trace: X-Amzn-Bedrock-Trace: ENABLED, DISABLED or ENABLED_FULL (any case)
    #[arg(long, value_name = "TRACE", value_parser = wire_value::<bedrock_stream::Trace>)]
    pub trace: Option<String>,
    /// guardrailIdentifier: a guardrail id or ARN (needs --guardrail-version)
    #[arg(long, value_name = "ID")]
    pub guardrail_identifier: Option<String>,
    /// guardrailVersion: DRAFT or 1..99999999
    #[arg(long, value_name = "VERSION")]
    pub guardrail_version: Option<String>,
    /// performanceConfigLatency: standard or optimized (any case)
    #[arg(long, value_name = "LATENCY", value_parser = wire_value::<bedrock_stream::PerformanceConfigLatency>)]
    pub performance_config_latency: Option<String>,
    /// serviceTier: priority, default, flex or reserved (any case)
    #[arg(long, value_name = "TIER", value_parser = wire_value::<bedrock_stream::ServiceTier>)]
    pub service_tier: Option<String>,
    /// requestMetadata: a JSON object of string keys and values, e.g. '{"team":"search"}' (never logged)
    #[arg(long, value_name = "JSON")]
    pub request_metadata: Option<String>,
    /// projectIdentifier: a project id or ARN
    #[arg(long, value_name = "ID")]
    pub project_identifier: Option<String>,
}

const FAMILY_HELP: &str = "Model family of the request and chunk format, for a model id that does \
not reveal it (application inference profiles, provisioned, custom or imported models; without \
it, the chunks' text is read once their shape shows the family): anthropic-claude, \
amazon-titan-text, amazon-nova, meta-llama, mistral-text, mistral-chat, cohere, ai21-jamba, \
deepseek, openai-gpt-oss";

const CHAT_AFTER_HELP: &str = "\
The request body is built in the model family's native format (Claude Messages, Titan Text,
Nova, Llama 3 chat template, Mistral, Cohere Command R, AI21 Jamba, DeepSeek, OpenAI gpt-oss),
chosen from the model id or --family. Text goes to stdout as it arrives; the summary (time to
first token, tokens per second, input and output tokens, stop reason) goes to stderr.

Examples:
  bedrock-stream chat --model-id us.anthropic.claude-3-5-haiku-20241022-v1:0 'Why is the sky blue?'
  echo 'Write a haiku' | bedrock-stream chat --model-id amazon.nova-lite-v1:0 --max-tokens 100 -

Exit codes: see `bedrock-stream --help`.";

/// Options of `chat`.
#[derive(Debug, Args)]
pub struct ChatArgs {
    /// Model id, inference profile id or ARN
    #[arg(long, value_name = "ID")]
    pub model_id: String,
    /// The prompt. Required when stdin is a terminal; `-`, or no PROMPT with stdin redirected,
    /// reads it from stdin
    #[arg(value_name = "PROMPT")]
    pub prompt: Option<String>,
    /// Maximum number of tokens to generate
    #[arg(long, value_name = "N", default_value_t = 512)]
    pub max_tokens: u32,
    /// Sampling temperature (the model's default when not given)
    #[arg(long, value_name = "T")]
    pub temperature: Option<f64>,
    /// System prompt
    #[arg(long, value_name = "TEXT")]
    pub system: Option<String>,
    #[arg(long, value_name = "FAMILY", help = FAMILY_HELP)]
    pub family: Option<String>,
    /// Print the request body that would be sent, and exit without sending it
    #[arg(long)]
    pub print_body: bool,
    /// Do not print the summary to stderr
    #[arg(long)]
    pub no_summary: bool,
    #[command(flatten)]
    pub request: RequestArgs,
    #[command(flatten)]
    pub client: ClientArgs,
}

const CONVERSE_AFTER_HELP: &str = "\
--tools FILE holds a JSON array of tools, each a `toolSpec` object ({\"name\":...,\"description\":...,
\"inputSchema\":{\"json\":<JSON Schema>}}) or a whole Tool ({\"toolSpec\":{...}}), or a whole toolConfig
object ({\"tools\":[...],\"toolChoice\":{\"auto\":{}}}). Tool-use requests of the answer are printed as
  [tool use NAME (ID): <input JSON>]
--request-file FILE holds a whole ConverseStream request body (every member but modelId), checked
before it is sent and then sent unchanged.

With --json, stdout carries one JSON object per line and nothing else: each event as
  {\"event\":\"<:event-type>\", ...its members under the service model's names...}
  e.g. {\"event\":\"contentBlockDelta\",\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hel\"}}
an event type this tool does not know as {\"event\":\"other\",\"type\":\"<:event-type>\"}, and last the
outcome line of `invoke` ({\"outcome\":\"ok\"} or the error object). With --no-stream (Converse), one
{\"event\":\"response\", ...the ConverseResponse members...} line, then the outcome line.";

/// Options of `converse`.
#[derive(Debug, Args)]
pub struct ConverseArgs {
    /// Model id, inference profile id or ARN
    #[arg(long, value_name = "ID")]
    pub model_id: String,
    /// The prompt. Required when stdin is a terminal (and no --request-file); `-`, or no
    /// PROMPT with stdin redirected, reads it from stdin
    #[arg(value_name = "PROMPT", conflicts_with = "request_file")]
    pub prompt: Option<String>,
    /// System prompt
    #[arg(long, value_name = "TEXT", conflicts_with = "request_file")]
    pub system: Option<String>,
    /// Maximum number of tokens to generate (inferenceConfig.maxTokens)
    #[arg(long, value_name = "N", conflicts_with = "request_file")]
    pub max_tokens: Option<u32>,
    /// Sampling temperature (inferenceConfig.temperature)
    #[arg(long, value_name = "T", conflicts_with = "request_file")]
    pub temperature: Option<f32>,
    /// JSON file with the tools the model may ask for (see below)
    #[arg(long, value_name = "FILE", conflicts_with = "request_file")]
    pub tools: Option<PathBuf>,
    /// A whole request body as JSON (the ConverseStream members without modelId), or `-`
    #[arg(long, value_name = "FILE")]
    pub request_file: Option<PathBuf>,
    /// One JSON object per line on stdout (events, then the outcome)
    #[arg(long)]
    pub json: bool,
    /// Use Converse (the whole answer at once) instead of ConverseStream
    #[arg(long)]
    pub no_stream: bool,
    /// Do not print the summary to stderr
    #[arg(long)]
    pub no_summary: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

const INVOKE_AFTER_HELP: &str = "\
Output: one JSON line per event, then one outcome line:
  {\"event\":\"chunk\",\"bytes_b64\":\"<chunk bytes, base64>\",\"text\":\"<extracted text, when known>\"}
  {\"event\":\"unknown\",\"event_type\":\"<type>\",\"payload_b64\":\"...\"}
  {\"outcome\":\"ok\"}
  {\"outcome\":\"error\",\"kind\":\"service|stream|protocol|transport|timeout|client\",\"code\":...,
   \"message\":...,\"http_status\":...,\"request_id\":...,\"retryable\":...,\"events_delivered\":N,
   \"attempts\":N,\"fields\":{\"originalStatusCode\":...,\"originalMessage\":...,\"resourceName\":...,
   \"timer\":...,\"decodeError\":...}}
Absent values are null; `fields` holds only the members present. The exit status is 0 only for
{\"outcome\":\"ok\"}; otherwise it is the code of the error's kind (see `bedrock-stream --help`).
With --no-stream (InvokeModel), one line for the whole answer instead of the events:
  {\"event\":\"response\",\"body_b64\":\"<the model's whole answer, base64>\",\"content_type\":...,
   \"performance_config_latency\":...,\"service_tier\":...}
With --save-body FILE, the response body as received goes to FILE too, whatever the outcome: the
event stream (decode it with `bedrock-stream decode --bedrock FILE`), or an error's JSON body.";

/// Options of `invoke`.
#[derive(Debug, Args)]
pub struct InvokeArgs {
    /// Model id, inference profile id or ARN
    #[arg(long, value_name = "ID")]
    pub model_id: String,
    /// File holding the request body (the model's native JSON), or `-` for stdin
    #[arg(long, value_name = "FILE")]
    pub body: PathBuf,
    #[arg(long, value_name = "FAMILY", help = FAMILY_HELP)]
    pub family: Option<String>,
    /// Use InvokeModel (the whole answer at once) instead of InvokeModelWithResponseStream
    #[arg(long)]
    pub no_stream: bool,
    /// Save the response body, as received, to FILE (the event stream, or an error's body),
    /// for `decode`; after a retry, the last attempt's
    #[arg(long, value_name = "FILE")]
    pub save_body: Option<PathBuf>,
    #[command(flatten)]
    pub request: RequestArgs,
    #[command(flatten)]
    pub client: ClientArgs,
}

const DECODE_AFTER_HELP: &str = "\
Output, one JSON line per message:
  {\"offset\":N,\"headers\":{\"<name>\":<value>,...},\"payload_b64\":\"...\"}
String headers are JSON strings, booleans and integers JSON values; byte arrays, timestamps and
UUIDs are {\"bytes_b64\":...}, {\"timestamp_ms\":...} and {\"uuid\":...}.

With --bedrock, the Bedrock event view instead:
  {\"offset\":N,\"event\":\"chunk\",\"bytes_b64\":\"...\",\"text\":\"...\"}
  {\"offset\":N,\"event\":\"unknown\",\"event_type\":\"...\",\"payload_b64\":\"...\"}
  {\"offset\":N,\"event\":\"exception\",\"kind\":\"stream\",\"code\":\"throttlingException\",\"message\":...,
   \"http_status\":429,\"retryable\":true,\"fields\":{...}}
A `:message-type error` message has the same shape with \"event\":\"error\" and its :error-code as
code. Exceptions do not end the decoding: the exit status is 0 when every frame is valid.

A corrupt capture: every message before the damage, then
  {\"error\":{\"kind\":\"<kind>\",\"message\":\"...\",\"offset\":N}}
and exit status 6. Kinds: prelude_checksum_mismatch, message_checksum_mismatch,
invalid_message_length, invalid_headers_length, message_too_large, invalid_header_name,
invalid_header_type, invalid_header_value, duplicate_header, truncated, not_an_event_stream (the
file is JSON, HTML or text, such as a saved error body), and with --bedrock invalid_event (a
frame that is valid but is not a Bedrock event). An unreadable file exits 1.";

/// Options of `decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The captured body; `-` or nothing reads stdin
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Show Bedrock events (chunk bytes and text, unknown events, exceptions) instead of frames
    #[arg(long)]
    pub bedrock: bool,
    /// Model id, to extract the text of chunks with --bedrock
    #[arg(long, value_name = "ID")]
    pub model_id: Option<String>,
    #[arg(long, value_name = "FAMILY", help = FAMILY_HELP)]
    pub family: Option<String>,
    /// Largest message accepted, in bytes [default: 24 MiB + 128 KiB + 16]
    #[arg(long, value_name = "BYTES")]
    pub max_message_len: Option<u32>,
}

const EMULATOR_AFTER_HELP: &str = "\
The emulator verifies SigV4 signatures for its credentials (AKIDEMULATOR / emulator-secret by
default) and --region (default us-east-1), serves realistic streams per model family (chosen
from the model id), and injects faults chosen by model id: `emulator-fault:<spec>`, for example
emulator-fault:http=429, emulator-fault:exception=throttlingException:after=3,
emulator-fault:stall:after=1, emulator-fault:drip=50ms,chunks=20,family=claude.

Examples:
  bedrock-stream emulator --port 8080 --chunk-delay 0.05
  bedrock-stream emulator --port 0 --endpoint-file /tmp/endpoint &

With --tls it serves HTTPS with a private CA made at start; the CA certificate is written to
--ca-file (or a file in the temp directory) and printed as `export AWS_CA_BUNDLE=...`.";

/// Options of `emulator`.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Region the emulator serves: the one it accepts in SigV4 signatures and prints as
    /// AWS_REGION (AWS_REGION itself is not read)
    #[arg(long, value_name = "REGION", default_value = DEFAULT_REGION)]
    pub region: String,
    /// TCP port (0 picks a free port)
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub port: u16,
    /// IP address to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// Scenario for requests whose model id is not emulator-fault:<spec>, e.g. `drip=50ms` or `http=503`
    #[arg(long, value_name = "SPEC")]
    pub fault: Option<String>,
    /// Seconds between two frames of every stream, so text visibly streams in (e.g. 0.05)
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub chunk_delay: Option<Seconds>,
    /// Number of text chunks in a normal answer
    #[arg(long, value_name = "N")]
    pub chunks: Option<usize>,
    /// Write the endpoint URL (one line) to this file once the emulator is listening
    #[arg(long, value_name = "FILE")]
    pub endpoint_file: Option<PathBuf>,
    /// Accept any signature and token (by default only the credentials below are accepted)
    #[arg(long)]
    pub accept_any_credentials: bool,
    /// Do not log the requests received on stderr
    #[arg(short, long)]
    pub quiet: bool,
    /// Access key id the emulator accepts
    #[arg(long, value_name = "ID", default_value = "AKIDEMULATOR")]
    pub access_key_id: String,
    /// Secret access key the emulator accepts
    #[arg(long, value_name = "SECRET", default_value = "emulator-secret")]
    pub secret_access_key: String,
    #[command(flatten)]
    pub tls: super::emulator::TlsArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn seconds_accept_fractions_and_zero_means_off() {
        assert_eq!(
            parse_seconds("0.25").unwrap(),
            Seconds(Some(Duration::from_millis(250)))
        );
        assert_eq!(parse_seconds("0").unwrap(), Seconds(None));
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("inf").is_err());
        assert!(parse_seconds("ten").is_err());
    }
}
