//! Added supply must not hurt (issue 12): on common random numbers, every shipped mitigation that adds capacity
//! (kinds `alternate_supply` and `recycling`) leaves every end use no worse than the baseline beyond the paired
//! noise. Version 0.1.0 failed this for `magnet_recycling_growth`: buyers diverted orders to a recycler that starts
//! empty and ramps from zero, which lowered their claim on the suppliers that could ship.

mod common;
use common::load;

use chokepoint_analysis::loss::LossWeights;
use chokepoint_analysis::outcome::VariantOutcome;
use chokepoint_analysis::paired::{PairedDifference, noise};
use chokepoint_analysis::variants::VariantRunner;
use chokepoint_engine::RunConfig;
use chokepoint_scenario::MitigationKind;

/// How many standard errors below 0 a paired difference must lie to count as worse. The test makes about 300
/// comparisons (12 mitigations, up to 14 end uses, two metrics), so a per-comparison 95 % interval would flag
/// several by chance; 4 standard errors is a family-wise level of about 2 % (Bonferroni: 300 x 6.3e-5).
const Z: f64 = 4.0;

/// The shipped scenario files that offer capacity-adding mitigations.
const SCENARIOS: [&str; 2] = ["scenarios/mitigations_2025.toml", "scenarios/quota_2010_response.toml"];

#[test]
fn added_capacity_never_makes_an_end_use_worse_beyond_the_paired_noise() {
    let config = RunConfig { trials: 400, seed: 7, threads: 2, bands: false, first_trial: 0 };
    let mut worse = Vec::new();
    let mut checked = 0;
    for origin in SCENARIOS {
        let scenario = load(origin);
        let weights = LossWeights::of(&scenario);
        let mut runner = VariantRunner::new(config, &|_| {});
        let baseline = VariantOutcome::of(&runner.run(&scenario.model).unwrap(), &weights);
        for m in scenario
            .mitigations
            .iter()
            .filter(|m| matches!(m.kind, MitigationKind::AlternateSupply | MitigationKind::Recycling))
        {
            let model = scenario.variant(&[m.name.as_str()]).unwrap();
            let option = VariantOutcome::of(&runner.run(&model).unwrap(), &weights);
            checked += 1;
            for (e, (b, o)) in baseline.end_uses.iter().zip(&option.end_uses).enumerate() {
                // Units short and unit-weeks late, each paired trial by trial: worse means the amount avoided lies
                // below 0 by more than Z standard errors of the paired difference.
                for (metric, before, after) in [
                    ("units short", &b.units_short, &o.units_short),
                    ("unit-weeks late", &b.backlog_unit_weeks, &o.backlog_unit_weeks),
                ] {
                    let d = PairedDifference::new(before, after);
                    if d.avoided.mean + Z * d.avoided.se < -noise(d.baseline_mean) {
                        let name = scenario.model.spec().end_uses[e].name.clone();
                        let (mean, high) = (d.avoided.mean, d.avoided.ci95_high);
                        worse.push(format!(
                            "{origin} {}: {name} {metric} avoided {mean:.4} (CI high {high:.4})",
                            m.name
                        ));
                    }
                }
            }
        }
    }
    assert!(checked >= 10, "only {checked} capacity-adding mitigations found");
    assert!(worse.is_empty(), "added capacity made end uses worse:\n{}", worse.join("\n"));
}
