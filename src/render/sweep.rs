//! The terminal report of `chokepoint sweep`: one row per point, a column per metric.

use crate::documents::sweep::{PointJson, SweepDocument};
use crate::files::sweep::{SWEEP_CSV_FILE, SWEEP_JSON_FILE};
use crate::render::table::{Align, Grid, TERMINAL_COLUMNS, Width, number, percent, thousands, wrap};
use chokepoint_analysis::portfolio::Objective;
use std::fmt::Write as _;
use std::path::Path;

/// The terminal report: one row per point, a column per metric (as many as fit in 100 columns unless `--wide`).
pub fn render(doc: &SweepDocument, out_dir: &Path, width: Width) -> String {
    let mut text = String::new();
    text.push_str(&wrap(
        &format!(
            "{} · sweep of {} · {} points{} · {} trials per point, the same draws at every point · seed\u{a0}{}",
            doc.scenario.name,
            doc.keys.join(" × "),
            doc.points.len(),
            if doc.zip { " (zipped)" } else { "" },
            thousands(doc.run.trials),
            doc.run.seed
        ),
        TERMINAL_COLUMNS,
    ));
    text.push('\n');
    let metrics = doc.table_metrics();
    let key_headers: Vec<String> = doc.keys.iter().map(|k| short_key(k)).collect();
    let cell = |p: &PointJson, m: Objective| {
        let (mean, lo, hi) = doc.value(p, m);
        match m {
            // Compact: "49.8% [47.6–51.9]".
            Objective::ShortOrLate { .. } => {
                let bare = |x: f64| percent(x).trim_end_matches('%').to_owned();
                format!("{} [{}–{}]", percent(mean), bare(lo.max(0.0)), bare(hi))
            }
            _ => format!("{} [{}, {}]", doc.format(m, mean), doc.format(m, lo.max(0.0)), doc.format(m, hi)),
        }
    };
    // Columns that fit: the keys, then metrics while the row stays within the terminal.
    let mut shown = metrics.len();
    if width == Width::Narrow {
        let widest = |header: &str, cells: &mut dyn Iterator<Item = String>| {
            cells.map(|c| c.chars().count()).fold(header.chars().count(), usize::max)
        };
        let mut used: usize = key_headers
            .iter()
            .enumerate()
            .map(|(k, h)| widest(h, &mut doc.points.iter().map(|p| number(p.values[k]))) + 2)
            .sum();
        shown = 0;
        for &m in &metrics {
            let w = widest(&doc.column(m), &mut doc.points.iter().map(|p| cell(p, m))) + 2;
            if used + w > TERMINAL_COLUMNS && shown > 0 {
                break;
            }
            used += w;
            shown += 1;
        }
    }
    let mut headers: Vec<(String, Align)> = key_headers.iter().map(|h| (h.clone(), Align::Right)).collect();
    headers.extend(metrics[..shown].iter().map(|&m| (doc.column(m), Align::Right)));
    let header_refs: Vec<(&str, Align)> = headers.iter().map(|(h, a)| (h.as_str(), *a)).collect();
    let grid = Grid::new(&header_refs);
    let mut grid = if width == Width::Wide { grid.unlimited() } else { grid };
    for p in &doc.points {
        let mut row: Vec<String> = p.values.iter().map(|v| number(*v)).collect();
        row.extend(metrics[..shown].iter().map(|&m| cell(p, m)));
        grid.row(row);
    }
    text.push_str(&grid.render());
    if shown < metrics.len() {
        let more = metrics.len() - shown;
        let _ = writeln!(
            text,
            "({more} more {}: --wide shows them; every end use and metric is in {SWEEP_CSV_FILE})",
            if more == 1 { "metric" } else { "metrics" }
        );
    }
    let changes: Vec<String> = doc.keys.iter().map(|k| format!("`{k}`")).collect();
    text.push('\n');
    text.push_str(&wrap(
        &format!(
            "Means with 95% intervals (P: the probability of being short or late, delay: the longest delay of a \
             unit in weeks, short: units short). Every point runs the same trials, so the change from one point to \
             another is what {} changes; its paired interval (in {SWEEP_JSON_FILE} and the report) is far tighter \
             than the levels'.",
            changes.join(" and ")
        ),
        TERMINAL_COLUMNS,
    ));
    let _ = writeln!(text, "\nOutputs in {}", out_dir.display());
    text
}

/// A key for a column header: its last two segments (`dytb_embargo.duration_weeks`).
pub fn short_key(key: &str) -> String {
    let parts: Vec<&str> = key.split('.').collect();
    if parts.len() <= 2 { key.to_owned() } else { parts[parts.len() - 2..].join(".") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_shorten_to_their_last_two_segments() {
        assert_eq!(short_key("disruptions.dytb_embargo.duration_weeks"), "dytb_embargo.duration_weeks");
        assert_eq!(short_key("horizon.years"), "horizon.years");
    }
}
