//! Minimal HTTP/1.1 request and response types shared by the emulator's routes and its
//! extension hook ([`super::EmulatorBuilder::handler`]).

use std::io::{self, BufRead, Write};

/// A parsed HTTP/1.1 request as the emulator received it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpRequest {
    /// The request method, e.g. `POST`.
    pub method: String,
    /// The raw request path, without the query string, exactly as sent (not percent-decoded).
    pub path: String,
    /// The raw query string without the leading `?` (empty when there is none).
    pub query: String,
    /// The header fields in the order received, names as sent (compare case-insensitively).
    pub headers: Vec<(String, String)>,
    /// The request body (de-chunked when it was sent with `Transfer-Encoding: chunked`).
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// The value of the first header named `name` (ASCII case-insensitive), if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP response produced by a route or by an extension handler.
///
/// The emulator adds `Content-Length` (from `body`) and `Connection` itself; do not put them in
/// `headers`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    /// The status code, e.g. `200`.
    pub status: u16,
    /// Header fields to send, in order.
    pub headers: Vec<(String, String)>,
    /// The response body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A response with `status`, one `Content-Type` header and `body`.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        HttpResponse {
            status,
            headers: vec![("Content-Type".to_string(), content_type.to_string())],
            body: body.into(),
        }
    }

    /// A response with `status` and a JSON body (`Content-Type: application/json`).
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self::new(status, "application/json", body.to_string())
    }

    /// Adds a header field (builder style).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Request parsing and response writing (crate-internal).

/// Why no request could be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The peer closed the connection (or it was shut down) before sending a byte.
    Closed,
    /// No byte arrived within the idle timeout before the request started.
    IdleTimeout,
    /// The connection ended or failed in the middle of a request.
    Io,
    /// Malformed or oversized: answer `status` with `message`, then close.
    Bad(u16, String),
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> Self {
        ReadError::Io
    }
}

fn bad<T>(status: u16, msg: impl Into<String>) -> Result<T, ReadError> {
    Err(ReadError::Bad(status, msg.into()))
}

/// Limits applied while parsing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Request line + header fields + trailers, in bytes.
    pub max_head: usize,
    /// Body bytes (after de-chunking).
    pub max_body: usize,
    /// Number of header fields.
    pub max_headers: usize,
}

