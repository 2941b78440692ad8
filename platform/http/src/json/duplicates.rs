//! Finds a key an object repeats (`{"role":"employee","role":"admin"}`),
//! which a parse into `serde_json::Value` would take silently (the last
//! wins).

use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};

/// The path (`a.b`, `items[0].x`) of the first key an object of `bytes`
/// repeats, if any.
pub(super) fn duplicate_key(bytes: &[u8]) -> Option<String> {
    let mut found = None;
    let mut json = serde_json::Deserializer::from_slice(bytes);
    let _ = Walk { path: String::new(), found: &mut found }.deserialize(&mut json);
    found
}

/// Walks a value; stops at the first repeated key, which it records.
struct Walk<'a> {
    path: String,
    found: &'a mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while seq
            .next_element_seed(Walk { path: format!("{}[{index}]", self.path), found: &mut *self.found })?
            .is_some()
        {
            index += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = if self.path.is_empty() { key.clone() } else { format!("{}.{key}", self.path) };
            if !seen.insert(key) {
                *self.found = Some(path);
                return Err(A::Error::custom("a repeated key"));
            }
            map.next_value_seed(Walk { path, found: &mut *self.found })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::duplicate_key;

    #[test]
    fn the_first_repeated_key_is_named_by_its_path() {
        assert_eq!(duplicate_key(br#"{"role":"employee","role":"admin"}"#).as_deref(), Some("role"));
        let nested = br#"{"items":[{"a":1},{"a":1,"b":{"c":2,"c":3}}]}"#;
        assert_eq!(duplicate_key(nested).as_deref(), Some("items[1].b.c"));
        assert_eq!(duplicate_key(br#"{"a":{"x":1},"b":{"x":1.5,"y":[null,true,"s"]}}"#), None);
    }
}
