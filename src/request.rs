//! `InvokeModelWithResponseStreamRequest`: every member of the service model, validated, and
//! bound to the HTTP request exactly as the model binds it.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::extract::ModelFamily;

/// `X-Amzn-Bedrock-Trace` (`Trace` enum of the service model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trace {
    /// `ENABLED`
    Enabled,
    /// `DISABLED`
    Disabled,
    /// `ENABLED_FULL`
    EnabledFull,
}

/// `X-Amzn-Bedrock-PerformanceConfig-Latency` (`PerformanceConfigLatency` enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PerformanceConfigLatency {
    /// `standard`
    Standard,
    /// `optimized`
    Optimized,
}

/// `X-Amzn-Bedrock-Service-Tier` (`ServiceTierType` enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceTier {
    /// `priority`
    Priority,
    /// `default`
    Default,
    /// `flex`
    Flex,
    /// `reserved`
    Reserved,
}

macro_rules! wire_enum {
    ($ty:ident, $shape:literal, $($variant:ident => $wire:literal),+ $(,)?) => {
        impl $ty {
            /// The value exactly as sent on the wire (case-sensitive).
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $wire),+ }
            }
        }
        impl FromStr for $ty {
            type Err = Error;
            /// Parses a wire value. Like every enum-valued setting of this crate (C setters and
            /// command-line options included), ASCII case and surrounding whitespace are
            /// ignored; the exact wire value (see `as_str`) is what is sent.
            fn from_str(s: &str) -> Result<$ty> {
                let t = s.trim();
                $(if t.eq_ignore_ascii_case($wire) {
                    return Ok($ty::$variant);
                })+
                Err(Error::invalid_input(format!(
                    concat!("{:?} is not a valid ", $shape, "; expected one of: {}"),
                    crate::redact::excerpt(s),
                    [$($wire),+].join(", ")
                )))
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(Trace, "trace", Enabled => "ENABLED", Disabled => "DISABLED", EnabledFull => "ENABLED_FULL");
wire_enum!(PerformanceConfigLatency, "performanceConfigLatency", Standard => "standard", Optimized => "optimized");
wire_enum!(ServiceTier, "serviceTier", Priority => "priority", Default => "default", Flex => "flex", Reserved => "reserved");

/// Largest `body` the service model allows (`Body` shape, `max`).
pub const MAX_BODY_LEN: usize = 25_000_000;
/// Longest `modelId` (`InvokeModelIdentifier`, `max`).
pub const MAX_MODEL_ID_LEN: usize = 2048;

/// One `InvokeModelWithResponseStream` request: the model id, the model's own JSON body, and
/// the optional header members of the service model.
///
/// ```
/// use bedrock_stream::{InvokeRequest, Trace};
/// let req = InvokeRequest::new(
///     "us.anthropic.claude-3-5-haiku-20241022-v1:0",
///     br#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":64,"messages":[]}"#.to_vec(),
/// )
/// .trace(Trace::Disabled);
/// assert_eq!(req.path().unwrap(),
///     "/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/invoke-with-response-stream");
/// ```
#[derive(Clone)]
pub struct InvokeRequest {
    model_id: String,
    body: Arc<[u8]>,
    content_type: Option<String>,
    accept: Option<String>,
    trace: Option<Trace>,
    guardrail_identifier: Option<String>,
    guardrail_version: Option<String>,
    performance_config_latency: Option<PerformanceConfigLatency>,
    service_tier: Option<ServiceTier>,
    request_metadata: Option<String>,
    project_identifier: Option<String>,
    model_family: Option<ModelFamily>,
}

impl fmt::Debug for InvokeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `body` and `requestMetadata` are `sensitive` in the service model.
        f.debug_struct("InvokeRequest")
            .field("model_id", &self.model_id)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .field("content_type", &self.content_type)
            .field("accept", &self.accept)
            .field("trace", &self.trace)
            .field("guardrail_identifier", &self.guardrail_identifier)
            .field("guardrail_version", &self.guardrail_version)
            .field(
                "performance_config_latency",
                &self.performance_config_latency,
            )
            .field("service_tier", &self.service_tier)
            .field(
                "request_metadata",
                &self.request_metadata.as_ref().map(|_| "** sensitive **"),
            )
            .field("project_identifier", &self.project_identifier)
            .field("model_family", &self.model_family)
            .finish()
    }
}

