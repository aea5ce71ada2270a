//! Transport against the loopback emulator (issue 6): HTTPS with a custom CA bundle (explicit
//! and `AWS_CA_BUNDLE`), an HTTP CONNECT proxy (explicit, `HTTPS_PROXY`, `NO_PROXY`), and
//! cancellation over TLS.
#![cfg(feature = "emulator")]

mod read_barrier;

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use bedrock_stream::emulator::{AuthOutcome, Emulator, RecordedRequest};
use bedrock_stream::extract::TextExtractor;
use bedrock_stream::{Client, ClientBuilder, Credentials, ErrorKind, Event, InvokeRequest};

const CLAUDE: &str = "anthropic.claude-3-5-haiku-20241022-v1:0";
const PROMPT: &str = "Say hello over TLS";

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

/// Every test holds this: some change the process environment, and the others build clients
/// that read it (`AWS_CA_BUNDLE`, the proxy variables).
static ENV_LOCK: Mutex<()> = Mutex::new(());
static SEQ: AtomicUsize = AtomicUsize::new(0);

const ENV_VARS: [&str; 11] = [
    "AWS_CA_BUNDLE",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
];

/// The environment lock, a clean transport environment (no CA bundle, no proxy variables, no
/// shared config files) and a scratch directory; everything is restored on drop.
struct TestEnv {
    saved: Vec<(&'static str, Option<OsString>)>,
    dir: PathBuf,
    _lock: MutexGuard<'static, ()>,
}

impl TestEnv {
    fn new() -> TestEnv {
        let lock = ENV_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let mut saved = Vec::new();
        for k in ENV_VARS.into_iter().chain(["no_proxy"]) {
            saved.push((k, std::env::var_os(k)));
            std::env::remove_var(k);
        }
        let dir = std::env::temp_dir().join(format!(
            "bedrock-stream-transport-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::env::set_var("AWS_CONFIG_FILE", dir.join("no-config"));
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", dir.join("no-credentials"));
        TestEnv {
            saved,
            dir,
            _lock: lock,
        }
    }

    fn set(&self, k: &str, v: &str) {
        assert!(
            self.saved.iter().any(|(n, _)| *n == k),
            "{k} is not restored"
        );
        std::env::set_var(k, v);
    }

    fn unset(&self, k: &str) {
        assert!(
            self.saved.iter().any(|(n, _)| *n == k),
            "{k} is not restored"
        );
        std::env::remove_var(k);
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        for (k, v) in &self.saved {
            match v {
                Some(v) => std::env::set_var(k, v),
                None => std::env::remove_var(k),
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn tls_emulator() -> Emulator {
    let emu = Emulator::builder()
        .tls(true)
        .start()
        .expect("the TLS emulator starts on 127.0.0.1:0");
    assert!(
        emu.endpoint_url().starts_with("https://127.0.0.1:"),
        "{}",
        emu.endpoint_url()
    );
    emu
}

/// A client for `emu` with no proxy or CA setting: each test adds its own.
fn builder(emu: &Emulator) -> ClientBuilder {
    Client::builder()
        .region("us-east-1")
        .endpoint_url(emu.endpoint_url())
        .credentials(Credentials::new("AKIDEMULATOR", "emulator-secret", None))
        .ignore_env_bearer_token(true)
        .connect_timeout(Some(Duration::from_secs(20)))
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(10))
}

fn claude() -> InvokeRequest {
    InvokeRequest::new(CLAUDE, claude_body())
}

fn claude_body() -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": PROMPT}]
    }))
    .unwrap()
}

fn expected_reply() -> String {
    format!("Hello from the Bedrock emulator! You said: “{PROMPT}”. 你好，世界！ 🦀")
}

/// Streams one Claude answer and returns its text (panics on any error).
fn stream_text(c: &Client) -> String {
    let mut s = c.invoke_model_with_response_stream(&claude()).unwrap();
    assert_eq!(s.http_status(), 200);
    let mut x = TextExtractor::for_model_id(CLAUDE);
    let mut text = String::new();
    let mut chunks = 0;
    for e in &mut s {
        if let Event::Chunk(c) = e.unwrap() {
            chunks += 1;
            if let Some(t) = x.process(c.bytes()).text() {
                text.push_str(t);
            }
        }
    }
    if let Some(t) = x.finish() {
        text.push_str(&t);
    }
    assert!(chunks >= 2, "{chunks} chunks");
    text
}

fn model_requests(emu: &Emulator) -> Vec<RecordedRequest> {
    emu.requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/model/"))
        .collect()
}

/// Polls `f` for up to 10 s.
fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if f() {
            return true;
        }
        thread::sleep(Duration::from_millis(10));
    }
    f()
}

