//! The shared AWS `config` and `credentials` files, read the way the AWS CLI (botocore) reads them.
//!
//! File locations: `AWS_CONFIG_FILE` (default `~/.aws/config`) and `AWS_SHARED_CREDENTIALS_FILE`
//! (default `~/.aws/credentials`); a leading `~` is expanded. A missing file is the same as an
//! empty one. The selected profile is the explicit one, else `AWS_PROFILE`, else `default`; an
//! explicitly selected profile that exists in neither file is an error.
//!
//! Syntax (Python `configparser.RawConfigParser`, as used by botocore's `raw_config_parse`):
//! * `[section]` headers; the header is everything between the first `[` and the last `]` of the
//!   line, so `[default] ; comment` works.
//! * `key = value` or `key: value`, split at the first `=` or `:`; keys are lower-cased, values
//!   trimmed; inline comments are **not** stripped from values (`a = b # c` has the value `b # c`).
//! * whole-line comments start with `#` or `;` (after optional indentation).
//! * a line indented deeper than its property line continues that property's value; a property
//!   whose first line is empty (`s3 =` followed by indented `key = value` lines) is a property with
//!   sub-properties.
//! * a `[DEFAULT]` section supplies defaults for every other section of the same file.
//! * a duplicate section or a duplicate key inside one section of one file, a property line
//!   before any section, or a line that is neither a header nor `key = value` is an error (the CLI
//!   refuses such files too). Errors name the file and line, never the line's content (it may be
//!   a secret).
//!
//! Config-file sections: `[default]` and `[profile NAME]` (`NAME` may be quoted) are profiles,
//! `[sso-session NAME]` and `[services NAME]` are their own kinds; other sections are ignored.
//! Credentials-file sections are profiles named exactly as written. For a profile present in
//! both files, each key in the credentials file overrides the same key of the config file.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};

// ------------------------------------------------------------------------------------------------
// Environment access (injectable for tests)
// ------------------------------------------------------------------------------------------------

/// Where environment variables come from: the process, or a fixed map (tests).
#[derive(Clone, Default)]
pub(crate) struct Env {
    fixed: Option<Arc<HashMap<String, String>>>,
}

impl Env {
    /// The process environment, read at each lookup.
    pub(crate) fn real() -> Env {
        Env { fixed: None }
    }

    /// A fixed environment (nothing else is visible).
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Env {
        Env {
            fixed: Some(Arc::new(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            )),
        }
    }

    /// The raw value (`None` when unset or not valid Unicode).
    pub(crate) fn get_raw(&self, name: &str) -> Option<String> {
        match &self.fixed {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
    }

    /// The trimmed value, `None` when unset, empty or only whitespace.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        self.get_raw(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// The user's home directory (`HOME`, or `USERPROFILE` / `HOMEDRIVE`+`HOMEPATH` on Windows).
    pub(crate) fn home_dir(&self) -> Option<PathBuf> {
        if let Some(h) = self.get("HOME") {
            return Some(PathBuf::from(h));
        }
        if cfg!(windows) {
            if let Some(h) = self.get("USERPROFILE") {
                return Some(PathBuf::from(h));
            }
            if let (Some(d), Some(p)) = (self.get("HOMEDRIVE"), self.get("HOMEPATH")) {
                return Some(PathBuf::from(format!("{d}{p}")));
            }
        }
        None
    }

    /// `path` with a leading `~` (alone or followed by a separator) replaced by the home directory.
    pub(crate) fn expand_tilde(&self, path: &str) -> PathBuf {
        let rest = if path == "~" {
            Some("")
        } else {
            path.strip_prefix("~/")
                .or_else(|| path.strip_prefix("~\\").filter(|_| cfg!(windows)))
        };
        match (rest, self.home_dir()) {
            (Some(""), Some(home)) => home,
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(path),
        }
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.fixed {
            None => f.write_str("Env(process)"),
            Some(m) => write!(f, "Env(fixed, {} variables)", m.len()),
        }
    }
}

/// Parse a boolean setting the way the SDKs accept it: `true` / `false`, any case. Anything else
/// is a configuration error naming `what` (the value is not secret but is echoed only if short).
pub(crate) fn parse_bool(what: &str, value: &str) -> Result<bool> {
    let v = value.trim();
    if v.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if v.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        let shown: String = v.chars().take(16).collect();
        Err(Error::config(format!(
            "{what} must be `true` or `false`, not `{shown}`"
        )))
    }
}

