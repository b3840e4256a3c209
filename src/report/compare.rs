//! The report of a comparison (`compare`), made from `compare.json` alone: the overall ranking by loss avoided
//! over every end use, cost against loss avoided with the efficient frontier (dominated options named), and per end
//! use the baseline level and forest plots of the paired differences (units short or delay avoided, and the
//! change in P(short or late)) with their numbers.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::charts::{FONT, Key, MEDIAN, MUTED, SMALL_SIZE, TAIL_LINE, draw_mesh, legend_row, line, render_svg};
use super::html::{Page, esc};
use crate::documents::compare::{CompareDocument, EndUseJson, PairedJson};
use crate::render::compare::points;
use crate::render::table::{money, number, percent, thousands, usd};

/// One row of a forest plot: a label and an amount with its 95 % interval.
#[derive(Debug, Clone, PartialEq)]
pub struct ForestRow {
    pub label: String,
    pub mean: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// Forest plot: for each row, the mean with its 95 % interval; the dashed line at zero is "no effect", right of
/// it is better.
pub fn forest_plot(rows: &[ForestRow], x_desc: &str, width: u32) -> anyhow::Result<String> {
    let n = rows.len().max(1);
    let lo = rows.iter().map(|r| r.ci_low).filter(|x| x.is_finite()).fold(0.0, f64::min);
    let hi = rows.iter().map(|r| r.ci_high).filter(|x| x.is_finite()).fold(0.0, f64::max);
    let pad = ((hi - lo) * 0.06).max(1e-9);
    let (x0, x1) = if hi > lo { (lo - pad, hi + pad) } else { (-1.0, 1.0) };
    let label_w = rows.iter().map(|r| r.label.chars().count()).max().unwrap_or(10) as u32 * 8 + 24;
    let height = 90 + 26 * n as u32;
    render_svg((width, height), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(48)
            .y_label_area_size(label_w)
            .build_cartesian_2d(x0..x1, (0..n).into_segmented())?;
        draw_mesh(
            chart
                .configure_mesh()
                .x_desc(x_desc)
                .x_labels(6)
                .y_labels(n)
                .x_label_formatter(&|x| number(*x))
                .y_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) if *i < n => {
                        rows.get(n - 1 - *i).map(|r| r.label.clone()).unwrap_or_default()
                    }
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
            if r.mean.is_finite() {
                chart.draw_series(std::iter::once(Circle::new((r.mean, y), 5, MEDIAN.filled())))?;
            }
        }
        Ok(())
    })
}

/// A point of the cost chart: an option's cost, the loss it avoids (mean and interval), and whether another
/// option dominates it.
#[derive(Debug, Clone, PartialEq)]
pub struct CostPoint {
    pub name: String,
    pub cost_usd: f64,
    pub avoided: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub dominated: bool,
}

