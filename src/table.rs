//! The terminal report of a run: a table per end use, then the stages that lose the most throughput.

use std::fmt::Write;
use std::path::Path;

use crate::summary_json::{DistributionJson, ProportionJson, SummaryDocument};

/// What `chokepoint run` prints on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// A readable table.
    Table,
    /// The summary document (`summary.json`).
    Json,
}

/// Stages listed in the report.
const TOP_STAGES: usize = 8;

/// The columns of the table of end uses, shared with `chokepoint batch`'s table.
pub const END_USE_COLUMNS: [(&str, Align); 8] = [
    ("end use", Align::Left),
    ("class", Align::Left),
    ("P(any shortfall) [95% CI]", Align::Right),
    ("mean units short [95% CI]", Align::Right),
    ("P95 short", Align::Right),
    ("CVaR95", Align::Right),
    ("median first short", Align::Right),
    ("mean share met", Align::Right),
];

/// Renders the report of `doc`, ending with the folder the files went to.
pub fn render(doc: &SummaryDocument, out_dir: &Path) -> String {
    let mut text = String::new();
    let run = &doc.run;
    let period =
        if run.period_weeks == 1.0 { "weekly".to_owned() } else { format!("{}-week", number(run.period_weeks)) };
    let _ = writeln!(
        text,
        "{} · {} trials · seed {} · {} {period} periods\n",
        doc.scenario.name,
        thousands(run.trials),
        run.seed,
        run.periods
    );
    let mut end_uses = Grid::new(&END_USE_COLUMNS);
    for e in &doc.end_uses {
        end_uses.row(vec![
            e.name.clone(),
            e.class.to_owned(),
            proportion(&e.p_any_short),
            mean_with_ci(&e.units_short),
            number(e.units_short.p95),
            number(e.units_short.cvar95),
            e.first_short_week.as_ref().map_or_else(|| "never".to_owned(), |d| format!("week {}", number(d.p50))),
            percent(e.share_met.mean),
        ]);
    }
    text.push_str(&end_uses.render());

    let mut stages: Vec<_> = doc.stages.iter().filter(|s| s.throughput_lost.mean > 0.0).collect();
    stages.sort_by(|a, b| b.throughput_lost.mean.total_cmp(&a.throughput_lost.mean).then(a.name.cmp(&b.name)));
    if stages.is_empty() {
        text.push_str("\nNo stage lost throughput in any trial.\n");
    } else {
        let shown = stages.len().min(TOP_STAGES);
        let _ = writeln!(text, "\nStages by expected throughput lost (top {shown} of {}):", doc.stages.len());
        let mut grid = Grid::new(&[
            ("stage", Align::Left),
            ("region", Align::Left),
            ("mean lost [95% CI]", Align::Right),
            ("unit", Align::Left),
            ("share of normal", Align::Right),
            ("P95 lost", Align::Right),
        ]);
        for s in &stages[..shown] {
            grid.row(vec![
                s.name.clone(),
                s.region.clone(),
                mean_with_ci(&s.throughput_lost),
                s.unit.to_owned(),
                s.mean_lost_share.map_or_else(|| "-".to_owned(), percent),
                number(s.throughput_lost.p95),
            ]);
        }
        text.push_str(&grid.render());
    }
    if !doc.stockpiles.is_empty() {
        text.push_str("\nStockpiles:\n");
        let mut grid = Grid::new(&[
            ("stockpile", Align::Left),
            ("material", Align::Left),
            ("P(ran dry) [95% CI]", Align::Right),
            ("mean released [95% CI]", Align::Right),
            ("median lowest level", Align::Right),
            ("unit", Align::Left),
        ]);
        for s in &doc.stockpiles {
            grid.row(vec![
                s.name.clone(),
                s.material.clone(),
                proportion(&s.p_ran_dry),
                mean_with_ci(&s.released),
                number(s.min_level.p50),
                s.unit.to_owned(),
            ]);
        }
        text.push_str(&grid.render());
    }
    let _ = writeln!(text, "\nOutputs in {}", out_dir.display());
    text
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A plain text table: columns padded to their widest cell, two spaces apart.
#[derive(Debug)]
pub struct Grid {
    headers: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
}

impl Grid {
    pub fn new(headers: &[(&str, Align)]) -> Self {
        Self { headers: headers.iter().map(|&(h, a)| (h.to_owned(), a)).collect(), rows: Vec::new() }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let width = |k: usize| {
            let header = self.headers[k].0.chars().count();
            self.rows.iter().map(|r| r[k].chars().count()).fold(header, usize::max)
        };
        let widths: Vec<usize> = (0..self.headers.len()).map(width).collect();
        let mut text = String::new();
        let mut line = |cells: &mut dyn Iterator<Item = &String>| {
            let mut out = String::new();
            for (k, cell) in cells.enumerate() {
                if k > 0 {
                    out.push_str("  ");
                }
                let pad = widths[k].saturating_sub(cell.chars().count());
                match self.headers[k].1 {
                    Align::Left => {
                        out.push_str(cell);
                        out.extend(std::iter::repeat_n(' ', pad));
                    }
                    Align::Right => {
                        out.extend(std::iter::repeat_n(' ', pad));
                        out.push_str(cell);
                    }
                }
            }
            text.push_str(out.trim_end());
            text.push('\n');
        };
        line(&mut self.headers.iter().map(|(h, _)| h));
        let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
        line(&mut rule.iter());
        for row in &self.rows {
            line(&mut row.iter());
        }
        text
    }
}

/// A number to three significant figures, with k, M or G for large magnitudes.
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        return "-".to_owned();
    }
    let a = x.abs();
    let (value, suffix) = if a >= 1e9 {
        (x / 1e9, "G")
    } else if a >= 1e6 {
        (x / 1e6, "M")
    } else if a >= 1e4 {
        (x / 1e3, "k")
    } else {
        (x, "")
    };
    let a = value.abs();
    let decimals = if a == 0.0 || a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else {
        // Three significant figures below 1, at most six decimals.
        (2 - a.log10().floor() as i32).clamp(0, 6) as usize
    };
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_owned() } else { text };
    format!("{text}{suffix}")
}

