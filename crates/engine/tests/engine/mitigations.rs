//! Mitigations: stockpiles, thrifting, demand switching and new capacity, with their invariants.

use chokepoint_engine::outcome::Trace;
use chokepoint_engine::trial::{Scratch, simulate};
use chokepoint_engine::{
    Class, DemandSwitchSpec, Destinations, DisruptionKind, FlowScope, IntensityChangeSpec, ModelSpec, Node, Param,
    RunConfig, StockpileSpec, run,
};
use proptest::prelude::*;

use crate::invariants::{assert_every_trial_is_the_trial_alone, check_mass_balance};
use crate::support::*;

fn embargo(severity: f64) -> DisruptionKind {
    DisruptionKind::Embargo {
        scope: FlowScope { materials: vec![0], from_region: "CN".into(), to: Destinations::AllOther },
        severity: c(severity),
    }
}

fn stockpile(initial: f64, classes: Vec<Class>, max_per_week: f64, rebuild: f64, serves: Vec<Node>) -> StockpileSpec {
    StockpileSpec {
        name: "reserve".into(),
        material: 0,
        serves,
        initial: c(initial),
        release_classes: classes,
        max_release_per_week: c(max_per_week),
        rebuild_per_week: c(rebuild),
        release_while: None,
    }
}

fn with_mitigations(mut spec: ModelSpec) -> ModelSpec {
    // The rich chain plus a Dy stockpile at the Japanese magnet maker for defense, thrifting of EV motors,
    // a partial switch away from magnets, and a new magnet plant coming online mid-horizon.
    spec.mitigations.stockpiles.push(StockpileSpec {
        name: "dy_reserve".into(),
        material: 2,
        serves: vec![Node::Stage(4)],
        initial: c(20.0),
        release_classes: vec![Class::Defense, Class::Essential, Class::Other],
        max_release_per_week: c(2.0),
        rebuild_per_week: c(0.5),
        release_while: None,
    });
    spec.mitigations.intensity_changes.push(IntensityChangeSpec {
        name: "gbd".into(),
        node: Node::EndUse(0),
        material: 3,
        reduction: Param::uniform(0.1, 0.3).unwrap(),
        start_week: c(20.0),
        ramp_weeks: c(52.0),
        trigger: None,
    });
    // Grain-boundary diffusion at the Chinese magnet maker: less Dy per tonne of magnet.
    spec.mitigations.intensity_changes.push(IntensityChangeSpec {
        name: "gbd_dy".into(),
        node: Node::Stage(3),
        material: 2,
        reduction: Param::uniform(0.3, 0.6).unwrap(),
        start_week: c(10.0),
        ramp_weeks: c(30.0),
        trigger: None,
    });
    spec.mitigations.demand_switches.push(DemandSwitchSpec {
        name: "ferrite".into(),
        end_use: 0,
        share: c(0.1),
        start_week: c(40.0),
        ramp_weeks: c(26.0),
        trigger: None,
    });
    let mut plant = stage("magnets_us", "US", 3_000.0, vec![(1, 0.3), (2, 0.03)], vec![(3, 1.0)]);
    plant.online_week = Some(Param::uniform(20.0, 60.0).unwrap());
    plant.ramp_weeks = c(26.0);
    spec.stages.push(plant);
    spec.links.push(link(2, Node::Stage(5), 1, 1.0, 2.0));
    spec.links.push(link(2, Node::Stage(5), 2, 1.0, 2.0));
    // The EV makers buy 20 % from it once it runs.
    for l in spec.links.iter_mut() {
        if l.to == Node::EndUse(0) && l.from == 3 {
            l.share = 0.4;
        }
    }
    spec.links.push(link(5, Node::EndUse(0), 3, 0.2, 1.0));
    spec
}

#[test]
fn mass_balances_with_every_mitigation() {
    let m = model(with_mitigations(rich_chain(156)));
    let mut scratch = Scratch::new(&m);
    let mut tr = Trace::default();
    for trial in 0..40 {
        simulate(&m, 17, trial, &mut scratch, Some(&mut tr));
        let worst = check_mass_balance(&m, &tr);
        assert!(worst < 1e-9, "trial {trial}: residual {worst}");
    }
}

