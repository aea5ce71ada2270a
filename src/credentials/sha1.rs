//! SHA-1, only to name files in the AWS CLI's SSO token cache (`~/.aws/sso/cache/<sha1>.json`),
//! where it is a file-name convention, not a security function.

/// Lower-case hex SHA-1 of `data` (ring's, the provider rustls already builds).
pub(crate) fn sha1_hex(data: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, data);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fips_180_vectors() {
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            sha1_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(
            sha1_hex(&vec![b'a'; 1_000_000]),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
    }

    /// A cache key as the CLI computes it (value checked with Python `hashlib.sha1`).
    #[test]
    fn sso_cache_names() {
        // sso-session name "dev"
        assert_eq!(sha1_hex(b"dev"), "34c6fceca75e456f25e7e99531e2425c6c1de443");
    }
}
