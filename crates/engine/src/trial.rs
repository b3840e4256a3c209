//! Trials: sample each trial's parameters and disruptions, then run the period loop of `docs/model.md`.
//!
//! Each period runs the steps of `docs/model.md`, "One period", one function each: (1) capacity, (2) demand,
//! (3) orders upstream, customers first, (4) production and shipping, suppliers first, within which (5) export
//! controls act on each shipment and (6) arrivals are received, and (7) end uses build. The loop reads only the
//! compiled plan (`plan.rs`) and the trials' state.
//!
//! Trials run in lockstep groups of `N` (one lane each, see `state.rs`): the loop walks the plan once per group
//! and does each step's arithmetic for every lane, so the bookkeeping is paid once per group. Each lane performs
//! exactly the floating-point operations of a trial run alone, in the same order (a choice between two values
//! takes the value the trial alone would have computed), and draws from its own streams, so a trial's numbers do
//! not depend on the trials beside it. [`simulate`] runs a group of one. All state lives in working memory that
//! is allocated once per worker and reused, so the period loop allocates nothing (but for the rare growth of the
//! arrivals schedule's lists of shipments beyond its rings).
//!
//! Names: `group` is the lockstep group's working memory (`Lockstep`); a `state` is the per-lane state of one
//! stage, link or end use beside its compiled plan entry. Single letters are indices only, each always of one
//! kind: `t` a period, `k` a lane, `e` an end use, `p` a stage, `i` an input slot, `o` an output slot, `l` a
//! link, `d` a disruption, `j` a stockpile, market, control or licensed link (named where it is bound).

// Lane loops (`for k in 0..N`) index several per-lane arrays by the lane; zipping four or five arrays instead
// reads worse than the model's formulas with `[k]` (see ARCHITECTURE.md, "Lockstep lanes").
#![allow(clippy::needless_range_loop)]

mod arrivals;
mod draw;
mod markets;
mod record;
mod state;

use rand::Rng;

use crate::model::Model;
use crate::outcome::{Trace, TrialOutcome};
use crate::plan::{CLASSES as NC, ControlKind, Plan, PlannedStage};
use crate::rng::{self, Stream};
use arrivals::{Arrivals, Schedule};
use draw::draw_trial;
use record::{NoRecord, Recorder, TraceRecorder};
pub(crate) use state::Lockstep;
use state::{InputState, LinkState, OutputState, StockpileState};

/// Relative tolerance below which unmet demand counts as met (floating-point noise, not a shortfall).
pub const SHORT_TOLERANCE: f64 = 1e-9;

/// Weight of the newest observation in a customer's smoothed lead-time estimate.
pub const LEAD_SMOOTHING: f64 = 0.25;

/// Weight of the newest observation in a customer's smoothed estimate of how much of its orders a supplier fills.
pub const FILL_SMOOTHING: f64 = 0.25;

/// The least weight a supplier's fill rate can give it, so that a supplier that recovers is ordered from again. A
/// supplier below it that shipped nothing of its last order is only probed (see `probed`).
pub const FILL_FLOOR: f64 = 0.05;

/// Per-trial working memory for [`simulate`], reused across trials.
#[derive(Debug, Clone)]
pub struct Scratch {
    group: Lockstep<1>,
    /// Share of requirement met, per end use and period (`e * T + t`), for fan charts.
    pub share_series: Vec<f32>,
    /// Backlog carried out of each period in weeks of that period's normal demand, per end use and period
    /// (`e * T + t`; 0 for lost-demand end uses), for fan charts.
    pub backlog_series: Vec<f32>,
}

impl Scratch {
    /// Working memory sized for `model`.
    pub fn new(model: &Model) -> Self {
        let group = Lockstep::new(model);
        let share_series = group.share_series[0].clone();
        let backlog_series = group.backlog_series[0].clone();
        Self { group, share_series, backlog_series }
    }

    /// The outcome of the last trial simulated with this scratch.
    pub fn outcome(&self) -> &TrialOutcome {
        &self.group.outcomes[0]
    }
}

/// Weeks to whole periods, rounding halves up; negative and NaN give 0 (`as` saturates). Cheaper than
/// `f64::round`, which is a library call on baseline x86-64.
#[inline]
fn periods_of(weeks: f64, period_weeks: f64) -> usize {
    (weeks / period_weeks + 0.5) as usize
}

/// Linear ramp from 0 at period `start` to 1 after `ramp` periods (a step when `ramp` is 0).
#[inline]
fn ramp_factor(t: f64, start: f64, ramp: f64) -> f64 {
    if t < start {
        0.0
    } else if ramp > 0.0 {
        at_most((t - start + 1.0) / ramp, 1.0)
    } else {
        1.0
    }
}

/// Whether a customer only probes the supplier of link `state` in lane `k`: its fill rate is below the floor and
/// it shipped nothing of the last order (cut off by an embargo or a denial, or empty). A supplier below the floor
/// that still ships part of its orders (held to a quota, short of capacity) keeps the floor's weight instead: when
/// every supplier below the floor was only probed, the orders to one held to a quota flipped between a probe,
/// which the quota let through in part and so lifted its fill rate above the floor, and the whole need, which sank
/// it below again; each whole-need order could take the supplier's stock by priority while the quota kept it at
/// the supplier, away from its other customers (issue 12, Chinese domestic demand in the default scenario).
#[inline(always)]
fn probed<const N: usize>(state: &LinkState<N>, k: usize) -> bool {
    // `&` rather than `&&`: both comparisons, without a branch, so that a loop over the lanes compiles to vector
    // comparisons.
    (state.fill[k] < FILL_FLOOR) & (state.last_fill[k] == 0.0)
}

/// `x.min(cap)` as one comparison, which compiles to one `minpd` where `f64::min` takes five instructions on
/// baseline x86-64. The same value as `f64::min` for every `x` (a NaN gives `cap`) when `cap` is a number other
/// than zero: `f64::min` differs only for a NaN `cap` and for zeros of opposite signs.
#[inline(always)]
fn at_most(x: f64, cap: f64) -> f64 {
    if x < cap { x } else { cap }
}

/// `x.max(floor)` as one comparison, the same value as `f64::max` for every `x` when `floor` is a number other
/// than zero (see [`at_most`]).
#[inline(always)]
fn at_least(x: f64, floor: f64) -> f64 {
    if x > floor { x } else { floor }
}

/// `x.min(y)` as one comparison: `y` where it is below `x`, else `x`. For every `x` that is not NaN this is the
/// value `f64::min` computes on baseline x86-64, whose lowering by LLVM is `y < x ? y : x` with a NaN `x` replaced
/// by `y` (six instructions for two lanes where this is one `minpd`), zeros of opposite signs included; a NaN `x`
/// stays NaN here. (With a constant `y`, LLVM compiles `f64::min` to `x < y ? x : y`: that is [`at_most`].)
#[inline(always)]
fn lesser(x: f64, y: f64) -> f64 {
    if y < x { y } else { x }
}

/// `x.max(y)` as one comparison, `y` where it is above `x`, else `x`: the value of `f64::max` on baseline x86-64
/// for every `x` that is not NaN (see [`lesser`]; with a constant `y` it is [`at_least`]).
#[inline(always)]
fn greater(x: f64, y: f64) -> f64 {
    if y > x { y } else { x }
}

/// Ends an iteration of a loop over records (links, here) whose body is lane arithmetic: an empty barrier that
/// emits no instruction and that LLVM's loop vectoriser cannot widen, so that it leaves the loop over the records
/// alone and the lane loops inside it are vectorised across the lanes. Without it, LLVM vectorised the commonest
/// ordering loop (`place_orders`) two links at a time, each lane of two links gathered into the halves of a
/// 128-bit register: 4 % more instructions and 5 % more time for the whole run.
#[inline(always)]
fn lanes_innermost() {
    std::hint::black_box(());
}

