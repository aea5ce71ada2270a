//! Typed event-stream header values (the ten wire types of the event-stream format).

use std::fmt;

/// Wire type ids.
pub(crate) const TYPE_TRUE: u8 = 0;
pub(crate) const TYPE_FALSE: u8 = 1;
pub(crate) const TYPE_BYTE: u8 = 2;
pub(crate) const TYPE_SHORT: u8 = 3;
pub(crate) const TYPE_INT: u8 = 4;
pub(crate) const TYPE_LONG: u8 = 5;
pub(crate) const TYPE_BYTES: u8 = 6;
pub(crate) const TYPE_STRING: u8 = 7;
pub(crate) const TYPE_TIMESTAMP: u8 = 8;
pub(crate) const TYPE_UUID: u8 = 9;

/// A header value borrowed from a decoded frame.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum HeaderValueRef<'a> {
    /// Types 0 (true) and 1 (false).
    Bool(bool),
    /// Type 2: signed byte.
    Byte(i8),
    /// Type 3: signed 16-bit integer.
    Int16(i16),
    /// Type 4: signed 32-bit integer.
    Int32(i32),
    /// Type 5: signed 64-bit integer.
    Int64(i64),
    /// Type 6: byte array (u16 length prefix on the wire).
    ByteArray(&'a [u8]),
    /// Type 7: UTF-8 string (u16 length prefix on the wire).
    String(&'a str),
    /// Type 8: milliseconds since the Unix epoch.
    Timestamp(i64),
    /// Type 9: 16 raw bytes.
    Uuid([u8; 16]),
}

impl<'a> HeaderValueRef<'a> {
    /// The wire type id (0..=9).
    pub fn type_id(&self) -> u8 {
        match self {
            HeaderValueRef::Bool(true) => TYPE_TRUE,
            HeaderValueRef::Bool(false) => TYPE_FALSE,
            HeaderValueRef::Byte(_) => TYPE_BYTE,
            HeaderValueRef::Int16(_) => TYPE_SHORT,
            HeaderValueRef::Int32(_) => TYPE_INT,
            HeaderValueRef::Int64(_) => TYPE_LONG,
            HeaderValueRef::ByteArray(_) => TYPE_BYTES,
            HeaderValueRef::String(_) => TYPE_STRING,
            HeaderValueRef::Timestamp(_) => TYPE_TIMESTAMP,
            HeaderValueRef::Uuid(_) => TYPE_UUID,
        }
    }

    /// The string, if this is a string value.
    pub fn as_str(&self) -> Option<&'a str> {
        match self {
            HeaderValueRef::String(s) => Some(s),
            _ => None,
        }
    }

    /// An owned copy.
    pub fn to_owned_value(&self) -> HeaderValue {
        match *self {
            HeaderValueRef::Bool(b) => HeaderValue::Bool(b),
            HeaderValueRef::Byte(v) => HeaderValue::Byte(v),
            HeaderValueRef::Int16(v) => HeaderValue::Int16(v),
            HeaderValueRef::Int32(v) => HeaderValue::Int32(v),
            HeaderValueRef::Int64(v) => HeaderValue::Int64(v),
            HeaderValueRef::ByteArray(v) => HeaderValue::ByteArray(v.to_vec()),
            HeaderValueRef::String(v) => HeaderValue::String(v.to_owned()),
            HeaderValueRef::Timestamp(v) => HeaderValue::Timestamp(v),
            HeaderValueRef::Uuid(v) => HeaderValue::Uuid(v),
        }
    }
}

impl fmt::Debug for HeaderValueRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderValueRef::Bool(v) => write!(f, "Bool({v})"),
            HeaderValueRef::Byte(v) => write!(f, "Byte({v})"),
            HeaderValueRef::Int16(v) => write!(f, "Int16({v})"),
            HeaderValueRef::Int32(v) => write!(f, "Int32({v})"),
            HeaderValueRef::Int64(v) => write!(f, "Int64({v})"),
            HeaderValueRef::ByteArray(v) => write!(f, "ByteArray({} bytes)", v.len()),
            HeaderValueRef::String(v) => write!(f, "String({v:?})"),
            HeaderValueRef::Timestamp(v) => write!(f, "Timestamp({v})"),
            HeaderValueRef::Uuid(v) => write!(f, "Uuid({v:02x?})"),
        }
    }
}

/// An owned header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    /// Types 0 (true) and 1 (false).
    Bool(bool),
    /// Type 2: signed byte.
    Byte(i8),
    /// Type 3: signed 16-bit integer.
    Int16(i16),
    /// Type 4: signed 32-bit integer.
    Int32(i32),
    /// Type 5: signed 64-bit integer.
    Int64(i64),
    /// Type 6: byte array.
    ByteArray(Vec<u8>),
    /// Type 7: UTF-8 string.
    String(String),
    /// Type 8: milliseconds since the Unix epoch.
    Timestamp(i64),
    /// Type 9: 16 raw bytes.
    Uuid([u8; 16]),
}

impl HeaderValue {
    /// A borrowed view.
    pub fn as_ref(&self) -> HeaderValueRef<'_> {
        match self {
            HeaderValue::Bool(b) => HeaderValueRef::Bool(*b),
            HeaderValue::Byte(v) => HeaderValueRef::Byte(*v),
            HeaderValue::Int16(v) => HeaderValueRef::Int16(*v),
            HeaderValue::Int32(v) => HeaderValueRef::Int32(*v),
            HeaderValue::Int64(v) => HeaderValueRef::Int64(*v),
            HeaderValue::ByteArray(v) => HeaderValueRef::ByteArray(v),
            HeaderValue::String(v) => HeaderValueRef::String(v),
            HeaderValue::Timestamp(v) => HeaderValueRef::Timestamp(*v),
            HeaderValue::Uuid(v) => HeaderValueRef::Uuid(*v),
        }
    }
}

impl From<&str> for HeaderValue {
    fn from(s: &str) -> Self {
        HeaderValue::String(s.to_owned())
    }
}

impl From<String> for HeaderValue {
    fn from(s: String) -> Self {
        HeaderValue::String(s)
    }
}

/// A header borrowed from a decoded frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderRef<'a> {
    /// The header name (case-sensitive).
    pub name: &'a str,
    /// The typed value.
    pub value: HeaderValueRef<'a>,
}

/// An owned header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The header name (1..=255 bytes of UTF-8, case-sensitive).
    pub name: String,
    /// The typed value.
    pub value: HeaderValue,
}

impl Header {
    /// A header with the given name and value.
    pub fn new(name: impl Into<String>, value: impl Into<HeaderValue>) -> Header {
        Header {
            name: name.into(),
            value: value.into(),
        }
    }
}