pub fn percent(p: f64) -> String {
    if !p.is_finite() {
        return "-".to_owned();
    }
    let pct = p * 100.0;
    if pct == 0.0 {
        "0%".to_owned()
    } else if pct.abs() < 0.01 {
        "<0.01%".to_owned()
    } else if pct.abs() < 1.0 {
        format!("{pct:.2}%")
    } else {
        format!("{pct:.1}%")
    }
}

fn proportion(p: &ProportionJson) -> String {
    format!("{} [{}, {}]", percent(p.p), percent(p.ci95_low), percent(p.ci95_high))
}

fn mean_with_ci(d: &DistributionJson) -> String {
    if d.n == 0 {
        return "-".to_owned();
    }
    format!("{} [{}, {}]", number(d.mean), number(d.ci95_low.max(0.0)), number(d.ci95_high))
}

pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_three_significant_figures() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(0.3126), "0.313");
        assert_eq!(number(0.000_123_4), "0.000123");
        assert_eq!(number(7.0), "7");
        assert_eq!(number(12.34), "12.3");
        assert_eq!(number(999.6), "1000");
        assert_eq!(number(12_345.0), "12.3k");
        assert_eq!(number(1_234_567.0), "1.23M");
        assert_eq!(number(-2.5e9), "-2.5G");
        assert_eq!(number(f64::NAN), "-");
    }

    #[test]
    fn percentages_and_counts() {
        assert_eq!(percent(0.2345), "23.4%");
        assert_eq!(percent(0.0004), "0.04%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(0.000_003_8), "<0.01%");
        assert_eq!(percent(0.0312), "3.1%");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn grid_pads_columns() {
        let mut g = Grid::new(&[("name", Align::Left), ("value", Align::Right)]);
        g.row(vec!["a".into(), "1".into()]);
        g.row(vec!["longer".into(), "22".into()]);
        assert_eq!(g.render(), "name    value\n------  -----\na           1\nlonger     22\n");
    }
}
