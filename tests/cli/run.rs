//! `chokepoint run`: the files and their schemas, JSON on stdout, determinism across thread counts and seeds,
//! clean failures without partial files, and no progress bar when stderr is not a terminal.

use std::path::Path;

use polars::prelude::*;
use sha2::{Digest, Sha256};

use super::{
    arg, assert_exit, chokepoint, chokepoint_in, columns, entries, json, read_parquet, small_chain, stderr, stdout,
};

const FILES: [&str; 10] = [
    "backlog_bands.parquet",
    "bands.parquet",
    "graph.json",
    "report.html",
    "run.json",
    "stage_losses.parquet",
    "stockpiles.parquet",
    "summary.csv",
    "summary.json",
    "trials.parquet",
];

/// Runs small_chain with `trials` trials into `out`, quietly, with extra `args`.
fn run_small(out: &Path, trials: &str, args: &[&str]) -> std::process::Output {
    let scenario = small_chain();
    let mut all = vec!["run", arg(&scenario), "--trials", trials, "--out", arg(out)];
    all.extend_from_slice(args);
    chokepoint(&all)
}

fn expected(columns: &[(&str, DataType)]) -> Vec<(String, DataType)> {
    columns.iter().map(|(n, d)| ((*n).to_owned(), d.clone())).collect()
}

#[test]
fn run_writes_every_file_with_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = run_small(&out, "40", &["--threads", "2", "--quiet"]);
    assert_exit(&o, 0);
    assert_eq!(entries(&out), FILES);
    use DataType::{Boolean, Float64, String, UInt32, UInt64};

    let trials = read_parquet(&out.join("trials.parquet"));
    assert_eq!(
        columns(&trials),
        expected(&[
            ("trial", UInt64),
            ("end_use", String),
            ("unit", String),
            ("unmet_demand", String),
            ("short_or_late", Boolean),
            ("demand", Float64),
            ("built", Float64),
            ("units_short", Float64),
            ("units_lost", Float64),
            ("units_late", Float64),
            ("units_owed_at_end", Float64),
            ("units_short_or_late", Float64),
            ("share_met", Float64),
            ("short_weeks", Float64),
            ("longest_short_run_weeks", Float64),
            ("first_short_week", Float64),
            ("recovery_week", Float64),
            ("mean_delay_weeks", Float64),
            ("max_delay_weeks", Float64),
            ("peak_backlog_units", Float64),
            ("peak_backlog_weeks", Float64),
            ("backlog_unit_weeks", Float64),
            ("loss", Float64),
        ])
    );
    // The naive query is the right one: the share of trials short or late, per end use, from one column.
    let late = trials.column("short_or_late").unwrap().bool().unwrap();
    let summary = json(&out.join("summary.json"));
    for (e, end_use) in summary["end_uses"].as_array().unwrap().iter().enumerate() {
        let k = (e * 40..(e + 1) * 40).filter(|&i| late.get(i) == Some(true)).count();
        assert_eq!(end_use["p_short_or_late"]["k"].as_u64(), Some(k as u64), "{}", end_use["name"]);
    }
    // Delay columns are null for lost demand and filled for backlogged demand (f35).
    let delay = trials.column("max_delay_weeks").unwrap().f64().unwrap();
    assert!((0..40).all(|i| delay.get(i).is_none()) && (40..80).all(|i| delay.get(i).is_some()));
    assert_eq!(trials.height(), 40 * 2, "one row per trial and end use");
    let end_use = trials.column("end_use").unwrap().str().unwrap();
    assert_eq!(end_use.get(0), Some("ev_motors"));
    assert_eq!(end_use.get(40), Some("f35"));
    let trial = trials.column("trial").unwrap().u64().unwrap();
    assert_eq!((trial.get(0), trial.get(39), trial.get(40)), (Some(0), Some(39), Some(0)));
    let share = trials.column("share_met").unwrap().f64().unwrap();
    assert!(share.into_no_null_iter().all(|x| (0.0..=1.0).contains(&x)));

    let losses = read_parquet(&out.join("stage_losses.parquet"));
    assert_eq!(
        columns(&losses),
        expected(&[("trial", UInt64), ("stage", String), ("throughput_lost", Float64), ("throughput_wanted", Float64)])
    );
    assert_eq!(losses.height(), 40 * 3, "one row per trial and stage");

    let bands = read_parquet(&out.join("bands.parquet"));
    assert_eq!(
        columns(&bands),
        expected(&[
            ("end_use", String),
            ("period", UInt32),
            ("week", Float64),
            ("p5", Float64),
            ("p25", Float64),
            ("p50", Float64),
            ("p75", Float64),
            ("p95", Float64),
            ("mean", Float64),
        ])
    );
    assert_eq!(bands.height(), 2 * 104, "two end uses over two years of weeks");
    let backlog = read_parquet(&out.join("backlog_bands.parquet"));
    assert_eq!(
        columns(&backlog),
        expected(&[
            ("end_use", String),
            ("period", UInt32),
            ("week", Float64),
            ("p_backlog", Float64),
            ("p5", Float64),
            ("p25", Float64),
            ("p50", Float64),
            ("p75", Float64),
            ("p95", Float64),
            ("p99", Float64),
        ])
    );
    assert_eq!(backlog.height(), 104, "one backlogged end use over two years of weeks");

    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("entity,name,metric,unit,n,mean,sd,se,ci95_low,ci95_high,min,p5,p50,p95,p99,max,cvar95")
    );
    // ev_motors: 11 metrics; f35 (backlogged): 11 and 9 delay metrics; the run's loss; one per stage.
    assert_eq!(lines.count(), 11 + 20 + 1 + 3);

    assert_eq!(summary["scenario"]["name"], "small_chain");
    assert_eq!(summary["run"]["trials"], 40);
    assert_eq!(summary["run"]["seed"], 1);
    assert_eq!(summary["end_uses"].as_array().unwrap().len(), 2);
    assert_eq!(summary["stages"].as_array().unwrap().len(), 3);
    let ev = &summary["end_uses"][0];
    assert_eq!(ev["name"], "ev_motors");
    for key in ["mean", "se", "ci95_low", "ci95_high", "p5", "p50", "p95", "p99", "cvar95"] {
        assert!(ev["units_short"][key].is_number(), "units_short.{key}");
    }
    for key in ["p", "ci95_low", "ci95_high"] {
        assert!(ev["p_short_or_late"][key].is_number(), "p_short_or_late.{key}");
    }
    assert_eq!((ev["headline"]["measure"].as_str(), ev["delay"].is_null()), (Some("short"), true));
    let f35 = &summary["end_uses"][1];
    assert_eq!(f35["headline"]["measure"], "late");
    assert!(f35["delay"]["max_delay_weeks"]["p95"].is_number());
    assert!(summary["loss"]["per_trial"]["mean"].is_number());

    let run = json(&out.join("run.json"));
    let sha = Sha256::digest(std::fs::read(small_chain()).unwrap());
    let hex: std::string::String = sha.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(run["scenario"]["sha256"], hex.as_str());
    assert_eq!(summary["scenario"]["sha256"], hex.as_str());
    assert_eq!((run["seed"].as_u64(), run["trials"].as_u64(), run["threads"].as_u64()), (Some(1), Some(40), Some(2)));
    assert_eq!(run["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(run["rng"]["generator"], "Xoshiro256PlusPlus");
    assert!(run["wall_time_s"].as_f64().unwrap() > 0.0);
    assert!(run["started_at"].as_str().unwrap().ends_with('Z'));
    assert!(run["warnings"].is_array());

    let table = stdout(&o);
    assert!(table.contains("P(short)") && table.contains("ev_motors"), "{table}");
    assert!(table.contains("P(late)") && table.contains("f35"), "{table}");
    let widest = table.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest <= 100, "the report fits 100 columns, not {widest}:\n{table}");
    assert!(table.contains(&format!("Outputs in {}", out.display())), "{table}");
}

