//! The terminal report of a run: the end uses (lost demand: how much is never built; backlogged demand: how late),
//! the loss over every end use, then the stages that lose the most throughput, and the stockpiles. The default
//! tables fit a 100-column terminal; `--wide` shows every column.

use std::fmt::Write;
use std::path::Path;

use chokepoint_scenario::Date;

use crate::documents::summary::{DistributionJson, Headline, ProportionJson, SummaryDocument};

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

/// The narrowest terminal the default tables are laid out for; `--wide` gives every column instead.
pub const TERMINAL_COLUMNS: usize = 100;

/// How much a table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// The headline columns, within [`TERMINAL_COLUMNS`].
    Narrow,
    /// Every column.
    Wide,
}

/// Renders the report of `doc`, ending with the folder the files went to.
pub fn render(doc: &SummaryDocument, out_dir: &Path, width: Width) -> String {
    let mut text = String::new();
    let run = &doc.run;
    let start = start_date(doc);
    let period =
        if run.period_weeks == 1.0 { "weekly".to_owned() } else { format!("{}-week", number(run.period_weeks)) };
    let from = start.map(|d| format!(" from {}", d.short())).unwrap_or_default();
    let _ = writeln!(
        text,
        "{} · {} trials · seed {} · {} {period} periods{from}\n",
        doc.scenario.name,
        thousands(run.trials),
        run.seed,
        run.periods
    );
    text.push_str(&end_use_tables(doc, width));
    let loss = &doc.loss.per_trial;
    text.push('\n');
    text.push_str(&wrap(
        &format!(
            "Loss over every end use ({}): mean {} [{}, {}] · P95 {} · CVaR95 {}",
            doc.loss.unit,
            money(loss.mean, &doc.loss.unit),
            money(loss.ci95_low.max(0.0), &doc.loss.unit),
            money(loss.ci95_high, &doc.loss.unit),
            money(loss.p95, &doc.loss.unit),
            money(loss.cvar95, &doc.loss.unit),
        ),
        TERMINAL_COLUMNS,
    ));

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
            ("of wanted", Align::Right),
            ("P95 lost", Align::Right),
        ]);
        for s in &stages[..shown] {
            grid.row(vec![
                s.name.clone(),
                s.region.clone(),
                mean_with_ci(&s.throughput_lost),
                s.unit.clone(),
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
            ("median lowest", Align::Right),
            ("unit", Align::Left),
        ]);
        for s in &doc.stockpiles {
            grid.row(vec![
                s.name.clone(),
                s.material.clone(),
                proportion(&s.p_ran_dry),
                mean_with_ci(&s.released),
                number(s.min_level.p50),
                s.unit.clone(),
            ]);
        }
        text.push_str(&grid.render());
    }
    let _ = writeln!(text, "\nOutputs in {}", out_dir.display());
    text
}

/// The scenario's start date, if it has one.
pub fn start_date(doc: &SummaryDocument) -> Option<Date> {
    doc.scenario.start_date().and_then(parse_date)
}

/// A `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Option<Date> {
    let mut parts = text.splitn(3, '-');
    let (y, m, d) = (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
    Date::new(y, m, d)
}

/// A week of the horizon: its date when the scenario starts on one (`8 Aug 2025`), else `week 18`.
pub fn week_label(week: f64, start: Option<Date>) -> String {
    match start {
        Some(d) if week.is_finite() => d.plus_weeks(week).short(),
        _ => format!("week {}", number(week)),
    }
}

