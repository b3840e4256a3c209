//! The binary (built with polars, which switches `num-traits/std` on) computes exactly the numbers the engine
//! computes in a build without polars: the golden values of `crates/scenario/tests/golden.rs`.

use super::*;

/// Same as `GOLDEN_MEAN_UNITS_SHORT_BITS` in `crates/scenario/tests/golden.rs` (seed 7, 500 trials).
const GOLDEN: [(&str, u64); 2] = [("ev_motors", 4683683792828714377), ("f35", 4577805091999938183)];

#[test]
fn the_binary_reproduces_the_engines_golden_numbers() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("out");
    let o = chokepoint(&[
        "run",
        arg(&small_chain()),
        "--trials",
        "500",
        "--seed",
        "7",
        "--quiet",
        "--format",
        "json",
        "--out",
        arg(&out),
    ]);
    assert_exit(&o, 0);
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout is JSON");
    let got: Vec<(String, u64)> = summary["end_uses"]
        .as_array()
        .expect("end uses")
        .iter()
        .map(|e| {
            let mean = e["units_short"]["mean"].as_f64().expect("a mean");
            (e["name"].as_str().expect("a name").to_owned(), mean.to_bits())
        })
        .collect();
    let want: Vec<(String, u64)> = GOLDEN.iter().map(|(n, b)| ((*n).to_owned(), *b)).collect();
    assert_eq!(got, want);
}
