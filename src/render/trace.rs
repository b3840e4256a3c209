//! The terminal tables of `chokepoint trace`: the mean export, import and throughput indices by month, one row
//! per series (the per-month averaging is presentation; every week of every series is in `flows.csv`).

use std::fmt::Write as _;

use chokepoint_analysis::flows::{Flows, Measure, WeekStats};

use crate::files::flows::FLOWS_CSV_FILE;
use crate::render::table::{Align, Grid, TERMINAL_COLUMNS};

/// Stage throughput indices shown in the monthly table: those that dip the most, at most this many.
const SHOWN_STAGES: usize = 6;

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
/// first half year month by month (as history's customs series run), then the recovery's milestones.
const SHOWN_MONTHS: [usize; 12] = [1, 2, 3, 4, 5, 6, 12, 24, 36, 9, 18, 30];

/// The terminal tables of `trace`: for each kind of index, one row per series and a column per month shown (every
/// week of every series is in `flows.csv`). Exports and throughput are against the same trials without
/// disruptions; cleared exports and imports against the run rate at the start of the horizon.
pub fn monthly_table(flows: &Flows) -> String {
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
