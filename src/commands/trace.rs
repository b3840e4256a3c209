//! `chokepoint trace`: simulate a few trials with the engine's period-by-period trace, each also without the
//! scenario's disruptions, and write their weekly flows (`flows.parquet`, `flows.csv`) with a monthly table of
//! the export and throughput indices (see `crate::flows`).
//!
//! Trials run one after the other on one thread (traces are large); trial `i` is trial `i` of `chokepoint run`
//! with the same seed, so its outcome is the one `trials.parquet` reports.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, anyhow};
use chokepoint_engine::Model;
use chokepoint_engine::outcome::Trace;
use chokepoint_engine::trial::{Scratch, simulate};
use serde::Serialize;

use crate::cli::TraceArgs;
use crate::documents::summary::{SCHEMA_VERSION, Tool};
use crate::failure::Failure;
use crate::files::folders::OutputFolder;
use crate::files::staged::StagedFiles;
use crate::files::tables::{self, Origin};
use crate::flows::{self, FLOWS_CSV_FILE, FLOWS_PARQUET_FILE, Flows, Measure, WeekStats};
use crate::render::table::{Align, Grid, TERMINAL_COLUMNS};

pub const TRACE_JSON_FILE: &str = "trace.json";

/// Stage throughput indices shown in the monthly table: those that dip the most, at most this many.
const SHOWN_STAGES: usize = 6;

/// The record of a trace: what was traced.
#[derive(Debug, Serialize)]
struct TraceRecord {
    schema_version: u32,
    tool: Tool,
    scenario: String,
    origin: String,
    sha256: String,
    /// The `--set KEY=VALUE` settings applied, in order.
    settings: Vec<String>,
    seed: u64,
    trials: u64,
    with: Vec<String>,
    files: Vec<&'static str>,
}

pub fn trace(args: &TraceArgs) -> Result<(), Failure> {
    let loaded = super::open_scenario(&args.scenario, &args.set)?;
    let names: Vec<&str> = args.with.iter().map(String::as_str).collect();
    let model = loaded.scenario.variant(&names).map_err(crate::options::variant_failure)?;
    let mut calm_spec = model.spec().clone();
    calm_spec.disruptions.clear();
    let calm = Model::new(calm_spec).map_err(|e| anyhow!("could not remove the disruptions: {e:?}"))?;

    let series = flows::series_of(&model);
    let periods = model.periods();
    let trials = usize::try_from(args.trials).context("too many trials")?;
    // values[k][t * trials + i]
    let mut values = vec![vec![0.0; periods * trials]; series.len()];
    let (mut scratch, mut calm_scratch) = (Scratch::new(&model), Scratch::new(&calm));
    let (mut tr, mut calm_tr) = (Trace::default(), Trace::default());
    for i in 0..trials {
        simulate(&model, args.seed, i as u64, &mut scratch, Some(&mut tr));
        simulate(&calm, args.seed, i as u64, &mut calm_scratch, Some(&mut calm_tr));
        for (k, s) in series.iter().enumerate() {
            for t in 0..periods {
                values[k][t * trials + i] = flows::value(s, &tr, &calm_tr, t);
            }
        }
    }
    let stats: Vec<Vec<WeekStats>> =
        values.iter_mut().map(|v| v.chunks_exact_mut(trials).map(WeekStats::of).collect()).collect();
    let flows = Flows { series, period_weeks: model.spec().period_weeks, stats };

    let out_dir = match &args.out {
        Some(dir) => dir.clone(),
        None => crate::files::folders::scenario_folder(Path::new("out"), &loaded.scenario.name)?.join("trace"),
    };
    let folder = OutputFolder::create(&out_dir)?;
    let mut files = StagedFiles::new(&out_dir);
    let origin = Origin {
        scenario: &loaded.scenario.name,
        scenario_sha256: &loaded.sha256,
        seed: args.seed,
        trials: trials as u64,
    };
    files.write(FLOWS_PARQUET_FILE, |w| flows::write_parquet(w, &flows, origin))?;
    files.write(FLOWS_CSV_FILE, |w| flows::write_csv(w, &flows))?;
    let record = TraceRecord {
        schema_version: SCHEMA_VERSION,
        tool: Tool::this(),
        scenario: loaded.scenario.name.clone(),
        origin: loaded.origin.clone(),
        sha256: loaded.sha256.clone(),
        settings: loaded.settings.clone(),
        seed: args.seed,
        trials: args.trials,
        with: args.with.clone(),
        files: vec![FLOWS_PARQUET_FILE, FLOWS_CSV_FILE, TRACE_JSON_FILE],
    };
    tables::write_json(&mut files, TRACE_JSON_FILE, &record)?;
    files.commit()?;
    folder.keep();

    let mut text = format!(
        "{} · {} traced trials · seed {}{}\n\n",
        loaded.scenario.name,
        args.trials,
        args.seed,
        if args.with.is_empty() { String::new() } else { format!(" · with {}", args.with.join(", ")) }
    );
    text.push_str(&monthly_table(&flows));
    let _ = writeln!(text, "\nOutputs in {}", out_dir.display());
    super::print_stdout(&text)?;
    Ok(())
}