/// Whether lane `k` of `shipment` ships something of some class: `|` rather than `any()`, every comparison without
/// a branch, so that a loop over the lanes compiles to vector comparisons.
#[inline(always)]
fn ships_any<const N: usize>(shipment: &[[f64; N]; NC], k: usize) -> bool {
    (shipment[0][k] > 0.0) | (shipment[1][k] > 0.0) | (shipment[2][k] > 0.0)
}

/// `if condition(k) { a[k] } else { b[k] }`, for every lane `k`. The condition is a comparison per lane rather
/// than an array of `bool`s, which LLVM packed into bytes and unpacked again into a vector mask: compared in
/// place, each lane's comparison feeds its select.
#[inline(always)]
fn choose<const N: usize>(condition: impl Fn(usize) -> bool, a: [f64; N], b: [f64; N]) -> [f64; N] {
    std::array::from_fn(|k| if condition(k) { a[k] } else { b[k] })
}

/// An estimate smoothed towards `observed` with weight `weight` in the lanes where `moves`, every lane's value as
/// it was elsewhere: `value + weight × (observed - value)` there, `value + -0.0` elsewhere, which leaves every
/// number as it is. Not a choice between the new value and the old one: stored back over the old value, LLVM turns
/// such a choice into a masked store (`vmaskmovpd`), which is slow on AMD's processors.
#[inline(always)]
fn smoothed_where<const N: usize>(
    value: [f64; N],
    weight: f64,
    observed: impl Fn(usize) -> f64,
    moves: impl Fn(usize) -> bool,
) -> [f64; N] {
    let step: [f64; N] = std::array::from_fn(|k| if moves(k) { weight * (observed(k) - value[k]) } else { -0.0 });
    std::array::from_fn(|k| value[k] + step[k])
}

/// Simulates trial `trial` of a run seeded with `seed`. The outcome is left in `scratch.outcome()`, the
/// share-of-requirement and backlog series in `scratch.share_series` and `scratch.backlog_series`, and, when
/// asked, a full trace in `trace`.
pub fn simulate(model: &Model, seed: u64, trial: u64, scratch: &mut Scratch, trace: Option<&mut Trace>) {
    match trace {
        None => simulate_group(model, seed, [trial], &mut scratch.group, &mut NoRecord),
        Some(trace) => simulate_group(model, seed, [trial], &mut scratch.group, &mut TraceRecorder(trace)),
    }
    std::mem::swap(&mut scratch.share_series, &mut scratch.group.share_series[0]);
    std::mem::swap(&mut scratch.backlog_series, &mut scratch.group.backlog_series[0]);
}

/// Simulates `trials` in lockstep, trial `trials[k]` in lane `k`. Each lane's outcome is left in
/// `group.outcome(k)`, its share-of-requirement and backlog series in `group.share_series(k)` and
/// `group.backlog_series(k)`.
///
/// On a processor with AVX2 and FMA (x86-64-v3), the period loop runs as code compiled for them, chosen at run time
/// by `pulp` (whose `unsafe` stays in that crate): `simulate_group` and the steps below it are `#[inline(always)]`
/// so that all of them are compiled into its AVX2 function. Wider vectors change no number: each lane performs the
/// same IEEE 754 operations in the same order, and Rust never fuses a product and a sum into an FMA on its own.
/// [`simulate`] stays on the baseline instruction set, so the tests comparing every trial of a run with the trial
/// simulated alone compare the two, bit for bit, on any machine that has AVX2.
pub(crate) fn simulate_lanes<const N: usize>(model: &Model, seed: u64, trials: [u64; N], group: &mut Lockstep<N>) {
    pulp::Arch::new().dispatch(GroupRun { model, seed, trials, group });
}

/// A group's trials as `pulp` runs them, with the instruction set it chose.
struct GroupRun<'a, const N: usize> {
    model: &'a Model,
    seed: u64,
    trials: [u64; N],
    group: &'a mut Lockstep<N>,
}

impl<const N: usize> pulp::WithSimd for GroupRun<'_, N> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        simulate_group(self.model, self.seed, self.trials, self.group, &mut NoRecord);
    }
}

/// The trials of a group, recording through `recorder` (which sees lane 0: the tracer runs groups of one).
#[inline(always)]
fn simulate_group<const N: usize, R: Recorder>(
    model: &Model,
    seed: u64,
    trials: [u64; N],
    group: &mut Lockstep<N>,
    recorder: &mut R,
) {
    let plan = &model.plan;
    for (k, &trial) in trials.iter().enumerate() {
        draw_trial(plan, seed, trial, k, group);
    }
    trend_terms(plan, group);
    if plan.markets.any() {
        markets::open(group);
    }
    group.next_boundary = 0;
    recorder.trial_starts(plan, group);
    for t in 0..plan.periods {
        period(plan, group, t, recorder);
    }
    for (k, outcome) in group.outcomes.iter_mut().enumerate() {
        for (stage, state) in plan.stages.iter().zip(&group.stages) {
            outcome.stage_throughput_lost[stage.spec_index] = state.throughput_lost[k];
            outcome.stage_throughput_wanted[stage.spec_index] = state.throughput_wanted[k];
        }
        for (end_use_outcome, end_use) in outcome.end_uses.iter_mut().zip(&plan.end_uses) {
            // Backlogged demand built late sums to the demand only up to rounding: residues below the tolerance
            // are not units short.
            let short = end_use_outcome.demand - end_use_outcome.built;
            end_use_outcome.units_short = if short > SHORT_TOLERANCE * end_use_outcome.demand { short } else { 0.0 };
            end_use_outcome.share_met = if end_use_outcome.demand > 0.0 {
                (end_use_outcome.built / end_use_outcome.demand).min(1.0)
            } else {
                1.0
            };
            if !end_use.backlogged {
                end_use_outcome.units_lost = end_use_outcome.units_short;
            }
        }
    }
    // Shipments that would arrive after the horizon stay in `pipe` (in transit at the end); they were never
    // scheduled, so the arrivals schedule is empty again.
    debug_assert!(group.arrivals.is_empty());
    recorder.trial_ends(plan, group);
}

/// The terms of the demand trends that can be non-zero in this group: (end use, attribution) pairs, by node and
/// then end use, and each node's range of them.
///
/// A trend is `Iterator::sum` of attribution times growth over all end uses, which starts at -0.0. Every term
/// is +0.0 or positive (attributions are sums and ratios of non-negative flows, growth is positive), so after
/// the first term the sum is what it would be from +0.0, and adding a +0.0 term leaves it unchanged: the sum of
/// the non-zero terms from +0.0 has the same bits.
#[inline(always)]
fn trend_terms<const N: usize>(plan: &Plan, group: &mut Lockstep<N>) {
    group.trend_terms.clear();
    group.trend_nodes.clear();
    if !group.has_growth.iter().any(|&g| g) {
        return;
    }
    let nodes = group.trend.len();
    for node in 0..nodes {
        let first = group.trend_terms.len();
        for e in 0..plan.end_uses.len() {
            let attribution = group.attribution[e * nodes + node];
            if (0..N).any(|k| group.has_growth[k] && attribution[k] != 0.0) {
                group.trend_terms.push((e, attribution));
            }
        }
        group.trend_nodes.push(first..group.trend_terms.len());
    }
}

/// One period of the loop: the steps of `docs/model.md`, "One period".
#[inline(always)]
fn period<const N: usize, R: Recorder>(plan: &Plan, group: &mut Lockstep<N>, t: usize, recorder: &mut R) {
    if t == group.next_boundary {
        disruptions_start_or_end(plan, group, t);
    }
    group.stockpiles.iter_mut().for_each(|x| x.released_now = [0.0; N]);
    group.arrivals.advance(t);
    capacity(plan, group, t);
    demand(plan, group, t);
    orders_upstream(plan, group);
    production_and_shipping(plan, group, t, recorder);
    end_uses_build(plan, group, t, recorder);
    if plan.markets.any() {
        markets::clear(plan, group, t, recorder);
    }
}

