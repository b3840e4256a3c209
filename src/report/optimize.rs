//! The report of a portfolio search (`optimize`), made from `optimize.json` alone: the best portfolio within
//! the budget with its confirmation on fresh draws, and the efficient frontier of cost against the objective.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::charts::{FONT, Key, MEDIAN, MUTED, SMALL_SIZE, TAIL_LINE, draw_mesh, legend_row, line, render_svg};
use super::html::Page;
use crate::documents::optimize::{OptimizeDocument, members, objective_value};
use crate::render::table::{number, thousands, usd};

/// Cost (x) against how much better than doing nothing each portfolio is (y: the objective avoided, paired on the
/// same trials, with the frontier's 95 % intervals): the frontier joined and numbered, the best ringed, the other
/// portfolios hollow and grey; the budget as a dashed vertical line. Paired differences are far tighter than the
/// levels, so this shows which improvements the trials can tell apart.
pub fn frontier_chart(doc: &OptimizeDocument) -> anyhow::Result<String> {
    let o = &doc.question.objective;
    let all: Vec<(f64, f64)> = doc.portfolios.iter().map(|p| (p.cost_usd, p.improvement.avoided_mean)).collect();
    let max_cost =
        all.iter().map(|p| p.0).chain([doc.question.budget_usd]).filter(|x| x.is_finite()).fold(0.0, f64::max);
    let (scale, unit) = if max_cost >= 1e9 { (1e9, "billion USD") } else { (1e6, "million USD") };
    let x1 = (max_cost / scale).max(1e-9) * 1.12;
    let lows = doc.frontier.iter().map(|p| p.improvement.ci95_low).chain(all.iter().map(|p| p.1));
    let highs = doc.frontier.iter().map(|p| p.improvement.ci95_high).chain(all.iter().map(|p| p.1));
    let y_lo = lows.filter(|x| x.is_finite()).fold(0.0, f64::min);
    let y_hi = highs.filter(|x| x.is_finite()).fold(0.0, f64::max);
    let pad = ((y_hi - y_lo) * 0.1).max(1e-9);
    render_svg((980, 440), |root| {
        legend_row(
            root,
            80,
            14,
            &[
                Key::Line("efficient frontier (numbered)", TAIL_LINE),
                Key::Line("other portfolios evaluated", MUTED),
                Key::Line("95% CI (paired)", MEDIAN),
            ],
        )?;
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_top(32)
            .margin_right(24)
            .x_label_area_size(48)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..x1, (y_lo - pad)..(y_hi + pad))?;
        draw_mesh(
            chart
                .configure_mesh()
                .x_desc(format!("Cost over the horizon ({unit})"))
                .y_desc("Better than doing nothing (objective avoided)")
                .x_labels(7)
                .y_labels(6)
                .x_label_formatter(&|x| number(*x))
                .y_label_formatter(&|y| objective_value(*y, o)),
        )?;
        let budget = doc.question.budget_usd / scale;
        chart.draw_series(std::iter::once(plotters::element::DashedPathElement::new(
            vec![(budget, y_lo - pad), (budget, y_hi + pad)],
            6,
            4,
            line(MUTED, 1),
        )))?;
        chart.draw_series(all.iter().map(|&(c, y)| Circle::new((c / scale, y), 4, line(MUTED, 1))))?;
        for p in &doc.frontier {
            let x = p.cost_usd / scale;
            if p.improvement.ci95_low.is_finite() && p.improvement.ci95_high.is_finite() {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x, p.improvement.ci95_low), (x, p.improvement.ci95_high)],
                    line(MEDIAN, 1),
                )))?;
            }
        }
        let frontier: Vec<(f64, f64)> =
            doc.frontier.iter().map(|p| (p.cost_usd / scale, p.improvement.avoided_mean)).collect();
        chart.draw_series(LineSeries::new(frontier.clone(), line(TAIL_LINE, 2)))?;
        chart.draw_series(frontier.iter().enumerate().map(|(k, &xy)| {
            let right_half = xy.0 > x1 / 2.0;
            let (h, dx) = if right_half { (HPos::Right, -8) } else { (HPos::Left, 8) };
            let (v, dy) = if k % 2 == 0 { (VPos::Bottom, -6) } else { (VPos::Top, 7) };
            let style = TextStyle::from((FONT, SMALL_SIZE).into_font()).color(&BLACK).pos(Pos::new(h, v));
            EmptyElement::at(xy)
                + Circle::new((0, 0), 5, TAIL_LINE.filled())
                + Text::new(format!("{}", k + 1), (dx, dy), style)
        }))?;
        let best = (doc.best.cost_usd / scale, doc.best.improvement.avoided_mean);
        chart.draw_series(std::iter::once(Circle::new(best, 10, line(TAIL_LINE, 2))))?;
        Ok(())
    })
}

