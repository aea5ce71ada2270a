//! Request authentication: SigV4 through `aws-sigv4` (service `bedrock`), or a Bedrock API key
//! sent as `Authorization: Bearer`.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use crate::credentials::{BearerToken, Credentials, CredentialsContext, ProvideCredentials};
use crate::error::{Error, Result};

/// The SigV4 signing name of Bedrock Runtime (not the `bedrock-runtime` host prefix).
pub(crate) const SIGNING_NAME: &str = "bedrock";

/// A secret string whose `Debug` never shows it, zeroized on drop.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(pub(crate) String);

impl Drop for Secret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("** redacted **")
    }
}

/// How requests are authenticated.
#[derive(Clone, Debug)]
pub(crate) enum Auth {
    /// `Authorization: Bearer <token>` (Bedrock API key).
    Bearer(BearerToken),
    /// SigV4 with credentials from this provider.
    SigV4(Arc<dyn ProvideCredentials>),
}

impl Auth {
    /// Add the authentication headers for a request to `headers`.
    ///
    /// `url` is the URL exactly as sent (path already label-encoded); `headers` are those to
    /// be signed (lower-case names, no `user-agent`). Credentials are resolved for the call of
    /// `ctx` (its cancel and deadline); expired ones are asked for once more, then refused.
    pub(crate) fn apply(
        &self,
        url: &str,
        region: &str,
        headers: &mut Vec<(String, String)>,
        body: &[u8],
        ctx: &CredentialsContext,
    ) -> Result<()> {
        match self {
            Auth::Bearer(token) => {
                let v = format!("Bearer {}", token.token());
                if v.chars().any(|c| c.is_control()) {
                    return Err(Error::credentials(
                        "the bearer token contains a control character (CR/LF?)",
                    ));
                }
                headers.push(("authorization".to_owned(), v));
                Ok(())
            }
            Auth::SigV4(provider) => {
                let creds =
                    crate::credentials::provide_unexpired(&**provider, ctx, &SystemTime::now)?;
                sign_v4(&creds, url, region, headers, body, SystemTime::now())
            }
        }
    }
}

/// Sign a Bedrock request with SigV4 and append `x-amz-date`, `x-amz-security-token` (if any)
/// and `authorization` to `headers`.
pub(crate) fn sign_v4(
    creds: &Credentials,
    url: &str,
    region: &str,
    headers: &mut Vec<(String, String)>,
    body: &[u8],
    now: SystemTime,
) -> Result<()> {
    sign_v4_for(SIGNING_NAME, creds, url, region, headers, body, now)
}

/// Sign a POST for `service` (the credential providers sign STS requests with it).
pub(crate) fn sign_v4_for(
    service: &str,
    creds: &Credentials,
    url: &str,
    region: &str,
    headers: &mut Vec<(String, String)>,
    body: &[u8],
    now: SystemTime,
) -> Result<()> {
    let identity: Identity = aws_credential_types::Credentials::new(
        creds.access_key_id(),
        creds.secret_access_key(),
        creds.session_token().map(str::to_owned),
        creds.expiry(),
        "bedrock-stream",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(now)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| Error::internal(format!("cannot build SigV4 parameters: {e}")))?
        .into();
    let signable = SignableRequest::new(
        "POST",
        url,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .map_err(|e| Error::invalid_input(format!("the request cannot be signed: {e}")))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| Error::invalid_input(format!("the request cannot be signed: {e}")))?
        .into_parts();
    let (new_headers, _query) = instructions.into_parts();
    for h in new_headers {
        headers.push((h.name().to_owned(), h.value().to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    /// The four known answers of tests/data/vectors/sigv4_vectors.json (canonical request,
    /// string to sign and signature from an independent SigV4 implementation).
    #[test]
    fn sigv4_known_answers() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/vectors/sigv4_vectors.json"
        );
        let text = std::fs::read_to_string(path).expect("tests/data/vectors/sigv4_vectors.json");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let fixed = &v["fixed_inputs"];
        assert_eq!(fixed["x_amz_date"], "20250101T000000Z");
        let now = UNIX_EPOCH + Duration::from_secs(1_735_689_600);
        let cases = v["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 4);
        for case in cases {
            let c = Credentials::new(
                fixed["access_key_id"].as_str().unwrap(),
                fixed["secret_access_key"].as_str().unwrap(),
                case["session_token"].as_str().map(str::to_owned),
            );
            let mut headers: Vec<(String, String)> = fixed["request_headers_sent"]
                .as_object()
                .unwrap()
                .iter()
                .chain(case["extra_headers"].as_object().unwrap().iter())
                .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap().to_owned()))
                .collect();
            // The URL the client sends is built from the model id by our own label encoder.
            let url = format!(
                "https://bedrock-runtime.us-east-1.amazonaws.com/model/{}/invoke-with-response-stream",
                crate::request::encode_label(case["model_id"].as_str().unwrap())
            );
            assert_eq!(url, case["url"].as_str().unwrap());
            let body = fixed["body_utf8"].as_str().unwrap().as_bytes();
            sign_v4(&c, &url, "us-east-1", &mut headers, body, now).unwrap();
            let auth = &headers
                .iter()
                .find(|(k, _)| k == "authorization")
                .unwrap()
                .1;
            assert_eq!(auth, case["authorization"].as_str().unwrap());
            let token = headers
                .iter()
                .find(|(k, _)| k == "x-amz-security-token")
                .map(|h| h.1.as_str());
            assert_eq!(token, case["session_token"].as_str());
        }
    }

    #[test]
    fn bearer_is_one_header_and_never_in_debug() {
        let a = Auth::Bearer(BearerToken::new("bedrock-api-key-SECRET").unwrap());
        assert!(!format!("{a:?}").contains("SECRET"));
        let mut h = Vec::new();
        a.apply(
            "https://x/model/m/invoke-with-response-stream",
            "us-east-1",
            &mut h,
            b"",
            &CredentialsContext::new(),
        )
        .unwrap();
        assert_eq!(
            h,
            vec![(
                "authorization".to_owned(),
                "Bearer bedrock-api-key-SECRET".to_owned()
            )]
        );
        assert!(BearerToken::new("a\r\nb").is_err());
    }
}