#[test]
fn json_format_prints_the_summary_document() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_small(dir.path(), "20", &["--format", "json", "-q"]);
    assert_exit(&o, 0);
    let printed: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout is JSON");
    assert_eq!(printed["scenario"]["name"], "small_chain");
    assert_eq!(o.stdout, std::fs::read(dir.path().join("summary.json")).unwrap());
}

#[test]
fn the_same_seed_gives_identical_outputs_on_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    assert_exit(&run_small(&one, "150", &["--threads", "1", "-q", "--seed", "7"]), 0);
    assert_exit(&run_small(&two, "150", &["--threads", "2", "-q", "--seed", "7"]), 0);
    for file in [
        "summary.json",
        "summary.csv",
        "trials.parquet",
        "stage_losses.parquet",
        "stockpiles.parquet",
        "bands.parquet",
        "backlog_bands.parquet",
        "graph.json",
        "report.html",
    ] {
        let (a, b) = (std::fs::read(one.join(file)).unwrap(), std::fs::read(two.join(file)).unwrap());
        assert!(a == b, "{file} differs between 1 and 2 threads");
    }
}

#[test]
fn a_different_seed_gives_different_results() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    assert_exit(&run_small(&a, "100", &["--seed", "1", "-q"]), 0);
    assert_exit(&run_small(&b, "100", &["--seed", "2", "-q"]), 0);
    let (sa, sb) = (json(&a.join("summary.json")), json(&b.join("summary.json")));
    assert_ne!(sa["end_uses"], sb["end_uses"]);
    assert_ne!(std::fs::read(a.join("trials.parquet")).unwrap(), std::fs::read(b.join("trials.parquet")).unwrap());
}

