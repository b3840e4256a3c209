//! Tables handed to Python through the Arrow C stream interface (the `__arrow_c_stream__` PyCapsule protocol), so
//! that polars, pyarrow and pandas take the columns without a copy through files.

use std::ffi::CStr;
use std::sync::Arc;

use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, RecordBatch, RecordBatchIterator, StringArray, UInt32Array, UInt64Array,
};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use chokepoint_tables::{ColumnType, Table, Values};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// The capsule name the Arrow PyCapsule interface gives a stream.
const STREAM_CAPSULE: &CStr = c"arrow_array_stream";

/// The Arrow schema of `columns`: every field nullable, as polars reads them from Parquet.
pub fn schema(columns: chokepoint_tables::Schema) -> SchemaRef {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, ty)| {
            let dtype = match ty {
                ColumnType::Bool => DataType::Boolean,
                ColumnType::U32 => DataType::UInt32,
                ColumnType::U64 => DataType::UInt64,
                ColumnType::F64 => DataType::Float64,
                ColumnType::Text => DataType::Utf8,
            };
            Field::new(*name, dtype, true)
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// `table` as a record batch of `schema`, its columns moved rather than copied where Arrow allows.
pub fn batch(table: Table, schema: &SchemaRef) -> Result<RecordBatch, ArrowError> {
    let rows = table.rows();
    let arrays: Vec<ArrayRef> = table
        .into_columns()
        .into_iter()
        .map(|c| -> ArrayRef {
            match c.values {
                Values::Bool(v) => Arc::new(BooleanArray::from(v)),
                Values::U32(v) => Arc::new(UInt32Array::from(v)),
                Values::U64(v) => Arc::new(UInt64Array::from(v)),
                Values::F64(v) => Arc::new(Float64Array::from(v)),
                Values::OptionalF64(v) => Arc::new(Float64Array::from(v)),
                Values::OptionalU64(v) => Arc::new(UInt64Array::from(v)),
                Values::Text(v) => Arc::new(StringArray::from(v)),
                Values::OptionalText(v) => Arc::new(StringArray::from(v)),
                Values::Repeated(value) => Arc::new(StringArray::from_iter_values(std::iter::repeat_n(value, rows))),
            }
        })
        .collect();
    RecordBatch::try_new(schema.clone(), arrays)
}

/// An Arrow table held by the extension: record batches of one schema. Python reads it through
/// `__arrow_c_stream__` (polars: `pl.DataFrame(table)`, pyarrow: `pa.table(table)`), as often as it likes.
#[derive(Debug)]
#[pyclass(frozen, module = "chokepoint._native")]
pub struct ArrowTable {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

impl ArrowTable {
    /// The tables `tables` (each of `columns`), one record batch each, in order.
    pub fn new(columns: chokepoint_tables::Schema, tables: impl IntoIterator<Item = Table>) -> PyResult<Self> {
        let schema = schema(columns);
        let batches = tables
            .into_iter()
            .map(|t| batch(t, &schema))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| PyValueError::new_err(format!("could not build an Arrow table: {e}")))?;
        Ok(Self { schema, batches })
    }
}

#[pymethods]
impl ArrowTable {
    /// Exports the table as an Arrow C stream (the Arrow PyCapsule interface). A requested schema is not
    /// honoured: the table has one schema.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let reader = RecordBatchIterator::new(self.batches.clone().into_iter().map(Ok), self.schema.clone());
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        PyCapsule::new_with_value(py, stream, STREAM_CAPSULE)
    }

    /// The number of rows.
    fn __len__(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// The column names, in order.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.schema.fields().iter().map(|f| f.name().clone()).collect()
    }
}