/// The mean over the weeks of each month (52/12 weeks) of the mean weekly index.
fn monthly(stats: &[WeekStats], period_weeks: f64) -> Vec<f64> {
    let month_weeks = 52.0 / 12.0;
    let months = ((stats.len() as f64 * period_weeks) / month_weeks).floor() as usize;
    (0..months)
        .map(|m| {
            let in_month: Vec<f64> = stats
                .iter()
                .enumerate()
                .filter(|(t, _)| ((*t as f64 * period_weeks) / month_weeks).floor() as usize == m)
                .map(|(_, w)| w.mean)
                .collect();
            in_month.iter().sum::<f64>() / in_month.len().max(1) as f64
        })
        .collect()
}

/// Months shown in the terminal tables, in the order they are kept while the table fits the terminal: the
/// first half year week by week of history's customs series, then the recovery's milestones.
const SHOWN_MONTHS: [usize; 12] = [1, 2, 3, 4, 5, 6, 12, 24, 36, 9, 18, 30];

/// The terminal tables of `trace`: for each kind of index, one row per series and a column per month shown (every
/// week of every series is in `flows.csv`). Exports and throughput are against the same trials without
/// disruptions; cleared exports and imports against the run rate at the start of the horizon.
fn monthly_table(flows: &Flows) -> String {
    let mut exports: Vec<(String, Vec<f64>)> = Vec::new();
    let mut cleared: Vec<(String, Vec<f64>)> = Vec::new();
    let mut imports: Vec<(String, Vec<f64>)> = Vec::new();
    let mut stages: Vec<(String, Vec<f64>, f64)> = Vec::new();
    for (s, stats) in flows.series.iter().zip(&flows.stats) {
        let m = monthly(stats, flows.period_weeks);
        match s.measure {
            Measure::ExportIndex { .. } => exports.push((format!("{} {}", s.node, s.material), m)),
            Measure::ClearedExportIndex { .. } if s.material.is_empty() => {
                cleared.push((format!("{} to end uses", s.node), m));
            }
            Measure::ClearedExportIndex { .. } => cleared.push((format!("{} {}", s.node, s.material), m)),
            Measure::ImportIndex { .. } => imports.push((format!("{} {}", s.node, s.material), m)),
            Measure::ThroughputIndex { .. } => {
                let low = m.iter().copied().fold(f64::INFINITY, f64::min);
                if low < 0.98 {
                    stages.push((s.node.clone(), m, low));
                }
            }
            _ => {}
        }
    }
    // Imports of the first material of each stage only (Dy and Tb move together), to keep the table short.
    imports.dedup_by(|a, b| a.0.split(' ').next() == b.0.split(' ').next());
    stages.sort_by(|a, b| a.2.total_cmp(&b.2).then(a.0.cmp(&b.0)));
    let stages: Vec<(String, Vec<f64>)> = stages.into_iter().take(SHOWN_STAGES).map(|(name, m, _)| (name, m)).collect();
    let sections = [
        ("Exports at shipment, covered flows (1 = the same trials without disruptions)", "stage output", exports),
        ("Exports clearing export control, covered flows (1 = the run rate at the start)", "stage output", cleared),
        ("Imports on arrival, covered flows (1 = the run rate at the start)", "stage input", imports),
        ("Throughput of the stages that fall the most (1 = the same trials without disruptions)", "stage", stages),
    ];
    if sections.iter().all(|(_, _, rows)| rows.is_empty()) {
        return "No export is covered by a disruption and no stage's throughput falls by 2% or more in any month.\n"
            .to_owned();
    }
    let months = sections.iter().flat_map(|(_, _, rows)| rows.iter().map(|(_, m)| m.len())).min().unwrap_or(0);
    let label_width = sections
        .iter()
        .flat_map(|(_, header, rows)| rows.iter().map(|(name, _)| name.chars().count()).chain([header.len()]))
        .max()
        .unwrap_or(0);
    let cell = |x: f64| format!("{x:.2}");
    let cell_width = |month: usize| {
        let widest = sections
            .iter()
            .flat_map(|(_, _, rows)| rows.iter().map(|(_, m)| cell(m[month - 1]).chars().count()))
            .max()
            .unwrap_or(0);
        widest.max(format!("m{month}").len())
    };
    // Months are added in the order of SHOWN_MONTHS while the widest table still fits the terminal.
    let mut shown: Vec<usize> = Vec::new();
    let mut width = label_width;
    for month in SHOWN_MONTHS.into_iter().filter(|&m| m <= months) {
        let added = 2 + cell_width(month);
        if width + added > TERMINAL_COLUMNS {
            break;
        }
        width += added;
        shown.push(month);
    }
    shown.sort_unstable();
    let month_headers: Vec<String> = shown.iter().map(|m| format!("m{m}")).collect();
    let mut text = format!(
        "Mean index by month (m1: the first 52/12 weeks; every week of every series is in {FLOWS_CSV_FILE}).\n"
    );
    for (title, header, rows) in &sections {
        if rows.is_empty() {
            continue;
        }
        let mut headers: Vec<(&str, Align)> = vec![(header, Align::Left)];
        headers.extend(month_headers.iter().map(|h| (h.as_str(), Align::Right)));
        let mut grid = Grid::new(&headers);
        for (name, m) in rows {
            let mut row = vec![name.clone()];
            row.extend(shown.iter().map(|&month| cell(m[month - 1])));
            grid.row(row);
        }
        let _ = write!(text, "\n{title}:\n{}", grid.render());
    }
    text
}