/// A parsed request and its connection semantics.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub request: HttpRequest,
    /// The client allows the connection to be reused.
    pub keep_alive: bool,
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Reads one line (up to and including `\n`), charging it to `budget`. `Ok(None)` on EOF
/// before any byte of the line.
fn read_line<R: BufRead>(r: &mut R, budget: &mut usize) -> Result<Option<Vec<u8>>, ReadError> {
    let mut line = Vec::new();
    loop {
        let avail = match r.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(ReadError::Io),
        };
        if avail.is_empty() {
            return if line.is_empty() {
                Ok(None)
            } else {
                Err(ReadError::Io)
            };
        }
        let (take, done) = match avail.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (avail.len(), false),
        };
        if take > *budget {
            return bad(431, "request header fields too large");
        }
        *budget -= take;
        line.extend_from_slice(&avail[..take]);
        r.consume(take);
        if done {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(Some(line));
        }
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Reads a request from `r`. `started` is called once the first byte of the request is in
/// (so the caller can switch from the idle timeout to a request timeout); `cont` writes
/// `100 Continue` (through the reader's stream, which it is given) when the client asked for it.
pub(crate) fn read_request<R: BufRead>(
    r: &mut R,
    limits: Limits,
    mut started: impl FnMut(),
    mut cont: impl FnMut(&mut R) -> io::Result<()>,
) -> Result<Parsed, ReadError> {
    // Wait for the first byte under the idle timeout.
    loop {
        match r.fill_buf() {
            Ok([]) => return Err(ReadError::Closed),
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if is_timeout(&e) => return Err(ReadError::IdleTimeout),
            Err(_) => return Err(ReadError::Io),
        }
    }
    started();
    let mut budget = limits.max_head;
    // Tolerate a few empty lines before the request line (RFC 9112 §2.2).
    let mut line = Vec::new();
    for _ in 0..4 {
        match read_line(r, &mut budget)? {
            None => return Err(ReadError::Closed),
            Some(l) if l.is_empty() => continue,
            Some(l) => {
                line = l;
                break;
            }
        }
    }
    let Ok(line) = String::from_utf8(line) else {
        return bad(400, "request line is not UTF-8");
    };
    let parts: Vec<&str> = line.split(' ').collect();
    let [method, target, version] = parts[..] else {
        return bad(400, "malformed request line");
    };
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return bad(400, "malformed method");
    }
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        v if v.starts_with("HTTP/") && v.len() == 8 => {
            return bad(505, "HTTP version not supported")
        }
        _ => return bad(400, "malformed HTTP version"),
    };
    let target = if target.starts_with('/') {
        target
    } else if let Some(rest) = target
        .strip_prefix("http://")
        .or_else(|| target.strip_prefix("https://"))
    {
        // absolute-form: drop the scheme and authority.
        rest.find('/').map_or("/", |i| &rest[i..])
    } else {
        return bad(400, "malformed request target");
    };
    if target.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return bad(400, "malformed request target");
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, q),
        None => (target, ""),
    };
    let path = path.split('#').next().unwrap_or(path);

    let headers = read_fields(r, &mut budget, limits.max_headers)?;
    let mut request = HttpRequest {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        headers,
        body: Vec::new(),
    };

    let connection_tokens: Vec<String> = request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
        .flat_map(|(_, v)| v.split(',').map(|t| t.trim().to_ascii_lowercase()))
        .collect();
    let keep_alive = if http10 {
        connection_tokens.iter().any(|t| t == "keep-alive")
    } else {
        !connection_tokens.iter().any(|t| t == "close")
    };

    let te: Vec<&str> = request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("transfer-encoding"))
        .map(|(_, v)| v.as_str())
        .collect();
    let cl: Vec<&str> = request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.as_str())
        .collect();
    let chunked = if te.is_empty() {
        false
    } else {
        if !cl.is_empty() {
            return bad(400, "both Transfer-Encoding and Content-Length");
        }
        let codings: Vec<String> = te
            .iter()
            .flat_map(|v| v.split(','))
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
        if codings != ["chunked"] {
            return bad(501, "only Transfer-Encoding: chunked is supported");
        }
        true
    };
    let content_length = match cl.as_slice() {
        [] => 0usize,
        values => {
            let mut parsed = None;
            for v in values.iter().flat_map(|v| v.split(',')) {
                let v = v.trim();
                if v.is_empty() || v.len() > 19 || !v.bytes().all(|b| b.is_ascii_digit()) {
                    return bad(400, "malformed Content-Length");
                }
                let n: u64 = v
                    .parse()
                    .map_err(|_| ReadError::Bad(400, "malformed Content-Length".into()))?;
                if parsed.is_some_and(|p| p != n) {
                    return bad(400, "conflicting Content-Length values");
                }
                parsed = Some(n);
            }
            let n = parsed.unwrap_or(0);
            if n > limits.max_body as u64 {
                return bad(413, "request body too large");
            }
            n as usize
        }
    };

    let expects_continue = request
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    if expects_continue && !http10 && (chunked || content_length > 0) {
        cont(r)?;
    }

    if chunked {
        request.body = read_chunked(r, limits, &mut budget)?;
    } else if content_length > 0 {
        let mut body = vec![0u8; content_length];
        read_exact(r, &mut body)?;
        request.body = body;
    }
    Ok(Parsed {
        request,
        keep_alive,
    })
}

fn read_exact<R: BufRead>(r: &mut R, buf: &mut [u8]) -> Result<(), ReadError> {
    r.read_exact(buf).map_err(|_| ReadError::Io)
}

