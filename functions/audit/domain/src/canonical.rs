//! Compact JSON with the keys of every object in lexicographic (byte) order,
//! written straight from a value's `Serialize` impl.
//!
//! The output is byte for byte what `serde_json::to_value(v)?.to_string()`
//! gives with serde_json's default (sorted) map, without building the tree
//! of `Value`s: scalars are written by serde_json itself, arrays in order,
//! and each object's members are serialized, sorted by key and joined.

use std::borrow::Cow;
use std::fmt::Display;
use std::ops::Range;

use serde::ser::{self, Impossible, Serialize};

/// Why a value has no canonical form (a map key that is not a string or an
/// integer, or a `Serialize` impl that fails).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Error(String);

impl ser::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error(e.to_string())
    }
}

/// `value` in canonical form.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    let mut out = Vec::with_capacity(1024);
    value.serialize(Writer { out: &mut out })?;
    // Only serde_json's output and ASCII punctuation were written.
    String::from_utf8(out).map_err(|e| Error(e.to_string()))
}

/// An object under construction, for values that are not one `Serialize`
/// impl: members are added in any order and written in key order.
pub struct Object {
    out: Vec<u8>,
    members: Vec<Member>,
}

impl Default for Object {
    fn default() -> Self {
        let mut out = Vec::with_capacity(1024);
        out.push(b'{');
        Self { out, members: Vec::new() }
    }
}

impl Object {
    /// Adds member `key` with `value` serialized in canonical form.
    pub fn member<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        push_member(&mut self.out, &mut self.members, Cow::Borrowed(key), value)
    }

    /// The object in canonical form.
    pub fn into_string(mut self) -> Result<String, Error> {
        close_object(&mut self.out, 0, &mut self.members);
        // Only serde_json's output and ASCII punctuation were written.
        String::from_utf8(self.out).map_err(|e| Error(e.to_string()))
    }
}

/// A member written in place: its key and where `"key":value` lies.
struct Member {
    key: Cow<'static, str>,
    span: Range<usize>,
}

/// Writes `"key":value` (after a comma unless it is the first member).
fn push_member<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    members: &mut Vec<Member>,
    key: Cow<'static, str>,
    value: &T,
) -> Result<(), Error> {
    if !members.is_empty() {
        out.push(b',');
    }
    let from = out.len();
    serde_json::to_writer(&mut *out, key.as_ref())?;
    out.push(b':');
    value.serialize(Writer { out: &mut *out })?;
    members.push(Member { key, span: from..out.len() });
    Ok(())
}

/// Closes the object opened at `start` (its `{`): members already in key
/// order stay where they were written (the common case costs nothing);
/// otherwise they are rewritten in order, the last of equal keys kept, as
/// in a map.
fn close_object(out: &mut Vec<u8>, start: usize, members: &mut [Member]) {
    if members.windows(2).any(|w| w[0].key >= w[1].key) {
        members.sort_by(|a, b| a.key.cmp(&b.key));
        let mut sorted = Vec::with_capacity(out.len() - start + 1);
        sorted.push(b'{');
        for (i, member) in members.iter().enumerate() {
            if members.get(i + 1).is_some_and(|next| next.key == member.key) {
                continue;
            }
            if sorted.len() > 1 {
                sorted.push(b',');
            }
            sorted.extend_from_slice(&out[member.span.clone()]);
        }
        out.truncate(start);
        out.extend_from_slice(&sorted);
    }
    out.push(b'}');
}

/// The serializer: writes a value into `out`.
struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> Writer<'a> {
    fn scalar<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        serde_json::to_writer(self.out, value).map_err(Error::from)
    }
}

macro_rules! scalars {
    ($( $method:ident($ty:ty); )*) => {
        $( fn $method(self, v: $ty) -> Result<(), Error> { self.scalar(&v) } )*
    };
}

