//! Named, typed columns and the tables made of them.

/// The type of a column's values; a column built from one of the `Optional` [`Values`] may hold nulls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// True or false.
    Bool,
    /// 32-bit unsigned integers.
    U32,
    /// 64-bit unsigned integers.
    U64,
    /// 64-bit floats.
    F64,
    /// UTF-8 text.
    Text,
}

/// The names and types of a table's columns, in order.
pub type Schema = &'static [(&'static str, ColumnType)];

/// The values of one column, one per row.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// True or false, one per row.
    Bool(Vec<bool>),
    /// 32-bit unsigned integers, one per row.
    U32(Vec<u32>),
    /// 64-bit unsigned integers, one per row.
    U64(Vec<u64>),
    /// 64-bit floats, one per row.
    F64(Vec<f64>),
    /// Floats where a row may have no value (null): a week that never came, a delay of demand that is never late.
    OptionalF64(Vec<Option<f64>>),
    /// Counts where a row may have no value (a rank among some rows only).
    OptionalU64(Vec<Option<u64>>),
    /// UTF-8 texts, one per row.
    Text(Vec<String>),
    /// Texts where a row may have no value.
    OptionalText(Vec<Option<String>>),
    /// One text on every row of the table (the end use or stage a batch of per-trial rows is about).
    Repeated(String),
}

impl Values {
    /// The type of the values.
    pub fn column_type(&self) -> ColumnType {
        match self {
            Values::Bool(_) => ColumnType::Bool,
            Values::U32(_) => ColumnType::U32,
            Values::U64(_) | Values::OptionalU64(_) => ColumnType::U64,
            Values::F64(_) | Values::OptionalF64(_) => ColumnType::F64,
            Values::Text(_) | Values::OptionalText(_) | Values::Repeated(_) => ColumnType::Text,
        }
    }

    /// The number of values, or `None` for a repeated text (which fits any number of rows).
    fn len(&self) -> Option<usize> {
        match self {
            Values::Bool(v) => Some(v.len()),
            Values::U32(v) => Some(v.len()),
            Values::U64(v) => Some(v.len()),
            Values::F64(v) => Some(v.len()),
            Values::OptionalF64(v) => Some(v.len()),
            Values::OptionalU64(v) => Some(v.len()),
            Values::Text(v) => Some(v.len()),
            Values::OptionalText(v) => Some(v.len()),
            Values::Repeated(_) => None,
        }
    }
}

/// A named column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The column's name in the file.
    pub name: &'static str,
    /// The column's values.
    pub values: Values,
}

impl Column {
    /// A column named `name` holding `values`.
    pub fn new(name: &'static str, values: Values) -> Self {
        Self { name, values }
    }
}

/// Columns of equal length, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    rows: usize,
    columns: Vec<Column>,
}

impl Table {
    /// A table of `rows` rows. Every column holds `rows` values, except repeated texts, which stand for `rows`
    /// copies of themselves.
    ///
    /// # Panics
    ///
    /// If a column's length differs from `rows`: the builders of this crate never make such a table.
    pub fn new(rows: usize, columns: Vec<Column>) -> Self {
        for c in &columns {
            assert!(c.values.len().is_none_or(|n| n == rows), "column `{}` does not have {rows} rows", c.name);
        }
        Self { rows, columns }
    }

    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The columns, in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The columns, to convert them without copying.
    pub fn into_columns(self) -> Vec<Column> {
        self.columns
    }

    /// Whether the table's names and types are `schema`'s, in its order.
    pub fn has_schema(&self, schema: Schema) -> bool {
        self.columns.len() == schema.len()
            && self.columns.iter().zip(schema).all(|(c, (name, ty))| c.name == *name && c.values.column_type() == *ty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "does not have 2 rows")]
    fn columns_of_another_length_are_refused() {
        Table::new(2, vec![Column::new("x", Values::F64(vec![1.0]))]);
    }

    #[test]
    fn a_repeated_text_fits_any_length() {
        let t = Table::new(3, vec![Column::new("x", Values::Repeated("a".into()))]);
        assert_eq!(t.rows(), 3);
        assert!(t.has_schema(&[("x", ColumnType::Text)]));
        assert!(!t.has_schema(&[("x", ColumnType::F64)]));
    }
}
