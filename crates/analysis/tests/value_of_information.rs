//! Planning the value of information (`compare --evppi`, `optimize --evppi`, and the Python package's `evppi`): the
//! choice of a comparison, the parameters a plan values, what it refuses, and the trials it costs.

mod common;
use common::load;

use chokepoint_analysis::comparison::OptionSpec;
use chokepoint_analysis::evppi::{Choice, EvppiPlan, PlanError};
use chokepoint_scenario::{LossUnit, key_matches};

#[test]
fn a_comparison_chooses_between_nothing_and_each_option_net_of_its_cost_when_the_loss_is_in_dollars() {
    let s = load("scenarios/mitigations_2025.toml");
    let specs: Vec<OptionSpec> =
        ["us_dy_stockpile", "lynas_hre_expansion"].iter().map(|n| OptionSpec::of(&s, n).expect("shipped")).collect();
    let (choices, net_of_cost) = Choice::of_comparison(&s, &specs);
    assert_eq!(net_of_cost, s.loss.unit == LossUnit::Usd);
    assert!(net_of_cost, "the shipped mitigations scenario measures its loss in US dollars");
    let names: Vec<&str> = choices.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["nothing", "us_dy_stockpile", "lynas_hre_expansion"]);
    assert!(choices[0].mitigations.is_empty() && choices[0].added == 0.0);
    for (c, spec) in choices[1..].iter().zip(&specs) {
        assert_eq!(c.mitigations, std::slice::from_ref(&spec.name));
        assert_eq!(c.added, spec.cost.total_usd(s.horizon_years()));
        assert!(c.added > 0.0, "{} has a cost", c.name);
    }
}

#[test]
fn a_plan_values_the_scenarios_knowledge_parameters_when_none_are_named() {
    let s = load("scenarios/mitigations_2025.toml");
    let specs = [OptionSpec::of(&s, "us_dy_stockpile").expect("shipped")];
    let (choices, _) = Choice::of_comparison(&s, &specs);
    let plan = EvppiPlan::new(&s, &choices, &[]).expect("the scenario lists knowledge parameters");
    assert!(!plan.keys.is_empty());
    for k in &plan.keys {
        assert!(s.uncertainty.knowledge.iter().any(|p| key_matches(p, k)), "{k} is not a knowledge parameter");
    }
    let mut unique = plan.keys.clone();
    unique.dedup();
    assert_eq!(unique.len(), plan.keys.len(), "each key once");
    // One run per option, then for each key J runs of every option it reaches, M trials each.
    let reach: u64 = plan
        .keys
        .iter()
        .map(|k| plan.options.iter().filter(|o| o.parameters.iter().any(|p| &p.key == k)).count() as u64)
        .sum();
    assert!(reach >= plan.keys.len() as u64);
    assert_eq!(plan.trials(4, 10), (2 + 4 * reach) * 10);
}

#[test]
fn a_named_parameter_is_valued_alone_and_a_pattern_that_matches_nothing_is_refused_by_name() {
    let s = load("scenarios/mitigations_2025.toml");
    let (choices, _) = Choice::of_comparison(&s, &[OptionSpec::of(&s, "us_dy_stockpile").expect("shipped")]);
    let plan = EvppiPlan::new(&s, &choices, &["stages.*.ramp_weeks".to_owned()]).expect("stages ramp");
    assert!(!plan.keys.is_empty() && plan.keys.iter().all(|k| k.starts_with("stages.") && k.ends_with(".ramp_weeks")));
    match EvppiPlan::new(&s, &choices, &["stages.nowhere.ramp_weeks".to_owned()]) {
        Err(PlanError::Unmatched { pattern }) => assert_eq!(pattern, "stages.nowhere.ramp_weeks"),
        other => panic!("expected the pattern refused, got {other:?}"),
    }
    let unknown = Choice { name: "ghost".to_owned(), mitigations: vec!["no_such_mitigation".to_owned()], added: 0.0 };
    assert!(matches!(EvppiPlan::new(&s, &[unknown], &[]), Err(PlanError::Variant(_))));
}

#[test]
fn a_scenario_without_knowledge_parameters_has_nothing_to_value_unless_told() {
    let s = load("tests/data/valid/small_chain.toml");
    assert!(s.uncertainty.knowledge.is_empty());
    let nothing = Choice { name: "nothing".to_owned(), mitigations: Vec::new(), added: 0.0 };
    assert!(matches!(EvppiPlan::new(&s, &[nothing], &[]), Err(PlanError::NothingToValue)));
}
