//! The report of a comparison (`compare`): a forest plot of paired differences per option and end use, and
//! cost against shortfall avoided with the efficient options highlighted.
//!
//! This is the extension point for the `compare` command: it builds [`ComparisonRow`]s from the engine's paired
//! summaries (`compare::paired`) and the scenario's costs, and calls [`render_compare_report`]. The inputs are
//! plain values so that this module needs nothing from the engine.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::charts::{FONT, Key, MEDIAN, MUTED, SMALL_SIZE, TAIL_LINE, draw_mesh, legend_row, line, render_svg};
use super::html::{Page, esc};
use crate::table::{number, thousands};

/// One option's effect on one end use, against the baseline, paired on common random numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonRow {
    /// The mitigation or package.
    pub option: String,
    pub end_use: String,
    /// Mean units short avoided over the horizon (baseline minus option; positive is better).
    pub mean_avoided: f64,
    /// 95 % confidence interval of the mean paired difference.
    pub ci_low: f64,
    pub ci_high: f64,
    /// Cost of the option over the horizon, US dollars.
    pub cost_usd: f64,
}

/// What the compare report says about the run.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareMeta {
    pub scenario_name: String,
    pub scenario_sha256: String,
    pub seed: u64,
    pub trials: u64,
    pub horizon_weeks: f64,
    pub tool_version: String,
}

/// Forest plot: for each option and end use, the mean units short avoided with its 95 % interval; the dashed
/// line at zero is "no effect".
pub fn forest_plot(rows: &[ComparisonRow]) -> anyhow::Result<String> {
    let n = rows.len().max(1);
    let labels: Vec<String> = rows.iter().map(|r| format!("{} · {}", r.option, r.end_use)).collect();
    let lo = rows.iter().map(|r| r.ci_low).filter(|x| x.is_finite()).fold(0.0, f64::min);
    let hi = rows.iter().map(|r| r.ci_high).filter(|x| x.is_finite()).fold(0.0, f64::max);
    let pad = ((hi - lo) * 0.06).max(1e-9);
    let (x0, x1) = if hi > lo { (lo - pad, hi + pad) } else { (-1.0, 1.0) };
    let label_w = labels.iter().map(|l| l.chars().count()).max().unwrap_or(10) as u32 * 8 + 24;
    let height = 90 + 26 * n as u32;
    render_svg((1000, height), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(48)
            .y_label_area_size(label_w)
            .build_cartesian_2d(x0..x1, (0..n).into_segmented())?;
        draw_mesh(
            chart
                .configure_mesh()
                .x_desc("Units short avoided over the horizon, mean with 95% CI (units)")
                .x_labels(8)
                .y_labels(n)
                .x_label_formatter(&|x| number(*x))
                .y_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) if *i < n => labels.get(n - 1 - *i).cloned().unwrap_or_default(),
                    _ => String::new(),
                })
                .disable_y_mesh(),
        )?;
        chart.draw_series(std::iter::once(DashedPathElement::new(
            vec![(0.0, SegmentValue::Exact(0)), (0.0, SegmentValue::Last)],
            5,
            4,
            line(MUTED, 1),
        )))?;
        let ink = line(MEDIAN, 2);
        for (i, r) in rows.iter().enumerate() {
            let y = SegmentValue::CenterOf(n - 1 - i);
            if r.ci_low.is_finite() && r.ci_high.is_finite() {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(r.ci_low, y.clone()), (r.ci_high, y.clone())],
                    ink,
                )))?;
            }
            if r.mean_avoided.is_finite() {
                chart.draw_series(std::iter::once(Circle::new((r.mean_avoided, y), 5, MEDIAN.filled())))?;
            }
        }
        Ok(())
    })
}

/// The options not dominated on cost and units avoided: no other option costs as little or less and avoids as
/// much or more, and is strictly better on one. Indices into `points` (`(cost, avoided)`), in order of cost.
pub fn efficient(points: &[(f64, f64)]) -> Vec<usize> {
    let dominated = |i: usize| {
        let (c, a) = points[i];
        points.iter().enumerate().any(|(j, &(cj, aj))| j != i && cj <= c && aj >= a && (cj < c || aj > a))
    };
    let mut out: Vec<usize> =
        (0..points.len()).filter(|&i| points[i].0.is_finite() && points[i].1.is_finite() && !dominated(i)).collect();
    out.sort_by(|&a, &b| points[a].0.total_cmp(&points[b].0).then(a.cmp(&b)));
    out
}

