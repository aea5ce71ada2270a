//! What this crate shows of untrusted or secret-bearing text: URLs in `Debug` output, messages
//! and logs ([`url`]), and text received from a remote party in error messages ([`excerpt`],
//! [`remote_text`]).
//!
//! One rule for URLs, whatever their form (with or without `scheme://`, with `/` before or
//! inside the user-info, with an `@` anywhere, however long): everything up to the **last**
//! `@` of the whole string is hidden. That over-redacts a URL whose path or query holds an
//! `@`, and never shows a password. An invalid URL is never echoed at all: errors name the
//! setting and the reason instead.

/// Longest message taken from a remote party (characters).
pub(crate) const MAX_MESSAGE_CHARS: usize = 4096;

/// Longest URL shown (characters, after redaction).
const MAX_URL_CHARS: usize = 256;

/// A URL as this crate shows it: `scheme://***@host:port/path` when there is anything before an
/// `@` (user name, password), else the URL itself; control characters escaped; at most 256
/// characters (then `…`).
///
/// ```
/// assert_eq!(bedrock_stream::redact_url("http://u:pw@proxy:3128"), "http://***@proxy:3128");
/// assert_eq!(bedrock_stream::redact_url("u:pw@proxy:3128"), "***@proxy:3128");
/// assert_eq!(bedrock_stream::redact_url("https://h.example/x"), "https://h.example/x");
/// ```
pub fn url(u: &str) -> String {
    let redacted = match u.rfind('@') {
        None => u.to_owned(),
        Some(at) => {
            // Keep a leading `scheme://` when it comes before the `@` and looks like one.
            let scheme = u[..at].find("://").map(|i| &u[..i]).filter(|s| {
                !s.is_empty()
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
            });
            match scheme {
                Some(s) => format!("{s}://***@{}", &u[at + 1..]),
                None => format!("***@{}", &u[at + 1..]),
            }
        }
    };
    let mut out: String = redacted
        .chars()
        .take(MAX_URL_CHARS)
        .flat_map(char::escape_debug)
        .collect();
    if redacted.chars().nth(MAX_URL_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Text from a remote party (a service error body, an exception frame, a credentials endpoint)
/// made safe for a one-line message: every control character (NUL, CR, LF, ESC, …) and every
/// invisible formatting character (bidirectional overrides, zero-width characters) becomes a
/// space, so it cannot forge log lines, drive a terminal or truncate a C string; surrounding
/// whitespace is trimmed and at most `max_chars` characters are kept (then `…`).
pub(crate) fn remote_text(s: &str, max_chars: usize) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_control() || is_invisible_format(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim();
    let mut out: String = cleaned.chars().take(max_chars).collect();
    if cleaned.chars().nth(max_chars).is_some() {
        out.truncate(out.trim_end().len());
        out.push('…');
    }
    out
}

/// [`remote_text`] with the short limit used for codes, names and credential-provider
/// messages (300 characters).
pub(crate) fn excerpt(s: &str) -> String {
    remote_text(s, 300)
}

/// Unicode format characters (category Cf) that change how surrounding text is displayed.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_url_form_hides_the_user_info() {
        let cases = [
            ("http://u:secret@proxy:3128", "http://***@proxy:3128"),
            ("https://user:secret@h.example/p", "https://***@h.example/p"),
            // no scheme (ureq accepts this for a proxy)
            ("user:secret@proxy:3128", "***@proxy:3128"),
            ("secret@proxy", "***@proxy"),
            // a `/` inside or before the user-info
            ("https://user:8080/secret@h", "https://***@h"),
            ("https://us/er:secret@h", "https://***@h"),
            ("http:/u:secret@h", "***@h"),
            // several `@`: the last one ends the hidden part
            ("http://u@x:secret@h", "http://***@h"),
            // an `@` in the path is hidden with what precedes it (over-redaction, never a leak)
            ("https://h/a@b", "https://***@b"),
            // nothing to hide
            ("https://h.example:8443/x", "https://h.example:8443/x"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(url(input), want, "{input}");
            assert!(!url(input).contains("secret"), "{input}");
        }
    }

    #[test]
    fn long_urls_are_cut_after_redaction_not_before() {
        let long = format!("https://user:secret@{}", "h".repeat(300));
        let shown = url(&long);
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.starts_with("https://***@hhh"), "{shown}");
        assert!(shown.ends_with('…'));
        assert_eq!(shown.chars().count(), MAX_URL_CHARS + 1);
        // The `@` past the 256th character still hides what precedes it.
        let far = format!("https://{}:secret@host", "u".repeat(300));
        assert_eq!(url(&far), "https://***@host");
    }

    #[test]
    fn control_characters_in_urls_are_escaped() {
        assert_eq!(url("http://h\r\nX: y"), "http://h\\r\\nX: y");
        assert_eq!(url("http://h\u{1b}[2J"), "http://h\\u{1b}[2J");
    }

    #[test]
    fn remote_text_is_one_clean_line() {
        assert_eq!(
            remote_text("a\0b\r\nc\u{1b}[31md\u{202e}e\t", 100),
            "a b  c [31md e"
        );
        assert_eq!(remote_text("  abcdef  ", 3), "abc…");
        assert_eq!(remote_text("abc", 3), "abc");
        assert_eq!(excerpt(&"x".repeat(400)).chars().count(), 301);
    }
}
