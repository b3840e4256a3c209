//! `report.html`: well-formed, the charts that fit each end use (share met and units short for lost demand,
//! backlog and delay for backlogged demand; none for an end use never short), figures equal to `summary.json`
//! and, for a comparison, to `compare.json`; nothing fetched; `chokepoint report OUTDIR` rebuilds it byte for byte.

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
fn the_report_draws_the_charts_that_fit_each_end_use() {
    let dir = tempfile::tempdir().unwrap();
    run_small(dir.path(), "300", &[]);
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let doc = parse(&html);
    let summary = json(&dir.path().join("summary.json"));
    let end_uses: Vec<&str> =
        summary["end_uses"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(end_uses, ["ev_motors", "f35"]);
    // ev_motors loses its unmet demand: the share met and units short; f35 backlogs it: the backlog and the delay.
    for (prefix, name, min_points, axis) in [
        ("Fan chart of the weekly share of requirement met", "ev_motors", 104, "(%)"),
        ("Exceedance curve of units short", "ev_motors", 2, "Not built over the horizon (units)"),
        ("Fan chart of the weekly backlog", "f35", 104, "Backlog (weeks of demand)"),
        ("Exceedance curve of the longest delay", "f35", 2, "Longest delay of a unit (weeks)"),
    ] {
        let found = charts(&doc, prefix);
        assert_eq!(found.len(), 1, "one {prefix}");
        let chart = found[0];
        assert!(chart.attribute("aria-label").unwrap().ends_with(name), "{prefix} of {name}");
        assert!(longest_polyline(chart) >= min_points, "{prefix} of {name} has its data");
        let text: String = chart.descendants().filter_map(|n| n.text()).collect();
        assert!(text.contains(axis), "{prefix} of {name}: axis `{axis}` in {text}");
    }
    assert_eq!(charts(&doc, "The stage graph").len(), 1);
    // Self-contained: no script, and nothing to fetch.
    for banned in ["<script", " src=", " href=", "@import", "url(", "@font-face"] {
        assert!(!html.contains(banned), "report.html contains `{banned}`");
    }
}

#[test]
fn an_end_use_never_short_gets_a_line_and_no_chart() {
    let dir = tempfile::tempdir().unwrap();
    // Without disruptions nothing is ever short.
    let text = std::fs::read_to_string(small_chain()).unwrap();
    let calm = text.split("[disruptions.").next().unwrap().to_owned();
    let path = dir.path().join("calm.toml");
    std::fs::write(&path, calm).unwrap();
    let out = dir.path().join("out");
    assert_exit(&chokepoint(&["run", arg(&path), "--trials", "30", "-q", "--out", arg(&out)]), 0);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let doc = parse(&html);
    assert!(charts(&doc, "Fan chart").is_empty() && charts(&doc, "Exceedance curve").is_empty(), "no empty chart");
    assert!(html.contains("ev_motors was never short or late in any of the 30 trials"), "one line of text");
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
        let p = &e["p_short_or_late"];
        let f = |key: &str| p[key].as_f64().unwrap();
        let verb = if e["unmet_demand"] == "backlog" { "late" } else { "short" };
        let expected = if p["k"].as_u64() == Some(0) {
            format!("{name} was never short or late in any of the 400 trials")
        } else {
            short += 1;
            format!(
                "{name} is {verb} in {} (95% CI {}–{}) of trials",
                percent(f("p")),
                percent(f("ci95_low")),
                percent(f("ci95_high"))
            )
        };
        assert!(html.contains(&expected), "`{expected}` is in the report");
        if verb == "short" {
            let met = percent(e["share_met"]["mean"].as_f64().unwrap());
            assert!(html.contains(&format!("<td class=\"num\">{met}</td>")), "mean share met {met} of {name}");
        }
    }
    assert!(short > 0, "the fixture has shortfalls at this seed");
}

#[test]
fn the_compare_report_holds_the_figures_of_compare_json() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/valid/small_chain_mitigations.toml");
    let out = dir.path().join("out");
    let o = chokepoint(&["compare", arg(&scenario), "--all", "--trials", "60", "-q", "--out", arg(&out)]);
    assert_exit(&o, 0);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let doc = parse(&html);
    let compare = json(&out.join("compare.json"));
    let number = |v: &serde_json::Value| v.as_f64().unwrap();
    // The overall ranking: every option's rank, name and effect, in rank order.
    let mut last = 0;
    for o in compare["options"].as_array().unwrap() {
        let name = o["name"].as_str().unwrap();
        let at = html.find(&format!("<td>{name}</td>")).unwrap_or_else(|| panic!("{name} is ranked in the report"));
        assert!(at > last, "{name} is in rank order");
        last = at;
        let rank = o["rank"].as_u64().unwrap();
        assert!(html[..at].ends_with(&format!("<td class=\"num\">{rank}</td>")), "{name} has rank {rank}");
        let effect = match o["loss_avoided"]["effect"].as_str().unwrap() {
            "better" => "better",
            "worse" => "worse",
            _ => "no detectable effect",
        };
        assert!(html[at..].contains(&format!("<td>{effect}</td>")), "{name}: {effect}");
    }
    // Per end use: the change in P(short or late) with its interval, as compare.json holds it (lost demand reads
    // ΔP(short), backlogged demand ΔP(late)).
    for e in compare["end_uses"].as_array().unwrap() {
        for x in e["options"].as_array().unwrap() {
            let d = &x["p_short_or_late"];
            let points = |p: f64| if p == 0.0 { "0".to_owned() } else { format!("{:+.1}", p * 100.0) };
            let cell = format!(
                "{} ({} to {})",
                points(number(&d["delta"])),
                points(number(&d["ci95_low"])),
                points(number(&d["ci95_high"]))
            );
            assert!(html.contains(&cell), "ΔP of {} on {}: `{cell}`", x["option"], e["name"]);
        }
    }
    assert_eq!(charts(&doc, "Cost against loss avoided").len(), 1, "the frontier");
    assert!(!charts(&doc, "Forest plot of the fall in the probability").is_empty(), "ΔP forest plots");
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
    // The record is what a run writes last, so the folder is named as holding no complete run.
    assert!(
        stderr(&o).starts_with("error: ") && stderr(&o).contains("holds no complete run: `run.json`"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("panicked"));
    assert!(!dir.path().join("report.html").exists());
    // A run's files without its record (a run interrupted while moving them into place): the same.
    let out = dir.path().join("out");
    run_small(&out, "20", &[]);
    std::fs::remove_file(out.join("run.json")).unwrap();
    let o = chokepoint(&["report", arg(&out)]);
    assert_exit(&o, 1);
    assert!(stderr(&o).contains("holds no complete run"), "{}", stderr(&o));
}