// ------------------------------------------------------------------------------------------
// A loopback HTTP proxy: CONNECT tunnels, and absolute-form requests forwarded as they are.
// ------------------------------------------------------------------------------------------

/// What the proxy saw.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct ProxyLog {
    /// `host:port` of each CONNECT.
    connects: Vec<String>,
    /// The request line of each absolute-form request.
    forwarded: Vec<String>,
    /// Tunnels and forwarded connections that reached their target.
    tunnels: usize,
}

struct Proxy {
    addr: SocketAddr,
    log: Arc<Mutex<ProxyLog>>,
    stop: Arc<AtomicBool>,
    sockets: Arc<Mutex<Vec<TcpStream>>>,
    accept: Option<JoinHandle<()>>,
}

/// Connections one proxy serves at most; then its accept loop ends by itself.
const PROXY_MAX_CONNECTIONS: usize = 16;

impl Proxy {
    fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(ProxyLog::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let sockets = Arc::new(Mutex::new(Vec::new()));
        let (l, st, so) = (log.clone(), stop.clone(), sockets.clone());
        let accept = thread::spawn(move || {
            let mut workers = Vec::new();
            for _ in 0..PROXY_MAX_CONNECTIONS {
                let Ok((client, _)) = listener.accept() else {
                    break;
                };
                if st.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(c) = client.try_clone() {
                    so.lock().unwrap().push(c);
                }
                let (l, so) = (l.clone(), so.clone());
                workers.push(thread::spawn(move || {
                    let _ = proxy_connection(client, &l, &so);
                }));
            }
            for w in workers {
                let _ = w.join();
            }
        });
        Proxy {
            addr,
            log,
            stop,
            sockets,
            accept: Some(accept),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn log(&self) -> ProxyLog {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop, then end every tunnel.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        for s in self.sockets.lock().unwrap().iter() {
            let _ = s.shutdown(Shutdown::Both);
        }
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

/// Reads up to the end of the request head (at most 16 KiB).
fn read_head(s: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 || s.read(&mut byte)? == 0 {
            return Err(io::ErrorKind::InvalidData.into());
        }
        head.push(byte[0]);
    }
    Ok(head)
}

fn proxy_connection(
    mut client: TcpStream,
    log: &Mutex<ProxyLog>,
    sockets: &Mutex<Vec<TcpStream>>,
) -> io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(30)))?;
    let head = read_head(&mut client)?;
    let line = String::from_utf8_lossy(&head[..head.iter().position(|&b| b == b'\r').unwrap()])
        .into_owned();
    let parts: Vec<&str> = line.split(' ').collect();
    let (target, forward_head) = match parts[..] {
        ["CONNECT", authority, _] => {
            log.lock().unwrap().connects.push(authority.to_owned());
            (authority.to_owned(), None)
        }
        [_, uri, _] if uri.starts_with("http://") => {
            log.lock().unwrap().forwarded.push(line.clone());
            let rest = &uri["http://".len()..];
            let authority = rest.split('/').next().unwrap_or_default().to_owned();
            (authority, Some(head.clone()))
        }
        _ => {
            client.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")?;
            return Ok(());
        }
    };
    let mut upstream = match TcpStream::connect(&target) {
        Ok(u) => u,
        Err(_) => {
            client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")?;
            return Ok(());
        }
    };
    sockets.lock().unwrap().push(upstream.try_clone()?);
    match forward_head {
        None => client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?,
        Some(h) => upstream.write_all(&h)?,
    }
    log.lock().unwrap().tunnels += 1;
    client.set_read_timeout(None)?;
    let (mut c2, mut u2) = (client.try_clone()?, upstream.try_clone()?);
    let up = thread::spawn(move || {
        let _ = io::copy(&mut c2, &mut u2);
        let _ = u2.shutdown(Shutdown::Write);
    });
    let _ = io::copy(&mut upstream, &mut client);
    let _ = client.shutdown(Shutdown::Write);
    let _ = up.join();
    Ok(())
}

