//! Lenient JSON building blocks: a field of an unexpected type reads as absent instead of failing
//! the whole document, strings are read as raw bytes (borrowed when unescaped), and only the
//! first element of an array is kept.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::InvocationMetrics;

/// Whether the first non-blank byte opens a JSON object.
pub(super) fn is_json_object(chunk: &[u8]) -> bool {
    chunk
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .is_some_and(|b| *b == b'{')
}

pub(super) fn parse<'a, T: Deserialize<'a>>(chunk: &'a [u8]) -> Option<T> {
    serde_json::from_slice(chunk).ok()
}

/// A token count: `u64` when the JSON value is a non-negative integer (or an integral float),
/// `None` for `null`, missing, negative, fractional, or non-numeric values.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Num(pub(super) Option<u64>);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NumVisitor)
    }
}

pub(super) struct NumVisitor;

impl<'de> Visitor<'de> for NumVisitor {
    type Value = Num;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a token count")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
        Ok(Num(Some(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
        Ok(Num(u64::try_from(v).ok()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num, E> {
        // 2^64 is exactly representable; every integral value below it fits in u64.
        let ok = v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 18_446_744_073_709_551_616.0;
        Ok(Num(ok.then_some(v as u64)))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Num, E> {
        Ok(Num(None))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Num, E> {
        Ok(Num(None))
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Num, E> {
        Ok(Num(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Num, E> {
        Ok(Num(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<Num, E> {
        Ok(Num(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Num, D::Error> {
        Num::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Num, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Num(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Num, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Num(None))
    }
}

/// A JSON string read as raw bytes: borrowed from the chunk when it has no escapes, decoded
/// otherwise. serde_json's byte-string mode keeps lone surrogate escapes (as WTF-8) and does
/// not reject invalid UTF-8, so one odd character cannot fail the whole document; the bytes are
/// made valid UTF-8 later. An array where a string was expected is skipped (`NotString`).
pub(super) enum JStr<'a> {
    Bytes(Cow<'a, [u8]>),
    NotString,
}

impl<'a> JStr<'a> {
    pub(super) fn into_bytes(self) -> Option<Cow<'a, [u8]>> {
        match self {
            JStr::Bytes(b) => Some(b),
            JStr::NotString => None,
        }
    }

    pub(super) fn is(&self, expected: &str) -> bool {
        matches!(self, JStr::Bytes(b) if **b == *expected.as_bytes())
    }
}

pub(super) fn bytes_of(s: Option<JStr<'_>>) -> Option<Cow<'_, [u8]>> {
    s.and_then(JStr::into_bytes)
}

impl<'de: 'a, 'a> Deserialize<'de> for JStr<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_bytes(JStrVisitor(PhantomData))
    }
}

pub(super) struct JStrVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for JStrVisitor<'a> {
    type Value = JStr<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<JStr<'a>, E> {
        Ok(JStr::Bytes(Cow::Borrowed(v)))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<JStr<'a>, E> {
        Ok(JStr::Bytes(Cow::Owned(v.to_vec())))
    }
    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<JStr<'a>, E> {
        Ok(JStr::Bytes(Cow::Owned(v)))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<JStr<'a>, E> {
        Ok(JStr::Bytes(Cow::Borrowed(v.as_bytes())))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<JStr<'a>, E> {
        Ok(JStr::Bytes(Cow::Owned(v.as_bytes().to_vec())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<JStr<'a>, E> {
        Ok(JStr::Bytes(Cow::Owned(v.into_bytes())))
    }
    fn visit_unit<E: de::Error>(self) -> Result<JStr<'a>, E> {
        Ok(JStr::NotString)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JStr<'a>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(JStr::NotString)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JStr<'a>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(JStr::NotString)
    }
}

/// The first element of a JSON array (`choices[0]`, `outputs[0]`, `generations[0]`) without
/// collecting the array; the other elements are skipped.
pub(super) struct First<T>(Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for First<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(FirstVisitor(PhantomData))
    }
}

pub(super) struct FirstVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for FirstVisitor<T> {
    type Value = First<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<First<T>, A::Error> {
        let first = seq.next_element::<T>()?;
        if first.is_some() {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
        }
        Ok(First(first))
    }
}

pub(super) fn first<T>(array: Option<First<T>>) -> Option<T> {
    array.and_then(|a| a.0)
}

#[derive(Deserialize)]
pub(super) struct RawMetrics {
    #[serde(rename = "inputTokenCount", default)]
    input_token_count: Num,
    #[serde(rename = "outputTokenCount", default)]
    output_token_count: Num,
    #[serde(rename = "invocationLatency", default)]
    invocation_latency: Num,
    #[serde(rename = "firstByteLatency", default)]
    first_byte_latency: Num,
    #[serde(rename = "cacheReadInputTokenCount", default)]
    cache_read_input_token_count: Num,
    #[serde(rename = "cacheWriteInputTokenCount", default)]
    cache_write_input_token_count: Num,
}

impl RawMetrics {
    pub(super) fn into_metrics(self) -> InvocationMetrics {
        InvocationMetrics {
            input_token_count: self.input_token_count.0,
            output_token_count: self.output_token_count.0,
            invocation_latency_ms: self.invocation_latency.0,
            first_byte_latency_ms: self.first_byte_latency.0,
            cache_read_input_token_count: self.cache_read_input_token_count.0,
            cache_write_input_token_count: self.cache_write_input_token_count.0,
        }
    }
}

pub(super) fn metrics_of(raw: Option<RawMetrics>) -> Option<InvocationMetrics> {
    raw.map(RawMetrics::into_metrics)
}

#[derive(Deserialize)]
pub(super) struct MetricsOnly {
    #[serde(rename = "amazon-bedrock-invocationMetrics")]
    pub(super) metrics: Option<RawMetrics>,
}