/// The two tables of end uses: lost demand (how much is never built) and backlogged demand (how late). An end use
/// never short in any trial is listed on one line after them.
pub fn end_use_tables(doc: &SummaryDocument, width: Width) -> String {
    let start = start_date(doc);
    let mut text = String::new();
    let mut never = Vec::new();
    let mut lost = match width {
        Width::Narrow => Grid::new(&[
            ("lost demand", Align::Left),
            ("unit", Align::Left),
            ("P(short) [95% CI]", Align::Right),
            ("mean short [95% CI]", Align::Right),
            ("share met", Align::Right),
            ("first short", Align::Right),
        ]),
        Width::Wide => Grid::new(&[
            ("lost demand", Align::Left),
            ("class", Align::Left),
            ("unit", Align::Left),
            ("P(short) [95% CI]", Align::Right),
            ("mean units short [95% CI]", Align::Right),
            ("P95 short", Align::Right),
            ("CVaR95", Align::Right),
            ("mean share met", Align::Right),
            ("median first short", Align::Right),
            ("mean loss", Align::Right),
        ])
        .unlimited(),
    };
    let mut late = match width {
        Width::Narrow => Grid::new(&[
            ("backlogged demand", Align::Left),
            ("unit", Align::Left),
            ("P(late) [95% CI]", Align::Right),
            ("mean delay", Align::Right),
            ("longest p50/95", Align::Right),
            ("P95 backlog", Align::Right),
            ("first late", Align::Right),
        ]),
        Width::Wide => Grid::new(&[
            ("backlogged demand", Align::Left),
            ("class", Align::Left),
            ("unit", Align::Left),
            ("P(late) [95% CI]", Align::Right),
            ("mean delay", Align::Right),
            ("longest delay when late, p50 / P95", Align::Right),
            ("P95 peak backlog when late", Align::Right),
            ("mean units late", Align::Right),
            ("P(owed at end)", Align::Right),
            ("median first late", Align::Right),
            ("median cleared", Align::Right),
            ("mean loss", Align::Right),
        ])
        .unlimited(),
    };
    let first = |w: Option<f64>| w.map_or_else(|| "never".to_owned(), |w| week_label(w, start));
    for e in &doc.end_uses {
        if e.p_short_or_late.k == 0 {
            never.push(e.name.as_str());
            continue;
        }
        let loss = money(e.loss.mean, &doc.loss.unit);
        match (&e.headline, width) {
            (
                Headline::Short {
                    p,
                    mean_units_short,
                    mean_units_short_ci95,
                    mean_share_met,
                    median_first_short_week,
                    ..
                },
                Width::Narrow,
            ) => {
                lost.row(vec![
                    e.name.clone(),
                    e.unit.clone(),
                    compact_proportion(p),
                    interval(*mean_units_short, *mean_units_short_ci95),
                    percent(*mean_share_met),
                    first(*median_first_short_week),
                ]);
            }
            (
                Headline::Short {
                    p,
                    mean_units_short,
                    mean_units_short_ci95,
                    p95_units_short,
                    mean_share_met,
                    median_first_short_week,
                },
                Width::Wide,
            ) => {
                lost.row(vec![
                    e.name.clone(),
                    e.class.clone(),
                    e.unit.clone(),
                    proportion(p),
                    interval(*mean_units_short, *mean_units_short_ci95),
                    number(*p95_units_short),
                    number(e.units_short.cvar95),
                    percent(*mean_share_met),
                    first(*median_first_short_week),
                    loss,
                ]);
            }
            (
                Headline::Late {
                    p,
                    mean_delay_weeks,
                    median_max_delay_weeks_when_late,
                    p95_max_delay_weeks_when_late,
                    p95_peak_backlog_units_when_late,
                    p95_peak_backlog_weeks_when_late,
                    median_backlog_cleared_week,
                    p_owed_at_end,
                    median_first_late_week,
                },
                _,
            ) => {
                let weeks = |w: Option<f64>| w.map_or_else(|| "-".to_owned(), number);
                let delay = mean_delay_weeks.map_or_else(|| "-".to_owned(), |w| format!("{} wk", number(w)));
                let longest = format!(
                    "{} / {} wk",
                    weeks(*median_max_delay_weeks_when_late),
                    weeks(*p95_max_delay_weeks_when_late)
                );
                let backlog = format!(
                    "{} ({} wk)",
                    weeks(*p95_peak_backlog_units_when_late),
                    weeks(*p95_peak_backlog_weeks_when_late)
                );
                if width == Width::Narrow {
                    late.row(vec![
                        e.name.clone(),
                        e.unit.clone(),
                        compact_proportion(p),
                        delay,
                        longest,
                        format!("{} wk", weeks(*p95_peak_backlog_weeks_when_late)),
                        first(*median_first_late_week),
                    ]);
                } else {
                    let units_late = e.delay.as_ref().map_or(f64::NAN, |d| d.units_late.mean);
                    late.row(vec![
                        e.name.clone(),
                        e.class.clone(),
                        e.unit.clone(),
                        proportion(p),
                        delay,
                        longest,
                        backlog,
                        number(units_late),
                        percent(p_owed_at_end.p),
                        first(*median_first_late_week),
                        median_backlog_cleared_week.map_or_else(|| "-".to_owned(), |w| week_label(w, start)),
                        loss,
                    ]);
                }
            }
        }
    }
    if !lost.is_empty() {
        text.push_str(&lost.render());
    }
    if !late.is_empty() {
        if !lost.is_empty() {
            text.push('\n');
        }
        text.push_str(&late.render());
    }
    if !never.is_empty() {
        if !(lost.is_empty() && late.is_empty()) {
            text.push('\n');
        }
        text.push_str(&wrap(
            &format!("Never short or late in any of the {} trials: {}.", thousands(doc.run.trials), never.join(", ")),
            TERMINAL_COLUMNS,
        ));
    }
    if width == Width::Narrow && !(lost.is_empty() && late.is_empty()) {
        text.push('\n');
        text.push_str(&wrap(
            "P(short): some demand never built. P(late): some unit built after the week it was demanded. Mean \
             delay: over every late unit. Longest: the median and P95 of each late trial's longest delay. P95 \
             backlog: the peak backlog in weeks of normal demand, P95 over late trials. First: median week over the \
             trials short or late. --wide for every column (P95 and CVaR95 of units short, backlog in units).",
            TERMINAL_COLUMNS,
        ));
    }
    text
}

