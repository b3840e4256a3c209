//! The charts of the report, drawn with plotters' SVG backend.
//!
//! Plotters is built without its `ttf` feature, so it never loads a font: it estimates text widths for layout
//! and emits every label as an SVG `<text>` element in the `sans-serif` family, which the browser sets. Each
//! function returns one self-contained `<svg>` element; sizes are in SVG pixels and the page scales them.

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor;

use chokepoint_analysis::exceedance::{ExceedanceCurve, Measure};
use chokepoint_scenario::Date;

use super::inputs::{BacklogSeries, BandSeries};
use crate::documents::summary::DistributionJson;
use crate::render::table::number;

/// An SVG drawing area writing into a string.
pub type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
/// What drawing on an SVG area can fail with.
pub type DrawError = DrawingAreaErrorKind<std::io::Error>;

pub const FONT: &str = "sans-serif";
/// Plotters divides font sizes by 1.24 when it writes them; these are the sizes as written.
pub const LABEL_SIZE: f64 = 15.0 * 1.24;
pub const DESC_SIZE: f64 = 15.0 * 1.24;
pub const SMALL_SIZE: f64 = 13.0 * 1.24;

/// Colours chosen to stay apart when printed in grey: each step is darker than the one before.
pub const BAND_OUTER: RGBColor = RGBColor(0xc6, 0xdb, 0xef);
pub const BAND_INNER: RGBColor = RGBColor(0x6b, 0xae, 0xd6);
pub const MEDIAN: RGBColor = RGBColor(0x08, 0x30, 0x6b);
pub const TAIL_FILL: RGBColor = RGBColor(0xfd, 0xdb, 0xc7);
pub const TAIL_LINE: RGBColor = RGBColor(0xb2, 0x18, 0x2b);
pub const GRID: RGBColor = RGBColor(0xe4, 0xe4, 0xe4);
pub const AXIS: RGBColor = RGBColor(0x44, 0x44, 0x44);
pub const MUTED: RGBColor = RGBColor(0x88, 0x88, 0x88);

/// Draws into a new SVG of `size` with a white background and returns its text.
pub fn render_svg(size: (u32, u32), draw: impl FnOnce(&Area<'_>) -> Result<(), DrawError>) -> anyhow::Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        draw(&root).map_err(drawing)?;
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}

fn drawing(e: DrawError) -> anyhow::Error {
    anyhow::anyhow!("could not draw a chart: {e}")
}

/// A percentage axis label: whole percents, or one decimal on a small range.
fn percent_label(value: f64, range_top: f64) -> String {
    if range_top < 0.05 { format!("{:.1}%", value * 100.0) } else { format!("{:.0}%", value * 100.0) }
}

/// The smallest "round" upper bound of a probability axis that leaves room above `p`.
fn probability_top(p: f64) -> f64 {
    [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0].into_iter().find(|&top| top >= p * 1.08).unwrap_or(1.0)
}

/// A legend entry drawn above a chart.
#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    Fill(&'a str, RGBColor),
    Line(&'a str, RGBColor),
}

/// Draws a legend as one row along the top of `root`, outside the plotting area, so that it never covers data.
pub fn legend_row(root: &Area<'_>, x: i32, y: i32, keys: &[Key<'_>]) -> Result<(), DrawError> {
    let label = TextStyle::from((FONT, SMALL_SIZE).into_font())
        .color(&BLACK)
        .pos(text_anchor::Pos::new(text_anchor::HPos::Left, text_anchor::VPos::Center));
    let mut x = x;
    for key in keys {
        let text = match *key {
            Key::Fill(text, colour) => {
                root.draw(&Rectangle::new([(x, y - 6), (x + 18, y + 6)], colour.filled()))?;
                text
            }
            Key::Line(text, colour) => {
                root.draw(&PathElement::new(vec![(x, y), (x + 18, y)], line(colour, 2)))?;
                text
            }
        };
        root.draw(&Text::new(text, (x + 24, y), label.clone()))?;
        // The backend cannot measure text: about 7 px per character at this size, then a gap.
        x += 24 + 7 * text.chars().count() as i32 + 22;
    }
    Ok(())
}

/// An unfilled stroke of `color`, `width` pixels wide.
pub fn line(color: RGBColor, width: u32) -> ShapeStyle {
    ShapeStyle { color: color.to_rgba(), filled: false, stroke_width: width }
}

