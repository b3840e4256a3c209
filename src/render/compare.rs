//! The terminal report of `chokepoint compare`: the overall ranking, a table per end use, the output folder.

use std::fmt::Write as _;
use std::path::Path;

use crate::documents::compare::{CompareDocument, PairedJson};
use crate::failure::Failure;
use crate::files::comparison::WrittenComparison;
use crate::render::table::{
    Align, Grid, ReportFormat, TERMINAL_COLUMNS, Width, money, money_interval, number, percent, thousands, usd, wrap,
};

/// Prints a comparison written: its tables, with the value of information when there is one, or the text of
/// `compare.json`.
pub fn print_comparison(
    written: &WrittenComparison,
    out_dir: &Path,
    report: ReportFormat,
    width: Width,
) -> Result<(), Failure> {
    match report {
        ReportFormat::Table => {
            let mut text = render(&written.document, out_dir, width);
            if let Some(v) = &written.document.value_of_information {
                // The value of information goes before the closing line naming the output folder.
                let at = text.rfind("Outputs in ").unwrap_or(text.len());
                text.insert_str(at, &format!("{}\n", crate::render::value_of_information::render(v)));
            }
            crate::render::console::print_stdout(&text)?;
        }
        ReportFormat::Json => crate::render::console::print_stdout(&written.json)?,
    }
    Ok(())
}

/// Renders the comparison: the overall ranking, a table per end use, then the output folder.
pub fn render(doc: &CompareDocument, out_dir: &Path, width: Width) -> String {
    let mut text = String::new();
    let run = &doc.run.common;
    let unit = &doc.loss.unit;
    text.push_str(&wrap(
        &format!(
            "{} · {} trials per variant · seed\u{a0}{} · baseline and {} option{} on common random numbers · costs over \
             {} year{}",
            doc.scenario.name,
            thousands(run.trials),
            run.seed,
            doc.options.len(),
            if doc.options.len() == 1 { "" } else { "s" },
            number(run.horizon_years),
            if run.horizon_years == 1.0 { "" } else { "s" },
        ),
        TERMINAL_COLUMNS,
    ));
    text.push('\n');
    let base = &doc.loss.baseline;
    text.push_str(&wrap(
        &format!(
            "Overall: loss over every end use ({unit}) avoided, paired 95% CI · without any option the loss is {} per \
             trial [{}, {}]",
            money(base.mean, unit),
            money(base.ci95_low.max(0.0), unit),
            money(base.ci95_high, unit)
        ),
        TERMINAL_COLUMNS,
    ));
    let per = if unit == "USD" { "per $" } else { "per $M" };
    let mut grid = Grid::new(&[
        ("rank", Align::Right),
        ("option", Align::Left),
        ("loss avoided [95% CI]", Align::Right),
        ("effect", Align::Left),
        ("cost", Align::Right),
        (per, Align::Right),
        ("value", Align::Right),
    ]);
    for o in &doc.options {
        let a = &o.loss_avoided;
        let ratio = o
            .loss_avoided_per_usd
            .map_or_else(|| "—".to_owned(), |r| if unit == "USD" { number(r.point) } else { number(r.point * 1e6) });
        grid.row(vec![
            o.rank.to_string(),
            o.name.clone(),
            money_interval(a.avoided_mean, a.ci95_low, a.ci95_high, unit),
            a.effect.words().to_owned(),
            usd(o.cost.total_usd),
            ratio,
            o.rank_by_value.map_or_else(|| "—".to_owned(), |r| r.to_string()),
        ]);
    }
    text.push_str(&grid.render());
    let dominated: Vec<String> =
        doc.options.iter().filter_map(|o| o.dominated_by.as_ref().map(|d| format!("{} (by {d})", o.name))).collect();
    if !dominated.is_empty() {
        text.push_str(&wrap(
            &format!("Dominated (another option costs no more and avoids more): {}.", dominated.join(", ")),
            TERMINAL_COLUMNS,
        ));
    }
    text.push('\n');
    let mut quiet = Vec::new();
    for e in &doc.end_uses {
        if e.never_short() {
            quiet.push(format!("{} ({})", e.name, e.class));
            continue;
        }
        text.push_str(&end_use_table(e, width));
        text.push('\n');
    }
    if !quiet.is_empty() {
        text.push_str(&wrap(
            &format!("Never short or late, with or without any option: {}.", quiet.join(", ")),
            TERMINAL_COLUMNS,
        ));
        text.push('\n');
    }
    text.push_str(&wrap(
        "+ / −: the amount avoided is detectably above / below 0 (95%). Options are ranked by the end use's loss \
         avoided, or when that cannot tell, by ΔP(short or late), in percentage points. A cost per unit is given only where the amount avoided is \
         detectably positive. --wide for every column.",
        TERMINAL_COLUMNS,
    ));
    let _ = writeln!(text, "Outputs in {}", out_dir.display());
    text
}