/// A space at which [`wrap`] never breaks a line (it prints as a plain space): "seed{NO_BREAK}1".
pub const NO_BREAK: char = '\u{a0}';

/// `text` broken into lines of at most `width` characters, at spaces (never at [`NO_BREAK`], which is printed as a
/// plain space), each ending with a newline.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_ascii_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(&line);
        out.push('\n');
    }
    out.replace(NO_BREAK, " ")
}

/// A proportion with its Wilson interval, compact: "49.8% [47.6–51.9]".
pub fn compact_proportion(p: &ProportionJson) -> String {
    let bare = |x: f64| percent(x).trim_end_matches('%').to_owned();
    format!("{} [{}–{}]", percent(p.p), bare(p.ci95_low), bare(p.ci95_high))
}

/// A mean with its interval, the lower bound not below zero: "586k [563k, 608k]".
fn interval(mean: f64, ci: [f64; 2]) -> String {
    format!("{} [{}, {}]", number(mean), number(ci[0].max(0.0)), number(ci[1]))
}

/// An amount of the loss measure: `$1.23M` for dollars, `12.3 wk` for weeks of demand.
pub fn money(x: f64, unit: &str) -> String {
    if unit == "USD" { usd(x) } else { format!("{} wk", number(x)) }
}

/// An amount of the loss measure with its interval: `$1.99B [$1.29B, $2.69B]`, or `1.99 [1.29, 2.69] wk`.
pub fn money_interval(mean: f64, low: f64, high: f64, unit: &str) -> String {
    if unit == "USD" {
        format!("{} [{}, {}]", usd(mean), usd(low), usd(high))
    } else {
        format!("{} [{}, {}] wk", number(mean), number(low), number(high))
    }
}

