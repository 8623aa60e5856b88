//! Tables: Notion tables as GFM pipe tables.
//!
//! The header row is the first row when the table has a column header;
//! otherwise the table gets an empty header row, so it still reads as a
//! table. Each cell is inline Markdown on one line: `|` is escaped and line
//! breaks become `<br>`. A table is as wide as its widest row, since GFM drops
//! cells beyond the header's count.

use notion_source::model::{Block, BlockKind, RichText, Table, TableRow};

use crate::blocks::Renderer;
use crate::escape::InlineContext;
use crate::rich_text::inline_runs;
use crate::writer::Separator;

/// A row to write: its cells, and the block to record a span for (none for
/// a stray row, whose block already has one).
struct Row<'b> {
    block: Option<&'b Block>,
    cells: &'b [Vec<RichText>],
}

impl<'a> Renderer<'a> {
    /// A `table` block: its `table_row` children as a pipe table, each row
    /// with its own span; any other children (and the rows' own, should
    /// any come) follow the table.
    pub(crate) fn table(&mut self, table: &Table, children: &'a [Block]) {
        let rows: Vec<Row<'_>> = children
            .iter()
            .filter(|b| !b.is_trashed())
            .filter_map(|b| match &b.kind {
                BlockKind::TableRow(row) => Some(Row {
                    block: Some(b),
                    cells: &row.cells,
                }),
                _ => None,
            })
            .collect();
        if let Some((first, rest)) = rows.split_first() {
            let width = table.table_width as usize;
            if table.has_column_header {
                self.pipe_table(Some(first), rest, width);
            } else {
                self.pipe_table(None, &rows, width);
            }
        }
        self.blocks_after(
            children
                .iter()
                .filter(|b| !b.is_trashed())
                .flat_map(|b| match b.kind {
                    BlockKind::TableRow(_) => b.children.as_slice(),
                    _ => std::slice::from_ref(b),
                }),
        );
    }

    /// A `table_row` outside a table: a one-row table without a header.
    pub(crate) fn stray_table_row(&mut self, row: &TableRow) {
        let row = Row {
            block: None,
            cells: &row.cells,
        };
        self.pipe_table(None, std::slice::from_ref(&row), 0);
    }

    /// Header line (empty cells without a header row), delimiter line, body lines.
    fn pipe_table(&mut self, header: Option<&Row<'_>>, body: &[Row<'_>], min_width: usize) {
        let width = header
            .into_iter()
            .chain(body)
            .map(|row| row.cells.len())
            .chain([min_width, 1])
            .max()
            .unwrap_or(1);
        match header {
            Some(row) => self.row(row, width),
            None => self.row(
                &Row {
                    block: None,
                    cells: &[],
                },
                width,
            ),
        }
        self.w.begin(Separator::Line);
        self.w.write("|");
        for _ in 0..width {
            self.w.write(" --- |");
        }
        for row in body {
            self.w.begin(Separator::Line);
            self.row(row, width);
        }
    }

    /// `| a | b |`, padded with empty cells to `width`.
    fn row(&mut self, row: &Row<'_>, width: usize) {
        let span = row.block.map(|block| self.open_span(block));
        let start = self.w.len();
        self.w.write("|");
        for i in 0..width {
            self.w.write(" ");
            if let Some(cell) = row.cells.get(i) {
                let runs = inline_runs(cell, self.ctx);
                self.write_inline(&runs, InlineContext::TableCell);
            }
            self.w.write(" |");
        }
        if let Some(span) = span {
            self.close_span(span, start);
        }
    }
}
