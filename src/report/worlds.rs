//! The two-level section of a run's report (`run --worlds`): each end use's probability of being short or late as
//! a distribution across worlds of what we do not know, in sentences, a chart of its bands, and a table.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::charts::{
    BAND_INNER, BAND_OUTER, FONT, Key, MEDIAN, SMALL_SIZE, TAIL_LINE, draw_mesh_sized, legend_row, line, render_svg,
};
use super::html::Page;
use crate::documents::summary::SummaryDocument;
use crate::documents::worlds::{AcrossJson, WorldsEndUseJson, WorldsJson};
use crate::render::table::{money, number, percent, thousands};

/// The end uses short or late in some world.
fn affected(w: &WorldsJson) -> Vec<&WorldsEndUseJson> {
    w.end_uses.iter().filter(|e| e.short_or_late.p97_5 > 0.0 || e.short_or_late.pooled > 0.0).collect()
}

/// One sentence per end use: "f35_aircraft late in 4.0% of trials; 80% band 1.0–11% across what we do not know
/// about stocks and denial rates (95%: 0.2–16%)." (`words` is "what we do not know about ...", or "worlds").
pub fn sentence(e: &WorldsEndUseJson, words: &str) -> String {
    let verb = if e.unmet_demand == "backlog" { "late" } else { "short" };
    let a = &e.short_or_late;
    format!(
        "{} {verb} in {} of trials; 80% band {}–{} across {words} (95%: {}–{}).",
        e.name,
        percent(a.pooled),
        percent(a.p10),
        percent(a.p90),
        percent(a.p2_5),
        percent(a.p97_5)
    )
}

/// P(short or late) of each end use across worlds: the 95 % band (thin), the 80 % band (thick), the median world
/// (dot) and the pooled probability (red tick).
pub fn bands_chart(w: &WorldsJson) -> anyhow::Result<String> {
    let rows = affected(w);
    let n = rows.len().max(1);
    let (row, top, left) = (28, 44, 230);
    let height = (top + row * n as i32 + 60) as u32;
    let x_max = rows.iter().map(|e| e.short_or_late.p97_5).fold(0.0, f64::max).max(0.01) * 1.05;
    render_svg((900, height), |root| {
        legend_row(
            root,
            left,
            14,
            &[
                Key::Line("95% of worlds", BAND_OUTER),
                Key::Line("80% of worlds", BAND_INNER),
                Key::Line("median world", MEDIAN),
                Key::Line("all trials pooled", TAIL_LINE),
            ],
        )?;
        let style =
            TextStyle::from((FONT, SMALL_SIZE).into_font()).color(&BLACK).pos(Pos::new(HPos::Right, VPos::Center));
        for (k, e) in rows.iter().enumerate() {
            root.draw(&Text::new(e.name.clone(), (left - 8, top + row * k as i32 + row / 2), style.clone()))?;
        }
        // The plotting area is exactly `row` pixels per end use, so that the rows line up with the labels.
        let area = root.margin(top as u32, 0, left as u32, 24);
        let mut chart = ChartBuilder::on(&area).x_label_area_size(60).build_cartesian_2d(0.0..x_max, 0.0..n as f64)?;
        draw_mesh_sized(
            chart
                .configure_mesh()
                .disable_y_mesh()
                .disable_y_axis()
                .x_labels(6)
                .x_label_formatter(&|x| percent(*x))
                .x_desc("P(short or late) in a world"),
            SMALL_SIZE,
            SMALL_SIZE,
        )?;
        for (k, e) in rows.iter().enumerate() {
            let y = n as f64 - k as f64 - 0.5;
            let a: &AcrossJson = &e.short_or_late;
            chart
                .draw_series(std::iter::once(PathElement::new(vec![(a.p2_5, y), (a.p97_5, y)], line(BAND_OUTER, 4))))?;
            chart.draw_series(std::iter::once(PathElement::new(vec![(a.p10, y), (a.p90, y)], line(BAND_INNER, 8))))?;
            chart.draw_series(std::iter::once(Circle::new((a.median, y), 5, MEDIAN.filled())))?;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(a.pooled, y - 0.35), (a.pooled, y + 0.35)],
                line(TAIL_LINE, 2),
            )))?;
        }
        Ok(())
    })
}

/// Appends the section.
pub fn section(page: &mut Page, doc: &SummaryDocument, w: &WorldsJson) -> anyhow::Result<()> {
    page.element("h2", None, "What we do not know: results across worlds");
    page.element(
        "p",
        Some("lede"),
        &format!(
            "{} worlds, each drawing the {} knowledge parameters once (what we do not know about {}) and running {} \
             trials with them, every world on the same draws of events. A world's probability is its share of trials \
             short or late; the bands say how much that probability depends on what we do not know.",
            thousands(w.worlds as u64),
            w.knowledge.len(),
            w.knowledge_in_words,
            thousands(w.trials_per_world)
        ),
    );
    let rows = affected(w);
    if rows.is_empty() {
        page.element("p", None, "No end use is short or late in any world.");
        return Ok(());
    }
    // The first sentence names what we do not know; the others say "across worlds".
    let long = format!("what we do not know about {}", w.knowledge_in_words);
    for (k, e) in rows.iter().enumerate() {
        page.element("p", None, &sentence(e, if k == 0 { &long } else { "worlds" }));
    }
    page.figure(
        &bands_chart(w)?,
        "P(short or late) of each end use across worlds",
        "How to read: for each end use, the spread across worlds of the probability of being short or late at some \
         point over the horizon: thin band 95% of worlds, thick band 80%, dot the median world; the red tick is the \
         probability over every trial of every world.",
        true,
    );
    let share = |a: &AcrossJson| if a.knowledge_share.is_finite() { percent(a.knowledge_share) } else { "-".into() };
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|e| {
            let a = &e.short_or_late;
            let u = &e.units_short;
            vec![
                e.name.clone(),
                percent(a.pooled),
                format!("{} ({}–{})", percent(a.median), percent(a.p10), percent(a.p90)),
                share(a),
                format!("{} ({}–{}) {}", number(u.median), number(u.p10), number(u.p90), e.unit),
                e.max_delay_weeks.as_ref().map_or_else(
                    || "-".to_owned(),
                    |d| format!("{} ({}–{})", number(d.median), number(d.p10), number(d.p90)),
                ),
            ]
        })
        .collect();
    page.table(
        &[
            ("end use", false),
            ("P(short or late), all trials", true),
            ("median world (80% band)", true),
            ("knowledge share of variance", true),
            ("mean units short: median world (80% band)", true),
            ("longest delay, weeks: median world (80% band)", true),
        ],
        &table,
    );
    let l = &w.loss;
    page.element(
        "p",
        None,
        &format!(
            "Loss over every end use: {} per trial over every world; the median world {}, 80% of worlds between {} and \
             {}. What we do not know explains {} of the variance of a trial's loss; the rest is event randomness, \
             which no research removes.",
            money(l.pooled, &doc.loss.unit),
            money(l.median, &doc.loss.unit),
            money(l.p10, &doc.loss.unit),
            money(l.p90, &doc.loss.unit),
            share(l)
        ),
    );
    page.element(
        "p",
        Some("note"),
        &format!(
            "Knowledge parameters: {}. The knowledge share is the part of a trial's variance that knowing them \
             would remove on average, from a two-way analysis of variance of worlds and trials (docs/model.md). Every \
             world's values are in worlds.parquet.",
            w.knowledge.iter().map(|k| k.key.as_str()).collect::<Vec<_>>().join(", ")
        ),
    );
    Ok(())
}
