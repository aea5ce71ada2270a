//! TLS trust: the built-in Mozilla roots plus an optional PEM bundle (`AWS_CA_BUNDLE`,
//! `ca_bundle`, a TLS-inspecting proxy's CA), applied to every connection the client opens.

use ureq::tls::{parse_pem, Certificate, PemItem, RootCerts, TlsConfig};

use crate::error::{Error, Result};

/// Parse the certificates of a PEM bundle; an unreadable bundle, one without any certificate,
/// or a `CERTIFICATE` block that is not a usable X.509 trust anchor is an error (never a silent
/// fallback: ureq would drop such a block without a word, and the CA the user meant to trust
/// would then fail every handshake). Other PEM blocks (keys, CRLs) are ignored.
pub(crate) fn certificates_from_pem(pem: &[u8]) -> Result<Vec<Certificate<'static>>> {
    let mut certs = Vec::new();
    for item in parse_pem(pem) {
        match item {
            Ok(PemItem::Certificate(c)) => {
                let mut store = rustls::RootCertStore::empty();
                if let Err(e) = store.add(rustls::pki_types::CertificateDer::from(c.der())) {
                    return Err(Error::config(format!(
                        "certificate {} of the CA bundle is not a valid X.509 certificate: {e}",
                        certs.len() + 1
                    )));
                }
                certs.push(c)
            }
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
        // Valid base64, but the DER is not a certificate: ureq would drop it silently.
        let e = certificates_from_pem(
            b"-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n",
        )
        .unwrap_err();
        assert!(e.message().contains("not a valid X.509"), "{e}");
    }
}
