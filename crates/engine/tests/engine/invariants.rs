//! Invariants: mass balance at every stage and period, thread-count invariance, bounds on the metrics.

use chokepoint_engine::outcome::Trace;
use chokepoint_engine::trial::{Scratch, simulate};
use chokepoint_engine::{Model, Param, RunConfig, run};

use crate::support::*;

/// Checks the stage and link identities of MODEL.md on a trace; returns the largest relative residual.
pub fn check_mass_balance(m: &Model, tr: &Trace) -> f64 {
    let spec = m.spec();
    let mut worst: f64 = 0.0;
    let mut rel = |a: f64, b: f64| {
        let r = (a - b).abs() / (1.0 + a.abs().max(b.abs()));
        worst = worst.max(r);
    };
    for (t, stages) in tr.stages.iter().enumerate() {
        for (s, sp) in stages.iter().enumerate() {
            let st = &spec.stages[s];
            for (k, &(_, qty)) in st.inputs.iter().enumerate() {
                // Opening stock + receipts (+ stockpile releases) = consumption (+ rebuilds) + closing stock.
                let from = sp.from_stockpile.get(k).copied().unwrap_or(0.0);
                let to = sp.to_stockpile.get(k).copied().unwrap_or(0.0);
                rel(sp.opening_input[k] + sp.received[k] + from, sp.consumed[k] + to + sp.closing_input[k]);
                // Consumption is exactly the recipe (times any thrifting factor) times throughput.
                rel(sp.consumed[k], qty * sp.input_factor[k] * sp.throughput);
                assert!((0.0..=1.0).contains(&sp.input_factor[k]));
                assert!(sp.closing_input[k] >= -1e-9, "negative stock at {} t={t}", st.name);
            }
            for (k, &(_, yld)) in st.outputs.iter().enumerate() {
                rel(sp.opening_output[k] + sp.produced[k], sp.shipped[k] + sp.closing_output[k]);
                // Co-products: outputs are exactly the yields times throughput.
                rel(sp.produced[k], yld * sp.throughput);
                assert!(sp.closing_output[k] >= -1e-9, "negative output stock at {} t={t}", st.name);
            }
        }
    }
    let periods = tr.stages.len();
    // Per link: a stage's shipments of an output are the sum of its links' shipments, and what clears export
    // control never runs ahead of what was shipped.
    for t in 0..periods {
        for (s, st) in spec.stages.iter().enumerate() {
            for (k, &(m, _)) in st.outputs.iter().enumerate() {
                let on_links: f64 = spec
                    .links
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| l.from == s && l.material == m)
                    .map(|(l, _)| tr.link_shipped[t][l])
                    .sum();
                rel(on_links, tr.stages[t][s].shipped[k]);
            }
        }
    }
    for l in 0..spec.links.len() {
        let (mut shipped, mut cleared) = (0.0, 0.0);
        for t in 0..periods {
            shipped += tr.link_shipped[t][l];
            cleared += tr.link_cleared[t][l];
            assert!(cleared <= shipped * (1.0 + 1e-12) + 1e-12, "link {l} clears more than it shipped by t={t}");
        }
    }
    // Stockpiles: what they lost is what they released, net of what was rebuilt.
    let (mut from, mut to) = (0.0, 0.0);
    for stages in &tr.stages {
        for sp in stages {
            from += sp.from_stockpile.iter().sum::<f64>();
            to += sp.to_stockpile.iter().sum::<f64>();
        }
    }
    from += tr.end_use_from_stockpile.iter().sum::<f64>();
    to += tr.end_use_to_stockpile.iter().sum::<f64>();
    let change: f64 = tr.stockpile_end.iter().zip(&tr.stockpile_start).map(|(e, s)| e - s).sum();
    rel(change, to - from);
    // Per material, system-wide: shipped by stages = received by stages and end uses + change in transit.
    for mat in 0..spec.materials.len() {
        let mut shipped = 0.0;
        let mut received = 0.0;
        for t in 0..periods {
            for (s, st) in spec.stages.iter().enumerate() {
                let sp = &tr.stages[t][s];
                for (k, &(mm, _)) in st.outputs.iter().enumerate() {
                    if mm == mat {
                        shipped += sp.shipped[k];
                    }
                }
                for (k, &(mm, _)) in st.inputs.iter().enumerate() {
                    if mm == mat {
                        received += sp.received[k];
                    }
                }
            }
        }
        // End uses: received + released - rebuilt = consumed + stock change.
        let mut k = 0;
        for eu in &spec.end_uses {
            for &(mm, _) in &eu.intensity {
                if mm == mat {
                    received += tr.end_use_consumed[k] + tr.end_use_stock_end[k]
                        - tr.end_use_stock_start[k]
                        - tr.end_use_from_stockpile[k]
                        + tr.end_use_to_stockpile[k];
                }
                k += 1;
            }
        }
        let transit_change: f64 = spec
            .links
            .iter()
            .enumerate()
            .filter(|(_, l)| l.material == mat)
            .map(|(l, _)| tr.in_transit_at_end[l] - tr.in_transit_at_start[l])
            .sum();
        rel(shipped, received + transit_change);
    }
    // End uses never build more than required, and build only what their material allows.
    for t in 0..periods {
        for e in 0..spec.end_uses.len() {
            assert!(tr.built[t][e] <= tr.required[t][e] * (1.0 + 1e-12) + 1e-12);
            assert!(tr.built[t][e] >= 0.0);
        }
    }
    worst
}