/// Cost against units short avoided, for the options of one end use; efficient options are filled, named and
/// joined by the frontier, dominated ones hollow and grey.
pub fn cost_vs_avoided_chart(rows: &[ComparisonRow], end_use: &str) -> anyhow::Result<String> {
    let rows: Vec<&ComparisonRow> = rows.iter().filter(|r| r.end_use == end_use).collect();
    let max_cost = rows.iter().map(|r| r.cost_usd).filter(|x| x.is_finite()).fold(0.0, f64::max);
    let (scale, unit) = if max_cost >= 1e9 { (1e9, "billion USD") } else { (1e6, "million USD") };
    let points: Vec<(f64, f64)> = rows.iter().map(|r| (r.cost_usd / scale, r.mean_avoided)).collect();
    let frontier = efficient(&points);
    let x1 = points.iter().map(|p| p.0).filter(|x| x.is_finite()).fold(0.0, f64::max).max(1e-9) * 1.15;
    let y_lo = points.iter().map(|p| p.1).filter(|x| x.is_finite()).fold(0.0, f64::min);
    let y_hi = points.iter().map(|p| p.1).filter(|x| x.is_finite()).fold(0.0, f64::max);
    let pad = ((y_hi - y_lo) * 0.12).max(1.0);
    render_svg((620, 380), |root| {
        legend_row(
            root,
            80,
            14,
            &[
                Key::Line("efficient options (frontier, filled and named)", TAIL_LINE),
                Key::Line("dominated (hollow)", MUTED),
            ],
        )?;
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_top(32)
            .margin_right(24)
            .x_label_area_size(48)
            .y_label_area_size(66)
            .build_cartesian_2d(0.0..x1, (y_lo - pad)..(y_hi + pad))?;
        draw_mesh(
            chart
                .configure_mesh()
                .x_desc(format!("Cost over the horizon ({unit})"))
                .y_desc("Units short avoided (units)")
                .x_labels(7)
                .y_labels(6)
                .x_label_formatter(&|x| number(*x))
                .y_label_formatter(&|y| number(*y)),
        )?;
        let frontier_points: Vec<(f64, f64)> = frontier.iter().map(|&i| points[i]).collect();
        chart.draw_series(LineSeries::new(frontier_points, line(TAIL_LINE, 2)))?;
        let hollow = line(MUTED, 2);
        chart.draw_series(
            (0..points.len())
                .filter(|i| !frontier.contains(i) && points[*i].0.is_finite() && points[*i].1.is_finite())
                .map(|i| Circle::new(points[i], 5, hollow)),
        )?;
        // Names sit right of their point in the left half of the chart and left of it in the right half (so
        // they are not cut at the edge), alternately above and below along the frontier (so neighbours do not
        // overlap).
        chart.draw_series(frontier.iter().enumerate().map(|(k, &i)| {
            let right_half = points[i].0 > x1 / 2.0;
            let (h, dx) = if right_half { (HPos::Right, -7) } else { (HPos::Left, 7) };
            let (v, dy) = if k % 2 == 0 { (VPos::Bottom, -5) } else { (VPos::Top, 6) };
            let name = TextStyle::from((FONT, SMALL_SIZE).into_font()).color(&BLACK).pos(Pos::new(h, v));
            EmptyElement::at(points[i])
                + Circle::new((0, 0), 5, TAIL_LINE.filled())
                + Text::new(rows[i].option.clone(), (dx, dy), name)
        }))?;
        Ok(())
    })
}

