//! Closed-form checks at fixed seeds (MODEL.md, "Checks the engine must pass").

use chokepoint_engine::float_math::pow;
use chokepoint_engine::stats::summarize;
use chokepoint_engine::trial::{Scratch, simulate};
use chokepoint_engine::{Destinations, DisruptionKind, DisruptionSpec, FlowScope, Param, RunConfig, Timing, run};

use crate::support::*;

fn config(trials: u64) -> RunConfig {
    RunConfig { trials, seed: 20_250_404, threads: 2, bands: false, first_trial: 0 }
}

fn embargo_all(severity: f64) -> DisruptionKind {
    DisruptionKind::Embargo {
        scope: FlowScope { materials: vec![0], from_region: "CN".into(), to: Destinations::AllOther },
        severity: Param::fixed(severity),
    }
}

#[test]
fn a_disruption_free_run_has_no_shortfall() {
    // Uncertain capacities, lead times, stocks and growth, but no disruption.
    let mut spec = rich_chain(156);
    spec.disruptions.clear();
    let m = model(spec);
    let r = run(&m, &config(500), &|_| {}).unwrap();
    for o in r.end_uses.outcomes() {
        assert_eq!(o.units_short, 0.0, "{o:?}");
        assert_eq!(o.short_periods, 0);
        assert_eq!(o.share_met, 1.0);
    }
    assert!(r.stage_throughput_lost.iter().all(|&x| x == 0.0));
}

#[test]
fn a_fixed_embargo_on_a_single_chain_costs_its_duration_minus_the_buffer() {
    // Demand d per week, buffer B weeks, full embargo of D weeks from week 10, lead time L: the end use runs
    // dry B weeks after the first missing arrival and stays dry until the first post-embargo arrival, so it
    // loses exactly (D - B) d units, over D - B consecutive weeks starting in week 10 + L + B.
    for (buffer, duration, lead) in
        [(4.0, 12.0, 3.0), (8.0, 20.0, 0.0), (6.0, 6.0, 2.0), (10.0, 5.0, 4.0), (2.0, 30.0, 6.0)]
    {
        let d = 25.0;
        let mut spec = single_chain(d, buffer, lead, 40.0, 104);
        spec.disruptions.push(window("embargo", embargo_all(1.0), 10.0, duration));
        let m = model(spec);
        let r = run(&m, &config(3), &|_| {}).unwrap();
        let o = r.end_uses.outcome(0, 0);
        let short_weeks = (duration - buffer).max(0.0);
        let expected = short_weeks * d;
        assert!((o.units_short - expected).abs() < 1e-6 * (1.0 + expected), "B={buffer} D={duration}: {o:?}");
        assert_eq!(o.short_periods as f64, short_weeks);
        assert_eq!(o.longest_short_run as f64, short_weeks);
        if short_weeks > 0.0 {
            assert_eq!(o.first_short_period, Some((10.0 + lead + buffer) as u32));
            assert_eq!(o.recovery_period, Some((10.0 + lead + duration) as u32));
        } else {
            assert_eq!(o.first_short_period, None);
        }
    }
}

#[test]
fn a_partial_embargo_within_the_buffer_causes_no_shortfall_and_a_deeper_one_does() {
    // A 40 % cut for 10 weeks takes 4 weeks of supply: within an 8-week buffer.
    let mut spec = single_chain(10.0, 8.0, 2.0, 40.0, 80);
    spec.disruptions.push(window("quota", embargo_all(0.4), 5.0, 10.0));
    let r = run(&model(spec), &config(2), &|_| {}).unwrap();
    assert_eq!(r.end_uses.outcome(0, 0).units_short, 0.0);
    // The same cut with a 2-week buffer runs short by 4 - 2 = 2 weeks of demand.
    let mut spec = single_chain(10.0, 2.0, 2.0, 40.0, 80);
    spec.disruptions.push(window("quota", embargo_all(0.4), 5.0, 10.0));
    let r = run(&model(spec), &config(2), &|_| {}).unwrap();
    assert!((r.end_uses.outcome(0, 0).units_short - 20.0).abs() < 1e-6, "{:?}", r.end_uses.outcome(0, 0));
}

