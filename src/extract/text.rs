//! The text state machine: turns the (WTF-8, possibly invalid) bytes of a text field into UTF-8,
//! joining a character split across two chunks (an incomplete UTF-8 sequence, or a UTF-16
//! surrogate pair escaped in JSON as two `\\uXXXX` halves) and replacing what cannot be
//! completed with U+FFFD.

use std::borrow::Cow;

/// What replaces a character that cannot be completed.
pub(super) const REPLACEMENT: char = '\u{FFFD}';

/// At most one incomplete character held between the text fields of two chunks: a UTF-16 high
/// surrogate escaped as `\uD8xx` (WTF-8 encoded, 3 bytes), or the start of a raw UTF-8 sequence.
#[derive(Debug, Clone, Default)]
pub(super) struct TextDecoder {
    pending: [u8; 4],
    pending_len: u8,
}

impl TextDecoder {
    /// Drops a held incomplete character; `true` when there was one (the caller writes U+FFFD).
    pub(super) fn take_pending(&mut self) -> bool {
        let held = self.pending_len > 0;
        self.pending_len = 0;
        held
    }

    /// Turns the (WTF-8, possibly invalid) bytes of a text field into UTF-8, joining them with
    /// what was held from the previous chunk and holding an incomplete tail.
    pub(super) fn decode_text(&mut self, bytes: Cow<'_, [u8]>) -> Option<String> {
        let mut out;
        if self.pending_len == 0 {
            // Fast path: valid UTF-8 without a held prefix (one allocation at most).
            let bytes = match bytes {
                Cow::Borrowed(b) => match std::str::from_utf8(b) {
                    Ok(s) => return non_empty(s),
                    Err(_) => Cow::Borrowed(b),
                },
                Cow::Owned(v) => match String::from_utf8(v) {
                    Ok(s) => return (!s.is_empty()).then_some(s),
                    Err(e) => Cow::Owned(e.into_bytes()),
                },
            };
            out = String::with_capacity(bytes.len());
            self.decode_slow(&bytes, &mut out);
        } else {
            let held = usize::from(self.pending_len);
            self.pending_len = 0;
            let mut joined = Vec::with_capacity(held + bytes.len());
            joined.extend_from_slice(&self.pending[..held]);
            joined.extend_from_slice(&bytes);
            out = String::with_capacity(joined.len());
            self.decode_slow(&joined, &mut out);
        }
        (!out.is_empty()).then_some(out)
    }

    fn decode_slow(&mut self, mut input: &[u8], out: &mut String) {
        loop {
            let err = match std::str::from_utf8(input) {
                Ok(s) => {
                    out.push_str(s);
                    return;
                }
                Err(err) => err,
            };
            let (valid, rest) = input.split_at(err.valid_up_to());
            if let Ok(s) = std::str::from_utf8(valid) {
                out.push_str(s);
            }
            if let Some(unit) = wtf8_surrogate(rest) {
                if (0xD800..0xDC00).contains(&unit) {
                    if let Some(low) = wtf8_surrogate(&rest[3..]).filter(|u| *u >= 0xDC00) {
                        let cp = 0x1_0000
                            + ((u32::from(unit) - 0xD800) << 10)
                            + (u32::from(low) - 0xDC00);
                        out.push(char::from_u32(cp).unwrap_or(REPLACEMENT));
                        input = &rest[6..];
                        continue;
                    }
                    if rest.len() == 3 {
                        self.hold(rest);
                        return;
                    }
                }
                out.push(REPLACEMENT);
                input = &rest[3..];
                continue;
            }
            match err.error_len() {
                Some(n) => {
                    out.push(REPLACEMENT);
                    input = &rest[n..];
                }
                None => {
                    // An incomplete UTF-8 sequence (at most 3 bytes) ends the text.
                    self.hold(rest);
                    return;
                }
            }
        }
    }

    fn hold(&mut self, tail: &[u8]) {
        let n = tail.len().min(self.pending.len());
        self.pending[..n].copy_from_slice(&tail[..n]);
        self.pending_len = n as u8;
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// The UTF-16 surrogate encoded (WTF-8 style, as serde_json does for lone `\uD800`–`\uDFFF`
/// escapes) by the first three bytes of `b`.
fn wtf8_surrogate(b: &[u8]) -> Option<u16> {
    match *b {
        [0xED, b1 @ 0xA0..=0xBF, b2 @ 0x80..=0xBF, ..] => {
            Some(0xD000 | (u16::from(b1 & 0x3F) << 6) | u16::from(b2 & 0x3F))
        }
        _ => None,
    }
}
