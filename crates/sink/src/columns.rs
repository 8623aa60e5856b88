//! Column specifications and the arrow plumbing shared by the record types.
//!
//! Each record type lists its columns once, as a table of [`ColumnSpec`]s;
//! the arrow schema, the Parquet encoding choices (dictionary, statistics) and
//! `SCHEMA.md`'s test all derive from that table. The arrays themselves are
//! derived from the records' serde shape by `serde_arrow` ([`to_arrays`],
//! [`from_batch`]): a record's field names are its columns' names, so no
//! column is built or read by hand.

use std::sync::Arc;

use arrow_array::ArrayRef;
use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde::{Deserialize, Serialize};

/// The arrow type of a column, in the few shapes the sink uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `Utf8`.
    Text,
    /// `List<Utf8>` with non-null items.
    TextList,
    /// `Int32`.
    Int32,
    /// `Timestamp(Microsecond, "UTC")`.
    TimestampUtc,
}

/// Whether a column's values repeat across rows, which decides its Parquet
/// encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    /// Few distinct values (ids of parents, titles, run id, timestamps):
    /// dictionary-encoded, with min/max statistics.
    Repeated,
    /// Mostly distinct, often long values (text, hashes, chunk ids): plain
    /// encoding, no statistics (min/max of prose helps no query).
    Distinct,
}

/// One column of a record type's table.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    /// The column name, equal to the record's field name where one exists.
    pub name: &'static str,
    /// Its arrow type.
    pub ty: ColumnType,
    /// Whether it may hold nulls.
    pub nullable: bool,
    /// How its values repeat.
    pub values: Values,
}

impl ColumnSpec {
    /// A column that is never null.
    pub const fn required(name: &'static str, ty: ColumnType, values: Values) -> Self {
        Self {
            name,
            ty,
            nullable: false,
            values,
        }
    }

    /// A column that may be null.
    pub const fn optional(name: &'static str, ty: ColumnType, values: Values) -> Self {
        Self {
            name,
            ty,
            nullable: true,
            values,
        }
    }

    fn data_type(&self) -> DataType {
        match self.ty {
            ColumnType::Text => DataType::Utf8,
            ColumnType::TextList => {
                DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, false)))
            }
            ColumnType::Int32 => DataType::Int32,
            ColumnType::TimestampUtc => {
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
            }
        }
    }

    /// The arrow field of this column.
    pub fn field(&self) -> Field {
        Field::new(self.name, self.data_type(), self.nullable)
    }
}

/// The arrow schema of a table of columns.
pub fn schema_of(columns: &[ColumnSpec]) -> SchemaRef {
    Arc::new(Schema::new(
        columns.iter().map(ColumnSpec::field).collect::<Vec<_>>(),
    ))
}

// ---- records <-> arrays, derived by serde_arrow ------------------------------

/// One array per field of `schema`, in order, from `rows`: a sequence of
/// records whose serde field names are the column names. Integers are checked
/// to fit their column (a `u32` above `i32::MAX` is an error, not a wrap).
pub fn to_arrays<T: Serialize + ?Sized>(
    schema: &Schema,
    rows: &T,
) -> Result<Vec<ArrayRef>, String> {
    serde_arrow::to_arrow(schema.fields(), rows).map_err(|error| error.to_string())
}

/// The records of a batch read back from a shard, matched to the record's
/// fields by column name. A missing column, a column of another type or a
/// null in a required column is an error naming the column.
pub fn from_batch<'de, T: Deserialize<'de>>(batch: &'de RecordBatch) -> Result<Vec<T>, String> {
    serde_arrow::from_record_batch(batch).map_err(|error| error.to_string())
}
