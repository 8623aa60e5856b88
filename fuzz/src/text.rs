//! Text that is hard to handle: Markdown metacharacters and the fragments
//! that start blocks, odd Unicode (CJK, right-to-left, combining marks,
//! emoji sequences, zero-width and bidi controls, U+FFFD where a lone
//! surrogate was repaired, NUL), line breaks of every kind, and now and then
//! a huge line or a huge word.

use crate::rng::Rng;

/// Pieces text is made of.
const FRAGMENTS: &[&str] = &[
    "word",
    "Notion",
    "the",
    " ",
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "\n\n",
    "1. ",
    "1.",
    "2) ",
    "0.0",
    "# ",
    "#",
    " #",
    "###### ",
    "####### ",
    "- ",
    "-",
    "---",
    "+ ",
    "* ",
    "*",
    "**",
    "_",
    "__",
    "~",
    "~~",
    "~~~",
    "`",
    "```",
    "$",
    "$$",
    " $ ",
    "\\",
    "\\*",
    "[",
    "]",
    "[x]",
    "](",
    "![",
    "<",
    ">",
    "> ",
    "<br>",
    "<div>",
    "</a>",
    "<!--",
    "-->",
    "&",
    "&amp;",
    "&#35;",
    "&#x1F;",
    "|",
    " | ",
    "{",
    "}",
    "\\frac{a}{b}",
    "=",
    "==",
    ":",
    "http://x.io/a_(b)",
    "é",
    "e\u{301}",
    "a\u{301}\u{302}\u{303}\u{304}\u{305}",
    "日本語",
    "中文。",
    "「引用」",
    "한국어",
    "العربية",
    "עברית",
    "\u{202E}rtl\u{202C}",
    "\u{200B}",
    "\u{200D}",
    "\u{FEFF}",
    "\u{2028}",
    "\u{2029}",
    "\u{A0}",
    "\u{3000}",
    "\u{FFFD}",
    "\u{0}",
    "\u{1}",
    "\u{7F}",
    "\u{85}",
    "\u{B}",
    "\u{C}",
    "🙂",
    "👍🏽",
    "👨\u{200D}👩\u{200D}👧\u{200D}👦",
    "🇯🇵",
    "\u{10FFFF}",
    "\u{E000}",
    "\u{D7FF}",
    "ﬁ",
    "ß",
    "İ",
    "ǅ",
    "𝔘𝔫𝔦",
    "x\u{20DD}",
];

/// Up to `max` bytes of odd text (mostly short).
pub fn odd_text(rng: &mut Rng, max: usize) -> String {
    let mut out = String::new();
    match rng.below(20) {
        // A huge word: no space to split at.
        0 => {
            let len = rng.size(max);
            let unit = *rng.pick(&["a", "日", "🙂", "e\u{301}", "*", "\\"]);
            while out.len() + unit.len() <= len {
                out.push_str(unit);
            }
        }
        // One fragment repeated.
        1 => {
            let unit = *rng.pick(FRAGMENTS);
            let times = rng.size(max / unit.len().max(1));
            out = unit.repeat(times);
        }
        _ => {
            let pieces = rng.size(24).max(1);
            for _ in 0..pieces {
                let piece = *rng.pick(FRAGMENTS);
                if out.len() + piece.len() > max {
                    break;
                }
                out.push_str(piece);
            }
        }
    }
    out
}

/// A URL that is odd in some way (spaces, parentheses, brackets, quotes,
/// relative, a signed Notion file URL that must never be written).
pub fn odd_url(rng: &mut Rng) -> String {
    let base = *rng.pick(&[
        "https://example.com/a_(b)",
        "https://x.org/?q=a b|c<d>\"e\"",
        "/0123456789abcdef0123456789abcdef",
        "https://example.com/",
        "javascript:alert(1)",
        "",
        "  ",
        "https://x.org/path with spaces/🙂",
        "https://x.org/a)b(c[d]e",
        "mailto:a@b.c",
        "https://x.org/\\back\\slash",
    ]);
    let mut url = base.to_string();
    if rng.chance(20) {
        url.push_str(&odd_text(rng, 40).replace(['\n', '\r'], ""));
    }
    url
}

/// The marker every generated Notion-hosted file URL carries: it must never
/// reach the Markdown.
pub const SIGNED_URL_MARKER: &str = "X-Amz-Signature=FUZZSECRET";

/// A signed Notion-hosted file URL.
pub fn signed_url(rng: &mut Rng) -> String {
    format!(
        "https://prod-files-secure.s3.us-west-2.amazonaws.com/ws/{}/file.pdf?{SIGNED_URL_MARKER}&n={}",
        rng.below(1000),
        rng.below(1000)
    )
}
