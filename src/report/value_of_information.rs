//! The value-of-information section of the reports of `compare --evppi` and `optimize --evppi`: which unknown is
//! worth researching before choosing, as a chart of each parameter's EVPPI with its interval, and a table.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::charts::{BAND_OUTER, FONT, Key, MEDIAN, MUTED, SMALL_SIZE, draw_mesh_sized, legend_row, line, render_svg};
use super::html::Page;
use crate::documents::optimize::objective_value;
use crate::documents::value_of_information::EvppiJson;
use crate::render::table::{percent, thousands};

/// Each parameter's EVPPI (bar), its 95 % bootstrap interval (line) and the bootstrap bias (grey bar from 0).
pub fn evppi_chart(v: &EvppiJson) -> anyhow::Result<String> {
    let rows: Vec<_> = v.parameters.iter().take(20).collect();
    let n = rows.len().max(1);
    let (row, top, left) = (26, 44, 400);
    let height = (top + row * n as i32 + 60) as u32;
    let x_max =
        rows.iter().map(|p| p.ci95_high.max(p.evppi)).filter(|x| x.is_finite()).fold(0.0, f64::max).max(1e-9) * 1.05;
    render_svg((980, height), |root| {
        legend_row(
            root,
            left,
            14,
            &[Key::Fill("EVPPI", MEDIAN), Key::Line("95% CI", MUTED), Key::Fill("estimated bias", BAND_OUTER)],
        )?;
        let style =
            TextStyle::from((FONT, SMALL_SIZE).into_font()).color(&BLACK).pos(Pos::new(HPos::Right, VPos::Center));
        for (k, p) in rows.iter().enumerate() {
            let text = super::sensitivity::label(&p.key);
            root.draw(&Text::new(text, (left - 8, top + row * k as i32 + row / 2), style.clone()))?;
        }
        // The plotting area is exactly `row` pixels per parameter, so that the rows line up with the labels.
        let area = root.margin(top as u32, 0, left as u32, 24);
        let mut chart = ChartBuilder::on(&area).x_label_area_size(60).build_cartesian_2d(0.0..x_max, 0.0..n as f64)?;
        draw_mesh_sized(
            chart
                .configure_mesh()
                .disable_y_mesh()
                .disable_y_axis()
                .x_labels(6)
                .x_label_formatter(&|x| objective_value(*x, &v.metric))
                .x_desc("Expected value of perfect information"),
            SMALL_SIZE,
            SMALL_SIZE,
        )?;
        for (k, p) in rows.iter().enumerate() {
            let y = n as f64 - k as f64 - 0.5;
            let clamp = |x: f64| if x.is_finite() { x.clamp(0.0, x_max) } else { 0.0 };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y - 0.3), (clamp(p.evppi), y + 0.3)],
                MEDIAN.filled(),
            )))?;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y - 0.42), (clamp(p.bias), y - 0.3)],
                BAND_OUTER.filled(),
            )))?;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(clamp(p.ci95_low), y + 0.4), (clamp(p.ci95_high), y + 0.4)],
                line(MUTED, 2),
            )))?;
        }
        Ok(())
    })
}

/// Appends the section.
pub fn section(page: &mut Page, v: &EvppiJson) -> anyhow::Result<()> {
    let value = |x: f64| objective_value(x, &v.metric);
    page.element("h2", None, "Which unknown is worth researching before choosing");
    page.element(
        "p",
        Some("lede"),
        &format!(
            "Choosing among {} on {}{}, {} is best on what we know ({}). The expected value of perfect information \
             about a parameter (EVPPI) is how much better the choice would be, on average, if that parameter were \
             known before choosing: {} outer samples of it, {} trials per option and sample on the same draws, \
             {} trials in all.",
            v.options.iter().map(|o| o.name.as_str()).collect::<Vec<_>>().join(", "),
            v.metric.description,
            if v.net_of_cost { " plus the option's cost" } else { "" },
            v.best,
            v.options.iter().map(|o| format!("{} {}", o.name, value(o.expected))).collect::<Vec<_>>().join("; "),
            v.outer_samples,
            thousands(v.trials_per_run),
            thousands(v.trials)
        ),
    );
    page.figure(
        &evppi_chart(v)?,
        "Expected value of perfect information about each parameter",
        "How to read: the dark bar is the estimate, the line its 95% bootstrap interval (outer samples and trials \
         resampled), the light bar the bootstrap estimate of its upward bias (the inner means are noisy, and the best \
         of noisy means looks better than it is). A value within its bias of zero is not worth researching on this \
         evidence.",
        true,
    );
    let rows: Vec<Vec<String>> = v
        .parameters
        .iter()
        .map(|p| {
            vec![
                p.key.clone(),
                format!("{} ({}–{})", value(p.evppi), value(p.ci95_low.max(0.0)), value(p.ci95_high)),
                value(p.bias),
                percent(p.switch_share),
            ]
        })
        .collect();
    page.table(
        &[("parameter", false), ("EVPPI (95% CI)", true), ("estimated bias", true), ("best option changes", true)],
        &rows,
    );
    Ok(())
}