#[test]
fn a_licence_delay_shorter_than_the_stock_cover_causes_no_shortfall() {
    for (review, cover) in [(4.0, 6.0), (8.0, 9.0), (9.0, 10.0)] {
        let mut spec = single_chain(10.0, cover, 3.0, 10.0, 156);
        spec.disruptions.push(window(
            "licensing",
            DisruptionKind::ExportLicensing {
                scope: FlowScope { materials: vec![0], from_region: "CN".into(), to: Destinations::AllOther },
                review_weeks: Param::uniform(0.0, review).unwrap(),
                denial: [Param::ZERO, Param::ZERO, Param::ZERO],
                grace_weeks: Param::ZERO,
            },
            0.0,
            60.0,
        ));
        let r = run(&model(spec), &config(200), &|_| {}).unwrap();
        assert!(r.end_uses.outcomes().all(|o| o.units_short == 0.0), "review {review} cover {cover}");
    }
    // And a delay longer than the cover does cause one: the check can fail.
    let mut spec = single_chain(10.0, 4.0, 3.0, 10.0, 156);
    spec.disruptions.push(window(
        "licensing",
        DisruptionKind::ExportLicensing {
            scope: FlowScope { materials: vec![0], from_region: "CN".into(), to: Destinations::AllOther },
            review_weeks: Param::fixed(10.0),
            denial: [Param::ZERO, Param::ZERO, Param::ZERO],
            grace_weeks: Param::ZERO,
        },
        0.0,
        60.0,
    ));
    let r = run(&model(spec), &config(5), &|_| {}).unwrap();
    // A constant 10-week review opens a 10-week gap in arrivals: 6 weeks beyond the 4-week cover, so at least
    // 60 units are lost (more while buyers learn the longer lead time and their pipelines refill).
    let o = r.end_uses.outcome(0, 0);
    assert!(o.units_short >= 60.0 - 1e-6, "{o:?}");
    assert_eq!(o.first_short_period, Some(3 + 4));
}

#[test]
fn shipments_in_a_licence_regimes_grace_period_clear_without_review() {
    // The regime of the test above (a constant 10-week review from week 0, lead time 3, cover 4), with a grace
    // period: shipments of its first `grace` weeks (declared before the onset, as in April 2025) clear at once,
    // so the gap in arrivals, and the first shortfall, come `grace` weeks later; the loss is the same, with the
    // regime's end moved by as much as its start. A 2-week grace at a 1-week regime leaves nothing.
    let licensing = |grace: f64, duration: f64| {
        let mut spec = single_chain(10.0, 4.0, 3.0, 10.0, 156);
        spec.disruptions.push(window(
            "licensing",
            DisruptionKind::ExportLicensing {
                scope: FlowScope { materials: vec![0], from_region: "CN".into(), to: Destinations::AllOther },
                review_weeks: Param::fixed(10.0),
                denial: [Param::ZERO, Param::ZERO, Param::ZERO],
                grace_weeks: Param::fixed(grace),
            },
            0.0,
            duration,
        ));
        run(&model(spec), &config(1), &|_| {}).unwrap().end_uses.outcome(0, 0)
    };
    let without = licensing(0.0, 60.0);
    for grace in [1.0, 3.0, 5.0] {
        let with = licensing(grace, 60.0 + grace);
        assert_eq!(with.first_short_period, Some(3 + 4 + grace as u32), "grace {grace}: {with:?}");
        assert!((with.units_short - without.units_short).abs() < 1e-9 * without.units_short, "{with:?} {without:?}");
    }
    assert_eq!(licensing(2.0, 1.0).units_short, 0.0);
}

