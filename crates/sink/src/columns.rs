//! Column specifications and the arrow plumbing shared by the record types.
//!
//! Each record type lists its columns once, as a table of [`ColumnSpec`]s;
//! the arrow schema, the Parquet encoding choices (dictionary, statistics) and
//! `SCHEMA.md`'s test all derive from that table. The helpers here turn a slice
//! of records into arrow arrays ([`text`], [`int32`], …) and read them back
//! ([`BatchColumns`]).

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Int32Array, ListArray, ListBuilder, StringArray, StringBuilder,
    TimestampMicrosecondArray,
};
use arrow::datatypes::{
    DataType, Field, Int32Type, Schema, SchemaRef, TimeUnit, TimestampMicrosecondType,
};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};

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

// ---- records -> arrays ----------------------------------------------------

/// A non-null `Utf8` column from one string field of each row.
pub fn text<R>(rows: &[R], get: impl Fn(&R) -> &str) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(rows.iter().map(get)))
}

/// A nullable `Utf8` column from one optional string field of each row.
pub fn optional_text<R>(rows: &[R], get: impl Fn(&R) -> Option<&str>) -> ArrayRef {
    Arc::new(rows.iter().map(get).collect::<StringArray>())
}

/// A `List<Utf8>` column from one list field of each row.
pub fn text_list<R>(rows: &[R], get: impl Fn(&R) -> &[String]) -> ArrayRef {
    let item = Arc::new(Field::new_list_field(DataType::Utf8, false));
    let mut builder = ListBuilder::new(StringBuilder::new()).with_field(item);
    for row in rows {
        for value in get(row) {
            builder.values().append_value(value);
        }
        builder.append(true);
    }
    Arc::new(builder.finish())
}

/// An `Int32` column from one `u32` field of each row. Values were checked to
/// fit by the record's validation.
pub fn int32<R>(rows: &[R], get: impl Fn(&R) -> u32) -> ArrayRef {
    Arc::new(Int32Array::from_iter_values(
        rows.iter()
            .map(|row| i32::try_from(get(row)).unwrap_or(i32::MAX)),
    ))
}

/// A `Timestamp(Microsecond, "UTC")` column from one optional time of each row.
pub fn timestamp<R>(rows: &[R], get: impl Fn(&R) -> Option<DateTime<Utc>>) -> ArrayRef {
    let micros = rows
        .iter()
        .map(|row| get(row).map(|time| time.timestamp_micros()));
    Arc::new(
        micros
            .collect::<TimestampMicrosecondArray>()
            .with_timezone("UTC"),
    )
}

// ---- arrays -> records ----------------------------------------------------

/// Typed, by-name access to the columns of a batch read back from a shard.
///
/// Every getter checks the column exists with the expected type, so a file of
/// another schema gives a clear message instead of a panic.
pub struct BatchColumns<'a> {
    batch: &'a RecordBatch,
}

impl<'a> BatchColumns<'a> {
    /// Wraps a batch.
    pub fn new(batch: &'a RecordBatch) -> Self {
        Self { batch }
    }

    fn column(&self, name: &str) -> Result<&'a ArrayRef, String> {
        self.batch
            .column_by_name(name)
            .ok_or_else(|| format!("column {name:?} is missing"))
    }

    fn wrong_type(name: &str, array: &ArrayRef) -> String {
        format!("column {name:?} has type {}", array.data_type())
    }

    /// A `Utf8` column.
    pub fn text(&self, name: &str) -> Result<&'a StringArray, String> {
        let array = self.column(name)?;
        array
            .as_string_opt::<i32>()
            .ok_or_else(|| Self::wrong_type(name, array))
    }

    /// A `List<Utf8>` column.
    pub fn text_list(&self, name: &str) -> Result<&'a ListArray, String> {
        let array = self.column(name)?;
        match array.as_list_opt::<i32>() {
            Some(list) if list.values().data_type() == &DataType::Utf8 => Ok(list),
            _ => Err(Self::wrong_type(name, array)),
        }
    }

    /// An `Int32` column.
    pub fn int32(&self, name: &str) -> Result<&'a Int32Array, String> {
        let array = self.column(name)?;
        array
            .as_primitive_opt::<Int32Type>()
            .ok_or_else(|| Self::wrong_type(name, array))
    }

    /// A microsecond timestamp column.
    pub fn timestamp(&self, name: &str) -> Result<&'a TimestampMicrosecondArray, String> {
        let array = self.column(name)?;
        array
            .as_primitive_opt::<TimestampMicrosecondType>()
            .ok_or_else(|| Self::wrong_type(name, array))
    }
}

/// The value at `row` of a nullable text column.
pub fn optional_string(array: &StringArray, row: usize) -> Option<String> {
    array.is_valid(row).then(|| array.value(row).to_owned())
}

/// The value at `row` of a non-null text column; a null is an error.
pub fn required_string(array: &StringArray, row: usize, name: &str) -> Result<String, String> {
    optional_string(array, row).ok_or_else(|| format!("column {name:?} is null at row {row}"))
}

/// The strings of row `row` of a list column.
pub fn string_list(array: &ListArray, row: usize) -> Vec<String> {
    let values = array.value(row);
    let strings = values.as_string::<i32>();
    strings
        .iter()
        .map(|value| value.unwrap_or_default().to_owned())
        .collect()
}

/// The value at `row` of an `Int32` column as a non-negative count or index.
pub fn unsigned(array: &Int32Array, row: usize, name: &str) -> Result<u32, String> {
    if array.is_null(row) {
        return Err(format!("column {name:?} is null at row {row}"));
    }
    u32::try_from(array.value(row)).map_err(|_| format!("column {name:?} is negative at row {row}"))
}

/// The value at `row` of a nullable timestamp column.
pub fn optional_time(array: &TimestampMicrosecondArray, row: usize) -> Option<DateTime<Utc>> {
    array
        .is_valid(row)
        .then(|| DateTime::from_timestamp_micros(array.value(row)))
        .flatten()
}

/// The value at `row` of a non-null timestamp column; a null is an error.
pub fn required_time(
    array: &TimestampMicrosecondArray,
    row: usize,
    name: &str,
) -> Result<DateTime<Utc>, String> {
    optional_time(array, row)
        .ok_or_else(|| format!("column {name:?} is null or out of range at row {row}"))
}
