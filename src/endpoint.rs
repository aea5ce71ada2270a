//! Region and endpoint resolution for Bedrock Runtime, as the AWS SDKs do it.
//!
//! * [`resolve_endpoint`] implements `bedrock-runtime.endpoint-rule-set-1.json` exactly: a custom
//!   endpoint wins (and excludes FIPS / dual-stack), otherwise the region's partition gives the
//!   DNS suffix (an unknown region falls back to the `aws` partition, as botocore does).
//! * [`resolve_region`]: explicit > `AWS_REGION` > `AWS_DEFAULT_REGION` > profile `region`. There
//!   is no hidden default region.
//! * [`configured_endpoint_url`]: explicit > `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` >
//!   `AWS_ENDPOINT_URL` > the profile's `services` section (`bedrock_runtime = endpoint_url = …`) >
//!   the profile's `endpoint_url`; everything but the explicit URL is ignored when
//!   `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` (else the profile's `ignore_configured_endpoint_urls`)
//!   is `true`.
//! * [`use_fips`] / [`use_dual_stack`]: explicit > `AWS_USE_FIPS_ENDPOINT` /
//!   `AWS_USE_DUALSTACK_ENDPOINT` > profile `use_fips_endpoint` / `use_dualstack_endpoint`.
//!
//! Custom endpoint URLs are validated up front ([`validate_endpoint_url`]): `http` or `https`
//! scheme, a host, an optional port, an optional path prefix, no user-info, query or fragment.
//! Plain `http://` is accepted for any host, not only loopback: a VPC-internal TLS-terminating
//! proxy or a local emulator are legitimate targets, and choosing `http://` is an explicit act of
//! the user. Requests are still SigV4-signed (signing name `bedrock`, the configured region).
//!
//! Boolean settings accept `true` / `false` in any case; any other value is a configuration error
//! (botocore silently treats it as `false`, which can send traffic to a non-FIPS endpoint).

use crate::error::{Error, Result};
use crate::profile::{parse_bool, Env, ProfileSet};

/// The ruleset's parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EndpointParams {
    /// `Region`.
    pub(crate) region: Option<String>,
    /// `UseFIPS`.
    pub(crate) use_fips: bool,
    /// `UseDualStack`.
    pub(crate) use_dual_stack: bool,
    /// `Endpoint` (a custom endpoint URL).
    pub(crate) endpoint: Option<String>,
}

/// One partition of `partitions.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Partition {
    pub(crate) id: &'static str,
    /// Literal region-name prefixes of the `regionRegex` (`^(us|eu|…)\-\w+\-\d+$`).
    prefixes: &'static [&'static str],
    /// Region names listed explicitly (global pseudo-regions).
    regions: &'static [&'static str],
    pub(crate) dns_suffix: &'static str,
    pub(crate) dual_stack_dns_suffix: &'static str,
    pub(crate) supports_fips: bool,
    pub(crate) supports_dual_stack: bool,
}

/// botocore `partitions.json` (1.43.67 / 1.44.5), in file order; the first one is the fallback.
pub(crate) const PARTITIONS: &[Partition] = &[
    Partition {
        id: "aws",
        prefixes: &["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx"],
        regions: &["aws-global"],
        dns_suffix: "amazonaws.com",
        dual_stack_dns_suffix: "api.aws",
        supports_fips: true,
        supports_dual_stack: true,
    },
    Partition {
        id: "aws-cn",
        prefixes: &["cn"],
        regions: &["aws-cn-global"],
        dns_suffix: "amazonaws.com.cn",
        dual_stack_dns_suffix: "api.amazonwebservices.com.cn",
        supports_fips: true,
        supports_dual_stack: true,
    },
    Partition {
        id: "aws-us-gov",
        prefixes: &["us-gov"],
        regions: &["aws-us-gov-global"],
        dns_suffix: "amazonaws.com",
        dual_stack_dns_suffix: "api.aws",
        supports_fips: true,
        supports_dual_stack: true,
    },
    Partition {
        id: "aws-iso",
        prefixes: &["us-iso"],
        regions: &["aws-iso-global"],
        dns_suffix: "c2s.ic.gov",
        dual_stack_dns_suffix: "api.aws.ic.gov",
        supports_fips: true,
        supports_dual_stack: true,
    },
    Partition {
        id: "aws-iso-b",
        prefixes: &["us-isob"],
        regions: &["aws-iso-b-global"],
        dns_suffix: "sc2s.sgov.gov",
        dual_stack_dns_suffix: "api.aws.scloud",
        supports_fips: true,
        supports_dual_stack: true,
    },
    Partition {
        id: "aws-iso-e",
        prefixes: &["eu-isoe"],
        regions: &[],
        dns_suffix: "cloud.adc-e.uk",
        dual_stack_dns_suffix: "api.cloud-aws.adc-e.uk",
        supports_fips: true,
        supports_dual_stack: true,
    },
    Partition {
        id: "aws-iso-f",
        prefixes: &["us-isof"],
        regions: &[],
        dns_suffix: "csp.hci.ic.gov",
        dual_stack_dns_suffix: "api.aws.hci.ic.gov",
        supports_fips: true,
        supports_dual_stack: true,
    },
    Partition {
        id: "aws-eusc",
        prefixes: &["eusc-de"],
        regions: &[],
        dns_suffix: "amazonaws.eu",
        dual_stack_dns_suffix: "api.amazonwebservices.eu",
        supports_fips: true,
        supports_dual_stack: true,
    },
];

