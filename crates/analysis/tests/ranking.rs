//! The overall ranking of mitigation options, on the shipped scenario of mitigations: the ranking of version
//! 0.1.0 (end uses improved minus end uses worsened) put a $2.8 M Dy/Tb reserve that avoids almost nothing above
//! a $322 M magnet buffer that avoids a quarter of the shortfall; ranked by the loss avoided over every end use,
//! the buffer comes first.

use std::fs;
use std::path::{Path, PathBuf};

use chokepoint_analysis::comparison::{Comparison, OptionSpec};
use chokepoint_analysis::loss::LossWeights;
use chokepoint_analysis::outcome::VariantOutcome;
use chokepoint_analysis::paired::{Detected, PairedDifference, ProportionChange};
use chokepoint_analysis::variants::VariantRunner;
use chokepoint_engine::RunConfig;
use chokepoint_scenario::Scenario;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn load(origin: &str) -> Scenario {
    let text = fs::read_to_string(repo_root().join(origin)).expect("the scenario exists");
    let mut resolve = |from: &str, path: &str| -> Result<(String, Vec<u8>), String> {
        let folder = Path::new(from).parent().unwrap_or(Path::new(""));
        let origin = folder.join(path).to_string_lossy().into_owned();
        fs::read(repo_root().join(&origin)).map(|t| (origin, t)).map_err(|e| e.to_string())
    };
    chokepoint_scenario::parse_with(origin, &text, &mut resolve).unwrap_or_else(|d| panic!("{}", d.render()))
}

/// The overall ranking of version 0.1.0: per end use, better or worse at 95 % by units short, or by P(any
/// shortfall) where units short cannot tell; options by improved minus worsened, then by the mean share of the
/// baseline's shortfall avoided, then by cost.
fn old_order(specs: &[OptionSpec], years: f64, baseline: &VariantOutcome, options: &[VariantOutcome]) -> Vec<String> {
    let mut keyed: Vec<(i64, f64, f64, String)> = options
        .iter()
        .zip(specs)
        .map(|(o, s)| {
            let (mut net, mut shares) = (0i64, Vec::new());
            for (b, x) in baseline.end_uses.iter().zip(&o.end_uses) {
                let units = PairedDifference::new(&b.units_short, &x.units_short);
                let effect = match units.detected() {
                    Detected::None => ProportionChange::new(&b.short_or_late, &x.short_or_late).detected(),
                    d => d,
                };
                net += match effect {
                    Detected::Better => 1,
                    Detected::Worse => -1,
                    Detected::None => 0,
                };
                if units.baseline_mean > 1e-9 {
                    shares.push(units.mean_avoided() / units.baseline_mean);
                }
            }
            let share = shares.iter().sum::<f64>() / shares.len().max(1) as f64;
            (net, share, s.cost.total_usd(years), s.name.clone())
        })
        .collect();
    keyed.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)).then(a.2.total_cmp(&b.2)));
    keyed.into_iter().map(|k| k.3).collect()
}

#[test]
fn the_loss_measure_ranks_the_buffer_above_the_small_reserve_where_counting_end_uses_did_not() {
    let scenario = load("scenarios/mitigations_2025.toml");
    let names = ["us_dy_tb_stockpile", "auto_magnet_buffer"];
    let specs: Vec<OptionSpec> = names.iter().map(|n| OptionSpec::of(&scenario, n).expect("shipped")).collect();
    let config = RunConfig { trials: 1_000, seed: 1, threads: 2, bands: false, first_trial: 0 };
    let mut runner = VariantRunner::new(config, &|_| {});
    let weights = LossWeights::of(&scenario);
    let baseline = VariantOutcome::of(&runner.run(&scenario.model).unwrap(), &weights);
    let options: Vec<VariantOutcome> = names
        .iter()
        .map(|n| VariantOutcome::of(&runner.run(&scenario.variant(&[n]).unwrap()).unwrap(), &weights))
        .collect();

    let years = scenario.horizon_years();
    assert_eq!(old_order(&specs, years, &baseline, &options), ["us_dy_tb_stockpile", "auto_magnet_buffer"], "0.1.0");

    let c = Comparison::new(&scenario, &specs, &baseline, &options);
    let (reserve, buffer) = (&c.options[0], &c.options[1]);
    assert!(buffer.rank < reserve.rank, "by loss avoided: buffer {} against reserve {}", buffer.rank, reserve.rank);
    assert_eq!(buffer.effect, Detected::Better);
    assert!(buffer.loss.avoided.mean > 100.0 * reserve.loss.avoided.mean.abs());
    // Value for money is given only with a detectable benefit, and then it is a ratio of loss to dollars.
    if let Some(v) = &buffer.loss_avoided_per_usd {
        assert!((v.point - buffer.loss.avoided.mean / buffer.cost_usd).abs() <= 1e-12 * v.point.abs());
    }
    if reserve.effect != Detected::Better {
        assert!(reserve.loss_avoided_per_usd.is_none() && reserve.rank_by_value.is_none());
    }
}
