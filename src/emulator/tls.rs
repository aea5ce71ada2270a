//! HTTPS for the emulator: a private CA and a server certificate made at start (rcgen, ring),
//! served with rustls. The handshake runs in each connection's thread.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// What an HTTPS emulator needs: the CA its clients trust, the rustls server configuration.
pub(crate) struct TlsSetup {
    pub ca_pem: String,
    pub config: Arc<ServerConfig>,
}

fn tls_error(what: &str, e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("emulator TLS setup: {what}: {e}"))
}

/// Generates a CA and a certificate for `localhost`, `127.0.0.1`, `::1` and `bind_ip` (when it
/// is a specific address), signed by that CA.
pub(crate) fn setup(bind_ip: IpAddr) -> io::Result<TlsSetup> {
    let ca_key = KeyPair::generate().map_err(|e| tls_error("CA key", e))?;
    let mut ca_params =
        CertificateParams::new(Vec::<String>::new()).map_err(|e| tls_error("CA parameters", e))?;
    ca_params.distinguished_name = rcgen::DistinguishedName::new();
    // A name of its own: two emulators' CAs must not look like the same issuer.
    ca_params.distinguished_name.push(
        DnType::CommonName,
        format!("bedrock-stream emulator CA {:016x}", fastrand::u64(..)),
    );
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params
        .self_signed(&ca_key)
        .map_err(|e| tls_error("CA certificate", e))?;
    let issuer = Issuer::new(ca_params, ca_key);

    let mut names = vec![
        "localhost".to_string(),
        Ipv4Addr::LOCALHOST.to_string(),
        Ipv6Addr::LOCALHOST.to_string(),
    ];
    if !bind_ip.is_unspecified() && !bind_ip.is_loopback() {
        names.push(bind_ip.to_string());
    }
    let key = KeyPair::generate().map_err(|e| tls_error("server key", e))?;
    let mut params =
        CertificateParams::new(names).map_err(|e| tls_error("server parameters", e))?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, "bedrock-stream emulator");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let cert = params
        .signed_by(&key, &issuer)
        .map_err(|e| tls_error("server certificate", e))?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("protocol versions", e))?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .map_err(|e| tls_error("server key pair", e))?;
    Ok(TlsSetup {
        ca_pem: ca_cert.pem(),
        config: Arc::new(config),
    })
}

/// A server-side TLS stream over the connection's socket.
pub(crate) type TlsStream = StreamOwned<ServerConnection, TcpStream>;

/// Runs the server handshake on `tcp` within `timeout` (in all, not per read).
pub(crate) fn accept(
    config: &Arc<ServerConfig>,
    mut tcp: TcpStream,
    timeout: Duration,
) -> io::Result<TlsStream> {
    let deadline = Instant::now() + timeout;
    let mut conn = ServerConnection::new(config.clone()).map_err(io::Error::other)?;
    while conn.is_handshaking() {
        let left = deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"))?;
        tcp.set_read_timeout(Some(left))?;
        tcp.set_write_timeout(Some(left))?;
        match conn.complete_io(&mut tcp) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    tcp.set_write_timeout(None)?;
    Ok(StreamOwned::new(conn, tcp))
}

/// The connection's byte stream: plain TCP or TLS over it.
pub(crate) enum Io {
    Plain(TcpStream),
    Tls(Box<TlsStream>),
}

impl Io {
    /// Queues and sends a TLS `close_notify` (nothing for plain TCP).
    pub(crate) fn close_notify(&mut self) {
        if let Io::Tls(s) = self {
            s.conn.send_close_notify();
            let _ = s.flush();
        }
    }
}

impl Read for Io {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Io::Plain(s) => s.read(buf),
            Io::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Io {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Io::Plain(s) => s.write(buf),
            Io::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Io::Plain(s) => s.flush(),
            Io::Tls(s) => s.flush(),
        }
    }
}