impl Partition {
    /// `^<prefix>\-\w+\-\d+$` for one of the prefixes (ASCII; `\w` excludes `-`), or listed.
    fn matches(&self, region: &str) -> bool {
        if self.regions.contains(&region) {
            return true;
        }
        self.prefixes.iter().any(|p| {
            let Some(rest) = region.strip_prefix(p).and_then(|r| r.strip_prefix('-')) else {
                return false;
            };
            let Some((word, digits)) = rest.split_once('-') else {
                return false;
            };
            !word.is_empty()
                && word.chars().all(|c| c.is_alphanumeric() || c == '_')
                && !digits.is_empty()
                && digits.chars().all(|c| c.is_ascii_digit())
        })
    }
}

/// `aws.partition(region)`: the first partition that lists or matches the region, else `aws`.
pub(crate) fn partition_of(region: &str) -> &'static Partition {
    PARTITIONS
        .iter()
        .find(|p| p.matches(region))
        .unwrap_or(&PARTITIONS[0])
}

/// A region name must be a DNS label (botocore `validate_region_name`): 1-63 of `[A-Za-z0-9-]`,
/// not starting or ending with `-`, not all digits. Stops a region value from rewriting the host.
pub(crate) fn validate_region(region: &str) -> Result<()> {
    let ok = !region.is_empty()
        && region.len() <= 63
        && region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-')
        && !region.bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        let shown: String = region.chars().take(64).collect();
        Err(Error::config(format!(
            "`{}` is not a valid AWS region name (expected something like `us-east-1`)",
            shown.escape_debug()
        )))
    }
}

/// Apply the ruleset. Returns the endpoint URL without a trailing `/`; the caller appends the
/// operation path (`/model/{modelId}/invoke-with-response-stream`).
pub(crate) fn resolve_endpoint(params: &EndpointParams) -> Result<String> {
    if let Some(endpoint) = &params.endpoint {
        if params.use_fips {
            return Err(Error::config(
                "Invalid Configuration: FIPS and custom endpoint are not supported",
            ));
        }
        if params.use_dual_stack {
            return Err(Error::config(
                "Invalid Configuration: Dualstack and custom endpoint are not supported",
            ));
        }
        return validate_endpoint_url(endpoint);
    }
    let Some(region) = &params.region else {
        return Err(Error::config("Invalid Configuration: Missing Region"));
    };
    validate_region(region)?;
    let p = partition_of(region);
    let url = match (params.use_fips, params.use_dual_stack) {
        (true, true) => {
            if !(p.supports_fips && p.supports_dual_stack) {
                return Err(Error::config(
                    "FIPS and DualStack are enabled, but this partition does not support one or both",
                ));
            }
            format!(
                "https://bedrock-runtime-fips.{region}.{}",
                p.dual_stack_dns_suffix
            )
        }
        (true, false) => {
            if !p.supports_fips {
                return Err(Error::config(
                    "FIPS is enabled but this partition does not support FIPS",
                ));
            }
            format!("https://bedrock-runtime-fips.{region}.{}", p.dns_suffix)
        }
        (false, true) => {
            if !p.supports_dual_stack {
                return Err(Error::config(
                    "DualStack is enabled but this partition does not support DualStack",
                ));
            }
            format!(
                "https://bedrock-runtime.{region}.{}",
                p.dual_stack_dns_suffix
            )
        }
        (false, false) => format!("https://bedrock-runtime.{region}.{}", p.dns_suffix),
    };
    Ok(url)
}