#[test]
fn with_every_mitigation_each_trial_of_a_run_is_the_trial_simulated_alone() {
    let m = model(with_mitigations(rich_chain(104)));
    assert_every_trial_is_the_trial_alone(&m, 23, 37);
}

#[test]
fn a_stockpile_that_never_releases_changes_nothing_in_any_trial() {
    let base = rich_chain(104);
    let mut idle = base.clone();
    // Released only for "essential" demand, which nothing downstream of the magnet maker has.
    idle.mitigations.stockpiles.push(StockpileSpec {
        name: "idle".into(),
        material: 2,
        serves: vec![Node::Stage(4)],
        initial: c(50.0),
        release_classes: vec![Class::Essential],
        max_release_per_week: c(5.0),
        rebuild_per_week: c(0.0),
        release_while: None,
    });
    let cfg = RunConfig { trials: 300, seed: 5, threads: 2, bands: false, first_trial: 0 };
    let a = run(&model(base), &cfg, &|_| {}).unwrap();
    let b = run(&model(idle), &cfg, &|_| {}).unwrap();
    assert_eq!(a.end_uses, b.end_uses);
    assert!(b.stockpile_released.iter().all(|&x| x == 0.0));
}

#[test]
fn a_stockpile_covers_an_embargo_it_is_sized_for() {
    // 10 units a week, 2 weeks of buffer, a full 12-week embargo: 100 units short without a reserve, none
    // with 100 t released at up to 10 t a week.
    let mut spec = single_chain(10.0, 2.0, 1.0, 10.0, 60);
    spec.disruptions.push(window("embargo", embargo(1.0), 5.0, 12.0));
    let bare =
        run(&model(spec.clone()), &RunConfig { trials: 1, seed: 1, threads: 1, bands: false, first_trial: 0 }, &|_| {})
            .unwrap();
    assert!((bare.end_uses.outcome(0, 0).units_short - 100.0).abs() < 1e-6);
    spec.mitigations.stockpiles.push(stockpile(100.0, vec![Class::Other], 10.0, 0.0, vec![Node::EndUse(0)]));
    let r = run(&model(spec), &RunConfig { trials: 1, seed: 1, threads: 1, bands: false, first_trial: 0 }, &|_| {})
        .unwrap();
    assert!(r.end_uses.outcome(0, 0).units_short < 1e-6, "{:?}", r.end_uses.outcome(0, 0));
    assert!((r.stockpile_released[0] - 100.0).abs() < 1e-6);
    assert!(r.stockpile_min[0] < 1e-6);
}

#[test]
fn thrifting_by_half_absorbs_a_half_cut() {
    let mut spec = single_chain(10.0, 0.0, 1.0, 10.0, 80);
    spec.disruptions.push(window("quota", embargo(0.5), 5.0, 40.0));
    let cfg = RunConfig { trials: 1, seed: 1, threads: 1, bands: false, first_trial: 0 };
    let bare = run(&model(spec.clone()), &cfg, &|_| {}).unwrap();
    assert!(bare.end_uses.outcome(0, 0).units_short > 100.0);
    spec.mitigations.intensity_changes.push(IntensityChangeSpec {
        name: "thrift".into(),
        node: Node::EndUse(0),
        material: 0,
        reduction: c(0.5),
        start_week: c(0.0),
        ramp_weeks: c(0.0),
        trigger: None,
    });
    let r = run(&model(spec), &cfg, &|_| {}).unwrap();
    assert!(r.end_uses.outcome(0, 0).units_short < 1e-6, "{:?}", r.end_uses.outcome(0, 0));
}