#[test]
fn a_two_state_outage_has_the_markov_chains_availability() {
    // Demand far above capacity keeps the mine's plan at capacity, so the throughput it loses each week is
    // its capacity when down and nothing when up: the mean lost fraction estimates the share of time down.
    let (p, q, periods) = (0.05f64, 0.20f64, 260usize);
    let mut spec = single_chain(10.0, 0.0, 1.0, 0.5, periods);
    spec.disruptions.push(DisruptionSpec {
        name: "flaky".into(),
        kind: DisruptionKind::Outage { stages: vec![0], severity: Param::ONE },
        timing: Timing::TwoState { start_per_week: p, end_per_week: q },
    });
    let m = model(spec);
    let trials = 4000;
    let r = run(&m, &config(trials), &|_| {}).unwrap();
    let cap_per_week = 10.0 * 0.5;
    let mut fractions: Vec<f64> = r.stage_lost(0).map(|x| x / (cap_per_week * periods as f64)).collect();
    let s = summarize(&mut fractions);
    // Exact expectation from an "up" start: P(down at t) = pi + (p - pi) r^t, r = 1 - p - q, t = 0..T-1.
    let pi = p / (p + q);
    let rr = 1.0 - p - q;
    let expected = (0..periods).map(|t| pi + (p - pi) * pow(rr, t as f64)).sum::<f64>() / periods as f64;
    assert!((s.mean - expected).abs() < 4.0 * s.se, "mean {} expected {} se {}", s.mean, expected, s.se);
    // And the long-run availability q / (p + q) = 0.8, within the transient.
    assert!((1.0 - s.mean - q / (p + q)).abs() < 0.01);
}

#[test]
fn a_two_state_outage_under_monthly_periods_keeps_the_weekly_long_run_share() {
    // Weekly p = 0.1, q = 0.3: down a quarter of the time. Converting each probability to a month on its own made
    // it 0.318. Monthly periods, 10 years, capacity far below demand, as above.
    let (p, q, periods) = (0.1f64, 0.3f64, 120usize);
    let mut spec = single_chain(10.0, 0.0, 1.0, 0.5, periods);
    spec.period_weeks = 52.0 / 12.0;
    spec.disruptions.push(DisruptionSpec {
        name: "flaky".into(),
        kind: DisruptionKind::Outage { stages: vec![0], severity: Param::ONE },
        timing: Timing::TwoState { start_per_week: p, end_per_week: q },
    });
    let m = model(spec);
    let r = run(&m, &config(4000), &|_| {}).unwrap();
    let cap_per_period = 10.0 * 0.5 * 52.0 / 12.0;
    let mut fractions: Vec<f64> = r.stage_lost(0).map(|x| x / (cap_per_period * periods as f64)).collect();
    let s = summarize(&mut fractions);
    // From an "up" start the period chain is down at period t with probability pi (1 - L^(t+1)), where
    // L = λ^n is the period chain's own eigenvalue (λ = 1 - p - q, n = 52/12 weeks): its mean over the horizon is
    // below pi by the transient, a known amount.
    let pi = p / (p + q);
    let l = pow(1.0 - p - q, 52.0 / 12.0);
    let expected = (0..periods).map(|t| pi * (1.0 - pow(l, (t + 1) as f64))).sum::<f64>() / periods as f64;
    assert!((s.mean - expected).abs() < 4.0 * s.se, "mean {} expected {} se {}", s.mean, expected, s.se);
    // The transient is below 0.2 % here, so the mean is the long-run share within 4 SE plus that.
    assert!((s.mean - pi).abs() < 4.0 * s.se + (pi - expected), "mean {} se {}", s.mean, s.se);
}

#[test]
fn hazard_onsets_arrive_at_the_stated_rate() {
    // A zero-length-effect check: with rate 0.5 / yr and 1-week events over 10 years, the number of outage
    // weeks per trial is Poisson-like with mean close to 5 (events cannot overlap, a negligible correction).
    let mut spec = single_chain(10.0, 0.0, 1.0, 0.5, 520);
    spec.disruptions.push(DisruptionSpec {
        name: "fires".into(),
        kind: DisruptionKind::Outage { stages: vec![0], severity: Param::ONE },
        timing: Timing::Hazard { rate_per_year: Param::fixed(0.5), duration_weeks: Param::ONE },
    });
    let m = model(spec);
    let r = run(&m, &config(4000), &|_| {}).unwrap();
    let mut weeks_down: Vec<f64> = r.stage_lost(0).map(|x| x / 5.0).collect();
    let s = summarize(&mut weeks_down);
    // Expected events in 10 years with one-week dead time after each: rate * (T - E[events] * 1wk) ~ 4.95.
    let expected = 0.5 * 10.0 * (1.0 - 5.0 / 520.0);
    assert!((s.mean - expected).abs() < 4.0 * s.se, "mean {} se {}", s.mean, s.se);
}

