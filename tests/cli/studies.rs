//! Which assumptions matter (issue 15): `--set` on every command that runs a scenario, `sweep`, `sensitivity`,
//! `run --worlds` and `compare --evppi`, their files, their determinism, and bad input refused before anything is
//! written.

use std::path::{Path, PathBuf};

use super::{
    arg, assert_exit, assert_made_by, chokepoint, chokepoint_with_input, entries, json, read_parquet, small_chain,
    stderr, stdout,
};

fn valid(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/valid").join(name)
}

/// Asserts that a report is well-formed XML.
fn well_formed(html: &str) {
    let options = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
    roxmltree::Document::parse_with_options(html, options).expect("report.html is well-formed XML");
}

const KNOWLEDGE: &str = "uncertainty.knowledge=[\"stages.*.inventory_weeks.initial\", \
                         \"disruptions.*.denial_probability.*\", \"disruptions.cn_licensing.duration_weeks\"]";

#[test]
fn a_setting_changes_the_run_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small_chain();
    let run = |out: &str, set: &[&str]| {
        let mut args = vec!["run", arg(&scenario), "--trials", "40", "-q", "--out", out];
        for s in set {
            args.extend(["--set", s]);
        }
        chokepoint(&args)
    };
    let plain = dir.path().join("plain");
    let longer = dir.path().join("longer");
    assert_exit(&run(arg(&plain), &[]), 0);
    assert_exit(&run(arg(&longer), &["disruptions.cn_licensing.duration_weeks=104", "horizon.years=2"]), 0);
    let (a, b) = (json(&plain.join("summary.json")), json(&longer.join("summary.json")));
    assert_eq!(a["scenario"]["settings"], serde_json::json!([]));
    assert_eq!(
        b["scenario"]["settings"],
        serde_json::json!(["disruptions.cn_licensing.duration_weeks=104", "horizon.years=2"])
    );
    assert_eq!(json(&longer.join("run.json"))["scenario"]["settings"], b["scenario"]["settings"]);
    let loss = |d: &serde_json::Value| d["loss"]["per_trial"]["mean"].as_f64().unwrap();
    assert!(loss(&b) > loss(&a), "a licensing regime to the end of the horizon costs more");
}

#[test]
fn a_bad_setting_is_refused_on_every_command_at_its_own_text() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small_chain();
    let s = arg(&scenario);
    let out = dir.path().join("out");
    let o = arg(&out);
    let bad = "stages.cn_mine.capacity_t_per_year=5";
    let commands: Vec<Vec<&str>> = vec![
        vec!["run", s, "--trials", "5", "--out", o],
        vec!["compare", s, "-m", "x", "--trials", "5", "--out", o],
        vec!["size-stockpile", s, "--stockpile", "x", "--end-use", "f35", "--max-shortfall-probability", "0.1"],
        vec!["optimize", s, "--budget", "1M", "--out", o],
        vec!["batch", s, "--out", o],
        vec!["trace", s, "--trials", "2", "--out", o],
        vec!["sweep", s, "--vary", "horizon.years=1,2", "--out", o],
        vec!["sensitivity", s, "--out", o],
    ];
    for mut args in commands {
        args.extend(["--set", bad]);
        let result = chokepoint(&args);
        assert_exit(&result, 2);
        let err = stderr(&result);
        assert!(err.contains("error[unknown-key]") && err.contains("--> --set[1]:1:8"), "{args:?}: {err}");
        assert!(err.contains("did you mean `stages.cn_mines`?"), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} wrote {:?}", entries(&out));
    }
}