#[test]
fn a_demand_switch_removes_its_share_of_demand() {
    let mut spec = single_chain(10.0, 2.0, 1.0, 10.0, 52);
    spec.mitigations.demand_switches.push(DemandSwitchSpec {
        name: "switch".into(),
        end_use: 0,
        share: c(0.25),
        start_week: c(0.0),
        ramp_weeks: c(0.0),
        trigger: None,
    });
    let r = run(&model(spec), &RunConfig { trials: 1, seed: 1, threads: 1, bands: false, first_trial: 0 }, &|_| {})
        .unwrap();
    assert!((r.end_uses.outcome(0, 0).demand - 0.75 * 520.0).abs() < 1e-9);
    assert_eq!(r.end_uses.outcome(0, 0).units_short, 0.0);
}

#[test]
fn customers_order_only_from_suppliers_that_are_online() {
    // Two mines at 50/50, each able to carry the whole demand; the second comes online in week 20. Customers
    // send everything to the first until then, so nothing runs short.
    let mut spec = single_chain(10.0, 2.0, 1.0, 1.2, 60);
    let mut late = stage("mine2", "AU", 10.0 * 52.0 * 1.2, vec![], vec![(0, 1.0)]);
    late.online_week = Some(c(20.0));
    spec.stages.push(late);
    spec.links[0].share = 0.5;
    spec.links.push(link(1, Node::EndUse(0), 0, 0.5, 1.0));
    let r = run(&model(spec), &RunConfig { trials: 1, seed: 1, threads: 1, bands: false, first_trial: 0 }, &|_| {})
        .unwrap();
    assert_eq!(r.end_uses.outcome(0, 0).units_short, 0.0, "{:?}", r.end_uses.outcome(0, 0));
}

