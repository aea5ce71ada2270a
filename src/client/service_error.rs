//! The typed error of a non-2xx response (restJson1 rules) and of a 2xx response that is not
//! an event stream.

use super::EVENTSTREAM_CONTENT_TYPE;
use crate::error::{self, Error, ErrorKind, Phase};
use crate::redact;

/// Whether the service asked us to slow down (for the adaptive rate limiter).
pub(super) fn is_throttle(e: &Error) -> bool {
    matches!(e.kind(), ErrorKind::Throttling | ErrorKind::ModelNotReady)
        || (e.kind() == ErrorKind::UnmodeledService && e.http_status() == Some(429))
}

/// Sanitize an error type: text before the first `:`, after the last `#`.
fn sanitize_error_type(t: &str) -> &str {
    let t = t.split(':').next().unwrap_or(t);
    t.rsplit('#').next().unwrap_or(t).trim()
}

/// Build the typed error of a non-2xx response (restJson1 rules, §6.2).
pub(crate) fn error_from_response(status: u16, error_type: Option<&str>, body: &[u8]) -> Error {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    // Everything taken from the response is cleaned: no control or invisible characters.
    let field_limited = |names: &[&str], max: usize| -> Option<String> {
        let j = json.as_ref()?;
        names.iter().find_map(|n| {
            j.get(*n)
                .and_then(|v| v.as_str())
                .map(|v| redact::remote_text(v, max))
        })
    };
    let field = |names: &[&str]| field_limited(names, redact::MAX_MESSAGE_CHARS);
    let raw_type = error_type
        .map(str::to_owned)
        .or_else(|| field(&["__type", "code", "Code"]));
    let code = raw_type
        .as_deref()
        .map(sanitize_error_type)
        .map(redact::excerpt)
        .filter(|c| !c.is_empty());
    let message = field(&["message", "Message"]).unwrap_or_else(|| {
        let text = redact::remote_text(&String::from_utf8_lossy(body), 512);
        if text.is_empty() {
            format!("HTTP {status} with an empty body")
        } else {
            text
        }
    });
    let modeled = code.as_deref().and_then(error::modeled_by_shape);
    let kind = modeled
        .map(|m| m.kind)
        .unwrap_or(ErrorKind::UnmodeledService);
    let original_status = json
        .as_ref()
        .and_then(|j| j.get("originalStatusCode"))
        .and_then(error::original_status_code);
    Error::new(kind, message)
        .with_phase(Phase::HttpResponse)
        .with_http_status(status)
        .with_code(code.unwrap_or_else(|| status.to_string()))
        .with_retryable(error::service_error_retryable(kind, Some(status)))
        .with_original(original_status, field(&["originalMessage"]))
        .with_resource_name(field_limited(&["resourceName"], 2048))
}

/// A 2xx response whose body is not an event stream: surface what it says.
pub(super) fn unexpected_body(status: u16, content_type: Option<&str>, body: &[u8]) -> Error {
    let inner = error_from_response(status, None, body);
    let ct = redact::excerpt(content_type.unwrap_or("none"));
    let detail = match inner.code() {
        Some(c) if c != status.to_string() => format!("{c}: {}", inner.message()),
        _ => inner.message().to_owned(),
    };
    Error::new(
        ErrorKind::UnexpectedContentType,
        format!(
            "HTTP {status} with Content-Type {ct} instead of {EVENTSTREAM_CONTENT_TYPE}; the body says: {detail}"
        ),
    )
    .with_phase(Phase::HttpResponse)
    .with_http_status(status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn error_responses_map_to_modeled_kinds() {
        let e = error_from_response(
            429,
            Some("ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"),
            br#"{"message":"Too many requests"}"#,
        );
        assert_eq!(e.kind(), ErrorKind::Throttling);
        assert_eq!(e.code(), Some("ThrottlingException"));
        assert!(e.is_retryable());
        assert_eq!(e.class(), crate::ErrorClass::Service);
        let e = error_from_response(
            400,
            None,
            br#"{"__type":"com.amazon.bedrock#ValidationException","Message":"bad"}"#,
        );
        assert_eq!(e.kind(), ErrorKind::Validation);
        assert_eq!(e.message(), "bad");
        assert!(!e.is_retryable());
        let e = error_from_response(
            424,
            Some("ModelErrorException"),
            br#"{"message":"m","originalStatusCode":500,"resourceName":"r"}"#,
        );
        assert_eq!(
            (e.original_status_code(), e.resource_name()),
            (Some(500), Some("r"))
        );
        let e = error_from_response(
            403,
            Some("ExpiredTokenException"),
            br#"{"message":"expired"}"#,
        );
        assert_eq!(e.kind(), ErrorKind::UnmodeledService);
        assert!(!e.is_retryable());
        // originalStatusCode outside i32: not reported, never wrapped (same rule as in-stream).
        for (value, want) in [
            ("500", Some(500)),
            ("1011380923018", None),
            ("-2147483649", None),
        ] {
            let body = format!(r#"{{"message":"kept","originalStatusCode":{value}}}"#);
            let e = error_from_response(424, Some("ModelErrorException"), body.as_bytes());
            assert_eq!(e.original_status_code(), want, "{value}");
            assert_eq!(e.message(), "kept");
        }
        // Text from the server is one clean line, whatever it holds.
        let e = error_from_response(
            400,
            Some("ValidationException\r\nX: y"),
            b"{\"message\":\"a\\u0000b\\r\\nFORGED\\u001b[31m\\u202e\",\"resourceName\":\"r\\n\"}",
        );
        assert_eq!(e.message(), "a b  FORGED [31m");
        assert_eq!(e.resource_name(), Some("r"));
        let e = error_from_response(502, None, b"\x1b[2Jplain\r\ntext\x00");
        assert_eq!(e.message(), "[2Jplain  text");
        let e = error_from_response(502, None, b"<html><body>Bad Gateway</body></html>");
        assert_eq!(e.code(), Some("502"));
        assert!(e.message().contains("Bad Gateway"));
        assert!(e.is_retryable());
    }
}