/// Header (or trailer) fields up to the empty line.
fn read_fields<R: BufRead>(
    r: &mut R,
    budget: &mut usize,
    max_headers: usize,
) -> Result<Vec<(String, String)>, ReadError> {
    let mut headers = Vec::new();
    loop {
        let Some(line) = read_line(r, budget)? else {
            return Err(ReadError::Io);
        };
        if line.is_empty() {
            return Ok(headers);
        }
        if line[0] == b' ' || line[0] == b'\t' {
            return bad(400, "obsolete header line folding");
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return bad(400, "header field without a colon");
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            return bad(400, "malformed header field name");
        }
        if value.iter().any(|&b| (b < b' ' && b != b'\t') || b == 0x7f) {
            return bad(400, "control character in a header value");
        }
        let Ok(value) = std::str::from_utf8(value) else {
            return bad(400, "header value is not UTF-8");
        };
        if headers.len() >= max_headers {
            return bad(431, "too many header fields");
        }
        headers.push((
            String::from_utf8_lossy(name).into_owned(),
            value.trim_matches([' ', '\t']).to_string(),
        ));
    }
}

fn read_chunked<R: BufRead>(
    r: &mut R,
    limits: Limits,
    budget: &mut usize,
) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    loop {
        let mut line_budget = 1024usize;
        let Some(line) = read_line(r, &mut line_budget).map_err(|e| match e {
            ReadError::Bad(..) => ReadError::Bad(400, "chunk size line too long".into()),
            e => e,
        })?
        else {
            return Err(ReadError::Io);
        };
        let size_text = line.split(|&b| b == b';').next().unwrap_or_default();
        let size_text = std::str::from_utf8(size_text)
            .unwrap_or("")
            .trim_matches([' ', '\t']);
        if size_text.is_empty()
            || size_text.len() > 15
            || !size_text.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return bad(400, "malformed chunk size");
        }
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| ReadError::Bad(400, "malformed chunk size".into()))?;
        if size == 0 {
            // Trailers are read and dropped.
            read_fields(r, budget, 64)?;
            return Ok(body);
        }
        if body.len() + size > limits.max_body {
            return bad(413, "request body too large");
        }
        let start = body.len();
        body.resize(start + size, 0);
        read_exact(r, &mut body[start..])?;
        let mut crlf = [0u8; 2];
        read_exact(r, &mut crlf)?;
        if &crlf != b"\r\n" {
            return bad(400, "chunk data not followed by CRLF");
        }
    }
}

/// The reason phrase of a status code.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Content Too Large",
        424 => "Failed Dependency",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// The status line and header block.
pub(crate) fn head(status: u16, headers: &[(String, String)]) -> Vec<u8> {
    let mut s = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (n, v) in headers {
        s.push_str(n);
        s.push_str(": ");
        s.push_str(v);
        s.push_str("\r\n");
    }
    s.push_str("\r\n");
    s.into_bytes()
}