/// One end use's table: for lost demand, units short avoided; for backlogged demand, delay avoided.
fn end_use_table(e: &crate::documents::compare::EndUseJson, width: Width) -> String {
    let mut text = String::new();
    let b = &e.baseline;
    let unit = &e.unit;
    let title = if e.backlogged() {
        format!(
            "{} ({}, backlogged) · baseline: P(late) {}{} · {} unit-weeks late",
            e.name,
            e.class,
            percent(b.p_short_or_late.p),
            b.max_delay_weeks_when_late.as_ref().map_or_else(String::new, |d| format!(
                " · longest delay when late p50/95 {}\u{a0}/\u{a0}{}\u{a0}wk",
                number(d.p50),
                number(d.p95)
            )),
            number(b.backlog_unit_weeks.mean)
        )
    } else {
        format!(
            "{} ({}) · baseline: P(short) {} · mean {} {unit} short [{}, {}]",
            e.name,
            e.class,
            percent(b.p_short_or_late.p),
            number(b.units_short.mean),
            number(b.units_short.ci95_low.max(0.0)),
            number(b.units_short.ci95_high)
        )
    };
    text.push_str(&wrap(&title, TERMINAL_COLUMNS));
    let headline = if e.backlogged() { "unit-weeks late avoided [95% CI]" } else { "units short avoided [95% CI]" };
    let mut headers = vec![
        ("rank", Align::Right),
        ("option", Align::Left),
        (headline, Align::Right),
        ("ΔP(short or late) pp", Align::Right),
    ];
    if width == Width::Wide {
        headers.extend([
            ("SE paired / unpaired", Align::Right),
            ("P(better) / P(worse)", Align::Right),
            (if e.backlogged() { "longest delay avoided, wk" } else { "unit-weeks late avoided" }, Align::Right),
            ("ΔCVaR95 short", Align::Right),
            ("cost", Align::Right),
        ]);
    }
    headers.push(("cost per unit", Align::Right));
    let grid = Grid::new(&headers);
    let mut grid = if width == Width::Wide { grid.unlimited() } else { grid };
    for o in &e.options {
        let (main, other) = if e.backlogged() {
            (&o.backlog_unit_weeks_avoided, &o.max_delay_weeks_avoided)
        } else {
            (&o.units_short_avoided, &o.backlog_unit_weeks_avoided)
        };
        let d = &o.p_short_or_late;
        let mut row = vec![
            o.rank.to_string(),
            o.option.clone(),
            // The mark of the interval beside it; the row's rank comes from the end use's loss (`o.effect`).
            format!("{}{}", avoided(main), marker(main.effect)),
            format!("{} [{}, {}]", points(d.delta), points(d.ci95_low), points(d.ci95_high)),
        ];
        if width == Width::Wide {
            row.extend([
                format!("{} / {}", number(main.se), number(main.unpaired_se)),
                format!("{} / {}", percent(main.p_better.p), percent(main.p_worse.p)),
                avoided(other),
                number(o.delta_cvar95_units_short),
                usd(o.cost_usd),
            ]);
        }
        let per_unit =
            if e.backlogged() { o.cost_per_unit_week_late_avoided_usd } else { o.cost_per_unit_short_avoided_usd };
        row.push(per_unit.map_or_else(|| "—".to_owned(), |c| usd(c.point)));
        grid.row(row);
    }
    text.push_str(&grid.render());
    text
}

/// A paired amount avoided with its interval: "271k [251k, 290k]".
fn avoided(p: &PairedJson) -> String {
    format!("{} [{}, {}]", number(p.avoided_mean), number(p.ci95_low), number(p.ci95_high))
}

fn marker(e: crate::documents::compare::Effect) -> &'static str {
    match e {
        crate::documents::compare::Effect::Better => " +",
        crate::documents::compare::Effect::Worse => " −",
        crate::documents::compare::Effect::None => "  ",
    }
}

/// A change of probability in percentage points, signed.
pub fn points(x: f64) -> String {
    if !x.is_finite() {
        return "-".to_owned();
    }
    let pp = x * 100.0;
    if pp == 0.0 { "0".to_owned() } else { format!("{pp:+.1}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probability_changes_read_in_points() {
        assert_eq!(points(-0.2345), "-23.4");
        assert_eq!(points(0.0), "0");
        assert_eq!(points(0.001), "+0.1");
        assert_eq!(usd(1_635_000.0), "$1.64M");
        assert_eq!(usd(2.5e9), "$2.5B");
    }
}
