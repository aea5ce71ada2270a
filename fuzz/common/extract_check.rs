//! The checks of the `extract` fuzz target, shared with the corpus replay in
//! `tests/fuzz_regressions.rs`: `TextExtractor` over arbitrary chunk documents, for every
//! `ModelFamily`.
//!
//! Input layout: byte 0 = mode; low 4 bits select the family (index into `ModelFamily::ALL`).
//! * top bit clear (arbitrary documents): the rest is split at `0xFF` bytes into documents, fed
//!   in order to one extractor of the family; each document is also given alone to a fresh
//!   extractor of every family.
//! * top bit set (split text): the rest is a sequence of text units (raw characters, `\u`
//!   escapes, lone surrogate escapes, control characters, quotes and backslashes) with split
//!   marks. The text goes into the family's usual document, once whole and once split at the
//!   marks into consecutive documents.
//!
//! Checked, besides "no panic": a `ChunkInfo`'s text and stop reason are never empty strings,
//! `is_empty` is exactly "nothing found", a document that is not a JSON object gives nothing,
//! a fresh extractor of the unknown family reads a document exactly as the family
//! `ModelFamily::from_chunk` recognises in it does (or, when none, as Jamba's shared
//! `choices[0].delta` reading, or gives no text, stop reason or usage), `finish` gives nothing or one
//! U+FFFD; and for split text, the concatenated text of the split documents (plus `finish`)
//! equals the text of the whole document (plus `finish`): a character split across chunks
//! comes out once, whole.
use bedrock_stream::extract::{ChunkInfo, ModelFamily, TextExtractor};

fn check_info(doc: &[u8], info: &ChunkInfo) {
    assert!(info.text().is_none_or(|t| !t.is_empty()));
    assert!(info.stop_reason().is_none_or(|t| !t.is_empty()));
    assert_eq!(
        info.is_empty(),
        info.text().is_none()
            && info.stop_reason().is_none()
            && info.usage().is_none()
            && info.metrics().is_none()
    );
    let first = doc
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first != Some(&b'{') {
        assert!(info.is_empty());
    }
    assert_eq!(info.clone().into_text().as_deref(), info.text());
}

/// What a fresh extractor of the unknown family made of `doc`.
fn check_recognised(doc: &[u8], info: &ChunkInfo) {
    match ModelFamily::from_chunk(doc) {
        Some(family) => assert_eq!(*info, TextExtractor::new(family).process(doc)),
        None => assert!(
            *info == TextExtractor::new(ModelFamily::Ai21Jamba).process(doc)
                || (info.text().is_none()
                    && info.stop_reason().is_none()
                    && info.usage().is_none())
        ),
    }
}

fn check_finish(ex: &mut TextExtractor) -> String {
    let t = ex.finish();
    assert!(t.as_deref().is_none_or(|t| t == "\u{FFFD}"), "{t:?}");
    assert_eq!(ex.finish(), None);
    t.unwrap_or_default()
}

