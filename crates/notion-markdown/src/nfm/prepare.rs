//! Readying a run of Markdown for pulldown-cmark so that it drops no text:
//! a line that reads as a link reference definition (`[label]: url`, which
//! CommonMark keeps out of the document) gets its `[` escaped, and a pipe
//! table whose rows have more cells than its header gets a wider header
//! (GFM drops the extra cells). Notion writes neither; arbitrary input may.

use std::borrow::Cow;

/// `run` with reference definitions neutralised and tables widened.
pub(crate) fn prepare(run: &str) -> Cow<'_, str> {
    if !run.contains('[') && !run.contains('|') {
        return Cow::Borrowed(run);
    }
    let lines: Vec<&str> = run.split('\n').collect();
    let mut out: Vec<Cow<'_, str>> = lines.iter().map(|l| Cow::Borrowed(*l)).collect();
    let mut offset = 0;
    for (i, line) in lines.iter().enumerate() {
        if let Some(at) = definition_bracket(run, offset, line) {
            out[i] = Cow::Owned(format!("{}\\{}", &line[..at], &line[at..]));
        }
        if i > 0 && is_delimiter_row(line) && lines[i - 1].contains('|') {
            widen_table(&lines, i, &mut out);
        }
        offset += line.len() + 1;
    }
    Cow::Owned(out.join("\n"))
}

/// Longest link label CommonMark reads.
const MAX_LABEL: usize = 999;

/// Where the `[` of a line is when the line (at `offset` in `run`) starts
/// a link reference definition: `[label]:`, the label perhaps running over
/// lines, holding no unescaped bracket.
fn definition_bracket(run: &str, offset: usize, line: &str) -> Option<usize> {
    let spaces = line.bytes().take_while(|&b| b == b' ').count();
    if spaces > 3 || line.as_bytes().get(spaces) != Some(&b'[') {
        return None;
    }
    let label = &run.as_bytes()[offset + spaces + 1..];
    let mut escaped = false;
    for (i, &b) in label.iter().enumerate().take(MAX_LABEL + 1) {
        match b {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b'[' => return None,
            b']' => return (label.get(i + 1) == Some(&b':')).then_some(spaces),
            _ => {}
        }
    }
    None
}

/// A GFM delimiter row: cells of dashes with optional colons, between pipes.
fn is_delimiter_row(line: &str) -> bool {
    let trimmed = line.trim();
    if !trimmed.contains('-') {
        return false;
    }
    let cells = split_cells(trimmed);
    !cells.is_empty()
        && cells.iter().all(|cell| {
            let cell = cell.trim().trim_start_matches(':').trim_end_matches(':');
            !cell.is_empty() && cell.bytes().all(|b| b == b'-')
        })
        && (trimmed.contains('|') || cells.len() > 1)
}

/// Pads the header and delimiter rows of the table whose delimiter row is
/// line `delimiter` to the widest of its rows.
fn widen_table<'a>(lines: &[&'a str], delimiter: usize, out: &mut [Cow<'a, str>]) {
    let header = split_cells(lines[delimiter - 1].trim()).len();
    let widest = lines[delimiter + 1..]
        .iter()
        .take_while(|l| !l.trim().is_empty())
        .map(|l| split_cells(l.trim()).len())
        .max()
        .unwrap_or(0);
    if widest <= header {
        return;
    }
    let extra = widest - header;
    let pad = |line: &str, cell: &str| {
        let mut line = line.trim_end().to_string();
        if !line.ends_with('|') {
            line.push_str(" |");
        }
        for _ in 0..extra {
            line.push_str(cell);
        }
        line
    };
    out[delimiter - 1] = Cow::Owned(pad(&out[delimiter - 1], "  |"));
    out[delimiter] = Cow::Owned(pad(&out[delimiter], " --- |"));
}

/// A table row's cells: split at pipes not escaped, the outer pipes dropped.
fn split_cells(row: &str) -> Vec<&str> {
    let mut cells = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, b) in row.bytes().enumerate() {
        match b {
            b'\\' if !escaped => escaped = true,
            b'|' if !escaped => {
                cells.push(&row[start..i]);
                start = i + 1;
            }
            _ => escaped = false,
        }
    }
    cells.push(&row[start..]);
    if row.starts_with('|') {
        cells.remove(0);
    }
    if row.ends_with('|') && !row.ends_with("\\|") && !cells.is_empty() {
        cells.pop();
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_escaped_links_are_not() {
        assert_eq!(prepare("[a]: b\n[c](d) e"), "\\[a]: b\n[c](d) e");
        assert_eq!(prepare("  [x]:y"), "  \\[x]:y");
        assert_eq!(prepare("[a\nb]: c"), "\\[a\nb]: c");
        assert_eq!(prepare("[a [b]: c"), "[a [b]: c");
    }

    #[test]
    fn tables_grow_to_their_widest_row() {
        assert_eq!(
            prepare("| a |\n| --- |\n| b | c | d |\n\n| e | f | g |"),
            "| a |  |  |\n| --- | --- | --- |\n| b | c | d |\n\n| e | f | g |"
        );
        assert_eq!(
            prepare("a | b\n--- | ---\nc | d"),
            "a | b\n--- | ---\nc | d"
        );
        assert_eq!(split_cells("| a \\| b | c |"), [" a \\| b ", " c "]);
    }
}
