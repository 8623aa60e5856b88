//! A scanner for Notion's XML-like tags (`<callout icon="💡">`, `</toggle>`,
//! `<unknown url="..." alt="embed"/>`): one tag at the start of a string,
//! with its name and attributes, or nothing when the text is not a tag.
//!
//! The grammar is HTML's: a name of letters, digits, `-`, `_` and `:`;
//! attributes with double-quoted, single-quoted, unquoted or no values;
//! `/>` for a self-closing tag. Attribute values have their character
//! references (`&amp;`, `&#39;`...) decoded.

/// Whether a tag opens, closes or stands alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagKind {
    /// `<name ...>`
    Open,
    /// `</name>`
    Close,
    /// `<name ... />`
    SelfClosing,
}

/// One scanned tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tag {
    /// The name, lower case.
    pub(crate) name: String,
    /// Attributes in order, names lower case, values decoded.
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) kind: TagKind,
    /// Bytes the tag takes in the text scanned.
    pub(crate) len: usize,
}

impl Tag {
    /// The value of attribute `name`, if present (empty for a bare attribute).
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of attribute `name` when present and not blank.
    pub(crate) fn nonempty_attr(&self, name: &str) -> Option<&str> {
        self.attr(name).filter(|v| !v.trim().is_empty())
    }

    /// Whether attribute `name` is `true` (a bare attribute counts as true).
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.attr(name)
            .is_some_and(|v| v.is_empty() || v.eq_ignore_ascii_case("true"))
    }
}

/// Scans the tag at the start of `text`, if `text` starts with one.
pub(crate) fn scan(text: &str) -> Option<Tag> {
    let bytes = text.as_bytes();
    if bytes.first() != Some(&b'<') {
        return None;
    }
    let mut i = 1;
    let closing = bytes.get(i) == Some(&b'/');
    if closing {
        i += 1;
    }
    let name_start = i;
    if !bytes.get(i).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    while bytes
        .get(i)
        .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':'))
    {
        i += 1;
    }
    let name = text[name_start..i].to_ascii_lowercase();
    let mut attrs = Vec::new();
    loop {
        let spaced = skip_space(bytes, &mut i);
        match bytes.get(i)? {
            b'>' => {
                let kind = if closing {
                    TagKind::Close
                } else {
                    TagKind::Open
                };
                return Some(Tag {
                    name,
                    attrs,
                    kind,
                    len: i + 1,
                });
            }
            b'/' if !closing && bytes.get(i + 1) == Some(&b'>') => {
                return Some(Tag {
                    name,
                    attrs,
                    kind: TagKind::SelfClosing,
                    len: i + 2,
                });
            }
            _ if closing || !spaced => return None,
            _ => {
                let (attr, next) = attribute(text, i)?;
                attrs.push(attr);
                i = next;
            }
        }
    }
}

fn skip_space(bytes: &[u8], i: &mut usize) -> bool {
    let start = *i;
    while bytes.get(*i).is_some_and(u8::is_ascii_whitespace) {
        *i += 1;
    }
    *i > start
}

/// One attribute starting at `i`: its name and value, and where it ends.
fn attribute(text: &str, mut i: usize) -> Option<((String, String), usize)> {
    let bytes = text.as_bytes();
    let start = i;
    if !bytes
        .get(i)
        .is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b':'))
    {
        return None;
    }
    while bytes
        .get(i)
        .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
    {
        i += 1;
    }
    let name = text[start..i].to_ascii_lowercase();
    let before_eq = i;
    skip_space(bytes, &mut i);
    if bytes.get(i) != Some(&b'=') {
        return Some(((name, String::new()), before_eq));
    }
    i += 1;
    skip_space(bytes, &mut i);
    let value = match bytes.get(i)? {
        quote @ (b'"' | b'\'') => {
            let end = i + 1 + text[i + 1..].find(*quote as char)?;
            let value = &text[i + 1..end];
            i = end + 1;
            value
        }
        _ => {
            let start = i;
            while bytes
                .get(i)
                .is_some_and(|b| !b.is_ascii_whitespace() && !b"\"'=<>`".contains(b))
            {
                i += 1;
            }
            if i == start {
                return None;
            }
            &text[start..i]
        }
    };
    Some(((name, decode_entities(value)), i))
}

/// Decodes HTML character references: the five named ones Notion writes and
/// numeric ones. Anything else is kept as written.
pub(crate) fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest[..rest.len().min(12)].find(';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..end];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => name
                .strip_prefix('#')
                .and_then(|n| match n.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => n.parse().ok(),
                })
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_open_close_and_self_closing_tags() {
        let tag = scan(r#"<callout icon="💡" color='yellow_bg'>rest"#).unwrap();
        assert_eq!(tag.name, "callout");
        assert_eq!(tag.kind, TagKind::Open);
        assert_eq!(tag.attr("icon"), Some("💡"));
        assert_eq!(tag.attr("color"), Some("yellow_bg"));
        assert_eq!(tag.len, r#"<callout icon="💡" color='yellow_bg'>"#.len());

        let tag = scan("</Toggle >").unwrap();
        assert_eq!((tag.name.as_str(), tag.kind), ("toggle", TagKind::Close));

        let tag = scan(r#"<unknown url="https://x.so/a#b" alt=embed />"#).unwrap();
        assert_eq!(tag.kind, TagKind::SelfClosing);
        assert_eq!(tag.attr("alt"), Some("embed"));

        let tag = scan("<table header-row fit-page-width>").unwrap();
        assert!(tag.flag("header-row") && !tag.flag("header-column"));
        assert!(scan("<synced_block url=\"u\">").is_some());
    }

    #[test]
    fn rejects_what_is_not_a_tag() {
        for text in [
            "a <b>",
            "<",
            "< b>",
            "<1>",
            "<b",
            "<b x=\"open>",
            "</b x>",
            "<b\"x\">",
        ] {
            assert_eq!(scan(text), None, "{text}");
        }
    }

    #[test]
    fn decodes_character_references() {
        assert_eq!(
            decode_entities("a&amp;b &lt;c&gt; &#39;&#x41; &nope; &"),
            "a&b <c> 'A &nope; &"
        );
    }
}