/// Check a custom endpoint URL and return it normalized (no trailing `/`). Accepts
/// `http(s)://host[:port][/path]`, with `host` a DNS name, an IPv4 address or a bracketed IPv6
/// address. The message never echoes the invalid URL (it could hold a password); the caller
/// names where it came from.
pub(crate) fn validate_endpoint_url(url: &str) -> Result<String> {
    let bad = |why: &str| Error::config(format!("the endpoint URL is invalid: {why}"));
    let url = url.trim();
    if url.is_empty() {
        return Err(bad("it is empty"));
    }
    if url.contains('@') {
        // Wherever it is (`https://user:8080/PW@h` would otherwise be host `user`).
        return Err(bad(
            "it must not contain user information (`user@`) or any `@`",
        ));
    }
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad("it contains whitespace or control characters"));
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad("it must start with `https://` or `http://`"))?;
    if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
        return Err(bad("the scheme must be `https` or `http`"));
    }
    if rest.contains('?') {
        return Err(bad("it must not have a query string"));
    }
    if rest.contains('#') {
        return Err(bad("it must not have a fragment"));
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let end = v6
            .find(']')
            .ok_or_else(|| bad("unterminated IPv6 address"))?;
        let addr = &v6[..end];
        if addr.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad("the IPv6 address is invalid"));
        }
        let after = &v6[end + 1..];
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| bad("unexpected text after the IPv6 address"))?,
            ),
        };
        (&authority[..end + 2], port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(bad("it has no host"));
    }
    if !host.starts_with('[') {
        let valid_label = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        let h = host.strip_suffix('.').unwrap_or(host);
        if h.len() > 253 || !h.split('.').all(valid_label) {
            return Err(bad("the host name is invalid"));
        }
    }
    if let Some(p) = port {
        match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => {}
            _ => return Err(bad("the port must be a number from 1 to 65535")),
        }
    }
    let path = path.trim_end_matches('/');
    if path.contains("//") {
        return Err(bad("the path contains an empty segment"));
    }
    Ok(format!(
        "{}://{}{}",
        scheme.to_ascii_lowercase(),
        authority,
        path
    ))
}

/// Where the region came from (for messages and diagnostics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RegionSource {
    Explicit,
    AwsRegion,
    AwsDefaultRegion,
    Profile,
}

/// The region: explicit > `AWS_REGION` > `AWS_DEFAULT_REGION` > profile `region`.
pub(crate) fn resolve_region(explicit: Option<&str>, profile: &ProfileSet) -> Result<String> {
    resolve_region_in(&Env::real(), explicit, profile).map(|(r, _)| r)
}

/// [`resolve_region`] with an injected environment; also says where the region came from.
pub(crate) fn resolve_region_in(
    env: &Env,
    explicit: Option<&str>,
    profile: &ProfileSet,
) -> Result<(String, RegionSource)> {
    // An explicit empty region is a mistake, not "unset" (an empty environment variable or
    // profile value is unset, as in the AWS SDKs for Go and Rust).
    if explicit.is_some_and(|r| r.trim().is_empty()) {
        return Err(Error::config(
            "the region given explicitly is empty (give a region such as `us-east-1`, or none \
             to use AWS_REGION / AWS_DEFAULT_REGION / the profile)",
        ));
    }
    let found = explicit
        .map(str::trim)
        .map(|r| (r.to_string(), RegionSource::Explicit))
        .or_else(|| env.get("AWS_REGION").map(|r| (r, RegionSource::AwsRegion)))
        .or_else(|| {
            env.get("AWS_DEFAULT_REGION")
                .map(|r| (r, RegionSource::AwsDefaultRegion))
        })
        .or_else(|| {
            profile
                .get("region")
                .map(|r| (r.to_string(), RegionSource::Profile))
        });
    match found {
        Some((region, source)) => {
            validate_region(&region).map_err(|e| {
                let from = match source {
                    RegionSource::Explicit => "the region set in code".to_string(),
                    RegionSource::AwsRegion => "AWS_REGION".to_string(),
                    RegionSource::AwsDefaultRegion => "AWS_DEFAULT_REGION".to_string(),
                    RegionSource::Profile => {
                        format!("`region` of profile `{}`", profile.selected_name())
                    }
                };
                let msg = format!("{} (from {from})", e.message());
                e.with_message(msg)
            })?;
            Ok((region, source))
        }
        None => Err(Error::config(format!(
            "no AWS region is configured: set it in code, or set AWS_REGION or AWS_DEFAULT_REGION, \
             or add `region = …` to profile `{}` in the shared config file",
            profile.selected_name()
        ))),
    }
}

/// The profile's setting `key` as a boolean, `None` when absent.
fn profile_bool(profile: &ProfileSet, key: &str) -> Result<Option<bool>> {
    profile
        .get(key)
        .map(|v| {
            parse_bool(
                &format!("`{key}` of profile `{}`", profile.selected_name()),
                v,
            )
        })
        .transpose()
}

fn env_bool(env: &Env, name: &str) -> Result<Option<bool>> {
    env.get(name).map(|v| parse_bool(name, &v)).transpose()
}

/// FIPS: explicit > `AWS_USE_FIPS_ENDPOINT` > profile `use_fips_endpoint` > false.
pub(crate) fn use_fips(env: &Env, explicit: Option<bool>, profile: &ProfileSet) -> Result<bool> {
    if let Some(b) = explicit {
        return Ok(b);
    }
    if let Some(b) = env_bool(env, "AWS_USE_FIPS_ENDPOINT")? {
        return Ok(b);
    }
    Ok(profile_bool(profile, "use_fips_endpoint")?.unwrap_or(false))
}

