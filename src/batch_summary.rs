//! The cross-scenario summary of `chokepoint batch`: one row per scenario and end use with the headline figures
//! of its run, read back from the run's `summary.json` text (so that a scenario run now and one skipped as up to
//! date give the same row), written as `batch_summary.csv` and `batch_summary.parquet` and rendered as a
//! terminal table, Markdown or JSON.

use std::fmt::Write as _;
use std::io::Write;

use anyhow::Context;
use polars::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::table::{Align, END_USE_COLUMNS, Grid, number, percent};

pub const BATCH_CSV_FILE: &str = "batch_summary.csv";
pub const BATCH_PARQUET_FILE: &str = "batch_summary.parquet";

/// What `chokepoint batch` prints on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BatchFormat {
    /// A readable table.
    Table,
    /// The rows as a JSON array.
    Json,
    /// A Markdown table (for README files).
    Markdown,
}

/// Whether a scenario's outputs were made by this batch or kept from an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Ran,
    UpToDate,
}

impl RunStatus {
    pub fn label(self) -> &'static str {
        match self {
            RunStatus::Ran => "ran",
            RunStatus::UpToDate => "skipped (up to date)",
        }
    }
}

/// The headline figures of one end use in one scenario. Missing statistics (no short trial) are `None`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchRow {
    pub scenario: String,
    pub end_use: String,
    pub class: String,
    pub status: &'static str,
    pub seed: u64,
    pub trials: u64,
    /// SHA-256 of the scenario file's bytes.
    pub sha256: String,
    pub p_any_short: Option<f64>,
    pub p_any_short_ci95_low: Option<f64>,
    pub p_any_short_ci95_high: Option<f64>,
    pub mean_units_short: Option<f64>,
    pub mean_units_short_ci95_low: Option<f64>,
    pub mean_units_short_ci95_high: Option<f64>,
    pub p95_units_short: Option<f64>,
    pub cvar95_units_short: Option<f64>,
    /// Median week of the first shortfall, over the trials that were short.
    pub median_first_short_week: Option<f64>,
    pub mean_share_met: Option<f64>,
}

/// The rows of one run, from the text of its `summary.json`.
pub fn rows_of(summary_json: &str, status: RunStatus) -> anyhow::Result<Vec<BatchRow>> {
    let doc: Value = serde_json::from_str(summary_json).context("summary.json is not JSON")?;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let scenario = text(&doc["scenario"]["name"]);
    let sha256 = text(&doc["scenario"]["sha256"]);
    let seed = doc["run"]["seed"].as_u64().context("summary.json has no run.seed")?;
    let trials = doc["run"]["trials"].as_u64().context("summary.json has no run.trials")?;
    let end_uses = doc["end_uses"].as_array().context("summary.json has no end_uses")?;
    Ok(end_uses
        .iter()
        .map(|e| BatchRow {
            scenario: scenario.clone(),
            end_use: text(&e["name"]),
            class: text(&e["class"]),
            status: status.label(),
            seed,
            trials,
            sha256: sha256.clone(),
            p_any_short: e["p_any_short"]["p"].as_f64(),
            p_any_short_ci95_low: e["p_any_short"]["ci95_low"].as_f64(),
            p_any_short_ci95_high: e["p_any_short"]["ci95_high"].as_f64(),
            mean_units_short: e["units_short"]["mean"].as_f64(),
            mean_units_short_ci95_low: e["units_short"]["ci95_low"].as_f64(),
            mean_units_short_ci95_high: e["units_short"]["ci95_high"].as_f64(),
            p95_units_short: e["units_short"]["p95"].as_f64(),
            cvar95_units_short: e["units_short"]["cvar95"].as_f64(),
            median_first_short_week: e["first_short_week"]["p50"].as_f64(),
            mean_share_met: e["share_met"]["mean"].as_f64(),
        })
        .collect())
}

/// The rows as a DataFrame, columns in [`BatchRow`]'s order.
fn frame(rows: &[BatchRow]) -> PolarsResult<DataFrame> {
    let strings = |name: &str, f: &dyn Fn(&BatchRow) -> String| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<String>>())
    };
    let numbers = |name: &str, f: &dyn Fn(&BatchRow) -> Option<f64>| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<Option<f64>>>())
    };
    let columns = vec![
        strings("scenario", &|r| r.scenario.clone()),
        strings("end_use", &|r| r.end_use.clone()),
        strings("class", &|r| r.class.clone()),
        strings("status", &|r| r.status.to_owned()),
        Column::new("seed".into(), rows.iter().map(|r| r.seed).collect::<Vec<u64>>()),
        Column::new("trials".into(), rows.iter().map(|r| r.trials).collect::<Vec<u64>>()),
        strings("sha256", &|r| r.sha256.clone()),
        numbers("p_any_short", &|r| r.p_any_short),
        numbers("p_any_short_ci95_low", &|r| r.p_any_short_ci95_low),
        numbers("p_any_short_ci95_high", &|r| r.p_any_short_ci95_high),
        numbers("mean_units_short", &|r| r.mean_units_short),
        numbers("mean_units_short_ci95_low", &|r| r.mean_units_short_ci95_low),
        numbers("mean_units_short_ci95_high", &|r| r.mean_units_short_ci95_high),
        numbers("p95_units_short", &|r| r.p95_units_short),
        numbers("cvar95_units_short", &|r| r.cvar95_units_short),
        numbers("median_first_short_week", &|r| r.median_first_short_week),
        numbers("mean_share_met", &|r| r.mean_share_met),
    ];
    DataFrame::new(rows.len(), columns)
}

