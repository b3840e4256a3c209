//! One trial: sample the trial's parameters and disruptions, then run the period loop of `docs/model.md`.
//!
//! Each period runs the steps of `docs/model.md`, "One period", one function each: (1) capacity, (2) demand,
//! (3) orders upstream, customers first, (4) production and shipping, suppliers first, within which (5) export
//! controls act on each shipment and (6) arrivals are received, and (7) end uses build. The loop reads only the
//! compiled [`Plan`] and the trial's state; all state lives in a [`Scratch`] that is allocated once per worker
//! and reused, so the period loop allocates nothing.

mod draw;
mod record;

use rand::RngExt;

use crate::model::Model;
use crate::outcome::{EndUseOutcome, Trace, TrialOutcome};
use crate::plan::{CLASSES as NC, ControlKind, Plan, PlannedStage};
use crate::rng::{self, Stream};
use draw::draw_trial;
use record::{NoRecord, Recorder, TraceRecorder};

/// Relative tolerance below which unmet demand counts as met (floating-point noise, not a shortfall).
pub const SHORT_TOLERANCE: f64 = 1e-9;

/// Weight of the newest observation in a customer's smoothed lead-time estimate.
pub const LEAD_SMOOTHING: f64 = 0.25;

/// Weight of the newest observation in a customer's smoothed estimate of how much of its orders a supplier fills.
pub const FILL_SMOOTHING: f64 = 0.25;

/// The least weight a supplier's fill rate can give it, so that a supplier that recovers is ordered from again.
pub const FILL_FLOOR: f64 = 0.05;

/// The state of one stage, in processing order.
#[derive(Debug, Clone, Copy, Default)]
struct StageState {
    /// Capacity per period at nameplate at the start of the horizon (drawn per trial).
    capacity_base: f64,
    /// Capacity growth factor per period (drawn per trial).
    capacity_step: f64,
    /// Capacity growth since the start of the horizon, before this period's step.
    capacity_growth: f64,
    /// Period the stage comes online, and periods of ramp to nameplate (drawn per trial).
    online_period: f64,
    ramp_periods: f64,
    /// This period's availability (0 before it comes online, ramping to 1).
    availability: f64,
    /// This period's capacity before outages, and after them.
    capacity_nominal: f64,
    capacity_now: f64,
    /// This period's planned throughput, before and after the capacity cap.
    plan_uncapped: f64,
    plan: f64,
    /// Class mix of this period's orders, and of the stage's normal demand (used when it receives no orders).
    class_mix: [f64; NC],
    normal_class_mix: [f64; NC],
    /// Throughput lost so far in the trial.
    throughput_lost: f64,
}

/// The state of one end use.
#[derive(Debug, Clone, Copy, Default)]
struct EndUseState {
    /// Demand per period at the start of the horizon, and its growth factor per period (drawn per trial).
    demand_base: f64,
    demand_step: f64,
    /// Demand growth since the start of the horizon, before this period's step.
    demand_growth: f64,
    /// This period's new demand, and new demand plus backlog.
    demand_now: f64,
    required: f64,
    /// Demand carried to the next period.
    backlog: f64,
    /// Consecutive short periods up to now.
    short_run: u32,
}

/// The state of one input slot.
#[derive(Debug, Clone, Copy, Default)]
struct InputState {
    stock: f64,
    /// Target stock at the start of the horizon's demand (it follows the demand trend).
    target: f64,
    /// Multiplier on the quantity per unit of throughput (thrifting).
    intensity_factor: f64,
}

/// The state of one output slot.
#[derive(Debug, Clone, Copy, Default)]
struct OutputState {
    stock: f64,
    /// Target stock at the start of the horizon's demand.
    target: f64,
    /// This period's orders from its customers, per class.
    ordered: [f64; NC],
}

/// The hot per-link state, kept together so that one input's links are one contiguous slice of structs.
#[derive(Debug, Clone, Copy, Default)]
struct LinkState {
    /// Quantity shipped and not yet received (including shipments held in licence review).
    pipe: f64,
    /// The trial's normal flow per period.
    flow: f64,
    /// The customer's smoothed estimate of the lead time, in periods.
    lead_estimate: f64,
    /// The customer's normal sourcing share.
    share: f64,
    /// This period's order, per class.
    order: [f64; NC],
    /// The supplier stage, by processing position.
    supplier: usize,
    /// The customer's smoothed estimate of the share of its orders this supplier ships (1 when all is well).
    fill: f64,
    /// The lead time drawn for this trial, in periods.
    lead: usize,
    /// How many of the controls covering the link are active this period.
    active_controls: u32,
    /// The customer's weight for this supplier this period (share, availability and fill rate).
    weight: f64,
}