// ------------------------------------------------------------------------------------------------
// Data model
// ------------------------------------------------------------------------------------------------

/// One property: its value, and its sub-properties when the value's first line was empty.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Property {
    value: String,
    sub: Option<HashMap<String, String>>,
}

impl Drop for Property {
    // Values may be secrets (`aws_secret_access_key`, `aws_session_token`).
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.value.zeroize();
        if let Some(sub) = &mut self.sub {
            sub.values_mut().for_each(Zeroize::zeroize);
        }
    }
}

impl Property {
    /// One sub-property (`s3 =\n  max_concurrent_requests = 10`).
    pub(crate) fn sub(&self, key: &str) -> Option<&str> {
        self.sub.as_ref()?.get(key).map(String::as_str)
    }
}

/// A section: a profile, an sso-session or a services section.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Section {
    name: String,
    props: HashMap<String, Property>,
}

impl Section {
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// A property's value, `None` when absent or empty after trimming.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.props
            .get(key)
            .map(|p| p.value.trim())
            .filter(|v| !v.is_empty())
    }

    /// A property, with its sub-properties.
    pub(crate) fn property(&self, key: &str) -> Option<&Property> {
        self.props.get(key)
    }
}

impl fmt::Debug for Section {
    // Values may be secrets: show only the keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut keys: Vec<&String> = self.props.keys().collect();
        keys.sort();
        f.debug_struct("Section")
            .field("name", &self.name)
            .field("keys", &keys)
            .finish()
    }
}

/// Everything the two files define, plus which profile is selected.
#[derive(Clone, Default)]
pub(crate) struct ProfileSet {
    selected: String,
    profiles: HashMap<String, Section>,
    sso_sessions: HashMap<String, Section>,
    services: HashMap<String, Section>,
}

impl fmt::Debug for ProfileSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.profiles.keys().collect();
        names.sort();
        f.debug_struct("ProfileSet")
            .field("selected", &self.selected)
            .field("profiles", &names)
            .finish_non_exhaustive()
    }
}

impl ProfileSet {
    /// No files, profile `default`.
    #[cfg(test)]
    pub(crate) fn empty() -> ProfileSet {
        ProfileSet {
            selected: "default".into(),
            ..ProfileSet::default()
        }
    }

    /// Read both files as the environment says. `explicit_profile` overrides `AWS_PROFILE`.
    pub(crate) fn load(env: &Env, explicit_profile: Option<&str>) -> Result<ProfileSet> {
        let config_path = env
            .get("AWS_CONFIG_FILE")
            .map(|p| env.expand_tilde(&p))
            .or_else(|| env.home_dir().map(|h| h.join(".aws").join("config")));
        let creds_path = env
            .get("AWS_SHARED_CREDENTIALS_FILE")
            .map(|p| env.expand_tilde(&p))
            .or_else(|| env.home_dir().map(|h| h.join(".aws").join("credentials")));
        let config = match &config_path {
            Some(p) => read_optional(p)?,
            None => None,
        };
        let creds = match &creds_path {
            Some(p) => read_optional(p)?,
            None => None,
        };
        let (selected, explicit) = match explicit_profile.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => (p.to_string(), true),
            None => match env.get("AWS_PROFILE") {
                Some(p) => (p, true),
                None => ("default".to_string(), false),
            },
        };
        let set = ProfileSet::from_texts(
            config.as_ref().map(|(p, t)| (p.as_path(), t.as_str())),
            creds.as_ref().map(|(p, t)| (p.as_path(), t.as_str())),
            &selected,
        )?;
        if explicit && !set.profiles.contains_key(&selected) {
            return Err(Error::config(format!(
                "the profile `{selected}` was not found in the config file ({}) or the credentials file ({})",
                show_path(config_path.as_deref()),
                show_path(creds_path.as_deref())
            )));
        }
        Ok(set)
    }

    /// Build from file contents (`(path for messages, text)`).
    pub(crate) fn from_texts(
        config: Option<(&Path, &str)>,
        credentials: Option<(&Path, &str)>,
        selected: &str,
    ) -> Result<ProfileSet> {
        let mut set = ProfileSet {
            selected: selected.to_string(),
            ..ProfileSet::default()
        };
        if let Some((path, text)) = config {
            let sections = parse_ini(text).map_err(|e| e.into_error(path))?;
            for (header, props) in sections {
                let section = |name: String| Section { name, props };
                if header.starts_with("profile") {
                    if let Some([_, name]) = shlex_split(&header).as_deref() {
                        let name = name.clone();
                        set.profiles.insert(name.clone(), section(name));
                    }
                } else if header.starts_with("sso-session") {
                    if let Some([_, name]) = shlex_split(&header).as_deref() {
                        let name = name.clone();
                        set.sso_sessions.insert(name.clone(), section(name));
                    }
                } else if header.starts_with("services") {
                    if let Some([_, name]) = shlex_split(&header).as_deref() {
                        let name = name.clone();
                        set.services.insert(name.clone(), section(name));
                    }
                } else if header == "default" {
                    set.profiles
                        .insert("default".into(), section("default".into()));
                }
            }
        }
        if let Some((path, text)) = credentials {
            let sections = parse_ini(text).map_err(|e| e.into_error(path))?;
            for (header, props) in sections {
                let entry = set.profiles.entry(header.clone()).or_insert(Section {
                    name: header,
                    props: HashMap::new(),
                });
                entry.props.extend(props);
            }
        }
        Ok(set)
    }

    /// The selected profile's name.
    pub(crate) fn selected_name(&self) -> &str {
        &self.selected
    }

    /// The selected profile, if it exists.
    pub(crate) fn selected(&self) -> Option<&Section> {
        self.profiles.get(&self.selected)
    }

    /// A value of the selected profile.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.selected()?.get(key)
    }

    pub(crate) fn profile(&self, name: &str) -> Option<&Section> {
        self.profiles.get(name)
    }

    pub(crate) fn sso_session(&self, name: &str) -> Option<&Section> {
        self.sso_sessions.get(name)
    }

    pub(crate) fn services(&self, name: &str) -> Option<&Section> {
        self.services.get(name)
    }
}