#[test]
fn mass_balances_at_every_stage_and_period() {
    let m = model(rich_chain(156));
    let mut scratch = Scratch::new(&m);
    let mut tr = Trace::default();
    for trial in 0..50 {
        simulate(&m, 99, trial, &mut scratch, Some(&mut tr));
        let worst = check_mass_balance(&m, &tr);
        assert!(worst < 1e-9, "trial {trial}: residual {worst}");
    }
}

#[test]
fn a_trace_does_not_change_the_outcome() {
    let m = model(rich_chain(104));
    let mut a = Scratch::new(&m);
    let mut b = Scratch::new(&m);
    let mut tr = Trace::default();
    for trial in 0..20 {
        simulate(&m, 5, trial, &mut a, None);
        simulate(&m, 5, trial, &mut b, Some(&mut tr));
        assert_eq!(a.outcome(), b.outcome());
    }
}

fn bits(r: &chokepoint_engine::RunResults) -> Vec<u64> {
    let mut v = Vec::new();
    for o in r.end_uses.outcomes() {
        v.extend([o.demand.to_bits(), o.built.to_bits(), o.units_short.to_bits(), o.share_met.to_bits()]);
        v.extend([u64::from(o.short_periods), u64::from(o.longest_short_run)]);
        v.extend([o.first_short_period.map_or(u64::MAX, u64::from), o.recovery_period.map_or(u64::MAX, u64::from)]);
    }
    v.extend(r.stage_throughput_lost.iter().map(|x| x.to_bits()));
    v.extend(r.bands.iter().map(|&x| u64::from(x)));
    v
}

#[test]
fn results_are_bit_identical_for_1_2_and_8_threads() {
    let m = model(rich_chain(156));
    // Not a multiple of the chunk size, so the last chunk is partial.
    let cfg = |threads| RunConfig { trials: 1_000, seed: 7, threads, bands: true, first_trial: 0 };
    let one = run(&m, &cfg(1), &|_| {}).unwrap();
    let reference = bits(&one);
    for threads in [2, 8] {
        assert_eq!(bits(&run(&m, &cfg(threads), &|_| {}).unwrap()), reference, "threads = {threads}");
    }
    let s1 = chokepoint_engine::report::summarize_run(&m, &one);
    let s8 = chokepoint_engine::report::summarize_run(&m, &run(&m, &cfg(8), &|_| {}).unwrap());
    assert_eq!(s1, s8);
    // And the run does see shortfalls, so the comparison is not vacuous.
    assert!(s1.end_uses.iter().any(|e| e.p_any_short.k > 0));
}

