//! The terminal report of `chokepoint optimize`: the answer, its confirmation and the frontier.

use crate::documents::compare::PairedJson;
use crate::documents::optimize::{OptimizeDocument, members, objective_value};
use crate::documents::summary::DistributionJson;
use crate::render::table::{Align, Grid, TERMINAL_COLUMNS, thousands, usd, wrap};
use std::fmt::Write as _;
use std::path::Path;

/// The terminal report.
pub fn render(doc: &OptimizeDocument, out_dir: &Path) -> String {
    let q = &doc.question;
    let o = &q.objective;
    let v = |x: f64| objective_value(x, o);
    let mut text = String::new();
    text.push_str(&wrap(
        &format!(
            "{} · minimise {} within {} · {} candidates · {} trials per portfolio · seed\u{a0}{}",
            doc.scenario.name,
            o.description,
            usd(q.budget_usd),
            q.candidates.len(),
            thousands(doc.run.trials),
            doc.run.seed
        ),
        TERMINAL_COLUMNS,
    ));
    let within = doc.search.within_budget.map_or_else(|| "too many to count".to_owned(), thousands);
    let _ = writeln!(
        text,
        "search: {} · {} portfolios within the budget · {} evaluated{}\n",
        if doc.search.method == "exhaustive" {
            "every portfolio (exhaustive)"
        } else {
            "greedy, then swaps (heuristic)"
        },
        within,
        doc.search.evaluated,
        if doc.search.refused.is_empty() {
            String::new()
        } else {
            format!(" · {} refused (do not fit together)", doc.search.refused.len())
        }
    );
    let b = &doc.best;
    text.push_str(&wrap(
        &format!("Best within the budget: {} · cost {}", members(b), usd(b.cost_usd)),
        TERMINAL_COLUMNS,
    ));
    let interval = |d: &DistributionJson| format!("{} [{}, {}]", v(d.mean), v(d.ci95_low), v(d.ci95_high));
    let better = |p: &PairedJson| format!("{} [{}, {}]", v(p.avoided_mean), v(p.ci95_low), v(p.ci95_high));
    let c = &doc.confirmation.portfolio;
    let mut grid = Grid::new(&[
        ("", Align::Left),
        ("objective [95% CI]", Align::Right),
        ("better than doing nothing [95% CI]", Align::Right),
    ]);
    // Each portfolio beside doing nothing on the same trials: the fresh trials' own baseline, not the search's.
    grid.row(vec![format!("search, seed {}", doc.run.seed), interval(&b.objective), better(&b.improvement)]);
    grid.row(vec!["doing nothing, same trials".to_owned(), interval(&doc.baseline), "—".to_owned()]);
    grid.row(vec!["confirmed on fresh trials".to_owned(), interval(&c.objective), better(&c.improvement)]);
    grid.row(vec!["doing nothing, fresh trials".to_owned(), interval(&doc.confirmation.baseline), "—".to_owned()]);
    text.push_str(&grid.render());
    let _ = writeln!(
        text,
        "(fresh seed {}: the best of many noisy estimates tends to be a lucky one)\n",
        doc.confirmation.seed
    );
    let _ = writeln!(text, "Efficient frontier (no cheaper portfolio does better):");
    let mut grid = Grid::new(&[
        ("#", Align::Right),
        ("cost", Align::Right),
        ("objective [95% CI]", Align::Right),
        ("better than doing nothing [95% CI]", Align::Right),
        ("mitigations", Align::Right),
    ]);
    for (k, p) in doc.frontier.iter().enumerate() {
        grid.row(vec![
            (k + 1).to_string(),
            usd(p.cost_usd),
            interval(&p.objective),
            if p.members.is_empty() { "—".to_owned() } else { better(&p.improvement) },
            p.members.len().to_string(),
        ]);
    }
    text.push_str(&grid.render());
    for (k, p) in doc.frontier.iter().enumerate() {
        text.push_str(&wrap(&format!("{}. {}", k + 1, members(p)), TERMINAL_COLUMNS));
    }
    let _ = writeln!(text, "\nOutputs in {}", out_dir.display());
    text
}
