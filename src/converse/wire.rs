//! The rest-json building blocks of the Converse shapes: blobs as base64, open enums (unknown
//! values kept as sent) and unions (exactly one member; an unknown member kept as raw JSON).

use std::fmt;

use base64::Engine as _;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A `blob` member: raw bytes, base64 text in JSON. `Debug` shows the length only (the image,
/// document and reasoning blobs are `sensitive` in the service model).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Blob(pub Vec<u8>);

impl Blob {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for Blob {
    fn from(v: Vec<u8>) -> Blob {
        Blob(v)
    }
}

impl From<&[u8]> for Blob {
    fn from(v: &[u8]) -> Blob {
        Blob(v.to_vec())
    }
}

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Blob(<{} bytes>)", self.0.len())
    }
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Blob, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map(Blob)
            .map_err(|e| D::Error::custom(format!("a blob member is not valid base64: {e}")))
    }
}

/// A union member this library does not know (the service adds members often): its name and
/// its JSON value exactly as received. Serialised back unchanged, so a message holding one can
/// still be sent on the next turn.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownMember {
    /// The member name as on the wire.
    pub name: String,
    /// The member's JSON value.
    pub value: serde_json::Value,
}

/// Serialize one union member as `{"name": value}`.
pub(crate) fn serialize_member<S: Serializer, T: Serialize + ?Sized>(
    s: S,
    name: &str,
    value: &T,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap as _;
    let mut map = s.serialize_map(Some(1))?;
    map.serialize_entry(name, value)?;
    map.end()
}

/// Read a union: a JSON object with exactly one non-null member. Returns that member's name and
/// value.
pub(crate) fn deserialize_member<'de, D: Deserializer<'de>>(
    d: D,
    shape: &str,
) -> Result<(String, serde_json::Value), D::Error> {
    let map = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
    let mut set = map.into_iter().filter(|(_, v)| !v.is_null());
    match (set.next(), set.next()) {
        (Some(member), None) => Ok(member),
        (None, _) => Err(D::Error::custom(format!(
            "the union {shape} has no member set; it needs exactly one"
        ))),
        (Some((a, _)), Some((b, _))) => Err(D::Error::custom(format!(
            "the union {shape} has more than one member set ({a}, {b}, ...); it needs exactly one"
        ))),
    }
}

/// A key of a structure read by [`open_struct!`]: one of the known member names (no
/// allocation), or a name this library does not know.
pub(crate) struct MemberKey(pub(crate) Result<&'static str, String>);

/// Reads a [`MemberKey`] against the known member names of a structure.
pub(crate) struct MemberKeySeed(pub(crate) &'static [&'static str]);

impl<'de> serde::de::DeserializeSeed<'de> for MemberKeySeed {
    type Value = MemberKey;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<MemberKey, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl serde::de::Visitor<'_> for MemberKeySeed {
    type Value = MemberKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<MemberKey, E> {
        Ok(MemberKey(match self.0.iter().find(|k| **k == v) {
            Some(k) => Ok(k),
            None => Err(v.to_owned()),
        }))
    }
}

/// A structure of the service model whose members this library does not know are kept in
/// `other` (the service adds members often) and serialised back beside the others. Read by a
/// visitor that matches each key against the known names, so, unlike `#[serde(flatten)]`,
/// nothing is buffered and `other` only allocates when an unknown member is present. The
/// `optional` members are `Option`s, omitted when `None`; the others are required. The `p`
/// member, the random-length padding the service adds to every event payload against traffic
/// analysis, is skipped: it carries nothing.
macro_rules! open_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident ($shape:literal) {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty = $wire:literal, )*
        }
        optional {
            $( $(#[$ometa:meta])* pub $ofield:ident : Option<$oty:ty> = $owire:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(serde::Serialize)]
        pub struct $name {
            $( $(#[$fmeta])* #[serde(rename = $wire)] pub $field: $ty, )*
            $(
                $(#[$ometa])*
                #[serde(rename = $owire, skip_serializing_if = "Option::is_none")]
                pub $ofield: Option<$oty>,
            )*
            /// Members this library does not know, as received (the service adds members
            /// often; serialised back beside the others).
            #[serde(flatten)]
            pub other: serde_json::Map<String, serde_json::Value>,
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                struct Visitor;
                impl<'de> serde::de::Visitor<'de> for Visitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("a ", $shape, " object"))
                    }

                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$name, A::Error> {
                        use serde::de::Error as _;
                        const KNOWN: &[&str] = &[$($wire,)* $($owire,)* "p"];
                        $( let mut $field: Option<$ty> = None; )*
                        $( let mut $ofield: Option<Option<$oty>> = None; )*
                        let mut other = serde_json::Map::new();
                        while let Some(key) =
                            map.next_key_seed($crate::converse::wire::MemberKeySeed(KNOWN))?
                        {
                            match key.0 {
                                $( Ok($wire) => {
                                    if $field.is_some() {
                                        return Err(A::Error::duplicate_field($wire));
                                    }
                                    $field = Some(map.next_value()?);
                                } )*
                                $( Ok($owire) => {
                                    if $ofield.is_some() {
                                        return Err(A::Error::duplicate_field($owire));
                                    }
                                    $ofield = Some(map.next_value()?);
                                } )*
                                Ok("p") => {
                                    map.next_value::<serde::de::IgnoredAny>()?;
                                }
                                Ok(name) => {
                                    other.insert(name.to_owned(), map.next_value()?);
                                }
                                Err(name) => {
                                    other.insert(name, map.next_value()?);
                                }
                            }
                        }
                        Ok($name {
                            $( $field: $field.ok_or_else(|| A::Error::missing_field($wire))?, )*
                            $( $ofield: $ofield.flatten(), )*
                            other,
                        })
                    }
                }
                d.deserialize_map(Visitor)
            }
        }
    };
}

