//! Sensitivity studies against closed forms: a shortfall linear in two independent uniform parameters (known
//! first-order and total Sobol indices, tornado swings and knowledge share), and one caused by events alone.

mod common;
use common::load;

use chokepoint_analysis::loss::LossWeights;
use chokepoint_analysis::parameters::select;
use chokepoint_analysis::portfolio::Objective;
use chokepoint_analysis::sobol::{SobolQuestion, sobol};
use chokepoint_analysis::tornado::{TornadoQuestion, tornado};
use chokepoint_analysis::variants::VariantRunner;
use chokepoint_analysis::worlds::worlds;
use chokepoint_engine::RunConfig;

const UNITS_SHORT: Objective = Objective::UnitsShort { end_use: 0 };

#[test]
fn the_linear_shortfall_is_exactly_demand_minus_capacity() {
    let s = load("tests/data/valid/linear_shortfall.toml");
    let config = RunConfig { trials: 50, seed: 3, threads: 1, bands: false, first_trial: 0 };
    let results = chokepoint_engine::run(&s.model, &config, &|_| {}).expect("runs");
    for o in results.end_use(0).outcomes() {
        // Demand is D over the year; units short D - C lie in (500, 2000).
        assert!(o.units_short > 500.0 && o.units_short < 2000.0, "{}", o.units_short);
        assert!((o.demand - o.built - o.units_short).abs() < 1e-6);
    }
    // A tornado at the 10th and 90th percentiles: demand swings units short by +800 in every trial, capacity by
    // -400, with no spread, since each parameter draws from its own stream.
    let params = select(&s.parameters, &[]).expect("two uncertain parameters");
    assert_eq!(params.len(), 2);
    let question = TornadoQuestion { metric: UNITS_SHORT, low_quantile: 0.1, high_quantile: 0.9 };
    let mut runner =
        VariantRunner::new(RunConfig { trials: 40, seed: 5, threads: 1, bands: false, first_trial: 0 }, &|_| {});
    let t = tornado(&s.model, &params, &question, &LossWeights::of(&s), &mut runner).expect("runs");
    assert_eq!(t.bars[0].key, "end_uses.motors.demand_units_per_year");
    assert!((t.bars[0].swing.mean - 800.0).abs() < 1e-6 && t.bars[0].swing.sd < 1e-6, "{:?}", t.bars[0].swing);
    assert_eq!(t.bars[1].key, "stages.maker.capacity_t_per_year");
    assert!((t.bars[1].swing.mean + 400.0).abs() < 1e-6, "{:?}", t.bars[1].swing);
    assert_eq!((t.bars[1].low_value, t.bars[1].high_value), (50.0, 450.0));
    assert_eq!(runner.trials_done(), 5 * 40);
    assert_eq!(chokepoint_analysis::tornado::trials(&params, 40), 5 * 40, "no parameter of a disruption");
}

#[test]
fn sobol_indices_of_a_linear_shortfall_match_the_closed_form() {
    let s = load("tests/data/valid/linear_shortfall.toml");
    let params = select(&s.parameters, &[]).expect("two uncertain parameters");
    let question = SobolQuestion { metric: UNITS_SHORT, base_samples: 4000, bootstrap: 200, seed: 11, threads: 2 };
    let answer = sobol(&s.model, &params, &question, &LossWeights::of(&s), &|_| {}).expect("runs");
    assert_eq!(answer.evaluations, 4000 * 5);
    // Var(Y) = (1000² + 500²) / 12.
    assert!((answer.variance / (1.25e6 / 12.0) - 1.0).abs() < 0.1, "variance {}", answer.variance);
    let by_key = |k: &str| answer.factors.iter().find(|f| f.key == k).expect("a factor");
    for (key, truth) in [("end_uses.motors.demand_units_per_year", 0.8), ("stages.maker.capacity_t_per_year", 0.2)] {
        let f = by_key(key);
        for (what, index) in [("first order", f.first_order), ("total", f.total)] {
            assert!((index.value - truth).abs() < 0.05, "{key} {what}: {} against {truth}", index.value);
            assert!(
                index.ci95_low - 0.02 <= truth && truth <= index.ci95_high + 0.02,
                "{key} {what}: [{}, {}] misses {truth}",
                index.ci95_low,
                index.ci95_high
            );
        }
    }
    // Nothing random happens in a trial besides the two parameters.
    assert_eq!((answer.events.first_order.value, answer.events.total.value), (0.0, 0.0));
}