#[test]
fn a_sweep_runs_every_point_on_the_same_draws() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let scenario = small_chain();
    let o = chokepoint(&[
        "sweep",
        arg(&scenario),
        "--vary",
        "disruptions.cn_licensing.duration_weeks=8,52",
        "--vary",
        "end_uses.ev_motors.inventory_weeks.initial=2,6",
        "--trials",
        "60",
        "--out",
        arg(&out),
    ]);
    assert_exit(&o, 0);
    assert!(stderr(&o).contains("sweep: 4 points × 60 trials = 240 trials"), "{}", stderr(&o));
    assert_eq!(entries(&out), ["report.html", "sweep.csv", "sweep.json", "sweep.parquet", "sweep_run.json"]);
    let doc = json(&out.join("sweep.json"));
    let points = doc["points"].as_array().unwrap();
    let values: Vec<Vec<f64>> =
        points.iter().map(|p| p["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()).collect();
    assert_eq!(values, [vec![8.0, 2.0], vec![8.0, 6.0], vec![52.0, 2.0], vec![52.0, 6.0]]);
    // The first point's change from itself is exactly zero; a longer regime loses more.
    assert_eq!(points[0]["loss_change"]["mean"], 0.0);
    assert!(points[2]["loss_change"]["mean"].as_f64().unwrap() > 0.0);
    // Every point, end use and metric: 4 x (1 loss + 2 end uses x 3 metrics).
    assert_eq!(read_parquet(&out.join("sweep.parquet")).height(), 4 * 7);
    let table = stdout(&o);
    assert!(table.lines().all(|l| l.chars().count() <= 100), "{table}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    well_formed(&html);
    assert_eq!(html.matches("<svg").count(), doc["metrics"].as_array().unwrap().len());
    assert_made_by(&out.join("sweep.parquet"), &doc, doc["run"]["seed"].as_u64().unwrap(), 60);
    // `check` reads sweep.json; its points have no name and are named by their index.
    let check = |condition: &str| chokepoint(&["check", arg(&out), "--fail-if", condition]);
    assert_exit(&check("points.0.loss_change.mean != 0"), 0);
    let o = check("points.2.loss_change.mean > 0");
    assert_exit(&o, 4);
    assert!(stdout(&o).starts_with("crossed  points.2.loss_change.mean > 0"), "{}", stdout(&o));
    // A set without its record (`sweep_run.json`, written last) is an interrupted command's: refused, naming it.
    std::fs::remove_file(out.join("sweep_run.json")).unwrap();
    let o = check("points.0.loss.mean > 0");
    assert_exit(&o, 1);
    assert!(stderr(&o).contains("no `sweep_run.json`") && stderr(&o).contains("did not finish"), "{}", stderr(&o));
}

#[test]
fn a_sweep_refuses_words_and_keys_that_hold_no_number() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let scenario = small_chain();
    let words = chokepoint(&["sweep", arg(&scenario), "--vary", "horizon.period=week,month", "--out", arg(&out)]);
    assert_exit(&words, 2);
    assert!(stderr(&words).contains("`week` is not a number"), "{}", stderr(&words));
    assert!(stderr(&words).contains("--set horizon.period=VALUE"), "{}", stderr(&words));
    let region = chokepoint(&["sweep", arg(&scenario), "--vary", "stages.cn_mines.region=1,2", "--out", arg(&out)]);
    assert_exit(&region, 2);
    let err = stderr(&region);
    assert!(err.contains("`stages.cn_mines.region` does not hold a number") && err.contains("--set"), "{err}");
    let zip = chokepoint(&[
        "sweep",
        arg(&scenario),
        "--vary",
        "horizon.years=1,2",
        "--vary",
        "disruptions.cn_licensing.duration_weeks=8,26,52",
        "--zip",
        "--out",
        arg(&out),
    ]);
    assert_exit(&zip, 2);
    assert!(stderr(&zip).contains("`--zip` pairs"), "{}", stderr(&zip));
    let twice = chokepoint(&[
        "sweep",
        arg(&scenario),
        "--vary",
        "horizon.years=1,2",
        "--vary",
        "horizon.years=3",
        "--out",
        arg(&out),
    ]);
    assert_exit(&twice, 2);
    assert!(stderr(&twice).contains("`--vary horizon.years` is given twice"), "{}", stderr(&twice));
    assert!(!out.exists());
}

#[test]
fn a_sweep_reads_standard_input_once_for_every_point() {
    let dir = tempfile::tempdir().unwrap();
    let (from_file, from_stdin) = (dir.path().join("file"), dir.path().join("stdin"));
    let scenario = small_chain();
    let sweep = |source: &str, out: &Path, input: &[u8]| {
        let args = ["sweep", source, "--vary", "disruptions.cn_licensing.duration_weeks=8,52", "-n", "40", "-q"];
        let o = chokepoint_with_input(&[&args[..], &["-o", arg(out)]].concat(), input);
        assert_exit(&o, 0);
    };
    sweep(arg(&scenario), &from_file, b"");
    sweep("-", &from_stdin, &std::fs::read(&scenario).unwrap());
    let points = |out: &Path| json(&out.join("sweep.json"))["points"].clone();
    assert_eq!(points(&from_file), points(&from_stdin));
    assert_eq!(points(&from_stdin).as_array().unwrap().len(), 2);
}

#[test]
fn a_tornado_of_the_closed_form_and_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sens");
    let scenario = valid("linear_shortfall.toml");
    let o = chokepoint(&[
        "sensitivity",
        arg(&scenario),
        "--metric",
        "units-short:motors",
        "--method",
        "both",
        "--trials",
        "30",
        "--samples",
        "64",
        "--out",
        arg(&out),
        "--format",
        "json",
    ]);
    assert_exit(&o, 0);
    assert!(stderr(&o).contains("× 30 trials = 150"), "{}", stderr(&o));
    assert_eq!(
        entries(&out),
        [
            "report.html",
            "sensitivity.json",
            "sensitivity_run.json",
            "sobol.csv",
            "sobol.parquet",
            "tornado.csv",
            "tornado.parquet"
        ]
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let bars = doc["tornado"]["bars"].as_array().unwrap();
    assert_eq!(bars[0]["key"], "end_uses.motors.demand_units_per_year");
    assert!((bars[0]["swing"]["mean"].as_f64().unwrap() - 800.0).abs() < 1e-6);
    assert_eq!(bars[1]["key"], "stages.maker.capacity_t_per_year");
    assert!((bars[1]["swing"]["mean"].as_f64().unwrap() + 400.0).abs() < 1e-6);
    assert_eq!(doc["sobol"]["evaluations"], 64 * 5);
    assert_eq!(doc["sobol"]["events"]["total"]["value"], 0.0, "nothing else is random");
    assert_eq!(read_parquet(&out.join("sobol.parquet")).height(), 3, "two parameters and the events");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    well_formed(&html);
    assert!(html.contains("Shares of the variance") && html.contains("One assumption at a time"));
    for file in ["tornado.parquet", "sobol.parquet"] {
        assert_made_by(&out.join(file), &doc, doc["run"]["seed"].as_u64().unwrap(), 30);
    }
    // `check` reads sensitivity.json.
    let o = chokepoint(&["check", arg(&out), "--fail-if", "tornado.bars.0.swing.mean > 799"]);
    assert_exit(&o, 4);
    assert!(stdout(&o).starts_with("crossed  tornado.bars.0.swing.mean > 799"), "{}", stdout(&o));
}

#[test]
fn sensitivity_is_the_same_at_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small_chain();
    let mut docs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(threads);
        let o = chokepoint(&[
            "sensitivity",
            arg(&scenario),
            "--method",
            "both",
            "--trials",
            "20",
            "--samples",
            "16",
            "--threads",
            threads,
            "-q",
            "--out",
            arg(&out),
        ]);
        assert_exit(&o, 0);
        docs.push(std::fs::read(out.join("sensitivity.json")).unwrap());
    }
    assert_eq!(docs[0], docs[1]);
    // A disruption's parameters are measured from their median run (their draws share its stream), others from
    // the base run.
    let doc: serde_json::Value = serde_json::from_slice(&docs[0]).unwrap();
    for bar in doc["tornado"]["bars"].as_array().unwrap() {
        let of_disruption = bar["key"].as_str().unwrap().starts_with("disruptions.");
        assert_eq!(bar["reference_value"].is_number(), of_disruption, "{bar}");
    }
}

