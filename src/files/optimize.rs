//! The files of `chokepoint optimize` beside `optimize.json` (whose type is in `documents/optimize.rs`):
//! `portfolios.csv` and `portfolios.parquet`, every portfolio evaluated.

use std::io::Write;

use polars::prelude::*;

use crate::documents::optimize::{OptimizeDocument, PortfolioJson};
use crate::files::tables::{Origin, write_parquet_from};

pub const OPTIMIZE_JSON_FILE: &str = "optimize.json";
pub const PORTFOLIOS_CSV_FILE: &str = "portfolios.csv";
pub const PORTFOLIOS_PARQUET_FILE: &str = "portfolios.parquet";

/// Writes `portfolios.csv` or `.parquet`: one row per portfolio evaluated, in the order run.
fn frame(doc: &OptimizeDocument) -> PolarsResult<DataFrame> {
    let rows = &doc.portfolios;
    let on_frontier = |p: &PortfolioJson| doc.frontier.iter().any(|f| f.members == p.members);
    let finite = |x: f64| x.is_finite().then_some(x);
    let f64s = |name: &str, f: &dyn Fn(&PortfolioJson) -> f64| {
        Column::new(name.into(), rows.iter().map(|p| finite(f(p))).collect::<Vec<Option<f64>>>())
    };
    let columns = vec![
        Column::new("members".into(), rows.iter().map(|p| p.members.join("+")).collect::<Vec<String>>()),
        Column::new("n_members".into(), rows.iter().map(|p| p.members.len() as u64).collect::<Vec<u64>>()),
        f64s("cost_usd", &|p| p.cost_usd),
        f64s("objective_mean", &|p| p.objective.mean),
        f64s("objective_ci95_low", &|p| p.objective.ci95_low),
        f64s("objective_ci95_high", &|p| p.objective.ci95_high),
        f64s("improvement_mean", &|p| p.improvement.avoided_mean),
        f64s("improvement_ci95_low", &|p| p.improvement.ci95_low),
        f64s("improvement_ci95_high", &|p| p.improvement.ci95_high),
        Column::new(
            "within_budget".into(),
            rows.iter().map(|p| p.cost_usd <= doc.question.budget_usd).collect::<Vec<bool>>(),
        ),
        Column::new("on_frontier".into(), rows.iter().map(on_frontier).collect::<Vec<bool>>()),
        Column::new("best".into(), rows.iter().map(|p| p.members == doc.best.members).collect::<Vec<bool>>()),
    ];
    DataFrame::new(rows.len(), columns)
}

/// Writes `portfolios.csv`.
pub fn write_csv<W: Write>(w: W, doc: &OptimizeDocument) -> anyhow::Result<()> {
    CsvWriter::new(w).include_header(true).finish(&mut frame(doc)?)?;
    Ok(())
}

/// Writes `portfolios.parquet` (zstd), with the run that made it in its key-value metadata.
pub fn write_parquet<W: Write>(w: W, doc: &OptimizeDocument) -> anyhow::Result<()> {
    write_parquet_from(w, &mut frame(doc)?, Origin::of(&doc.scenario, &doc.run))?;
    Ok(())
}
