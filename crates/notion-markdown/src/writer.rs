//! The Markdown output buffer: writes blocks one after another with the right
//! separation, and repeats container prefixes (`> ` of a quote, the
//! indentation of a list item) at the start of every line written inside them.

/// What comes between the previous block and the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Separator {
    /// Nothing: the block continues the current line (the first child of an
    /// empty list item, or a block in a container that wrote nothing yet).
    None,
    /// A line break: items of one tight list.
    Line,
    /// A blank line: separate blocks.
    Blank,
}

/// Markdown being written, with the stack of container prefixes.
#[derive(Debug, Default)]
pub(crate) struct MarkdownWriter {
    out: String,
    /// The prefixes of the open containers, concatenated.
    prefix: String,
    /// The length of `prefix` before each push.
    prefix_marks: Vec<usize>,
    /// Nothing has been written on the current line yet (not even its prefix).
    at_line_start: bool,
}

impl MarkdownWriter {
    /// An empty buffer.
    pub(crate) fn new() -> Self {
        MarkdownWriter {
            at_line_start: true,
            ..MarkdownWriter::default()
        }
    }

    /// Bytes written so far: the offset of whatever comes next.
    pub(crate) fn len(&self) -> usize {
        self.out.len()
    }

    /// Starts a block: writes the separator and the line's prefix, and returns
    /// the offset where the block's own Markdown begins.
    pub(crate) fn begin(&mut self, separator: Separator) -> usize {
        if !self.out.is_empty() {
            match separator {
                Separator::None => {}
                Separator::Line => self.end_line(),
                Separator::Blank => {
                    self.end_line();
                    self.out.push_str(self.prefix.trim_end());
                    self.out.push('\n');
                }
            }
        }
        self.start_line();
        self.out.len()
    }

    /// Writes `text`; every line it starts gets the containers' prefix.
    pub(crate) fn write(&mut self, text: &str) {
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                self.end_line();
            }
            self.write_in_line(line);
        }
    }

    /// Opens a container whose lines start with `prefix` (after the current
    /// ones) until the matching [`pop_prefix`](Self::pop_prefix).
    pub(crate) fn push_prefix(&mut self, prefix: &str) {
        self.prefix_marks.push(self.prefix.len());
        self.prefix.push_str(prefix);
    }

    /// Opens a container whose lines are indented by `width` more spaces
    /// (a list item's content column).
    pub(crate) fn push_indent(&mut self, width: usize) {
        self.prefix_marks.push(self.prefix.len());
        self.prefix.extend(std::iter::repeat_n(' ', width));
    }

    /// Closes the innermost container.
    pub(crate) fn pop_prefix(&mut self) {
        let len = self.prefix_marks.pop().unwrap_or(0);
        self.prefix.truncate(len);
    }

    /// The state to return to with [`rollback`](Self::rollback).
    pub(crate) fn checkpoint(&self) -> (usize, bool) {
        (self.out.len(), self.at_line_start)
    }

    /// Forgets everything written since `checkpoint` (prefixes pushed since
    /// must have been popped).
    pub(crate) fn rollback(&mut self, (len, at_line_start): (usize, bool)) {
        self.out.truncate(len);
        self.at_line_start = at_line_start;
    }

    /// The Markdown, ending with a line break.
    pub(crate) fn finish(mut self) -> String {
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
        self.out
    }

    fn write_in_line(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.start_line();
        self.out.push_str(text);
    }

    /// Ends the current line; a line that got nothing still gets its prefix,
    /// trimmed (a blank line inside a quote is `>`).
    fn end_line(&mut self) {
        if self.at_line_start {
            self.out.push_str(self.prefix.trim_end());
        }
        self.out.push('\n');
        self.at_line_start = true;
    }

    fn start_line(&mut self) {
        if self.at_line_start {
            self.out.push_str(&self.prefix);
            self.at_line_start = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_every_line_and_blank_line() {
        let mut w = MarkdownWriter::new();
        w.begin(Separator::Blank);
        w.write("> ");
        w.push_prefix("> ");
        w.write("quote");
        let start = w.begin(Separator::Blank);
        w.write("- a\n\nb");
        w.pop_prefix();
        w.begin(Separator::Blank);
        w.write("after");
        let md = w.finish();
        assert_eq!(md, "> quote\n>\n> - a\n>\n> b\n\nafter\n");
        assert_eq!(&md[start..start + 3], "- a");
    }

    #[test]
    fn none_separator_continues_the_line() {
        let mut w = MarkdownWriter::new();
        w.begin(Separator::None);
        w.write("- ");
        w.push_prefix("  ");
        let start = w.begin(Separator::None);
        w.write("- x");
        w.begin(Separator::Line);
        w.write("- y");
        assert_eq!(start, 2);
        assert_eq!(w.finish(), "- - x\n  - y\n");
    }
}