impl<'a> ser::Serializer for Writer<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Variant<Seq<'a>>;
    type SerializeMap = Members<'a>;
    type SerializeStruct = Members<'a>;
    type SerializeStructVariant = Variant<Members<'a>>;

    scalars! {
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32);
        serialize_i64(i64); serialize_i128(i128); serialize_u8(u8); serialize_u16(u16);
        serialize_u32(u32); serialize_u64(u64); serialize_u128(u128); serialize_f64(f64); serialize_char(char); serialize_str(&str); serialize_bytes(&[u8]);
    }

    /// Widened, as a `serde_json::Value` keeps it.
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.scalar(&f64::from(v))
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), Error> {
        self.scalar(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.out.push(b'{');
        serde_json::to_writer(&mut *self.out, variant)?;
        self.out.push(b':');
        value.serialize(Writer { out: &mut *self.out })?;
        self.out.push(b'}');
        Ok(())
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Seq<'a>, Error> {
        self.out.push(b'[');
        Ok(Seq { out: self.out, first: true })
    }

    fn serialize_tuple(self, len: usize) -> Result<Seq<'a>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Seq<'a>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Variant<Seq<'a>>, Error> {
        let out = open_variant(self.out, variant)?;
        out.push(b'[');
        Ok(Variant { inner: Seq { out, first: true } })
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Members<'a>, Error> {
        Ok(Members::open(self.out))
    }

    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Members<'a>, Error> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Variant<Members<'a>>, Error> {
        let out = open_variant(self.out, variant)?;
        Ok(Variant { inner: Members::open(out) })
    }
}

/// Writes `{"variant":`; the variant's value follows, then [`Variant`]
/// closes the object.
fn open_variant<'a>(out: &'a mut Vec<u8>, variant: &str) -> Result<&'a mut Vec<u8>, Error> {
    out.push(b'{');
    serde_json::to_writer(&mut *out, variant)?;
    out.push(b':');
    Ok(out)
}

/// A sequence being written.
struct Seq<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl Seq<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        value.serialize(Writer { out: self.out })
    }

    fn close(self) -> Result<(), Error> {
        self.out.push(b']');
        Ok(())
    }
}

/// Sequences, tuples and tuple structs are all written as arrays.
macro_rules! arrays {
    ($( $trait:ident::$method:ident; )*) => {$(
        impl ser::$trait for Seq<'_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}

arrays! {
    SerializeSeq::serialize_element;
    SerializeTuple::serialize_element;
    SerializeTupleStruct::serialize_field;
}

/// An object being written; put in key order at its end.
struct Members<'a> {
    out: &'a mut Vec<u8>,
    start: usize,
    members: Vec<Member>,
    key: Option<String>,
}

impl<'a> Members<'a> {
    fn open(out: &'a mut Vec<u8>) -> Self {
        let start = out.len();
        out.push(b'{');
        Self { out, start, members: Vec::new(), key: None }
    }

    fn member<T: Serialize + ?Sized>(&mut self, key: Cow<'static, str>, value: &T) -> Result<(), Error> {
        push_member(self.out, &mut self.members, key, value)
    }

    /// Closes the object; returns the output to write on.
    fn close(mut self) -> &'a mut Vec<u8> {
        close_object(self.out, self.start, &mut self.members);
        self.out
    }
}

impl ser::SerializeMap for Members<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key = Some(key.serialize(KeyWriter)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self.key.take().ok_or_else(|| Error("a map value without its key".to_owned()))?;
        self.member(Cow::Owned(key), value)
    }
    fn end(self) -> Result<(), Error> {
        self.close();
        Ok(())
    }
}

impl ser::SerializeStruct for Members<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        self.member(Cow::Borrowed(key), value)
    }
    fn end(self) -> Result<(), Error> {
        self.close();
        Ok(())
    }
}

/// A tuple or struct variant: `{"variant":` + its value + `}`.
struct Variant<I> {
    inner: I,
}

impl<'a> ser::SerializeTupleVariant for Variant<Seq<'a>> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.inner.element(value)
    }
    fn end(self) -> Result<(), Error> {
        self.inner.out.extend_from_slice(b"]}");
        Ok(())
    }
}

impl<'a> ser::SerializeStructVariant for Variant<Members<'a>> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        self.inner.member(Cow::Borrowed(key), value)
    }
    fn end(self) -> Result<(), Error> {
        self.inner.close().push(b'}');
        Ok(())
    }
}

/// Map keys: strings as they are, integers and chars as their text (as
/// serde_json does); anything else has no key form.
struct KeyWriter;

macro_rules! integer_keys {
    ($( $method:ident($ty:ty); )*) => {
        $( fn $method(self, v: $ty) -> Result<String, Error> { Ok(v.to_string()) } )*
    };
}