/// US dollars: `$1.23M`, `$4.5B` (billions as B, not G), `$950`.
pub fn usd(x: f64) -> String {
    if !x.is_finite() {
        return "-".to_owned();
    }
    let text = if x.abs() >= 1e12 { format!("{}T", number(x / 1e12)) } else { number(x) };
    let text = text.strip_suffix('G').map_or(text.clone(), |t| format!("{t}B"));
    if let Some(rest) = text.strip_prefix('-') { format!("-${rest}") } else { format!("${text}") }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A plain text table: columns padded to their widest cell, two spaces apart, laid out to fit
/// [`TERMINAL_COLUMNS`] unless [`Grid::unlimited`]. A table wider than that is narrowed in steps, each only when
/// the one before is not enough: headers wider than their column's cells go on two lines (split at a space,
/// bottom-aligned), the one that saves the most first, until the table fits; then one space between columns; then
/// the widest left-aligned column (the names) is shortened, each cell longer than it keeping its start and end
/// around a `…`.
#[derive(Debug)]
pub struct Grid {
    headers: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
    limit: Option<usize>,
}

/// The narrowest a shortened column gets.
const SHORTEST_COLUMN: usize = 12;

impl Grid {
    pub fn new(headers: &[(&str, Align)]) -> Self {
        Self {
            headers: headers.iter().map(|&(h, a)| (h.to_owned(), a)).collect(),
            rows: Vec::new(),
            limit: Some(TERMINAL_COLUMNS),
        }
    }

    /// Every column at its natural width, however wide the table (`--wide`, and keys shown to be copied).
    pub fn unlimited(mut self) -> Self {
        self.limit = None;
        self
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Whether the table has no row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn render(&self) -> String {
        let chars = |s: &str| s.chars().count();
        let cells = |k: usize| self.rows.iter().map(|r| chars(&r[k])).max().unwrap_or(0);
        let columns = self.headers.len();
        let mut headers: Vec<[String; 2]> = self.headers.iter().map(|(h, _)| [String::new(), h.clone()]).collect();
        let header_width = |h: &[String; 2]| chars(&h[0]).max(chars(&h[1]));
        let widths = |headers: &[[String; 2]]| -> Vec<usize> {
            (0..columns).map(|k| cells(k).max(header_width(&headers[k]))).collect()
        };
        let total = |widths: &[usize], gap: usize| widths.iter().sum::<usize>() + gap * columns.saturating_sub(1);
        let limit = self.limit.unwrap_or(usize::MAX);
        let mut gap = 2;
        let mut widths_now = widths(&headers);
        // Headers onto two lines, the one that saves the most columns first, while the table is too wide.
        while total(&widths_now, gap) > limit {
            let saving = |k: usize| {
                let split = two_lines(&headers[k][1]).filter(|_| headers[k][0].is_empty())?;
                let saved = widths_now[k].saturating_sub(cells(k).max(header_width(&split)));
                (saved > 0).then_some((saved, split))
            };
            let best = (0..columns).filter_map(|k| saving(k).map(|(saved, split)| (saved, k, split)));
            let Some((_, k, split)) = best.max_by_key(|&(saved, k, _)| (saved, std::cmp::Reverse(k))) else {
                break;
            };
            headers[k] = split;
            widths_now = widths(&headers);
        }
        if total(&widths_now, gap) > limit {
            gap = 1;
        }
        let mut rows = self.rows.clone();
        let excess = total(&widths_now, gap).saturating_sub(limit);
        let widest_left = (0..columns).filter(|&k| self.headers[k].1 == Align::Left).max_by_key(|&k| widths_now[k]);
        if let Some(k) = widest_left.filter(|_| excess > 0) {
            let width = widths_now[k].saturating_sub(excess).max(SHORTEST_COLUMN).max(header_width(&headers[k]));
            for row in &mut rows {
                row[k] = shortened(&row[k], width);
            }
            widths_now[k] = width.min(widths_now[k]);
        }
        let widths = widths_now;
        let mut text = String::new();
        let mut line = |cells: &mut dyn Iterator<Item = &String>| {
            let mut out = String::new();
            for (k, cell) in cells.enumerate() {
                if k > 0 {
                    out.extend(std::iter::repeat_n(' ', gap));
                }
                let pad = widths[k].saturating_sub(chars(cell));
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
        if headers.iter().any(|h| !h[0].is_empty()) {
            line(&mut headers.iter().map(|h| &h[0]));
        }
        line(&mut headers.iter().map(|h| &h[1]));
        let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
        line(&mut rule.iter());
        for row in &rows {
            line(&mut row.iter());
        }
        text
    }
}

/// A header on two lines, split at the space that leaves the longer line shortest; `None` without a space.
fn two_lines(header: &str) -> Option<[String; 2]> {
    let longer = |at: usize| header[..at].chars().count().max(header[at + 1..].chars().count());
    let at = header.match_indices(' ').map(|(at, _)| at).min_by_key(|&at| longer(at))?;
    Some([header[..at].to_owned(), header[at + 1..].to_owned()])
}

/// `text` in at most `width` characters: as it is if it fits, else its start and end around a `…`.
fn shortened(text: &str, width: usize) -> String {
    let length = text.chars().count();
    if length <= width || width < 3 {
        return text.to_owned();
    }
    let tail = (width - 1) / 2;
    let head = width - 1 - tail;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(length - tail).collect();
    format!("{start}…{end}")
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
    } else if a >= 0.1 {
        // Three significant figures below 1, at most six decimals: compared with powers of ten rather than through
        // `log10`, whose last bit the C library may round differently from machine to machine.
        3
    } else if a >= 0.01 {
        4
    } else if a >= 0.001 {
        5
    } else {
        6
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

/// A proportion with its Wilson interval: "49.9% [48.9%, 50.9%]".
pub fn proportion(p: &ProportionJson) -> String {
    format!("{} [{}, {}]", percent(p.p), percent(p.ci95_low), percent(p.ci95_high))
}

/// A mean with its 95 % interval, the lower bound not below zero.
pub fn mean_with_ci(d: &DistributionJson) -> String {
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
    fn wrap_never_breaks_at_a_no_break_space_and_prints_it_as_a_space() {
        let header = format!("scenario · 177 uncertain parameters · seed{NO_BREAK}1");
        assert_eq!(wrap(&header, 40), "scenario · 177 uncertain parameters ·\nseed 1\n");
        assert_eq!(wrap(&header, 41), "scenario · 177 uncertain parameters ·\nseed 1\n");
        assert_eq!(wrap("a b c", 3), "a b\nc\n");
    }

    #[test]
    fn numbers_have_three_significant_figures() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(0.3126), "0.313");
        assert_eq!(number(0.000_123_4), "0.000123");
        // At each power of ten below 1 (the decimals change there) and below the last.
        assert_eq!(number(0.1), "0.1");
        assert_eq!(number(0.099_96), "0.1");
        assert_eq!(number(0.012_34), "0.0123");
        assert_eq!(number(0.001), "0.001");
        assert_eq!(number(0.001_234_5), "0.00123");
        assert_eq!(number(0.000_001_234), "0.000001");
        assert_eq!(number(-0.5678), "-0.568");
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
    fn a_grid_too_wide_puts_headers_on_two_lines_then_closes_up_then_shortens_the_names() {
        let table = |names: &[&str], limit: usize| {
            let mut g =
                Grid::new(&[("end use", Align::Left), ("mean delay", Align::Right), ("share met", Align::Right)]);
            g.limit = Some(limit);
            for name in names {
                g.row(vec![(*name).to_owned(), "3 wk".into(), "99.2%".into()]);
            }
            g.render()
        };
        // 13 + 2 + 10 + 2 + 9 = 36 columns: as it is within 36.
        assert_eq!(
            table(&["wind_turbines"], 36),
            "end use        mean delay  share met\n-------------  ----------  ---------\nwind_turbines        3 wk      99.2%\n"
        );
        // Within 30: the two headers wider than their cells on two lines (13 + 2 + 5 + 2 + 5 = 27).
        assert_eq!(
            table(&["wind_turbines"], 30),
            "                mean  share\nend use        delay    met\n-------------  -----  -----\nwind_turbines   3 wk  99.2%\n"
        );
        // Within 25: one space between the columns as well.
        assert_eq!(
            table(&["wind_turbines"], 25),
            "               mean share\nend use       delay   met\n------------- ----- -----\nwind_turbines  3 wk 99.2%\n"
        );
        // Within 24: the names shortened around a `…` (to 12 characters at the least), the other rows as they are.
        let text = table(&["cn_domestic_manufacturing", "f35"], 24);
        assert!(text.lines().all(|l| l.chars().count() <= 24), "{text}");
        assert!(text.contains("cn_dom…uring") && text.contains("\nf35 "), "{text}");
        // `unlimited` keeps every column whole.
        let mut g = Grid::new(&[("key", Align::Left), ("value", Align::Right)]).unlimited();
        g.row(vec!["x".repeat(120), "1".into()]);
        assert_eq!(g.render().lines().nth(2).map(|l| l.chars().count()), Some(120 + 2 + 5));
    }

    #[test]
    fn grid_pads_columns() {
        let mut g = Grid::new(&[("name", Align::Left), ("value", Align::Right)]);
        g.row(vec!["a".into(), "1".into()]);
        g.row(vec!["longer".into(), "22".into()]);
        assert_eq!(g.render(), "name    value\n------  -----\na           1\nlonger     22\n");
    }
}