#[test]
fn trial_i_is_the_same_whatever_else_runs() {
    // Trial 123 alone equals trial 123 inside a run of 500.
    let m = model(rich_chain(104));
    let r = run(&m, &RunConfig { trials: 500, seed: 11, threads: 2, bands: false, first_trial: 0 }, &|_| {}).unwrap();
    let mut scratch = Scratch::new(&m);
    simulate(&m, 11, 123, &mut scratch, None);
    assert_eq!(r.end_uses.trial(123), scratch.outcome().end_uses);
}

/// Runs `trials` trials of `m` and checks every one against the same trial simulated alone: its outcome, and
/// (through the fan-chart histograms) its weekly share of requirement met. Runs advance trials in lockstep
/// groups, so this checks that a trial's numbers do not depend on the trials beside it; on a processor with AVX2,
/// runs take the period loop compiled for it and a trial alone the baseline one, so it checks that the two
/// instruction sets give the same bits.
pub fn assert_every_trial_is_the_trial_alone(m: &Model, seed: u64, trials: u64) {
    use chokepoint_engine::stats::{SHARE_BINS, share_bin};
    let r = run(m, &RunConfig { trials, seed, threads: 2, bands: true, first_trial: 0 }, &|_| {}).unwrap();
    let (ne, ns, nsp, periods) = (r.n_end_uses, r.n_stages, r.n_stockpiles, r.periods);
    let mut scratch = Scratch::new(m);
    let mut bands = vec![0u32; ne * periods * SHARE_BINS];
    for trial in 0..trials as usize {
        simulate(m, seed, trial as u64, &mut scratch, None);
        let alone = scratch.outcome();
        assert_eq!(r.end_uses.trial(trial), alone.end_uses, "trial {trial} of {trials}");
        let lost: Vec<u64> =
            r.stage_throughput_lost[trial * ns..(trial + 1) * ns].iter().map(|x| x.to_bits()).collect();
        assert_eq!(lost, alone.stage_throughput_lost.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), "trial {trial}");
        let minimum: Vec<u64> = r.stockpile_min[trial * nsp..(trial + 1) * nsp].iter().map(|x| x.to_bits()).collect();
        assert_eq!(minimum, alone.stockpile_min.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), "trial {trial}");
        let released: Vec<u64> =
            r.stockpile_released[trial * nsp..(trial + 1) * nsp].iter().map(|x| x.to_bits()).collect();
        assert_eq!(released, alone.stockpile_released.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), "trial {trial}");
        for (cell, &x) in scratch.share_series.iter().enumerate() {
            bands[cell * SHARE_BINS + share_bin(x)] += 1;
        }
    }
    assert_eq!(r.bands, bands, "fan-chart counts of {trials} trials");
}

#[test]
fn every_trial_of_a_run_is_the_trial_simulated_alone() {
    // Trial counts that fill no lockstep group, part of one, several, and leave a short last group.
    let m = model(rich_chain(104));
    for trials in [1, 3, 5, 66, 131] {
        assert_every_trial_is_the_trial_alone(&m, 19, trials);
    }
}

#[test]
fn lead_times_beyond_the_arrivals_ring_give_the_same_trials_in_groups_and_alone() {
    // Shipments 32 periods ahead or more wait in a list for their row of the arrivals ring. With lead times of 1
    // to 40 weeks, a group's lanes land on both sides of it, as a trial alone does or does not.
    let mut spec = rich_chain(104);
    for link in &mut spec.links {
        link.lead_time_weeks = Param::uniform(1.0, 40.0).unwrap();
    }
    let m = model(spec);
    assert_every_trial_is_the_trial_alone(&m, 5, 131);
}