/// Cost (x) against loss avoided (y, with its 95 % interval): efficient options filled and joined by the
/// frontier, dominated ones hollow and grey; every option is named.
pub fn cost_vs_avoided_chart(points: &[CostPoint], y_desc: &str, loss_unit: &str) -> anyhow::Result<String> {
    let max_cost = points.iter().map(|p| p.cost_usd).filter(|x| x.is_finite()).fold(0.0, f64::max);
    let (scale, unit) = if max_cost >= 1e9 { (1e9, "billion USD") } else { (1e6, "million USD") };
    let xy: Vec<(f64, f64)> = points.iter().map(|p| (p.cost_usd / scale, p.avoided)).collect();
    let mut frontier: Vec<usize> = (0..points.len()).filter(|&i| !points[i].dominated).collect();
    frontier.sort_by(|&a, &b| xy[a].0.total_cmp(&xy[b].0).then(a.cmp(&b)));
    let x1 = xy.iter().map(|p| p.0).filter(|x| x.is_finite()).fold(0.0, f64::max).max(1e-9) * 1.15;
    let y_lo = points.iter().map(|p| p.ci_low).filter(|x| x.is_finite()).fold(0.0, f64::min);
    let y_hi = points.iter().map(|p| p.ci_high).filter(|x| x.is_finite()).fold(0.0, f64::max);
    let pad = ((y_hi - y_lo) * 0.12).max(1e-9);
    render_svg((980, 440), |root| {
        legend_row(
            root,
            80,
            14,
            &[
                Key::Line("efficient options (frontier, filled)", TAIL_LINE),
                Key::Line("dominated (hollow, grey)", MUTED),
                Key::Line("95% CI", MEDIAN),
            ],
        )?;
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_top(32)
            .margin_right(24)
            .x_label_area_size(48)
            .y_label_area_size(76)
            .build_cartesian_2d(0.0..x1, (y_lo - pad)..(y_hi + pad))?;
        draw_mesh(
            chart
                .configure_mesh()
                .x_desc(format!("Cost over the horizon ({unit})"))
                .y_desc(y_desc)
                .x_labels(7)
                .y_labels(6)
                .x_label_formatter(&|x| number(*x))
                .y_label_formatter(&|y| money(*y, loss_unit)),
        )?;
        for (p, &(x, _)) in points.iter().zip(&xy) {
            if p.ci_low.is_finite() && p.ci_high.is_finite() {
                let colour = if p.dominated { MUTED } else { MEDIAN };
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x, p.ci_low), (x, p.ci_high)],
                    line(colour, 1),
                )))?;
            }
        }
        let frontier_points: Vec<(f64, f64)> = frontier.iter().map(|&i| xy[i]).collect();
        chart.draw_series(LineSeries::new(frontier_points, line(TAIL_LINE, 2)))?;
        // Names sit right of their point in the left half and left of it in the right half (so they are not cut
        // at the edge), alternately above and below in order of cost (so neighbours do not overlap).
        let mut order: Vec<usize> = (0..points.len()).collect();
        order.sort_by(|&a, &b| xy[a].0.total_cmp(&xy[b].0).then(a.cmp(&b)));
        chart.draw_series(order.iter().enumerate().map(|(k, &i)| {
            let right_half = xy[i].0 > x1 / 2.0;
            let (h, dx) = if right_half { (HPos::Right, -8) } else { (HPos::Left, 8) };
            let (v, dy) = if k % 2 == 0 { (VPos::Bottom, -6) } else { (VPos::Top, 7) };
            let colour: &'static RGBColor = if points[i].dominated { &MUTED } else { &BLACK };
            let name = TextStyle::from((FONT, SMALL_SIZE).into_font()).color(colour).pos(Pos::new(h, v));
            let marker = if points[i].dominated {
                Circle::new((0, 0), 5, line(MUTED, 2))
            } else {
                Circle::new((0, 0), 5, TAIL_LINE.filled())
            };
            EmptyElement::at(xy[i]) + marker + Text::new(points[i].name.clone(), (dx, dy), name)
        }))?;
        Ok(())
    })
}

/// A paired amount with its interval, for tables: "271k (251k to 290k)".
fn paired(p: &PairedJson) -> String {
    format!("{} ({} to {})", number(p.avoided_mean), number(p.ci95_low), number(p.ci95_high))
}