/// Dual-stack: explicit > `AWS_USE_DUALSTACK_ENDPOINT` > profile `use_dualstack_endpoint` > false.
pub(crate) fn use_dual_stack(
    env: &Env,
    explicit: Option<bool>,
    profile: &ProfileSet,
) -> Result<bool> {
    if let Some(b) = explicit {
        return Ok(b);
    }
    if let Some(b) = env_bool(env, "AWS_USE_DUALSTACK_ENDPOINT")? {
        return Ok(b);
    }
    Ok(profile_bool(profile, "use_dualstack_endpoint")?.unwrap_or(false))
}

/// The service id as used by configured endpoints: env suffix and services-section key.
pub(crate) const SERVICE_ENV_SUFFIX: &str = "BEDROCK_RUNTIME";
pub(crate) const SERVICE_CONFIG_KEY: &str = "bedrock_runtime";

/// The configured endpoint URL for a service (`env_suffix` = `BEDROCK_RUNTIME`, `STS`, `SSO`;
/// `config_key` = `bedrock_runtime`, `sts`, `sso`), validated, or `None`.
pub(crate) fn configured_endpoint_url_for(
    env: &Env,
    explicit: Option<&str>,
    profile: &ProfileSet,
    env_suffix: &str,
    config_key: &str,
) -> Result<Option<String>> {
    if let Some(e) = explicit {
        // An explicit empty URL is an error, not "unset" (unlike an empty variable).
        return validate_endpoint_url(e).map(Some).map_err(|e| {
            let msg = format!("{} (given explicitly)", e.message());
            e.with_message(msg)
        });
    }
    let ignore = match env_bool(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")? {
        Some(b) => b,
        None => profile_bool(profile, "ignore_configured_endpoint_urls")?.unwrap_or(false),
    };
    if ignore {
        return Ok(None);
    }
    let service_var = format!("AWS_ENDPOINT_URL_{env_suffix}");
    let from = |url: String, what: String| {
        validate_endpoint_url(&url).map(Some).map_err(|e| {
            let msg = format!("{} (from {what})", e.message());
            e.with_message(msg)
        })
    };
    if let Some(u) = env.get(&service_var) {
        return from(u, service_var);
    }
    if let Some(u) = env.get("AWS_ENDPOINT_URL") {
        return from(u, "AWS_ENDPOINT_URL".into());
    }
    if let Some(services_name) = profile.get("services") {
        let Some(section) = profile.services(services_name) else {
            return Err(Error::config(format!(
                "profile `{}` refers to `[services {services_name}]`, which does not exist",
                profile.selected_name()
            )));
        };
        if let Some(u) = section
            .property(config_key)
            .and_then(|p| p.sub("endpoint_url"))
            .filter(|u| !u.is_empty())
        {
            return from(
                u.to_string(),
                format!("`{config_key}.endpoint_url` of `[services {services_name}]`"),
            );
        }
    }
    if let Some(u) = profile.get("endpoint_url") {
        return from(
            u.to_string(),
            format!("`endpoint_url` of profile `{}`", profile.selected_name()),
        );
    }
    Ok(None)
}

/// The configured endpoint URL of Bedrock Runtime (see the module docs), or `None`.
pub(crate) fn configured_endpoint_url(
    env: &Env,
    explicit: Option<&str>,
    profile: &ProfileSet,
) -> Result<Option<String>> {
    configured_endpoint_url_for(
        env,
        explicit,
        profile,
        SERVICE_ENV_SUFFIX,
        SERVICE_CONFIG_KEY,
    )
}

/// Everything at once: the ruleset parameters from code overrides, the environment and the
/// profile. `region` is resolved too, but a missing region is only an error if the ruleset needs
/// it (a custom endpoint does not; the caller still needs a signing region for SigV4).
#[derive(Debug, Clone, Default)]
pub(crate) struct EndpointOverrides<'a> {
    pub(crate) region: Option<&'a str>,
    pub(crate) endpoint: Option<&'a str>,
    pub(crate) use_fips: Option<bool>,
    pub(crate) use_dual_stack: Option<bool>,
}

/// Build [`EndpointParams`] from overrides, environment and profile.
pub(crate) fn endpoint_params(
    env: &Env,
    overrides: &EndpointOverrides<'_>,
    profile: &ProfileSet,
) -> Result<EndpointParams> {
    let region = match resolve_region_in(env, overrides.region, profile) {
        Ok((r, _)) => Some(r),
        Err(e) if overrides.region.is_none() && !has_region_setting(env, profile) => {
            drop(e);
            None
        }
        Err(e) => return Err(e),
    };
    Ok(EndpointParams {
        region,
        use_fips: use_fips(env, overrides.use_fips, profile)?,
        use_dual_stack: use_dual_stack(env, overrides.use_dual_stack, profile)?,
        endpoint: configured_endpoint_url(env, overrides.endpoint, profile)?,
    })
}