/// A period in which a disruption is active: periods `start..end`, with its effect (a severity, a demand
/// multiplier minus 1, or 1 for a licensing regime).
#[derive(Debug, Clone, Copy)]
struct Interval {
    start: usize,
    end: usize,
    effect: f64,
}

/// A stockpile's state.
#[derive(Debug, Clone, Copy, Default)]
struct StockpileState {
    level: f64,
    initial: f64,
    /// Most it releases, and most it rebuilds, per period.
    release_cap: f64,
    rebuild_cap: f64,
    /// Released so far this period.
    released_now: f64,
}

/// Per-trial working memory, reused across trials.
#[derive(Debug, Clone)]
pub struct Scratch {
    periods: usize,
    stages: Vec<StageState>,
    end_uses: Vec<EndUseState>,
    inputs: Vec<InputState>,
    outputs: Vec<OutputState>,
    links: Vec<LinkState>,
    stockpiles: Vec<StockpileState>,
    /// Denial probability of each licensing regime per destination class (drawn per trial).
    denial: Vec<[f64; NC]>,
    /// The trial's disruptions as intervals: those of disruption `d` are `intervals[disruption_intervals[d]]`,
    /// in time order and disjoint.
    intervals: Vec<Interval>,
    disruption_intervals: Vec<std::ops::Range<usize>>,
    /// Each disruption's next interval (an index into `intervals`).
    next_interval: Vec<usize>,
    /// Each disruption's effect this period (0 when it is not active).
    effect_now: Vec<f64>,
    /// The next period at which some disruption starts or ends.
    next_boundary: usize,
    /// Whether any outage, or any demand shock, is active this period.
    outages_active: bool,
    demand_shocks_active: bool,
    first_onset: Vec<Option<usize>>,
    /// One review stream per link control of the plan (used by licensing regimes).
    licence_streams: Vec<Stream>,
    /// The trial's own baseline: node activity and link flow per period.
    activity: Vec<f64>,
    flow: Vec<f64>,
    /// Quantity arriving on link `l` in period `t`, period-major (`t * links + l`), so that one period's
    /// arrivals are one row. Receiving takes (zeroes) each bucket, so the array is all zeros again at the end of
    /// every trial and needs no clearing.
    arrivals: Vec<f64>,
    /// Quantity-weighted ship period of each arrival bucket of the licensed links (`t * licensed + k`).
    arrival_ship_time: Vec<f64>,
    /// Share of each node's normal activity attributable to each end use (`e * nodes + node`).
    attribution: Vec<f64>,
    /// Each node's demand trend this period: the attribution-weighted growth of the end uses it serves.
    trend: Vec<f64>,
    has_growth: bool,
    /// Sampled (start period, ramp periods, full effect) of each intensity change and demand switch.
    intensity_plan: Vec<[f64; 3]>,
    switch_plan: Vec<[f64; 3]>,
    /// Share of requirement met, per end use and period (`e * T + t`), for fan charts.
    pub share_series: Vec<f32>,
    outcome: TrialOutcome,
}

