//! The terminal report of `chokepoint sensitivity` (the tornado and the Sobol indices) and of `--list`.

use crate::documents::sensitivity::{IndexJson, SensitivityDocument};
use crate::documents::study::{ParameterJson, fit_key};
use crate::files::sensitivity::{SOBOL_CSV_FILE, TORNADO_CSV_FILE};
use crate::render::table::{Align, Grid, TERMINAL_COLUMNS, Width, number, thousands, wrap};
use std::fmt::Write as _;
use std::path::Path;

/// Bars and indices shown in the terminal unless `--wide`.
const TOP: usize = 15;

/// The widest key (with its " (each event)") in the terminal tables unless `--wide`, so that the tornado's fits
/// 100 columns.
const KEY_COLUMN: usize = 55;

/// An index with its interval: "0.42 [0.38, 0.47]".
pub fn index(i: &IndexJson) -> String {
    if !i.value.is_finite() {
        return "-".to_owned();
    }
    format!("{:.2} [{:.2}, {:.2}]", i.value, i.ci95_low, i.ci95_high)
}

/// The terminal report.
pub fn render(doc: &SensitivityDocument, out_dir: &Path, width: Width) -> String {
    let mut text = String::new();
    text.push_str(&wrap(
        &format!(
            "{} · sensitivity of {} · {} uncertain parameters · seed\u{a0}{}",
            doc.scenario.name,
            doc.metric.description,
            doc.parameters.len(),
            doc.run.seed
        ),
        TERMINAL_COLUMNS,
    ));
    let top = if width == Width::Wide { usize::MAX } else { TOP };
    let key = |k: &str, suffix: &str| {
        let k = if width == Width::Wide { k.to_owned() } else { fit_key(k, KEY_COLUMN - suffix.chars().count()) };
        format!("{k}{suffix}")
    };
    if let Some(t) = &doc.tornado {
        text.push('\n');
        let q = |x: f64| format!("P{}", number(x * 100.0));
        text.push_str(&wrap(
            &format!(
                "Tornado: each parameter at its {} and {}, every other as the scenario gives it, {} trials per run on \
                 the same draws. Base: {} [{}, {}].",
                q(t.low_quantile),
                q(t.high_quantile),
                thousands(doc.run.trials),
                doc.value(t.base.mean),
                doc.value(t.base.ci95_low.max(0.0)),
                doc.value(t.base.ci95_high)
            ),
            TERMINAL_COLUMNS,
        ));
        let grid = Grid::new(&[
            ("#", Align::Right),
            ("parameter", Align::Left),
            (&format!("{} → {}", q(t.low_quantile), q(t.high_quantile)), Align::Right),
            ("swing [95% CI]", Align::Right),
        ]);
        let mut grid = if width == Width::Wide { grid.unlimited() } else { grid };
        for (k, b) in t.bars.iter().take(top).enumerate() {
            let scope = if b.scope == "event" { " (each event)" } else { "" };
            grid.row(vec![
                (k + 1).to_string(),
                key(&b.key, scope),
                format!("{} → {}", number(b.low_value), number(b.high_value)),
                doc.signed_interval(b.swing.mean, b.swing.ci95_low, b.swing.ci95_high),
            ]);
        }
        text.push_str(&grid.render());
        if t.bars.len() > top {
            let _ =
                writeln!(text, "(top {top} of {}; --wide for all; every bar is in {TORNADO_CSV_FILE})", t.bars.len());
        }
    }
    if let Some(s) = &doc.sobol {
        text.push('\n');
        text.push_str(&wrap(
            &format!(
                "Variance-based (Sobol) indices: {} base samples, {} trials; mean {}, standard deviation {}. First \
                 order: the share of the variance a parameter explains alone; total: with every interaction it is in.",
                thousands(s.base_samples as u64),
                thousands(s.evaluations),
                doc.value(s.mean),
                doc.value(s.variance.max(0.0).sqrt())
            ),
            TERMINAL_COLUMNS,
        ));
        if !(s.variance > 0.0) {
            text.push_str("The metric did not vary across the samples: there is no variance to apportion.\n");
        } else {
            let grid = Grid::new(&[
                ("factor", Align::Left),
                ("first order [95% CI]", Align::Right),
                ("total [95% CI]", Align::Right),
            ]);
            let mut grid = if width == Width::Wide { grid.unlimited() } else { grid };
            grid.row(vec![
                "events (the trial's dice)".to_owned(),
                index(&s.events.first_order),
                index(&s.events.total),
            ]);
            for f in s.factors.iter().take(top) {
                grid.row(vec![key(&f.key, ""), index(&f.first_order), index(&f.total)]);
            }
            text.push_str(&grid.render());
            let sum: f64 = s.factors.iter().map(|f| f.first_order.value).sum::<f64>() + s.events.first_order.value;
            let _ = writeln!(
                text,
                "Sum of first-order indices: {sum:.2} (the rest of 1 is interactions){}",
                if s.factors.len() > top {
                    format!("; top {top} of {} parameters, every one in {SOBOL_CSV_FILE}", s.factors.len())
                } else {
                    String::new()
                }
            );
        }
    }
    let _ = writeln!(text, "\nOutputs in {}", out_dir.display());
    text
}

/// The table of `--list`: every uncertain parameter, its scope and quantiles, and whether it is knowledge.
pub fn render_list(scenario: &str, parameters: &[ParameterJson]) -> String {
    let mut text = format!("{scenario}: {} uncertain parameters\n", parameters.len());
    // Keys whole, however long: they are listed to be given to `--param`.
    let mut grid = Grid::new(&[
        ("key", Align::Left),
        ("drawn", Align::Left),
        ("P10", Align::Right),
        ("P50", Align::Right),
        ("P90", Align::Right),
        ("unit", Align::Left),
        ("knowledge", Align::Left),
    ])
    .unlimited();
    for p in parameters {
        grid.row(vec![
            p.key.clone(),
            if p.scope == "event" { "per event".to_owned() } else { "per trial".to_owned() },
            number(p.p10),
            number(p.p50),
            number(p.p90),
            p.unit.clone(),
            if p.knowledge { "yes".to_owned() } else { String::new() },
        ]);
    }
    text.push_str(&grid.render());
    text
}