fn has_region_setting(env: &Env, profile: &ProfileSet) -> bool {
    env.get("AWS_REGION").is_some()
        || env.get("AWS_DEFAULT_REGION").is_some()
        || profile.get("region").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use std::path::Path;

    fn params(region: &str, fips: bool, ds: bool) -> EndpointParams {
        EndpointParams {
            region: Some(region.into()),
            use_fips: fips,
            use_dual_stack: ds,
            endpoint: None,
        }
    }

    /// Every row of the table in spec §7, all four variants.
    #[test]
    fn ruleset_table_every_partition_fips_dualstack() {
        let table: &[(&str, [&str; 4])] = &[
            (
                "us-east-1",
                [
                    "bedrock-runtime.us-east-1.amazonaws.com",
                    "bedrock-runtime-fips.us-east-1.amazonaws.com",
                    "bedrock-runtime.us-east-1.api.aws",
                    "bedrock-runtime-fips.us-east-1.api.aws",
                ],
            ),
            (
                "cn-north-1",
                [
                    "bedrock-runtime.cn-north-1.amazonaws.com.cn",
                    "bedrock-runtime-fips.cn-north-1.amazonaws.com.cn",
                    "bedrock-runtime.cn-north-1.api.amazonwebservices.com.cn",
                    "bedrock-runtime-fips.cn-north-1.api.amazonwebservices.com.cn",
                ],
            ),
            (
                "us-gov-west-1",
                [
                    "bedrock-runtime.us-gov-west-1.amazonaws.com",
                    "bedrock-runtime-fips.us-gov-west-1.amazonaws.com",
                    "bedrock-runtime.us-gov-west-1.api.aws",
                    "bedrock-runtime-fips.us-gov-west-1.api.aws",
                ],
            ),
            (
                "us-gov-east-1",
                [
                    "bedrock-runtime.us-gov-east-1.amazonaws.com",
                    "bedrock-runtime-fips.us-gov-east-1.amazonaws.com",
                    "bedrock-runtime.us-gov-east-1.api.aws",
                    "bedrock-runtime-fips.us-gov-east-1.api.aws",
                ],
            ),
            (
                "us-iso-east-1",
                [
                    "bedrock-runtime.us-iso-east-1.c2s.ic.gov",
                    "bedrock-runtime-fips.us-iso-east-1.c2s.ic.gov",
                    "bedrock-runtime.us-iso-east-1.api.aws.ic.gov",
                    "bedrock-runtime-fips.us-iso-east-1.api.aws.ic.gov",
                ],
            ),
            (
                "us-isob-east-1",
                [
                    "bedrock-runtime.us-isob-east-1.sc2s.sgov.gov",
                    "bedrock-runtime-fips.us-isob-east-1.sc2s.sgov.gov",
                    "bedrock-runtime.us-isob-east-1.api.aws.scloud",
                    "bedrock-runtime-fips.us-isob-east-1.api.aws.scloud",
                ],
            ),
            (
                "eu-isoe-west-1",
                [
                    "bedrock-runtime.eu-isoe-west-1.cloud.adc-e.uk",
                    "bedrock-runtime-fips.eu-isoe-west-1.cloud.adc-e.uk",
                    "bedrock-runtime.eu-isoe-west-1.api.cloud-aws.adc-e.uk",
                    "bedrock-runtime-fips.eu-isoe-west-1.api.cloud-aws.adc-e.uk",
                ],
            ),
            (
                "us-isof-south-1",
                [
                    "bedrock-runtime.us-isof-south-1.csp.hci.ic.gov",
                    "bedrock-runtime-fips.us-isof-south-1.csp.hci.ic.gov",
                    "bedrock-runtime.us-isof-south-1.api.aws.hci.ic.gov",
                    "bedrock-runtime-fips.us-isof-south-1.api.aws.hci.ic.gov",
                ],
            ),
            (
                "eusc-de-east-1",
                [
                    "bedrock-runtime.eusc-de-east-1.amazonaws.eu",
                    "bedrock-runtime-fips.eusc-de-east-1.amazonaws.eu",
                    "bedrock-runtime.eusc-de-east-1.api.amazonwebservices.eu",
                    "bedrock-runtime-fips.eusc-de-east-1.api.amazonwebservices.eu",
                ],
            ),
            (
                "xx-new-1",
                [
                    "bedrock-runtime.xx-new-1.amazonaws.com",
                    "bedrock-runtime-fips.xx-new-1.amazonaws.com",
                    "bedrock-runtime.xx-new-1.api.aws",
                    "bedrock-runtime-fips.xx-new-1.api.aws",
                ],
            ),
            (
                "aws-cn-global",
                [
                    "bedrock-runtime.aws-cn-global.amazonaws.com.cn",
                    "bedrock-runtime-fips.aws-cn-global.amazonaws.com.cn",
                    "bedrock-runtime.aws-cn-global.api.amazonwebservices.com.cn",
                    "bedrock-runtime-fips.aws-cn-global.api.amazonwebservices.com.cn",
                ],
            ),
        ];
        for (region, hosts) in table {
            for (i, (fips, ds)) in [(false, false), (true, false), (false, true), (true, true)]
                .into_iter()
                .enumerate()
            {
                let got = resolve_endpoint(&params(region, fips, ds)).unwrap();
                assert_eq!(
                    got,
                    format!("https://{}", hosts[i]),
                    "{region} fips={fips} ds={ds}"
                );
            }
        }
    }

    #[test]
    fn partition_regexes_are_exact() {
        let cases = [
            ("us-east-1", "aws"),
            ("mx-central-1", "aws"),
            ("il-central-1", "aws"),
            ("us-gov-west-1", "aws-us-gov"),
            ("us-iso-west-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("us-isof-east-1", "aws-iso-f"),
            ("eu-isoe-west-1", "aws-iso-e"),
            ("eusc-de-east-1", "aws-eusc"),
            ("eusc-fr-east-1", "aws"), // no match anywhere → fallback
            ("cn-northwest-1", "aws-cn"),
            ("cn-north-x", "aws"),   // \d+ fails → fallback
            ("cn-north-1-a", "aws"), // extra segment → fallback
            ("US-EAST-1", "aws"),    // case-sensitive → fallback
            ("aws-global", "aws"),
            ("aws-us-gov-global", "aws-us-gov"),
            ("aws-iso-global", "aws-iso"),
            ("aws-iso-b-global", "aws-iso-b"),
        ];
        for (region, id) in cases {
            assert_eq!(partition_of(region).id, id, "{region}");
        }
    }

    #[test]
    fn custom_endpoint_rules() {
        let mut p = EndpointParams {
            region: None,
            use_fips: false,
            use_dual_stack: false,
            endpoint: Some("http://127.0.0.1:8080/".into()),
        };
        assert_eq!(resolve_endpoint(&p).unwrap(), "http://127.0.0.1:8080");
        p.region = Some("us-east-1".into());
        assert_eq!(resolve_endpoint(&p).unwrap(), "http://127.0.0.1:8080");
        p.use_fips = true;
        let e = resolve_endpoint(&p).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert_eq!(
            e.message(),
            "Invalid Configuration: FIPS and custom endpoint are not supported"
        );
        p.use_dual_stack = true;
        assert_eq!(
            resolve_endpoint(&p).unwrap_err().message(),
            "Invalid Configuration: FIPS and custom endpoint are not supported"
        );
        p.use_fips = false;
        assert_eq!(
            resolve_endpoint(&p).unwrap_err().message(),
            "Invalid Configuration: Dualstack and custom endpoint are not supported"
        );
        let none = EndpointParams::default();
        assert_eq!(
            resolve_endpoint(&none).unwrap_err().message(),
            "Invalid Configuration: Missing Region"
        );
        let bad_region = params("us-east-1.evil.com/x", false, false);
        assert_eq!(
            resolve_endpoint(&bad_region).unwrap_err().kind(),
            ErrorKind::Config
        );
    }

    #[test]
    fn region_validation() {
        for ok in ["us-east-1", "a", "eusc-de-east-1", "x1"] {
            validate_region(ok).unwrap();
        }
        for bad in [
            "",
            "-us",
            "us-",
            "123",
            "us east",
            "us.east",
            "ü-1",
            &"a".repeat(64),
        ] {
            assert!(validate_region(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn endpoint_url_validation() {
        let ok = [
            (
                "https://bedrock-runtime.us-east-1.amazonaws.com",
                "https://bedrock-runtime.us-east-1.amazonaws.com",
            ),
            (
                "HTTPS://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com/",
                "https://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com",
            ),
            ("http://localhost:4566", "http://localhost:4566"),
            ("http://10.0.0.5", "http://10.0.0.5"),
            ("http://[::1]:8080/", "http://[::1]:8080"),
            ("http://[::1]", "http://[::1]"),
            ("https://proxy.corp/bedrock/", "https://proxy.corp/bedrock"),
            ("  https://host.example  ", "https://host.example"),
        ];
        for (input, want) in ok {
            assert_eq!(validate_endpoint_url(input).unwrap(), want, "{input}");
        }
        let bad = [
            "bedrock-runtime.us-east-1.amazonaws.com",
            "ftp://host",
            "https://",
            "https:///path",
            "https://host?x=1",
            "https://host#frag",
            "https://host:0",
            "https://host:99999",
            "https://host:",
            "https://host:8a",
            "https://ho st",
            "https://host\n.com",
            "https://[::1",
            "https://[nothex]:80",
            "https://[::1]x",
            "https://-bad.com",
            "https://a..b",
            "https://host//x",
        ];
        for input in bad {
            let e = validate_endpoint_url(input).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config, "{input}");
        }
        // User-info in any form is refused, and an invalid URL is never echoed.
        for input in [
            "https://user:hunter2@host.example/",
            "https://user:8080/hunter2@host.example",
            "https://host.example/x@hunter2",
            "user:hunter2@host.example",
            "https://host.example/hunter2 x",
        ] {
            let e = validate_endpoint_url(input).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config, "{input}");
            assert!(!e.to_string().contains("hunter2"), "{input}: {e}");
        }
        let e = validate_endpoint_url("").unwrap_err();
        assert!(e.message().contains("empty"), "{e}");
        // An explicit empty URL is an error; an empty variable is unset.
        let none = ProfileSet::empty();
        let env = Env::from_pairs([("AWS_ENDPOINT_URL", "")]);
        assert!(configured_endpoint_url(&env, Some(""), &none).is_err());
        assert!(configured_endpoint_url(&env, Some("  "), &none).is_err());
        assert_eq!(configured_endpoint_url(&env, None, &none).unwrap(), None);
    }

    fn profile(config: &str, selected: &str) -> ProfileSet {
        ProfileSet::from_texts(Some((Path::new("config"), config)), None, selected).unwrap()
    }

    #[test]
    fn region_precedence_each_pair() {
        let prof = profile("[default]\nregion = from-profile-1\n", "default");
        let all = Env::from_pairs([
            ("AWS_REGION", "from-env-1"),
            ("AWS_DEFAULT_REGION", "from-default-1"),
        ]);
        let r = |env: &Env, explicit: Option<&str>, p: &ProfileSet| {
            resolve_region_in(env, explicit, p).unwrap()
        };
        assert_eq!(
            r(&all, Some("explicit-1"), &prof),
            ("explicit-1".into(), RegionSource::Explicit)
        );
        assert_eq!(
            r(&all, None, &prof),
            ("from-env-1".into(), RegionSource::AwsRegion)
        );
        let only_default = Env::from_pairs([("AWS_DEFAULT_REGION", "from-default-1")]);
        assert_eq!(
            r(&only_default, None, &prof),
            ("from-default-1".into(), RegionSource::AwsDefaultRegion)
        );
        // empty variables are unset
        let empty = Env::from_pairs([("AWS_REGION", " "), ("AWS_DEFAULT_REGION", "")]);
        assert_eq!(
            r(&empty, None, &prof),
            ("from-profile-1".into(), RegionSource::Profile)
        );
        // an empty profile value is unset too
        let blank = profile("[default]\nregion =\n", "default");
        assert!(resolve_region_in(&Env::from_pairs::<&str, &str>([]), None, &blank).is_err());
        assert_eq!(
            r(&only_default, None, &blank),
            ("from-default-1".into(), RegionSource::AwsDefaultRegion)
        );
        // ... but an explicit empty region is an error, not unset
        for explicit in ["", "  "] {
            let e = resolve_region_in(&all, Some(explicit), &prof).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config);
            assert!(e.message().contains("empty"), "{e}");
        }
        let e = resolve_region_in(
            &Env::from_pairs::<&str, &str>([]),
            None,
            &ProfileSet::empty(),
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        for name in [
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "region",
            "profile `default`",
        ] {
            assert!(e.message().contains(name), "{e}");
        }
        // sso_region is never the service region
        let sso = profile("[default]\nsso_region = us-east-1\n", "default");
        assert!(resolve_region_in(&Env::from_pairs::<&str, &str>([]), None, &sso).is_err());
        // an invalid region names its source
        let bad = Env::from_pairs([("AWS_DEFAULT_REGION", "us-east-1/evil")]);
        let e = resolve_region_in(&bad, None, &prof).unwrap_err();
        assert!(e.message().contains("AWS_DEFAULT_REGION"), "{e}");
    }

    #[test]
    fn configured_endpoint_precedence_each_pair() {
        let cfg = "\
[default]
endpoint_url = https://profile-global.example
services = svc
[services svc]
bedrock_runtime =
  endpoint_url = https://profile-service.example
sts =
  endpoint_url = http://127.0.0.1:9999
";
        let prof = profile(cfg, "default");
        let full = [
            (
                "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
                "https://env-service.example",
            ),
            ("AWS_ENDPOINT_URL", "https://env-global.example"),
        ];
        let get = |env: &[(&str, &str)], explicit: Option<&str>, p: &ProfileSet| {
            configured_endpoint_url(&Env::from_pairs(env.iter().copied()), explicit, p).unwrap()
        };
        assert_eq!(
            get(&full, Some("https://explicit.example"), &prof).as_deref(),
            Some("https://explicit.example")
        );
        assert_eq!(
            get(&full, None, &prof).as_deref(),
            Some("https://env-service.example")
        );
        assert_eq!(
            get(&full[1..], None, &prof).as_deref(),
            Some("https://env-global.example")
        );
        assert_eq!(
            get(&[], None, &prof).as_deref(),
            Some("https://profile-service.example")
        );
        let no_service = profile(
            "[default]\nendpoint_url = https://profile-global.example\n",
            "default",
        );
        assert_eq!(
            get(&[], None, &no_service).as_deref(),
            Some("https://profile-global.example")
        );
        assert_eq!(get(&[], None, &ProfileSet::empty()), None);
        // other services in the same section
        assert_eq!(
            configured_endpoint_url_for(
                &Env::from_pairs::<&str, &str>([]),
                None,
                &prof,
                "STS",
                "sts"
            )
            .unwrap()
            .as_deref(),
            Some("http://127.0.0.1:9999")
        );
        // ignore switch: env beats profile, explicit is never ignored
        let ignore = [
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
            ("AWS_ENDPOINT_URL", "https://env-global.example"),
        ];
        assert_eq!(get(&ignore, None, &prof), None);
        assert_eq!(
            get(&ignore, Some("https://explicit.example"), &prof).as_deref(),
            Some("https://explicit.example")
        );
        let prof_ignore = profile(
            "[default]\nignore_configured_endpoint_urls = TRUE\nendpoint_url = https://p.example\n",
            "default",
        );
        assert_eq!(
            get(
                &[("AWS_ENDPOINT_URL", "https://e.example")],
                None,
                &prof_ignore
            ),
            None
        );
        assert_eq!(
            get(
                &[
                    ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false"),
                    ("AWS_ENDPOINT_URL", "https://e.example")
                ],
                None,
                &prof_ignore
            )
            .as_deref(),
            Some("https://e.example")
        );
        // invalid configured URL: error naming its source
        let e = configured_endpoint_url(
            &Env::from_pairs([("AWS_ENDPOINT_URL", "not a url")]),
            None,
            &prof,
        )
        .unwrap_err();
        assert!(e.message().contains("AWS_ENDPOINT_URL"), "{e}");
        // a dangling services reference is an error
        let dangling = profile("[default]\nservices = nope\n", "default");
        assert!(
            configured_endpoint_url(&Env::from_pairs::<&str, &str>([]), None, &dangling).is_err()
        );
    }

    #[test]
    fn fips_and_dualstack_settings() {
        let prof = profile(
            "[default]\nuse_fips_endpoint = true\nuse_dualstack_endpoint = true\n",
            "default",
        );
        let none = Env::from_pairs::<&str, &str>([]);
        assert!(use_fips(&none, None, &prof).unwrap());
        assert!(use_dual_stack(&none, None, &prof).unwrap());
        let env_off = Env::from_pairs([
            ("AWS_USE_FIPS_ENDPOINT", "False"),
            ("AWS_USE_DUALSTACK_ENDPOINT", "false"),
        ]);
        assert!(!use_fips(&env_off, None, &prof).unwrap());
        assert!(!use_dual_stack(&env_off, None, &prof).unwrap());
        assert!(use_fips(&env_off, Some(true), &prof).unwrap());
        assert!(use_dual_stack(&env_off, Some(true), &prof).unwrap());
        assert!(!use_fips(&none, None, &ProfileSet::empty()).unwrap());
        let junk = Env::from_pairs([("AWS_USE_FIPS_ENDPOINT", "1")]);
        let e = use_fips(&junk, None, &prof).unwrap_err();
        assert!(e.message().contains("AWS_USE_FIPS_ENDPOINT"), "{e}");
    }

    #[test]
    fn endpoint_params_end_to_end() {
        let prof = profile(
            "[default]\nregion = eu-central-1\nuse_fips_endpoint = true\n",
            "default",
        );
        let env = Env::from_pairs::<&str, &str>([]);
        let p = endpoint_params(&env, &EndpointOverrides::default(), &prof).unwrap();
        assert_eq!(
            resolve_endpoint(&p).unwrap(),
            "https://bedrock-runtime-fips.eu-central-1.amazonaws.com"
        );
        // A configured endpoint plus FIPS from the profile is the ruleset's error.
        let env = Env::from_pairs([("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://127.0.0.1:1")]);
        let p = endpoint_params(&env, &EndpointOverrides::default(), &prof).unwrap();
        assert!(resolve_endpoint(&p).unwrap_err().message().contains("FIPS"));
        // No region anywhere: the params have none; a custom endpoint still resolves.
        let env = Env::from_pairs([("AWS_ENDPOINT_URL", "http://127.0.0.1:1")]);
        let p = endpoint_params(&env, &EndpointOverrides::default(), &ProfileSet::empty()).unwrap();
        assert_eq!(p.region, None);
        assert_eq!(resolve_endpoint(&p).unwrap(), "http://127.0.0.1:1");
        // An invalid region setting is an error even with a custom endpoint.
        let env = Env::from_pairs([("AWS_REGION", "bad/region")]);
        assert!(
            endpoint_params(&env, &EndpointOverrides::default(), &ProfileSet::empty()).is_err()
        );
    }
}
