//! Markets: mass balance and lockstep lanes with markets on, the price's responses as traced, and markets that
//! see no scarcity change no bit.

use chokepoint_engine::float_math::pow;
use chokepoint_engine::outcome::Trace;
use chokepoint_engine::trial::{Scratch, simulate};
use chokepoint_engine::{DisruptionKind, MarketSpec, Model, ModelSpec, RunConfig, run};

use crate::invariants::{assert_every_trial_is_the_trial_alone, check_mass_balance};
use crate::support::*;

/// The rich chain with markets on its ore (expanding the Australian mine), Dy and magnets.
fn rich_chain_with_markets(periods: usize) -> ModelSpec {
    let mut spec = rich_chain(periods);
    let fast = |material: usize| MarketSpec {
        price_gain: 20.0,
        price_half_life_weeks: 8.0,
        demand_lag_weeks: 4.0,
        precaution_gain: 1.0,
        response_regions: vec!["AU".into()],
        response_trigger_price: 1.5,
        response_lag_weeks: 8.0,
        response_growth_per_year: 1.0,
        ..MarketSpec::new(material)
    };
    spec.markets = vec![fast(0), fast(2), fast(3)];
    spec
}

fn traced(m: &Model, seed: u64, trial: u64) -> Trace {
    let mut scratch = Scratch::new(m);
    let mut tr = Trace::default();
    simulate(m, seed, trial, &mut scratch, Some(&mut tr));
    tr
}

#[test]
fn mass_balances_with_markets_on() {
    let m = model(rich_chain_with_markets(104));
    let mut highest: f64 = 1.0;
    for trial in 0..30 {
        let tr = traced(&m, 5, trial);
        let worst = check_mass_balance(&m, &tr);
        assert!(worst < 1e-9, "trial {trial}: residual {worst}");
        highest = tr.market_price.iter().flatten().fold(highest, |a, &b| a.max(b));
    }
    // The markets act: some price rose well above normal.
    assert!(highest > 1.5, "highest price index {highest}");
}

#[test]
fn every_trial_with_markets_is_the_trial_simulated_alone() {
    let m = model(rich_chain_with_markets(104));
    for trials in [5, 66] {
        assert_every_trial_is_the_trial_alone(&m, 23, trials);
    }
}

#[test]
fn markets_that_see_no_scarcity_change_no_bit() {
    // A price gain of 0 keeps every price at exactly 1, so every factor stays exactly 1: the run is the run
    // without markets, bit for bit.
    let without = model(rich_chain(104));
    let mut spec = rich_chain(104);
    spec.markets = (0..4).map(|m| MarketSpec { price_gain: 0.0, ..MarketSpec::new(m) }).collect();
    let with = model(spec);
    let config = RunConfig { trials: 40, seed: 3, threads: 2, bands: true, first_trial: 0 };
    let a = run(&without, &config, &|_| {}).unwrap();
    let b = run(&with, &config, &|_| {}).unwrap();
    assert_eq!(a.end_uses, b.end_uses);
    let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a.stage_throughput_lost), bits(&b.stage_throughput_lost));
    assert_eq!(a.bands, b.bands);
}

#[test]
fn end_use_demand_falls_as_the_adopted_price_to_minus_elasticity() {
    // One mine, one end use, a 60 % cut for a year: the end use's demand in each period is its base demand times
    // A^(-e), with A the log-price lag of the traced price index.
    let mut spec = single_chain(100.0, 4.0, 2.0, 1.2, 80);
    spec.disruptions = vec![window(
        "cut",
        DisruptionKind::Embargo {
            scope: chokepoint_engine::FlowScope {
                materials: vec![0],
                from_region: "CN".into(),
                to: chokepoint_engine::Destinations::AllOther,
            },
            severity: c(0.6),
        },
        5.0,
        52.0,
    )];
    let (elasticity, lag) = (0.3, 6.0);
    spec.markets = vec![MarketSpec {
        price_gain: 10.0,
        demand_elasticity: elasticity,
        demand_lag_weeks: lag,
        ..MarketSpec::new(0)
    }];
    let m = model(spec);
    let tr = traced(&m, 1, 0);
    let alpha = 1.0 / (1.0 + lag);
    let mut adopted: f64 = 1.0;
    let mut lowest: f64 = 1.0;
    for t in 0..80 {
        let expected = 100.0 * pow(adopted, -elasticity);
        assert!((tr.demand[t][0] - expected).abs() < 1e-9 * expected, "t={t}: {} vs {expected}", tr.demand[t][0]);
        lowest = lowest.min(tr.demand[t][0] / 100.0);
        let price = tr.market_price[t][0];
        adopted *= pow(price / adopted, alpha);
    }
    assert!(lowest < 0.8, "demand fell to {lowest} of normal");
}

#[test]
fn the_supply_response_lifts_capacity_above_nameplate_after_its_lag() {
    // Two mines supply one plant: China's (70 %) is out for the whole horizon from week 10, Australia's (30 %,
    // nameplate 40 a week against a normal flow of 30) is in the response region. It makes more than its
    // nameplate only once the price has stayed at or above the trigger for the lag, and at most twice it.
    let mut spec = single_chain(100.0, 4.0, 2.0, 1.0, 104);
    spec.stages.push(stage("mine_au", "AU", 40.0 * 52.0, vec![], vec![(0, 1.0)]));
    spec.links = vec![
        link(0, chokepoint_engine::Node::EndUse(0), 0, 0.7, 2.0),
        link(1, chokepoint_engine::Node::EndUse(0), 0, 0.3, 2.0),
    ];
    spec.disruptions =
        vec![window("cn_mine_out", DisruptionKind::Outage { stages: vec![0], severity: c(1.0) }, 10.0, 200.0)];
    let lag = 8;
    spec.markets = vec![MarketSpec {
        price_gain: 10.0,
        response_regions: vec!["AU".into()],
        response_trigger_price: 2.0,
        response_lag_weeks: lag as f64,
        response_growth_per_year: 2.0,
        response_max: 1.0,
        ..MarketSpec::new(0)
    }];
    let m = model(spec);
    let tr = traced(&m, 1, 0);
    let nameplate = 40.0;
    let above: Vec<usize> = (0..104).filter(|&t| tr.stages[t][1].throughput > nameplate * (1.0 + 1e-9)).collect();
    let first_high_price = (0..104).find(|&t| tr.market_price[t][0] >= 2.0).expect("the ore price rises");
    assert!(!above.is_empty(), "the Australian mine never went beyond its nameplate");
    // The price of period t counts `lag` periods later (at the end of period t + lag), and the capacity it adds
    // acts from the period after that.
    assert_eq!(above[0], first_high_price + lag + 1, "price high from {first_high_price}");
    let most = (0..104).map(|t| tr.stages[t][1].throughput).fold(0.0, f64::max);
    assert!(most <= 2.0 * nameplate * (1.0 + 1e-9), "capacity at most doubles: {most}");
    assert!(most > 1.5 * nameplate, "capacity grows towards its bound: {most}");
}