/// A mine whose plan is its capacity (demand twice its capacity) under monthly periods for `periods` months, with
/// one full outage of the given timing.
fn monthly_mine_with_outage(periods: usize, timing: Timing) -> chokepoint_engine::Model {
    let mut spec = single_chain(10.0, 0.0, 1.0, 0.5, periods);
    spec.period_weeks = 52.0 / 12.0;
    spec.disruptions.push(DisruptionSpec {
        name: "fire".into(),
        kind: DisruptionKind::Outage { stages: vec![0], severity: Param::ONE },
        timing,
    });
    model(spec)
}

#[test]
fn a_fixed_outage_shorter_than_a_period_costs_its_share_of_the_period() {
    // A one-week full outage under monthly periods rounded to no effect; now it takes a week of capacity (5 t),
    // and a two-week one two weeks.
    for weeks in [1.0, 2.0] {
        let timing = Timing::Window { onset_weeks: Param::fixed(10.0), duration_weeks: Param::fixed(weeks) };
        let r = run(&monthly_mine_with_outage(24, timing), &config(2), &|_| {}).unwrap();
        let lost: Vec<f64> = r.stage_lost(0).collect();
        for x in lost {
            assert!((x - 5.0 * weeks).abs() < 1e-9, "{weeks} weeks: lost {x} t");
        }
    }
}

#[test]
fn a_hazard_outage_shorter_than_a_period_costs_its_share_of_the_period() {
    // One-week fires at 0.5 a year over 10 years of monthly periods: each costs a week of capacity (5 t), not the
    // month it took before, so the weeks down per trial are whole numbers (the events) averaging about 5.
    let timing = Timing::Hazard { rate_per_year: Param::fixed(0.5), duration_weeks: Param::ONE };
    let r = run(&monthly_mine_with_outage(120, timing), &config(4000), &|_| {}).unwrap();
    let mut weeks_down: Vec<f64> = r.stage_lost(0).map(|x| x / 5.0).collect();
    for &w in &weeks_down {
        assert!((w - w.round()).abs() < 1e-9, "{w} weeks down is not a whole number of one-week events");
    }
    let s = summarize(&mut weeks_down);
    // Events arrive at 0.5 a year, less a dead time of at most one month after each: between 5 x (1 - 5 / 120)
    // and 5 expected events.
    let (low, high) = (5.0 * (1.0 - 5.0 / 120.0), 5.0);
    assert!(s.mean > low - 4.0 * s.se && s.mean < high + 4.0 * s.se, "mean {} se {}", s.mean, s.se);
}

#[test]
fn a_stage_loses_at_most_what_it_wanted_even_beyond_its_normal_throughput() {
    // Demand growing 50 % a year for 3 years and a mine down for the whole horizon: it loses everything it wanted,
    // which is about 1.8 times its normal throughput at the start-of-horizon rate, so lost over normal throughput
    // (the share `run` and `summary.json` reported until version 0.1.0) leaves [0, 1], and lost over wanted does not.
    let mut spec = single_chain(10.0, 0.0, 1.0, 5.0, 156);
    spec.end_uses[0].growth_per_year = Param::fixed(0.5);
    spec.disruptions.push(DisruptionSpec {
        name: "down".into(),
        kind: DisruptionKind::Outage { stages: vec![0], severity: Param::ONE },
        timing: Timing::Window { onset_weeks: Param::ZERO, duration_weeks: Param::fixed(156.0) },
    });
    let m = model(spec);
    let r = run(&m, &config(3), &|_| {}).unwrap();
    let summary = chokepoint_engine::report::summarize_run(&m, &r);
    let s = &summary.stages[0];
    assert!(s.throughput_lost.mean > 1.5 * s.normal_throughput, "{s:?}");
    assert!((s.throughput_lost.mean - s.wanted_throughput).abs() < 1e-9 * s.wanted_throughput, "{s:?}");
    for (lost, wanted) in r.stage_lost(0).zip(r.stage_wanted(0)) {
        assert!(lost <= wanted, "lost {lost} of {wanted}");
    }
}

