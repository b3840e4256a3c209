//! Value stability across builds: these numbers are what the engine computes for a fixed scenario and seed
//! when built WITHOUT polars (`cargo test -p chokepoint-scenario`), and the binary's end-to-end test
//! (`tests/cli`, built with polars, which switches `num-traits/std` on) asserts the very same numbers from
//! `chokepoint run --format json`. `.ci/run` runs this crate's tests in a build of their own for that reason.
//! A change here is a value-breaking change: say so in CHANGELOG.md.

use chokepoint_engine::{RunConfig, report::summarize_run, run};

/// Mean units short per end use of `tests/data/valid/small_chain.toml`, seed 7, 500 trials, as f64 bits.
pub const GOLDEN_MEAN_UNITS_SHORT_BITS: [(&str, u64); 2] =
    [("ev_motors", 4683664886751935533), ("f35", 4580645824072587837)];

#[test]
fn the_small_chain_gives_the_golden_numbers() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/valid/small_chain.toml");
    let source = std::fs::read_to_string(path).expect("the fixture exists");
    let scenario = chokepoint_scenario::parse("tests/data/valid/small_chain.toml", &source).expect("it parses");
    let results =
        run(&scenario.model, &RunConfig { trials: 500, seed: 7, threads: 2, bands: false, first_trial: 0 }, &|_| {})
            .expect("the run starts");
    let summary = summarize_run(&scenario.model, &results);
    let got: Vec<(String, u64)> =
        summary.end_uses.iter().map(|e| (e.name.clone(), e.units_short.mean.to_bits())).collect();
    let want: Vec<(String, u64)> = GOLDEN_MEAN_UNITS_SHORT_BITS.iter().map(|(n, b)| ((*n).to_owned(), *b)).collect();
    assert_eq!(got, want, "means: {:?}", summary.end_uses.iter().map(|e| e.units_short.mean).collect::<Vec<_>>());
}
