//! `chokepoint optimize`: the best portfolio of a scenario whose optimum is known by hand, the same answer from
//! the exhaustive and the heuristic search, the frontier, the files, and bad input answered before anything runs.

use std::path::{Path, PathBuf};

use super::{arg, assert_exit, chokepoint, entries, stderr, stdout};

fn optimize_chain() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/valid/optimize_chain.toml")
}

fn optimize(out: &Path, args: &[&str]) -> std::process::Output {
    let scenario = optimize_chain();
    let mut all = vec!["optimize", arg(&scenario), "--trials", "20", "-q", "--out", arg(out)];
    all.extend_from_slice(args);
    chokepoint(&all)
}

fn members(p: &serde_json::Value) -> Vec<&str> {
    p["members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect()
}

#[test]
fn the_best_portfolio_within_the_budget_is_the_one_known_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = optimize(&out, &["--budget", "9M", "--format", "json"]);
    assert_exit(&o, 0);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        entries(&out),
        ["optimize.json", "optimize_run.json", "portfolios.csv", "portfolios.parquet", "report.html"]
    );
    assert_eq!(doc["search"]["method"], "exhaustive");
    assert_eq!(doc["search"]["within_budget"], 8, "every subset of the four but those with big_reserve");
    assert_eq!(doc["search"]["evaluated"], 8);
    assert_eq!(members(&doc["best"]), ["reserve_a", "reserve_b"]);
    assert_eq!(doc["best"]["cost_usd"], 8e6);
    // 180 units short without a reserve, 60 with 12 weeks of cover, at $1 M each.
    assert_eq!(doc["baseline"]["mean"], 180e6);
    assert_eq!(doc["best"]["objective"]["mean"], 60e6);
    assert_eq!(doc["best"]["improvement"]["avoided_mean"], 120e6);
    assert_eq!(
        doc["confirmation"]["portfolio"]["objective"]["mean"], 60e6,
        "deterministic, so the same on fresh draws"
    );
    assert_ne!(doc["confirmation"]["seed"], doc["run"]["seed"]);
    let frontier: Vec<Vec<&str>> = doc["frontier"].as_array().unwrap().iter().map(members).collect();
    assert_eq!(frontier, [vec![], vec!["reserve_a"], vec!["reserve_a", "reserve_b"]]);
    let csv = std::fs::read_to_string(out.join("portfolios.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 8);
    assert!(csv.lines().next().unwrap().starts_with("members,n_members,cost_usd,objective_mean"), "{csv}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("reserve_a + reserve_b") && html.contains("Efficient frontier"));
    super::assert_made_by(&out.join("portfolios.parquet"), &doc, doc["run"]["seed"].as_u64().unwrap(), 20);
    // `check` gates CI on the optimiser's answer, read from optimize.json.
    let check = |condition: &str| chokepoint(&["check", arg(&out), "--fail-if", condition]);
    let o = check("best.objective.mean > 60000000");
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("best.objective.mean = 60000000"), "{}", stdout(&o));
    assert_exit(&check("best.cost_usd >= 8000000"), 4);
}

#[test]
fn the_heuristic_finds_what_the_exhaustive_search_finds() {
    let dir = tempfile::tempdir().unwrap();
    let mut best = Vec::new();
    for limit in ["64", "1"] {
        let out = dir.path().join(limit);
        let o = optimize(&out, &["--budget", "9M", "--exhaustive-limit", limit, "--format", "json"]);
        assert_exit(&o, 0);
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        best.push((
            doc["search"]["method"].clone(),
            members(&doc["best"]).join("+"),
            doc["best"]["objective"]["mean"].clone(),
        ));
    }
    assert_eq!(best[0].0, "exhaustive");
    assert_eq!(best[1].0, "heuristic");
    assert_eq!((&best[0].1, &best[0].2), (&best[1].1, &best[1].2));
}

#[test]
fn an_objective_of_one_end_use_and_a_larger_budget() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = optimize(&out, &["--budget", "$20M", "--objective", "units-short:plant"]);
    assert_exit(&o, 0);
    let table = stdout(&o);
    // 180 units to cover: big_reserve and one small reserve cover them all for $14 M, the cheapest way to 0.
    assert!(table.contains("Best within the budget: big_reserve + reserve_a · cost $14M"), "{table}");
    assert!(table.lines().all(|l| l.chars().count() <= 100), "{table}");
}

#[test]
fn bad_input_is_refused_with_the_fix_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for (args, message) in [
        (&["--budget", "-5"][..], "`-5` is not a budget"),
        (&["--budget", "a lot"], "is not a budget"),
        (&["--budget", "1M", "--objective", "short:plnt"], "did you mean `plant`"),
        (&["--budget", "1M", "--objective", "delay:plant"], "loses the demand it cannot meet"),
        (&["--budget", "1M", "--objective", "fastest"], "is not an objective"),
        (&["--budget", "1M", "-m", "reserve_c"], "unknown mitigation or package `reserve_c`"),
    ] {
        let o = optimize(&out, args);
        assert_exit(&o, 2);
        assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
        assert!(!out.exists(), "{args:?}: nothing is written");
    }
}