/// Renders the report of a comparison from its document.
pub fn render_compare_report(doc: &CompareDocument) -> anyhow::Result<String> {
    let unit = &doc.loss.unit;
    let mut page = Page::study(
        &format!("Mitigation options: {}", doc.scenario.name),
        &[
            format!("{} trials per variant", thousands(doc.run.common.trials)),
            format!("seed {}", doc.run.common.seed),
            format!("{} variants on common random numbers", doc.run.variants),
            format!("costs over {} years", number(doc.run.common.horizon_years)),
        ],
        &doc.scenario.sha256,
        &doc.scenario.settings,
        &doc.tool.version,
    );

    page.element("h2", None, "Overall: loss avoided over every end use");
    let base = &doc.loss.baseline;
    page.element(
        "p",
        None,
        &format!(
            "Every end use on one scale ({unit}): units never built and unit-weeks late, valued as the scenario says. \
             Without any option the loss averages {} per trial (95% CI {}–{}). Options are ranked by the loss they \
             avoid, paired trial by trial with the baseline: first those whose 95% interval lies above zero, then \
             those with no detectable effect, then those that do harm. Value for money (loss avoided per dollar) is \
             given only for options with a detectable benefit.",
            money(base.mean, unit),
            money(base.ci95_low.max(0.0), unit),
            money(base.ci95_high, unit)
        ),
    );
    let per = if unit == "USD" { "loss avoided per $" } else { "weeks avoided per $M" };
    let rows: Vec<Vec<String>> = doc
        .options
        .iter()
        .map(|o| {
            let a = &o.loss_avoided;
            vec![
                o.rank.to_string(),
                o.name.clone(),
                o.mitigation_kind.clone().unwrap_or_else(|| o.kind.clone()),
                format!("{} ({}–{})", money(a.avoided_mean, unit), money(a.ci95_low, unit), money(a.ci95_high, unit)),
                a.effect.words().to_owned(),
                usd(o.cost.total_usd),
                o.loss_avoided_per_usd
                    .map_or_else(|| "—".to_owned(), |r| number(if unit == "USD" { r.point } else { r.point * 1e6 })),
                o.rank_by_value.map_or_else(|| "—".to_owned(), |r| r.to_string()),
                format!("{} / {}", o.end_uses_improved, o.end_uses_worsened),
                o.dominated_by.clone().unwrap_or_else(|| "—".to_owned()),
            ]
        })
        .collect();
    page.table(
        &[
            ("rank", true),
            ("option", false),
            ("kind", false),
            ("loss avoided (95% CI)", true),
            ("effect", false),
            ("cost", true),
            (per, true),
            ("value rank", true),
            ("end uses better / worse", true),
            ("dominated by", false),
        ],
        &rows,
    );
    let points: Vec<CostPoint> = doc
        .options
        .iter()
        .map(|o| CostPoint {
            name: o.name.clone(),
            cost_usd: o.cost.total_usd,
            avoided: o.loss_avoided.avoided_mean,
            ci_low: o.loss_avoided.ci95_low,
            ci_high: o.loss_avoided.ci95_high,
            dominated: o.dominated_by.is_some(),
        })
        .collect();
    page.figure(
        &cost_vs_avoided_chart(&points, &format!("Loss avoided per trial ({unit})"), unit)?,
        "Cost against loss avoided, with the efficient frontier",
        "How to read: each point is an option, its cost over the horizon (x) against the mean loss it avoids over \
         every end use (y), with its 95% interval (vertical bar). Filled points joined by the line are efficient: \
         no other option costs as little and avoids as much. Hollow grey points are dominated; the table names the \
         option that dominates each.",
        true,
    );

    page.element("h2", None, "Per end use");
    page.element(
        "p",
        Some("note"),
        "How to read: for each end use, each row of a plot is an option; the dot is the mean paired difference with \
         the baseline, the bar its 95% confidence interval, and right of the dashed zero line is better. Lost \
         demand: units never built avoided. Backlogged demand: unit-weeks late avoided (each late unit counts the \
         weeks it waits). Right: the fall \
         in the probability of being short or late at all, in percentage points. A bar that crosses zero is not \
         distinguishable from no effect.",
    );
    let mut quiet = Vec::new();
    for e in &doc.end_uses {
        if e.never_short() {
            quiet.push(e.name.clone());
            continue;
        }
        end_use_section(&mut page, e)?;
    }
    if !quiet.is_empty() {
        page.element("p", None, &format!("Never short or late, with or without any option: {}.", quiet.join(", ")));
    }
    page.raw(&format!(
        "<p class=\"note\">{}</p>\n",
        esc("Differences are paired: the baseline and every option run on the same random numbers, trial by trial. \
             compare.json holds every figure of this page.")
    ));
    if let Some(v) = &doc.value_of_information {
        super::value_of_information::section(&mut page, v)?;
    }
    Ok(page.finish(&format!("chokepoint · options · {}", doc.scenario.name)))
}