impl Scratch {
    /// Working memory sized for `model`.
    pub fn new(model: &Model) -> Self {
        let plan = &model.plan;
        let (ns, ne, nl, nd, t) =
            (plan.stages.len(), plan.end_uses.len(), plan.links.len(), plan.disruptions.len(), plan.periods);
        let nsp = plan.stockpiles.len();
        Self {
            periods: t,
            stages: vec![StageState::default(); ns],
            end_uses: vec![EndUseState::default(); ne],
            inputs: vec![InputState::default(); plan.inputs.len()],
            outputs: vec![OutputState::default(); plan.outputs.len()],
            links: vec![LinkState::default(); nl],
            stockpiles: vec![StockpileState::default(); nsp],
            denial: vec![[0.0; NC]; nd],
            intervals: Vec::new(),
            disruption_intervals: vec![0..0; nd],
            next_interval: vec![0; nd],
            effect_now: vec![0.0; nd],
            next_boundary: 0,
            outages_active: false,
            demand_shocks_active: false,
            first_onset: vec![None; nd],
            licence_streams: (0..plan.link_controls.len()).map(|_| rng::stream_for_key(0, 0, 0)).collect(),
            activity: vec![0.0; ns + ne],
            flow: vec![0.0; nl],
            arrivals: vec![0.0; nl * t],
            arrival_ship_time: vec![0.0; plan.licensed_links * t],
            attribution: vec![0.0; (ns + ne) * ne],
            trend: vec![1.0; ns + ne],
            has_growth: false,
            intensity_plan: vec![[0.0; 3]; plan.intensity_changes.len()],
            switch_plan: vec![[0.0; 3]; plan.demand_switches.len()],
            share_series: vec![1.0; ne * t],
            outcome: TrialOutcome {
                end_uses: vec![EndUseOutcome::default(); ne],
                stage_throughput_lost: vec![0.0; ns],
                stockpile_min: vec![0.0; nsp],
                stockpile_released: vec![0.0; nsp],
            },
        }
    }

    /// The outcome of the last trial simulated with this scratch.
    pub fn outcome(&self) -> &TrialOutcome {
        &self.outcome
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
        ((t - start + 1.0) / ramp).min(1.0)
    } else {
        1.0
    }
}

/// Simulates trial `trial` of a run seeded with `seed`. The outcome is left in `scratch.outcome()`, the
/// share-of-requirement series in `scratch.share_series`, and, when asked, a full trace in `trace`.
pub fn simulate(model: &Model, seed: u64, trial: u64, scratch: &mut Scratch, trace: Option<&mut Trace>) {
    match trace {
        None => run_trial(&model.plan, seed, trial, scratch, &mut NoRecord),
        Some(trace) => run_trial(&model.plan, seed, trial, scratch, &mut TraceRecorder(trace)),
    }
}

/// The trial, recording through `recorder`.
fn run_trial<R: Recorder>(plan: &Plan, seed: u64, trial: u64, sc: &mut Scratch, recorder: &mut R) {
    draw_trial(plan, seed, trial, sc);
    recorder.trial_starts(plan, sc);
    for t in 0..plan.periods {
        period(plan, sc, t, recorder);
    }
    for (stage, state) in plan.stages.iter().zip(&sc.stages) {
        sc.outcome.stage_throughput_lost[stage.spec_index] = state.throughput_lost;
    }
    for o in sc.outcome.end_uses.iter_mut() {
        // Backlogged demand built late sums to the demand only up to rounding: residues below the tolerance
        // are not units short.
        let short = o.demand - o.built;
        o.units_short = if short > SHORT_TOLERANCE * o.demand { short } else { 0.0 };
        o.share_met = if o.demand > 0.0 { (o.built / o.demand).min(1.0) } else { 1.0 };
    }
    // Shipments that would arrive after the horizon stay in `pipe` (in transit at the end); their buckets
    // were never written, so `arrivals` is all zeros again.
    debug_assert!(sc.arrivals.iter().all(|&a| a == 0.0));
    recorder.trial_ends(plan, sc);
}

/// One period of the loop: the steps of `docs/model.md`, "One period".
fn period<R: Recorder>(plan: &Plan, sc: &mut Scratch, t: usize, recorder: &mut R) {
    if t == sc.next_boundary {
        disruptions_start_or_end(plan, sc, t);
    }
    sc.stockpiles.iter_mut().for_each(|x| x.released_now = 0.0);
    capacity(plan, sc, t);
    demand(plan, sc, t);
    orders_upstream(plan, sc);
    production_and_shipping(plan, sc, t, recorder);
    end_uses_build(plan, sc, t, recorder);
}