/// At a period where some disruption of some trial starts or ends: each disruption's effect from now on, which
/// outages, demand shocks and link controls are active, and the next such period.
#[inline(always)]
fn disruptions_start_or_end<const N: usize>(plan: &Plan, group: &mut Lockstep<N>, t: usize) {
    let mut next_for_group = usize::MAX;
    for (k, own) in group.disruptions.iter_mut().enumerate() {
        if own.next_boundary != t {
            next_for_group = next_for_group.min(own.next_boundary);
            continue;
        }
        let mut next = usize::MAX;
        for d in 0..plan.disruptions.len() {
            let end = own.of_disruption[d].end;
            let mut i = own.next_interval[d];
            while i < end && own.intervals[i].end <= t {
                i += 1;
            }
            own.next_interval[d] = i;
            let (effect, boundary) = match own.intervals[i..end].first() {
                Some(x) if x.start <= t => (x.effect, x.end),
                Some(x) => (0.0, x.start),
                None => (0.0, usize::MAX),
            };
            group.effect_now[d][k] = effect;
            next = next.min(boundary);
        }
        own.next_boundary = next;
        next_for_group = next_for_group.min(next);
        let effect = &group.effect_now;
        for (state, link) in group.links.iter_mut().zip(&plan.links) {
            let controls = &plan.link_controls[link.controls.clone()];
            state.active_controls[k] = controls.iter().filter(|c| effect[c.disruption][k] != 0.0).count() as u32;
        }
    }
    group.next_boundary = next_for_group;
    let effect = &group.effect_now;
    let active = |d: usize| effect[d].iter().any(|&x| x != 0.0);
    group.outages_active = plan.outages.iter().any(|&(d, _)| active(d));
    group.demand_shocks_active = plan.demand_shocks.iter().any(|&(d, _)| active(d));
}

/// Step 1: each stage's capacity this period, after its ramp and outages; each node's demand trend; thrifting.
#[inline(always)]
fn capacity<const N: usize>(plan: &Plan, group: &mut Lockstep<N>, t: usize) {
    let time = t as f64;
    for stage in group.stages.iter_mut() {
        if stage.at_nameplate {
            // An availability of 1 in every lane, which stays (times 1 leaves the capacity's bits unchanged).
            for k in 0..N {
                stage.capacity_nominal[k] = stage.capacity_base[k] * stage.capacity_growth[k];
                stage.capacity_growth[k] *= stage.capacity_step[k];
                stage.capacity_now[k] = stage.capacity_nominal[k];
            }
            continue;
        }
        for k in 0..N {
            let availability = ramp_factor(time, stage.online_period[k], stage.ramp_periods[k]);
            stage.availability[k] = availability;
            stage.capacity_nominal[k] = stage.capacity_base[k] * stage.capacity_growth[k] * availability;
            stage.capacity_growth[k] *= stage.capacity_step[k];
            stage.capacity_now[k] = stage.capacity_nominal[k];
        }
        stage.at_nameplate = stage.availability.iter().all(|&a| a == 1.0);
    }
    if group.outages_active {
        for &(d, p) in &plan.outages {
            let effect = group.effect_now[d];
            let capacity = &mut group.stages[p].capacity_now;
            // A lane without the outage has an effect of zero: times exactly 1, which leaves its capacity's bits.
            for k in 0..N {
                capacity[k] *= 1.0 - effect[k];
            }
        }
    }

    // Demand trend of every node (growth factors before this period's step): the sum over end uses, in their
    // order, of attribution times growth. A trial without growth keeps a trend of 1.
    if group.has_growth.iter().any(|&g| g) {
        let every_lane_grows = group.has_growth.iter().all(|&g| g);
        for (trend, terms) in group.trend.iter_mut().zip(&group.trend_nodes) {
            let mut sum = [0.0; N];
            for (e, attribution) in &group.trend_terms[terms.clone()] {
                let growth = &group.end_uses[*e].demand_growth;
                for k in 0..N {
                    sum[k] += attribution[k] * growth[k];
                }
            }
            // Where some lane does not grow, the old trend is read through `black_box`: a choice against the value
            // in memory would be compiled to a masked store (see `smoothed_where`).
            *trend =
                if every_lane_grows { sum } else { choose(|k| group.has_growth[k], sum, std::hint::black_box(*trend)) };
        }
    }

    // Thrifting: intensity changes act on input quantities per unit of throughput.
    if !plan.intensity_changes.is_empty() {
        // Thrifting acts on top of the markets' demand destruction (a factor of exactly 1 without markets).
        for change in &plan.intensity_changes {
            // The trial's drawn intensity (a factor of 1 unless the end use's intensity is a distribution) times
            // the markets' demand destruction.
            let market = group.market_intensity[change.target];
            let input = &mut group.inputs[change.target];
            input.intensity_factor = std::array::from_fn(|k| input.base_factor[k] * market[k]);
        }
        for (change, [start, ramp, reduction]) in plan.intensity_changes.iter().zip(&group.intensity_plan) {
            let factor = &mut group.inputs[change.target].intensity_factor;
            for k in 0..N {
                factor[k] *= 1.0 - reduction[k] * ramp_factor(time, start[k], ramp[k]);
            }
        }
    }
}

/// Step 2: each end use's demand this period, and what it needs (demand plus backlog).
#[inline(always)]
fn demand<const N: usize>(plan: &Plan, group: &mut Lockstep<N>, t: usize) {
    let time = t as f64;
    for (e, end_use) in group.end_uses.iter_mut().enumerate() {
        let mut demand_now: [f64; N] = std::array::from_fn(|k| end_use.demand_base[k] * end_use.demand_growth[k]);
        end_use.normal_demand_now = demand_now;
        for (switch, [start, ramp, share]) in plan.demand_switches.iter().zip(&group.switch_plan) {
            if switch.target == e {
                for k in 0..N {
                    demand_now[k] *= 1.0 - share[k] * ramp_factor(time, start[k], ramp[k]);
                }
            }
        }
        for k in 0..N {
            end_use.demand_growth[k] *= end_use.demand_step[k];
        }
        if group.demand_shocks_active {
            for &(j, target) in &plan.demand_shocks {
                if target == e {
                    // A lane without the shock has an effect of zero: times exactly 1, which leaves its demand's bits.
                    let shock = group.effect_now[j];
                    for k in 0..N {
                        demand_now[k] *= 1.0 + shock[k];
                    }
                }
            }
        }
        // Demand destroyed by prices (a factor of exactly 1 without markets) is not demand short.
        end_use.demand_now = std::array::from_fn(|k| demand_now[k] * group.market_demand[e][k]);
        let demand_now = end_use.demand_now;
        end_use.required = std::array::from_fn(|k| demand_now[k] + end_use.backlog[k]);
    }
}

