//! The stage graph as a picture: stages in columns by topological depth, left to right, end uses in the last
//! column, each box coloured by its expected loss, and the links a disruption covers drawn dashed red.
//!
//! Drawn with plotters primitives on a plain pixel area (rectangles, paths, text) rather than a chart: the
//! layout is ours (layers by depth, then a few barycentre sweeps to untangle crossings), and plotters writes
//! the SVG, so the text is escaped and styled the same way as in the other charts.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::charts::{AXIS, DrawError, FONT, MUTED, line, render_svg};
use super::graph_json::GraphDocument;

const BOX_W: i32 = 196;
const BOX_H: i32 = 40;
const GAP_X: i32 = 64;
const GAP_Y: i32 = 14;
const MARGIN: i32 = 16;
const LEGEND_H: i32 = 92;
/// Barycentre sweeps (down and up) to order each column.
const SWEEPS: usize = 4;

/// Where each node goes: column and row. Nodes are the stages, then the end uses, in document order.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub column: Vec<usize>,
    /// Position within its column, from the top.
    pub row: Vec<usize>,
    pub columns: usize,
    pub rows: usize,
}

/// Index of node `name` (a stage or an end use).
fn node_index(graph: &GraphDocument, name: &str) -> Option<usize> {
    graph
        .stages
        .iter()
        .position(|s| s.name == name)
        .or_else(|| graph.end_uses.iter().position(|e| e.name == name).map(|e| graph.stages.len() + e))
}

/// The links as `(from, to)` node indices.
fn edges(graph: &GraphDocument) -> Vec<(usize, usize)> {
    graph.links.iter().filter_map(|l| Some((node_index(graph, &l.from)?, node_index(graph, &l.to)?))).collect()
}