#[test]
fn sensitivity_lists_parameters_and_refuses_a_scenario_without_any() {
    let listed = chokepoint(&["sensitivity", arg(&small_chain()), "--list"]);
    assert_exit(&listed, 0);
    let text = stdout(&listed);
    assert!(text.contains("disruptions.cn_licensing.review_weeks") && text.contains("per event"), "{text}");
    assert!(!text.contains("links[2].lead_time_days"), "constants are not listed: {text}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sens");
    let fixed = chokepoint(&["sensitivity", arg(&valid("optimize_chain.toml")), "--out", arg(&out)]);
    assert_exit(&fixed, 2);
    assert!(stderr(&fixed).contains("has no uncertain parameter"), "{}", stderr(&fixed));
    let unknown = chokepoint(&["sensitivity", arg(&small_chain()), "--param", "stages.*.capacity", "--out", arg(&out)]);
    assert_exit(&unknown, 2);
    assert!(stderr(&unknown).contains("matches no uncertain parameter"), "{}", stderr(&unknown));
    assert!(!out.exists());
}

#[test]
fn worlds_give_each_headline_metric_across_what_we_do_not_know() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let scenario = small_chain();
    let o = chokepoint(&[
        "run",
        arg(&scenario),
        "--trials",
        "40",
        "--worlds",
        "12",
        "--world-trials",
        "30",
        "--set",
        KNOWLEDGE,
        "--out",
        arg(&out),
    ]);
    assert_exit(&o, 0);
    assert!(stderr(&o).contains("12 worlds × 30 trials = 360"), "{}", stderr(&o));
    let summary = json(&out.join("summary.json"));
    let w = &summary["worlds"];
    assert_eq!((w["worlds"].as_u64(), w["trials_per_world"].as_u64()), (Some(12), Some(30)));
    assert_eq!(w["knowledge"].as_array().unwrap().len(), 3);
    assert_eq!(w["knowledge_in_words"], "stocks, denial rates and disruption lengths");
    let ev = &w["end_uses"][0]["short_or_late"];
    let (p10, median, p90) = (ev["p10"].as_f64().unwrap(), ev["median"].as_f64().unwrap(), ev["p90"].as_f64().unwrap());
    assert!(p10 <= median && median <= p90);
    // 12 worlds x (3 knowledge values + 1 loss + 2 end uses x 3 metrics).
    assert_eq!(read_parquet(&out.join("worlds.parquet")).height(), 12 * 10);
    assert_made_by(&out.join("worlds.parquet"), &summary, summary["run"]["seed"].as_u64().unwrap(), 30);
    assert!(stdout(&o).contains("Across 12 worlds of what we do not know"), "{}", stdout(&o));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("across what we do not know about stocks, denial rates and disruption lengths"));
    // `report` rebuilds the page with the section, byte for byte.
    let rebuilt = dir.path().join("again.html");
    std::fs::copy(out.join("report.html"), &rebuilt).unwrap();
    assert_exit(&chokepoint(&["report", arg(&out)]), 0);
    assert_eq!(std::fs::read(out.join("report.html")).unwrap(), std::fs::read(&rebuilt).unwrap());
}