#[test]
fn stages_are_processed_suppliers_first_whatever_their_order_in_the_file() {
    // The rich chain with its stages listed customers first: every link between stages still runs from an
    // earlier to a later stage in processing order, and ties keep the file's order.
    let mut spec = rich_chain(52);
    let n = spec.stages.len();
    spec.stages.reverse();
    for l in &mut spec.links {
        l.from = n - 1 - l.from;
        if let chokepoint_engine::Node::Stage(s) = &mut l.to {
            *s = n - 1 - *s;
        }
    }
    for d in &mut spec.disruptions {
        if let chokepoint_engine::DisruptionKind::Outage { stages, .. } = &mut d.kind {
            stages.iter_mut().for_each(|s| *s = n - 1 - *s);
        }
    }
    let m = model(spec);
    let order = m.topological_stages();
    let position = |s: usize| order.iter().position(|&x| x == s).unwrap();
    for l in &m.spec().links {
        if let chokepoint_engine::Node::Stage(to) = l.to {
            assert!(position(l.from) < position(to), "link {} -> {to}", l.from);
        }
    }
    // The two mines (now stages 3 and 4) have no suppliers: the lower index comes first.
    assert_eq!(&order[..2], &[3, 4]);
    assert_every_trial_is_the_trial_alone(&m, 3, 9);
}

#[test]
fn adding_a_disruption_does_not_change_the_draws_of_the_others() {
    // Common random numbers: a new, never-active disruption leaves every trial's outcome unchanged.
    let base = rich_chain(104);
    let mut more = base.clone();
    more.disruptions.push(window(
        "never",
        chokepoint_engine::DisruptionKind::Outage { stages: vec![1], severity: chokepoint_engine::Param::ONE },
        500.0,
        1.0,
    ));
    let cfg = RunConfig { trials: 300, seed: 3, threads: 2, bands: false, first_trial: 0 };
    let a = run(&model(base), &cfg, &|_| {}).unwrap();
    let b = run(&model(more), &cfg, &|_| {}).unwrap();
    assert_eq!(a.end_uses, b.end_uses);
}

#[test]
fn progress_reaches_the_trial_count() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let m = model(rich_chain(52));
    let seen = AtomicU64::new(0);
    run(&m, &RunConfig { trials: 777, seed: 1, threads: 2, bands: false, first_trial: 0 }, &|done| {
        seen.fetch_max(done, Ordering::Relaxed);
    })
    .unwrap();
    assert_eq!(seen.load(Ordering::Relaxed), 777);
}

#[test]
fn a_progress_callback_can_cancel_the_run() {
    use std::ops::ControlFlow;
    use std::sync::atomic::{AtomicU64, Ordering};
    let m = model(rich_chain(52));
    let config = RunConfig { trials: 20_000, seed: 1, threads: 2, bands: true, first_trial: 0 };
    let calls = AtomicU64::new(0);
    let stopped = chokepoint_engine::run_cancellable(&m, &config, &|_| {
        calls.fetch_add(1, Ordering::Relaxed);
        ControlFlow::Break(())
    });
    match stopped {
        Err(chokepoint_engine::RunError::Cancelled { done, trials }) => {
            assert_eq!(trials, 20_000);
            assert!(done < trials, "{done} trials ran after the first chunk asked to stop");
        }
        other => panic!("not cancelled: {:?}", other.map(|r| r.trials)),
    }
    // Each worker finishes the chunk it holds, then no chunk starts.
    assert!(calls.load(Ordering::Relaxed) <= 2, "{} chunks ran", calls.load(Ordering::Relaxed));
    // A callback that never stops gives the results of `run`.
    let small = RunConfig { trials: 300, ..config };
    let go_on = chokepoint_engine::run_cancellable(&m, &small, &|_| ControlFlow::Continue(())).unwrap();
    assert_eq!(bits(&go_on), bits(&run(&m, &small, &|_| {}).unwrap()));
}