fn show_path(p: Option<&Path>) -> String {
    match p {
        Some(p) => p.display().to_string(),
        None => "no home directory".into(),
    }
}

/// The largest shared `config` / `credentials` file read.
pub(crate) const MAX_CONFIG_FILE: u64 = 4 << 20;
/// The largest CA bundle read (the whole Mozilla bundle is about 220 KiB).
pub(crate) const MAX_CA_BUNDLE: u64 = 4 << 20;
/// The largest token file (web identity, SSO cache, container authorization) read.
pub(crate) const MAX_TOKEN_FILE: u64 = 1 << 20;

/// `n` bytes in words: `4 MiB`, `64 KiB`, `100 bytes`.
pub(crate) fn show_size(n: u64) -> String {
    if n >= 1 << 20 && n % (1 << 20) == 0 {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n % (1 << 10) == 0 {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// Read at most `limit` bytes of a file: a file (or device) holding more is an `InvalidData`
/// error saying so (never its contents), and nothing past `limit + 1` bytes is read.
pub(crate) fn read_file_capped(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut out = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        // The part read may be a secret (a token file): wipe it.
        zeroize::Zeroize::zeroize(&mut out);
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("it is larger than the {} limit", show_size(limit)),
        ));
    }
    Ok(out)
}

/// A PEM CA bundle file (`AWS_CA_BUNDLE`, the profile's `ca_bundle`, the C and CLI settings),
/// at most [`MAX_CA_BUNDLE`].
pub(crate) fn read_ca_bundle(path: &Path) -> Result<Vec<u8>> {
    read_file_capped(path, MAX_CA_BUNDLE)
        .map_err(|e| Error::config(format!("cannot read the CA bundle {}: {e}", path.display())))
}

