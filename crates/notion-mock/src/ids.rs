//! Notion ids: parsing the forms clients send (with or without dashes) and
//! deriving stable ids from dataset keys.

use uuid::Uuid;

/// Parses an id as Notion accepts it (32 hex digits, dashes optional) and
/// returns it in Notion's answer form: lowercase with dashes.
pub(crate) fn parse_id(raw: &str) -> Option<String> {
    let hex: String = raw.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    Uuid::parse_str(&hex)
        .ok()
        .map(|u| u.hyphenated().to_string())
}

/// A stable id for `key` within the dataset namespace `namespace`: the same
/// dataset always loads with the same ids.
pub(crate) fn derive_id(namespace: &str, key: &str) -> String {
    let ns = Uuid::new_v5(&Uuid::NAMESPACE_URL, namespace.as_bytes());
    Uuid::new_v5(&ns, key.as_bytes()).hyphenated().to_string()
}

/// The id in the compact form used in URLs (no dashes).
pub(crate) fn compact(id: &str) -> String {
    id.replace('-', "")
}

/// A 64-bit FNV-1a hash: a stable, dependency-free hash for deriving
/// property ids, option ids and synthetic content from names and seeds.
pub(crate) fn stable_hash(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.iter().chain(std::iter::once(&0xff)) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Percent-decodes a URL path segment or query component (`+` is kept).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(v) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_with_and_without_dashes() {
        let dashed = "0f2b7c1e-8a4d-4c3e-9b5a-1d2e3f405162";
        assert_eq!(parse_id(dashed).as_deref(), Some(dashed));
        assert_eq!(parse_id(&compact(dashed)).as_deref(), Some(dashed));
        assert_eq!(
            parse_id("0F2B7C1E8A4D4C3E9B5A1D2E3F405162").as_deref(),
            Some(dashed)
        );
        assert_eq!(parse_id("AAA"), None);
        assert_eq!(parse_id("zf2b7c1e8a4d4c3e9b5a1d2e3f405162"), None);
    }

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        assert_eq!(derive_id("ws", "a"), derive_id("ws", "a"));
        assert_ne!(derive_id("ws", "a"), derive_id("ws", "b"));
        assert_ne!(derive_id("ws", "a"), derive_id("other", "a"));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("%3AUPp"), ":UPp");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("title"), "title");
    }
}