/// Appends one HTTP chunk holding `data` (must be non-empty) to `out`.
pub(crate) fn chunk_into(out: &mut Vec<u8>, data: &[u8]) {
    debug_assert!(!data.is_empty());
    out.extend_from_slice(format!("{:X}\r\n", data.len()).as_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// The terminating zero-length chunk.
pub(crate) const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// Writes a complete response with a `Content-Length` body.
pub(crate) fn write_full<W: Write + ?Sized>(
    w: &mut W,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    keep_alive: bool,
) -> io::Result<()> {
    let mut all: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| {
            !["content-length", "transfer-encoding", "connection"]
                .iter()
                .any(|x| n.eq_ignore_ascii_case(x))
        })
        .cloned()
        .collect();
    all.push(("Content-Length".into(), body.len().to_string()));
    all.push((
        "Connection".into(),
        if keep_alive { "keep-alive" } else { "close" }.into(),
    ));
    let mut out = head(status, &all);
    out.extend_from_slice(body);
    w.write_all(&out)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    #[test]
    fn header_lookup_is_case_insensitive() {
        let req = HttpRequest {
            headers: vec![
                ("X-Amz-Date".into(), "20150830T123600Z".into()),
                ("x-amz-date".into(), "second".into()),
            ],
            ..Default::default()
        };
        assert_eq!(req.header("x-AMZ-date"), Some("20150830T123600Z"));
        assert_eq!(req.header("host"), None);
    }

    const LIMITS: Limits = Limits {
        max_head: 8192,
        max_body: 1024,
        max_headers: 32,
    };

    fn parse(input: &[u8]) -> Result<Parsed, ReadError> {
        parse_with(input, LIMITS).0
    }

    /// Parses with a 3-byte read buffer (so every boundary case is exercised) and reports
    /// whether `100 Continue` was requested.
    fn parse_with(input: &[u8], limits: Limits) -> (Result<Parsed, ReadError>, bool) {
        let mut r = BufReader::with_capacity(3, input);
        let mut continued = false;
        let res = read_request(
            &mut r,
            limits,
            || {},
            |_| {
                continued = true;
                Ok(())
            },
        );
        (res, continued)
    }

    fn status_of(input: &[u8]) -> u16 {
        match parse(input) {
            Err(ReadError::Bad(s, _)) => s,
            other => panic!(
                "expected a 4xx/5xx for {:?}, got {other:?}",
                String::from_utf8_lossy(input)
            ),
        }
    }

    #[test]
    fn parses_a_signed_style_request_with_content_length() {
        let raw = b"POST /model/a%3Ab/invoke-with-response-stream?x=1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\nContent-Length: 5\r\nX-Empty:\r\nX-Pad: \t v \t\r\n\r\nhelloNEXT";
        let p = parse(raw).unwrap();
        assert_eq!(p.request.method, "POST");
        assert_eq!(p.request.path, "/model/a%3Ab/invoke-with-response-stream");
        assert_eq!(p.request.query, "x=1");
        assert_eq!(p.request.body, b"hello");
        assert_eq!(p.request.header("x-empty"), Some(""));
        assert_eq!(p.request.header("x-pad"), Some("v"));
        assert!(p.keep_alive);
    }

    #[test]
    fn pipelined_requests_are_read_one_at_a_time() {
        let raw = b"GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\nContent-Length: 2\n\nokGET /c HTTP/1.0\r\n\r\n";
        let mut r = BufReader::with_capacity(5, &raw[..]);
        let mut next = || read_request(&mut r, LIMITS, || {}, |_| Ok(()));
        assert_eq!(next().unwrap().request.path, "/a");
        let b = next().unwrap();
        assert_eq!(
            (b.request.path.as_str(), b.request.body.as_slice()),
            ("/b", &b"ok"[..])
        );
        let c = next().unwrap();
        assert_eq!(c.request.path, "/c");
        assert!(!c.keep_alive, "HTTP/1.0 without keep-alive closes");
        assert!(matches!(next(), Err(ReadError::Closed)));
    }

    #[test]
    fn chunked_bodies_and_expect_continue() {
        let raw = b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n";
        let (p, continued) = parse_with(raw, LIMITS);
        let p = p.unwrap();
        assert_eq!(p.request.body, b"hello 0123456789");
        assert!(continued);
        assert!(!p.keep_alive);
    }

    #[test]
    fn garbage_and_oversized_input_get_error_statuses() {
        assert_eq!(
            status_of(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"),
            400
        );
        assert_eq!(status_of(b"GET\r\n\r\n"), 400);
        assert_eq!(status_of(b"GET / HTTP/1.1 extra\r\n\r\n"), 400);
        assert_eq!(status_of(b"GET  / HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(status_of(b"G(T / HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(status_of(b"GET / HTTP/2.0\r\n\r\n"), 505);
        assert_eq!(status_of(b"GET / FTP/1.1\r\n\r\n"), 400);
        assert_eq!(status_of(b"GET * HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(status_of(b"GET /\x01 HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(status_of(b"GET / HTTP/1.1\r\nNoColon\r\n\r\n"), 400);
        assert_eq!(status_of(b"GET / HTTP/1.1\r\nBad Name: v\r\n\r\n"), 400);
        assert_eq!(status_of(b"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n"), 400);
        assert_eq!(status_of(b"GET / HTTP/1.1\r\nA: b\x00c\r\n\r\n"), 400);
        assert_eq!(status_of(b"GET / HTTP/1.1\r\nA: \xff\r\n\r\n"), 400);
        assert_eq!(
            status_of(b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
            400
        );
        assert_eq!(
            status_of(b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
            400
        );
        assert_eq!(
            status_of(b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"),
            400
        );
        assert_eq!(
            status_of(b"POST / HTTP/1.1\r\nContent-Length: 1025\r\n\r\n"),
            413
        );
        assert_eq!(
            status_of(
                b"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
            ),
            400
        );
        assert_eq!(
            status_of(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            501
        );
        assert_eq!(
            status_of(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
            400
        );
        assert_eq!(
            status_of(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n"),
            400
        );
        assert_eq!(
            status_of(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n401\r\n"),
            413
        );
        assert_eq!(
            status_of(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n"),
            400
        );
        let long = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(9000));
        assert_eq!(status_of(long.as_bytes()), 431);
        let many: String = (0..40).map(|i| format!("H{i}: v\r\n")).collect();
        assert_eq!(
            status_of(format!("GET / HTTP/1.1\r\n{many}\r\n").as_bytes()),
            431
        );
    }

    #[test]
    fn eof_cases() {
        assert!(matches!(parse(b""), Err(ReadError::Closed)));
        assert!(matches!(parse(b"\r\n\r\n"), Err(ReadError::Closed)));
        assert!(matches!(
            parse(b"GET / HTTP/1.1\r\nHost: x"),
            Err(ReadError::Io)
        ));
        assert!(matches!(
            parse(b"POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nabc"),
            Err(ReadError::Io)
        ));
    }

    #[test]
    fn absolute_form_targets_are_reduced_to_the_path() {
        let p = parse(b"GET http://127.0.0.1:9/latest/api/token?x HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!(
            (p.request.path.as_str(), p.request.query.as_str()),
            ("/latest/api/token", "x")
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A deterministic pseudo-random sweep over short inputs built from HTTP-ish tokens.
        let atoms: [&[u8]; 14] = [
            b"GET ",
            b"POST ",
            b"/",
            b" HTTP/1.1",
            b"\r\n",
            b"\n",
            b":",
            b"Content-Length: ",
            b"Transfer-Encoding: chunked",
            b"0",
            b"ff",
            b"\xff",
            b" ",
            b"a",
        ];
        let mut seed = 0x2545F4914F6CDD1Du64;
        for _ in 0..20_000 {
            let mut input = Vec::new();
            for _ in 0..(seed % 24) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                input.extend_from_slice(atoms[(seed % atoms.len() as u64) as usize]);
            }
            let _ = parse(&input);
        }
    }

    #[test]
    fn responses_are_framed() {
        let mut out = Vec::new();
        write_full(
            &mut out,
            404,
            &[
                ("Content-Length".into(), "999".into()),
                ("X-A".into(), "b".into()),
            ],
            b"{}",
            true,
        )
        .unwrap();
        assert_eq!(out, b"HTTP/1.1 404 Not Found\r\nX-A: b\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n{}");
        let mut c = Vec::new();
        chunk_into(&mut c, &[7u8; 26]);
        assert_eq!(&c[..4], b"1A\r\n");
        assert_eq!(&c[30..], b"\r\n");
    }
}