#[test]
fn an_uncertain_intensity_is_drawn_once_per_trial() {
    // 10 units a week at 1-3 t each (uniform), a mine with room to spare, no disruption: every trial builds all it
    // needs, its mine makes demand x the trial's own intensity each week, and that intensity varies from trial to
    // trial with mean 2.
    let mut spec = single_chain(10.0, 4.0, 2.0, 5.0, 52);
    spec.end_uses[0].intensity = vec![(0, Param::uniform(1.0, 3.0).unwrap())];
    let r = run(&model(spec), &config(2000), &|_| {}).unwrap();
    assert!(r.end_uses.outcomes().all(|o| o.units_short == 0.0));
    let mut per_unit: Vec<f64> = r.stage_wanted(0).map(|x| x / (10.0 * 52.0)).collect();
    assert!(per_unit.iter().all(|&q| (1.0 - 1e-9..=3.0 + 1e-9).contains(&q)), "{per_unit:?}");
    let s = summarize(&mut per_unit);
    assert!(s.sd > 0.5, "intensity does not vary across trials: {s:?}");
    assert!((s.mean - 2.0).abs() < 4.0 * s.se, "mean {} se {}", s.mean, s.se);
}

#[test]
fn backlogged_demand_is_built_later_and_lost_demand_is_not() {
    let build = |unmet| {
        let mut spec = single_chain(10.0, 2.0, 1.0, 3.0, 60);
        spec.end_uses[0].unmet = unmet;
        spec.disruptions.push(window("embargo", embargo_all(1.0), 5.0, 8.0));
        let m = model(spec);
        let mut scratch = Scratch::new(&m);
        simulate(&m, 1, 0, &mut scratch, None);
        scratch.outcome().end_uses[0]
    };
    let lost = build(chokepoint_engine::Unmet::Lost);
    let backlog = build(chokepoint_engine::Unmet::Backlog);
    assert!((lost.units_short - 60.0).abs() < 1e-6, "{lost:?}");
    // With backlog and spare capacity (3x demand), the backlog is cleared before the horizon ends.
    assert_eq!(backlog.units_short, 0.0, "{backlog:?}");
    assert!(backlog.short_periods >= lost.short_periods);
    assert!(backlog.recovery_period.is_some());
}

#[test]
fn stock_targets_follow_the_demand_trend() {
    // 30 %/yr growth for 3 years: the end use's stock stays at 6 weeks of *current* use, and nothing runs short.
    let mut spec = single_chain(100.0, 6.0, 4.0, 5.0, 156);
    spec.end_uses[0].growth_per_year = Param::fixed(0.3);
    let m = model(spec);
    let mut scratch = Scratch::new(&m);
    let mut tr = chokepoint_engine::outcome::Trace::default();
    simulate(&m, 1, 0, &mut scratch, Some(&mut tr));
    assert_eq!(scratch.outcome().end_uses[0].units_short, 0.0);
    let weekly_demand_at_end = tr.demand[155][0];
    let cover = tr.end_use_stock_end[0] / weekly_demand_at_end;
    // Orders placed today arrive a lead time later, when demand has grown by another 4 weeks of 30 %/yr
    // (about 2 %), so the cover trails its target by a few percent; without the trend it would fall to 6 / 1.3^3
    // = 2.7 weeks.
    assert!((cover - 6.0).abs() < 0.3, "cover at the end {cover} weeks");
}

