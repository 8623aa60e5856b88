//! [`DeleteRecord`]: one chunk id a consumer must delete from its vector
//! store, a row of a run's `deletes.parquet`.

use arrow::array::ArrayRef;

use super::{require_non_empty, sealed::RecordType};
use crate::columns::{
    self, BatchColumns, ColumnSpec,
    ColumnType::Text,
    Values::{Distinct, Repeated},
};

/// A chunk to delete, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeleteRecord {
    /// The chunk's id (as in `chunks.chunk_id`).
    pub chunk_id: String,
    /// The page it belonged to.
    pub page_id: String,
    /// Why: `chunk_removed` (the page got shorter), `trashed`, `archived`,
    /// `not_found` (deleted or no longer shared).
    pub reason: String,
    /// The run that found it gone.
    pub run_id: String,
}

/// The columns of `deletes`, in file order.
const COLUMNS: &[ColumnSpec] = &[
    ColumnSpec::required("chunk_id", Text, Distinct),
    ColumnSpec::required("page_id", Text, Repeated),
    ColumnSpec::required("reason", Text, Repeated),
    ColumnSpec::required("run_id", Text, Repeated),
];

impl RecordType for DeleteRecord {
    const KIND: &'static str = "deletes";
    const COLUMNS: &'static [ColumnSpec] = COLUMNS;

    fn id(&self) -> &str {
        &self.chunk_id
    }

    fn validate(&self) -> Result<(), String> {
        require_non_empty("chunk_id", &self.chunk_id)?;
        require_non_empty("page_id", &self.page_id)?;
        require_non_empty("run_id", &self.run_id)
    }

    fn approx_bytes(&self) -> usize {
        self.chunk_id.len() + self.page_id.len() + self.reason.len() + self.run_id.len() + 32
    }

    fn to_columns(rows: &[Self]) -> Vec<ArrayRef> {
        vec![
            columns::text(rows, |r| &r.chunk_id),
            columns::text(rows, |r| &r.page_id),
            columns::text(rows, |r| &r.reason),
            columns::text(rows, |r| &r.run_id),
        ]
    }

    fn from_columns(c: &BatchColumns<'_>, rows: usize) -> Result<Vec<Self>, String> {
        let (chunk_id, page_id, reason, run_id) = (
            c.text("chunk_id")?,
            c.text("page_id")?,
            c.text("reason")?,
            c.text("run_id")?,
        );
        (0..rows)
            .map(|i| {
                Ok(DeleteRecord {
                    chunk_id: columns::required_string(chunk_id, i, "chunk_id")?,
                    page_id: columns::required_string(page_id, i, "page_id")?,
                    reason: columns::required_string(reason, i, "reason")?,
                    run_id: columns::required_string(run_id, i, "run_id")?,
                })
            })
            .collect()
    }
}
