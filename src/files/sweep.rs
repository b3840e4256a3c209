//! The files of `chokepoint sweep` beside `sweep.json` (whose type is in `documents/sweep.rs`): `sweep.csv` and
//! `sweep.parquet`, the same numbers, one row per point, end use and metric.

use std::io::Write;

use polars::prelude::*;

use crate::documents::sweep::SweepDocument;
use crate::files::tables::{Origin, write_parquet_from};

pub const SWEEP_JSON_FILE: &str = "sweep.json";
pub const SWEEP_CSV_FILE: &str = "sweep.csv";
pub const SWEEP_PARQUET_FILE: &str = "sweep.parquet";

/// `sweep.csv` and `sweep.parquet`: one row per point, end use (empty for the loss) and metric.
fn frame(doc: &SweepDocument) -> PolarsResult<DataFrame> {
    struct Row {
        point: u64,
        end_use: String,
        metric: &'static str,
        mean: f64,
        low: f64,
        high: f64,
        change: f64,
        change_low: f64,
        change_high: f64,
    }
    let mut rows: Vec<Row> = Vec::new();
    for (i, p) in doc.points.iter().enumerate() {
        let point = i as u64;
        let c = &p.loss_change;
        rows.push(Row {
            point,
            end_use: String::new(),
            metric: "loss",
            mean: p.loss.mean,
            low: p.loss.ci95_low,
            high: p.loss.ci95_high,
            change: c.mean,
            change_low: c.ci95_low,
            change_high: c.ci95_high,
        });
        for (e, x) in doc.end_uses.iter().zip(&p.end_uses) {
            let s = &x.short_or_late;
            let sc = &x.short_or_late_change;
            rows.push(Row {
                point,
                end_use: e.name.clone(),
                metric: "short_or_late",
                mean: s.p,
                low: s.ci95_low,
                high: s.ci95_high,
                change: sc.delta,
                change_low: sc.ci95_low,
                change_high: sc.ci95_high,
            });
            for (metric, d, c) in [
                ("units_short", &x.units_short, &x.units_short_change),
                ("max_delay_weeks", &x.max_delay_weeks, &x.max_delay_change),
            ] {
                rows.push(Row {
                    point,
                    end_use: e.name.clone(),
                    metric,
                    mean: d.mean,
                    low: d.ci95_low,
                    high: d.ci95_high,
                    change: c.mean,
                    change_low: c.ci95_low,
                    change_high: c.ci95_high,
                });
            }
        }
    }
    let finite = |x: f64| x.is_finite().then_some(x);
    let f64s = |name: &str, f: &dyn Fn(&Row) -> f64| {
        Column::new(name.into(), rows.iter().map(|r| finite(f(r))).collect::<Vec<Option<f64>>>())
    };
    let mut columns = vec![Column::new("point".into(), rows.iter().map(|r| r.point).collect::<Vec<u64>>())];
    for (k, key) in doc.keys.iter().enumerate() {
        let values: Vec<f64> = rows.iter().map(|r| doc.points[r.point as usize].values[k]).collect();
        columns.push(Column::new(key.as_str().into(), values));
    }
    columns.extend([
        Column::new("end_use".into(), rows.iter().map(|r| r.end_use.clone()).collect::<Vec<String>>()),
        Column::new("metric".into(), rows.iter().map(|r| r.metric.to_owned()).collect::<Vec<String>>()),
        f64s("mean", &|r| r.mean),
        f64s("ci95_low", &|r| r.low),
        f64s("ci95_high", &|r| r.high),
        f64s("change_from_first", &|r| r.change),
        f64s("change_ci95_low", &|r| r.change_low),
        f64s("change_ci95_high", &|r| r.change_high),
    ]);
    DataFrame::new(rows.len(), columns)
}

/// Writes `sweep.csv`.
pub fn write_csv<W: Write>(w: W, doc: &SweepDocument) -> anyhow::Result<()> {
    CsvWriter::new(w).include_header(true).finish(&mut frame(doc)?)?;
    Ok(())
}

/// Writes `sweep.parquet` (zstd), with the run that made it in its key-value metadata.
pub fn write_parquet<W: Write>(w: W, doc: &SweepDocument) -> anyhow::Result<()> {
    write_parquet_from(w, &mut frame(doc)?, Origin::of(&doc.scenario, &doc.run))?;
    Ok(())
}