#[test]
fn worlds_need_a_world_and_knowledge_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let scenario = small_chain();
    let zero = chokepoint(&["run", arg(&scenario), "--worlds", "0", "--out", arg(&out)]);
    assert_exit(&zero, 2);
    assert!(stderr(&zero).contains("at least one world"), "{}", stderr(&zero));
    let none = chokepoint(&["run", arg(&scenario), "--trials", "5", "--worlds", "3", "--out", arg(&out)]);
    assert_exit(&none, 2);
    assert!(stderr(&none).contains("[uncertainty] knowledge"), "{}", stderr(&none));
    let in_file = chokepoint(&["run", arg(&scenario), "--set", "uncertainty.worlds=0", "--out", arg(&out)]);
    assert_exit(&in_file, 2);
    assert!(stderr(&in_file).contains("`uncertainty.worlds` is 0"), "{}", stderr(&in_file));
    assert!(!out.exists());
}

#[test]
fn compare_values_information_about_each_knowledge_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = valid("small_chain_mitigations.toml");
    let knowledge = "uncertainty.knowledge=[\"disruptions.*.denial_probability.*\", \
                     \"mitigations.au_separation.stages.*.online_week\"]";
    let mut docs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(threads);
        let o = chokepoint(&[
            "compare",
            arg(&scenario),
            "-m",
            "au_separation",
            "-m",
            "dy_reserve",
            "--trials",
            "30",
            "--evppi",
            "--evppi-samples",
            "4",
            "--evppi-trials",
            "20",
            "--threads",
            threads,
            "--set",
            knowledge,
            "--out",
            arg(&out),
        ]);
        assert_exit(&o, 0);
        assert!(stdout(&o).contains("Value of information"), "{}", stdout(&o));
        docs.push(json(&out.join("compare.json"))["value_of_information"].clone());
    }
    assert_eq!(docs[0], docs[1], "the same at one and two threads");
    let v = &docs[0];
    assert_eq!(v["options"].as_array().unwrap().len(), 3, "nothing and the two options");
    let keys: Vec<&str> = v["parameters"].as_array().unwrap().iter().map(|p| p["key"].as_str().unwrap()).collect();
    assert!(keys.contains(&"mitigations.au_separation.stages.au_heavy_separation.online_week"), "{keys:?}");
    for p in v["parameters"].as_array().unwrap() {
        assert!(p["evppi"].as_f64().unwrap() >= 0.0, "{p}");
        assert_eq!(p["outer_values"].as_array().unwrap().len(), 4);
    }
    let none = chokepoint(&["compare", arg(&scenario), "-m", "dy_reserve", "--evppi", "--trials", "5"]);
    assert_exit(&none, 2);
    assert!(stderr(&none).contains("--evppi-param KEY"), "{}", stderr(&none));
}