/// Renders the report of a comparison: the forest plot, one cost chart per end use, and the rows as a table.
pub fn render_compare_report(meta: &CompareMeta, rows: &[ComparisonRow]) -> anyhow::Result<String> {
    let mut page = Page::default();
    page.element("h1", None, &format!("Mitigation options: {}", meta.scenario_name));
    page.element(
        "p",
        Some("meta"),
        &format!(
            "{} trials · seed {} · {}-week horizon · scenario SHA-256 {} · chokepoint {}",
            thousands(meta.trials),
            meta.seed,
            number(meta.horizon_weeks),
            meta.scenario_sha256,
            meta.tool_version
        ),
    );
    let mut end_uses: Vec<&str> = Vec::new();
    for r in rows {
        if !end_uses.contains(&r.end_use.as_str()) {
            end_uses.push(&r.end_use);
        }
    }
    page.element("h2", None, "What each option avoids");
    page.element(
        "p",
        None,
        "How to read: one plot per end use, each on its own scale (end uses are counted in different units). Each \
         row is an option; the dot is the mean number of units short avoided over the horizon compared with the \
         baseline on the same trials, the bar its 95% confidence interval. Right of the dashed zero line is better \
         than doing nothing; a bar that crosses it is not distinguishable from no effect.",
    );
    for end_use in &end_uses {
        let of_end_use: Vec<ComparisonRow> = rows.iter().filter(|r| r.end_use == *end_use).cloned().collect();
        page.figure(
            &forest_plot(&of_end_use)?,
            &format!("Forest plot of units short avoided per option for {end_use}"),
            &format!("{end_use}: units short avoided per option, mean with 95% CI."),
            true,
        );
    }
    page.element("h2", None, "Cost against shortfall avoided");
    page.raw("<div class=\"charts\">\n");
    for end_use in end_uses {
        page.figure(
            &cost_vs_avoided_chart(rows, end_use)?,
            &format!("Cost against units short avoided for {end_use}"),
            &format!(
                "{end_use}. How to read: each point is an option, its cost over the horizon (x) against the mean units \
                 short avoided (y, units). Filled, named points joined by the line are efficient: no other option \
                 avoids as much for less. Hollow grey points are dominated."
            ),
            false,
        );
    }
    page.raw("</div>\n");
    page.element("h2", None, "The numbers");
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let per_unit = if r.mean_avoided > 0.0 {
                format!("{} USD", number(r.cost_usd / r.mean_avoided))
            } else {
                "-".to_owned()
            };
            vec![
                r.option.clone(),
                r.end_use.clone(),
                number(r.mean_avoided),
                format!("{}–{}", number(r.ci_low), number(r.ci_high)),
                format!("{} USD", number(r.cost_usd)),
                per_unit,
            ]
        })
        .collect();
    page.table(
        &[
            ("option", false),
            ("end use", false),
            ("mean units avoided", true),
            ("95% CI", true),
            ("cost", true),
            ("cost per unit avoided", true),
        ],
        &table,
    );
    page.raw(&format!(
        "<p class=\"note\">{}</p>\n",
        esc("Differences are paired: baseline and option run on the same random numbers, trial by trial.")
    ));
    Ok(page.finish(&format!("chokepoint · options · {}", meta.scenario_name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<ComparisonRow> {
        let row = |option: &str, end_use: &str, mean: f64, cost: f64| ComparisonRow {
            option: option.into(),
            end_use: end_use.into(),
            mean_avoided: mean,
            ci_low: mean - 5.0,
            ci_high: mean + 5.0,
            cost_usd: cost,
        };
        vec![
            row("stockpile_60d", "wind_turbines", 40.0, 2.0e8),
            row("stockpile_60d", "f35", 3.0, 2.0e8),
            row("recycling", "wind_turbines", 10.0, 5.0e8),
            row("thrifting", "wind_turbines", 25.0, 1.0e8),
            row("thrifting", "f35", -2.0, 1.0e8),
        ]
    }

    #[test]
    fn efficient_options_are_those_nothing_beats_on_both() {
        let points = [(2.0, 40.0), (5.0, 10.0), (1.0, 25.0), (1.0, 20.0)];
        assert_eq!(efficient(&points), [2, 0]);
    }

    #[test]
    fn the_forest_plot_has_a_row_per_option_and_end_use() {
        let svg = forest_plot(&rows()).unwrap();
        roxmltree::Document::parse(&svg).expect("well-formed SVG");
        assert!(svg.contains("stockpile_60d · wind_turbines") && svg.contains("thrifting · f35"));
        assert_eq!(svg.matches("<circle").count(), 5);
    }

    #[test]
    fn the_compare_report_is_well_formed_and_names_the_efficient_options() {
        let meta = CompareMeta {
            scenario_name: "s".into(),
            scenario_sha256: "ab".repeat(32),
            seed: 1,
            trials: 100,
            horizon_weeks: 156.0,
            tool_version: "0.1.0".into(),
        };
        let html = render_compare_report(&meta, &rows()).unwrap();
        let options = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
        let doc = roxmltree::Document::parse_with_options(&html, options).expect("well-formed XHTML");
        let svgs = doc.descendants().filter(|n| n.has_tag_name(("http://www.w3.org/2000/svg", "svg"))).count();
        assert_eq!(svgs, 4, "one forest plot and one cost chart per end use");
        let wind = cost_vs_avoided_chart(&rows(), "wind_turbines").unwrap();
        assert!(wind.contains("stockpile_60d") && wind.contains("thrifting") && !wind.contains(">\nrecycling\n<"));
    }
}