/// At a period where some disruption starts or ends: each disruption's effect from now on, which outages,
/// demand shocks and link controls are active, and the next such period.
fn disruptions_start_or_end(plan: &Plan, sc: &mut Scratch, t: usize) {
    let mut next = usize::MAX;
    for d in 0..plan.disruptions.len() {
        let end = sc.disruption_intervals[d].end;
        let mut k = sc.next_interval[d];
        while k < end && sc.intervals[k].end <= t {
            k += 1;
        }
        sc.next_interval[d] = k;
        let (effect, boundary) = match sc.intervals[k..end].first() {
            Some(x) if x.start <= t => (x.effect, x.end),
            Some(x) => (0.0, x.start),
            None => (0.0, usize::MAX),
        };
        sc.effect_now[d] = effect;
        next = next.min(boundary);
    }
    sc.next_boundary = next;
    let effect = &sc.effect_now;
    sc.outages_active = plan.outages.iter().any(|&(d, _)| effect[d] != 0.0);
    sc.demand_shocks_active = plan.demand_shocks.iter().any(|&(d, _)| effect[d] != 0.0);
    for (state, link) in sc.links.iter_mut().zip(&plan.links) {
        let controls = &plan.link_controls[link.controls.clone()];
        state.active_controls = controls.iter().filter(|c| effect[c.disruption] != 0.0).count() as u32;
    }
}

/// Step 1: each stage's capacity this period, after its ramp and outages; each node's demand trend; thrifting.
fn capacity(plan: &Plan, sc: &mut Scratch, t: usize) {
    let tt = t as f64;
    for x in sc.stages.iter_mut() {
        let availability = ramp_factor(tt, x.online_period, x.ramp_periods);
        x.availability = availability;
        x.capacity_nominal = x.capacity_base * x.capacity_growth * availability;
        x.capacity_growth *= x.capacity_step;
        x.capacity_now = x.capacity_nominal;
    }
    if sc.outages_active {
        for &(d, p) in &plan.outages {
            let x = sc.effect_now[d];
            if x != 0.0 {
                sc.stages[p].capacity_now *= 1.0 - x;
            }
        }
    }

    // Demand trend of every node (growth factors before this period's step).
    // Each is a sum over end uses in their order, started at -0.0 as `Iterator::sum` does, computed for all
    // nodes at once so that it vectorises.
    if sc.has_growth {
        let nodes = sc.trend.len();
        sc.trend.iter_mut().for_each(|x| *x = -0.0);
        for (x, attribution) in sc.end_uses.iter().zip(sc.attribution.chunks_exact(nodes)) {
            let growth = x.demand_growth;
            for (trend, a) in sc.trend.iter_mut().zip(attribution) {
                *trend += a * growth;
            }
        }
    }

    // Thrifting: intensity changes act on input quantities per unit of throughput.
    if !plan.intensity_changes.is_empty() {
        for change in &plan.intensity_changes {
            sc.inputs[change.target].intensity_factor = 1.0;
        }
        for (change, &[start, ramp, reduction]) in plan.intensity_changes.iter().zip(&sc.intensity_plan) {
            sc.inputs[change.target].intensity_factor *= 1.0 - reduction * ramp_factor(tt, start, ramp);
        }
    }
}

/// Step 2: each end use's demand this period, and what it needs (demand plus backlog).
fn demand(plan: &Plan, sc: &mut Scratch, t: usize) {
    let tt = t as f64;
    for (e, x) in sc.end_uses.iter_mut().enumerate() {
        let mut d = x.demand_base * x.demand_growth;
        for (switch, &[start, ramp, share]) in plan.demand_switches.iter().zip(&sc.switch_plan) {
            if switch.target == e {
                d *= 1.0 - share * ramp_factor(tt, start, ramp);
            }
        }
        x.demand_growth *= x.demand_step;
        if sc.demand_shocks_active {
            for &(k, target) in &plan.demand_shocks {
                let shock = sc.effect_now[k];
                if shock != 0.0 && target == e {
                    d *= 1.0 + shock;
                }
            }
        }
        x.demand_now = d;
        x.required = d + x.backlog;
    }
}

