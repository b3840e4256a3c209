"""Bit-for-bit comparison of DataFrames: same columns, same types, same nulls, and floats with the same bits."""

from __future__ import annotations

import polars as pl
import pyarrow as pa


def assert_identical(actual: pl.DataFrame, expected: pl.DataFrame, what: str) -> None:
    """Fails unless `actual` and `expected` have the same schema and every value has the same bits (NaN included,
    -0.0 told from 0.0)."""
    assert actual.schema == expected.schema, f"{what}: schema\n{actual.schema}\n!=\n{expected.schema}"
    assert actual.height == expected.height, f"{what}: {actual.height} rows != {expected.height}"
    for name, dtype in actual.schema.items():
        a, e = actual[name], expected[name]
        if dtype == pl.Float64:
            a_bits = a.to_arrow().view(pa.uint64())
            e_bits = e.to_arrow().view(pa.uint64())
            assert a_bits.equals(e_bits), f"{what}: column `{name}` differs in its bits"
        else:
            assert a.equals(e, check_dtypes=True, null_equal=True), f"{what}: column `{name}` differs"
