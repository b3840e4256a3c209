//! `chokepoint size-stockpile`: the size found meets the target and one step smaller does not; costs and
//! time to survive; the exit code when even the largest size misses.

use std::path::Path;

use super::{arg, assert_exit, chokepoint, small_chain, stderr};

/// small_chain (2 years) with a reserve of magnets for the F-35 line. The base is copied next to the overlay: a
/// base must lie in the scenario's folder.
fn f35_reserve(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("f35_reserve.toml");
    std::fs::copy(small_chain(), dir.join("small_chain.toml")).unwrap();
    std::fs::write(
        &path,
        format!(
            r#"[scenario]
name = "f35_reserve"
base = "{}"

[mitigations.f35_magnet_reserve]
kind = "stockpile"
material = "magnet"
serves = ["f35"]
initial_t = 10
release_to = ["defense"]
max_release_t_per_week = 2
cost = {{ one_off_usd = 1e6, per_year_usd = 1e5 }}
"#,
            "small_chain.toml"
        ),
    )
    .unwrap();
    path
}

fn size(scenario: &Path, out: &Path, target: &str, max: &str) -> std::process::Output {
    size_for(scenario, out, &["--max-shortfall-probability", target], max)
}

fn size_for(scenario: &Path, out: &Path, target: &[&str], max: &str) -> std::process::Output {
    size_end_use(scenario, out, "f35", target, max)
}

fn size_end_use(scenario: &Path, out: &Path, end_use: &str, target: &[&str], max: &str) -> std::process::Output {
    let mut args = vec!["size-stockpile", arg(scenario), "--stockpile", "f35_magnet_reserve", "--end-use", end_use];
    args.extend_from_slice(target);
    args.extend_from_slice(&["--max-size", max, "--step", "0.5", "--trials", "60", "--quiet", "--out", arg(out)]);
    args.extend_from_slice(&["--format", "json"]);
    chokepoint(&args)
}

fn f(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn the_size_found_meets_the_target_and_one_step_smaller_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = size(&f35_reserve(dir.path()), &out, "0.1", "60");
    assert_exit(&o, 0);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        doc,
        serde_json::from_slice::<serde_json::Value>(&std::fs::read(out.join("sizing.json")).unwrap()).unwrap()
    );
    let r = &doc["result"];
    assert_eq!(r["found"], true);
    let found = f(&r["size"]);
    assert!(found > 0.0, "small_chain's F-35 line is short without a reserve: {r}");
    assert!(f(&r["at"]["p_short_or_late"]["p"]) <= 0.1, "{r}");
    let smaller = &r["next_smaller"];
    assert!((f(&smaller["size"]) - (found - 0.5)).abs() < 1e-9, "{smaller}");
    assert!(f(&smaller["p_short_or_late"]["p"]) > 0.1, "one step smaller misses the target: {smaller}");
    assert_eq!(smaller["meets_target"], false);
    // Every size tried agrees with the bisection: sizes that meet the target are at least the one found.
    for e in doc["evaluations"].as_array().unwrap() {
        assert_eq!(e["meets_target"].as_bool().unwrap(), f(&e["size"]) >= found, "{e}");
    }
    assert_eq!(r["evaluations"].as_u64().unwrap() as usize, doc["evaluations"].as_array().unwrap().len());
    // The one-off cost scales with the size (the file's 10 t cost $1 M); the yearly one does not.
    let cost = &r["stockpile_cost"];
    assert!((f(&cost["one_off_usd"]) - 1e6 * found / 10.0).abs() < 1e-6, "{cost}");
    assert_eq!((f(&cost["per_year_usd"]), f(&cost["horizon_years"])), (1e5, 2.0));
    // Normal use: 150 aircraft a year x 0.4 t of magnet each, per week.
    let t = &r["time_to_survive"];
    let per_week = 150.0 * 0.4 / 52.0;
    assert!((f(&t["normal_use_per_week"]) - per_week).abs() < 1e-9, "{t}");
    assert!((f(&t["weeks_of_normal_use"]) - found / per_week).abs() < 1e-9, "{t}");
    assert_eq!(t["weeks_of_release_class_use"], t["weeks_of_normal_use"], "every F-35 is defense demand");
    assert_eq!(doc["question"]["unit"], "t");
    assert_eq!(doc["question"]["target"]["kind"], "short_or_late_probability");
}

#[test]
fn a_delay_target_sizes_on_a_quantile_of_the_longest_delay() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = size_for(&f35_reserve(dir.path()), &out, &["--max-delay-weeks", "1", "--delay-quantile", "0.9"], "60");
    assert_exit(&o, 0);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["question"]["target"]["kind"], "delay_quantile");
    let r = &doc["result"];
    let found = f(&r["size"]);
    assert!(found > 0.0, "{r}");
    assert!(f(&r["at"]["delay_quantile_weeks"]) <= 1.0, "{r}");
    let smaller = &r["next_smaller"];
    assert!(f(&smaller["delay_quantile_weeks"]) > 1.0, "one step smaller misses the target: {smaller}");
    for e in doc["evaluations"].as_array().unwrap() {
        assert_eq!(e["meets_target"].as_bool().unwrap(), f(&e["size"]) >= found, "monotone in the size: {e}");
    }
}

#[test]
fn a_delay_target_on_lost_demand_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = f35_reserve(dir.path());
    let o = chokepoint(&[
        "size-stockpile",
        arg(&scenario),
        "--stockpile",
        "f35_magnet_reserve",
        "--end-use",
        "ev_motors",
        "--max-delay-weeks",
        "4",
        "--out",
        arg(&dir.path().join("out")),
    ]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("loses the demand it cannot meet"), "{}", stderr(&o));
    assert!(!dir.path().join("out").exists(), "nothing is written");
}

#[test]
fn a_target_out_of_reach_for_a_class_the_stockpile_does_not_release_to_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = f35_reserve(dir.path());
    let o = size_end_use(&scenario, &dir.path().join("out"), "ev_motors", &["--max-shortfall-probability", "0"], "1");
    assert_exit(&o, 3);
    let message = stderr(&o);
    assert!(message.contains("releases only for defense demand") && !message.contains("raise"), "{message}");
}

#[test]
fn a_target_out_of_reach_exits_3_and_still_writes_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = size(&f35_reserve(dir.path()), &out, "0", "1");
    assert_exit(&o, 3);
    assert!(stderr(&o).contains("raise `--max-size`"), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("sizing.json")).unwrap()).unwrap();
    assert_eq!(doc["result"]["found"], false);
    assert!(doc["result"]["size"].is_null());
}

#[test]
fn a_mitigation_that_is_not_a_stockpile_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/valid/small_chain_mitigations.toml");
    let o = chokepoint(&[
        "size-stockpile",
        arg(&scenario),
        "--mitigation",
        "more_stock",
        "--end-use",
        "f35",
        "--max-shortfall-probability",
        "0.05",
        "--out",
        arg(&dir.path().join("out")),
    ]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("is not a mitigation of kind `stockpile`"), "{}", stderr(&o));
}