/// Step 3: orders travel upstream, end uses first, then stages customers first.
fn orders_upstream(plan: &Plan, sc: &mut Scratch) {
    let ns = plan.stages.len();
    let Scratch { stages, end_uses, inputs, outputs, links, stockpiles, trend, .. } = sc;
    let (stages, inputs, outputs, links, trend) =
        (&mut stages[..], &mut inputs[..], &mut outputs[..], &mut links[..], &trend[..]);
    for (e, end_use) in plan.end_uses.iter().enumerate() {
        let mut w = [0.0; NC];
        w[end_use.class] = 1.0;
        let order = Order { activity: end_uses[e].required, class_mix: w, trend: trend[ns + e] };
        let stockpiles = end_use.stockpiled.then_some(&stockpiles[..]);
        place_orders(plan, end_use.inputs.clone(), &order, stockpiles, inputs, links, stages);
    }
    for (p, stage) in plan.stages.iter().enumerate().rev() {
        let mut planned: f64 = 0.0;
        let mut w = [0.0; NC];
        let trend = trend[p];
        for o in stage.outputs.clone() {
            let mut r = [0.0; NC];
            for &l in plan.customers_of(o) {
                let q = links[l].order;
                r[0] += q[0];
                r[1] += q[1];
                r[2] += q[2];
            }
            let out = &mut outputs[o];
            out.ordered = r;
            let y = plan.outputs[o].yield_per_unit;
            planned = planned.max((r[0] + r[1] + r[2] + out.target * trend - out.stock) / y);
            w[0] += r[0] / y;
            w[1] += r[1] / y;
            w[2] += r[2] / y;
        }
        let state = &mut stages[p];
        let wt = w[0] + w[1] + w[2];
        let w = if wt > 0.0 { [w[0] / wt, w[1] / wt, w[2] / wt] } else { state.normal_class_mix };
        state.class_mix = w;
        state.plan_uncapped = planned.max(0.0);
        state.plan = state.plan_uncapped.min(state.capacity_now);
        let order = Order { activity: state.plan, class_mix: w, trend };
        let stockpiles = stage.stockpiled.then_some(&stockpiles[..]);
        place_orders(plan, stage.inputs.clone(), &order, stockpiles, inputs, links, stages);
    }
}

/// What a node orders for: its activity this period, the class mix of what it serves, and its demand trend.
#[derive(Debug, Clone, Copy)]
struct Order {
    activity: f64,
    class_mix: [f64; NC],
    trend: f64,
}

/// Order-up-to ordering for the input slots `slots` of a node, split over suppliers by share and over classes by
/// the class mix. `stockpiles` is given when stockpiles serve the node.
///
/// The order brings the inventory position (stock plus pipeline) back to its target: target stock plus the
/// normal flow times the lead time the customer currently expects on each link. That expectation is smoothed
/// from what actually arrived, so buyers facing licence delays learn to order further ahead, as they did in 2025.
#[inline]
fn place_orders(
    plan: &Plan,
    slots: std::ops::Range<usize>,
    order: &Order,
    stockpiles: Option<&[StockpileState]>,
    inputs: &[InputState],
    links: &mut [LinkState],
    stages: &[StageState],
) {
    let Order { activity, class_mix: w, trend } = *order;
    for (i, (slot, input)) in slots.clone().zip(plan.inputs[slots.clone()].iter().zip(&inputs[slots])) {
        let mut stock_target = input.target * trend;
        if let Some(stockpiles) = stockpiles {
            // A stockpile below its size raises its customers' stock target by the deficit, so they order it.
            stock_target += stockpile_deficit(plan, stockpiles, i);
        }
        let links = &mut links[slot.links.clone()];
        let mut in_transit = 0.0;
        let mut pipe_target = 0.0;
        for x in links.iter() {
            in_transit += x.pipe;
            pipe_target += x.flow * x.lead_estimate;
        }
        let need = activity * slot.quantity * input.intensity_factor
            + (stock_target - input.stock)
            + (pipe_target * trend - in_transit);
        let need = need.max(0.0);
        if let [only] = links {
            only.order = [need * w[0], need * w[1], need * w[2]];
            continue;
        }
        // Customers split their order by normal share, weighted by each supplier's availability (nothing to a
        // plant not yet online) and by the share of recent orders it actually shipped, so orders move away from
        // a supplier that is cut off, denied or short towards those that deliver.
        let mut total = -0.0;
        for x in links.iter_mut() {
            x.weight = x.share * stages[x.supplier].availability * x.fill.max(FILL_FLOOR);
            total += x.weight;
        }
        for x in links.iter_mut() {
            let q = if total > 0.0 { need * x.weight / total } else { need * x.share };
            x.order = [q * w[0], q * w[1], q * w[2]];
        }
    }
}

