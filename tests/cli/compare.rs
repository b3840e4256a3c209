//! `chokepoint compare`: common random numbers pair the runs, a mitigation that changes nothing differs by exactly
//! zero, cost arithmetic, the files and their schemas, JSON on stdout, determinism across thread counts, errors.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::{arg, assert_exit, chokepoint, columns, entries, read_parquet, small_chain, stderr, stdout};

const FILES: [&str; 6] = [
    "compare.csv",
    "compare.json",
    "compare_run.json",
    "paired_differences.parquet",
    "paired_losses.parquet",
    "report.html",
];

fn small_chain_mitigations() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/valid/small_chain_mitigations.toml")
}

/// A stockpile that holds nothing and releases nothing, with a cost: an option that changes nothing.
const EMPTY_RESERVE: &str = r#"
[mitigations.empty_reserve]
kind = "stockpile"
description = "a reserve that holds nothing"
material = "dy_oxide"
serves = ["jp_magnets"]
initial_t = 0
max_release_t_per_week = 0
cost = { one_off_usd = 1e6, per_year_usd = 2.5e5 }
"#;

fn compare(scenario: &Path, out: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["compare", arg(scenario), "--out", arg(out), "--quiet"];
    all.extend_from_slice(args);
    chokepoint(&all)
}

fn json(text: &[u8]) -> serde_json::Value {
    serde_json::from_slice(text).expect("valid JSON")
}

/// The effect of `option` on `end_use` in a compare.json document.
fn effect<'a>(doc: &'a serde_json::Value, end_use: &str, option: &str) -> &'a serde_json::Value {
    let e = doc["end_uses"].as_array().unwrap().iter().find(|e| e["name"] == end_use).expect("end use");
    e["options"].as_array().unwrap().iter().find(|o| o["option"] == option).expect("option")
}

