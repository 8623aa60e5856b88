//! [`DeleteRecord`]: one chunk id a consumer must delete from its vector
//! store, a row of a run's `deletes.parquet`.

use arrow_array::ArrayRef;
use arrow_array::RecordBatch;
use arrow_schema::Schema;

use super::{require_non_empty, sealed::RecordType};
use crate::columns::{
    self, ColumnSpec,
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

    fn to_columns(schema: &Schema, rows: &[Self]) -> Result<Vec<ArrayRef>, String> {
        columns::to_arrays(schema, rows)
    }

    fn from_batch(batch: &RecordBatch) -> Result<Vec<Self>, String> {
        columns::from_batch(batch)
    }
}