impl InvokeRequest {
    /// A request for `model_id` (model id, inference profile id, or ARN) with the model's
    /// JSON body, sent byte for byte. `Content-Type` and `X-Amzn-Bedrock-Accept` default to
    /// `application/json`.
    pub fn new(model_id: impl Into<String>, body: impl Into<Vec<u8>>) -> InvokeRequest {
        InvokeRequest {
            model_id: model_id.into(),
            body: Arc::from(body.into()),
            content_type: None,
            accept: None,
            trace: None,
            guardrail_identifier: None,
            guardrail_version: None,
            performance_config_latency: None,
            service_tier: None,
            request_metadata: None,
            project_identifier: None,
            model_family: None,
        }
    }

    /// `contentType` → `Content-Type` (default `application/json`).
    pub fn content_type(mut self, v: impl Into<String>) -> Self {
        self.content_type = Some(v.into());
        self
    }

    /// `accept` → `X-Amzn-Bedrock-Accept` (default `application/json`).
    pub fn accept(mut self, v: impl Into<String>) -> Self {
        self.accept = Some(v.into());
        self
    }

    /// `trace` → `X-Amzn-Bedrock-Trace`.
    pub fn trace(mut self, v: Trace) -> Self {
        self.trace = Some(v);
        self
    }

    /// `guardrailIdentifier` and `guardrailVersion` → `X-Amzn-Bedrock-GuardrailIdentifier` /
    /// `X-Amzn-Bedrock-GuardrailVersion` (the service refuses an identifier without version).
    pub fn guardrail(mut self, identifier: impl Into<String>, version: impl Into<String>) -> Self {
        self.guardrail_identifier = Some(identifier.into());
        self.guardrail_version = Some(version.into());
        self
    }

    /// `guardrailIdentifier` alone (pair it with [`InvokeRequest::guardrail_version`]).
    pub fn guardrail_identifier(mut self, v: impl Into<String>) -> Self {
        self.guardrail_identifier = Some(v.into());
        self
    }

    /// `guardrailVersion` alone: `DRAFT` or `1`..`99999999`.
    pub fn guardrail_version(mut self, v: impl Into<String>) -> Self {
        self.guardrail_version = Some(v.into());
        self
    }

    /// `performanceConfigLatency` → `X-Amzn-Bedrock-PerformanceConfig-Latency`.
    pub fn performance_config_latency(mut self, v: PerformanceConfigLatency) -> Self {
        self.performance_config_latency = Some(v);
        self
    }

    /// `serviceTier` → `X-Amzn-Bedrock-Service-Tier`.
    pub fn service_tier(mut self, v: ServiceTier) -> Self {
        self.service_tier = Some(v);
        self
    }

    /// `requestMetadata` → `X-Amzn-Bedrock-Request-Metadata`: a JSON object whose keys and
    /// values are strings, at most 8,500 bytes (sensitive: never logged).
    pub fn request_metadata(mut self, v: impl Into<String>) -> Self {
        self.request_metadata = Some(v.into());
        self
    }

    /// `projectIdentifier` → `X-Amzn-Bedrock-ProjectIdentifier`.
    pub fn project_identifier(mut self, v: impl Into<String>) -> Self {
        self.project_identifier = Some(v.into());
        self
    }

    /// Not sent: the chunk format the stream reads text, stop reasons and usage with
    /// ([`EventRef::text`](crate::EventRef::text) & co.). By default it is derived from the
    /// model id ([`ModelFamily::from_model_id`]), and when the id does not reveal it (an
    /// application inference profile, provisioned, custom or imported model ARN) it is
    /// recognised from the chunks. Set it to skip the recognition, or for a model whose chunks
    /// look like no family's.
    pub fn model_family(mut self, family: ModelFamily) -> Self {
        self.model_family = Some(family);
        self
    }

