//! Repairing the two things in a JSON text that `serde_json` refuses
//! outright, so that one bad value costs at most that value rather than the
//! whole answer:
//!
//! - a lone UTF-16 surrogate escape (`"\ud800"`, or a low surrogate with no
//!   high one before it) becomes `\ufffd`, the replacement character;
//! - a number beyond `f64`'s range (`1e400`) becomes a string holding its
//!   text, so the value that held it fails alone (and keeps its raw text in
//!   an `Unknown` variant) while its siblings parse.
//!
//! Everything else is copied as is; a text that needs no repair is not
//! copied at all. Malformed JSON stays malformed: the parser reports it.

use std::borrow::Cow;

/// What [`repair`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Repairs {
    /// Lone surrogate escapes replaced by `\ufffd`.
    pub surrogates: u64,
    /// Out-of-range numbers turned into strings.
    pub numbers: u64,
}

impl Repairs {
    /// All repairs.
    pub(crate) fn total(self) -> u64 {
        self.surrogates + self.numbers
    }
}

/// The text with lone surrogate escapes and out-of-range numbers repaired.
pub(crate) fn repair(json: &[u8]) -> (Cow<'_, [u8]>, Repairs) {
    let mut fixer = Fixer {
        input: json,
        out: None,
        copied: 0,
        repairs: Repairs::default(),
    };
    let mut i = 0;
    while i < json.len() {
        i = match json[i] {
            b'"' => fixer.string(i + 1),
            b'-' | b'0'..=b'9' => fixer.number(i),
            _ => i + 1,
        };
    }
    let repairs = fixer.repairs;
    match fixer.out {
        None => (Cow::Borrowed(json), repairs),
        Some(mut out) => {
            out.extend_from_slice(&json[fixer.copied..]);
            (Cow::Owned(out), repairs)
        }
    }
}

struct Fixer<'a> {
    input: &'a [u8],
    /// The repaired text up to `copied`, once a first repair was needed.
    out: Option<Vec<u8>>,
    /// Input bytes before this are in `out` (or need no copy yet).
    copied: usize,
    repairs: Repairs,
}

impl Fixer<'_> {
    /// Replaces `input[start..end]` with `with`.
    fn replace(&mut self, start: usize, end: usize, with: &[u8]) {
        let out = self
            .out
            .get_or_insert_with(|| Vec::with_capacity(self.input.len() + 16));
        out.extend_from_slice(&self.input[self.copied..start]);
        out.extend_from_slice(with);
        self.copied = end;
    }

    /// Scans a string whose content starts at `i`; returns the index after
    /// its closing quote (or the end of the input).
    fn string(&mut self, mut i: usize) -> usize {
        let input = self.input;
        while i < input.len() {
            match input[i] {
                b'"' => return i + 1,
                b'\\' if input.get(i + 1) == Some(&b'u') => {
                    let Some(unit) = hex4(input, i + 2) else {
                        i += 2;
                        continue;
                    };
                    match unit {
                        0xD800..=0xDBFF => {
                            let low = (input.get(i + 6) == Some(&b'\\')
                                && input.get(i + 7) == Some(&b'u'))
                            .then(|| hex4(input, i + 8))
                            .flatten();
                            if low.is_some_and(|l| (0xDC00..=0xDFFF).contains(&l)) {
                                i += 12;
                            } else {
                                self.replace(i, i + 6, b"\\ufffd");
                                self.repairs.surrogates += 1;
                                i += 6;
                            }
                        }
                        0xDC00..=0xDFFF => {
                            self.replace(i, i + 6, b"\\ufffd");
                            self.repairs.surrogates += 1;
                            i += 6;
                        }
                        _ => i += 6,
                    }
                }
                b'\\' => i += 2,
                _ => i += 1,
            }
        }
        i
    }

    /// Scans a number token starting at `i`; returns the index after it.
    fn number(&mut self, start: usize) -> usize {
        let input = self.input;
        let end = start
            + input[start..]
                .iter()
                .take_while(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                .count();
        let token = &input[start..end];
        // Short plain numbers always fit; only exponents and very long
        // digit runs can overflow.
        let may_overflow = token.len() > 300 || token.iter().any(|b| matches!(b, b'e' | b'E'));
        if may_overflow
            && let Ok(text) = std::str::from_utf8(token)
            && text.parse::<f64>().is_ok_and(f64::is_infinite)
        {
            let mut quoted = Vec::with_capacity(token.len() + 2);
            quoted.push(b'"');
            quoted.extend_from_slice(token);
            quoted.push(b'"');
            self.replace(start, end, &quoted);
            self.repairs.numbers += 1;
        }
        end.max(start + 1)
    }
}

/// The four hex digits at `at`, as a number.
fn hex4(input: &[u8], at: usize) -> Option<u32> {
    let digits = input.get(at..at + 4)?;
    let text = std::str::from_utf8(digits).ok()?;
    u32::from_str_radix(text, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    fn fixed(text: &str) -> (String, Repairs) {
        let (out, repairs) = repair(text.as_bytes());
        (String::from_utf8(out.into_owned()).unwrap(), repairs)
    }

    #[test]
    fn clean_text_is_not_copied() {
        let text = br#"{"a": [1, -2.5e3, "x\ud83d\ude00y", "\\ud800"], "b": 1e308}"#;
        let (out, repairs) = repair(text);
        assert!(matches!(out, Cow::Borrowed(_)));
        assert_eq!(repairs, Repairs::default());
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let (out, repairs) = fixed(r#"{"t": "a\ud800b", "u": "\udc00", "v": "\ud800\u0041"}"#);
        assert_eq!(repairs.surrogates, 3);
        let value: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["t"], "a\u{fffd}b");
        assert_eq!(value["u"], "\u{fffd}");
        assert_eq!(value["v"], "\u{fffd}A");
    }

    #[test]
    fn out_of_range_numbers_become_strings() {
        let (out, repairs) = fixed(r#"{"n": 1e400, "m": [-1E+999, 2], "s": "1e400"}"#);
        assert_eq!(repairs.numbers, 2);
        let value: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["n"], "1e400");
        assert_eq!(value["m"][0], "-1E+999");
        assert_eq!(value["m"][1], 2);
        assert_eq!(value["s"], "1e400");
        let long = format!("[{}]", "9".repeat(400));
        let (out, repairs) = fixed(&long);
        assert_eq!(repairs.numbers, 1);
        assert!(serde_json::from_str::<Value>(&out).is_ok());
    }

    proptest! {
        /// Whatever the bytes, no panic; valid JSON without repairs is left
        /// byte for byte; a repaired text of valid UTF-8 stays valid UTF-8.
        #[test]
        fn never_panics_and_keeps_clean_json(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let (out, repairs) = repair(&bytes);
            if repairs.total() == 0 {
                prop_assert_eq!(&out[..], &bytes[..]);
            }
            if std::str::from_utf8(&bytes).is_ok() {
                prop_assert!(std::str::from_utf8(&out).is_ok());
            }
        }

        #[test]
        fn any_string_with_escapes_parses_after_repair(units in proptest::collection::vec(0u32..0x10000, 0..12)) {
            let body: String = units.iter().map(|u| format!("\\u{u:04x}")).collect();
            let (out, _) = fixed(&format!("\"{body}\""));
            prop_assert!(serde_json::from_str::<Value>(&out).is_ok(), "{}", out);
        }
    }
}