/// What the stockpiles serving input slot `i` still need to rebuild (at most one period's rebuild rate each).
fn stockpile_deficit(plan: &Plan, stockpiles: &[StockpileState], i: usize) -> f64 {
    plan.slot_stockpiles
        .iter()
        .filter(|&&(slot, _)| slot == i)
        .map(|&(_, k)| {
            let x = &stockpiles[k];
            (x.initial - x.level).clamp(0.0, x.rebuild_cap)
        })
        .sum()
}

/// Step 4: stages, suppliers first, receive what arrives (step 6), draw on stockpiles, produce the least of
/// plan, capacity and what their inputs allow, and ship (step 5 acts on each shipment).
fn production_and_shipping<R: Recorder>(plan: &Plan, sc: &mut Scratch, t: usize, recorder: &mut R) {
    let Scratch { stages, inputs, outputs, links, arrivals, arrival_ship_time, stockpiles, trend, outcome, .. } = sc;
    let mut transport = Transport::new(plan, t, links, arrivals, arrival_ship_time);
    let mut controls =
        Controls { effect_now: &sc.effect_now, denial: &sc.denial, licence_streams: &mut sc.licence_streams };
    let (stages, inputs, outputs) = (&mut stages[..], &mut inputs[..], &mut outputs[..]);
    for (p, stage) in plan.stages.iter().enumerate() {
        let s = stage.spec_index;
        recorder.stage_opens(t, stage, inputs, outputs);
        let mut x = stages[p].plan;
        let class_mix = stages[p].class_mix;
        for i in stage.inputs.clone() {
            let got = transport.receive(plan, i);
            inputs[i].stock += got;
            let released =
                if stage.stockpiled { release(plan, inputs, stockpiles, outcome, i, x, class_mix) } else { 0.0 };
            recorder.stage_input_received(t, s, got, released);
            let input = inputs[i];
            x = x.min(input.stock / (plan.inputs[i].quantity * input.intensity_factor));
        }
        let x = x.max(0.0);
        for i in stage.inputs.clone() {
            let input = &mut inputs[i];
            let used = (x * plan.inputs[i].quantity * input.intensity_factor).min(input.stock);
            input.stock -= used;
            let factor = input.intensity_factor;
            let rebuilt = if stage.stockpiled { rebuild(plan, inputs, stockpiles, trend[p], i) } else { 0.0 };
            recorder.stage_input_consumed(t, s, used, factor, rebuilt);
        }
        let state = &mut stages[p];
        state.throughput_lost += (state.plan_uncapped.min(state.capacity_nominal) - x).max(0.0);
        for o in stage.outputs.clone() {
            let made = x * plan.outputs[o].yield_per_unit;
            outputs[o].stock += made;
            let shipped = ship(plan, stage, o, &mut outputs[o], &mut transport, &mut controls, recorder);
            recorder.stage_output_shipped(t, s, made, shipped);
        }
        recorder.stage_closes(t, stage, x, inputs, outputs);
    }
}

/// Step 7: end uses build what their stock allows; the rest of what they need is a shortfall, lost or
/// backlogged.
fn end_uses_build<R: Recorder>(plan: &Plan, sc: &mut Scratch, t: usize, recorder: &mut R) {
    let t_len = sc.periods;
    let first_slot = plan.end_use_inputs.start;
    let ns = plan.stages.len();
    let Scratch {
        end_uses, inputs, links, arrivals, arrival_ship_time, stockpiles, trend, outcome, share_series, ..
    } = sc;
    let mut transport = Transport::new(plan, t, links, arrivals, arrival_ship_time);
    let inputs = &mut inputs[..];
    // (Stockpile release caps are per period; the loop below may still release.)
    for (e, end_use) in plan.end_uses.iter().enumerate() {
        let ins = end_use.inputs.clone();
        let required = end_uses[e].required;
        let mut can = required;
        let mut w = [0.0; NC];
        w[end_use.class] = 1.0;
        for i in ins.clone() {
            inputs[i].stock += transport.receive(plan, i);
            if end_use.stockpiled {
                let released = release(plan, inputs, stockpiles, outcome, i, required, w);
                recorder.end_use_released(i - first_slot, released);
            }
            let input = inputs[i];
            can = can.min(input.stock / (plan.inputs[i].quantity * input.intensity_factor));
        }
        let built = if can >= required * (1.0 - SHORT_TOLERANCE) { required } else { can.max(0.0) };
        for i in ins {
            let input = &mut inputs[i];
            let used = (built * plan.inputs[i].quantity * input.intensity_factor).min(input.stock);
            input.stock -= used;
            let rebuilt = if end_use.stockpiled { rebuild(plan, inputs, stockpiles, trend[ns + e], i) } else { 0.0 };
            recorder.end_use_consumed(i - first_slot, used, rebuilt);
        }
        let unmet = required - built;
        let state = &mut end_uses[e];
        state.backlog = if end_use.backlogged { unmet } else { 0.0 };
        share_series[e * t_len + t] = if required > 0.0 { (built / required) as f32 } else { 1.0 };
        let o = &mut outcome.end_uses[e];
        o.demand += state.demand_now;
        o.built += built;
        if unmet > 0.0 {
            o.short_periods += 1;
            o.first_short_period.get_or_insert(t as u32);
            state.short_run += 1;
            o.longest_short_run = o.longest_short_run.max(state.short_run);
            o.recovery_period = None;
        } else {
            if state.short_run > 0 {
                o.recovery_period = Some(t as u32);
            }
            state.short_run = 0;
        }
        recorder.end_use_built(t, e, built, required, state.demand_now);
    }
}

