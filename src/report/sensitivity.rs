//! The report of a sensitivity analysis (`sensitivity`), made from `sensitivity.json` alone: the tornado (the
//! change each parameter makes at its low and its high value, largest swing first) and the variance-based indices
//! (first order inside total, the events as a factor of their own).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::charts::{
    BAND_INNER, BAND_OUTER, FONT, Key, MEDIAN, MUTED, SMALL_SIZE, TAIL_LINE, legend_row, line, render_svg,
};
use super::html::Page;
use crate::documents::sensitivity::{SensitivityDocument, SobolJson, TornadoJson};
use crate::render::sensitivity::index;
use crate::render::table::{number, percent, thousands};

/// Bars drawn in each chart.
const CHART_BARS: usize = 20;

/// A key cut to fit the label column of a horizontal bar chart (its end kept).
pub(super) fn label(key: &str) -> String {
    const MAX: usize = 52;
    if key.chars().count() <= MAX {
        return key.to_owned();
    }
    let tail: String = key.chars().rev().take(MAX - 1).collect::<Vec<_>>().into_iter().rev().collect();
    format!("…{tail}")
}

/// Draws the category labels of a horizontal bar chart, right-aligned in the left margin, one per row.
fn row_labels(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    labels: &[String],
    top: i32,
    row: i32,
    x: i32,
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    let style = TextStyle::from((FONT, SMALL_SIZE).into_font()).color(&BLACK).pos(Pos::new(HPos::Right, VPos::Center));
    for (k, text) in labels.iter().enumerate() {
        root.draw(&Text::new(text.clone(), (x, top + row * k as i32 + row / 2), style.clone()))?;
    }
    Ok(())
}

/// The tornado: for each parameter, the change from the base with the parameter at its low value (blue) and at its
/// high value (red), largest swing at the top.
pub fn tornado_chart(doc: &SensitivityDocument, t: &TornadoJson) -> anyhow::Result<String> {
    let bars: Vec<_> = t.bars.iter().take(CHART_BARS).collect();
    let n = bars.len().max(1);
    let (row, top, left) = (26, 44, 400);
    let height = (top + row * n as i32 + 56) as u32;
    let lo =
        bars.iter().flat_map(|b| [b.low_change.mean, b.high_change.mean]).filter(|x| x.is_finite()).fold(0.0, f64::min);
    let hi =
        bars.iter().flat_map(|b| [b.low_change.mean, b.high_change.mean]).filter(|x| x.is_finite()).fold(0.0, f64::max);
    let pad = ((hi - lo) * 0.06).max(1e-9);
    let labels: Vec<String> = bars.iter().map(|b| label(&b.key)).collect();
    let low_key = format!("at P{}", number(t.low_quantile * 100.0));
    let high_key = format!("at P{}", number(t.high_quantile * 100.0));
    render_svg((980, height), |root| {
        legend_row(root, left, 14, &[Key::Fill(&low_key, BAND_INNER), Key::Fill(&high_key, TAIL_LINE)])?;
        row_labels(root, &labels, top, row, left - 8)?;
        let area = root.margin(top as u32, 56, left as u32, 24);
        let mut chart = ChartBuilder::on(&area).build_cartesian_2d((lo - pad)..(hi + pad), 0.0..n as f64)?;
        for (k, b) in bars.iter().enumerate() {
            // The low value's bar in the upper half of the row, the high value's in the lower half, so that
            // neither hides the other when both go the same way.
            let upper = n as f64 - k as f64 - 0.16;
            let halves = [
                (b.low_change.mean, BAND_INNER, upper - 0.34, upper),
                (b.high_change.mean, TAIL_LINE, upper - 0.68, upper - 0.34),
            ];
            for (value, colour, y0, y1) in halves {
                if value.is_finite() && value != 0.0 {
                    chart.draw_series(std::iter::once(Rectangle::new([(0.0, y0), (value, y1)], colour.filled())))?;
                }
            }
        }
        chart.draw_series(std::iter::once(PathElement::new(vec![(0.0, 0.0), (0.0, n as f64)], line(BLACK, 1))))?;
        // The axis below the bars.
        let axis = root.margin((top + row * n as i32) as u32, 0, left as u32, 24);
        let mut scale =
            ChartBuilder::on(&axis).x_label_area_size(44).build_cartesian_2d((lo - pad)..(hi + pad), 0.0..1.0)?;
        scale
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .disable_x_mesh()
            .x_labels(6)
            .x_label_formatter(&|x| doc.signed(*x))
            .x_desc(format!("Change of {} from the base", doc.metric.description))
            .label_style((FONT, SMALL_SIZE))
            .axis_desc_style((FONT, SMALL_SIZE))
            .draw()?;
        Ok(())
    })
}