#[test]
fn optimize_values_information_for_the_choice_among_its_frontier() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("opt");
    let scenario = valid("small_chain_mitigations.toml");
    let o = chokepoint(&[
        "optimize",
        arg(&scenario),
        "--budget",
        "10M",
        "-m",
        "dy_reserve",
        "-m",
        "more_stock",
        "--trials",
        "20",
        "--evppi-param",
        "disruptions.cn_licensing.duration_weeks",
        "--evppi-samples",
        "3",
        "--evppi-trials",
        "10",
        "--out",
        arg(&out),
    ]);
    assert_exit(&o, 0);
    assert!(stderr(&o).contains("optimize: value of information"), "{}", stderr(&o));
    let doc = json(&out.join("optimize.json"));
    let v = &doc["value_of_information"];
    let frontier = doc["frontier"].as_array().unwrap().len();
    assert_eq!(v["options"].as_array().unwrap().len(), frontier.min(6));
    assert_eq!(v["parameters"][0]["key"], "disruptions.cn_licensing.duration_weeks");
    assert_eq!(v["net_of_cost"], false);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Which unknown is worth researching before choosing"));
}

#[test]
fn a_tornado_refuses_a_quantile_an_unbounded_distribution_does_not_reach() {
    // The licence reviews are lognormal: no finite 0 or 1 quantile. Refused before any trial runs.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sens");
    let o = chokepoint(&[
        "sensitivity",
        "--param",
        "disruptions.cn_licensing_regime.review_weeks",
        "--quantiles",
        "0,1",
        "-n",
        "5",
        "-q",
        "--out",
        arg(&out),
    ]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("quantile of `disruptions.cn_licensing_regime.review_weeks`"), "{}", stderr(&o));
    assert!(!out.exists());
}
