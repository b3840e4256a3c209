//! The cross-scenario table of `chokepoint batch`, for the terminal and as Markdown.

use crate::files::batch::BatchRow;
use crate::render::table::{Align, Grid, number, percent};
use std::fmt::Write as _;

fn opt(x: Option<f64>, f: fn(f64) -> String) -> String {
    x.map_or_else(|| "-".to_owned(), f)
}

/// The cells of a row, as the terminal and Markdown tables show them (after the scenario).
fn cells(r: &BatchRow) -> Vec<String> {
    // As `run` shows it: "38.4% [36.3–40.6]".
    let bare = |x: f64| percent(x).trim_end_matches('%').to_owned();
    let proportion = format!(
        "{} [{}–{}]",
        opt(r.p_short_or_late, percent),
        opt(r.p_short_or_late_ci95_low, bare),
        opt(r.p_short_or_late_ci95_high, bare)
    );
    let mean = format!(
        "{} [{}, {}]",
        opt(r.mean_units_short, number),
        opt(r.mean_units_short_ci95_low.map(|x| x.max(0.0)), number),
        opt(r.mean_units_short_ci95_high, number)
    );
    let weeks = |x: f64| format!("{} wk", number(x));
    vec![
        r.end_use.clone(),
        proportion,
        mean,
        opt(r.share_on_time, percent),
        opt(r.mean_delay_weeks, weeks),
        opt(r.p95_max_delay_weeks, weeks),
        r.median_first_short_week.map_or_else(|| "never".to_owned(), |w| format!("week {}", number(w))),
    ]
}

/// The columns after the scenario. A backlogged end use catches up, so its units short (still owed at the end)
/// and its share met can read 0 and 100 % while it is late: the share built on time and the delays say how late.
const COLUMNS: [(&str, Align); 7] = [
    ("end use", Align::Left),
    ("P(short or late) [95% CI]", Align::Right),
    ("units short [95% CI]", Align::Right),
    ("on time", Align::Right),
    ("mean delay", Align::Right),
    ("longest P95", Align::Right),
    ("first short/late", Align::Right),
];

/// The terminal table: one block per scenario, so that it fits a 100-column terminal.
pub fn render_table(rows: &[BatchRow]) -> String {
    let mut text = String::new();
    let mut start = 0;
    while start < rows.len() {
        let scenario = &rows[start].scenario;
        let end = start + rows[start..].iter().take_while(|r| &r.scenario == scenario).count();
        let _ = writeln!(text, "{}{scenario} · {}", if start > 0 { "\n" } else { "" }, rows[start].status);
        let mut grid = Grid::new(&COLUMNS);
        for r in &rows[start..end] {
            grid.row(cells(r));
        }
        text.push_str(&grid.render());
        start = end;
    }
    text
}

/// A Markdown table of the same cells, with the scenario as the first column (the status is left out: it says
/// how the outputs were made, not what they are).
pub fn render_markdown(rows: &[BatchRow]) -> String {
    let mut headers = vec![("scenario", Align::Left)];
    headers.extend_from_slice(&COLUMNS);
    let mut text = String::new();
    let header: Vec<&str> = headers.iter().map(|(h, _)| *h).collect();
    let _ = writeln!(text, "| {} |", header.join(" | "));
    let rule: Vec<&str> = headers.iter().map(|(_, a)| if *a == Align::Left { "---" } else { "---:" }).collect();
    let _ = writeln!(text, "|{}|", rule.join("|"));
    for r in rows {
        let mut c = vec![r.scenario.clone()];
        c.extend(cells(r));
        let _ = writeln!(text, "| {} |", c.join(" | "));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::batch::RunStatus;

    fn row(scenario: &str, end_use: &str, p: f64, delay: Option<f64>) -> BatchRow {
        BatchRow {
            scenario: scenario.into(),
            end_use: end_use.into(),
            class: "other".into(),
            unit: "units".into(),
            unmet_demand: if delay.is_some() { "backlog" } else { "lost" }.into(),
            status: RunStatus::Ran.label(),
            seed: 3,
            trials: 10,
            sha256: "ab".into(),
            p_short_or_late: Some(p),
            p_short_or_late_ci95_low: Some(0.02),
            p_short_or_late_ci95_high: Some(0.4),
            mean_units_short: Some(5.0),
            mean_units_short_ci95_low: Some(-1.0),
            mean_units_short_ci95_high: Some(11.0),
            p95_units_short: Some(40.0),
            cvar95_units_short: Some(50.0),
            median_first_short_week: Some(12.0),
            mean_share_met: Some(0.99),
            share_on_time: Some(0.97),
            mean_delay_weeks: delay,
            p95_max_delay_weeks: delay.map(|d| d * 3.0),
            mean_loss: Some(1.0),
            loss_unit: "USD".into(),
        }
    }

    #[test]
    fn markdown_has_one_line_per_row_and_no_status() {
        let rows = vec![row("s", "ev", 0.1, None), row("s", "f35", 0.2, Some(4.0))];
        let md = render_markdown(&rows);
        assert_eq!(md.lines().count(), 4);
        assert!(md.contains("| s | ev | 10.0% [2.0–40.0] | 5 [0, 11] | 97.0% | - | - | week 12 |"), "{md}");
        assert!(md.contains("| 97.0% | 4 wk | 12 wk | week 12 |"), "{md}");
        assert!(!md.contains("ran"));
    }

    #[test]
    fn the_table_has_a_block_per_scenario() {
        let rows = vec![row("a", "ev", 0.1, None), row("b", "ev", 0.2, None)];
        let text = render_table(&rows);
        assert!(text.starts_with("a · ran\n"), "{text}");
        assert!(text.contains("\nb · ran\n"), "{text}");
    }
}
