//! Entry points for the fuzz targets in `fuzz/` and the corpus replay in
//! `tests/fuzz_regressions.rs` (cargo feature `fuzzing`). Not a stable API.

use std::path::Path;

use crate::endpoint::{endpoint_params, resolve_endpoint, EndpointOverrides};
use crate::profile::{parse_ini, Env, ProfileSet};

/// Parses a shared `config` file and a `credentials` file the way the client does, selects the
/// profile `selected`, then resolves from them (with an empty environment) what the client
/// resolves: the region, FIPS and dual-stack flags, the configured endpoint and the endpoint
/// URL. Panics when an invariant of the parser does not hold:
///
/// * each file parses on its own exactly when it parses as part of the pair;
/// * a parse error names the file that failed and a line that exists;
/// * every value a profile returns is trimmed and not empty;
/// * for a profile of the credentials file, each key has the credentials file's value;
/// * a resolved endpoint is an `http://` or `https://` URL.
///
/// Returns `Ok(summary)` or `Err(message)` for the replay test to compare.
#[doc(hidden)]
pub fn profile_files(config: &str, credentials: &str, selected: &str) -> Result<String, String> {
    let cfg_sections = parse_ini(config);
    let creds_sections = parse_ini(credentials);
    let set = ProfileSet::from_texts(
        Some((Path::new("fuzz-config"), config)),
        Some((Path::new("fuzz-credentials"), credentials)),
        selected,
    );
    let set = match set {
        Ok(set) => {
            assert!(cfg_sections.is_ok() && creds_sections.is_ok());
            set
        }
        Err(e) => {
            let msg = e.message().to_string();
            let (file, text) = if cfg_sections.is_err() {
                ("fuzz-config", config)
            } else {
                assert!(creds_sections.is_err(), "{msg}");
                ("fuzz-credentials", credentials)
            };
            let rest = msg
                .strip_prefix(file)
                .and_then(|m| m.strip_prefix(" line "))
                .unwrap_or_else(|| panic!("the error does not name {file}: {msg}"));
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let line: usize = digits.parse().expect("a line number");
            assert!(line >= 1 && line <= text.split('\n').count(), "{msg}");
            return Err(msg);
        }
    };
    let cfg_sections = cfg_sections.unwrap_or_default();
    let creds_sections = creds_sections.unwrap_or_default();
    for (header, props) in &creds_sections {
        let p = set
            .profile(header)
            .expect("every credentials section is a profile");
        assert_eq!(p.name(), header);
        for (key, prop) in props {
            assert!(p.property(key) == Some(prop), "credentials key {key:?}");
        }
    }
    let mut summary = format!("{} config sections", cfg_sections.len());
    for (header, props) in cfg_sections.iter().chain(&creds_sections) {
        let names = [header.as_str(), header.rsplit(' ').next().unwrap_or("")];
        for name in names {
            let sections = [set.profile(name), set.sso_session(name), set.services(name)];
            for s in sections.into_iter().flatten() {
                for key in props.keys() {
                    if let Some(v) = s.get(key) {
                        assert!(!v.is_empty() && v.trim() == v, "{key:?} = {v:?}");
                    }
                }
            }
        }
    }
    let env = Env::from_pairs::<&str, &str>([]);
    match endpoint_params(&env, &EndpointOverrides::default(), &set) {
        Ok(params) => {
            let region = params.region.clone().unwrap_or_default();
            match resolve_endpoint(&params) {
                Ok(url) => {
                    assert!(
                        url.starts_with("https://") || url.starts_with("http://"),
                        "{url}"
                    );
                    summary.push_str(&format!(", region {region:?}, endpoint {url}"));
                }
                Err(e) => summary.push_str(&format!(", region {region:?}, {}", e.message())),
            }
        }
        Err(e) => summary.push_str(&format!(", {}", e.message())),
    }
    Ok(summary)
}
