//! The HTML page: one self-contained file, XHTML-compatible (a strict XML parser accepts it), with inline CSS
//! and SVG, no script and nothing fetched, and a print stylesheet.

use std::fmt::Write;

use super::charts::{WeekAxis, backlog_fan_chart, exceedance_chart, fan_chart, stockpile_chart};
use super::inputs::ReportData;
use super::narrative::{end_use_summary, never_short, stockpile_summary};
use super::stage_graph::stage_graph_chart;
use crate::documents::summary::Headline;
use crate::render::table::{compact_proportion, money, number, percent, start_date, thousands, week_label};

/// The stylesheet. Only local font families; colours print (`print-color-adjust: exact`), cards do not split
/// across pages.
const CSS: &str = "
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif;
  color: #1b1b1b; background: #fff; max-width: 1280px; margin: 0 auto; padding: 24px 28px 48px; line-height: 1.45; }
h1 { font-size: 1.7em; margin: 0 0 0.15em; }
h2 { font-size: 1.3em; border-bottom: 2px solid #d0d0d0; padding-bottom: 0.2em; margin: 1.8em 0 0.6em; }
h3 { font-size: 1.1em; margin: 0 0 0.3em; }
p { margin: 0.4em 0; }
.lede { font-size: 1.05em; color: #333; }
.meta { color: #555; font-size: 0.92em; }
.card { border: 1px solid #d6d6d6; border-radius: 6px; padding: 12px 16px 14px; margin: 14px 0;
  break-inside: avoid; page-break-inside: avoid; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; margin-top: 8px; }
figure { margin: 0; flex: 1 1 520px; min-width: 0; }
figure.wide { flex-basis: 100%; }
figcaption { font-size: 0.86em; color: #444; margin-top: 4px; }
svg { display: block; max-width: 100%; height: auto; }
.table { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.9em; margin: 6px 0; }
th, td { border-bottom: 1px solid #e2e2e2; padding: 4px 10px 4px 0; text-align: left; vertical-align: top; }
th { border-bottom: 2px solid #bbb; vertical-align: bottom; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
code { font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; font-size: 0.92em; }
.class { display: inline-block; font-size: 0.8em; border: 1px solid #999; border-radius: 3px; padding: 0 5px;
  margin-left: 6px; color: #333; vertical-align: middle; }
.note { font-size: 0.88em; color: #555; }
* { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
@page { size: A4; margin: 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 9.5pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .card { border-color: #999; }
  figure { flex-basis: 46%; }
  figure.wide { flex-basis: 100%; }
}
";

/// Escapes text for an XML element or attribute.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Not allowed in XML: shown as the replacement character.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// An HTML document being written.
#[derive(Debug, Default)]
pub struct Page {
    body: String,
}

impl Page {
    /// The page of a study (a comparison, a portfolio search, a sweep, a sensitivity analysis), opened with its
    /// title as heading and a line of what it ran: `details`, then the scenario's SHA-256, its `--set` settings when
    /// there are any, and the version of chokepoint, joined by " · ".
    pub fn study(title: &str, details: &[String], sha256: &str, settings: &[String], version: &str) -> Self {
        let mut page = Page::default();
        page.element("h1", None, title);
        let mut parts = details.to_vec();
        parts.push(format!("scenario SHA-256 {sha256}"));
        if !settings.is_empty() {
            parts.push(format!("--set {}", settings.join(", ")));
        }
        parts.push(format!("chokepoint {version}"));
        page.element("p", Some("meta"), &parts.join(" · "));
        page
    }

    /// Appends raw markup (already escaped).
    pub fn raw(&mut self, markup: &str) {
        self.body.push_str(markup);
    }

    /// Appends `<tag>text</tag>` with `text` escaped.
    pub fn element(&mut self, tag: &str, class: Option<&str>, text: &str) {
        match class {
            Some(c) => {
                let _ = writeln!(self.body, "<{tag} class=\"{c}\">{}</{tag}>", esc(text));
            }
            None => {
                let _ = writeln!(self.body, "<{tag}>{}</{tag}>", esc(text));
            }
        }
    }

    /// Appends a figure: an inline SVG chart (labelled for screen readers) and its caption.
    pub fn figure(&mut self, svg: &str, label: &str, caption: &str, wide: bool) {
        let svg = svg.trim_end();
        let svg = svg
            .strip_prefix("<svg ")
            .map_or_else(|| svg.to_owned(), |rest| format!("<svg role=\"img\" aria-label=\"{}\" {rest}", esc(label)));
        let class = if wide { " class=\"wide\"" } else { "" };
        let _ = writeln!(self.body, "<figure{class}>\n{svg}\n<figcaption>{}</figcaption>\n</figure>", esc(caption));
    }

    /// Appends a table; cells of columns marked numeric are right-aligned. Text is escaped.
    pub fn table(&mut self, headers: &[(&str, bool)], rows: &[Vec<String>]) {
        self.body.push_str("<div class=\"table\"><table>\n<thead><tr>");
        for (h, numeric) in headers {
            let class = if *numeric { " class=\"num\"" } else { "" };
            let _ = write!(self.body, "<th{class}>{}</th>", esc(h));
        }
        self.body.push_str("</tr></thead>\n<tbody>\n");
        for row in rows {
            self.body.push_str("<tr>");
            for (cell, (_, numeric)) in row.iter().zip(headers) {
                let class = if *numeric { " class=\"num\"" } else { "" };
                let _ = write!(self.body, "<td{class}>{}</td>", esc(cell));
            }
            self.body.push_str("</tr>\n");
        }
        self.body.push_str("</tbody>\n</table></div>\n");
    }

    /// The finished document.
    pub fn finish(self, title: &str) -> String {
        format!(
            "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\" xml:lang=\"en\">\n<head>\n\
             <meta charset=\"utf-8\"/>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
             <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
            esc(title),
            self.body
        )
    }
}

/// Renders the report of a run.
pub fn run_report(data: &ReportData) -> anyhow::Result<String> {
    let s = &data.summary;
    let horizon_weeks = s.run.horizon_weeks();
    let mut page = Page::default();
    let with = if s.scenario.mitigations().is_empty() {
        String::new()
    } else {
        format!(" with {}", s.scenario.mitigations().join(", "))
    };
    page.element("h1", None, &format!("Supply disruption report: {}{with}", s.scenario.name));
    if !data.description.is_empty() {
        page.element("p", Some("lede"), &data.description);
    }
    page.element(
        "p",
        Some("meta"),
        &format!(
            "{} trials · seed {} · {} · scenario SHA-256 {} · {} {}",
            thousands(s.run.trials),
            s.run.seed,
            periods(s.run.periods, s.run.period_weeks),
            s.scenario.sha256,
            s.tool.name,
            s.tool.version
        ),
    );

    let start = start_date(s);
    let axis = WeekAxis { horizon_weeks, start };
    let first = |w: Option<f64>| w.map_or_else(|| "never".to_owned(), |w| week_label(w, start));
    page.element("h2", None, "At a glance");
    let mut lost_rows = Vec::new();
    let mut late_rows = Vec::new();
    let mut never = Vec::new();
    for e in &s.end_uses {
        if e.p_short_or_late.k == 0 {
            never.push(e.name.clone());
            continue;
        }
        match &e.headline {
            Headline::Short { p, mean_share_met, median_first_short_week, .. } => lost_rows.push(vec![
                e.name.clone(),
                e.class.clone(),
                e.unit.clone(),
                compact_proportion(p),
                compact_mean(&e.units_short),
                number(e.units_short.p95),
                percent(*mean_share_met),
                first(*median_first_short_week),
            ]),
            Headline::Late {
                p,
                mean_delay_weeks,
                median_max_delay_weeks_when_late,
                p95_max_delay_weeks_when_late,
                p95_peak_backlog_units_when_late,
                p95_peak_backlog_weeks_when_late,
                median_first_late_week,
                ..
            } => {
                let weeks = |w: &Option<f64>| w.map_or_else(|| "-".to_owned(), number);
                late_rows.push(vec![
                    e.name.clone(),
                    e.class.clone(),
                    e.unit.clone(),
                    compact_proportion(p),
                    weeks(mean_delay_weeks),
                    format!("{} / {}", weeks(median_max_delay_weeks_when_late), weeks(p95_max_delay_weeks_when_late)),
                    format!(
                        "{} ({} wk)",
                        weeks(p95_peak_backlog_units_when_late),
                        weeks(p95_peak_backlog_weeks_when_late)
                    ),
                    first(*median_first_late_week),
                ])
            }
        }
    }
    if !lost_rows.is_empty() {
        page.element("h3", None, "Lost demand: how much is never built");
        page.table(
            &[
                ("end use", false),
                ("class", false),
                ("unit", false),
                ("P(short) [95% CI]", true),
                ("units never built, mean [95% CI]", true),
                ("P95", true),
                ("share of demand met", true),
                ("first shortfall (median)", true),
            ],
            &lost_rows,
        );
    }
    if !late_rows.is_empty() {
        page.element("h3", None, "Backlogged demand: how late it is built");
        page.table(
            &[
                ("end use", false),
                ("class", false),
                ("unit", false),
                ("P(late) [95% CI]", true),
                ("mean delay of a late unit, weeks", true),
                ("longest delay in late trials, weeks: median / P95", true),
                ("peak backlog in late trials: P95 (weeks of demand)", true),
                ("first late week (median)", true),
            ],
            &late_rows,
        );
    }
    if !never.is_empty() {
        page.element(
            "p",
            None,
            &format!("Never short or late in any of the {} trials: {}.", thousands(s.run.trials), never.join(", ")),
        );
    }
    let loss = &s.loss.per_trial;
    page.element(
        "p",
        None,
        &format!(
            "Loss over every end use ({}): mean {} per trial (95% CI {}–{}), P95 {}, mean of the worst 5% {}.",
            s.loss.unit,
            money(loss.mean, &s.loss.unit),
            money(loss.ci95_low.max(0.0), &s.loss.unit),
            money(loss.ci95_high, &s.loss.unit),
            money(loss.p95, &s.loss.unit),
            money(loss.cvar95, &s.loss.unit)
        ),
    );
    page.element(
        "p",
        Some("note"),
        "P(short): some demand is never built. P(late): some unit is built after the week it was demanded in \
         (backlogged demand). Units are what each end use builds, over the whole horizon. Intervals are 95% \
         confidence intervals of the Monte Carlo estimate (Wilson for probabilities, normal for means): they say how \
         precisely the trials pin a number down, not how uncertain the world is; that spread is in the charts.",
    );

    if let Some(w) = &s.worlds {
        super::worlds::section(&mut page, s, w)?;
    }

    page.element("h2", None, "End uses");
    page.element(
        "p",
        Some("note"),
        "How to read the charts. Lost demand, left: the fan chart of the share of each week's requirement that was \
         built (line: median trial; dark band: middle half of the trials, P25–P75; light band: 90% of them, \
         P5–P95). Right: the exceedance curve, the share of trials (y) that ended the horizon with more than x units \
         never built. Backlogged demand, left: the backlog carried out of each week, in weeks of normal demand \
         (bands as above; the dashed line is the 99th percentile, the tail beyond the fan). Right: the share of \
         trials (y) in which some unit was delivered more than x weeks late. An end use never short or late gets \
         one line and no chart.",
    );
    let mut backlog = data.backlog_bands.iter();
    for ((e, bands), curve) in s.end_uses.iter().zip(&data.bands).zip(&data.curves) {
        let backlog_bands = if e.delay.is_some() { backlog.next() } else { None };
        page.raw(&format!(
            "<div class=\"card\" id=\"end-use-{}\">\n<h3>{}<span class=\"class\">{} · {} · {}</span></h3>\n",
            esc(&e.name),
            esc(&e.name),
            esc(&e.class),
            esc(&e.region),
            esc(&e.unit)
        ));
        if e.p_short_or_late.k == 0 {
            page.element("p", None, &never_short(e, horizon_weeks));
            page.raw("</div>\n");
            continue;
        }
        page.element("p", None, &end_use_summary(e, curve, horizon_weeks, start, &s.loss.unit));
        page.raw("<div class=\"charts\">\n");
        match backlog_bands {
            Some(b) => {
                let weekly = e.mean_demand_units / horizon_weeks.max(1.0);
                page.figure(
                    &backlog_fan_chart(b, axis)?,
                    &format!("Fan chart of the weekly backlog of {}", e.name),
                    &format!(
                        "How to read: units owed at the end of each week, in weeks of normal demand (y; one week is \
                         about {} {}), by date (x); line: median trial; bands: P25–P75 and P5–P95; dashed: P99.",
                        number(weekly),
                        e.unit
                    ),
                    false,
                );
                page.figure(
                    &exceedance_chart(curve, &e.unit)?,
                    &format!("Exceedance curve of the longest delay for {}", e.name),
                    "How to read: share of trials (y, %) in which some unit was delivered (or still owed at the end) \
                     more than x weeks after it was demanded.",
                    false,
                );
            }
            None => {
                page.figure(
                    &fan_chart(bands, axis)?,
                    &format!("Fan chart of the weekly share of requirement met for {}", e.name),
                    "How to read: share of each week's requirement built (y, %) by date (x); line: median trial; \
                     bands: P25–P75 and P5–P95 of trials.",
                    false,
                );
                page.figure(
                    &exceedance_chart(curve, &e.unit)?,
                    &format!("Exceedance curve of units short for {}", e.name),
                    &format!(
                        "How to read: share of trials (y, %) that ended the horizon with more than x {} never built.",
                        e.unit
                    ),
                    false,
                );
            }
        }
        page.raw("</div>\n</div>\n");
    }

    page.element("h2", None, "Where the disruption bites");
    page.element(
        "p",
        None,
        &format!(
            "Stages (boxes) by depth in the supply chain, from mines on the left to end uses on the right; each \
             line runs from a supplier to its customer. {}",
            worst_stages(data)
        ),
    );
    page.figure(
        &stage_graph_chart(&data.graph)?,
        "The stage graph coloured by expected loss",
        "How to read: each box is a stage (region · expected throughput lost over the horizon, as % of the \
         throughput it wanted to make) or an end use (double border; class · expected share of demand not built, %). Darker \
         is worse. Dashed red links are covered by an export-licensing regime or an embargo; the disruptions are \
         listed under Assumptions.",
        true,
    );

    if !s.stockpiles.is_empty() {
        page.element("h2", None, "Strategic stockpiles");
        page.element(
            "p",
            Some("note"),
            "The engine records, per trial, only a stockpile's lowest level and the amount released, so these charts \
             show the distribution of the lowest level across trials (not the level week by week).",
        );
        for sp in &s.stockpiles {
            let initial = data.graph.stockpiles.iter().find(|g| g.name == sp.name).map_or(f64::NAN, |g| g.initial);
            page.raw("<div class=\"card\">\n");
            page.element("h3", None, &sp.name);
            page.element("p", None, &stockpile_summary(sp));
            page.figure(
                &stockpile_chart(&sp.min_level, initial, &sp.unit)?,
                &format!("Lowest level of stockpile {}", sp.name),
                &format!(
                    "How to read: the lowest level the stockpile reached over the horizon ({}), across trials: \
                     whiskers from the smallest to the largest, the box from P5 to P95, the thick tick at the \
                     median; the dashed line is the initial level. A box at 0 means it ran dry.",
                    sp.unit
                ),
                true,
            );
            page.raw("</div>\n");
        }
    }

    page.element("h2", None, "Assumptions that drive it");
    if data.graph.disruptions.is_empty() {
        page.element("p", None, "The scenario has no disruption: any shortfall comes from capacity and demand alone.");
    } else {
        let rows: Vec<Vec<String>> = data
            .graph
            .disruptions
            .iter()
            .map(|d| {
                let links = data.graph.links.iter().filter(|l| l.disrupted_by.contains(&d.name)).count();
                let text = if d.description.is_empty() {
                    d.summary.clone()
                } else {
                    format!("{} {}", d.summary, d.description)
                };
                vec![
                    d.name.clone(),
                    d.kind.as_str().replace('_', " "),
                    text,
                    if links == 0 { "-".to_owned() } else { links.to_string() },
                ]
            })
            .collect();
        page.table(
            &[("disruption", false), ("kind", false), ("what, when and how hard", false), ("links", true)],
            &rows,
        );
    }
    if !s.warnings.is_empty() {
        page.element("p", None, "Warnings about the scenario:");
        page.raw("<ul>\n");
        for w in &s.warnings {
            page.raw(&format!(
                "<li><code>{}</code> at <code>{}</code>: {}</li>\n",
                esc(&w.code),
                esc(&w.key),
                esc(&w.message)
            ));
        }
        page.raw("</ul>\n");
    }

    page.element("h2", None, "About this run");
    let meta = vec![
        vec!["scenario".to_owned(), s.scenario.name.clone()],
        vec!["scenario SHA-256".to_owned(), s.scenario.sha256.clone()],
        vec!["seed".to_owned(), s.run.seed.to_string()],
        vec!["trials".to_owned(), thousands(s.run.trials)],
        vec!["random generator".to_owned(), s.run.rng.clone()],
        vec![
            "mitigations applied".to_owned(),
            if s.scenario.mitigations().is_empty() { "none".to_owned() } else { s.scenario.mitigations().join(", ") },
        ],
        vec!["horizon".to_owned(), periods(s.run.periods, s.run.period_weeks)],
        vec!["tool".to_owned(), format!("{} {}", s.tool.name, s.tool.version)],
        vec!["summary schema".to_owned(), s.schema_version.to_string()],
    ];
    page.table(&[("", false), ("", false)], &meta);
    page.element(
        "p",
        Some("note"),
        "Made from summary.json, bands.parquet, backlog_bands.parquet, trials.parquet, run.json and graph.json in \
         the same folder; \
         `chokepoint report FOLDER` rebuilds it. The same scenario bytes, seed, trials and version give the same \
         report; timings and the thread count are in run.json.",
    );
    Ok(page.finish(&format!("chokepoint · {}", s.scenario.name)))
}

/// A mean with its interval, compact: "739k [678k–800k]"; "-" without data.
fn compact_mean(d: &crate::documents::summary::DistributionJson) -> String {
    if d.n == 0 {
        return "-".to_owned();
    }
    format!("{} [{}–{}]", number(d.mean), number(d.ci95_low.max(0.0)), number(d.ci95_high))
}

/// "156 weekly periods (3 years)", or "36 periods of 4.33 weeks (3 years)".
fn periods(periods: usize, period_weeks: f64) -> String {
    let kind = if period_weeks == 1.0 {
        "weekly periods".to_owned()
    } else {
        format!("periods of {} weeks", number(period_weeks))
    };
    format!("{periods} {kind} ({} years)", number(periods as f64 * period_weeks / 52.0))
}

/// A sentence naming the stages that lose the most.
fn worst_stages(data: &ReportData) -> String {
    let mut stages: Vec<_> =
        data.summary.stages.iter().filter_map(|s| s.mean_lost_share.filter(|x| *x > 0.0).map(|x| (x, s))).collect();
    stages.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.name.cmp(&b.1.name)));
    if stages.is_empty() {
        return "No stage lost throughput in any trial.".to_owned();
    }
    let named: Vec<String> = stages.iter().take(3).map(|(x, s)| format!("{} ({})", s.name, percent(*x))).collect();
    format!(
        "The stages that lose the largest share of the throughput they wanted to make, on average: {}.",
        named.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("a<b & 'c' \"d\""), "a&lt;b &amp; &#39;c&#39; &quot;d&quot;");
    }

    #[test]
    fn an_empty_page_is_well_formed() {
        let mut page = Page::default();
        page.element("p", None, "<&>");
        page.table(&[("a", false), ("b", true)], &[vec!["1".into(), "2".into()]]);
        let html = page.finish("t & u");
        roxmltree::Document::parse_with_options(
            &html,
            roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() },
        )
        .expect("well-formed");
        assert!(!html.contains("<script"));
        assert_eq!(periods(156, 1.0), "156 weekly periods (3 years)");
        assert_eq!(periods(36, 52.0 / 12.0), "36 periods of 4.33 weeks (3 years)");
    }
}
