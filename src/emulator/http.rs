//! Minimal HTTP/1.1 request and response types shared by the emulator's routes and its
//! extension hook ([`super::EmulatorBuilder::handler`]).

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
