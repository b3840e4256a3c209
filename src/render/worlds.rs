//! The terminal section of a run with worlds (`run --worlds`): each headline metric across worlds.

use crate::documents::summary::SummaryDocument;
use crate::documents::worlds::{AcrossJson, WorldsEndUseJson, WorldsJson};
use crate::files::worlds::WORLDS_FILE;
use crate::render::table::{Align, Grid, TERMINAL_COLUMNS, money, number, percent, thousands, wrap};
use std::fmt::Write as _;

/// "4.0%; 80% band 1.0–11%" for a probability across worlds.
fn band(a: &AcrossJson, f: &dyn Fn(f64) -> String) -> String {
    format!("{} [{}, {}]", f(a.median), f(a.p10), f(a.p90))
}

/// The terminal section of a run with worlds: one table per metric, over the end uses that were ever short or late.
pub fn render(doc: &SummaryDocument, w: &WorldsJson) -> String {
    let mut text = String::new();
    text.push('\n');
    text.push_str(&wrap(
        &format!(
            "Across {} worlds of what we do not know about {} ({} knowledge parameters drawn once per world; {} \
             trials in each, the same draws of events in every world):",
            thousands(w.worlds as u64),
            w.knowledge_in_words,
            w.knowledge.len(),
            thousands(w.trials_per_world)
        ),
        TERMINAL_COLUMNS,
    ));
    let share = |a: &AcrossJson| if a.knowledge_share.is_finite() { percent(a.knowledge_share) } else { "-".into() };
    let short: Vec<&WorldsEndUseJson> = w.end_uses.iter().filter(|e| e.short_or_late.p97_5 > 0.0).collect();
    if short.is_empty() {
        text.push_str("No end use is short or late in any world.\n");
    } else {
        let mut grid = Grid::new(&[
            ("end use", Align::Left),
            ("P(short or late)", Align::Right),
            ("median [80% band]", Align::Right),
            ("95% band", Align::Right),
            ("knowledge share", Align::Right),
        ]);
        for e in &short {
            let a = &e.short_or_late;
            grid.row(vec![
                e.name.clone(),
                percent(a.pooled),
                band(a, &percent),
                format!("{}–{}", percent(a.p2_5), percent(a.p97_5)),
                share(a),
            ]);
        }
        text.push_str(&grid.render());
        let mut grid = Grid::new(&[
            ("end use", Align::Left),
            ("mean units short", Align::Right),
            ("median [80% band]", Align::Right),
            ("longest delay, wk: median [80% band]", Align::Right),
            ("knowledge share", Align::Right),
        ]);
        for e in &short {
            let u = &e.units_short;
            let delay = e.max_delay_weeks.as_ref().map_or_else(|| "-".to_owned(), |d| band(d, &number));
            let shares = match &e.max_delay_weeks {
                Some(d) => format!("{} / {}", share(u), share(d)),
                None => share(u),
            };
            grid.row(vec![e.name.clone(), number(u.pooled), band(u, &number), delay, shares]);
        }
        text.push('\n');
        text.push_str(&grid.render());
    }
    let loss_unit = &doc.loss.unit;
    let l = &w.loss;
    text.push_str(&wrap(
        &format!(
            "Loss over every end use: {} on average; median world {}, 80% of worlds {}–{}, 95% {}–{}; knowledge \
             explains {} of its variance. Bands are quantiles of the world values; the knowledge share is the part \
             of a trial's variance that knowing the knowledge parameters would remove on average (two-way \
             analysis of variance), the rest is event randomness.",
            money(l.pooled, loss_unit),
            money(l.median, loss_unit),
            money(l.p10, loss_unit),
            money(l.p90, loss_unit),
            money(l.p2_5, loss_unit),
            money(l.p97_5, loss_unit),
            share(l)
        ),
        TERMINAL_COLUMNS,
    ));
    let _ = writeln!(text, "Every world's values: {WORLDS_FILE}");
    text
}