#[test]
fn customers_move_orders_to_suppliers_that_deliver() {
    // Two mines at 50/50, each able to carry the whole demand; the Chinese one is embargoed for 40 weeks. With
    // fixed shares the end use would lose half its demand for 40 weeks minus its 4-week buffer: (40 - 8) x 5 =
    // 160 units. Buyers learn within a few weeks that the Chinese half does not arrive and order it from
    // Australia, so they lose far less.
    let d = 10.0;
    let mut spec = single_chain(d, 4.0, 2.0, 1.2, 104);
    spec.links[0].share = 0.5;
    spec.stages.push(stage("mine_au", "AU", d * 52.0 * 1.2, vec![], vec![(0, 1.0)]));
    spec.links.push(link(1, chokepoint_engine::Node::EndUse(0), 0, 0.5, 2.0));
    spec.disruptions.push(window("embargo", embargo_all(1.0), 10.0, 40.0));
    let r = run(&model(spec), &config(1), &|_| {}).unwrap();
    let o = r.end_uses.outcome(0, 0);
    assert!(o.units_short < 0.25 * 160.0, "{o:?}");
}

#[test]
fn probing_an_embargoed_supplier_loses_no_demand_when_another_has_spare_capacity() {
    // Two mines at 50/50, lead time 2 weeks; the Australian one can carry the whole demand with room to spare.
    // The Chinese mine is embargoed for 80 weeks from week 10. The fill-rate floor kept 5 % of the weight on it
    // for the whole embargo, and a customer without stock to cover the gap was short every week, 76 weeks in
    // all. Now only the learning costs anything: the Chinese fill rate falls by a quarter per unfilled order and
    // goes below the floor after 11 of them (0.75^11 < 0.05), so shipments missed in weeks 10-20 are short in
    // weeks 12-22 at most, and nothing after. A customer with 8 weeks of stock loses nothing at all.
    let d = 10.0;
    for buffer in [0.0, 8.0] {
        let mut spec = single_chain(d, buffer, 2.0, 1.2, 130);
        spec.links[0].share = 0.5;
        spec.stages.push(stage("mine_au", "AU", d * 52.0 * 1.2, vec![], vec![(0, 1.0)]));
        spec.links.push(link(1, chokepoint_engine::Node::EndUse(0), 0, 0.5, 2.0));
        spec.disruptions.push(window("embargo", embargo_all(1.0), 10.0, 80.0));
        let r = run(&model(spec), &config(1), &|_| {}).unwrap();
        let o = r.end_uses.outcome(0, 0);
        if buffer > 0.0 {
            assert_eq!(o.units_short, 0.0, "{o:?}");
        } else {
            assert!(o.short_periods <= 11, "{o:?}");
            assert!(o.recovery_period.is_some_and(|week| week <= 23), "{o:?}");
        }
    }
}