// ------------------------------------------------------------------------------------------
// (a) TLS with a CA bundle
// ------------------------------------------------------------------------------------------

#[test]
fn tls_with_the_emulator_ca_streams_the_text_intact() {
    let _env = TestEnv::new();
    let emu = tls_emulator();
    let pem = emu.ca_pem().expect("a TLS emulator has a CA");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let c = builder(&emu).no_proxy().ca_bundle_pem(pem).build().unwrap();
    assert_eq!(stream_text(&c), expected_reply());
    // The connection is reused for the next call.
    assert_eq!(stream_text(&c), expected_reply());
    let reqs = model_requests(&emu);
    assert_eq!(reqs.len(), 2);
    assert!(
        matches!(&reqs[0].auth, AuthOutcome::SigV4 { access_key_id, .. } if access_key_id == "AKIDEMULATOR"),
        "{:?}",
        reqs[0].auth
    );
    assert_eq!(reqs[1].connection_id, reqs[0].connection_id);
    assert_eq!(reqs[1].sequence_on_connection, 2);
    assert_eq!(emu.tls_handshake_failures(), 0);
}

#[test]
fn tls_without_the_ca_is_a_certificate_error_that_is_not_retried() {
    let _env = TestEnv::new();
    let emu = tls_emulator();
    let c = builder(&emu).no_proxy().max_attempts(3).build().unwrap();
    let e = c.invoke_model_with_response_stream(&claude()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(!e.is_retryable(), "{e}");
    assert_eq!(e.attempts(), 1, "{e}");
    assert!(
        e.to_string().to_ascii_lowercase().contains("certificate"),
        "{e}"
    );
    assert!(eventually(|| emu.tls_handshake_failures() == 1));
    assert_eq!(emu.request_count(), 0);

    // A plain-HTTP client on the TLS port only fails its own handshake.
    let mut raw = TcpStream::connect(emu.addr()).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    raw.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    let _ = raw.read_to_end(&mut answer);
    assert!(!answer.starts_with(b"HTTP/"), "{answer:?}");
    assert!(eventually(|| emu.tls_handshake_failures() == 2));

    // The server is still serving.
    let good = builder(&emu)
        .no_proxy()
        .ca_bundle_pem(emu.ca_pem().unwrap())
        .build()
        .unwrap();
    assert_eq!(stream_text(&good), expected_reply());
    assert!(eventually(|| emu.open_connections() == 1));
}

#[test]
fn aws_ca_bundle_points_at_the_written_ca_file() {
    let env = TestEnv::new();
    let emu = tls_emulator();
    let path = env.dir.join("emulator-ca.pem");
    emu.write_ca_pem(&path).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        emu.ca_pem().unwrap()
    );
    env.set("AWS_CA_BUNDLE", path.to_str().unwrap());
    let c = builder(&emu).no_proxy().build().unwrap();
    assert_eq!(stream_text(&c), expected_reply());
    // The variable is what made it work: without it, the same client setup fails.
    env.unset("AWS_CA_BUNDLE");
    let e = builder(&emu)
        .no_proxy()
        .build()
        .unwrap()
        .invoke_model_with_response_stream(&claude())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    // A CA bundle that is not the emulator's CA does not help either.
    let other = tls_emulator();
    let c = builder(&emu)
        .no_proxy()
        .ca_bundle_pem(other.ca_pem().unwrap())
        .build()
        .unwrap();
    let e = c.invoke_model_with_response_stream(&claude()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(!e.is_retryable(), "{e}");
}

#[test]
fn a_plain_emulator_has_no_ca() {
    let env = TestEnv::new();
    let emu = Emulator::start().unwrap();
    assert!(emu.endpoint_url().starts_with("http://"));
    assert_eq!(emu.ca_pem(), None);
    let path = env.dir.join("none.pem");
    assert!(emu.write_ca_pem(&path).is_err());
    assert!(!path.exists());
}

// ------------------------------------------------------------------------------------------
// (b) Proxies
// ------------------------------------------------------------------------------------------

#[test]
fn an_explicit_proxy_tunnels_to_the_tls_emulator() {
    let _env = TestEnv::new();
    let emu = tls_emulator();
    let proxy = Proxy::start();
    let c = builder(&emu)
        .proxy(proxy.url())
        .ca_bundle_pem(emu.ca_pem().unwrap())
        .build()
        .unwrap();
    assert_eq!(stream_text(&c), expected_reply());
    assert_eq!(stream_text(&c), expected_reply());
    let log = proxy.log();
    assert_eq!(
        log.connects,
        [format!("127.0.0.1:{}", emu.addr().port())],
        "{log:?}"
    );
    assert_eq!(log.tunnels, 1, "{log:?}");
    assert!(log.forwarded.is_empty(), "{log:?}");
    assert_eq!(model_requests(&emu).len(), 2);
    // Both requests used the one tunnel.
    assert_eq!(emu.connections_accepted(), 1);
}

#[test]
fn https_proxy_from_the_environment_and_no_proxy_bypassing_it() {
    let env = TestEnv::new();
    let emu = tls_emulator();
    let proxy = Proxy::start();
    env.set("HTTPS_PROXY", &proxy.url());
    let c = builder(&emu)
        .ca_bundle_pem(emu.ca_pem().unwrap())
        .build()
        .unwrap();
    assert_eq!(stream_text(&c), expected_reply());
    let log = proxy.log();
    assert_eq!(
        log.connects,
        [format!("127.0.0.1:{}", emu.addr().port())],
        "{log:?}"
    );
    assert_eq!(log.tunnels, 1);

    // NO_PROXY names the host: straight to the emulator.
    env.set("NO_PROXY", "127.0.0.1");
    let direct = builder(&emu)
        .ca_bundle_pem(emu.ca_pem().unwrap())
        .build()
        .unwrap();
    assert_eq!(stream_text(&direct), expected_reply());
    assert_eq!(proxy.log(), log, "the proxy saw nothing more");
    assert_eq!(model_requests(&emu).len(), 2);
    assert_eq!(emu.connections_accepted(), 2);

    // And `no_proxy()` on the builder ignores HTTPS_PROXY too.
    env.unset("NO_PROXY");
    let ignoring = builder(&emu)
        .no_proxy()
        .ca_bundle_pem(emu.ca_pem().unwrap())
        .build()
        .unwrap();
    assert_eq!(stream_text(&ignoring), expected_reply());
    assert_eq!(proxy.log(), log, "the proxy saw nothing more");
}

/// ureq reaches an `http://` endpoint through an HTTP proxy with CONNECT too (not with an
/// absolute-form request line); the request arrives either way.
#[test]
fn a_plain_http_endpoint_through_the_proxy() {
    let _env = TestEnv::new();
    let emu = Emulator::start().unwrap();
    let proxy = Proxy::start();
    let c = builder(&emu).proxy(proxy.url()).build().unwrap();
    assert_eq!(stream_text(&c), expected_reply());
    let log = proxy.log();
    assert_eq!(
        log.connects,
        [format!("127.0.0.1:{}", emu.addr().port())],
        "{log:?}"
    );
    assert!(log.forwarded.is_empty(), "{log:?}");
    assert_eq!(log.tunnels, 1);
    let reqs = model_requests(&emu);
    assert_eq!(reqs.len(), 1);
    assert!(reqs[0].auth.is_accepted(), "{:?}", reqs[0].auth);
}

// ------------------------------------------------------------------------------------------
// (c) Cancellation over TLS
// ------------------------------------------------------------------------------------------

fn cancel_stalled_stream(c: &Client, emu: &Emulator) {
    let closed_before = emu.closed_connections();
    let mut s = c
        .invoke_model_with_response_stream(&InvokeRequest::new(
            "emulator-fault:stall:after=1",
            claude_body(),
        ))
        .unwrap();
    assert!(s.next().unwrap().unwrap().as_chunk().is_some());
    let cancel = s.cancel_handle();
    // The cancel lands while the read is blocked: only shutting the socket down ends it soon.
    let reader = read_barrier::thread_id();
    let t = thread::spawn(move || {
        read_barrier::wait_blocked_in_read(reader);
        cancel.cancel();
        Instant::now()
    });
    let e = s.next().unwrap().unwrap_err();
    let returned = Instant::now();
    let cancelled_at = t.join().unwrap();
    assert!(
        returned.saturating_duration_since(cancelled_at) < Duration::from_secs(2),
        "the blocked read ended {:?} after the cancel",
        returned.saturating_duration_since(cancelled_at)
    );
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    assert_eq!(e.events_delivered(), 1);
    assert!(!e.is_retryable());
    assert!(s.next().is_none());
    assert!(
        emu.wait_for_closed_connections(closed_before + 1, Duration::from_secs(10)),
        "the emulator saw the socket close"
    );
}

#[test]
fn cancel_closes_the_tls_socket_promptly() {
    let _env = TestEnv::new();
    let emu = tls_emulator();
    let c = builder(&emu)
        .no_proxy()
        .ca_bundle_pem(emu.ca_pem().unwrap())
        .build()
        .unwrap();
    cancel_stalled_stream(&c, &emu);
    // The next call opens a new connection and works.
    emu.clear_requests();
    assert_eq!(stream_text(&c), expected_reply());
    let r = &model_requests(&emu)[0];
    assert_eq!(r.sequence_on_connection, 1);
    assert_eq!(emu.connections_accepted(), 2);
}

#[test]
fn cancel_through_the_proxy_closes_the_tunnel() {
    let _env = TestEnv::new();
    let emu = tls_emulator();
    let proxy = Proxy::start();
    let c = builder(&emu)
        .proxy(proxy.url())
        .ca_bundle_pem(emu.ca_pem().unwrap())
        .build()
        .unwrap();
    cancel_stalled_stream(&c, &emu);
    assert_eq!(proxy.log().tunnels, 1);
}

// ------------------------------------------------------------------------------------------
// The CLI's `emulator --tls`
// ------------------------------------------------------------------------------------------

#[cfg(feature = "cli")]
#[test]
fn cli_emulator_tls_prints_a_ca_bundle_that_works() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};

    let env = TestEnv::new();
    let ca_file = env.dir.join("cli-ca.pem");
    let endpoint_file = env.dir.join("endpoint");
    let mut child = Command::new(env!("CARGO_BIN_EXE_bedrock-stream"))
        .args(["emulator", "--port", "0", "--quiet", "--tls", "--ca-file"])
        .arg(&ca_file)
        .arg("--endpoint-file")
        .arg(&endpoint_file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut out = io::BufReader::new(child.stdout.take().unwrap());
    let child = Kill(child);
    let mut banner = String::new();
    while !banner.contains("AWS_SECRET_ACCESS_KEY") {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "banner ended early: {banner}"
        );
        banner.push_str(&line);
    }
    let export = |name: &str| {
        banner
            .lines()
            .find_map(|l| l.strip_prefix(&format!("export {name}=")))
            .unwrap_or_else(|| panic!("no {name} in {banner}"))
            .to_owned()
    };
    let endpoint = export("AWS_ENDPOINT_URL_BEDROCK_RUNTIME");
    assert!(endpoint.starts_with("https://127.0.0.1:"), "{banner}");
    assert_eq!(export("AWS_CA_BUNDLE"), ca_file.to_str().unwrap());
    assert!(eventually(|| endpoint_file.exists()));
    assert_eq!(
        std::fs::read_to_string(&endpoint_file).unwrap().trim(),
        endpoint
    );
    env.set("AWS_CA_BUNDLE", &export("AWS_CA_BUNDLE"));
    let c = Client::builder()
        .region(export("AWS_REGION"))
        .endpoint_url(&endpoint)
        .credentials(Credentials::new(
            export("AWS_ACCESS_KEY_ID"),
            export("AWS_SECRET_ACCESS_KEY"),
            None,
        ))
        .ignore_env_bearer_token(true)
        .no_proxy()
        .build()
        .unwrap();
    assert_eq!(stream_text(&c), expected_reply());
    drop(child);
}