    /// The family the stream reads chunks with: the one set with
    /// [`InvokeRequest::model_family`], else the one the model id names (possibly
    /// [`ModelFamily::Unknown`]: recognised from the chunks).
    pub fn model_family_value(&self) -> ModelFamily {
        self.model_family
            .unwrap_or_else(|| ModelFamily::from_model_id(&self.model_id))
    }

    /// The model id as given.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The `trace` member, if set.
    pub fn trace_value(&self) -> Option<Trace> {
        self.trace
    }

    /// The request path with the model id encoded as one label:
    /// `/model/{modelId}/invoke-with-response-stream`.
    pub fn path(&self) -> Result<String> {
        self.path_for("invoke-with-response-stream")
    }

    /// `/model/{modelId}/{operation}` (`invoke` for InvokeModel).
    pub(crate) fn path_for(&self, operation: &str) -> Result<String> {
        model_path(&self.model_id, operation)
    }

    /// The body, shared (not copied) with the calls that send it.
    pub(crate) fn shared_body(&self) -> Arc<[u8]> {
        self.body.clone()
    }

    /// Check every member against the service model and return the request headers
    /// (lower-case names) in model order. Nothing is sent when this fails.
    pub(crate) fn validate_and_headers(&self) -> Result<Vec<(&'static str, String)>> {
        validate_model_id(&self.model_id)?;
        if self.body.len() > MAX_BODY_LEN {
            return Err(Error::invalid_input(format!(
                "the body is {} bytes; the service model allows at most {MAX_BODY_LEN}",
                self.body.len()
            )));
        }
        let mut h: Vec<(&'static str, String)> = Vec::with_capacity(9);
        let ct = self.content_type.as_deref().unwrap_or("application/json");
        h.push(("content-type", header_value("contentType", ct)?));
        let accept = self.accept.as_deref().unwrap_or("application/json");
        h.push(("x-amzn-bedrock-accept", header_value("accept", accept)?));
        if let Some(t) = self.trace {
            h.push(("x-amzn-bedrock-trace", t.as_str().to_owned()));
        }
        match (&self.guardrail_identifier, &self.guardrail_version) {
            (Some(id), Some(version)) => {
                if id.len() > 2048 {
                    return Err(Error::invalid_input(format!(
                        "guardrailIdentifier is {} bytes; at most 2048 are allowed",
                        id.len()
                    )));
                }
                validate_guardrail_version(version)?;
                h.push((
                    "x-amzn-bedrock-guardrailidentifier",
                    header_value("guardrailIdentifier", id)?,
                ));
                h.push((
                    "x-amzn-bedrock-guardrailversion",
                    header_value("guardrailVersion", version)?,
                ));
            }
            (Some(_), None) => {
                return Err(Error::invalid_input(
                    "guardrailIdentifier is set without guardrailVersion; the service refuses \
                     that (set both, e.g. version \"DRAFT\" or \"1\")",
                ))
            }
            (None, Some(_)) => {
                return Err(Error::invalid_input(
                    "guardrailVersion is set without guardrailIdentifier",
                ))
            }
            (None, None) => {}
        }
        if let Some(p) = self.performance_config_latency {
            h.push((
                "x-amzn-bedrock-performanceconfig-latency",
                p.as_str().to_owned(),
            ));
        }
        if let Some(s) = self.service_tier {
            h.push(("x-amzn-bedrock-service-tier", s.as_str().to_owned()));
        }
        if let Some(m) = &self.request_metadata {
            validate_request_metadata(m)?;
            h.push((
                "x-amzn-bedrock-request-metadata",
                header_value("requestMetadata", m)?,
            ));
        }
        if let Some(p) = &self.project_identifier {
            if p.is_empty() || p.len() > 2048 {
                return Err(Error::invalid_input(
                    "projectIdentifier must be 1 to 2048 characters",
                ));
            }
            h.push((
                "x-amzn-bedrock-projectidentifier",
                header_value("projectIdentifier", p)?,
            ));
        }
        Ok(h)
    }
}

/// `/model/{modelId}/{operation}`, the model id checked and encoded as one label.
pub(crate) fn model_path(model_id: &str, operation: &str) -> Result<String> {
    validate_model_id(model_id)?;
    Ok(format!("/model/{}/{operation}", encode_label(model_id)))
}

pub(crate) fn validate_model_id(id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::invalid_input("the model id is empty"));
    }
    if id.len() > MAX_MODEL_ID_LEN {
        return Err(Error::invalid_input(format!(
            "the model id is {} bytes; the service model allows at most {MAX_MODEL_ID_LEN}",
            id.len()
        )));
    }
    if id.chars().any(|c| c.is_control()) {
        return Err(Error::invalid_input(
            "the model id contains a control character (CR, LF, NUL, ...)",
        ));
    }
    if id == "." || id == ".." {
        // Sent as a dot segment, which URL and SigV4 path normalization remove: the request
        // would go to (and be signed for) another path.
        return Err(Error::invalid_input(format!(
            "the model id {id:?} is not a model id (a `.` or `..` path segment)"
        )));
    }
    Ok(())
}