/// Step 3: orders travel upstream, end uses first, then stages customers first.
#[inline(always)]
fn orders_upstream<const N: usize>(plan: &Plan, group: &mut Lockstep<N>) {
    let first_end_use_node = plan.stages.len();
    let Lockstep { stages, end_uses, inputs, outputs, links, stockpiles, trend, .. } = group;
    let (stages, inputs, outputs, links, trend) =
        (&mut stages[..], &mut inputs[..], &mut outputs[..], &mut links[..], &trend[..]);
    for (e, end_use) in plan.end_uses.iter().enumerate() {
        let mut class_mix = [[0.0; N]; NC];
        class_mix[end_use.class] = [1.0; N];
        let order = Order {
            activity: &end_uses[e].required,
            class_mix: &class_mix,
            trend: &trend[first_end_use_node + e],
            scale: &[1.0; N],
        };
        let stockpiles = end_use.stockpiled.then_some(&stockpiles[..]);
        place_orders(plan, end_use.inputs.clone(), &order, stockpiles, inputs, links, Suppliers { stages, outputs });
    }
    // A range rather than `enumerate().rev()`, which computed each index from the slice's length (a division).
    for p in (0..plan.stages.len()).rev() {
        let stage = &plan.stages[p];
        let mut planned = [0.0f64; N];
        let mut class_orders = [[0.0; N]; NC];
        let trend = trend[p];
        for o in stage.outputs.clone() {
            let mut ordered = [[0.0; N]; NC];
            for &l in plan.customers_of(o) {
                let link_order = &links[l].order;
                for class in 0..NC {
                    for k in 0..N {
                        ordered[class][k] += link_order[class][k];
                    }
                }
            }
            let output = &mut outputs[o];
            output.ordered = ordered;
            let yield_per_unit = plan.outputs[o].yield_per_unit;
            let availability = stages[p].availability;
            for k in 0..N {
                // A stage short of its nameplate (ramping up) holds that share of its normal stock (an availability
                // of exactly 1 leaves the bits unchanged).
                let target = output.target[k] * trend[k] * availability[k];
                planned[k] = greater(
                    planned[k],
                    (ordered[0][k] + ordered[1][k] + ordered[2][k] + target - output.stock[k]) / yield_per_unit,
                );
                for class in 0..NC {
                    class_orders[class][k] += ordered[class][k] / yield_per_unit;
                }
            }
        }
        let state = &mut stages[p];
        let all_classes: [f64; N] =
            std::array::from_fn(|k| class_orders[0][k] + class_orders[1][k] + class_orders[2][k]);
        for class in 0..NC {
            // The quotient of every lane, kept where something was ordered.
            let mix = std::array::from_fn(|k| class_orders[class][k] / all_classes[k]);
            state.class_mix[class] = choose(|k| all_classes[k] > 0.0, mix, state.normal_class_mix[class]);
        }
        for k in 0..N {
            state.plan_uncapped[k] = at_least(planned[k], 0.0);
            state.plan[k] = lesser(state.plan_uncapped[k], state.capacity_now[k]);
        }
        let state = &stages[p];
        let order =
            Order { activity: &state.plan, class_mix: &state.class_mix, trend: &trend, scale: &state.availability };
        let stockpiles = stage.stockpiled.then_some(&stockpiles[..]);
        place_orders(plan, stage.inputs.clone(), &order, stockpiles, inputs, links, Suppliers { stages, outputs });
    }
}

/// What a node orders for, per lane: its activity this period, the class mix of what it serves, its demand
/// trend, and the share of its normal stock and pipeline it holds (a stage's availability: a plant ramping up to
/// its nameplate holds that share of the stocks of its nameplate flow; 1 for end uses). Borrowed rather than
/// copied, as the class mixes below: with 8 lanes a class mix is 192 bytes, whose copies were calls of `memcpy`.
#[derive(Debug, Clone, Copy)]
struct Order<'a, const N: usize> {
    activity: &'a [f64; N],
    class_mix: &'a [[f64; N]; NC],
    trend: &'a [f64; N],
    scale: &'a [f64; N],
}

/// Order-up-to ordering for the input slots `slots` of a node, split over suppliers by share and over classes by
/// the class mix. `stockpiles` is given when stockpiles serve the node.
///
/// The order brings the inventory position (stock plus pipeline) back to its target: target stock plus the
/// normal flow times the lead time the customer currently expects on each link. That expectation is smoothed
/// from what actually arrived, so buyers facing licence delays learn to order further ahead, as they did in 2025.
#[inline(always)]
fn place_orders<const N: usize>(
    plan: &Plan,
    slots: std::ops::Range<usize>,
    order: &Order<'_, N>,
    stockpiles: Option<&[StockpileState<N>]>,
    inputs: &[InputState<N>],
    links: &mut [LinkState<N>],
    suppliers: Suppliers<'_, N>,
) {
    let Suppliers { stages, outputs } = suppliers;
    let Order { activity, class_mix, trend, scale } = order;
    // Indexed rather than zipped (see the weights below).
    for i in slots {
        let (slot, input) = (&plan.inputs[i], &inputs[i]);
        // Scaled by the share held: a `scale` of exactly 1 (every lane at full availability, and end uses) leaves
        // the target's bits unchanged.
        let mut stock_target: [f64; N] = std::array::from_fn(|k| input.target[k] * trend[k] * scale[k]);
        if let Some(stockpiles) = stockpiles {
            // A stockpile below its size raises its customers' stock target by the deficit, so they order it.
            let deficit = stockpile_deficit(plan, stockpiles, i);
            for k in 0..N {
                stock_target[k] += deficit[k];
            }
        }
        let link_plans = &plan.links[slot.links.clone()];
        let links = &mut links[slot.links.clone()];
        let mut in_transit = [0.0; N];
        let mut pipe_target = [0.0; N];
        for state in links.iter() {
            for k in 0..N {
                in_transit[k] += state.pipe[k];
                pipe_target[k] += state.flow[k] * state.lead_estimate[k];
            }
        }
        let pipe_target: [f64; N] = std::array::from_fn(|k| pipe_target[k] * scale[k]);
        let need: [f64; N] = std::array::from_fn(|k| {
            let need = activity[k] * slot.quantity * input.intensity_factor[k]
                + (stock_target[k] - input.stock[k])
                + (pipe_target[k] * trend[k] - in_transit[k]);
            at_least(need, 0.0)
        });
        if let [only] = links {
            for class in 0..NC {
                only.order[class] = std::array::from_fn(|k| need[k] * class_mix[class][k]);
            }
            continue;
        }
        // Customers split their order by normal share, weighted by each supplier's availability (nothing to a
        // plant not yet online) and by the share of recent orders it actually shipped, so orders move away from
        // a supplier that is cut off, denied or short towards those that deliver; the fill rate counts for at least
        // `FILL_FLOOR`. A supplier cut off below the floor (`probed`) gets no part of what the customer needs: it
        // is only probed, with an order of `FILL_FLOOR` times its weight at full fill on top of the need, so that
        // a supplier that recovers is ordered from again and a probe it does not ship costs no demand.
        let mut total = [-0.0; N];
        let mut probed_base = [-0.0; N];
        let mut incumbents = [-0.0; N];
        let mut ramping = false;
        let mut any_probed = false;
        // Enumerated rather than zipped with the plan's links: zipping two slices of records computed the shorter
        // of their lengths, two divisions by the records' sizes, at every slot.
        for (j, state) in links.iter_mut().enumerate() {
            let link = &link_plans[j];
            let availability = &stages[link.supplier].availability;
            let base: [f64; N] = std::array::from_fn(|k| link.share * availability[k]);
            let probing: [bool; N] = std::array::from_fn(|k| probed(state, k));
            let full: [f64; N] = std::array::from_fn(|k| base[k] * at_least(state.fill[k], FILL_FLOOR));
            state.weight = choose(|k| probing[k], [0.0; N], full);
            for k in 0..N {
                total[k] += state.weight[k];
            }
            probed_base = choose(|k| probing[k], std::array::from_fn(|k| probed_base[k] + base[k]), probed_base);
            any_probed |= probing.iter().any(|&probing| probing);
        }
        // Suppliers short of their nameplate: only where some supplier may ramp (every supplier of the other slots
        // is always at full availability). Where one gets orders, the weight of those at full availability.
        if slot.may_ramp {
            for (j, state) in links.iter().enumerate() {
                let supplier = &stages[link_plans[j].supplier];
                if supplier.at_nameplate {
                    continue;
                }
                for k in 0..N {
                    ramping |= !(supplier.availability[k] >= 1.0) & (state.weight[k] > 0.0);
                }
            }
        }
        if ramping {
            for (state, link) in links.iter().zip(link_plans) {
                let availability = &stages[link.supplier].availability;
                for k in 0..N {
                    let full = availability[k] >= 1.0;
                    incumbents[k] = if full { incumbents[k] + state.weight[k] } else { incumbents[k] };
                }
            }
        }
        // The supplier's part of the need: by weight, or by share x availability among the probed when every
        // supplier is, or by share.
        let split = |state: &LinkState<N>, link: &crate::plan::PlannedLink, k: usize| -> f64 {
            let base = link.share * stages[link.supplier].availability[k];
            part_of_need(need[k], state.weight[k], total[k], base, probed_base[k], link.share)
        };
        // A supplier not yet at its nameplate (a plant ramping up, starting empty) gets orders only up to what it
        // can ship this period, its link's part of its output stock plus what its capacity can make; the rest
        // stays with the suppliers at full availability, by weight. Without the cap, an order diverted to a plant
        // that cannot fill it lowered the customer's claim on the suppliers that could, and supply added by a
        // mitigation made end uses worse.
        let mut excess = [0.0; N];
        if ramping {
            for (state, link) in links.iter().zip(link_plans) {
                let supplier = &stages[link.supplier];
                for k in 0..N {
                    if supplier.availability[k] >= 1.0 || !(incumbents[k] > 0.0) {
                        continue;
                    }
                    let yield_per_unit = plan.outputs[link.output].yield_per_unit;
                    let can = state.supplier_share[k]
                        * (outputs[link.output].stock[k] + supplier.capacity_now[k] * yield_per_unit);
                    let part = split(state, link, k);
                    if part > can {
                        excess[k] += part - can;
                    }
                }
            }
        }
        // Each supplier's part of the need, plus a probe for one cut off below the floor.
        let probed_split = |state: &LinkState<N>, link: &crate::plan::PlannedLink, k: usize| -> f64 {
            let part = split(state, link, k);
            let probe = need[k] * (link.share * stages[link.supplier].availability[k]) * FILL_FLOOR;
            if total[k] > 0.0 && probed(state, k) { part + probe } else { part }
        };
        if !ramping && !any_probed && total.iter().all(|&total| total > 0.0) {
            // The commonest case: no supplier probed and some weight in every lane, so that each supplier's part is
            // `part_of_need`'s first, by weight, and no probe is added.
            for state in links.iter_mut() {
                let part: [f64; N] = std::array::from_fn(|k| need[k] * state.weight[k] / total[k]);
                for class in 0..NC {
                    state.order[class] = std::array::from_fn(|k| part[k] * class_mix[class][k]);
                }
                lanes_innermost();
            }
            continue;
        }
        if !ramping {
            // The common case, written out so that it compiles without calls: `probed_split` for every supplier.
            for (state, link) in links.iter_mut().zip(link_plans) {
                let availability = &stages[link.supplier].availability;
                let part: [f64; N] = std::array::from_fn(|k| {
                    let base = link.share * availability[k];
                    let part = part_of_need(need[k], state.weight[k], total[k], base, probed_base[k], link.share);
                    if total[k] > 0.0 && probed(state, k) { part + need[k] * base * FILL_FLOOR } else { part }
                });
                for class in 0..NC {
                    state.order[class] = std::array::from_fn(|k| part[k] * class_mix[class][k]);
                }
            }
            continue;
        }
        for (state, link) in links.iter_mut().zip(link_plans) {
            let supplier = &stages[link.supplier];
            // A loop rather than `std::array::from_fn`, whose closure here was not inlined.
            let mut part = [0.0; N];
            for k in 0..N {
                let split = probed_split(state, link, k);
                part[k] = if !(excess[k] > 0.0) {
                    split
                } else if supplier.availability[k] >= 1.0 {
                    split + excess[k] * state.weight[k] / incumbents[k]
                } else {
                    let yield_per_unit = plan.outputs[link.output].yield_per_unit;
                    lesser(
                        split,
                        state.supplier_share[k]
                            * (outputs[link.output].stock[k] + supplier.capacity_now[k] * yield_per_unit),
                    )
                };
            }
            for class in 0..NC {
                state.order[class] = std::array::from_fn(|k| part[k] * class_mix[class][k]);
            }
        }
    }
}