/// Releases stockpiled material into input slot `i` when its stock cannot cover `activity`, for the share of
/// its demand in the stockpile's release classes, within the stockpile's per-period cap.
fn release(
    plan: &Plan,
    inputs: &mut [InputState],
    stockpiles: &mut [StockpileState],
    outcome: &mut TrialOutcome,
    i: usize,
    activity: f64,
    w: [f64; NC],
) -> f64 {
    let mut total = 0.0;
    for &(slot, k) in &plan.slot_stockpiles {
        if slot != i {
            continue;
        }
        let input = &mut inputs[i];
        let gap = activity * plan.inputs[i].quantity * input.intensity_factor - input.stock;
        if !(gap > 0.0) {
            break;
        }
        let class_share: f64 = plan.stockpiles[k].release_classes.iter().map(|&class| w[class]).sum();
        let x = &mut stockpiles[k];
        let amount = (gap * class_share.min(1.0)).min(x.release_cap - x.released_now).min(x.level);
        if amount > 0.0 {
            x.level -= amount;
            x.released_now += amount;
            input.stock += amount;
            outcome.stockpile_released[k] += amount;
            outcome.stockpile_min[k] = outcome.stockpile_min[k].min(x.level);
            total += amount;
        }
    }
    total
}

/// Moves a node's stock above its own target (at demand trend `trend`) into the stockpiles serving input `i`
/// that are below their size.
fn rebuild(plan: &Plan, inputs: &mut [InputState], stockpiles: &mut [StockpileState], trend: f64, i: usize) -> f64 {
    let mut total = 0.0;
    for &(slot, k) in &plan.slot_stockpiles {
        if slot != i {
            continue;
        }
        let input = &mut inputs[i];
        let surplus = input.stock - input.target * trend;
        let x = &mut stockpiles[k];
        let room = (x.initial - x.level).min(x.rebuild_cap);
        let amount = surplus.min(room);
        if amount > 0.0 {
            input.stock -= amount;
            x.level += amount;
            total += amount;
        }
    }
    total
}

/// Material on its way in period `t`: the links' state and the arrivals schedule.
struct Transport<'a> {
    links: &'a mut [LinkState],
    arrivals: &'a mut [f64],
    arrival_ship_time: &'a mut [f64],
    t: usize,
    links_count: usize,
    periods: usize,
}

/// The export controls in force this period and the licence streams.
struct Controls<'a> {
    effect_now: &'a [f64],
    denial: &'a [[f64; NC]],
    licence_streams: &'a mut [Stream],
}

impl<'a> Transport<'a> {
    fn new(
        plan: &Plan,
        t: usize,
        links: &'a mut [LinkState],
        arrivals: &'a mut [f64],
        arrival_ship_time: &'a mut [f64],
    ) -> Self {
        Self { links, arrivals, arrival_ship_time, t, links_count: plan.links.len(), periods: plan.periods }
    }

