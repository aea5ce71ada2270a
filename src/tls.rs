//! TLS trust: the built-in Mozilla roots plus an optional PEM bundle (`AWS_CA_BUNDLE`,
//! `ca_bundle`, a TLS-inspecting proxy's CA), applied to every connection the client opens.

use ureq::tls::{parse_pem, Certificate, PemItem, RootCerts, TlsConfig};

use crate::error::{Error, Result};

/// Parse the certificates of a PEM bundle; an unreadable bundle or one without any
/// certificate is an error (never a silent fallback).
pub(crate) fn certificates_from_pem(pem: &[u8]) -> Result<Vec<Certificate<'static>>> {
    let mut certs = Vec::new();
    for item in parse_pem(pem) {
        match item {
            Ok(PemItem::Certificate(c)) => certs.push(c),
            Ok(_) => {}
            Err(e) => {
                return Err(Error::config(format!(
                    "the CA bundle is not valid PEM: {e}"
                )))
            }
        }
    }
    if certs.is_empty() {
        return Err(Error::config("the CA bundle contains no certificate"));
    }
    Ok(certs)
}

/// A TLS configuration trusting the Mozilla roots and the certificates of `pem`.
pub(crate) fn tls_config_with_bundle(pem: &[u8]) -> Result<TlsConfig> {
    let mut roots: Vec<Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|c| Certificate::from_der(c.as_ref()).to_owned())
        .collect();
    roots.extend(certificates_from_pem(pem)?);
    Ok(TlsConfig::builder()
        .root_certs(RootCerts::new_with_certs(&roots))
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_bundles_are_refused() {
        assert!(certificates_from_pem(b"").is_err());
        assert!(certificates_from_pem(
            b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n"
        )
        .is_err());
    }
}
