//! The terminal table of the value of information (`compare --evppi`, `optimize --evppi`).

use crate::documents::optimize::objective_value;
use crate::documents::value_of_information::EvppiJson;
use crate::render::table::{Align, Grid, TERMINAL_COLUMNS, percent, thousands, wrap};

/// The terminal table.
pub fn render(v: &EvppiJson) -> String {
    let value = |x: f64| objective_value(x, &v.metric);
    let mut text = String::new();
    text.push('\n');
    text.push_str(&wrap(
        &format!(
            "Value of information: choosing among {} on {}{}, {} is best on what we know. What would knowing one \
             parameter before choosing be worth on average (EVPPI; {} outer samples × {} trials per option):",
            v.options.iter().map(|o| o.name.as_str()).collect::<Vec<_>>().join(", "),
            v.metric.description,
            if v.net_of_cost { " plus cost" } else { "" },
            v.best,
            v.outer_samples,
            thousands(v.trials_per_run)
        ),
        TERMINAL_COLUMNS,
    ));
    let mut grid = Grid::new(&[
        ("parameter", Align::Left),
        ("EVPPI [95% CI]", Align::Right),
        ("bias", Align::Right),
        ("choice changes", Align::Right),
    ]);
    for p in &v.parameters {
        grid.row(vec![
            crate::documents::study::fit_key(&p.key, 48),
            format!("{} [{}, {}]", value(p.evppi), value(p.ci95_low.max(0.0)), value(p.ci95_high)),
            value(p.bias),
            percent(p.switch_share),
        ]);
    }
    text.push_str(&grid.render());
    text.push_str(&wrap(
        "Bias: the bootstrap estimate of the estimator's upward bias; a value within it of zero is not worth \
         researching on this evidence. Choice changes: the share of outer samples in which another option is best.",
        TERMINAL_COLUMNS,
    ));
    text
}
