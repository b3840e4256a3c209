//! The binary (built with polars, which switches `num-traits/std` on) computes exactly the numbers the engine
//! computes in a build without polars: the golden values of `crates/scenario/tests/golden.rs`.

use super::*;

/// Same as `GOLDEN_MEAN_UNITS_SHORT_BITS` in `crates/scenario/tests/golden.rs` (seed 7, 500 trials).
const GOLDEN: [(&str, u64); 2] = [("ev_motors", 4683664886751935533), ("f35", 4580645824072587837)];

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
    // serde_json's parsing of floats is not correctly rounded (it reads 129926.39009259707 one ulp high), so each
    // end use's mean is read from the text, in the order of the end uses, with `str::parse`, which is.
    let text = stdout(&o);
    let means = text.split("\"units_short\": {").skip(1).map(|rest| {
        let after = &rest[rest.find("\"mean\": ").expect("a mean") + "\"mean\": ".len()..];
        after[..after.find([',', '\n']).expect("the mean ends")].trim().parse::<f64>().expect("a number")
    });
    let names = summary["end_uses"].as_array().expect("end uses").iter().map(|e| e["name"].as_str().expect("a name"));
    let got: Vec<(String, u64)> = names.zip(means).map(|(name, mean)| (name.to_owned(), mean.to_bits())).collect();
    let want: Vec<(String, u64)> = GOLDEN.iter().map(|(n, b)| ((*n).to_owned(), *b)).collect();
    assert_eq!(got, want);
}