pub(crate) fn validate_guardrail_version(v: &str) -> Result<()> {
    let ok = v == "DRAFT"
        || (!v.is_empty()
            && v.len() <= 8
            && v.bytes().all(|b| b.is_ascii_digit())
            && !v.starts_with('0'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "guardrailVersion {v:?} must be \"DRAFT\" or a number from 1 to 99999999"
        )))
    }
}

fn validate_request_metadata(m: &str) -> Result<()> {
    if m.len() > 8500 {
        return Err(Error::invalid_input(format!(
            "requestMetadata is {} bytes; at most 8500 are allowed",
            m.len()
        )));
    }
    let parsed: std::result::Result<std::collections::BTreeMap<String, String>, _> =
        serde_json::from_str(m);
    if parsed.is_err() {
        return Err(Error::invalid_input(
            "requestMetadata must be a JSON object whose keys and values are strings, \
             e.g. {\"team\":\"search\"}",
        ));
    }
    Ok(())
}

/// A header value must be visible ASCII or space/tab: CR, LF and other control characters
/// could split or forge headers, and non-ASCII is not portable in HTTP/1.1 headers.
pub(crate) fn header_value(member: &str, v: &str) -> Result<String> {
    if let Some(c) = v
        .chars()
        .find(|&c| c != '\t' && (c.is_control() || !c.is_ascii()))
    {
        let what = match c {
            '\r' => "a carriage return (CR)".to_owned(),
            '\n' => "a line feed (LF)".to_owned(),
            c if c.is_control() => format!("the control character U+{:04X}", c as u32),
            c => format!("the non-ASCII character {c:?}"),
        };
        return Err(Error::invalid_input(format!(
            "the {member} header value contains {what}; header values must be printable ASCII"
        )));
    }
    Ok(v.to_owned())
}