/// What a customer reads of its suppliers when it orders: their state (availability, capacity) and their output
/// stocks.
#[derive(Clone, Copy)]
struct Suppliers<'a, const N: usize> {
    stages: &'a [state::StageState<N>],
    outputs: &'a [OutputState<N>],
}

/// A supplier's part of a customer's `need`: by its `weight` among the `total`, or, when every supplier is only
/// probed (`total` is 0), by its `base` weight (share x availability) among theirs, or else by its `share`. A
/// function rather than a closure so that it is inlined into the ordering loop.
#[inline(always)]
fn part_of_need(need: f64, weight: f64, total: f64, base: f64, probed_base: f64, share: f64) -> f64 {
    if total > 0.0 {
        need * weight / total
    } else if probed_base > 0.0 {
        need * base / probed_base
    } else {
        need * share
    }
}

/// What the stockpiles serving input slot `i` still need to rebuild (at most one period's rebuild rate each).
#[inline(always)]
fn stockpile_deficit<const N: usize>(plan: &Plan, stockpiles: &[StockpileState<N>], i: usize) -> [f64; N] {
    std::array::from_fn(|k| {
        plan.slot_stockpiles
            .iter()
            .filter(|&&(slot, _)| slot == i)
            .map(|&(_, j)| {
                let stockpile = &stockpiles[j];
                (stockpile.initial[k] - stockpile.level[k]).clamp(0.0, stockpile.rebuild_cap[k])
            })
            .sum()
    })
}

/// Step 4: stages, suppliers first, receive what arrives (step 6), draw on stockpiles, produce the least of
/// plan, capacity and what their inputs allow, and ship (step 5 acts on each shipment).
#[inline(always)]
fn production_and_shipping<const N: usize, R: Recorder>(
    plan: &Plan,
    group: &mut Lockstep<N>,
    t: usize,
    recorder: &mut R,
) {
    let Lockstep {
        stages,
        inputs,
        outputs,
        links,
        arrivals,
        stockpiles,
        trend,
        outcomes,
        effect_now,
        denial_below,
        licence_streams,
        ..
    } = group;
    let mut transport = Transport::new(t, links, arrivals);
    let mut controls = Controls { effect_now, denial_below, licence_streams };
    let (stages, inputs, outputs) = (&mut stages[..], &mut inputs[..], &mut outputs[..]);
    for (p, stage) in plan.stages.iter().enumerate() {
        let spec_index = stage.spec_index;
        recorder.stage_opens(t, stage, inputs, outputs);
        let mut throughput = stages[p].plan;
        let class_mix = &stages[p].class_mix;
        for i in stage.inputs.clone() {
            let got = transport.receive(plan, i);
            let input = &mut inputs[i];
            for k in 0..N {
                input.stock[k] += got[k];
            }
            let released = if stage.stockpiled {
                let reserves = Reserves { stockpiles, outcomes, effect_now: controls.effect_now };
                release(plan, inputs, reserves, i, throughput, class_mix)
            } else {
                [0.0; N]
            };
            recorder.stage_input_received(t, spec_index, got[0], released[0]);
            let input = &inputs[i];
            let quantity = plan.inputs[i].quantity;
            for k in 0..N {
                throughput[k] = lesser(throughput[k], input.stock[k] / (quantity * input.intensity_factor[k]));
            }
        }
        let throughput = throughput.map(|x| at_least(x, 0.0));
        for i in stage.inputs.clone() {
            let input = &mut inputs[i];
            let quantity = plan.inputs[i].quantity;
            let used: [f64; N] =
                std::array::from_fn(|k| lesser(throughput[k] * quantity * input.intensity_factor[k], input.stock[k]));
            for k in 0..N {
                input.stock[k] -= used[k];
            }
            let factor = input.intensity_factor;
            let rebuilt = if stage.stockpiled { rebuild(plan, inputs, stockpiles, trend[p], i) } else { [0.0; N] };
            recorder.stage_input_consumed(t, spec_index, used[0], factor[0], rebuilt[0]);
        }
        let state = &mut stages[p];
        for k in 0..N {
            let wanted = lesser(state.plan_uncapped[k], state.capacity_nominal[k]);
            state.throughput_lost[k] += at_least(wanted - throughput[k], 0.0);
            state.throughput_wanted[k] += wanted;
        }
        for o in stage.outputs.clone() {
            let yield_per_unit = plan.outputs[o].yield_per_unit;
            let made = throughput.map(|x| x * yield_per_unit);
            let output = &mut outputs[o];
            for k in 0..N {
                output.stock[k] += made[k];
            }
            let shipped = ship(plan, stage, o, output, &mut transport, &mut controls, recorder);
            recorder.stage_output_shipped(t, spec_index, made[0], shipped[0]);
        }
        recorder.stage_closes(t, stage, throughput[0], inputs, outputs);
    }
}