/// The run rate at the start of the horizon: a plant still to come online supplies nothing and a plant ramping
/// up its share of its normal flow, the customer buying the rest from the others by share (closed form), and a
/// disruption-free trial ships exactly that while nothing changes.
#[test]
fn the_start_of_horizon_flow_is_what_a_calm_trial_ships_before_a_late_plant_comes_online() {
    // Three mines at 0.6 / 0.25 / 0.15 of a demand of 10 a week: the second online in week 20, the third online
    // from week 0 but ramping over 4 weeks (a quarter of its nameplate in week 0).
    let mut spec = single_chain(10.0, 2.0, 1.0, 2.0, 30);
    spec.links[0].share = 0.6;
    let mut late = stage("late", "AU", 10.0 * 52.0 * 2.0, vec![], vec![(0, 1.0)]);
    late.online_week = Some(c(20.0));
    let mut ramping = stage("ramping", "US", 10.0 * 52.0 * 2.0, vec![], vec![(0, 1.0)]);
    ramping.online_week = Some(c(0.0));
    ramping.ramp_weeks = c(4.0);
    spec.stages.extend([late, ramping]);
    spec.links.push(link(1, Node::EndUse(0), 0, 0.25, 1.0));
    spec.links.push(link(2, Node::EndUse(0), 0, 0.15, 1.0));
    let m = model(spec);
    let of = |supplier: usize| m.spec().links.iter().position(|l| l.from == supplier).unwrap();
    let (first, second, third) = (of(0), of(1), of(2));
    // At nameplate: 6, 2.5 and 1.5. At the start: 0.6 and 0.15 x 0.25 share the demand.
    let nameplate = &m.baseline().link_flow;
    assert!((nameplate[first] - 6.0).abs() < 1e-12 && (nameplate[second] - 2.5).abs() < 1e-12);
    let start = m.start_link_flow();
    let total = 0.6 + 0.15 * 0.25;
    assert!((start[first] - 10.0 * 0.6 / total).abs() < 1e-12, "{start:?}");
    assert_eq!(start[second], 0.0);
    assert!((start[third] - 10.0 * 0.15 * 0.25 / total).abs() < 1e-12, "{start:?}");
    // A calm trial's first week ships the start flow on every link (stocks and pipelines start at their targets).
    let mut tr = Trace::default();
    simulate(&m, 1, 0, &mut Scratch::new(&m), Some(&mut tr));
    for l in [first, second, third] {
        assert!((tr.link_shipped[0][l] - start[l]).abs() < 1e-9, "link {l}: {} vs {}", tr.link_shipped[0][l], start[l]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Under common random numbers, a larger stockpile never increases the shortfall of the end use it serves, its
    /// backlog or the longest delay of a unit, in any trial.
    #[test]
    fn a_larger_stockpile_never_increases_shortfall(
        small in 0.0..200.0f64,
        extra in 0.0..200.0f64,
        rate in 0.5..20.0f64,
        buffer in 0.0..6.0f64,
        severity in 0.2..1.0f64,
        backlog in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let mut spec = single_chain(10.0, buffer, 2.0, 3.0, 104);
        if backlog {
            spec.end_uses[0].unmet = chokepoint_engine::Unmet::Backlog;
        }
        spec.disruptions.push(chokepoint_engine::DisruptionSpec {
            name: "cut".into(),
            kind: embargo(severity),
            timing: chokepoint_engine::Timing::Hazard {
                rate_per_year: c(1.0),
                duration_weeks: Param::uniform(2.0, 30.0).unwrap(),
            },
        });
        let with = |size: f64| {
            let mut s = spec.clone();
            s.mitigations.stockpiles.push(stockpile(size, vec![Class::Other], rate, 0.0, vec![Node::EndUse(0)]));
            run(&model(s), &RunConfig { trials: 32, seed, threads: 1, bands: false, first_trial: 0 }, &|_| {}).unwrap()
        };
        let a = with(small);
        let b = with(small + extra);
        for (x, y) in a.end_uses.outcomes().zip(b.end_uses.outcomes()) {
            prop_assert!(y.units_short <= x.units_short + 1e-6 * (1.0 + x.units_short), "{} > {}", y.units_short, x.units_short);
            // Delay metrics, which size-stockpile may target, are monotone too.
            prop_assert!(y.max_delay_periods <= x.max_delay_periods, "{} > {}", y.max_delay_periods, x.max_delay_periods);
            prop_assert!(y.backlog_unit_periods <= x.backlog_unit_periods + 1e-6 * (1.0 + x.backlog_unit_periods));
            prop_assert!(x.any_shortfall() || !y.any_shortfall(), "a larger stockpile made a trial short");
        }
    }
}

#[test]
fn pairing_shrinks_the_standard_error_of_a_difference() {
    use chokepoint_engine::stats::summarize;
    // Random embargoes; the option adds a stockpile. Common random numbers pair the trials.
    let mut spec = single_chain(10.0, 2.0, 2.0, 3.0, 104);
    spec.disruptions.push(chokepoint_engine::DisruptionSpec {
        name: "cut".into(),
        kind: embargo(1.0),
        timing: chokepoint_engine::Timing::Hazard {
            rate_per_year: c(0.8),
            duration_weeks: Param::uniform(2.0, 20.0).unwrap(),
        },
    });
    let cfg = RunConfig { trials: 2000, seed: 9, threads: 2, bands: false, first_trial: 0 };
    let base = run(&model(spec.clone()), &cfg, &|_| {}).unwrap();
    spec.mitigations.stockpiles.push(stockpile(30.0, vec![Class::Other], 5.0, 0.5, vec![Node::EndUse(0)]));
    let option = run(&model(spec), &cfg, &|_| {}).unwrap();
    let short = |r: &chokepoint_engine::RunResults| r.end_use(0).units_short.to_vec();
    let (b, o) = (short(&base), short(&option));
    let mut diff: Vec<f64> = b.iter().zip(&o).map(|(b, o)| b - o).collect();
    let paired = summarize(&mut diff);
    let (sb, so) = (summarize(&mut b.clone()), summarize(&mut o.clone()));
    let unpaired_se = (sb.se * sb.se + so.se * so.se).sqrt();
    assert!(paired.mean > 0.0);
    assert!(paired.se < 0.5 * unpaired_se, "paired {} unpaired {unpaired_se}", paired.se);
    assert!(b.iter().zip(&o).all(|(b, o)| o <= &(b + 1e-9 * (1.0 + b))), "the stockpile never hurts a trial");
}

#[test]
fn a_triggered_demand_switch_starts_its_lag_after_the_triggers_random_onset() {
    // A full embargo whose onset is uniform over weeks 10-60; a switch of half the demand 6 weeks after it.
    let (d, lag) = (10.0, 6.0);
    let mut spec = single_chain(d, 4.0, 1.0, 40.0, 104);
    spec.disruptions.push(chokepoint_engine::DisruptionSpec {
        name: "embargo".into(),
        kind: embargo(1.0),
        timing: chokepoint_engine::Timing::Window {
            onset_weeks: Param::uniform(10.0, 60.0).unwrap(),
            duration_weeks: c(8.0),
        },
    });
    spec.mitigations.demand_switches.push(DemandSwitchSpec {
        name: "switch".into(),
        end_use: 0,
        share: c(0.5),
        start_week: c(lag),
        ramp_weeks: c(0.0),
        trigger: Some(0),
    });
    let m = model(spec);
    let mut scratch = Scratch::new(&m);
    let mut tr = Trace::default();
    let mut onsets = Vec::new();
    for trial in 0..30 {
        simulate(&m, 5, trial, &mut scratch, Some(&mut tr));
        // The embargo's onset is the first week nothing leaves the mine.
        let onset = tr.link_shipped.iter().position(|week| week[0] == 0.0).expect("the embargo starts");
        onsets.push(onset);
        for (t, demand) in tr.demand.iter().enumerate() {
            let expected = if t >= onset + lag as usize { 0.5 * d } else { d };
            assert!((demand[0] - expected).abs() < 1e-9, "trial {trial} week {t}: {} (onset {onset})", demand[0]);
        }
    }
    onsets.sort_unstable();
    onsets.dedup();
    assert!(onsets.len() > 10, "onsets vary by trial: {onsets:?}");
}

#[test]
fn a_trigger_that_does_not_occur_never_starts_the_mitigation() {
    // The trigger's window opens after the horizon, so it never occurs and the full switch never starts.
    let mut spec = single_chain(10.0, 4.0, 1.0, 40.0, 52);
    spec.disruptions.push(window("after_the_horizon", embargo(1.0), 500.0, 5.0));
    spec.mitigations.demand_switches.push(DemandSwitchSpec {
        name: "switch".into(),
        end_use: 0,
        share: c(1.0),
        start_week: c(0.0),
        ramp_weeks: c(0.0),
        trigger: Some(0),
    });
    let m = model(spec);
    let r = run(&m, &RunConfig { trials: 4, seed: 1, threads: 1, bands: false, first_trial: 0 }, &|_| {}).unwrap();
    for o in r.end_uses.outcomes() {
        assert!((o.demand - 52.0 * 10.0).abs() < 1e-6, "no demand switched: {o:?}");
    }
}

#[test]
fn a_stockpile_released_only_while_a_disruption_is_active_waits_for_it() {
    // A full embargo in weeks 10-30 with a 2-week buffer; a reserve large enough to cover it. Released while the
    // embargo is active, it removes the shortfall; tied to a demand shock in weeks 60-70 (after the embargo), it
    // releases nothing during the embargo.
    let build = |release_while: usize| {
        let mut spec = single_chain(10.0, 2.0, 0.0, 40.0, 104);
        spec.disruptions.push(window("embargo", embargo(1.0), 10.0, 20.0));
        spec.disruptions.push(window(
            "surge",
            DisruptionKind::DemandShock { end_uses: vec![0], multiplier: c(1.0) },
            60.0,
            10.0,
        ));
        let mut reserve = stockpile(1_000.0, Class::ALL.to_vec(), 100.0, 0.0, vec![Node::EndUse(0)]);
        reserve.release_while = Some(release_while);
        spec.mitigations.stockpiles.push(reserve);
        let r = run(&model(spec), &RunConfig { trials: 2, seed: 1, threads: 1, bands: false, first_trial: 0 }, &|_| {})
            .unwrap();
        r.end_uses.outcome(0, 0)
    };
    let during = build(0);
    assert_eq!(during.units_short, 0.0, "{during:?}");
    let elsewhen = build(1);
    assert!((elsewhen.units_short - 18.0 * 10.0).abs() < 1e-6, "{elsewhen:?}");
}