impl ser::Serializer for KeyWriter {
    type Ok = String;
    type Error = Error;
    type SerializeSeq = Impossible<String, Error>;
    type SerializeTuple = Impossible<String, Error>;
    type SerializeTupleStruct = Impossible<String, Error>;
    type SerializeTupleVariant = Impossible<String, Error>;
    type SerializeMap = Impossible<String, Error>;
    type SerializeStruct = Impossible<String, Error>;
    type SerializeStructVariant = Impossible<String, Error>;

    integer_keys! {
        serialize_i8(i8); serialize_i16(i16); serialize_i32(i32); serialize_i64(i64);
        serialize_i128(i128); serialize_u8(u8); serialize_u16(u16); serialize_u32(u32);
        serialize_u64(u64); serialize_u128(u128); serialize_char(char);
    }

    fn serialize_str(self, v: &str) -> Result<String, Error> {
        Ok(v.to_owned())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<String, Error> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String, Error> {
        value.serialize(self)
    }
    fn serialize_bool(self, _: bool) -> Result<String, Error> {
        Err(not_a_key())
    }
    fn serialize_f32(self, _: f32) -> Result<String, Error> {
        Err(not_a_key())
    }
    fn serialize_f64(self, _: f64) -> Result<String, Error> {
        Err(not_a_key())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String, Error> {
        Err(not_a_key())
    }
    fn serialize_none(self) -> Result<String, Error> {
        Err(not_a_key())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<String, Error> {
        Err(not_a_key())
    }
    fn serialize_unit(self) -> Result<String, Error> {
        Err(not_a_key())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, Error> {
        Err(not_a_key())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, Error> {
        Err(not_a_key())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(not_a_key())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        Err(not_a_key())
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Error> {
        Err(not_a_key())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(not_a_key())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(not_a_key())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Error> {
        Err(not_a_key())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(not_a_key())
    }
}

fn not_a_key() -> Error {
    Error("a map key must be a string or an integer".to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde::Serialize;

    use super::to_string;

    #[derive(Serialize)]
    enum Shape {
        Unit,
        Newtype(u8),
        Tuple(i32, String),
        Struct { z: f64, a: Option<bool> },
    }

    #[derive(Serialize)]
    struct Everything {
        zeta: &'static str,
        alpha: Vec<Shape>,
        #[serde(flatten)]
        extra: HashMap<String, serde_json::Value>,
        numbers: (u64, i64, f64, f32),
        counts: HashMap<u32, &'static str>,
        nothing: Option<u8>,
        unit: (),
        bytes: &'static [u8],
        ch: char,
        nested: serde_json::Value,
    }

    #[test]
    fn the_output_is_serde_json_s_sorted_value_byte_for_byte() {
        let value = Everything {
            zeta: "quote \" backslash \\ newline \n tab \t control \u{1} unicode é ✓ \u{7f}",
            alpha: vec![
                Shape::Unit,
                Shape::Newtype(7),
                Shape::Tuple(-3, "x".into()),
                Shape::Struct { z: 1.5e300, a: None },
                Shape::Struct { z: f64::NAN, a: Some(true) },
            ],
            extra: [
                ("mid".to_owned(), serde_json::json!({"b": 1, "a": [3, 2, {"d": null, "c": 0.1}]})),
                // The same key twice (a field and a flattened entry): the last wins.
                ("zeta".to_owned(), serde_json::json!("flattened")),
            ]
            .into_iter()
            .collect(),
            numbers: (u64::MAX, i64::MIN, 40.0, 0.1),
            counts: [(10, "ten"), (9, "nine"), (100, "hundred")].into_iter().collect(),
            nothing: None,
            unit: (),
            bytes: b"ab",
            ch: 'é',
            nested: serde_json::json!({"é": 1, "e": 2, "E": 3, "": []}),
        };
        let expected = serde_json::to_value(&value).expect("value").to_string();
        assert_eq!(to_string(&value).expect("canonical"), expected);
    }

    #[test]
    fn a_key_that_is_not_a_string_or_integer_is_an_error() {
        let map: HashMap<(u8, u8), u8> = [((1, 2), 3)].into_iter().collect();
        assert!(to_string(&map).is_err());
    }
}