/// Step 7: end uses build what their stock allows; the rest of what they need is a shortfall, lost or
/// backlogged.
#[inline(always)]
fn end_uses_build<const N: usize, R: Recorder>(plan: &Plan, group: &mut Lockstep<N>, t: usize, recorder: &mut R) {
    let t_len = group.periods;
    let first_slot = plan.end_use_inputs.start;
    let first_end_use_node = plan.stages.len();
    let period_weeks = plan.period_weeks;
    let Lockstep {
        end_uses,
        inputs,
        links,
        arrivals,
        stockpiles,
        trend,
        outcomes,
        backlog_series,
        cumulative_demand,
        effect_now,
        share_series,
        ..
    } = group;
    let mut transport = Transport::new(t, links, arrivals);
    let inputs = &mut inputs[..];
    // (Stockpile release caps are per period; the loop below may still release.)
    for (e, end_use) in plan.end_uses.iter().enumerate() {
        let slots = end_use.inputs.clone();
        let required = end_uses[e].required;
        let mut can = required;
        let mut class_mix = [[0.0; N]; NC];
        class_mix[end_use.class] = [1.0; N];
        for i in slots.clone() {
            let got = transport.receive(plan, i);
            let input = &mut inputs[i];
            for k in 0..N {
                input.stock[k] += got[k];
            }
            if end_use.stockpiled {
                let reserves = Reserves { stockpiles, outcomes, effect_now };
                let released = release(plan, inputs, reserves, i, required, &class_mix);
                recorder.end_use_released(i - first_slot, released[0]);
            }
            let input = &inputs[i];
            let quantity = plan.inputs[i].quantity;
            for k in 0..N {
                can[k] = lesser(can[k], input.stock[k] / (quantity * input.intensity_factor[k]));
            }
        }
        let built: [f64; N] = std::array::from_fn(|k| {
            if can[k] >= required[k] * (1.0 - SHORT_TOLERANCE) { required[k] } else { at_least(can[k], 0.0) }
        });
        for i in slots {
            let input = &mut inputs[i];
            let quantity = plan.inputs[i].quantity;
            let used: [f64; N] =
                std::array::from_fn(|k| lesser(built[k] * quantity * input.intensity_factor[k], input.stock[k]));
            for k in 0..N {
                input.stock[k] -= used[k];
            }
            let rebuilt = if end_use.stockpiled {
                rebuild(plan, inputs, stockpiles, trend[first_end_use_node + e], i)
            } else {
                [0.0; N]
            };
            recorder.end_use_consumed(i - first_slot, used[0], rebuilt[0]);
        }
        let state = &mut end_uses[e];
        for k in 0..N {
            let unmet = required[k] - built[k];
            let carried_in = state.backlog[k];
            state.backlog[k] = if end_use.backlogged { unmet } else { 0.0 };
            share_series[k][e * t_len + t] = if required[k] > 0.0 { (built[k] / required[k]) as f32 } else { 1.0 };
            let outcome = &mut outcomes[k].end_uses[e];
            if end_use.backlogged {
                let delays = Delays {
                    cumulative_demand,
                    backlog_series: &mut backlog_series[k],
                    outcome,
                    periods: t_len,
                    period_weeks,
                };
                record_delay(state, k, e, t, carried_in, built[k], delays);
            }
            outcome.demand += state.demand_now[k];
            outcome.built += built[k];
            if unmet > 0.0 {
                outcome.short_periods += 1;
                outcome.first_short_period.get_or_insert(t as u32);
                state.short_run[k] += 1;
                outcome.longest_short_run = outcome.longest_short_run.max(state.short_run[k]);
                outcome.recovery_period = None;
            } else {
                if state.short_run[k] > 0 {
                    outcome.recovery_period = Some(t as u32);
                }
                state.short_run[k] = 0;
            }
        }
        recorder.end_use_built(t, e, built[0], required[0], state.demand_now[0]);
    }
}

/// Where [`record_delay`] keeps its sums and results for one trial.
struct Delays<'a, const N: usize> {
    /// Cumulative new demand per end use and period (`e * T + t`), all lanes.
    cumulative_demand: &'a mut [[f64; N]],
    /// The trial's backlog in weeks of normal demand per end use and period (`e * T + t`).
    backlog_series: &'a mut [f32],
    outcome: &'a mut crate::outcome::EndUseOutcome,
    /// Periods in the horizon, and weeks per period.
    periods: usize,
    period_weeks: f64,
}

/// Delay bookkeeping of backlogged end use `e` in lane `k` after it built `built` in period `t`, with `carried_in`
/// units owed from earlier periods (`state.backlog` already holds what it carries out). Built units serve the
/// oldest demand first, so the units delivered late this period are `min(built, carried_in)`, and the oldest unit
/// still owed is found from cumulative demand against cumulative builds: its age is the longest delay so far.
#[inline(always)]
fn record_delay<const N: usize>(
    state: &mut state::EndUseState<N>,
    k: usize,
    e: usize,
    t: usize,
    carried_in: f64,
    built: f64,
    delays: Delays<'_, N>,
) {
    let Delays { cumulative_demand, backlog_series, outcome, periods: t_len, period_weeks } = delays;
    let row = e * t_len;
    let previous = if t > 0 { cumulative_demand[row + t - 1][k] } else { 0.0 };
    cumulative_demand[row + t][k] = previous + state.demand_now[k];
    let owed = state.backlog[k];
    outcome.units_late += lesser(built, carried_in);
    if owed > 0.0 {
        state.cumulative_built[k] += built;
        outcome.backlog_unit_periods += owed;
        outcome.peak_backlog = greater(outcome.peak_backlog, owed);
        let normal = state.normal_demand_now[k];
        let weeks = if normal > 0.0 { owed / normal * period_weeks } else { 0.0 };
        outcome.peak_backlog_weeks = greater(outcome.peak_backlog_weeks, weeks);
        backlog_series[row + t] = weeks as f32;
        // The oldest period whose demand is not yet all built; a relative tolerance absorbs rounding in the sums.
        let built_so_far = state.cumulative_built[k];
        let oldest = &mut state.oldest_owed_period[k];
        while *oldest < t && cumulative_demand[row + *oldest][k] <= built_so_far * (1.0 + 1e-9) {
            *oldest += 1;
        }
        outcome.max_delay_periods = outcome.max_delay_periods.max((t + 1 - *oldest) as u32);
    } else {
        // Everything demanded so far is built: restart the sums from here, so rounding cannot accumulate.
        state.cumulative_built[k] = cumulative_demand[row + t][k];
        state.oldest_owed_period[k] = t + 1;
        backlog_series[row + t] = 0.0;
    }
    if t + 1 == t_len {
        outcome.units_owed_at_end = owed;
    }
}

