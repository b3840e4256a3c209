//! The files and the terminal report of `chokepoint compare`: `compare.csv`, `paired_differences.parquet`,
//! `compare_run.json` (what varies: timings, threads) and the ranked tables. `docs/output-schema.md` describes
//! every column.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use polars::prelude::*;
use serde::Serialize;

use crate::comparison::{CompareDocument, Effect, EffectJson, VariantOutcome, snap};
use crate::output::{batches, label_column, parquet, schema, trial_column};
use crate::run_record::{RngRecord, ScenarioRecord};
use crate::scenario_source::{LoadedScenario, SourceDigest};
use crate::summary_json::{RNG_SEEDING, SCHEMA_VERSION, Tool, WarningJson, rng_name, warnings};
use crate::table::{Align, Grid, number, percent, thousands};

pub const COMPARE_CSV_FILE: &str = "compare.csv";
pub const COMPARE_JSON_FILE: &str = "compare.json";
pub const PAIRED_DIFFERENCES_FILE: &str = "paired_differences.parquet";
pub const COMPARE_RUN_FILE: &str = "compare_run.json";

/// Columns of `paired_differences.parquet`.
pub fn paired_differences_schema() -> Schema {
    use DataType::{Float64, String, UInt64};
    schema(&[
        ("option", String),
        ("end_use", String),
        ("trial", UInt64),
        ("baseline_units_short", Float64),
        ("option_units_short", Float64),
        ("units_short_avoided", Float64),
    ])
}

/// Writes `paired_differences.parquet`: one row per option, end use and trial, in that order.
pub fn write_paired_differences<W: Write>(
    w: W,
    end_uses: &[String],
    baseline: &VariantOutcome,
    options: &[(String, &VariantOutcome)],
) -> anyhow::Result<()> {
    let mut writer = parquet(w, &paired_differences_schema())?;
    for (name, option) in options {
        for (e, end_use) in end_uses.iter().enumerate() {
            let (base, opt) = (&baseline.units_short[e], &option.units_short[e]);
            for trials in batches(base.len()) {
                let b = &base[trials.clone()];
                let o = &opt[trials.clone()];
                let columns = vec![
                    label_column("option", name, trials.len()),
                    label_column("end_use", end_use, trials.len()),
                    trial_column(&trials),
                    Column::new("baseline_units_short".into(), b),
                    Column::new("option_units_short".into(), o),
                    Column::new("units_short_avoided".into(), b.iter().zip(o).map(|(b, o)| b - o).collect::<Vec<_>>()),
                ];
                writer.write_batch(&DataFrame::new(trials.len(), columns)?)?;
            }
        }
    }
    writer.finish()?;
    Ok(())
}

/// Writes `compare.csv`: one row per end use and option, in end-use order, then rank.
pub fn write_compare_csv<W: Write>(w: W, doc: &CompareDocument) -> anyhow::Result<()> {
    let rows: Vec<(&str, &str, &EffectJson)> =
        doc.end_uses.iter().flat_map(|e| e.options.iter().map(move |o| (e.name.as_str(), e.class, o))).collect();
    let baseline = |name: &str| doc.end_uses.iter().find(|e| e.name == name).map(|e| &e.baseline);
    let kind = |option: &str| doc.options.iter().find(|o| o.name == option).map_or("", |o| o.kind);
    let finite = |x: f64| x.is_finite().then_some(x);
    let f64s = |name: &str, f: &dyn Fn(&str, &EffectJson) -> Option<f64>| {
        Column::new(name.into(), rows.iter().map(|(e, _, o)| f(e, o)).collect::<Vec<Option<f64>>>())
    };
    let columns = vec![
        Column::new("end_use".into(), rows.iter().map(|r| r.0).collect::<Vec<_>>()),
        Column::new("class".into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()),
        Column::new("option".into(), rows.iter().map(|r| r.2.option.as_str()).collect::<Vec<_>>()),
        Column::new("option_kind".into(), rows.iter().map(|r| kind(&r.2.option)).collect::<Vec<_>>()),
        Column::new("rank".into(), rows.iter().map(|r| r.2.rank as u64).collect::<Vec<_>>()),
        Column::new("effect".into(), rows.iter().map(|r| effect_word(r.2.effect)).collect::<Vec<_>>()),
        f64s("baseline_mean_units_short", &|e, _| baseline(e).and_then(|b| finite(b.mean_units_short))),
        f64s("option_mean_units_short", &|_, o| finite(o.mean_units_short)),
        f64s("avoided_mean", &|_, o| finite(o.units_short_avoided.mean)),
        f64s("avoided_se", &|_, o| finite(o.units_short_avoided.se)),
        f64s("avoided_ci95_low", &|_, o| finite(o.units_short_avoided.ci95_low)),
        f64s("avoided_ci95_high", &|_, o| finite(o.units_short_avoided.ci95_high)),
        f64s("unpaired_se", &|_, o| finite(o.units_short_avoided.unpaired_se)),
        f64s("p_better", &|_, o| finite(o.p_better.p)),
        f64s("p_worse", &|_, o| finite(o.p_worse.p)),
        f64s("baseline_p_any_short", &|e, _| baseline(e).and_then(|b| finite(b.p_any_short.p))),
        f64s("option_p_any_short", &|_, o| finite(o.p_any_short.p)),
        f64s("delta_p_any_short", &|_, o| finite(o.delta_p_any_short.estimate)),
        f64s("delta_p_any_short_ci95_low", &|_, o| finite(o.delta_p_any_short.ci95_low)),
        f64s("delta_p_any_short_ci95_high", &|_, o| finite(o.delta_p_any_short.ci95_high)),
        f64s("delta_cvar95", &|_, o| finite(o.delta_cvar95)),
        f64s("cost_usd", &|_, o| finite(o.cost_usd)),
        f64s("cost_per_unit_avoided_usd", &|_, o| o.cost_per_unit_avoided_usd),
    ];
    let mut df = DataFrame::new(rows.len(), columns)?;
    CsvWriter::new(w).include_header(true).finish(&mut df)?;
    Ok(())
}