    /// Step 6: takes this period's arrivals on the links into input slot `i`, and returns the quantity.
    #[inline]
    fn receive(&mut self, plan: &Plan, i: usize) -> f64 {
        let t = self.t;
        let range = plan.inputs[i].links.clone();
        let row = t * self.links_count;
        let arrivals = &mut self.arrivals[row + range.start..row + range.end];
        let mut got = 0.0;
        for ((x, a), link) in self.links[range.clone()].iter_mut().zip(arrivals).zip(&plan.links[range]) {
            let a = std::mem::take(a);
            if a == 0.0 {
                continue;
            }
            if let Some(k) = link.licensed {
                let shipped_at = std::mem::take(&mut self.arrival_ship_time[t * plan.licensed_links + k]);
                let observed = t as f64 - shipped_at / a;
                x.lead_estimate += LEAD_SMOOTHING * (observed - x.lead_estimate);
            }
            x.pipe -= a;
            got += a;
        }
        got
    }
}

/// Allocates output slot `o` of `stage` to its customers and ships, applying export controls (step 5).
/// Returns the quantity that left the stage.
#[inline]
fn ship<R: Recorder>(
    plan: &Plan,
    stage: &PlannedStage,
    o: usize,
    output: &mut OutputState,
    transport: &mut Transport<'_>,
    controls: &mut Controls<'_>,
    recorder: &mut R,
) -> f64 {
    let links = plan.customers_of(o);
    if links.is_empty() {
        return 0.0;
    }
    let Transport { links: state, arrivals, arrival_ship_time, t, links_count, periods } = transport;
    let (t, links_count, t_len) = (*t, *links_count, *periods);
    let mut avail = output.stock;
    let r = output.ordered;
    // Fraction of each class's orders that can be served.
    let mut frac = [0.0; NC];
    let (order, n) = stage.allocation;
    if n == 0 {
        let total = r[0] + r[1] + r[2];
        let f = if total > 0.0 { (avail / total).min(1.0) } else { 0.0 };
        frac = [f; NC];
    } else {
        for &k in &order[..usize::from(n)] {
            let k = usize::from(k);
            if r[k] > 0.0 {
                let give = avail.min(r[k]);
                frac[k] = give / r[k];
                avail -= give;
            }
        }
    }
    let mut shipped_total = 0.0;
    for &l in links {
        let x = &mut state[l];
        let ord = x.order;
        let mut q = [ord[0] * frac[0], ord[1] * frac[1], ord[2] * frac[2]];
        let mut delay = 0usize;
        if x.active_controls > 0 {
            let mut quota = f64::INFINITY;
            for k in plan.links[l].controls.clone() {
                let control = &plan.link_controls[k];
                let d = control.disruption;
                let effect = controls.effect_now[d];
                if effect == 0.0 {
                    continue;
                }
                match &control.kind {
                    // An embargo: a cut of `effect` caps the link at (1 - effect) of its normal flow, so more
                    // orders cannot beat a quota.
                    ControlKind::Embargo => quota = quota.min((1.0 - effect) * x.flow),
                    ControlKind::Licensing { review_weeks } => {
                        if q.iter().any(|&v| v > 0.0) {
                            let rng = &mut controls.licence_streams[k];
                            for (class, v) in q.iter_mut().enumerate() {
                                if *v > 0.0 && rng.random::<f64>() < controls.denial[d][class] {
                                    *v = 0.0;
                                }
                            }
                            delay = delay.max(periods_of(review_weeks.sample(rng), plan.period_weeks));
                        }
                    }
                }
            }
            let total = q[0] + q[1] + q[2];
            if total > quota {
                let f = if total > 0.0 { quota / total } else { 0.0 };
                q = [q[0] * f, q[1] * f, q[2] * f];
            }
        }
        let qty = (q[0] + q[1] + q[2]).min(output.stock).max(0.0);
        let ordered = ord[0] + ord[1] + ord[2];
        if ordered > 0.0 {
            x.fill += FILL_SMOOTHING * ((qty / ordered).min(1.0) - x.fill);
        }
        if !(qty > 0.0) {
            continue;
        }
        output.stock -= qty;
        shipped_total += qty;
        recorder.shipment(t, l, qty, t + delay);
        let arrive = t + x.lead + delay;
        if arrive < t_len {
            arrivals[arrive * links_count + l] += qty;
            if let Some(k) = plan.links[l].licensed {
                arrival_ship_time[arrive * plan.licensed_links + k] += qty * t as f64;
            }
        }
        x.pipe += qty;
    }
    shipped_total
}
