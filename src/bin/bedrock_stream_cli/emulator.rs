//! `emulator`: the loopback Bedrock Runtime emulator in the foreground.

use std::fs;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use bedrock_stream::emulator::{
    AuthOutcome, Emulator, RecordedRequest, Scenario, DEFAULT_BEARER_TOKEN,
};

use super::args::EmulatorArgs;
use super::exit;

/// The HTTPS options of `emulator`.
#[derive(Debug, clap::Args)]
pub struct TlsArgs {
    /// Serve HTTPS with a private CA generated at start (printed as AWS_CA_BUNDLE)
    #[arg(long)]
    pub tls: bool,
    /// With --tls: write the CA certificate (PEM) to this file [default: a file in the temp directory]
    #[arg(long, value_name = "PATH", requires = "tls")]
    pub ca_file: Option<PathBuf>,
}

/// Settings a real AWS setup leaves in a shell that make every request to the emulator fail:
/// the client sends them along with (or instead of) the emulator's keys.
const LEFTOVERS: [&str; 2] = ["AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK"];

/// The banner line that clears [`LEFTOVERS`].
const UNSET_LINE: &str = "unset AWS_SESSION_TOKEN AWS_BEARER_TOKEN_BEDROCK";

/// Runs `emulator` until the process is stopped; returns the exit code if it cannot start.
pub fn run(a: &EmulatorArgs) -> u8 {
    let region = a.region.as_str();
    let mut b = Emulator::builder()
        .bind(SocketAddr::new(a.host, a.port))
        .region(region)
        .credentials(&a.access_key_id, &a.secret_access_key)
        .tls(a.tls.tls);
    if a.accept_any_credentials {
        b = b.accept_any_credentials();
    }
    if let Some(d) = a.chunk_delay {
        b = b.chunk_delay(d.0.unwrap_or(Duration::ZERO));
    }
    if let Some(n) = a.chunks {
        b = b.text_chunks(n);
    }
    if let Some(spec) = &a.fault {
        match spec.parse::<Scenario>() {
            Ok(s) => b = b.default_scenario(s),
            Err(e) => {
                eprintln!("bedrock-stream: --fault {spec:?}: {e}");
                return exit::USAGE;
            }
        }
    }
    let emulator = match b.start() {
        Ok(e) => e,
        Err(e) => {
            eprintln!(
                "bedrock-stream: the emulator cannot listen on {}: {e}",
                SocketAddr::new(a.host, a.port)
            );
            return exit::LOCAL_IO;
        }
    };
    let url = emulator.endpoint_url();
    let mut ca_line = String::new();
    if a.tls.tls {
        let path = a.tls.ca_file.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!(
                "bedrock-stream-emulator-{}-ca.pem",
                emulator.addr().port()
            ))
        });
        let written = emulator
            .ca_pem()
            .ok_or_else(|| io::Error::other("no CA certificate"))
            .and_then(|pem| write_atomically(&path, &pem));
        if let Err(e) = written {
            eprintln!(
                "bedrock-stream: cannot write the CA certificate to {}: {e}",
                path.display()
            );
            return exit::LOCAL_IO;
        }
        ca_line = format!("export AWS_CA_BUNDLE={}\n", shell_word(&path));
    }
    let banner = format!(
        "# Bedrock Runtime emulator listening on {url} (region {region}; Ctrl-C stops it)\n\
         # Point a client at it (in the client's shell; a leftover session token or Bedrock API\n\
         # key from a real AWS setup would be sent too, and every request would fail with 403):\n\
         {UNSET_LINE}\n\
         export AWS_ENDPOINT_URL_BEDROCK_RUNTIME={url}\n\
         {ca_line}\
         export AWS_REGION={region}\n\
         export AWS_ACCESS_KEY_ID={}\n\
         export AWS_SECRET_ACCESS_KEY={}\n\
         # or, instead of the keys: export AWS_BEARER_TOKEN_BEDROCK={DEFAULT_BEARER_TOKEN}\n\
         # then: {program} chat --model-id anthropic.claude-3-5-haiku-20241022-v1:0 'Hello'\n\
         # faults: --model-id 'emulator-fault:exception=throttlingException:after=2' (see --help)\n",
        a.access_key_id,
        a.secret_access_key,
        program = program()
    );
    let mut stdout = io::stdout().lock();
    if stdout
        .write_all(banner.as_bytes())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        // Nobody reads stdout (e.g. it was closed): keep serving anyway.
    }
    drop(stdout);
    for name in LEFTOVERS {
        if std::env::var_os(name).is_some() {
            eprintln!(
                "bedrock-stream: {name} is set in this shell: a client started from it sends it \
                 and every request fails with 403; run `{UNSET_LINE}` there first"
            );
        }
    }
    if let Some(path) = &a.endpoint_file {
        if let Err(e) = write_atomically(path, &format!("{url}\n")) {
            eprintln!(
                "bedrock-stream: cannot write the endpoint to {}: {e}",
                path.display()
            );
            return exit::LOCAL_IO;
        }
    }
    let mut logged = 0usize;
    loop {
        thread::sleep(Duration::from_millis(100));
        if a.quiet || emulator.request_count() as usize == logged {
            continue;
        }
        let requests = emulator.requests();
        for r in requests.iter().skip(logged) {
            eprintln!("{}", log_line(r));
        }
        logged = logged.max(requests.len());
    }
}

/// One line per request for the log: never a credential, signature or body.
fn log_line(r: &RecordedRequest) -> String {
    let auth = match &r.auth {
        AuthOutcome::SigV4 { access_key_id, .. } => format!("sigv4 {access_key_id}"),
        AuthOutcome::Bearer => "bearer".to_owned(),
        AuthOutcome::AcceptedAny => "any".to_owned(),
        AuthOutcome::NotChecked => "-".to_owned(),
        AuthOutcome::Rejected { error_type, .. } => format!("rejected: {error_type}"),
        _ => "?".to_owned(),
    };
    format!(
        "emulator: {} {} -> {} [model {}; scenario {}; auth {auth}; request id {}]",
        r.method,
        r.path,
        r.status,
        r.model_id.as_deref().unwrap_or("-"),
        r.scenario.as_deref().unwrap_or("-"),
        if r.request_id.is_empty() {
            "-"
        } else {
            &r.request_id
        },
    )
}

/// `path` as one shell word: as is when it is plain, else single-quoted.
/// How to run this tool again: the path it was started by (`cargo run` starts
/// `target/debug/bedrock-stream`, which is not on the PATH), or its name when the shell found it
/// on the PATH.
fn program() -> String {
    std::env::args_os()
        .next()
        .map(PathBuf::from)
        .filter(|p| p.components().count() > 1)
        .map(|p| shell_word(&p))
        .unwrap_or_else(|| "bedrock-stream".to_owned())
}

fn shell_word(path: &Path) -> String {
    let s = path.to_string_lossy();
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+,:@%=".contains(&b));
    if plain {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Writes `text` to a temporary file beside `path`, then renames it, so that a reader polling
/// for `path` never sees it half written.
fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    fs::write(&tmp, text)?;
    fs::rename(&tmp, path)
}