#[test]
fn a_supplier_held_to_a_quota_keeps_its_orders_and_its_domestic_market() {
    // The Chinese wind-magnet line of the default scenario, reduced. A Chinese plant with 17 % headroom serves its
    // domestic market (class other, 4 weeks of stock) and, first by priority, a foreign customer (essential,
    // backlogged) that sources 90 % from it and 10 % from an Australian plant without spare capacity. A quota holds
    // the foreign link to 25 % of its normal flow for a year. The plant still ships what the quota allows, so it
    // is not cut off and is not only probed. When any supplier below the fill-rate floor was only probed, the
    // customer's orders flipped between a small probe (which the quota let through in part, lifting the fill rate
    // above the floor) and the whole need (which sank it below again); each whole-need order took the plant's
    // stock by priority, the quota kept it at the plant, and the domestic market went short (issue 12).
    let (domestic, foreign) = (200.0, 100.0);
    let mut plant_cn = stage("plant_cn", "CN", (domestic + 0.9 * foreign) * 52.0 * 1.17, vec![], vec![(0, 1.0)]);
    plant_cn.output_stock = weeks(2.0, 2.0);
    let mut plant_au = stage("plant_au", "AU", 0.1 * foreign * 52.0, vec![], vec![(0, 1.0)]);
    plant_au.output_stock = weeks(2.0, 2.0);
    let mut abroad = end_use("abroad", "DE", foreign * 52.0, vec![(0, 1.0)], weeks(8.0, 8.0));
    abroad.class = chokepoint_engine::Class::Essential;
    abroad.unmet = chokepoint_engine::Unmet::Backlog;
    let at_home = end_use("at_home", "CN", domestic * 52.0, vec![(0, 1.0)], weeks(4.0, 4.0));
    let spec = chokepoint_engine::ModelSpec {
        name: "quota".into(),
        period_weeks: 1.0,
        periods: 104,
        materials: vec![material("magnet")],
        stages: vec![plant_cn, plant_au],
        links: vec![
            link(0, chokepoint_engine::Node::EndUse(0), 0, 0.9, 3.0),
            link(1, chokepoint_engine::Node::EndUse(0), 0, 0.1, 2.0),
            link(0, chokepoint_engine::Node::EndUse(1), 0, 1.0, 1.0),
        ],
        end_uses: vec![abroad, at_home],
        disruptions: vec![window("quota", embargo_all(0.75), 10.0, 52.0)],
        mitigations: Default::default(),
        markets: Vec::new(),
    };
    let m = model(spec);
    let r = run(&m, &config(1), &|_| {}).unwrap();
    assert_eq!(r.end_uses.outcome(1, 0).units_short, 0.0, "{:?}", r.end_uses.outcome(1, 0));
    // The plant never stops: its plan does not collapse to nothing in the weeks a probe replaced the whole order.
    let mut tr = chokepoint_engine::outcome::Trace::default();
    simulate(&m, config(1).seed, 0, &mut Scratch::new(&m), Some(&mut tr));
    let idle = (10..62).filter(|&t| tr.stages[t][0].throughput == 0.0).count();
    assert_eq!(idle, 0, "the Chinese plant stood idle in {idle} weeks of the quota");
}

#[test]
fn a_quota_cuts_a_link_from_the_flow_it_carried_at_the_start_of_the_horizon() {
    // A customer sources 85 % from a Chinese mine and 15 % from a Malaysian one that is not online within the
    // horizon (as the Lynas heavy circuit before May 2025), so at the start it buys everything from China. A quota
    // of 40 % from week 10 leaves 60 % of what the link carried then, d x 0.6 a week. Capping it at 60 % of the
    // nameplate share instead (0.85 d x 0.6 = 0.51 d, as before the model corrections of issue 12) cut the
    // customer's supply by 49 %, not by the quota's 40 %, because it counted a share from a plant that ships
    // nothing yet (docs/validation.md, 2010).
    let d = 10.0;
    let mut spec = single_chain(d, 4.0, 2.0, 1.5, 104);
    spec.end_uses[0].region = "JP".into();
    spec.links[0].share = 0.85;
    let mut mine_my = stage("mine_my", "MY", d * 52.0 * 1.5, vec![], vec![(0, 1.0)]);
    mine_my.online_week = Some(c(500.0));
    spec.stages.push(mine_my);
    spec.links.push(link(1, chokepoint_engine::Node::EndUse(0), 0, 0.15, 2.0));
    spec.disruptions.push(window("quota", embargo_all(0.4), 10.0, 90.0));
    let m = model(spec);
    let mut tr = chokepoint_engine::outcome::Trace::default();
    simulate(&m, config(1).seed, 0, &mut Scratch::new(&m), Some(&mut tr));
    for t in 20..100 {
        let shipped = tr.link_shipped[t][0];
        assert!((shipped - 0.6 * d).abs() < 1e-9, "week {t}: the quota let {shipped} through, not {}", 0.6 * d);
        assert_eq!(tr.link_shipped[t][1], 0.0, "week {t}");
    }
}