#[test]
fn metrics_stay_within_their_bounds() {
    let m = model(rich_chain(156));
    let r = run(&m, &RunConfig { trials: 400, seed: 2, threads: 2, bands: false, first_trial: 0 }, &|_| {}).unwrap();
    for o in r.end_uses.outcomes() {
        assert!(o.units_short >= 0.0 && o.units_short <= o.demand * (1.0 + 1e-12));
        assert!((0.0..=1.0).contains(&o.share_met));
        assert!(o.longest_short_run <= o.short_periods && o.short_periods <= 156);
        if let (Some(first), Some(rec)) = (o.first_short_period, o.recovery_period) {
            assert!(rec > first);
        }
        // Delays: every late unit waits at least one period and at most the longest delay.
        let late = o.units_late + o.units_owed_at_end;
        assert!(o.backlog_unit_periods >= late * (1.0 - 1e-9), "{o:?}");
        assert!(o.backlog_unit_periods <= late * f64::from(o.max_delay_periods) * (1.0 + 1e-9) + 1e-9, "{o:?}");
        assert!(o.peak_backlog <= o.backlog_unit_periods * (1.0 + 1e-9) + 1e-9);
        assert!(o.max_delay_periods <= 156 && o.units_late <= o.built * (1.0 + 1e-12));
        assert_eq!(o.units_lost + o.units_owed_at_end, o.units_short, "lost or owed, never both: {o:?}");
    }
}

/// Issue 11: the fan-chart histograms cost bins x periods x end uses whatever the trial count (6.3 GB for 4
/// trials of the default scenario at the 100,000-week limit). Beyond `MAX_BAND_CELLS` cells the bands keep every
/// `stride`-th period, and at most `MAX_HISTOGRAMS` histograms exist whatever the thread count.
#[test]
fn issue_11_band_memory_is_bounded_on_long_horizons() {
    use chokepoint_engine::stats::SHARE_BINS;
    let short = model(rich_chain(156));
    let r = run(&short, &RunConfig { trials: 4, seed: 3, threads: 1, bands: true, first_trial: 0 }, &|_| {}).unwrap();
    assert_eq!((r.band_stride, r.band_periods), (1, 156), "a short horizon keeps every period");

    let periods = 100_000;
    let long = model(rich_chain(periods));
    let ne = long.spec().end_uses.len();
    let stride = chokepoint_engine::band_stride(ne, periods);
    assert!(stride > 1 && ne * periods.div_ceil(stride) <= chokepoint_engine::MAX_BAND_CELLS);
    let cfg = |threads| RunConfig { trials: 3, seed: 3, threads, bands: true, first_trial: 0 };
    let one = run(&long, &cfg(1), &|_| {}).unwrap();
    assert_eq!((one.band_stride, one.band_periods), (stride, periods.div_ceil(stride)));
    assert_eq!(one.bands.len(), ne * one.band_periods * SHARE_BINS);
    // Every trial is counted once in every cell kept, and the counts do not depend on the thread count.
    assert!((0..ne).all(|e| (0..one.band_periods).all(|j| one.band(e, j).iter().sum::<u32>() == 3)));
    assert_eq!(one.bands, run(&long, &cfg(20), &|_| {}).unwrap().bands);
    let summary = chokepoint_engine::report::summarize_run(&long, &one);
    assert_eq!(summary.bands[0].quantiles.len(), one.band_periods);
    assert_eq!(summary.bands[0].period_stride, stride);
}

#[test]
fn a_run_of_no_trials_has_empty_columns() {
    // A run of 0 trials (the instruction gate's reference run) reads back as empty columns, never a panic.
    let m = model(rich_chain(52));
    let r = run(&m, &RunConfig { trials: 0, seed: 1, threads: 1, bands: false, first_trial: 0 }, &|_| {}).unwrap();
    assert!(r.n_stages > 1, "the chain has stages past the first to ask for");
    for s in 0..r.n_stages {
        assert_eq!((r.stage_lost(s).len(), r.stage_wanted(s).len()), (0, 0));
    }
    for k in 0..r.n_stockpiles {
        assert_eq!((r.stockpile_min(k).len(), r.stockpile_released(k).len()), (0, 0));
    }
}