/// Releases stockpiled material into input slot `i` when its stock cannot cover `activity`, for the share of
/// its demand in the stockpile's release classes, within the stockpile's per-period cap (and, for a stockpile
/// released only during a disruption, while that disruption is active).
#[inline(always)]
fn release<const N: usize>(
    plan: &Plan,
    inputs: &mut [InputState<N>],
    reserves: Reserves<'_, N>,
    i: usize,
    activity: [f64; N],
    class_mix: &[[f64; N]; NC],
) -> [f64; N] {
    let Reserves { stockpiles, outcomes, effect_now } = reserves;
    let mut total = [0.0; N];
    for k in 0..N {
        for &(slot, j) in &plan.slot_stockpiles {
            if slot != i {
                continue;
            }
            // A stockpile that releases only during a disruption waits for it.
            if let Some(d) = plan.stockpiles[j].release_while
                && effect_now[d][k] == 0.0
            {
                continue;
            }
            let input = &mut inputs[i];
            let gap = activity[k] * plan.inputs[i].quantity * input.intensity_factor[k] - input.stock[k];
            if !(gap > 0.0) {
                break;
            }
            let class_share: f64 = plan.stockpiles[j].release_classes.iter().map(|&class| class_mix[class][k]).sum();
            let stockpile = &mut stockpiles[j];
            let amount = (gap * class_share.min(1.0))
                .min(stockpile.release_cap[k] - stockpile.released_now[k])
                .min(stockpile.level[k]);
            if amount > 0.0 {
                stockpile.level[k] -= amount;
                stockpile.released_now[k] += amount;
                input.stock[k] += amount;
                let outcome = &mut outcomes[k];
                outcome.stockpile_released[j] += amount;
                outcome.stockpile_min[j] = outcome.stockpile_min[j].min(stockpile.level[k]);
                total[k] += amount;
            }
        }
    }
    total
}

/// What stockpile releases read and change: the stockpiles, the trials' outcomes (releases and lowest levels)
/// and the disruptions' effects this period (for stockpiles released only during a disruption).
struct Reserves<'a, const N: usize> {
    stockpiles: &'a mut [StockpileState<N>],
    outcomes: &'a mut [TrialOutcome],
    effect_now: &'a [[f64; N]],
}

/// Moves a node's stock above its own target (at demand trend `trend`) into the stockpiles serving input `i`
/// that are below their size.
#[inline(always)]
fn rebuild<const N: usize>(
    plan: &Plan,
    inputs: &mut [InputState<N>],
    stockpiles: &mut [StockpileState<N>],
    trend: [f64; N],
    i: usize,
) -> [f64; N] {
    let mut total = [0.0; N];
    for k in 0..N {
        for &(slot, j) in &plan.slot_stockpiles {
            if slot != i {
                continue;
            }
            let input = &mut inputs[i];
            let surplus = input.stock[k] - input.target[k] * trend[k];
            let stockpile = &mut stockpiles[j];
            let room = (stockpile.initial[k] - stockpile.level[k]).min(stockpile.rebuild_cap[k]);
            let amount = surplus.min(room);
            if amount > 0.0 {
                input.stock[k] -= amount;
                stockpile.level[k] += amount;
                total[k] += amount;
            }
        }
    }
    total
}

/// Material on its way in period `t`: the links' state and the arrivals schedule.
struct Transport<'a, const N: usize> {
    links: &'a mut [LinkState<N>],
    schedule: Schedule<'a, N>,
    t: usize,
}

/// The export controls in force this period, the denial probabilities and the licence streams.
struct Controls<'a, const N: usize> {
    effect_now: &'a [[f64; N]],
    denial_below: &'a [[[u64; NC]; N]],
    licence_streams: &'a mut [[Stream; N]],
}

impl<'a, const N: usize> Transport<'a, N> {
    fn new(t: usize, links: &'a mut [LinkState<N>], arrivals: &'a mut Arrivals<N>) -> Self {
        Self { links, schedule: arrivals.schedule(), t }
    }

    /// Step 6: takes this period's arrivals on the links into input slot `i`, and returns the quantity.
    #[inline(always)]
    fn receive(&mut self, plan: &Plan, i: usize) -> [f64; N] {
        let t = self.t;
        let mut got = [0.0; N];
        // Indexed rather than zipped: a slot has one or two links, and zipping the range with two slices computed
        // the shortest of their lengths (two divisions by the records' sizes) at every call.
        for l in plan.inputs[i].links.clone() {
            let (state, link) = (&mut self.links[l], &plan.links[l]);
            let arriving = self.schedule.take(t, l);
            if let Some(j) = link.licensed {
                let shipped_at = self.schedule.take_ship_time(t, j);
                // The estimate moves where something arrived.
                let observed = |k: usize| t as f64 - shipped_at[k] / arriving[k];
                state.lead_estimate =
                    smoothed_where(state.lead_estimate, LEAD_SMOOTHING, observed, |k| arriving[k] != 0.0);
            }
            // A lane with nothing arriving subtracts and adds its +0.0 (a bucket is +0.0 or positive, see `ship`),
            // which leaves `pipe` and `got` (+0.0 or positive) with their bits.
            for k in 0..N {
                state.pipe[k] -= arriving[k];
                got[k] += arriving[k];
            }
        }
        got
    }
}