/// The variance-based indices: for each factor, its total index (light) with its interval, and its first-order
/// index (dark) inside it; the events first, then the parameters by total index.
pub fn sobol_chart(s: &SobolJson) -> anyhow::Result<String> {
    let rows: Vec<_> = std::iter::once(&s.events).chain(s.factors.iter().take(CHART_BARS)).collect();
    let n = rows.len();
    let (row, top, left) = (26, 44, 400);
    let height = (top + row * n as i32 + 56) as u32;
    let x_max = rows.iter().map(|f| f.total.ci95_high).filter(|x| x.is_finite()).fold(1.0, f64::max).min(1.5);
    let labels: Vec<String> = rows
        .iter()
        .map(|f| {
            if f.key == chokepoint_analysis::sobol::EVENTS {
                "events (the trial's dice)".to_owned()
            } else {
                label(&f.key)
            }
        })
        .collect();
    render_svg((980, height), |root| {
        legend_row(
            root,
            left,
            14,
            &[
                Key::Fill("total index", BAND_OUTER),
                Key::Fill("first order", MEDIAN),
                Key::Line("95% CI of total", MUTED),
            ],
        )?;
        row_labels(root, &labels, top, row, left - 8)?;
        let area = root.margin(top as u32, 56, left as u32, 24);
        let mut chart = ChartBuilder::on(&area).build_cartesian_2d(0.0..x_max, 0.0..n as f64)?;
        for (k, f) in rows.iter().enumerate() {
            let y = n as f64 - k as f64;
            let clamp = |v: f64| if v.is_finite() { v.clamp(0.0, x_max) } else { 0.0 };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y - 0.85), (clamp(f.total.value), y - 0.15)],
                BAND_OUTER.filled(),
            )))?;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y - 0.7), (clamp(f.first_order.value), y - 0.3)],
                MEDIAN.filled(),
            )))?;
            if f.total.ci95_low.is_finite() && f.total.ci95_high.is_finite() {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(clamp(f.total.ci95_low), y - 0.5), (clamp(f.total.ci95_high), y - 0.5)],
                    line(MUTED, 1),
                )))?;
            }
        }
        let axis = root.margin((top + row * n as i32) as u32, 0, left as u32, 24);
        let mut scale = ChartBuilder::on(&axis).x_label_area_size(44).build_cartesian_2d(0.0..x_max, 0.0..1.0)?;
        scale
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .disable_x_mesh()
            .x_labels(6)
            .x_label_formatter(&|x| format!("{x:.1}"))
            .x_desc("Share of the variance of the metric")
            .label_style((FONT, SMALL_SIZE))
            .axis_desc_style((FONT, SMALL_SIZE))
            .draw()?;
        Ok(())
    })
}