/// Gives a chart's mesh the report's look (the label fonts, a light grid, dark axes) and draws it.
pub fn draw_mesh<X, Y, DB>(mesh: &mut MeshStyle<'_, '_, X, Y, DB>) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    X: Ranged + ValueFormatter<X::ValueType>,
    Y: Ranged + ValueFormatter<Y::ValueType>,
    DB: DrawingBackend,
{
    draw_mesh_sized(mesh, LABEL_SIZE, DESC_SIZE)
}

/// [`draw_mesh`] with other font sizes for the tick labels and the axis descriptions (the smaller interval charts
/// of the studies' sections).
pub fn draw_mesh_sized<X, Y, DB>(
    mesh: &mut MeshStyle<'_, '_, X, Y, DB>,
    label_size: f64,
    desc_size: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    X: Ranged + ValueFormatter<X::ValueType>,
    Y: Ranged + ValueFormatter<Y::ValueType>,
    DB: DrawingBackend,
{
    mesh.label_style((FONT, label_size))
        .axis_desc_style((FONT, desc_size))
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .axis_style(AXIS)
        .draw()
}

/// The time axis of a chart: weeks of the horizon, labelled with dates when the scenario starts on one.
#[derive(Debug, Clone, Copy)]
pub struct WeekAxis {
    pub horizon_weeks: f64,
    pub start: Option<Date>,
}

impl WeekAxis {
    fn description(&self) -> String {
        match self.start {
            Some(d) => format!("Date (week 0 = {})", d.short()),
            None => "Week of the horizon (weeks)".to_owned(),
        }
    }

    fn label(&self, week: f64) -> String {
        match self.start {
            Some(d) => d.plus_weeks(week).month_year(),
            None => format!("{week:.0}"),
        }
    }
}

/// A band polygon between `lo` and `hi` over `week`.
fn band_polygon(week: &[f64], lo: &[f64], hi: &[f64]) -> Vec<(f64, f64)> {
    let upper = week.iter().copied().zip(hi.iter().copied());
    let lower = week.iter().copied().zip(lo.iter().copied()).rev();
    upper.chain(lower).filter(|(x, y)| x.is_finite() && y.is_finite()).collect()
}

/// Fan chart of one end use: the weekly share of requirement met, median with P25–P75 and P5–P95 bands.
pub fn fan_chart(bands: &BandSeries, axis: WeekAxis) -> anyhow::Result<String> {
    let outer = band_polygon(&bands.week, &bands.p5, &bands.p95);
    let inner = band_polygon(&bands.week, &bands.p25, &bands.p75);
    let median: Vec<(f64, f64)> =
        bands.week.iter().copied().zip(bands.p50.iter().copied()).filter(|(_, y)| y.is_finite()).collect();
    let x_max = axis.horizon_weeks.max(1.0);
    render_svg((620, 350), |root| {
        legend_row(
            root,
            74,
            14,
            &[Key::Fill("P5–P95 of trials", BAND_OUTER), Key::Fill("P25–P75", BAND_INNER), Key::Line("median", MEDIAN)],
        )?;
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_top(32)
            .margin_right(20)
            .x_label_area_size(48)
            .y_label_area_size(62)
            .build_cartesian_2d(0.0..x_max, 0.0..1.0)?;
        draw_mesh(
            chart
                .configure_mesh()
                .x_desc(axis.description())
                .y_desc("Weekly requirement met (%)")
                .x_labels(7)
                .y_labels(6)
                .x_label_formatter(&|x| axis.label(*x))
                .y_label_formatter(&|y| percent_label(*y, 1.0)),
        )?;
        chart.draw_series(std::iter::once(Polygon::new(outer, BAND_OUTER.filled())))?;
        chart.draw_series(std::iter::once(Polygon::new(inner, BAND_INNER.filled())))?;
        chart.draw_series(LineSeries::new(median, line(MEDIAN, 2)))?;
        Ok(())
    })
}

/// Fan chart of a backlogged end use: the backlog carried out of each week, in weeks of normal demand, with the
/// median, P25–P75 and P5–P95 bands and the P99 line (the tail beyond the fan).
pub fn backlog_fan_chart(bands: &BacklogSeries, axis: WeekAxis) -> anyhow::Result<String> {
    let outer = band_polygon(&bands.week, &bands.p5, &bands.p95);
    let inner = band_polygon(&bands.week, &bands.p25, &bands.p75);
    let series = |v: &[f64]| -> Vec<(f64, f64)> {
        bands.week.iter().copied().zip(v.iter().copied()).filter(|(_, y)| y.is_finite()).collect()
    };
    let (median, tail) = (series(&bands.p50), series(&bands.p99));
    let top = bands.p99.iter().chain(&bands.p95).copied().filter(|x| x.is_finite()).fold(0.0, f64::max);
    let y_max = if top > 0.0 { top * 1.1 } else { 1.0 };
    let x_max = axis.horizon_weeks.max(1.0);
    render_svg((620, 350), |root| {
        legend_row(
            root,
            74,
            14,
            &[
                Key::Fill("P5–P95", BAND_OUTER),
                Key::Fill("P25–P75", BAND_INNER),
                Key::Line("median", MEDIAN),
                Key::Line("P99 (dashed)", TAIL_LINE),
            ],
        )?;
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_top(32)
            .margin_right(20)
            .x_label_area_size(48)
            .y_label_area_size(62)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
        draw_mesh(
            chart
                .configure_mesh()
                .x_desc(axis.description())
                .y_desc("Backlog (weeks of demand)")
                .x_labels(7)
                .y_labels(6)
                .x_label_formatter(&|x| axis.label(*x))
                .y_label_formatter(&|y| number(*y)),
        )?;
        chart.draw_series(std::iter::once(Polygon::new(outer, BAND_OUTER.filled())))?;
        chart.draw_series(std::iter::once(Polygon::new(inner, BAND_INNER.filled())))?;
        chart.draw_series(std::iter::once(DashedPathElement::new(tail, 6, 4, line(TAIL_LINE, 2))))?;
        chart.draw_series(LineSeries::new(median, line(MEDIAN, 2)))?;
        Ok(())
    })
}

/// Exceedance curve of one end use: the probability, across trials, that units short over the horizon (lost
/// demand) or the longest delay of a unit (backlogged demand) exceed x. `unit` names what one unit is.
pub fn exceedance_chart(curve: &ExceedanceCurve, unit: &str) -> anyhow::Result<String> {
    let x_max = if curve.max > 0.0 { curve.max * 1.04 } else { 1.0 };
    let y_top = probability_top(curve.p_short());
    // The step function, as a polyline: flat to the next corner, then down.
    let mut path = Vec::with_capacity(curve.steps.len() * 2 + 1);
    for (i, &(x, p)) in curve.steps.iter().enumerate() {
        if i > 0 {
            path.push((x, curve.steps[i - 1].1));
        }
        path.push((x, p));
    }
    if let Some(&(x, p)) = curve.steps.last()
        && x < x_max
    {
        path.push((x_max, p));
    }
    let (legend, x_desc) = match curve.measure {
        Measure::UnitsShort => {
            (format!("share of trials with more {unit} short than x"), format!("Not built over the horizon ({unit})"))
        }
        Measure::MaxDelayWeeks => {
            ("share of trials where some unit is later than x".to_owned(), "Longest delay of a unit (weeks)".to_owned())
        }
    };
    render_svg((620, 350), |root| {
        legend_row(root, 74, 14, &[Key::Line(&legend, TAIL_LINE)])?;
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_top(32)
            .margin_right(24)
            .x_label_area_size(48)
            .y_label_area_size(62)
            .build_cartesian_2d(0.0..x_max, 0.0..y_top)?;
        draw_mesh(
            chart
                .configure_mesh()
                .x_desc(x_desc.as_str())
                .y_desc("Probability of exceeding (%)")
                .x_labels(7)
                .y_labels(6)
                .x_label_formatter(&|x| number(*x))
                .y_label_formatter(&|y| percent_label(*y, y_top)),
        )?;
        let mut area = path.clone();
        area.push((x_max, 0.0));
        area.push((0.0, 0.0));
        chart.draw_series(std::iter::once(Polygon::new(area, TAIL_FILL.filled())))?;
        chart.draw_series(LineSeries::new(path, line(TAIL_LINE, 2)))?;
        Ok(())
    })
}

/// The distribution of a stockpile's lowest level, as far as the outputs describe it: the engine reports only
/// each trial's lowest level and release, and the run keeps their quantiles, so the chart shows min–max
/// (whiskers), P5–P95 (box), the median and the mean against the initial level, not a level over time.
pub fn stockpile_chart(min_level: &DistributionJson, initial: f64, unit: &str) -> anyhow::Result<String> {
    let top = [min_level.max, initial, 0.0].into_iter().filter(|x| x.is_finite()).fold(0.0, f64::max);
    let x_max = if top > 0.0 { top * 1.08 } else { 1.0 };
    render_svg((620, 200), |root| {
        legend_row(
            root,
            20,
            14,
            &[
                Key::Fill("P5–P95 of trials (whiskers: min–max)", BAND_INNER),
                Key::Line("median", MEDIAN),
                Key::Line("initial level (dashed)", TAIL_LINE),
            ],
        )?;
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_top(32)
            .margin_right(24)
            .x_label_area_size(48)
            .y_label_area_size(10)
            .build_cartesian_2d(0.0..x_max, 0.0..1.0)?;
        draw_mesh(
            chart
                .configure_mesh()
                .x_desc(format!("Lowest level over the horizon ({unit})"))
                .x_labels(7)
                .x_label_formatter(&|x| number(*x))
                .disable_y_axis()
                .disable_y_mesh(),
        )?;
        let (y, half) = (0.5, 0.2);
        if min_level.min.is_finite() && min_level.max.is_finite() {
            let whisker = vec![(min_level.min, y), (min_level.max, y)];
            chart.draw_series(std::iter::once(PathElement::new(whisker, line(AXIS, 1))))?;
        }
        if min_level.p5.is_finite() && min_level.p95.is_finite() {
            let corners = [(min_level.p5, y - half), (min_level.p95, y + half)];
            chart.draw_series(std::iter::once(Rectangle::new(corners, BAND_INNER.filled())))?;
        }
        if min_level.p50.is_finite() {
            let tick = vec![(min_level.p50, y - half), (min_level.p50, y + half)];
            chart.draw_series(std::iter::once(PathElement::new(tick, line(MEDIAN, 3))))?;
        }
        if initial.is_finite() {
            let mark = vec![(initial, 0.05), (initial, 0.95)];
            chart.draw_series(std::iter::once(DashedPathElement::new(mark, 6, 4, line(TAIL_LINE, 2))))?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bands() -> BandSeries {
        let week: Vec<f64> = (0..20).map(f64::from).collect();
        let v = |base: f64| week.iter().map(|w| (base - 0.01 * w).clamp(0.0, 1.0)).collect::<Vec<_>>();
        BandSeries { end_use: "x".into(), p5: v(0.6), p25: v(0.8), p50: v(0.9), p75: v(0.95), p95: v(1.0), week }
    }

    #[test]
    fn text_is_svg_text_and_no_font_is_needed() {
        let svg = fan_chart(&bands(), WeekAxis { horizon_weeks: 20.0, start: None }).unwrap();
        assert!(svg.starts_with("<svg "), "{}", &svg[..60]);
        assert!(svg.contains("<text") && svg.contains("Week of the horizon (weeks)"));
        assert!(svg.contains("font-family=\"sans-serif\""));
        assert!(svg.contains("<polygon") && svg.contains("<polyline"));
        roxmltree::Document::parse(&svg).expect("well-formed SVG");
    }

    #[test]
    fn an_exceedance_curve_without_shortfall_still_draws_axes() {
        let curve = ExceedanceCurve::new("x".into(), Measure::UnitsShort, vec![0.0; 5]);
        let svg = exceedance_chart(&curve, "motors").unwrap();
        assert!(svg.contains("Not built over the horizon (motors)"));
        roxmltree::Document::parse(&svg).expect("well-formed SVG");
    }

    #[test]
    fn a_dated_axis_labels_months() {
        let axis = WeekAxis { horizon_weeks: 156.0, start: Date::new(2025, 4, 4) };
        assert_eq!(axis.label(0.0), "Apr 2025");
        assert_eq!(axis.label(52.0), "Apr 2026");
        assert_eq!(axis.description(), "Date (week 0 = 4 Apr 2025)");
        let backlog = BacklogSeries {
            end_use: "f35".into(),
            week: vec![0.0, 1.0, 2.0],
            p_backlog: vec![0.0, 0.5, 0.2],
            p5: vec![0.0; 3],
            p25: vec![0.0; 3],
            p50: vec![0.0, 0.5, 0.0],
            p75: vec![0.0, 1.0, 0.25],
            p95: vec![0.0, 3.0, 1.0],
            p99: vec![0.0, 6.0, 2.0],
        };
        let svg = backlog_fan_chart(&backlog, axis).unwrap();
        assert!(svg.contains("Backlog (weeks of demand)") && svg.contains("Apr 2025"));
        roxmltree::Document::parse(&svg).expect("well-formed SVG");
    }

    #[test]
    fn probability_axes_end_on_round_numbers() {
        assert_eq!(probability_top(0.65), 0.8);
        assert_eq!(probability_top(0.0), 0.01);
        assert_eq!(probability_top(0.98), 1.0);
        assert_eq!(percent_label(0.005, 0.02), "0.5%");
    }
}