/// Lays out the graph: a stage's column is the length of the longest chain of links that feeds it, end uses
/// take the column after the deepest stage, and each column is ordered by the mean row of its neighbours.
pub fn layout(graph: &GraphDocument) -> Layout {
    let ns = graph.stages.len();
    let n = ns + graph.end_uses.len();
    let edges = edges(graph);
    // Longest-path depth; the links are acyclic among stages, so n passes suffice.
    let mut column = vec![0usize; n];
    for _ in 0..n {
        let mut changed = false;
        for &(from, to) in &edges {
            if to < ns && column[to] < column[from] + 1 {
                column[to] = column[from] + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let last = if ns == 0 { 0 } else { column[..ns].iter().max().map_or(0, |m| m + 1) };
    for c in &mut column[ns..] {
        *c = last;
    }
    let columns = last + 1;
    let mut order: Vec<Vec<usize>> = vec![Vec::new(); columns];
    for (node, &c) in column.iter().enumerate() {
        order[c].push(node);
    }
    let mut row = vec![0usize; n];
    let set_rows = |order: &Vec<Vec<usize>>, row: &mut Vec<usize>| {
        for nodes in order {
            for (r, &node) in nodes.iter().enumerate() {
                row[node] = r;
            }
        }
    };
    set_rows(&order, &mut row);
    for sweep in 0..SWEEPS {
        let down = sweep % 2 == 0;
        let cols: Vec<usize> =
            if down { (1..columns).collect() } else { (0..columns.saturating_sub(1)).rev().collect() };
        for c in cols {
            let key = |node: usize| -> f64 {
                let neighbours: Vec<usize> = edges
                    .iter()
                    .filter_map(|&(from, to)| match down {
                        true if to == node => Some(from),
                        false if from == node => Some(to),
                        _ => None,
                    })
                    .collect();
                if neighbours.is_empty() {
                    row[node] as f64
                } else {
                    neighbours.iter().map(|&m| row[m] as f64).sum::<f64>() / neighbours.len() as f64
                }
            };
            let mut keyed: Vec<(f64, usize, usize)> =
                order[c].iter().map(|&node| (key(node), row[node], node)).collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            order[c] = keyed.into_iter().map(|(_, _, node)| node).collect();
            set_rows(&order, &mut row);
        }
    }
    let rows = order.iter().map(Vec::len).max().unwrap_or(0);
    Layout { column, row, columns, rows }
}

/// The colour of an expected loss `share` on a scale from 0 to `top`: light yellow to dark red (ColorBrewer
/// YlOrRd), which also reads from light to dark in grey print. `None` (no normal flow) is grey.
pub fn loss_colour(share: Option<f64>, top: f64) -> RGBColor {
    const RAMP: [(u8, u8, u8); 5] =
        [(0xff, 0xff, 0xe5), (0xfe, 0xd9, 0x76), (0xfd, 0x8d, 0x3c), (0xe3, 0x1a, 0x1c), (0x80, 0x00, 0x26)];
    let Some(share) = share.filter(|s| s.is_finite()) else { return RGBColor(0xdd, 0xdd, 0xdd) };
    let t = (share / top).clamp(0.0, 1.0) * (RAMP.len() - 1) as f64;
    let i = (t.floor() as usize).min(RAMP.len() - 2);
    let f = t - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (RAMP[i], RAMP[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Black or white, whichever reads on `fill`.
fn text_colour(fill: RGBColor) -> RGBColor {
    let luminance = 0.299 * f64::from(fill.0) + 0.587 * f64::from(fill.1) + 0.114 * f64::from(fill.2);
    if luminance < 140.0 { WHITE } else { BLACK }
}

/// The top of the colour scale: a round share at or above the largest loss, at least 5 %.
pub fn scale_top(graph: &GraphDocument) -> f64 {
    let worst = graph
        .stages
        .iter()
        .map(|s| s.mean_lost_share)
        .chain(graph.end_uses.iter().map(|e| e.mean_short_share))
        .flatten()
        .filter(|s| s.is_finite())
        .fold(0.0, f64::max);
    [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0].into_iter().find(|&t| t >= worst).unwrap_or(1.0)
}

fn percent(share: Option<f64>) -> String {
    match share.filter(|s| s.is_finite()) {
        None => "no normal flow".to_owned(),
        Some(s) if s > 0.0 && s < 0.001 => "<0.1%".to_owned(),
        Some(s) => format!("{:.1}%", s * 100.0),
    }
}

/// Draws the stage graph.
pub fn stage_graph_chart(graph: &GraphDocument) -> anyhow::Result<String> {
    let layout = layout(graph);
    let ns = graph.stages.len();
    let width = (2 * MARGIN + layout.columns as i32 * BOX_W + (layout.columns as i32 - 1).max(0) * GAP_X).max(640);
    let graph_h = layout.rows as i32 * (BOX_H + GAP_Y) - GAP_Y;
    let height = 2 * MARGIN + graph_h.max(BOX_H) + LEGEND_H;
    let top = scale_top(graph);
    // Columns are centred vertically on the tallest one.
    let count = |c: usize| layout.column.iter().filter(|&&x| x == c).count() as i32;
    let corner = |node: usize| -> (i32, i32) {
        let c = layout.column[node];
        let offset = (graph_h - (count(c) * (BOX_H + GAP_Y) - GAP_Y)) / 2;
        (MARGIN + c as i32 * (BOX_W + GAP_X), MARGIN + offset + layout.row[node] as i32 * (BOX_H + GAP_Y))
    };
    let edges: Vec<(usize, usize, bool)> = graph
        .links
        .iter()
        .filter_map(|l| Some((node_index(graph, &l.from)?, node_index(graph, &l.to)?, !l.disrupted_by.is_empty())))
        .collect();
    render_svg((width as u32, height as u32), |root| {
        let curve = |from: usize, to: usize| -> Vec<(i32, i32)> {
            let (fx, fy) = corner(from);
            let (tx, ty) = corner(to);
            let (x0, y0, x1, y1) =
                (f64::from(fx + BOX_W), f64::from(fy + BOX_H / 2), f64::from(tx), f64::from(ty + BOX_H / 2));
            let mid = (x0 + x1) / 2.0;
            // A cubic Bézier with horizontal tangents at both ends, sampled.
            (0..=16)
                .map(|k| {
                    let t = f64::from(k) / 16.0;
                    let u = 1.0 - t;
                    let x = u * u * u * x0 + 3.0 * u * u * t * mid + 3.0 * u * t * t * mid + t * t * t * x1;
                    let y = u * u * u * y0 + 3.0 * u * u * t * y0 + 3.0 * u * t * t * y1 + t * t * t * y1;
                    (x.round() as i32, y.round() as i32)
                })
                .collect()
        };
        for &(from, to, disrupted) in &edges {
            if !disrupted {
                root.draw(&PathElement::new(curve(from, to), line(RGBColor(0x9a, 0x9a, 0x9a), 1)))?;
            }
        }
        for &(from, to, disrupted) in &edges {
            if disrupted {
                root.draw(&DashedPathElement::new(curve(from, to), 7, 4, line(RGBColor(0xc0, 0x00, 0x00), 2)))?;
            }
        }
        for node in 0..layout.column.len() {
            let (x, y) = corner(node);
            let (name, detail, share, end_use) = if node < ns {
                let s = &graph.stages[node];
                (&s.name, format!("{} · lost {}", s.region, percent(s.mean_lost_share)), s.mean_lost_share, false)
            } else {
                let e = &graph.end_uses[node - ns];
                (&e.name, format!("{} · short {}", e.class, percent(e.mean_short_share)), e.mean_short_share, true)
            };
            let fill = loss_colour(share, top);
            root.draw(&Rectangle::new([(x, y), (x + BOX_W, y + BOX_H)], fill.filled()))?;
            // The SVG backend draws rectangle outlines 1 px wide whatever the style says, so an end use gets a
            // double border instead of a thick one.
            let border = line(AXIS, 1);
            root.draw(&Rectangle::new([(x, y), (x + BOX_W, y + BOX_H)], border))?;
            if end_use {
                root.draw(&Rectangle::new([(x + 3, y + 3), (x + BOX_W - 3, y + BOX_H - 3)], border))?;
            }
            let ink = text_colour(fill);
            let centre = Pos::new(HPos::Center, VPos::Center);
            let name_style = TextStyle::from((FONT, 13.0 * 1.24).into_font()).color(&ink).pos(centre);
            let detail_style = TextStyle::from((FONT, 11.0 * 1.24).into_font()).color(&ink).pos(centre);
            root.draw(&Text::new(name.as_str(), (x + BOX_W / 2, y + 13), name_style))?;
            root.draw(&Text::new(detail, (x + BOX_W / 2, y + 29), detail_style))?;
        }
        legend(root, MARGIN, 2 * MARGIN + graph_h.max(BOX_H) + 6, top)
    })
}

/// The colour scale and the key to line and border styles.
fn legend(root: &super::charts::Area<'_>, x: i32, y: i32, top: f64) -> Result<(), DrawError> {
    let text = |size: f64| TextStyle::from((FONT, size * 1.24).into_font()).color(&BLACK);
    root.draw(&Text::new(
        "Fill: expected throughput lost, as a share of what the stage wanted to make, or expected share of demand not built (end uses)",
        (x, y),
        text(12.0),
    ))?;
    let steps = 40;
    let bar_w = 320;
    for k in 0..steps {
        let share = top * (f64::from(k) + 0.5) / f64::from(steps);
        let x0 = x + k * bar_w / steps;
        let x1 = x + (k + 1) * bar_w / steps;
        root.draw(&Rectangle::new([(x0, y + 20), (x1, y + 36)], loss_colour(Some(share), top).filled()))?;
    }
    root.draw(&Rectangle::new([(x, y + 20), (x + bar_w, y + 36)], line(MUTED, 1)))?;
    for k in 0..=4 {
        let share = top * f64::from(k) / 4.0;
        let style = text(11.0).pos(Pos::new(HPos::Center, VPos::Top));
        root.draw(&Text::new(format!("{:.0}%", share * 100.0), (x + k * bar_w / 4, y + 40), style))?;
    }
    let kx = x + bar_w + 40;
    root.draw(&DashedPathElement::new(
        vec![(kx, y + 28), (kx + 36, y + 28)],
        7,
        4,
        line(RGBColor(0xc0, 0x00, 0x00), 2),
    ))?;
    let label = text(12.0).pos(Pos::new(HPos::Left, VPos::Center));
    root.draw(&Text::new("link covered by a disruption", (kx + 44, y + 28), label.clone()))?;
    let border = line(AXIS, 1);
    root.draw(&Rectangle::new([(kx, y + 46), (kx + 36, y + 66)], border))?;
    root.draw(&Rectangle::new([(kx + 3, y + 49), (kx + 33, y + 63)], border))?;
    root.draw(&Text::new("end use (double border)", (kx + 44, y + 56), label))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::graph_json::{GraphEndUse, GraphLink, GraphStage};
    use super::*;

    fn chain() -> GraphDocument {
        let stage = |name: &str, lost| GraphStage {
            name: name.into(),
            region: "CN".into(),
            unit: "t".into(),
            mean_lost_share: Some(lost),
        };
        let link = |from: &str, to: &str, d: &[&str]| GraphLink {
            from: from.into(),
            to: to.into(),
            material: "m".into(),
            share: 1.0,
            disrupted_by: d.iter().map(|s| (*s).to_owned()).collect(),
        };
        GraphDocument {
            schema_version: 1,
            // Listed out of flow order on purpose.
            stages: vec![stage("magnets", 0.3), stage("mine", 0.0), stage("separation", 0.1)],
            end_uses: vec![GraphEndUse {
                name: "motors".into(),
                region: "EU".into(),
                class: "other".into(),
                mean_short_share: Some(0.25),
            }],
            links: vec![
                link("mine", "separation", &[]),
                link("separation", "magnets", &["embargo"]),
                link("magnets", "motors", &[]),
            ],
            disruptions: vec![],
            stockpiles: vec![],
        }
    }

    #[test]
    fn columns_follow_the_longest_chain_and_end_uses_come_last() {
        let l = layout(&chain());
        assert_eq!(l.column, [2, 0, 1, 3]);
        assert_eq!((l.columns, l.rows), (4, 1));
    }

    #[test]
    fn the_colour_scale_darkens_with_loss() {
        let lum = |c: RGBColor| u32::from(c.0) + u32::from(c.1) + u32::from(c.2);
        let shares = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5];
        let l: Vec<u32> = shares.iter().map(|&s| lum(loss_colour(Some(s), 0.5))).collect();
        assert!(l.windows(2).all(|w| w[0] > w[1]), "{l:?}");
        assert_eq!(scale_top(&chain()), 0.3);
    }

    #[test]
    fn disrupted_links_are_dashed_red_and_names_are_text() {
        let svg = stage_graph_chart(&chain()).unwrap();
        roxmltree::Document::parse(&svg).expect("well-formed SVG");
        assert!(svg.contains(">\nseparation\n</text>") || svg.contains(">separation</text>"), "{svg}");
        assert!(svg.contains("#C00000") || svg.contains("#c00000"), "a red link");
    }
}