/// Writes `batch_summary.csv`.
pub fn write_csv<W: Write>(w: W, rows: &[BatchRow]) -> anyhow::Result<()> {
    CsvWriter::new(w).include_header(true).finish(&mut frame(rows)?)?;
    Ok(())
}

/// Writes `batch_summary.parquet` (zstd).
pub fn write_parquet<W: Write>(w: W, rows: &[BatchRow]) -> anyhow::Result<()> {
    ParquetWriter::new(w).with_compression(ParquetCompression::Zstd(None)).finish(&mut frame(rows)?)?;
    Ok(())
}

fn opt(x: Option<f64>, f: fn(f64) -> String) -> String {
    x.map_or_else(|| "-".to_owned(), f)
}

/// The cells of a row, as the terminal and Markdown tables show them.
fn cells(r: &BatchRow) -> Vec<String> {
    let proportion = format!(
        "{} [{}, {}]",
        opt(r.p_any_short, percent),
        opt(r.p_any_short_ci95_low, percent),
        opt(r.p_any_short_ci95_high, percent)
    );
    let mean = format!(
        "{} [{}, {}]",
        opt(r.mean_units_short, number),
        opt(r.mean_units_short_ci95_low.map(|x| x.max(0.0)), number),
        opt(r.mean_units_short_ci95_high, number)
    );
    vec![
        r.scenario.clone(),
        r.end_use.clone(),
        r.class.clone(),
        proportion,
        mean,
        opt(r.p95_units_short, number),
        opt(r.cvar95_units_short, number),
        r.median_first_short_week.map_or_else(|| "never".to_owned(), |w| format!("week {}", number(w))),
        opt(r.mean_share_met, percent),
        r.status.to_owned(),
    ]
}

/// The columns of the tables: the scenario, those of `chokepoint run`'s table of end uses, then the status.
fn headers() -> Vec<(&'static str, Align)> {
    let mut headers = vec![("scenario", Align::Left)];
    headers.extend_from_slice(&END_USE_COLUMNS);
    headers.push(("status", Align::Left));
    headers
}

/// The terminal table.
pub fn render_table(rows: &[BatchRow]) -> String {
    let mut grid = Grid::new(&headers());
    for r in rows {
        grid.row(cells(r));
    }
    grid.render()
}

/// A Markdown table of the same cells (the status column is left out: it says how the outputs were made, not
/// what they are).
pub fn render_markdown(rows: &[BatchRow]) -> String {
    let headers = headers();
    let shown = headers.len() - 1;
    let mut text = String::new();
    let header: Vec<&str> = headers[..shown].iter().map(|(h, _)| *h).collect();
    let _ = writeln!(text, "| {} |", header.join(" | "));
    let rule: Vec<&str> =
        headers[..shown].iter().map(|(_, a)| if *a == Align::Left { "---" } else { "---:" }).collect();
    let _ = writeln!(text, "|{}|", rule.join("|"));
    for r in rows {
        let c = cells(r);
        let _ = writeln!(text, "| {} |", c[..shown].join(" | "));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUMMARY: &str = r#"{
      "scenario": { "name": "s", "sha256": "ab" },
      "run": { "seed": 3, "trials": 10 },
      "end_uses": [
        { "name": "ev", "class": "other",
          "p_any_short": { "k": 1, "n": 10, "p": 0.1, "ci95_low": 0.02, "ci95_high": 0.4 },
          "units_short": { "mean": 5.0, "ci95_low": -1.0, "ci95_high": 11.0, "p95": 40.0, "cvar95": 50.0 },
          "share_met": { "mean": 0.99 },
          "first_short_week": { "p50": 12.0 } },
        { "name": "f35", "class": "defense",
          "p_any_short": { "k": 0, "n": 10, "p": 0.0, "ci95_low": 0.0, "ci95_high": 0.28 },
          "units_short": { "mean": 0.0, "ci95_low": 0.0, "ci95_high": 0.0, "p95": 0.0, "cvar95": 0.0 },
          "share_met": { "mean": 1.0 },
          "first_short_week": null }
      ]
    }"#;

    #[test]
    fn rows_carry_the_headline_figures() {
        let rows = rows_of(SUMMARY, RunStatus::UpToDate).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].scenario.as_str(), rows[0].seed, rows[0].trials), ("s", 3, 10));
        assert_eq!((rows[0].p_any_short, rows[0].median_first_short_week), (Some(0.1), Some(12.0)));
        assert_eq!((rows[1].median_first_short_week, rows[1].status), (None, "skipped (up to date)"));
    }

    #[test]
    fn markdown_has_one_line_per_row_and_no_status() {
        let rows = rows_of(SUMMARY, RunStatus::Ran).unwrap();
        let md = render_markdown(&rows);
        assert_eq!(md.lines().count(), 4);
        assert!(md.contains("| s | ev | other | 10.0% [2.0%, 40.0%] | 5 [0, 11] | 40 | 50 | week 12 | 99.0% |"));
        assert!(!md.contains("ran"));
    }
}