/// The family's usual text-carrying document around `text` (JSON string content).
pub fn document(family: ModelFamily, text: &str) -> String {
    match family {
        ModelFamily::AnthropicClaude => format!(
            r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":"{text}"}}}}"#
        ),
        ModelFamily::AmazonTitanText => format!(r#"{{"outputText":"{text}","index":0}}"#),
        ModelFamily::AmazonNova => format!(
            r#"{{"contentBlockDelta":{{"delta":{{"text":"{text}"}},"contentBlockIndex":0}}}}"#
        ),
        ModelFamily::MetaLlama => format!(r#"{{"generation":"{text}","stop_reason":null}}"#),
        ModelFamily::MistralText => {
            format!(r#"{{"outputs":[{{"text":"{text}","stop_reason":null}}]}}"#)
        }
        ModelFamily::MistralChat => format!(
            r#"{{"choices":[{{"index":0,"message":{{"role":"assistant","content":"{text}"}},"stop_reason":null}}]}}"#
        ),
        ModelFamily::Cohere => {
            format!(r#"{{"event_type":"text-generation","text":"{text}","is_finished":false}}"#)
        }
        ModelFamily::DeepSeek => format!(r#"{{"choices":[{{"index":0,"text":"{text}"}}]}}"#),
        // Ai21Jamba, OpenAiGptOss (and anything newer)
        _ => format!(r#"{{"choices":[{{"index":0,"delta":{{"content":"{text}"}}}}]}}"#),
    }
}

fn next(data: &mut &[u8]) -> Option<u8> {
    let (&b, rest) = data.split_first()?;
    *data = rest;
    Some(b)
}

/// Appends one text unit (JSON string content) read from `data`; `None` at a split mark.
fn unit(data: &mut &[u8], out: &mut String) -> Option<()> {
    let k = next(data)?;
    let v = next(data).unwrap_or(0);
    let mut wide = || u32::from(v) << 8 | u32::from(next(data).unwrap_or(0));
    match k % 10 {
        0 | 1 => {
            let c = char::from(0x20 + v % 0x5F);
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c => out.push(c),
            }
        }
        2 => out.push_str(
            ["\\n", "\\t", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\r"][usize::from(v % 8)],
        ),
        3 => {
            // A raw character of 2, 3 or 4 UTF-8 bytes.
            let w = wide();
            let cp = [0x80 + w % 0x780, 0x800 + w, 0x1_0000 + (w << 4)][usize::from(k / 10 % 3)];
            out.push(char::from_u32(cp).unwrap_or('\u{E000}'));
        }
        4 => {
            // A character as `\u` escapes (a surrogate pair above U+FFFF).
            let w = wide();
            let cp = if k & 0x80 != 0 {
                0x1_0000 + (w << 4)
            } else {
                w
            };
            let c = char::from_u32(cp).unwrap_or('\u{E000}');
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
        5 => out.push_str(&format!("\\ud{:x}{v:02x}", 8 + (k >> 4) % 4)),
        6 => out.push_str(&format!("\\udc{v:02x}")),
        7 => out.push_str(&format!("\\u00{:02x}", v % 0x20)),
        8 => return None,
        _ => out.push_str(&format!("\\ud83d\\ude{v:02x}")),
    }
    Some(())
}

fn split_text(family: ModelFamily, mut data: &[u8]) -> (String, String) {
    let mut pieces = vec![String::new()];
    while !data.is_empty() {
        let mut s = String::new();
        match unit(&mut data, &mut s) {
            Some(()) => pieces.last_mut().unwrap().push_str(&s),
            None => pieces.push(String::new()),
        }
    }
    let mut ex = TextExtractor::new(family);
    let doc = document(family, &pieces.concat());
    let info = ex.process(doc.as_bytes());
    check_info(doc.as_bytes(), &info);
    let whole = info.into_text().unwrap_or_default() + &check_finish(&mut ex);
    let mut split = String::new();
    for p in &pieces {
        let doc = document(family, p);
        let info = ex.process(doc.as_bytes());
        check_info(doc.as_bytes(), &info);
        split += info.text().unwrap_or_default();
    }
    split += &check_finish(&mut ex);
    assert_eq!(whole, split, "{pieces:?}");
    (whole, split)
}

/// Runs one input; returns the texts found (for the replay test to look at).
pub fn run(input: &[u8]) -> String {
    let Some((&mode, rest)) = input.split_first() else {
        return String::new();
    };
    let all = ModelFamily::ALL;
    if mode & 0x80 != 0 {
        // Every family but `Unknown` (which has no text to split).
        let family = all[usize::from(mode & 15) % (all.len() - 1)];
        return split_text(family, rest).0;
    }
    let family = all[usize::from(mode & 15) % all.len()];
    let mut ex = TextExtractor::new(family);
    let mut text = String::new();
    for doc in rest.split(|&b| b == 0xFF) {
        let info = ex.process(doc);
        check_info(doc, &info);
        text += info.text().unwrap_or_default();
        for f in all {
            let info = TextExtractor::new(f).process(doc);
            check_info(doc, &info);
            if f == ModelFamily::Unknown {
                check_recognised(doc, &info);
            }
        }
    }
    text += &check_finish(&mut ex);
    text
}