fn f(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn common_random_numbers_make_the_paired_error_far_smaller_than_the_unpaired_one() {
    let dir = tempfile::tempdir().unwrap();
    let o = compare(
        &small_chain_mitigations(),
        &dir.path().join("out"),
        &["-m", "dy_reserve", "--trials", "100", "--format", "json"],
    );
    assert_exit(&o, 0);
    let doc = json(&o.stdout);
    let x = effect(&doc, "ev_motors", "dy_reserve");
    let avoided = &x["units_short_avoided"];
    assert!(f(&avoided["ci95_low"]) > 0.0, "the reserve helps: {x}");
    assert_eq!(x["effect"], "better");
    assert_eq!(avoided["effect"], "better");
    assert!(f(&avoided["se"]) < 0.5 * f(&avoided["unpaired_se"]), "{avoided}");
    assert!(f(&avoided["p_better"]["p"]) > 0.0);
    // Cost over the 1-year horizon: $5.2 M once + $0.2 M a year; per unit avoided, over the mean avoided.
    let cost = f(&x["cost_usd"]);
    assert_eq!(cost, 5.2e6 + 2e5 * 1.0);
    // (serde_json reads floats to within an ulp, so compare with a relative tolerance.)
    let per_unit = cost / f(&avoided["avoided_mean"]);
    let quoted = f(&x["cost_per_unit_short_avoided_usd"]["point"]);
    assert!((quoted - per_unit).abs() <= 1e-12 * per_unit, "{x}");
    assert_eq!(doc["options"][0]["cost"]["total_usd"], 5.4e6);
    assert_eq!(doc["run"]["variants"], 2);
}

#[test]
fn a_mitigation_that_changes_nothing_differs_by_exactly_zero_in_every_trial() {
    let dir = tempfile::tempdir().unwrap();
    let overlay = dir.path().join("empty_reserve.toml");
    std::fs::write(&overlay, EMPTY_RESERVE).unwrap();
    let out = dir.path().join("out");
    let o = compare(&small_chain(), &out, &["--mitigation", arg(&overlay), "--trials", "50", "--format", "json"]);
    assert_exit(&o, 0);
    let df = read_parquet(&out.join("paired_differences.parquet"));
    assert_eq!(df.height(), 50 * 2, "one row per trial and end use");
    let option = df.column("option").unwrap().str().unwrap();
    assert!((0..option.len()).all(|i| option.get(i) == Some("empty_reserve")));
    let avoided = df.column("units_short_avoided").unwrap().f64().unwrap();
    assert!(avoided.into_no_null_iter().all(|d| d == 0.0), "every difference is exactly 0");
    let base = df.column("baseline_units_short").unwrap().f64().unwrap();
    let opt = df.column("option_units_short").unwrap().f64().unwrap();
    assert!(base.into_no_null_iter().zip(opt.into_no_null_iter()).all(|(b, o)| b.to_bits() == o.to_bits()));
    assert!(base.into_no_null_iter().any(|b| b > 0.0), "the baseline is short in some trial");

    let doc = json(&o.stdout);
    for end_use in ["ev_motors", "f35"] {
        let x = effect(&doc, end_use, "empty_reserve");
        assert_eq!(x["effect"], "none");
        assert_eq!(f(&x["units_short_avoided"]["avoided_mean"]), 0.0);
        assert!(x["cost_per_unit_short_avoided_usd"].is_null(), "nothing avoided, no cost per unit: {x}");
        let a = &x["units_short_avoided"];
        assert_eq!((f(&a["p_better"]["p"]), f(&a["p_worse"]["p"])), (0.0, 0.0));
        assert_eq!(f(&x["p_short_or_late"]["delta"]), 0.0);
    }
    let option = &doc["options"][0];
    assert_eq!(option["loss_avoided"]["effect"], "none");
    assert!(option["loss_avoided_per_usd"].is_null(), "no detectable effect, no value for money: {option}");
    assert!(option["rank_by_value"].is_null());
    // Cost over the 2-year horizon of small_chain: $1 M once + $0.25 M a year x 2.
    let option = &doc["options"][0];
    assert_eq!(option["source"], "empty_reserve.toml");
    assert_eq!((f(&option["cost"]["horizon_years"]), f(&option["cost"]["total_usd"])), (2.0, 1.5e6));
    assert_eq!(doc["scenario"]["overlays"][0]["file"], "empty_reserve.toml");
}

#[test]
fn compare_writes_every_file_with_its_schema_and_prints_a_ranked_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = compare(&small_chain_mitigations(), &out, &["--all", "--trials", "40", "--threads", "2"]);
    assert_exit(&o, 0);
    assert_eq!(entries(&out), FILES);
    let table = stdout(&o);
    assert!(table.contains("baseline and 9 options on common random"), "{table}");
    assert!(table.contains("Overall: loss over every end use"), "{table}");
    assert!(table.contains("cost per unit"), "{table}");
    let widest = table.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest <= 100, "the tables fit 100 columns, not {widest}:\n{table}");

    use DataType::{Boolean, Float64, String, UInt64};
    let df = read_parquet(&out.join("paired_differences.parquet"));
    let expected = [
        ("option", String),
        ("end_use", String),
        ("trial", UInt64),
        ("baseline_units_short", Float64),
        ("option_units_short", Float64),
        ("units_short_avoided", Float64),
        ("baseline_short_or_late", Boolean),
        ("option_short_or_late", Boolean),
        ("baseline_max_delay_weeks", Float64),
        ("option_max_delay_weeks", Float64),
        ("max_delay_weeks_avoided", Float64),
        ("baseline_loss", Float64),
        ("option_loss", Float64),
        ("loss_avoided", Float64),
    ];
    assert_eq!(columns(&df), expected.map(|(n, d)| (n.to_owned(), d)));
    assert_eq!(df.height(), 9 * 2 * 40);
    let losses = read_parquet(&out.join("paired_losses.parquet"));
    assert_eq!(losses.height(), 9 * 40);

    let csv = std::fs::read_to_string(out.join("compare.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.starts_with("end_use,class,unit,unmet_demand,option,option_kind,rank,effect"), "{header}");
    assert!(header.contains(",delta_p_short_or_late,"), "{header}");
    assert!(
        header.ends_with("cost_usd,cost_per_unit_short_avoided_usd,cost_per_unit_week_late_avoided_usd"),
        "{header}"
    );
    assert_eq!(csv.lines().count(), 1 + 9 * 2);

    let doc = json(&std::fs::read(out.join("compare.json")).unwrap());
    assert_eq!(doc["schema_version"], 2);
    assert_eq!(doc["scenario"]["name"], "small_chain_mitigations");
    assert_eq!(doc["scenario"]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(doc["scenario"]["bases"][0]["file"], "small_chain.toml");
    assert_eq!((doc["run"]["seed"].as_u64(), doc["run"]["trials"].as_u64()), (Some(1), Some(40)));
    let options = doc["options"].as_array().unwrap();
    assert_eq!(options.len(), 9);
    assert!(options.windows(2).all(|w| w[0]["rank"].as_u64() <= w[1]["rank"].as_u64()), "in rank order");
    for e in doc["end_uses"].as_array().unwrap() {
        let ranked = e["options"].as_array().unwrap();
        assert!(
            ranked
                .windows(2)
                .all(|w| f(&w[0]["loss_avoided"]["avoided_mean"]) >= f(&w[1]["loss_avoided"]["avoided_mean"]))
        );
    }
    assert!(doc.get("wall_time_s").is_none(), "no timing in compare.json");

    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let options = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
    assert!(roxmltree::Document::parse_with_options(&html, options).is_ok(), "report.html is well-formed");
    assert!(html.contains("<svg"), "it holds the charts");

    let record = json(&std::fs::read(out.join("compare_run.json")).unwrap());
    assert_eq!(record["threads"], 2);
    assert_eq!(record["variants"].as_array().unwrap().len(), 10);
    assert_eq!(record["variants"][0]["name"], "baseline");
    assert!(f(&record["wall_time_s"]) > 0.0);
}

#[test]
fn the_same_seed_gives_the_same_comparison_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut texts = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(threads);
        let o = compare(&small_chain_mitigations(), &out, &["--all", "--trials", "70", "--threads", threads]);
        assert_exit(&o, 0);
        let read = |name: &str| std::fs::read(out.join(name)).unwrap();
        texts.push([
            read("compare.json"),
            read("compare.csv"),
            read("paired_differences.parquet"),
            read("paired_losses.parquet"),
            read("report.html"),
        ]);
    }
    assert!(texts[0] == texts[1], "compare.json, compare.csv, the Parquet file and report.html are byte-identical");
}

#[test]
fn unknown_or_missing_options_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = compare(&small_chain_mitigations(), &out, &["-m", "dy_reserv", "--trials", "5"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("did you mean `dy_reserve`"), "{}", stderr(&o));
    let o = compare(&small_chain_mitigations(), &out, &["--trials", "5"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("--all"), "{}", stderr(&o));
    assert!(!out.exists(), "no output folder is left behind");
}