#[test]
fn sobol_gives_event_driven_shortfalls_to_the_events_at_any_thread_count() {
    let s = load("tests/data/valid/event_driven.toml");
    let params = select(&s.parameters, &["stages.*.capacity_t_per_year".to_owned()]).expect("the capacity");
    let weights = LossWeights::of(&s);
    let question = |threads| SobolQuestion { metric: UNITS_SHORT, base_samples: 300, bootstrap: 50, seed: 2, threads };
    let one = sobol(&s.model, &params, &question(1), &weights, &|_| {}).expect("runs");
    let two = sobol(&s.model, &params, &question(2), &weights, &|_| {}).expect("runs");
    assert_eq!(one, two, "bit-identical at 1 and 2 threads");
    assert!(one.variance > 0.0);
    assert!(one.events.total.value > 0.9 && one.events.first_order.value > 0.85, "{:?}", one.events);
    assert!(one.factors[0].total.value.abs() < 0.05, "{:?}", one.factors[0]);
}

#[test]
fn worlds_split_the_variance_between_knowledge_and_events() {
    // Capacity is knowledge (fixed per world), demand varies per trial: the knowledge share of units short is
    // Var(C) / (Var(C) + Var(D)) = 0.2.
    let s = load("tests/data/valid/linear_shortfall.toml");
    let knowledge = select(&s.parameters, &["stages.maker.capacity_t_per_year".to_owned()]).expect("found");
    let mut runner =
        VariantRunner::new(RunConfig { trials: 200, seed: 9, threads: 2, bands: false, first_trial: 0 }, &|_| {});
    let answer = worlds(&s.model, &knowledge, 200, &LossWeights::of(&s), &mut runner).expect("runs");
    let units = &answer.end_uses[0].units_short;
    assert!((units.knowledge_share - 0.2).abs() < 0.06, "knowledge share {}", units.knowledge_share);
    // Each world's mean units short is E[D] - C = 1500 - C: its 80 % band is 1500 - (P90, P10) of U(0, 500).
    assert!((units.p10 - 1050.0).abs() < 40.0 && (units.p90 - 1450.0).abs() < 40.0, "{} {}", units.p10, units.p90);
    assert_eq!(answer.values[0].len(), 200);
    assert_eq!(runner.trials_done(), 200 * 200);
    // No world is ever without a shortfall.
    assert_eq!(answer.end_uses[0].short_or_late.p2_5, 1.0);
}

#[test]
fn worlds_are_the_same_at_one_and_two_threads() {
    let s = load("tests/data/valid/event_driven.toml");
    let knowledge = select(&s.parameters, &["stages.maker.capacity_t_per_year".to_owned()]).expect("found");
    let answer = |threads| {
        let mut runner =
            VariantRunner::new(RunConfig { trials: 30, seed: 4, threads, bands: false, first_trial: 0 }, &|_| {});
        worlds(&s.model, &knowledge, 10, &LossWeights::of(&s), &mut runner).expect("runs")
    };
    let (one, two) = (answer(1), answer(2));
    // Compared as text: a metric that never varies has a NaN share, which is not equal to itself.
    assert_eq!(format!("{one:?}"), format!("{two:?}"));
    // Headroom makes the capacity irrelevant: the events explain everything.
    assert!(one.end_uses[0].units_short.knowledge_share < 0.05, "{}", one.end_uses[0].units_short.knowledge_share);
}

#[test]
fn a_sobol_design_stops_when_its_caller_cancels() {
    use std::ops::ControlFlow;
    use std::sync::atomic::{AtomicU64, Ordering};

    let s = load("tests/data/valid/linear_shortfall.toml");
    let params = select(&s.parameters, &[]).expect("two uncertain parameters");
    let question = SobolQuestion { metric: UNITS_SHORT, base_samples: 200, bootstrap: 10, seed: 1, threads: 2 };
    let seen = AtomicU64::new(0);
    let stop_after_ten = |done: u64| {
        seen.fetch_max(done, Ordering::Relaxed);
        if done >= 10 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    };
    let answer = chokepoint_analysis::sobol::sobol_cancellable(
        &s.model,
        &params,
        &question,
        &LossWeights::of(&s),
        &stop_after_ten,
    );
    match answer {
        Err(chokepoint_analysis::AnalysisError::Run(chokepoint_engine::RunError::Cancelled { done, trials })) => {
            assert_eq!(trials, 200 * 5);
            // Each of the two workers finishes the trial it is on, and no other starts.
            assert!((10..=12).contains(&done), "{done}");
        }
        other => panic!("expected a cancelled design, got {other:?}"),
    }
    assert!(seen.load(Ordering::Relaxed) <= 12);
}