/// Renders the report of a portfolio search.
pub fn render_optimize_report(doc: &OptimizeDocument) -> anyhow::Result<String> {
    let o = &doc.question.objective;
    let v = |x: f64| objective_value(x, o);
    let mut page = Page::study(
        &format!("Best mitigations within {}: {}", usd(doc.question.budget_usd), doc.scenario.name),
        &[
            format!("{} trials per portfolio", thousands(doc.run.trials)),
            format!("seed {}", doc.run.seed),
            format!("{} candidates", doc.question.candidates.len()),
            format!("{} portfolios evaluated ({})", doc.search.evaluated, doc.search.method),
        ],
        &doc.scenario.sha256,
        &doc.scenario.settings,
        &doc.tool.version,
    );
    page.element("h2", None, "The answer");
    let b = &doc.best;
    let c = &doc.confirmation.portfolio;
    page.element(
        "p",
        None,
        &format!(
            "Minimising {} within a budget of {}, the best portfolio is {} at {}. On the search's trials it reaches \
             {} (95% CI {}–{}), {} better than doing nothing ({}). Run again on fresh trials (seed {}), it reaches \
             {} (95% CI {}–{}), {} better than doing nothing on those trials (95% CI {}–{}): that is the estimate to \
             quote, since the best of many noisy estimates tends to be a lucky one.",
            o.description,
            usd(doc.question.budget_usd),
            members(b),
            usd(b.cost_usd),
            v(b.objective.mean),
            v(b.objective.ci95_low),
            v(b.objective.ci95_high),
            v(b.improvement.avoided_mean),
            v(doc.baseline.mean),
            doc.confirmation.seed,
            v(c.objective.mean),
            v(c.objective.ci95_low),
            v(c.objective.ci95_high),
            v(c.improvement.avoided_mean),
            v(c.improvement.ci95_low),
            v(c.improvement.ci95_high)
        ),
    );
    page.element("h2", None, "Efficient frontier");
    page.figure(
        &frontier_chart(doc)?,
        "Cost against improvement of every portfolio evaluated, with the efficient frontier",
        "How to read: each point is a portfolio, its cost over the horizon (x) against how much better than doing \
         nothing it is (y: the objective avoided, paired trial by trial). The numbered red points joined by the \
         line are the efficient frontier: no cheaper portfolio does better; the ringed one is the best within the \
         budget (dashed line). Bars: paired 95% CIs of the frontier's points.",
        true,
    );
    let rows: Vec<Vec<String>> = doc
        .frontier
        .iter()
        .enumerate()
        .map(|(k, p)| {
            vec![
                (k + 1).to_string(),
                members(p),
                usd(p.cost_usd),
                format!("{} ({}–{})", v(p.objective.mean), v(p.objective.ci95_low), v(p.objective.ci95_high)),
                if p.members.is_empty() {
                    "—".to_owned()
                } else {
                    format!(
                        "{} ({}–{})",
                        v(p.improvement.avoided_mean),
                        v(p.improvement.ci95_low),
                        v(p.improvement.ci95_high)
                    )
                },
            ]
        })
        .collect();
    page.table(
        &[
            ("#", true),
            ("portfolio", false),
            ("cost", true),
            ("objective (95% CI)", true),
            ("better than nothing (95% CI)", true),
        ],
        &rows,
    );
    page.element("h2", None, "How the search ran");
    let within = doc.search.within_budget.map_or_else(|| "too many to count".to_owned(), thousands);
    page.element(
        "p",
        None,
        &format!(
            "{} Candidates: {}. Portfolios within the budget: {within}; evaluated: {}.{}",
            if doc.search.method == "exhaustive" {
                "Every portfolio within the budget was run."
            } else {
                "Too many portfolios to run them all: greedy forward selection (the candidate that improves the \
                 objective most per dollar, while one does), then local search (adding, dropping or swapping one \
                 candidate, while that improves it)."
            },
            doc.question
                .candidates
                .iter()
                .map(|c| format!("{} ({})", c.name, usd(c.cost_usd)))
                .collect::<Vec<_>>()
                .join(", "),
            doc.search.evaluated,
            if doc.search.refused.is_empty() {
                String::new()
            } else {
                format!(
                    " {} portfolios could not be built (their mitigations do not fit together).",
                    doc.search.refused.len()
                )
            }
        ),
    );
    if let Some(v) = &doc.value_of_information {
        super::value_of_information::section(&mut page, v)?;
    }
    Ok(page.finish(&format!("chokepoint · optimize · {}", doc.scenario.name)))
}