/// A union of the service model: one variant per member plus `Unknown`. With `sensitive`
/// (the shape is `sensitive` in the service model), `Debug` shows the member name only.
macro_rules! union_shape {
    (
        $(#[$meta:meta])*
        sensitive $name:ident ($shape:literal) { $($body:tt)+ }
    ) => {
        $crate::converse::wire::union_shape!(@define [] $(#[$meta])* $name ($shape) { $($body)+ });

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!(stringify!($name), "::{}(** sensitive **)"), self.member_name())
            }
        }
    };
    (
        $(#[$meta:meta])*
        $name:ident ($shape:literal) { $($body:tt)+ }
    ) => {
        $crate::converse::wire::union_shape!(@define [Debug] $(#[$meta])* $name ($shape) { $($body)+ });
    };
    (
        @define [$($debug:ident)?]
        $(#[$meta:meta])*
        $name:ident ($shape:literal) {
            $( $(#[$vmeta:meta])* $variant:ident($ty:ty) = $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive($($debug,)? Clone, PartialEq)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant($ty), )+
            /// A member this library does not know, kept as received.
            Unknown($crate::converse::wire::UnknownMember),
        }

        impl $name {
            /// The member name as on the wire.
            pub fn member_name(&self) -> &str {
                match self {
                    $( $name::$variant(_) => $wire, )+
                    $name::Unknown(u) => &u.name,
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self {
                    $( $name::$variant(v) => $crate::converse::wire::serialize_member(s, $wire, v), )+
                    $name::Unknown(u) => $crate::converse::wire::serialize_member(s, &u.name, &u.value),
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                use serde::de::Error as _;
                let (member, value) = $crate::converse::wire::deserialize_member(d, $shape)?;
                match member.as_str() {
                    $( $wire => serde_json::from_value(value)
                        .map($name::$variant)
                        .map_err(|e| D::Error::custom(format!(
                            concat!($shape, ".", $wire, ": {}"), e))), )+
                    _ => Ok($name::Unknown($crate::converse::wire::UnknownMember {
                        name: member,
                        value,
                    })),
                }
            }
        }
    };
}

/// An enum of the service model (case-sensitive strings); a value this library does not know
/// is kept as `Unknown(String)`, never an error.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this library does not know, exactly as received.
            Unknown(String),
        }

        impl $name {
            /// Every value the service model lists, in model order.
            pub const KNOWN: &'static [&'static str] = &[$($wire),+];

            /// The value exactly as on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Unknown(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> $name {
                match s {
                    $( $wire => $name::$variant, )+
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
                Ok($name::from(s.as_ref()))
            }
        }
    };
}

pub(crate) use {open_enum, open_struct, union_shape};

#[cfg(test)]
mod tests {
    use super::*;

    union_shape! {
        /// A test union.
        Pick("Pick") {
            /// a
            Text(String) = "text",
            /// b
            Bytes(Blob) = "bytes",
        }
    }

    union_shape! {
        /// A secret union.
        sensitive Secret("Secret") {
            /// a
            Text(String) = "text",
        }
    }

    open_enum! {
        /// A test enum.
        Colour { /// r
            Red = "red", /// g
            GreenBlue = "green_blue", }
    }

    #[test]
    fn unions_carry_exactly_one_member_and_keep_unknown_ones() {
        let p: Pick = serde_json::from_str(r#"{"bytes":"aGk=","other":null}"#).unwrap();
        assert_eq!(p, Pick::Bytes(Blob(b"hi".to_vec())));
        assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"bytes":"aGk="}"#);
        let u: Pick = serde_json::from_str(r#"{"future":{"a":[1,2.5]}}"#).unwrap();
        assert_eq!(u.member_name(), "future");
        assert_eq!(
            serde_json::to_string(&u).unwrap(),
            r#"{"future":{"a":[1,2.5]}}"#
        );
        for bad in [
            r#"{}"#,
            r#"{"text":"a","bytes":"aGk="}"#,
            r#"{"bytes":"!"}"#,
            "[]",
        ] {
            assert!(serde_json::from_str::<Pick>(bad).is_err(), "{bad}");
        }
        let e = serde_json::from_str::<Pick>(r#"{"text":1}"#).unwrap_err();
        assert!(e.to_string().contains("Pick.text"), "{e}");
    }

    #[test]
    fn open_enums_keep_unknown_values_as_sent() {
        let c: Colour = serde_json::from_str(r#""green_blue""#).unwrap();
        assert_eq!(c, Colour::GreenBlue);
        let u: Colour = serde_json::from_str(r#""Purple""#).unwrap();
        assert_eq!(u, Colour::Unknown("Purple".into()));
        assert_eq!(serde_json::to_string(&u).unwrap(), r#""Purple""#);
        assert_eq!(Colour::KNOWN, &["red", "green_blue"]);
        assert_eq!(format!("{:?}", Blob(vec![1, 2, 3])), "Blob(<3 bytes>)");
        let s = Secret::Text("hunter2".into());
        assert_eq!(format!("{s:?}"), "Secret::text(** sensitive **)");
        assert_eq!(format!("{:?}", Pick::Text("x".into())), r#"Text("x")"#);
    }
}
