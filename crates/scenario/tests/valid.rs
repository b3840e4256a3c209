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
