//! The report of a sweep (`sweep`), made from `sweep.json` alone: one line chart per metric against the first key
//! varied, with the 95 % interval of each point as a band, one line per combination of the other keys' values.

use chokepoint_analysis::portfolio::Objective;
use plotters::prelude::*;

use super::charts::{BAND_OUTER, Key, MEDIAN, TAIL_LINE, draw_mesh, legend_row, line, render_svg};
use super::html::Page;
use crate::documents::sweep::{PointJson, SweepDocument};
use crate::render::table::{number, thousands};

/// Line colours for the series, each with its band colour.
const SERIES: &[(RGBColor, RGBColor)] = &[
    (MEDIAN, BAND_OUTER),
    (TAIL_LINE, RGBColor(0xfd, 0xdb, 0xc7)),
    (RGBColor(0x23, 0x8b, 0x45), RGBColor(0xc7, 0xe9, 0xc0)),
    (RGBColor(0x6a, 0x51, 0xa3), RGBColor(0xda, 0xda, 0xeb)),
    (RGBColor(0x8c, 0x51, 0x09), RGBColor(0xf6, 0xe8, 0xc3)),
    (RGBColor(0x35, 0x35, 0x35), RGBColor(0xe0, 0xe0, 0xe0)),
];

/// The points grouped into series: those that share the values of every key but the first, sorted by the first.
fn series(doc: &SweepDocument) -> Vec<(String, Vec<&PointJson>)> {
    let mut out: Vec<(Vec<f64>, Vec<&PointJson>)> = Vec::new();
    for p in &doc.points {
        let rest = p.values[1..].to_vec();
        match out.iter_mut().find(|(r, _)| *r == rest) {
            Some((_, v)) => v.push(p),
            None => out.push((rest, vec![p])),
        }
    }
    out.into_iter()
        .map(|(rest, mut points)| {
            points.sort_by(|a, b| a.values[0].total_cmp(&b.values[0]));
            let label = doc.keys[1..]
                .iter()
                .zip(&rest)
                .map(|(k, v)| format!("{} = {}", crate::render::sweep::short_key(k), number(*v)))
                .collect::<Vec<_>>()
                .join(", ");
            (label, points)
        })
        .collect()
}

/// A line chart of one metric against the first key, with the 95 % interval of each point as a band.
pub fn metric_chart(doc: &SweepDocument, metric: Objective) -> anyhow::Result<String> {
    let groups = series(doc);
    let xs = doc.points.iter().map(|p| p.values[0]);
    let (x0, x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)));
    let pad = if x1 > x0 { (x1 - x0) * 0.04 } else { 1.0 };
    let values: Vec<(f64, f64, f64)> = doc.points.iter().map(|p| doc.value(p, metric)).collect();
    let y_hi = values.iter().map(|v| v.2.max(v.0)).filter(|y| y.is_finite()).fold(0.0, f64::max);
    let y_lo = values.iter().map(|v| v.1.min(v.0)).filter(|y| y.is_finite()).fold(0.0, f64::min);
    let y_pad = ((y_hi - y_lo) * 0.08).max(1e-9);
    let keys: Vec<Key<'_>> = groups
        .iter()
        .enumerate()
        .filter(|(_, (label, _))| !label.is_empty())
        .map(|(k, (label, _))| Key::Line(label.as_str(), SERIES[k % SERIES.len()].0))
        .collect();
    render_svg((620, 340), |root| {
        let legend: Vec<Key<'_>> = if keys.is_empty() {
            vec![Key::Line("mean", MEDIAN), Key::Fill("95% CI", BAND_OUTER)]
        } else {
            keys.clone()
        };
        legend_row(root, 80, 14, &legend)?;
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_top(32)
            .margin_right(24)
            .x_label_area_size(48)
            .y_label_area_size(78)
            .build_cartesian_2d((x0 - pad)..(x1 + pad), (y_lo - y_pad).min(0.0)..(y_hi + y_pad))?;
        draw_mesh(
            chart
                .configure_mesh()
                .x_desc(doc.keys[0].as_str())
                .y_desc(doc.title(metric))
                .x_labels(7)
                .y_labels(6)
                .x_label_formatter(&|x| number(*x))
                .y_label_formatter(&|y| doc.format(metric, *y)),
        )?;
        for (k, (_, points)) in groups.iter().enumerate() {
            let (colour, band) = SERIES[k % SERIES.len()];
            let vals: Vec<(f64, f64, f64, f64)> = points
                .iter()
                .map(|p| {
                    let (m, lo, hi) = doc.value(p, metric);
                    (p.values[0], m, lo, hi)
                })
                .filter(|v| v.1.is_finite() && v.2.is_finite() && v.3.is_finite())
                .collect();
            if vals.len() > 1 {
                let mut polygon: Vec<(f64, f64)> = vals.iter().map(|v| (v.0, v.3)).collect();
                polygon.extend(vals.iter().rev().map(|v| (v.0, v.2)));
                chart.draw_series(std::iter::once(Polygon::new(polygon, band.mix(0.7).filled())))?;
            } else if let Some(v) = vals.first() {
                chart.draw_series(std::iter::once(PathElement::new(vec![(v.0, v.2), (v.0, v.3)], line(colour, 2))))?;
            }
            chart.draw_series(LineSeries::new(vals.iter().map(|v| (v.0, v.1)), line(colour, 2)))?;
            chart.draw_series(vals.iter().map(|v| Circle::new((v.0, v.1), 3, colour.filled())))?;
        }
        Ok(())
    })
}

