//! The contextual header placed before a chunk's text in `embed_text`:
//! `Title > Section > Subsection\n\n`, kept within half the token budget. A
//! first heading equal to the title (as renderers write it) is not repeated.

use std::collections::HashMap;

use crate::encoding::Encoding;
use crate::outline::Outline;

/// Separator between the title and the headings of a header.
const SEPARATOR: &str = " > ";
/// What ends a header, before the chunk's text.
const TERMINATOR: &str = "\n\n";
/// What marks a header shortened to fit.
const ELLIPSIS: &str = "…";

/// Contextual headers of one document, built once per section.
pub(crate) struct Headers<'d> {
    title: Option<&'d str>,
    enabled: bool,
    /// A header may use at most this many tokens.
    budget: usize,
    encoding: &'static Encoding,
    built: HashMap<Option<usize>, String>,
}

impl<'d> Headers<'d> {
    /// Headers for a document titled `title`; all empty when not `enabled`.
    pub(crate) fn new(
        title: Option<&'d str>,
        enabled: bool,
        max_tokens: usize,
        encoding: &'static Encoding,
    ) -> Headers<'d> {
        Headers {
            title,
            enabled,
            budget: max_tokens / 2,
            encoding,
            built: HashMap::new(),
        }
    }

    /// The header of the section that starts with `heading` (`None`: before
    /// the first heading).
    pub(crate) fn get(&mut self, outline: &Outline, heading: Option<usize>) -> &str {
        if !self.enabled {
            return "";
        }
        let (title, budget, encoding) = (self.title, self.budget, self.encoding);
        self.built.entry(heading).or_insert_with(|| {
            let mut parts: Vec<String> = Vec::new();
            if let Some(title) = title {
                parts.push(title.split_whitespace().collect::<Vec<_>>().join(" "));
            }
            let path = outline.heading_path(heading);
            // Renderers often repeat the title as the first heading: say it once.
            let repeats_title = path.first().zip(parts.first()).is_some_and(|(h, t)| h == t);
            let path = if repeats_title { &path[1..] } else { &path[..] };
            parts.extend(path.iter().map(|h| (*h).to_owned()));
            parts.retain(|p| !p.is_empty());
            if parts.is_empty() {
                return String::new();
            }
            fit(&parts.join(SEPARATOR), budget, encoding)
        })
    }
}

/// `line` plus the terminator, cut short (with an ellipsis) to `budget` tokens.
fn fit(line: &str, budget: usize, encoding: &Encoding) -> String {
    let full = format!("{line}{TERMINATOR}");
    if encoding.count(&full) <= budget {
        return full;
    }
    // The longest prefix (in characters) that fits, by binary search.
    let cuts: Vec<usize> = line.char_indices().map(|(i, _)| i).collect();
    let shortened = |n: usize| format!("{}{ELLIPSIS}{TERMINATOR}", &line[..cuts[n]]);
    let (mut fits, mut too_long) = (0, cuts.len());
    while too_long - fits > 1 {
        let mid = (fits + too_long) / 2;
        if encoding.count(&shortened(mid)) <= budget {
            fits = mid;
        } else {
            too_long = mid;
        }
    }
    let header = shortened(fits);
    if encoding.count(&header) <= budget {
        header
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Tokenizer;

    #[test]
    fn long_headers_are_cut_to_half_the_budget() {
        let encoding = Encoding::get(Tokenizer::O200kBase);
        let outline = Outline::parse("# Section\n\ntext\n");
        let long_title = "word ".repeat(100);
        let mut headers = Headers::new(Some(&long_title), true, 64, encoding);
        let header = headers.get(&outline, outline.heading_at(12)).to_owned();
        assert!(header.ends_with("…\n\n"), "{header:?}");
        assert!(encoding.count(&header) <= 32);
        let mut short = Headers::new(Some("Page"), true, 64, encoding);
        assert_eq!(
            short.get(&outline, outline.heading_at(12)),
            "Page > Section\n\n"
        );
        assert_eq!(short.get(&outline, None), "Page\n\n");
        let mut same = Headers::new(Some("Section"), true, 64, encoding);
        assert_eq!(same.get(&outline, outline.heading_at(12)), "Section\n\n");
    }
}