/// Allocates output slot `o` of `stage` to its customers by class priority (or pro rata) and ships, each
/// shipment under the link's export controls (step 5), to arrive after its lead time plus any review (step 6).
/// Returns the quantity that left the stage.
#[inline(always)]
fn ship<const N: usize, R: Recorder>(
    plan: &Plan,
    stage: &PlannedStage,
    o: usize,
    output: &mut OutputState<N>,
    transport: &mut Transport<'_, N>,
    controls: &mut Controls<'_, N>,
    recorder: &mut R,
) -> [f64; N] {
    let links = plan.customers_of(o);
    if links.is_empty() {
        return [0.0; N];
    }
    let Transport { links: link_states, schedule, t } = transport;
    let t = *t;
    let mut avail = output.stock;
    let ordered_by_class = &output.ordered;
    // Fraction of each class's orders that can be served.
    let mut frac = [[0.0; N]; NC];
    let (priority, ranked) = stage.allocation;
    if ranked == 0 {
        for k in 0..N {
            let total = ordered_by_class[0][k] + ordered_by_class[1][k] + ordered_by_class[2][k];
            // The quotient of every lane, kept where something was ordered.
            let fraction = at_most(avail[k] / total, 1.0);
            let fraction = if total > 0.0 { fraction } else { 0.0 };
            for class in 0..NC {
                frac[class][k] = fraction;
            }
        }
    } else {
        for &class in &priority[..usize::from(ranked)] {
            let class = usize::from(class);
            let wanted = ordered_by_class[class];
            // Computed in every lane, used only where `wanted` is positive.
            let give: [f64; N] = std::array::from_fn(|k| at_most(avail[k], wanted[k]));
            let served: [f64; N] = std::array::from_fn(|k| give[k] / wanted[k]);
            let positive = |k: usize| wanted[k] > 0.0;
            // A class's fractions are set here only: lanes that want nothing of it keep their 0.
            frac[class] = choose(positive, served, [0.0; N]);
            avail = choose(positive, std::array::from_fn(|k| avail[k] - give[k]), avail);
        }
    }
    let mut shipped_total = [0.0; N];
    // The output stock as the links take from it, kept aside from the output for the loop.
    let mut stock = output.stock;
    for &l in links {
        let link_state = &mut link_states[l];
        // The order is read in place (with 8 lanes a copy of it was a call of `memcpy`).
        let order = &link_state.order;
        let only_class = plan.links[l].only_class;
        // A link that carries one class only has orders of +0.0 in the others, which leave its order and its
        // shipment (+0.0 or above) as they are in the sums over classes.
        debug_assert!(only_class.is_none_or(|only| {
            (0..NC).all(|class| class == only || order[class].iter().all(|v| v.to_bits() == 0))
        }));
        let ordered: [f64; N] = match only_class {
            Some(class) => order[class],
            None => std::array::from_fn(|k| order[0][k] + order[1][k] + order[2][k]),
        };
        let mut delay = [0usize; N];
        let quantity: [f64; N] = if link_state.active_controls.iter().any(|&a| a > 0) {
            let mut shipment: [[f64; N]; NC] =
                std::array::from_fn(|class| std::array::from_fn(|k| order[class][k] * frac[class][k]));
            // Controls act only on what would ship: with nothing to ship they draw nothing and change nothing.
            // `&` rather than `&&`: every comparison, without a branch, so that they compile to vector comparisons.
            let acting: [bool; N] =
                std::array::from_fn(|k| (link_state.active_controls[k] != 0) & ships_any(&shipment, k));
            delay = export_controls(plan, l, acting, &link_state.flow, &mut shipment, controls);
            std::array::from_fn(|k| at_least(lesser(shipment[0][k] + shipment[1][k] + shipment[2][k], stock[k]), 0.0))
        } else {
            // Without an active control, each class's part goes straight into the sum: the same products and
            // sums as above, without storing the parts.
            match only_class {
                Some(class) => {
                    std::array::from_fn(|k| at_least(lesser(order[class][k] * frac[class][k], stock[k]), 0.0))
                }
                None => std::array::from_fn(|k| {
                    let wanted = order[0][k] * frac[0][k] + order[1][k] * frac[1][k] + order[2][k] * frac[2][k];
                    at_least(lesser(wanted, stock[k]), 0.0)
                }),
            }
        };
        let observed: [f64; N] = std::array::from_fn(|k| at_most(quantity[k] / ordered[k], 1.0));
        let placed = |k: usize| ordered[k] > 0.0;
        // The smoothed fill rate moves where an order was placed.
        link_state.fill = smoothed_where(link_state.fill, FILL_SMOOTHING, |k| observed[k], placed);
        // And the last fill observed, chosen from a copy taken through `black_box` (see `smoothed_where`).
        link_state.last_fill = choose(placed, observed, std::hint::black_box(link_state.last_fill));
        link_state.shipped_now = quantity;
        let shipped = quantity.map(|q| q > 0.0);
        // A lane that ships nothing has a `quantity` of +0.0 (`at_least` gives +0.0 for anything not above it), which
        // leaves the stock, the total and the pipeline with their bits (none of them is ever -0.0: they start at
        // +0.0 or above, and a difference of equal numbers is +0.0).
        for k in 0..N {
            stock[k] -= quantity[k];
            shipped_total[k] += quantity[k];
            link_state.pipe[k] += quantity[k];
        }
        for k in 0..N {
            if shipped[k] {
                recorder.shipment(t, l, quantity[k], t + delay[k]);
            }
        }
        let Some(j) = plan.links[l].licensed else {
            // Without licensing there is no review delay: each lane's shipment arrives its lead time on. Lanes that
            // ship nothing add their zero: a bucket is +0.0 or positive (it starts at +0.0 and only receives
            // shipments), and adding +0.0 or -0.0 to it leaves its bits unchanged.
            schedule.add(t, &link_state.lead, link_state.longest_lead, l, &quantity);
            continue;
        };
        let arrive: [usize; N] = std::array::from_fn(|k| t + link_state.lead[k] + delay[k]);
        if arrive.iter().all(|&a| a == arrive[0]) {
            // Every trial's shipment arrives in the same period: one bucket for all lanes.
            schedule.add_licensed_lanes(t, arrive[0], l, j, &quantity);
        } else {
            schedule.add_licensed(t, &arrive, l, j, &quantity);
        }
    }
    output.stock = stock;
    shipped_total
}

/// Step 5: the export controls on link `l` act on `shipment` (per class and lane, changed in place) in the lanes
/// that are `acting`: embargoes cap them, licensing regimes deny classes and hold them for a review. Returns
/// each lane's review delay in periods. `flow` is the link's normal flow in each trial.
///
/// Control by control, each for every acting lane: a lane meets its controls in the plan's order, as a trial alone
/// does, and draws from its own stream of each regime, so its draws and numbers do not depend on the other lanes;
/// a control is looked up once for the lanes rather than once per lane.
#[inline(always)]
fn export_controls<const N: usize>(
    plan: &Plan,
    l: usize,
    acting: [bool; N],
    flow: &[f64; N],
    shipment: &mut [[f64; N]; NC],
    controls: &mut Controls<'_, N>,
) -> [usize; N] {
    let mut delay = [0; N];
    let mut quota = [f64::INFINITY; N];
    for j in plan.links[l].controls.clone() {
        let control = &plan.link_controls[j];
        let d = control.disruption;
        let effect = &controls.effect_now[d];
        match &control.kind {
            // An embargo: a cut of `effect` caps the link at (1 - effect) of its normal flow, so more orders cannot
            // beat a quota.
            ControlKind::Embargo => {
                for k in 0..N {
                    let capped = quota[k].min((1.0 - effect[k]) * flow[k]);
                    quota[k] = if acting[k] & (effect[k] != 0.0) { capped } else { quota[k] };
                }
            }
            // Licensing: each class's part is denied with the class's probability, and what is left waits a review
            // time drawn per shipment. Several regimes: any denial holds back, the longest review applies.
            ControlKind::Licensing { review } => {
                let (streams, denial_below) = (&mut controls.licence_streams[j], &controls.denial_below[d]);
                // A denial compares a draw's top 53 bits with the class's threshold, exactly as `rand`'s uniform
                // `f64` with the probability, without converting them (a lognormal review time likewise).
                let review_periods =
                    |rng: &mut Stream| review.sample_periods(rng, |weeks| periods_of(weeks, plan.period_weeks));
                // The lanes that draw: acting, with the regime in force, and something to ship (compared in every
                // lane, without a branch).
                let in_force: [bool; N] = std::array::from_fn(|k| acting[k] & (effect[k] != 0.0));
                if let Some(class) = plan.links[l].only_class {
                    // A link that carries one class only ships +0.0 of the others (`PlannedLink::only_class`), which
                    // the loop below skips without a draw: that class alone, with the same draws in the same order.
                    let draws: [bool; N] = std::array::from_fn(|k| in_force[k] & (shipment[class][k] > 0.0));
                    for k in 0..N {
                        if !draws[k] {
                            continue;
                        }
                        let mut rng = streams[k].clone();
                        if rng::uniform_bits(rng.next_u64()) < denial_below[k][class] {
                            shipment[class][k] = 0.0;
                        }
                        delay[k] = delay[k].max(review_periods(&mut rng));
                        streams[k] = rng;
                    }
                    continue;
                }
                let draws: [bool; N] = std::array::from_fn(|k| in_force[k] & ships_any(shipment, k));
                for k in 0..N {
                    if !draws[k] {
                        continue;
                    }
                    // A copy of the stream, so that its state stays in registers between the draws (stored after each
                    // through the reference, as LLVM did not know that no shipment is the stream).
                    let mut rng = streams[k].clone();
                    for class in 0..NC {
                        if shipment[class][k] > 0.0 && rng::uniform_bits(rng.next_u64()) < denial_below[k][class] {
                            shipment[class][k] = 0.0;
                        }
                    }
                    delay[k] = delay[k].max(review_periods(&mut rng));
                    streams[k] = rng;
                }
            }
        }
    }
    let total: [f64; N] = std::array::from_fn(|k| shipment[0][k] + shipment[1][k] + shipment[2][k]);
    let capped: [bool; N] = std::array::from_fn(|k| acting[k] & (total[k] > quota[k]));
    // Most shipments are under their quota in every lane (or have none): then nothing to divide. Folded with `|`,
    // every comparison without a branch.
    if !capped.iter().fold(false, |any, &capped| any | capped) {
        return delay;
    }
    // Every lane's quotient and products, kept in the acting lanes above their quota.
    let fraction: [f64; N] = std::array::from_fn(|k| if total[k] > 0.0 { quota[k] / total[k] } else { 0.0 });
    for class in 0..NC {
        // Times exactly 1 in the lanes not capped, which leaves their bits.
        for k in 0..N {
            shipment[class][k] *= if capped[k] { fraction[k] } else { 1.0 };
        }
    }
    delay
}