fn effect_word(e: Effect) -> &'static str {
    match e {
        Effect::Better => "better",
        Effect::Worse => "worse",
        Effect::None => "none",
    }
}

/// `compare_run.json`: how, when and where a comparison was made.
#[derive(Debug, Clone, Serialize)]
pub struct CompareRecord {
    pub schema_version: u32,
    pub tool: Tool,
    pub scenario: ScenarioRecord,
    /// The overlays given with `--mitigation FILE`, as named on this machine (the bases are in `scenario`).
    pub overlays: Vec<SourceDigest>,
    pub seed: u64,
    pub trials: u64,
    pub threads: usize,
    pub rng: RngRecord,
    /// The variants run, in order: `baseline`, then each option.
    pub variants: Vec<VariantTiming>,
    pub started_at: String,
    /// Seconds from the start to the outputs being written (excluding this file).
    pub wall_time_s: f64,
    /// Seconds spent running trials, over every variant.
    pub simulation_s: f64,
    /// Trials of every variant per second of simulation.
    pub trials_per_second: f64,
    pub warnings: Vec<WarningJson>,
    pub files: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VariantTiming {
    pub name: String,
    pub simulation_s: f64,
}

/// The settings and timings of a comparison.
#[derive(Debug, Clone)]
pub struct CompareRun {
    pub overlays: Vec<SourceDigest>,
    pub seed: u64,
    pub trials: u64,
    pub threads: usize,
    pub variants: Vec<VariantTiming>,
    pub started_at: String,
    pub wall_time_s: f64,
}

impl CompareRecord {
    pub fn new(loaded: &LoadedScenario, run: CompareRun, files: Vec<&'static str>) -> Self {
        let simulation_s: f64 = run.variants.iter().map(|v| v.simulation_s).sum();
        let all_trials = run.trials as f64 * run.variants.len() as f64;
        Self {
            schema_version: SCHEMA_VERSION,
            tool: Tool::this(),
            scenario: ScenarioRecord::of(loaded),
            overlays: run.overlays,
            seed: run.seed,
            trials: run.trials,
            threads: run.threads,
            rng: RngRecord { generator: rng_name(), seeding: RNG_SEEDING },
            variants: run.variants,
            started_at: run.started_at,
            wall_time_s: run.wall_time_s,
            simulation_s,
            trials_per_second: if simulation_s > 0.0 { all_trials / simulation_s } else { 0.0 },
            warnings: warnings(loaded),
            files,
        }
    }
}

/// The rows of `report.html`'s forest plot and cost charts: every option on every end use that is short in some
/// trial with or without some option (rounding residue shown as 0).
pub fn report_rows(doc: &CompareDocument) -> Vec<crate::report::ComparisonRow> {
    doc.end_uses
        .iter()
        .filter(|e| !never_short(e))
        .flat_map(|e| {
            let b = e.baseline.mean_units_short;
            e.options.iter().map(move |o| crate::report::ComparisonRow {
                option: o.option.clone(),
                end_use: e.name.clone(),
                mean_avoided: snap(o.units_short_avoided.mean, b),
                ci_low: snap(o.units_short_avoided.ci95_low, b),
                ci_high: snap(o.units_short_avoided.ci95_high, b),
                cost_usd: o.cost_usd,
            })
        })
        .collect()
}

/// What `report.html` says about the comparison.
pub fn report_meta(doc: &CompareDocument) -> crate::report::CompareMeta {
    crate::report::CompareMeta {
        scenario_name: doc.scenario.name.clone(),
        scenario_sha256: doc.scenario.sha256.clone(),
        seed: doc.run.seed,
        trials: doc.run.trials,
        horizon_weeks: doc.run.periods as f64 * doc.run.period_weeks,
        tool_version: doc.tool.version.to_owned(),
    }
}

/// Whether an end use is never short, with or without any option.
fn never_short(e: &crate::comparison::EndUseJson) -> bool {
    e.baseline.mean_units_short == 0.0
        && e.baseline.p_any_short.k == 0
        && e.options.iter().all(|o| o.mean_units_short == 0.0 && o.p_any_short.k == 0)
}

/// Renders the comparison: a ranked table per end use, then the overall ranking, then the output folder.
pub fn render(doc: &CompareDocument, out_dir: &Path) -> String {
    let mut text = String::new();
    let run = &doc.run;
    let _ = writeln!(
        text,
        "{} · {} trials per variant · seed {} · baseline and {} option{} on common random numbers · costs over {} year{}\n",
        doc.scenario.name,
        thousands(run.trials),
        run.seed,
        doc.options.len(),
        if doc.options.len() == 1 { "" } else { "s" },
        number(run.horizon_years),
        if run.horizon_years == 1.0 { "" } else { "s" },
    );
    let mut quiet = Vec::new();
    for e in &doc.end_uses {
        let b = &e.baseline;
        if never_short(e) {
            quiet.push(format!("{} ({})", e.name, e.class));
            continue;
        }
        let _ = writeln!(
            text,
            "{} ({}) · baseline: mean {} units short [{}, {}] · P(any shortfall) {}",
            e.name,
            e.class,
            number(b.mean_units_short),
            number(b.ci95_low.max(0.0)),
            number(b.ci95_high),
            percent(b.p_any_short.p),
        );
        let mut grid = Grid::new(&[
            ("rank", Align::Right),
            ("option", Align::Left),
            ("units short avoided [95% CI]", Align::Right),
            ("SE paired / unpaired", Align::Right),
            ("P(better) / P(worse)", Align::Right),
            ("ΔP(any shortfall) [95% CI]", Align::Right),
            ("ΔCVaR95", Align::Right),
            ("cost", Align::Right),
            ("cost per unit avoided", Align::Right),
        ]);
        for o in &e.options {
            let a = &o.units_short_avoided;
            let z = |x: f64| number(snap(x, b.mean_units_short));
            let d = &o.delta_p_any_short;
            grid.row(vec![
                o.rank.to_string(),
                o.option.clone(),
                format!("{} [{}, {}]{}", z(a.mean), z(a.ci95_low), z(a.ci95_high), marker(o.effect)),
                format!("{} / {}", z(a.se), z(a.unpaired_se)),
                format!("{} / {}", percent(o.p_better.p), percent(o.p_worse.p)),
                format!("{} [{}, {}]", points(d.estimate), points(d.ci95_low), points(d.ci95_high)),
                z(o.delta_cvar95),
                dollars(o.cost_usd),
                o.cost_per_unit_avoided_usd.map_or_else(|| "—".to_owned(), dollars),
            ]);
        }
        text.push_str(&grid.render());
        text.push('\n');
    }
    if !quiet.is_empty() {
        let _ = writeln!(text, "No shortfall in any trial, with or without any option: {}.\n", quiet.join(", "));
    }
    let _ = writeln!(
        text,
        "Overall: ranked by end uses improved minus worsened (+ / − above), then by mean share of shortfall avoided, \
         then by cost"
    );
    let mut grid = Grid::new(&[
        ("rank", Align::Right),
        ("option", Align::Left),
        ("kind", Align::Left),
        ("improved", Align::Right),
        ("worsened", Align::Right),
        ("mean share of shortfall avoided", Align::Right),
        ("cost", Align::Right),
    ]);
    for o in &doc.options {
        grid.row(vec![
            o.rank.to_string(),
            o.name.clone(),
            o.mitigation_kind.unwrap_or(o.kind).to_owned(),
            o.end_uses_improved.to_string(),
            o.end_uses_worsened.to_string(),
            o.mean_share_of_shortfall_avoided.map_or_else(|| "—".to_owned(), percent),
            dollars(o.cost.total_usd),
        ]);
    }
    text.push_str(&grid.render());
    let _ = writeln!(
        text,
        "\n+ / −: improved / worsened at 95%: the paired interval of units short avoided lies above / below 0, or, \
         when it contains 0, that of ΔP(any shortfall) lies below / above 0. ΔP in percentage points."
    );
    let _ = writeln!(text, "Outputs in {}", out_dir.display());
    text
}

fn marker(e: Effect) -> &'static str {
    match e {
        Effect::Better => " +",
        Effect::Worse => " −",
        Effect::None => "  ",
    }
}

/// A change of probability in percentage points, signed.
fn points(x: f64) -> String {
    if !x.is_finite() {
        return "-".to_owned();
    }
    let pp = x * 100.0;
    if pp == 0.0 { "0".to_owned() } else { format!("{pp:+.1}") }
}

fn dollars(x: f64) -> String {
    if x.is_finite() { format!("${}", number(x)) } else { "-".to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probability_changes_read_in_points() {
        assert_eq!(points(-0.2345), "-23.4");
        assert_eq!(points(0.0), "0");
        assert_eq!(points(0.001), "+0.1");
        assert_eq!(dollars(1_635_000.0), "$1.64M");
    }
}