/// Renders the report of a sweep.
pub fn render_sweep_report(doc: &SweepDocument) -> anyhow::Result<String> {
    let mut page = Page::study(
        &format!("Sweep of {}: {}", doc.keys.join(" × "), doc.scenario.name),
        &[
            format!("{} points{}", doc.points.len(), if doc.zip { " (zipped)" } else { "" }),
            format!("{} trials per point", thousands(doc.run.trials)),
            format!("seed {}", doc.run.seed),
        ],
        &doc.scenario.sha256,
        &doc.scenario.settings,
        &doc.tool.version,
    );
    page.element(
        "p",
        Some("lede"),
        &format!(
            "Each point is the scenario with {} set to the values shown, run on the same trials with the same seed: \
             whatever changes from one point to the next is what the values change, not the luck of the draw. Bands \
             are 95% intervals of each point's level; the paired change from the first point, trial by trial, has \
             a far tighter interval (in sweep.json and sweep.csv).",
            doc.keys.join(" and ")
        ),
    );
    page.element("h2", None, "Headline metrics");
    let mut charts = Vec::new();
    for m in doc.table_metrics() {
        charts.push((doc.title(m), metric_chart(doc, m)?));
    }
    page.raw("<div class=\"charts\">\n");
    for (title, svg) in &charts {
        page.figure(
            svg,
            title,
            &format!("{title} against {}: mean and 95% interval at each point.", doc.keys[0]),
            false,
        );
    }
    page.raw("</div>\n");
    page.element("h2", None, "Every point");
    let metrics = doc.table_metrics();
    let mut headers: Vec<(String, bool)> =
        doc.keys.iter().map(|k| (crate::render::sweep::short_key(k), true)).collect();
    headers.extend(metrics.iter().map(|&m| (format!("{} (95% CI)", doc.title(m)), true)));
    let rows: Vec<Vec<String>> = doc
        .points
        .iter()
        .map(|p| {
            let mut row: Vec<String> = p.values.iter().map(|v| number(*v)).collect();
            row.extend(metrics.iter().map(|&m| {
                let (mean, lo, hi) = doc.value(p, m);
                format!("{} ({}–{})", doc.format(m, mean), doc.format(m, lo.max(0.0)), doc.format(m, hi))
            }));
            row
        })
        .collect();
    let header_refs: Vec<(&str, bool)> = headers.iter().map(|(h, n)| (h.as_str(), *n)).collect();
    page.table(&header_refs, &rows);
    Ok(page.finish(&format!("chokepoint · sweep · {}", doc.scenario.name)))
}