/// Read a file; `Ok(None)` when it does not exist.
/// The text is wiped when dropped (the files hold keys).
fn read_optional(path: &Path) -> Result<Option<(PathBuf, zeroize::Zeroizing<String>)>> {
    match read_file_capped(path, MAX_CONFIG_FILE) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok(Some((path.to_path_buf(), zeroize::Zeroizing::new(text)))),
            Err(e) => {
                zeroize::Zeroize::zeroize(&mut e.into_bytes());
                Err(Error::config(format!(
                    "{} is not valid UTF-8",
                    path.display()
                )))
            }
        },
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                || e.kind() == std::io::ErrorKind::NotADirectory =>
        {
            Ok(None)
        }
        Err(e) => Err(Error::config(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

// ------------------------------------------------------------------------------------------------
// The INI parser
// ------------------------------------------------------------------------------------------------

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ParseError {
    line: usize,
    what: &'static str,
    key: Option<String>,
}

impl ParseError {
    fn into_error(self, path: &Path) -> Error {
        let key = match &self.key {
            Some(k) => format!(" `{}`", k.chars().take(64).collect::<String>()),
            None => String::new(),
        };
        Error::config(format!(
            "{} line {}: {}{key}",
            path.display(),
            self.line,
            self.what
        ))
    }
}

/// One raw section while parsing: its keys in order, each with its value lines.
struct RawSection {
    header: String,
    keys: Vec<(String, usize, Vec<String>)>,
}

/// A parsed section: its header and its properties.
pub(crate) type ParsedSection = (String, HashMap<String, Property>);

/// Parse one file into `(section header, properties)` in file order. `[DEFAULT]` values are
/// merged into every other section.
pub(crate) fn parse_ini(text: &str) -> std::result::Result<Vec<ParsedSection>, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sections: Vec<RawSection> = Vec::new();
    let mut defaults: Option<RawSection> = None;
    // Which section receives lines: an index into `sections`, or the DEFAULT section.
    enum Cur {
        None,
        Default,
        Idx(usize),
    }
    let mut cur = Cur::None;
    let mut has_opt = false;
    let mut indent_level = usize::MAX;
    for (i, line) in text.split('\n').enumerate() {
        let lineno = i + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        let stripped = line.trim();
        if stripped.starts_with('#') || stripped.starts_with(';') {
            continue;
        }
        let value = stripped;
        if value.is_empty() {
            // An empty line is part of a multi-line value (configparser `empty_lines_in_values`).
            if has_opt {
                let sec = match cur {
                    Cur::Default => defaults.as_mut(),
                    Cur::Idx(i) => sections.get_mut(i),
                    Cur::None => None,
                };
                if let Some((_, _, lines)) = sec.and_then(|s| s.keys.last_mut()) {
                    lines.push(String::new());
                }
            }
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let cur_sec: Option<&mut RawSection> = match cur {
            Cur::Default => defaults.as_mut(),
            Cur::Idx(i) => sections.get_mut(i),
            Cur::None => None,
        };
        if let Some(sec) = cur_sec {
            if has_opt && indent > indent_level {
                if let Some((_, _, lines)) = sec.keys.last_mut() {
                    lines.push(value.to_string());
                }
                continue;
            }
        }
        indent_level = indent;
        if let Some(header) = section_header(value) {
            if header == "DEFAULT" {
                if defaults.is_some() {
                    return Err(ParseError {
                        line: lineno,
                        what: "duplicate section",
                        key: Some(header.to_string()),
                    });
                }
                defaults = Some(RawSection {
                    header: header.to_string(),
                    keys: Vec::new(),
                });
                cur = Cur::Default;
            } else {
                if sections.iter().any(|s| s.header == header) {
                    return Err(ParseError {
                        line: lineno,
                        what: "duplicate section",
                        key: Some(header.to_string()),
                    });
                }
                sections.push(RawSection {
                    header: header.to_string(),
                    keys: Vec::new(),
                });
                cur = Cur::Idx(sections.len() - 1);
            }
            has_opt = false;
            continue;
        }
        let sec = match cur {
            Cur::Default => defaults.as_mut(),
            Cur::Idx(i) => sections.get_mut(i),
            Cur::None => None,
        };
        let Some(sec) = sec else {
            return Err(ParseError {
                line: lineno,
                what: "a property appears before any [section] header",
                key: None,
            });
        };
        let Some(pos) = value.find(['=', ':']) else {
            return Err(ParseError {
                line: lineno,
                what: "expected `key = value` or a [section] header",
                key: None,
            });
        };
        let key = value[..pos].trim_end().to_lowercase();
        let val = value[pos + 1..].trim();
        if key.is_empty() {
            return Err(ParseError {
                line: lineno,
                what: "a property has no name",
                key: None,
            });
        }
        if sec.keys.iter().any(|(k, _, _)| *k == key) {
            return Err(ParseError {
                line: lineno,
                what: "duplicate key in one section",
                key: Some(key),
            });
        }
        sec.keys.push((key, lineno, vec![val.to_string()]));
        has_opt = true;
    }

    let finish =
        |keys: Vec<(String, usize, Vec<String>)>| -> Result<HashMap<String, Property>, ParseError> {
            let mut out = HashMap::new();
            for (k, lineno, lines) in keys {
                let value = lines.join("\n").trim_end().to_string();
                let sub = if value.starts_with('\n') {
                    let mut sub = HashMap::new();
                    for l in value.lines() {
                        let l = l.trim();
                        if l.is_empty() {
                            continue;
                        }
                        let Some((sk, sv)) = l.split_once('=') else {
                            return Err(ParseError {
                                line: lineno,
                                what: "a sub-property is not `key = value` under",
                                key: Some(k),
                            });
                        };
                        sub.insert(sk.trim().to_string(), sv.trim().to_string());
                    }
                    Some(sub)
                } else {
                    None
                };
                out.insert(k, Property { value, sub });
            }
            Ok(out)
        };
    let default_props = match defaults {
        Some(d) => finish(d.keys)?,
        None => HashMap::new(),
    };
    let mut out = Vec::with_capacity(sections.len());
    for s in sections {
        let mut props = default_props.clone();
        props.extend(finish(s.keys)?);
        out.push((s.header, props));
    }
    Ok(out)
}

/// `[header]` → `header` (first `[` to last `]`, non-empty), as configparser's `SECTCRE`.
fn section_header(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    let header = &rest[..end];
    if header.is_empty() {
        None
    } else {
        Some(header)
    }
}

/// POSIX-mode `shlex.split`: whitespace-separated words, `'…'` literal, `"…"` with `\"` and
/// `\\` escapes, backslash escapes outside quotes. `None` on an unterminated quote or escape.
pub(crate) fn shlex_split(s: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => {
                            let n = chars.next()?;
                            if !matches!(n, '\\' | '"' | '$' | '`' | '\n') {
                                word.push('\\');
                            }
                            word.push(n);
                        }
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.push(chars.next()?);
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(config: &str, creds: &str, selected: &str) -> ProfileSet {
        ProfileSet::from_texts(
            Some((Path::new("config"), config)),
            Some((Path::new("credentials"), creds)),
            selected,
        )
        .unwrap()
    }

    #[test]
    fn profiles_sessions_services_and_default() {
        let cfg = "\
# leading comment
; another
[default]
region = us-west-2
[profile dev]
region=eu-west-1
sso_session = corp
services = local
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region: us-east-1
[services local]
bedrock_runtime =
  endpoint_url = http://127.0.0.1:4566
[plugins]
x = y
[profile \"with space\"]
region = ap-south-1
";
        let s = set(cfg, "", "dev");
        assert_eq!(s.get("region"), Some("eu-west-1"));
        assert_eq!(
            s.profile("default").unwrap().get("region"),
            Some("us-west-2")
        );
        assert_eq!(
            s.sso_session("corp").unwrap().get("sso_region"),
            Some("us-east-1")
        );
        let svc = s.services("local").unwrap();
        assert_eq!(
            svc.property("bedrock_runtime").unwrap().sub("endpoint_url"),
            Some("http://127.0.0.1:4566")
        );
        assert_eq!(
            s.profile("with space").unwrap().get("region"),
            Some("ap-south-1")
        );
        assert!(s.profile("plugins").is_none());
    }

    #[test]
    fn credentials_file_overrides_config_keys_per_key() {
        let cfg = "[profile a]\naws_access_key_id = FROMCONFIG\nregion = us-east-2\n";
        let creds = "[a]\naws_access_key_id = FROMCREDS\naws_secret_access_key = S\n";
        let s = set(cfg, creds, "a");
        assert_eq!(s.get("aws_access_key_id"), Some("FROMCREDS"));
        assert_eq!(s.get("region"), Some("us-east-2"));
        assert_eq!(s.get("aws_secret_access_key"), Some("S"));
        // "[profile a]" in the credentials file is a profile literally named "profile a".
        let s = set("", "[profile b]\nx = 1\n", "default");
        assert!(s.profile("profile b").is_some() && s.profile("b").is_none());
    }

    #[test]
    fn configparser_details() {
        let cfg = "\
[default]
Region = us-east-1
inline = value # not a comment
url: https://example.com:8443/x=y
multi = first
  second

  third
   # comment inside
s3 =
  max_concurrent_requests = 10
  Addressing_Style = path
[DEFAULT]
extra = fromdefault
region = overridden-by-section
";
        let s = set(cfg, "", "default");
        let d = s.selected().unwrap();
        assert_eq!(d.get("region"), Some("us-east-1"));
        assert_eq!(d.get("inline"), Some("value # not a comment"));
        assert_eq!(d.get("url"), Some("https://example.com:8443/x=y"));
        assert_eq!(d.get("multi"), Some("first\nsecond\n\nthird"));
        let s3 = d.property("s3").unwrap();
        assert_eq!(s3.sub("max_concurrent_requests"), Some("10"));
        assert_eq!(s3.sub("Addressing_Style"), Some("path"));
        assert_eq!(d.get("extra"), Some("fromdefault"));
    }

    #[test]
    fn later_default_section_form_replaces_earlier() {
        let s = set(
            "[default]\nregion = a\nfoo = 1\n[profile default]\nregion = b\n",
            "",
            "default",
        );
        assert_eq!(s.get("region"), Some("b"));
        assert_eq!(s.get("foo"), None);
    }

    #[test]
    fn errors_name_the_line_not_the_content() {
        for (text, line) in [
            ("key = SECRETVALUE\n[default]\n", 1),
            ("[default]\nSECRETVALUE\n", 2),
            ("[default]\n= SECRETVALUE\n", 2),
            ("[a]\nx = 1\n[a]\n", 3),
            ("[a]\nx = SECRETVALUE\nX = 2\n", 3),
        ] {
            let e = ProfileSet::from_texts(Some((Path::new("cfg"), text)), None, "default")
                .unwrap_err();
            let msg = e.to_string();
            assert!(msg.contains(&format!("cfg line {line}:")), "{msg}");
            assert!(!msg.contains("SECRETVALUE"), "{msg}");
        }
        let e = ProfileSet::from_texts(
            Some((Path::new("cfg"), "[a]\ns3 =\n  SECRETVALUE\n")),
            None,
            "a",
        )
        .unwrap_err();
        assert!(!e.to_string().contains("SECRETVALUE"));
    }

    #[test]
    fn shlex() {
        assert_eq!(
            shlex_split("profile 'a b'").unwrap(),
            vec!["profile", "a b"]
        );
        assert_eq!(
            shlex_split(r#"profile "x\"y""#).unwrap(),
            vec!["profile", "x\"y"]
        );
        assert_eq!(shlex_split("profile \"open"), None);
        assert_eq!(shlex_split("  a   b  ").unwrap(), vec!["a", "b"]);
        assert_eq!(shlex_split("a''").unwrap(), vec!["a"]);
        assert_eq!(shlex_split("''").unwrap(), vec![""]);
    }

    #[test]
    fn load_from_env_paths_and_selection() {
        let dir = std::env::temp_dir().join(format!("bs-profile-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join(".aws")).unwrap();
        std::fs::write(
            dir.join(".aws").join("config"),
            "[profile p]\nregion = eu-north-1\n",
        )
        .unwrap();
        let home = dir.to_str().unwrap().to_string();
        let env = Env::from_pairs([("HOME", home.clone()), ("AWS_PROFILE", "p".into())]);
        let s = ProfileSet::load(&env, None).unwrap();
        assert_eq!(s.get("region"), Some("eu-north-1"));
        // explicit beats AWS_PROFILE; a missing explicit profile is an error
        let e = ProfileSet::load(&env, Some("nope")).unwrap_err();
        assert!(e.to_string().contains("`nope`"), "{e}");
        // no files at all and the default profile: fine and empty
        let env = Env::from_pairs([("HOME", format!("{home}/missing"))]);
        let s = ProfileSet::load(&env, None).unwrap();
        assert!(s.selected().is_none());
        // AWS_CONFIG_FILE with ~
        let env = Env::from_pairs([
            ("HOME", home.clone()),
            ("AWS_CONFIG_FILE", "~/.aws/config".to_string()),
            ("AWS_SHARED_CREDENTIALS_FILE", "~/nothing".to_string()),
        ]);
        let s = ProfileSet::load(&env, Some("p")).unwrap();
        assert_eq!(s.get("region"), Some("eu-north-1"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn parser_never_panics_on_arbitrary_input() {
        let mut runner = proptest::test_runner::TestRunner::default();
        runner
            .run(&"[\\[\\]a-z =:;#\"' \\t\\r\\n\u{feff}é]{0,200}", |s| {
                let _ = parse_ini(&s);
                let _ = shlex_split(&s);
                let _ = ProfileSet::from_texts(
                    Some((Path::new("c"), &s)),
                    Some((Path::new("k"), &s)),
                    "default",
                );
                Ok(())
            })
            .unwrap();
    }
}