#[test]
fn an_unwritable_output_folder_is_a_clean_error_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a_file");
    std::fs::write(&file, "not a folder").unwrap();
    let o = run_small(&file.join("out"), "10", &["-q"]);
    assert_exit(&o, 1);
    let err = stderr(&o);
    assert!(err.starts_with("error: could not create output folder"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(o.stdout.is_empty());
    assert_eq!(entries(dir.path()), ["a_file"]);
}

#[test]
fn a_failed_write_leaves_no_partial_files() {
    let dir = tempfile::tempdir().unwrap();
    // A folder where a file must go makes the commit fail after every file was staged.
    std::fs::create_dir(dir.path().join("summary.csv")).unwrap();
    let o = run_small(dir.path(), "10", &["-q"]);
    assert_exit(&o, 1);
    assert!(stderr(&o).contains("summary.csv") && stderr(&o).contains("a folder is in the way"), "{}", stderr(&o));
    assert_eq!(entries(dir.path()), ["summary.csv"], "nothing else was left behind, not even the staging folder");
}

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_small(dir.path(), "200", &[]);
    assert_exit(&o, 0);
    let err = stderr(&o);
    assert!(!err.contains('\r') && !err.contains('\u{1b}') && !err.contains("trials ·"), "{err:?}");
}

#[test]
fn the_embedded_scenario_runs_when_none_is_given_into_out_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let o = chokepoint_in(dir.path(), &["run", "--trials", "8", "-q"]);
    assert_exit(&o, 0);
    let out = dir.path().join("out/rare_earths_2025");
    assert_eq!(entries(&out), FILES);
    let run = json(&out.join("run.json"));
    assert_eq!(run["scenario"]["origin"], "<embedded>/rare_earths_2025.toml");
    let embedded = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/rare_earths_2025.toml");
    let hex: std::string::String =
        Sha256::digest(std::fs::read(embedded).unwrap()).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(run["scenario"]["sha256"], hex.as_str());
}

#[test]
fn an_invalid_scenario_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two_problems.toml");
    std::fs::write(&path, super::TWO_PROBLEMS).unwrap();
    let out = dir.path().join("out");
    let o = chokepoint(&["run", arg(&path), "--trials", "5", "--out", arg(&out)]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("unknown-stage"), "{}", stderr(&o));
    assert!(!out.exists());
}

#[test]
fn warnings_are_printed_before_the_run_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(small_chain()).unwrap();
    let starved = text.replacen("capacity_t_per_year = 5000", "capacity_t_per_year = 10", 1);
    assert_ne!(text, starved, "the fixture sets the separation capacity");
    let path = dir.path().join("starved.toml");
    std::fs::write(&path, starved).unwrap();
    let out = dir.path().join("out");
    let o = chokepoint(&["run", arg(&path), "--trials", "5", "-q", "--out", arg(&out)]);
    assert_exit(&o, 0);
    assert!(stderr(&o).contains("capacity-below-baseline"), "{}", stderr(&o));
    for file in ["run.json", "summary.json"] {
        let warnings = json(&out.join(file))["warnings"].clone();
        assert_eq!(warnings[0]["code"], "capacity-below-baseline", "{file}: {warnings}");
    }
}

#[test]
fn run_with_a_mitigation_reports_the_world_with_it_applied() {
    let dir = tempfile::tempdir().unwrap();
    let scenario =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/valid/small_chain_mitigations.toml");
    let (without, with) = (dir.path().join("without"), dir.path().join("with"));
    let run = |out: &Path, extra: &[&str]| {
        let mut all = vec!["run", arg(&scenario), "--trials", "60", "-q", "--out", arg(out)];
        all.extend_from_slice(extra);
        chokepoint(&all)
    };
    assert_exit(&run(&without, &[]), 0);
    let o = run(&with, &["-m", "more_stock"]);
    assert_exit(&o, 0);
    let (a, b) = (json(&without.join("summary.json")), json(&with.join("summary.json")));
    assert_eq!(b["scenario"]["mitigations"], serde_json::json!(["more_stock"]));
    let short = |s: &serde_json::Value| s["end_uses"][0]["units_short"]["mean"].as_f64().unwrap();
    assert!(short(&b) < short(&a), "more stock, fewer units short: {} against {}", short(&b), short(&a));
    assert_eq!(json(&with.join("run.json"))["scenario"]["mitigations"][0], "more_stock");
    let html = std::fs::read_to_string(with.join("report.html")).unwrap();
    assert!(html.contains("Supply disruption report: small_chain_mitigations with more_stock"));
    let o = run(&dir.path().join("bad"), &["-m", "more_stok"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("did you mean `more_stock`"), "{}", stderr(&o));
}
