//! A small complete scenario parses, lowers and runs.

use std::path::PathBuf;

use chokepoint_engine::{Node, RunConfig, Timing, run};

fn small_chain() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/valid/small_chain.toml");
    std::fs::read_to_string(path).expect("the fixture exists")
}

#[test]
fn small_chain_parses_lowers_and_runs() {
    let source = small_chain();
    let scenario = match chokepoint_scenario::parse("tests/data/valid/small_chain.toml", &source) {
        Ok(s) => s,
        Err(d) => panic!("{}", d.render()),
    };
    assert_eq!(scenario.name, "small_chain");
    assert!(scenario.warnings.is_empty(), "{:?}", scenario.warnings);
    let spec = scenario.model.spec();
    assert_eq!(spec.periods, 104);
    assert_eq!((spec.materials.len(), spec.stages.len(), spec.links.len()), (5, 3, 6));
    assert_eq!((spec.end_uses.len(), spec.disruptions.len()), (2, 5));
    // Stages and links keep file order; `to` resolves to stages and end uses.
    assert_eq!(spec.stages[1].name, "cn_separation");
    assert_eq!(spec.stages[1].outputs.len(), 3);
    assert_eq!(spec.links[0].to, Node::Stage(1));
    assert_eq!(spec.links[5].to, Node::EndUse(1));
    // The embargo follows the licensing regime.
    assert!(matches!(spec.disruptions[1].timing, Timing::Follows { disruption: 0, .. }));
    assert!(matches!(spec.disruptions[3].timing, Timing::TwoState { .. }));

    let config = RunConfig { trials: 40, seed: 7, threads: 1, bands: true, first_trial: 0 };
    let results = run(&scenario.model, &config, &|_| {}).expect("the run starts");
    assert_eq!(results.trials, 40);
    assert_eq!(results.n_end_uses, 2);
}

#[test]
fn a_stages_lost_share_stays_within_what_it_wanted() {
    // The default scenario: demand grows, stages restock above their normal rate after a disruption, and some
    // plants are short of their nameplate at the start, so the throughput a stage loses can exceed its normal
    // throughput over the horizon (version 0.1.0 reported 101.6 % for uk_lcm_sm_metal). The loss is a part of
    // the throughput the stage wanted and could have made at nameplate, in every trial, and so on average.
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/rare_earths_2025.toml");
    let source = std::fs::read_to_string(path).expect("the default scenario exists");
    let scenario = chokepoint_scenario::parse("scenarios/rare_earths_2025.toml", &source)
        .unwrap_or_else(|d| panic!("{}", d.render()));
    let config = RunConfig { trials: 200, seed: 1, threads: 2, bands: false, first_trial: 0 };
    let results = run(&scenario.model, &config, &|_| {}).expect("the run starts");
    for s in 0..results.n_stages {
        for (lost, wanted) in results.stage_lost(s).zip(results.stage_wanted(s)) {
            assert!(lost >= 0.0 && lost <= wanted * (1.0 + 1e-12), "stage {s}: lost {lost} of {wanted}");
        }
    }
    let summary = chokepoint_engine::report::summarize_run(&scenario.model, &results);
    for s in &summary.stages {
        assert!(s.throughput_lost.mean <= s.wanted_throughput * (1.0 + 1e-12), "{}: {s:?}", s.name);
    }
}