#[test]
fn a_fixed_embargo_on_a_backlogged_chain_delays_units_by_known_amounts() {
    // Lead time 0, demand d per week, buffer B weeks, full embargo of D > B weeks from week O, ample capacity.
    // The end use builds from its buffer for B weeks, then builds nothing in weeks O + B .. O + D - 1 while
    // its backlog grows by d a week; in week O + D the first order after the embargo brings the whole backlog,
    // the week's demand and the buffer back, so the backlog clears then. Each unit demanded in week O + B + j
    // waits D - B - j weeks: D - B units' worth of weeks at most, (D - B + 1) / 2 on average.
    for (buffer, duration) in [(4.0, 12.0), (0.0, 6.0), (6.0, 7.0), (3.0, 30.0)] {
        let (d, onset) = (25.0, 10.0);
        let mut spec = single_chain(d, buffer, 0.0, 40.0, 104);
        spec.end_uses[0].unmet = chokepoint_engine::Unmet::Backlog;
        spec.disruptions.push(window("embargo", embargo_all(1.0), onset, duration));
        let m = model(spec);
        let r = run(&m, &config(3), &|_| {}).unwrap();
        let o = r.end_uses.outcome(0, 0);
        let late_weeks = duration - buffer;
        let tolerance = 1e-9 * d * late_weeks * late_weeks;
        assert_eq!(o.units_short, 0.0, "B={buffer} D={duration}: {o:?}");
        assert_eq!(o.units_owed_at_end, 0.0);
        assert_eq!(o.units_lost, 0.0);
        assert!((o.units_late - late_weeks * d).abs() < tolerance, "B={buffer} D={duration}: {o:?}");
        assert!((o.peak_backlog - late_weeks * d).abs() < tolerance);
        assert!((o.peak_backlog_weeks - late_weeks).abs() < 1e-9 * late_weeks);
        let unit_weeks = d * late_weeks * (late_weeks + 1.0) / 2.0;
        assert!((o.backlog_unit_periods - unit_weeks).abs() < tolerance, "B={buffer} D={duration}: {o:?}");
        assert_eq!(f64::from(o.max_delay_periods), late_weeks);
        let mean = o.mean_delay_periods().expect("units were late");
        assert!((mean - (late_weeks + 1.0) / 2.0).abs() < 1e-9, "mean delay {mean}");
        assert_eq!(o.first_short_period, Some((onset + buffer) as u32));
        assert_eq!(o.recovery_period, Some((onset + duration) as u32), "the week the backlog clears");
        assert_eq!(f64::from(o.short_periods), late_weeks);
    }
}

#[test]
fn a_backlog_still_owed_at_the_horizon_is_late_by_at_least_its_age() {
    // The embargo runs past the end: nothing more is built after the buffer runs out in week O + B.
    let (d, onset, buffer, periods) = (10.0, 20.0, 5.0, 52);
    let mut spec = single_chain(d, buffer, 0.0, 40.0, periods);
    spec.end_uses[0].unmet = chokepoint_engine::Unmet::Backlog;
    spec.disruptions.push(window("embargo", embargo_all(1.0), onset, 1000.0));
    let m = model(spec);
    let r = run(&m, &config(2), &|_| {}).unwrap();
    let o = r.end_uses.outcome(0, 0);
    let owed_weeks = periods as f64 - onset - buffer;
    assert!((o.units_owed_at_end - owed_weeks * d).abs() < 1e-9 * owed_weeks * d, "{o:?}");
    assert_eq!(o.units_owed_at_end, o.units_short);
    assert_eq!(o.units_late, 0.0, "nothing owed was delivered");
    assert_eq!(f64::from(o.max_delay_periods), owed_weeks, "censored at the horizon");
    assert_eq!(o.recovery_period, None);
    // The lost-demand twin loses the same units and has no delay metrics.
    let mut lost = single_chain(d, buffer, 0.0, 40.0, periods);
    lost.disruptions.push(window("embargo", embargo_all(1.0), onset, 1000.0));
    let r = run(&model(lost), &config(2), &|_| {}).unwrap();
    let l = r.end_uses.outcome(0, 0);
    assert!((l.units_lost - o.units_owed_at_end).abs() < 1e-9 * l.units_lost);
    assert_eq!((l.units_late, l.backlog_unit_periods, l.max_delay_periods, l.units_owed_at_end), (0.0, 0.0, 0, 0.0));
}