/// Percent-encode every byte that is not an RFC 3986 unreserved character (Smithy httpLabel,
/// non-greedy): `:` → `%3A`, `/` → `%2F`, upper-case hex.
pub(crate) fn encode_label(s: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const LABEL: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    utf8_percent_encode(s, LABEL).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn model_ids_are_encoded_as_one_label_like_botocore() {
        // How botocore encodes each of these model ids (measured).
        let cases = [
            ("anthropic.claude-3-5-haiku-20241022-v1:0", "anthropic.claude-3-5-haiku-20241022-v1%3A0"),
            ("amazon.titan-text-express-v1", "amazon.titan-text-express-v1"),
            ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "global.anthropic.claude-sonnet-4-5-20250929-v1%3A0"),
            ("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
             "arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Fanthropic.claude-3-haiku-20240307-v1%3A0"),
            ("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
             "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fa1b2c3d4e5f6"),
            ("arn:aws:bedrock:us-east-1:123456789012:prompt/PROMPT12AB:1",
             "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aprompt%2FPROMPT12AB%3A1"),
            ("modèle espace", "mod%C3%A8le%20espace"),
            ("a/../b?x=1#f%2F", "a%2F..%2Fb%3Fx%3D1%23f%252F"),
        ];
        for (id, want) in cases {
            assert_eq!(encode_label(id), want, "{id}");
            let path = InvokeRequest::new(id, vec![]).path().unwrap();
            assert_eq!(path.matches('/').count(), 3, "{path}");
            assert!(!path.contains('?') && !path.contains('#'));
        }
    }

    #[test]
    fn every_member_becomes_its_header_in_model_order() {
        let r = InvokeRequest::new("m", b"{}".to_vec())
            .trace(Trace::EnabledFull)
            .guardrail("abc123", "DRAFT")
            .performance_config_latency(PerformanceConfigLatency::Optimized)
            .service_tier(ServiceTier::Flex)
            .request_metadata(r#"{"team":"x"}"#)
            .project_identifier("default");
        let h = r.validate_and_headers().unwrap();
        let got: Vec<String> = h.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        assert_eq!(
            got,
            [
                "content-type: application/json",
                "x-amzn-bedrock-accept: application/json",
                "x-amzn-bedrock-trace: ENABLED_FULL",
                "x-amzn-bedrock-guardrailidentifier: abc123",
                "x-amzn-bedrock-guardrailversion: DRAFT",
                "x-amzn-bedrock-performanceconfig-latency: optimized",
                "x-amzn-bedrock-service-tier: flex",
                "x-amzn-bedrock-request-metadata: {\"team\":\"x\"}",
                "x-amzn-bedrock-projectidentifier: default",
            ]
        );
        assert!(
            !format!("{r:?}").contains("team"),
            "requestMetadata is sensitive"
        );
    }

    #[test]
    fn bad_input_is_refused_with_a_clear_error() {
        let bad = [
            InvokeRequest::new("", vec![]),
            InvokeRequest::new("x".repeat(2049), vec![]),
            InvokeRequest::new("m\r\nx-evil: 1", vec![]),
            InvokeRequest::new("m", vec![]).content_type("application/json\r\nX-Evil: 1"),
            InvokeRequest::new("m", vec![]).accept("a\nb"),
            InvokeRequest::new("m", vec![]).guardrail_identifier("g1"),
            InvokeRequest::new("m", vec![]).guardrail("g1", "0"),
            InvokeRequest::new("m", vec![]).guardrail("g1", "123456789"),
            InvokeRequest::new("m", vec![]).request_metadata("not json"),
            InvokeRequest::new("m", vec![]).request_metadata(r#"{"a":1}"#),
            InvokeRequest::new("m", vec![]).project_identifier(""),
            InvokeRequest::new("m", vec![0u8; MAX_BODY_LEN + 1]),
        ];
        for r in bad {
            let e = r.validate_and_headers().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{r:?}");
            assert!(!e.message().is_empty());
        }
        let e = InvokeRequest::new("m", vec![])
            .content_type("a\rb")
            .validate_and_headers()
            .unwrap_err();
        assert!(e.to_string().contains("carriage return"), "{e}");
        for id in [".", ".."] {
            let e = InvokeRequest::new(id, vec![]).path().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{id}");
            let e = InvokeRequest::new(id, vec![])
                .validate_and_headers()
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{id}");
        }
        assert!(InvokeRequest::new(".a", vec![]).path().is_ok());
        assert!("enable".parse::<Trace>().is_err());
        assert_eq!("enabled".parse::<Trace>().unwrap(), Trace::Enabled);
        assert_eq!("ENABLED_FULL".parse::<Trace>().unwrap(), Trace::EnabledFull);
        assert_eq!("flex".parse::<ServiceTier>().unwrap(), ServiceTier::Flex);
    }
}
