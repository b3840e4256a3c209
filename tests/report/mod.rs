//! `report.html`: well-formed, one fan chart and one exceedance chart per end use with data, figures equal to
//! `summary.json`, nothing fetched, and `chokepoint report OUTDIR` rebuilds it byte for byte.

use std::path::Path;

use crate::cli::{arg, assert_exit, chokepoint, json, small_chain, stderr, stdout};

const SVG: &str = "http://www.w3.org/2000/svg";

/// Runs small_chain quietly into `out` with `trials` trials and extra `args`.
fn run_small(out: &Path, trials: &str, args: &[&str]) {
    let scenario = small_chain();
    let mut all = vec!["run", arg(&scenario), "--trials", trials, "--out", arg(out), "-q"];
    all.extend_from_slice(args);
    assert_exit(&chokepoint(&all), 0);
}

fn parse(html: &str) -> roxmltree::Document<'_> {
    let options = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
    roxmltree::Document::parse_with_options(html, options).expect("report.html is well-formed XML")
}

/// The SVG charts whose accessible label starts with `prefix`.
fn charts<'a, 'i>(doc: &'a roxmltree::Document<'i>, prefix: &str) -> Vec<roxmltree::Node<'a, 'i>> {
    doc.descendants()
        .filter(|n| n.has_tag_name((SVG, "svg")) && n.attribute("aria-label").is_some_and(|l| l.starts_with(prefix)))
        .collect()
}

/// The number of points of the longest polyline in `chart`.
fn longest_polyline(chart: roxmltree::Node<'_, '_>) -> usize {
    chart
        .descendants()
        .filter(|n| n.has_tag_name((SVG, "polyline")))
        .map(|n| n.attribute("points").unwrap_or("").split_whitespace().count())
        .max()
        .unwrap_or(0)
}

/// The terminal table's percentage format (`table::percent`), which the report shares.
fn percent(p: f64) -> String {
    let pct = p * 100.0;
    if pct == 0.0 {
        "0%".to_owned()
    } else if pct.abs() < 0.01 {
        "<0.01%".to_owned()
    } else if pct.abs() < 1.0 {
        format!("{pct:.2}%")
    } else {
        format!("{pct:.1}%")
    }
}

#[test]
fn the_report_is_well_formed_with_a_fan_and_an_exceedance_chart_per_end_use() {
    let dir = tempfile::tempdir().unwrap();
    run_small(dir.path(), "300", &[]);
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let doc = parse(&html);
    let summary = json(&dir.path().join("summary.json"));
    let end_uses: Vec<&str> =
        summary["end_uses"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(end_uses, ["ev_motors", "f35"]);
    for (prefix, min_points) in [("Fan chart", 104), ("Exceedance curve", 2)] {
        let found = charts(&doc, prefix);
        assert_eq!(found.len(), end_uses.len(), "one {prefix} per end use");
        for (chart, name) in found.iter().zip(&end_uses) {
            assert!(chart.attribute("aria-label").unwrap().ends_with(name), "{prefix} of {name} in order");
            assert!(longest_polyline(*chart) >= min_points, "{prefix} of {name} has its data");
            let text: String = chart.descendants().filter_map(|n| n.text()).collect();
            assert!(text.contains("(weeks)") || text.contains("(units)"), "{prefix} of {name}: axis units");
            assert!(text.contains("(%)"), "{prefix} of {name}: axis units");
        }
    }
    assert_eq!(charts(&doc, "The stage graph").len(), 1);
    // Self-contained: no script, and nothing to fetch.
    for banned in ["<script", " src=", " href=", "@import", "url(", "@font-face"] {
        assert!(!html.contains(banned), "report.html contains `{banned}`");
    }
}

#[test]
fn the_report_shows_the_figures_of_summary_json() {
    let dir = tempfile::tempdir().unwrap();
    run_small(dir.path(), "400", &["--seed", "3"]);
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let summary = json(&dir.path().join("summary.json"));
    assert!(html.contains(summary["scenario"]["sha256"].as_str().unwrap()), "the scenario digest");
    assert!(html.contains("400 trials · seed 3"), "trials and seed");
    let mut short = 0;
    for e in summary["end_uses"].as_array().unwrap() {
        let name = e["name"].as_str().unwrap();
        let p = &e["p_any_short"];
        let f = |key: &str| p[key].as_f64().unwrap();
        let expected = if p["k"].as_u64() == Some(0) {
            format!("{name} was never short in any of the 400 trials")
        } else {
            short += 1;
            format!(
                "{name} is short in {} (95% CI {}–{}) of trials.",
                percent(f("p")),
                percent(f("ci95_low")),
                percent(f("ci95_high"))
            )
        };
        assert!(html.contains(&expected), "`{expected}` is in the report");
        let met = percent(e["share_met"]["mean"].as_f64().unwrap());
        assert!(html.contains(&format!("<td class=\"num\">{met}</td>")), "mean share met {met} of {name}");
    }
    assert!(short > 0, "the fixture has shortfalls at this seed");
}

#[test]
fn the_report_command_rebuilds_the_same_bytes_from_the_saved_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_small(&out, "250", &["--threads", "2"]);
    let written = std::fs::read(out.join("report.html")).unwrap();
    std::fs::remove_file(out.join("report.html")).unwrap();
    let o = chokepoint(&["report", arg(&out)]);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("report.html"), "{}", stdout(&o));
    assert!(std::fs::read(out.join("report.html")).unwrap() == written, "rebuilt report.html differs");
    assert!(!out.join("report.html.tmp").exists());
}

#[test]
fn the_report_does_not_depend_on_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    run_small(&one, "120", &["--threads", "1"]);
    run_small(&two, "120", &["--threads", "2"]);
    for file in ["report.html", "graph.json"] {
        assert!(std::fs::read(one.join(file)).unwrap() == std::fs::read(two.join(file)).unwrap(), "{file} differs");
    }
}

#[test]
fn graph_json_describes_the_stage_graph_and_its_disruptions() {
    let dir = tempfile::tempdir().unwrap();
    run_small(dir.path(), "50", &[]);
    let graph = json(&dir.path().join("graph.json"));
    let summary = json(&dir.path().join("summary.json"));
    assert_eq!(graph["stages"].as_array().unwrap().len(), summary["stages"].as_array().unwrap().len());
    assert_eq!(graph["stages"][0]["mean_lost_share"], summary["stages"][0]["mean_lost_share"]);
    let links = graph["links"].as_array().unwrap();
    assert!(links.iter().any(|l| !l["disrupted_by"].as_array().unwrap().is_empty()), "a disrupted link");
    let disruptions = graph["disruptions"].as_array().unwrap();
    assert!(!disruptions.is_empty() && disruptions.iter().all(|d| !d["summary"].as_str().unwrap().is_empty()));
}

#[test]
fn a_folder_without_run_outputs_is_a_clean_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = chokepoint(&["report", arg(dir.path())]);
    assert_exit(&o, 1);
    assert!(stderr(&o).starts_with("error: could not read"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"));
    assert!(!dir.path().join("report.html").exists());
}