/// One end use: its baseline, the two forest plots and the table.
fn end_use_section(page: &mut Page, e: &EndUseJson) -> anyhow::Result<()> {
    let b = &e.baseline;
    let unit = &e.unit;
    page.raw(&format!("<div class=\"card\" id=\"end-use-{}\">\n", esc(&e.name)));
    page.raw(&format!(
        "<h3>{}<span class=\"class\">{} · {} · {}</span></h3>\n",
        esc(&e.name),
        esc(&e.class),
        esc(unit),
        esc(&e.unmet_demand)
    ));
    let sentence = if e.backlogged() {
        format!(
            "Baseline: late in {} of trials (95% CI {}–{}){}; the backlog averages {} unit-weeks a trial.",
            percent(b.p_short_or_late.p),
            percent(b.p_short_or_late.ci95_low),
            percent(b.p_short_or_late.ci95_high),
            b.max_delay_weeks_when_late.as_ref().map_or_else(String::new, |d| format!(
                "; in those trials the longest delay of a unit is {} weeks at the median and {} at P95",
                number(d.p50),
                number(d.p95)
            )),
            number(b.backlog_unit_weeks.mean)
        )
    } else {
        format!(
            "Baseline: short in {} of trials (95% CI {}–{}); {} {unit} never built on average (95% CI {}–{}).",
            percent(b.p_short_or_late.p),
            percent(b.p_short_or_late.ci95_low),
            percent(b.p_short_or_late.ci95_high),
            number(b.units_short.mean),
            number(b.units_short.ci95_low.max(0.0)),
            number(b.units_short.ci95_high)
        )
    };
    page.element("p", None, &sentence);
    let main = |o: &crate::documents::compare::EffectJson| {
        if e.backlogged() { o.backlog_unit_weeks_avoided } else { o.units_short_avoided }
    };
    let main_rows: Vec<ForestRow> = e
        .options
        .iter()
        .map(|o| {
            let p = main(o);
            ForestRow { label: o.option.clone(), mean: p.avoided_mean, ci_low: p.ci95_low, ci_high: p.ci95_high }
        })
        .collect();
    // The fall in probability, so that right is better in both plots.
    let p_rows: Vec<ForestRow> = e
        .options
        .iter()
        .map(|o| {
            let d = &o.p_short_or_late;
            ForestRow {
                label: o.option.clone(),
                mean: -100.0 * d.delta,
                ci_low: -100.0 * d.ci95_high,
                ci_high: -100.0 * d.ci95_low,
            }
        })
        .collect();
    let main_desc = if e.backlogged() {
        format!("Unit-weeks late avoided ({unit} x weeks; mean, 95% CI)")
    } else {
        format!("Units short avoided ({unit}; mean, 95% CI)")
    };
    page.raw("<div class=\"charts\">\n");
    page.figure(
        &forest_plot(&main_rows, &main_desc, 620)?,
        &format!("Forest plot of what each option avoids for {}", e.name),
        &format!("{}: {main_desc}.", e.name),
        false,
    );
    page.figure(
        &forest_plot(&p_rows, "Fall in P(short or late), percentage points", 620)?,
        &format!("Forest plot of the fall in the probability of being short or late per option for {}", e.name),
        &format!("{}: fall in P(short or late), percentage points (right is better).", e.name),
        false,
    );
    page.raw("</div>\n");
    let change = |o: &crate::documents::compare::EffectJson| {
        let d = &o.p_short_or_late;
        format!("{} ({} to {})", points(d.delta), points(d.ci95_low), points(d.ci95_high))
    };
    let price = |c: Option<crate::documents::compare::RatioJson>| c.map_or_else(|| "—".to_owned(), |c| usd(c.point));
    if e.backlogged() {
        let rows: Vec<Vec<String>> = e
            .options
            .iter()
            .map(|o| {
                vec![
                    o.rank.to_string(),
                    o.option.clone(),
                    o.effect.words().to_owned(),
                    paired(&o.backlog_unit_weeks_avoided),
                    paired(&o.max_delay_weeks_avoided),
                    change(o),
                    paired(&o.units_short_avoided),
                    price(o.cost_per_unit_week_late_avoided_usd),
                ]
            })
            .collect();
        page.table(
            &[
                ("rank", true),
                ("option", false),
                ("effect", false),
                ("unit-weeks late avoided", true),
                ("longest delay avoided, weeks", true),
                ("ΔP(late), percentage points", true),
                ("units still owed at the end, avoided", true),
                ("cost per unit-week avoided", true),
            ],
            &rows,
        );
    } else {
        let rows: Vec<Vec<String>> = e
            .options
            .iter()
            .map(|o| {
                vec![
                    o.rank.to_string(),
                    o.option.clone(),
                    o.effect.words().to_owned(),
                    paired(&o.units_short_avoided),
                    change(o),
                    paired(&o.loss_avoided),
                    price(o.cost_per_unit_short_avoided_usd),
                ]
            })
            .collect();
        page.table(
            &[
                ("rank", true),
                ("option", false),
                ("effect", false),
                ("units short avoided", true),
                ("ΔP(short), percentage points", true),
                ("loss avoided", true),
                ("cost per unit avoided", true),
            ],
            &rows,
        );
    }
    page.raw("</div>\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forest_plot_has_a_row_per_option() {
        let rows = vec![
            ForestRow { label: "stockpile".into(), mean: 3.0, ci_low: 1.0, ci_high: 5.0 },
            ForestRow { label: "thrifting".into(), mean: -2.0, ci_low: -4.0, ci_high: 0.5 },
        ];
        let svg = forest_plot(&rows, "Units short avoided", 620).unwrap();
        roxmltree::Document::parse(&svg).expect("well-formed SVG");
        assert!(svg.contains("stockpile") && svg.contains("thrifting"));
        assert_eq!(svg.matches("<circle").count(), 2);
    }

    #[test]
    fn the_cost_chart_names_every_option_and_greys_the_dominated() {
        let point = |name: &str, cost: f64, avoided: f64, dominated: bool| CostPoint {
            name: name.into(),
            cost_usd: cost,
            avoided,
            ci_low: avoided - 1.0,
            ci_high: avoided + 1.0,
            dominated,
        };
        let svg = cost_vs_avoided_chart(
            &[point("cheap", 1e6, 5.0, false), point("dear", 5e6, 4.0, true), point("best", 9e6, 20.0, false)],
            "Loss avoided",
            "USD",
        )
        .unwrap();
        roxmltree::Document::parse(&svg).expect("well-formed SVG");
        assert!(svg.contains("\ncheap\n") && svg.contains("\ndear\n") && svg.contains("\nbest\n"), "{svg}");
    }
}