/// Renders the report of a sensitivity analysis.
pub fn render_sensitivity_report(doc: &SensitivityDocument) -> anyhow::Result<String> {
    let mut page = Page::study(
        &format!("Which assumptions matter: {}", doc.scenario.name),
        &[
            format!("metric: {}", doc.metric.description),
            format!("{} uncertain parameters", doc.parameters.len()),
            format!("seed {}", doc.run.seed),
        ],
        &doc.scenario.sha256,
        &doc.scenario.settings,
        &doc.tool.version,
    );
    if let Some(t) = &doc.tornado {
        page.element("h2", None, "One assumption at a time (tornado)");
        let lead = t.bars.first();
        page.element(
            "p",
            Some("lede"),
            &format!(
                "Each parameter set to its P{} and then its P{}, every other as the scenario gives it, {} trials per \
                 run on the same draws. With everything as given, {} is {} (95% CI {}–{}).{}",
                number(t.low_quantile * 100.0),
                number(t.high_quantile * 100.0),
                thousands(doc.run.trials),
                doc.metric.description,
                doc.value(t.base.mean),
                doc.value(t.base.ci95_low.max(0.0)),
                doc.value(t.base.ci95_high),
                lead.map_or_else(String::new, |b| format!(
                    " The largest swing comes from {}: from {} to {} {} it moves the metric by {} (95% CI {} to {}).",
                    b.key,
                    number(b.low_value),
                    number(b.high_value),
                    b.unit,
                    doc.signed(b.swing.mean),
                    doc.signed(b.swing.ci95_low),
                    doc.signed(b.swing.ci95_high)
                ))
            ),
        );
        page.figure(
            &tornado_chart(doc, t)?,
            "Tornado chart of the change of the metric with each parameter at its low and high value",
            &format!(
                "How to read: each row is one parameter, largest swing at the top (the first {} of {}); the blue bar \
                 (upper half of the row) is the change from the base with the parameter at its low value, the red bar \
                 (lower half) at its high value. \
                 Changes are means of trial-by-trial differences on the same draws. A disruption's parameters share \
                 its random stream, so theirs are measured from the parameter at its median instead of the base \
                 (the table says which).",
                t.bars.len().min(CHART_BARS),
                t.bars.len()
            ),
            true,
        );
        let rows: Vec<Vec<String>> = t
            .bars
            .iter()
            .enumerate()
            .map(|(k, b)| {
                vec![
                    (k + 1).to_string(),
                    b.key.clone(),
                    format!("{} → {} {}", number(b.low_value), number(b.high_value), b.unit),
                    if b.scope == "event" { "each event".to_owned() } else { "per trial".to_owned() },
                    b.reference_value.map_or_else(|| "base".to_owned(), |v| format!("P50 ({})", number(v))),
                    doc.signed(b.low_change.mean),
                    doc.signed(b.high_change.mean),
                    format!(
                        "{} ({} to {})",
                        doc.signed(b.swing.mean),
                        doc.signed(b.swing.ci95_low),
                        doc.signed(b.swing.ci95_high)
                    ),
                ]
            })
            .collect();
        page.table(
            &[
                ("#", true),
                ("parameter", false),
                ("low → high", true),
                ("drawn", false),
                ("changes from", true),
                ("change at low", true),
                ("change at high", true),
                ("swing (95% CI)", true),
            ],
            &rows,
        );
    }
    if let Some(s) = &doc.sobol {
        page.element("h2", None, "Shares of the variance (Sobol indices)");
        if !(s.variance > 0.0) {
            page.element("p", None, "The metric did not vary across the samples: there is no variance to apportion.");
        } else {
            let sum: f64 = s.factors.iter().map(|f| f.first_order.value).sum::<f64>() + s.events.first_order.value;
            page.element(
                "p",
                Some("lede"),
                &format!(
                    "{} base samples, {} trials (Saltelli design; first order by the Saltelli 2010 estimator, total \
                     by Jansen's; 95% bootstrap intervals of {} resamples). The events, the trial's own dice \
                     (disruption timing, licence reviews, every parameter not studied{}), explain {} of the variance \
                     alone and {} with their interactions{}. The first-order indices sum to {}.",
                    thousands(s.base_samples as u64),
                    thousands(s.evaluations),
                    s.bootstrap,
                    if s.in_events.is_empty() { String::new() } else { " and those drawn per event".to_owned() },
                    percent(s.events.first_order.value.max(0.0)),
                    percent(s.events.total.value.max(0.0)),
                    if s.events.total.value > 1.0 {
                        " (above 100 %: sampling error of the estimate, which more base samples narrow)"
                    } else {
                        ""
                    },
                    percent(sum)
                ),
            );
            page.figure(
                &sobol_chart(s)?,
                "Variance-based indices of the events and of each parameter",
                "How to read: the light bar is a factor's total index (its share of the variance with every \
                 interaction it takes part in), the dark bar inside it the first-order index (its share alone); the \
                 grey line is the 95% bootstrap interval of the total. Estimates near zero can come out slightly \
                 negative.",
                true,
            );
            let rows: Vec<Vec<String>> = std::iter::once(&s.events)
                .chain(&s.factors)
                .map(|f| vec![f.key.clone(), index(&f.first_order), index(&f.total)])
                .collect();
            page.table(&[("factor", false), ("first order (95% CI)", true), ("total (95% CI)", true)], &rows);
        }
    }
    page.element("h2", None, "The parameters");
    let rows: Vec<Vec<String>> = doc
        .parameters
        .iter()
        .map(|p| {
            vec![
                p.key.clone(),
                if p.scope == "event" { "per event".to_owned() } else { "per trial".to_owned() },
                number(p.p10),
                number(p.p50),
                number(p.p90),
                p.unit.clone(),
                if p.knowledge { "yes".to_owned() } else { String::new() },
            ]
        })
        .collect();
    page.table(
        &[
            ("key", false),
            ("drawn", false),
            ("P10", true),
            ("P50", true),
            ("P90", true),
            ("unit", false),
            ("knowledge", false),
        ],
        &rows,
    );
    Ok(page.finish(&format!("chokepoint · sensitivity · {}", doc.scenario.name)))
}
