//! JSON values drawn from fuzzer input, written as text by hand so that objects may repeat a
//! member (which `serde_json::Map` could not express) and numbers may take any form.

use std::fmt::Write as _;

use arbitrary::Arbitrary;

/// A JSON value. Objects are member lists: names may repeat.
#[derive(Arbitrary, Debug, Clone)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    /// A number written as the fuzzer likes (`1e999`, `-0`, `01`, ...): may not be JSON at all.
    NumberText(NumberText),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Digits, signs, dots and exponents only, so that the text stays "a number" to the lexer.
#[derive(Debug, Clone)]
pub struct NumberText(pub String);

impl<'a> Arbitrary<'a> for NumberText {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        const ALPHABET: &[u8] = b"0123456789-+.eE";
        let len = u.int_in_range(1..=24)?;
        let mut text = String::with_capacity(len);
        for _ in 0..len {
            text.push(char::from(*u.choose(ALPHABET)?));
        }
        Ok(NumberText(text))
    }
}

impl Json {
    /// The value as JSON text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    pub fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Json::UInt(u) => {
                let _ = write!(out, "{u}");
            }
            Json::Float(f) if f.is_finite() => {
                let _ = write!(out, "{f:e}");
            }
            Json::Float(_) => out.push_str("1e400"),
            Json::NumberText(text) => out.push_str(&text.0),
            Json::Str(s) => write_str(out, s),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(members) => write_object(out, members.iter().map(|(k, v)| (k, v))),
        }
    }
}

/// A JSON string literal.
pub fn write_str(out: &mut String, s: &str) {
    // serde_json escapes exactly as JSON requires.
    out.push_str(&serde_json::Value::from(s).to_string());
}

/// A JSON object from members, in order, repeats kept.
pub fn write_object<'a, K: AsRef<str> + 'a>(
    out: &mut String,
    members: impl IntoIterator<Item = (K, &'a Json)>,
) {
    out.push('{');
    for (i, (name, value)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_str(out, name.as_ref());
        out.push(':');
        value.write(out);
    }
    out.push('}');
}
