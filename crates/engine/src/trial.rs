//! One trial: sample the trial's parameters and disruptions, then run the period loop of MODEL.md.
//!
//! Each period: (1) end-use demand; (2) orders travel upstream, customers first, by share, with order-up-to
//! targets on stock and pipeline; (3) stages, suppliers first, receive, produce the least of plan, capacity and
//! what their inputs allow, and ship, allocating scarce output by class priority then pro rata; export
//! controls cap, delay or deny shipments on the links they cover; (4) shipments arrive after lead time plus any
//! licence review; (5) end uses build what their stock allows. All state lives in a [`Scratch`] that is
//! allocated once per worker and reused, so the period loop allocates nothing.

use rand::RngExt;
use rand_distr::{Distribution, Exp};

use crate::baseline;
use crate::model::{Compiled, DisruptionKind, Model, StockWeeks, Timing, Unmet};
use crate::outcome::{EndUseOutcome, StagePeriod, Trace, TrialOutcome};
use crate::param::Param;
use crate::rng::{self, Stream};

/// Relative tolerance below which unmet demand counts as met (floating-point noise, not a shortfall).
pub const SHORT_TOLERANCE: f64 = 1e-9;

/// Weight of the newest observation in a customer's smoothed lead-time estimate.
pub const LEAD_SMOOTHING: f64 = 0.25;

/// Weight of the newest observation in a customer's smoothed estimate of how much of its orders a supplier fills.
pub const FILL_SMOOTHING: f64 = 0.25;

/// The least weight a supplier's fill rate can give it, so that a supplier that recovers is ordered from again.
pub const FILL_FLOOR: f64 = 0.05;

const NC: usize = 3;

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
    /// The supplier stage.
    supplier: usize,
    /// The customer's smoothed estimate of the share of its orders this supplier ships (1 when all is well).
    fill: f64,
}

/// Per-trial working memory, reused across trials.
#[derive(Debug, Clone)]
pub struct Scratch {
    t_len: usize,
    // Sampled per trial.
    cap_base: Vec<f64>,
    cap_step: Vec<f64>,
    cap_growth: Vec<f64>,
    online: Vec<f64>,
    ramp: Vec<f64>,
    lead: Vec<usize>,
    demand_base: Vec<f64>,
    demand_step: Vec<f64>,
    demand_growth: Vec<f64>,
    in_target: Vec<f64>,
    out_target: Vec<f64>,
    denial: Vec<[f64; NC]>,
    /// Effect of each disruption per period (`d * T + t`): severity, multiplier - 1, or 1 for a licence regime.
    effect: Vec<f64>,
    first_onset: Vec<Option<usize>>,
    /// One review stream per (link, disruption) pair of `Compiled::link_disruptions`.
    licence_streams: Vec<Stream>,
    /// The trial's own baseline: node activity and link flow per period.
    activity: Vec<f64>,
    flow: Vec<f64>,
    // State.
    in_stock: Vec<f64>,
    out_stock: Vec<f64>,
    /// Quantity arriving on link `l` in period `t` at `l * T + t`. Receiving takes (zeroes) each bucket, so
    /// the array is all zeros again at the end of every trial and needs no clearing.
    arrivals: Vec<f64>,
    /// Quantity-weighted ship period of each arrival bucket, on licensed links only (same layout).
    arrival_ship_time: Vec<f64>,
    links: Vec<LinkState>,
    received: Vec<[f64; NC]>,
    plan: Vec<f64>,
    plan_uncapped: Vec<f64>,
    cap_now: Vec<f64>,
    cap_nominal: Vec<f64>,
    backlog: Vec<f64>,
    required: Vec<f64>,
    demand_now: Vec<f64>,
    /// Class mix of each stage's normal demand, used when it receives no orders.
    normal_class_mix: Vec<[f64; NC]>,
    /// Share of each node's normal activity attributable to each end use (`node * E + e`).
    attribution: Vec<f64>,
    /// Each node's demand trend this period: the attribution-weighted growth of the end uses it serves.
    trend: Vec<f64>,
    has_growth: bool,
    /// Share of requirement met, per end use and period (`e * T + t`), for fan charts.
    pub share_series: Vec<f32>,
    /// Backlog carried out of each period in weeks of that period's normal demand, per end use and period
    /// (`e * T + t`; 0 for lost-demand end uses), for fan charts.
    pub backlog_series: Vec<f32>,
    /// Each end use's normal demand this period: base demand with growth, before shocks and mitigations.
    normal_demand_now: Vec<f64>,
    /// Cumulative new demand up to and including each period (`e * T + t`), to find the oldest unit owed.
    cumulative_demand: Vec<f64>,
    /// Cumulative units built, per end use.
    cumulative_built: Vec<f64>,
    /// Per end use: the earliest period some of whose demand is still owed (backlogged end uses).
    oldest_owed_period: Vec<usize>,
    run: Vec<u32>,
    outcome: TrialOutcome,
    // Mitigations.
    /// Each stage's availability this period (0 before it comes online, ramping to 1).
    avail: Vec<f64>,
    /// Class mix of each stage's orders this period.
    class_mix: Vec<[f64; NC]>,
    /// Multiplier on each input slot's quantity per unit of throughput (thrifting).
    qty_factor: Vec<f64>,
    /// Sampled (start period, ramp periods, full effect) of each intensity change and demand switch.
    intensity_plan: Vec<[f64; 3]>,
    switch_plan: Vec<[f64; 3]>,
    /// Stockpiles: level, initial size, release and rebuild caps per period, released this period.
    sp_level: Vec<f64>,
    sp_initial: Vec<f64>,
    sp_release_cap: Vec<f64>,
    sp_rebuild_cap: Vec<f64>,
    sp_released_now: Vec<f64>,
    /// Whether this trial is traced; then per-link shipments and clearances are recorded (`l * T + t`).
    tracing: bool,
    link_shipped: Vec<f64>,
    link_cleared: Vec<f64>,
}

impl Scratch {
    /// Working memory sized for `model`.
    pub fn new(model: &Model) -> Self {
        let c = &model.compiled;
        let spec = &model.spec;
        let (ns, ne, nl, nd, t) = (c.n_stages, c.n_end_uses, spec.links.len(), spec.disruptions.len(), spec.periods);
        let nin = c.in_slot_material.len();
        let nout = c.out_slot_material.len();
        let nsp = spec.mitigations.stockpiles.len();
        Self {
            t_len: t,
            cap_base: vec![0.0; ns],
            cap_step: vec![1.0; ns],
            cap_growth: vec![1.0; ns],
            online: vec![0.0; ns],
            ramp: vec![0.0; ns],
            lead: vec![0; nl],
            demand_base: vec![0.0; ne],
            demand_step: vec![1.0; ne],
            demand_growth: vec![1.0; ne],
            in_target: vec![0.0; nin],
            out_target: vec![0.0; nout],
            denial: vec![[0.0; NC]; nd],
            effect: vec![0.0; nd * t],
            first_onset: vec![None; nd],
            licence_streams: (0..c.link_disruptions.len()).map(|_| rng::stream_for_key(0, 0, 0)).collect(),
            activity: vec![0.0; ns + ne],
            flow: vec![0.0; nl],
            in_stock: vec![0.0; nin],
            out_stock: vec![0.0; nout],
            arrivals: vec![0.0; nl * t],
            arrival_ship_time: vec![0.0; nl * t],
            links: vec![LinkState::default(); nl],
            received: vec![[0.0; NC]; nout],
            plan: vec![0.0; ns],
            plan_uncapped: vec![0.0; ns],
            cap_now: vec![0.0; ns],
            cap_nominal: vec![0.0; ns],
            backlog: vec![0.0; ne],
            required: vec![0.0; ne],
            demand_now: vec![0.0; ne],
            normal_class_mix: vec![[0.0; NC]; ns],
            attribution: vec![0.0; (ns + ne) * ne],
            trend: vec![1.0; ns + ne],
            has_growth: false,
            share_series: vec![1.0; ne * t],
            backlog_series: vec![0.0; ne * t],
            normal_demand_now: vec![0.0; ne],
            cumulative_demand: vec![0.0; ne * t],
            cumulative_built: vec![0.0; ne],
            oldest_owed_period: vec![0; ne],
            run: vec![0; ne],
            avail: vec![1.0; ns],
            class_mix: vec![[0.0; NC]; ns],
            qty_factor: vec![1.0; nin],
            intensity_plan: vec![[0.0; 3]; spec.mitigations.intensity_changes.len()],
            switch_plan: vec![[0.0; 3]; spec.mitigations.demand_switches.len()],
            sp_level: vec![0.0; nsp],
            sp_initial: vec![0.0; nsp],
            sp_release_cap: vec![0.0; nsp],
            sp_rebuild_cap: vec![0.0; nsp],
            sp_released_now: vec![0.0; nsp],
            tracing: false,
            link_shipped: Vec::new(),
            link_cleared: Vec::new(),
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

/// Draws a parameter from its own stream; constants consume nothing.
#[inline]
fn draw(p: &Param, seed: u64, trial: u64, key: u64) -> f64 {
    match p {
        Param::Const(v) => *v,
        _ => p.sample(&mut rng::stream_for_key(seed, trial, key)),
    }
}

/// Weeks to whole periods, rounding halves up; negative and NaN give 0 (`as` saturates). Cheaper than
/// `f64::round`, which is a library call on baseline x86-64.
#[inline]
fn periods_of(weeks: f64, period_weeks: f64) -> usize {
    (weeks / period_weeks + 0.5) as usize
}

/// Simulates trial `trial` of a run seeded with `seed`. The outcome is left in `scratch.outcome()`, the
/// share-of-requirement series in `scratch.share_series`, and, when asked, a full trace in `trace`.
pub fn simulate(model: &Model, seed: u64, trial: u64, scratch: &mut Scratch, mut trace: Option<&mut Trace>) {
    let c = &model.compiled;
    let sc = scratch;
    let (ns, ne, t_len) = (c.n_stages, c.n_end_uses, model.spec.periods);
    setup(model, seed, trial, sc);
    sc.tracing = trace.is_some();
    if sc.tracing {
        let cells = model.spec.links.len() * t_len;
        sc.link_shipped.clear();
        sc.link_shipped.resize(cells, 0.0);
        sc.link_cleared.clear();
        sc.link_cleared.resize(cells, 0.0);
    }
    if let Some(tr) = trace.as_deref_mut() {
        *tr = Trace::default();
        tr.in_transit_at_start = sc.links.iter().map(|x| x.pipe).collect();
        tr.end_use_stock_start = (c.in_slot_start[ns]..c.in_slot_start[ns + ne]).map(|i| sc.in_stock[i]).collect();
        tr.end_use_consumed = vec![0.0; tr.end_use_stock_start.len()];
        tr.end_use_from_stockpile = vec![0.0; tr.end_use_stock_start.len()];
        tr.end_use_to_stockpile = vec![0.0; tr.end_use_stock_start.len()];
        tr.stockpile_start = sc.sp_level.clone();
    }
    for t in 0..t_len {
        period(model, sc, t, trace.as_deref_mut());
    }
    for (o, eu) in sc.outcome.end_uses.iter_mut().zip(&model.spec.end_uses) {
        // Backlogged demand built late sums to the demand only up to rounding: residues below the tolerance
        // are not units short.
        let short = o.demand - o.built;
        o.units_short = if short > SHORT_TOLERANCE * o.demand { short } else { 0.0 };
        o.share_met = if o.demand > 0.0 { (o.built / o.demand).min(1.0) } else { 1.0 };
        if eu.unmet == Unmet::Lost {
            o.units_lost = o.units_short;
        }
    }
    // Shipments that would arrive after the horizon stay in `pipe` (in transit at the end); their buckets
    // were never written, so `arrivals` is all zeros again.
    debug_assert!(sc.arrivals.iter().all(|&a| a == 0.0));
    if let Some(tr) = trace {
        tr.in_transit_at_end = sc.links.iter().map(|x| x.pipe).collect();
        tr.end_use_stock_end = (c.in_slot_start[ns]..c.in_slot_start[ns + ne]).map(|i| sc.in_stock[i]).collect();
        tr.stockpile_end = sc.sp_level.clone();
        let per_period = |v: &[f64]| -> Vec<Vec<f64>> {
            (0..t_len).map(|t| (0..model.spec.links.len()).map(|l| v[l * t_len + t]).collect()).collect()
        };
        tr.link_shipped = per_period(&sc.link_shipped);
        tr.link_cleared = per_period(&sc.link_cleared);
    }
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

/// A start `periods` after the start of the horizon, or, with a trigger, that long after the trigger's first onset
/// in this trial (never, as infinity, if it did not occur).
#[inline]
fn triggered(periods: f64, trigger: Option<usize>, first_onset: &[Option<usize>]) -> f64 {
    match trigger {
        None => periods,
        Some(d) => first_onset[d].map_or(f64::INFINITY, |onset| onset as f64 + periods),
    }
}

/// Samples the trial's parameters and disruptions and sets the initial state.
fn setup(model: &Model, seed: u64, trial: u64, sc: &mut Scratch) {
    let spec = &model.spec;
    let c = &model.compiled;
    let keys = &model.keys;
    let t_len = spec.periods;
    let pw = spec.period_weeks;
    let ppy = 52.0 / pw;
    let (ns, ne) = (c.n_stages, c.n_end_uses);

    // Disruptions first: mitigations triggered by a disruption count from its onset. Every process draws from its
    // own stream, so the order of sampling changes no number.
    sample_disruptions(model, seed, trial, sc);
    for (s, st) in spec.stages.iter().enumerate() {
        let k = &keys.stage[s];
        sc.cap_base[s] = draw(&st.capacity_per_year, seed, trial, k[0]).max(0.0) / ppy;
        let g = draw(&st.capacity_growth_per_year, seed, trial, k[1]).max(-0.999);
        sc.cap_step[s] = (1.0 + g).powf(1.0 / ppy);
        sc.cap_growth[s] = 1.0;
        let online = st.online_week.as_ref().map_or(0.0, |p| draw(p, seed, trial, k[2]).max(0.0) / pw);
        sc.online[s] = triggered(online, st.online_trigger, &sc.first_onset);
        sc.ramp[s] = draw(&st.ramp_weeks, seed, trial, k[3]).max(0.0) / pw;
    }
    for (l, link) in spec.links.iter().enumerate() {
        sc.lead[l] = periods_of(draw(&link.lead_time_weeks, seed, trial, keys.link[l]), pw);
    }
    for (e, eu) in spec.end_uses.iter().enumerate() {
        let k = &keys.end_use[e];
        sc.demand_base[e] = draw(&eu.demand_per_year, seed, trial, k[0]).max(0.0) / ppy;
        let g = draw(&eu.growth_per_year, seed, trial, k[1]).max(-0.999);
        sc.demand_step[e] = (1.0 + g).powf(1.0 / ppy);
        sc.demand_growth[e] = 1.0;
    }
    // The trial's own baseline: normal flows for its sampled demand.
    baseline::flows(c, &sc.demand_base, &mut sc.activity, &mut sc.flow);

    // Stocks and targets in weeks of normal use.
    let stock_weeks = |p: &StockWeeks, k0: u64, k1: u64| {
        (draw(&p.initial, seed, trial, k0).max(0.0) / pw, draw(&p.target, seed, trial, k1).max(0.0) / pw)
    };
    for node in 0..ns + ne {
        let (init, target) = if node < ns {
            let k = &keys.stage[node];
            let (init, target) = stock_weeks(&spec.stages[node].input_stock, k[4], k[5]);
            // A plant that is not producing yet holds no stock yet: it must buy its first fill.
            (if sc.online[node] > 0.0 { 0.0 } else { init }, target)
        } else {
            let k = &keys.end_use[node - ns];
            stock_weeks(&spec.end_uses[node - ns].stock, k[2], k[3])
        };
        for i in c.in_slot_start[node]..c.in_slot_start[node + 1] {
            let use_per_period = sc.activity[node] * c.in_slot_qty[i];
            sc.in_stock[i] = init * use_per_period;
            sc.in_target[i] = target * use_per_period;
        }
    }
    for s in 0..ns {
        let k = &keys.stage[s];
        let (init, target) = stock_weeks(&spec.stages[s].output_stock, k[6], k[7]);
        let init = if sc.online[s] > 0.0 { 0.0 } else { init };
        for o in c.out_slot_start[s]..c.out_slot_start[s + 1] {
            let links = &c.links_by_out_slot[c.out_link_start[o]..c.out_link_start[o + 1]];
            let ship_per_period: f64 = links.iter().map(|&l| sc.flow[l]).sum();
            sc.out_stock[o] = init * ship_per_period;
            sc.out_target[o] = target * ship_per_period;
        }
        sc.normal_class_mix[s] = [0.0; NC];
    }
    // Class mix of each stage's normal demand, customers first; used when a stage receives no orders.
    for e in 0..ne {
        let class = c.end_use_class[e];
        let node = ns + e;
        for l in c.in_link_start[c.in_slot_start[node]]..c.in_link_start[c.in_slot_start[node + 1]] {
            sc.normal_class_mix[c.link_from[l]][class] += sc.flow[l];
        }
    }
    for &s in c.topo.iter().rev() {
        let total: f64 = sc.normal_class_mix[s].iter().sum();
        let w = if total > 0.0 { sc.normal_class_mix[s].map(|x| x / total) } else { [0.0, 0.0, 1.0] };
        sc.normal_class_mix[s] = w;
        for l in c.in_link_start[c.in_slot_start[s]]..c.in_link_start[c.in_slot_start[s + 1]] {
            let sup = c.link_from[l];
            for (k, wk) in w.iter().enumerate() {
                sc.normal_class_mix[sup][k] += wk * sc.flow[l];
            }
        }
    }

    // Attribution of each node's normal activity to end uses, customers first, so that stock and pipeline
    // targets (in weeks of normal use) follow the demand trend of what the node serves.
    sc.has_growth = sc.demand_step.iter().any(|&g| g != 1.0);
    sc.trend.iter_mut().for_each(|x| *x = 1.0);
    if sc.has_growth {
        let att = &mut sc.attribution;
        att.iter_mut().for_each(|x| *x = 0.0);
        for e in 0..ne {
            att[(ns + e) * ne + e] = 1.0;
        }
        for &s in c.topo.iter().rev() {
            let mut total = 0.0;
            for o in c.out_slot_start[s]..c.out_slot_start[s + 1] {
                for &l in &c.links_by_out_slot[c.out_link_start[o]..c.out_link_start[o + 1]] {
                    let (f, to) = (sc.flow[l], c.link_to[l]);
                    for e in 0..ne {
                        att[s * ne + e] += f * att[to * ne + e];
                    }
                    total += f;
                }
            }
            if total > 0.0 {
                for e in 0..ne {
                    att[s * ne + e] /= total;
                }
            }
        }
    }

    // Pipelines start full of normal flow: shipments made in the L periods before the horizon.
    for l in 0..spec.links.len() {
        let lead = sc.lead[l];
        for a in 0..lead.min(t_len) {
            sc.arrivals[l * t_len + a] = sc.flow[l];
            if c.link_licensed[l] {
                sc.arrival_ship_time[l * t_len + a] = sc.flow[l] * (a as f64 - lead as f64);
            }
        }
        sc.links[l] = LinkState {
            pipe: sc.flow[l] * lead as f64,
            flow: sc.flow[l],
            lead_estimate: lead as f64,
            share: c.share[l],
            order: [0.0; NC],
            supplier: c.link_from[l],
            // A supplier that is not producing at the start (a plant still to come online) is on probation:
            // customers send it little until it has shown it delivers.
            fill: if sc.online[c.link_from[l]] > 0.0 { FILL_FLOOR } else { 1.0 },
        };
    }
    sc.backlog.iter_mut().for_each(|b| *b = 0.0);

    // Mitigations.
    sc.qty_factor.iter_mut().for_each(|f| *f = 1.0);
    let mit = &spec.mitigations;
    let plan = |start: &Param, ramp: &Param, effect: &Param, k: &[u64; 3]| {
        [
            draw(start, seed, trial, k[0]).max(0.0) / pw,
            draw(ramp, seed, trial, k[1]).max(0.0) / pw,
            draw(effect, seed, trial, k[2]).clamp(0.0, 1.0),
        ]
    };
    for (k, ic) in mit.intensity_changes.iter().enumerate() {
        let [start, ramp, reduction] = plan(&ic.start_week, &ic.ramp_weeks, &ic.reduction, &keys.intensity_change[k]);
        sc.intensity_plan[k] = [triggered(start, ic.trigger, &sc.first_onset), ramp, reduction];
    }
    for (k, ds) in mit.demand_switches.iter().enumerate() {
        let [start, ramp, share] = plan(&ds.start_week, &ds.ramp_weeks, &ds.share, &keys.demand_switch[k]);
        sc.switch_plan[k] = [triggered(start, ds.trigger, &sc.first_onset), ramp, share];
    }
    for (k, sp) in mit.stockpiles.iter().enumerate() {
        let key = &keys.stockpile[k];
        let initial = draw(&sp.initial, seed, trial, key[0]).max(0.0);
        sc.sp_level[k] = initial;
        sc.sp_initial[k] = initial;
        sc.sp_release_cap[k] = draw(&sp.max_release_per_week, seed, trial, key[1]).max(0.0) * pw;
        sc.sp_rebuild_cap[k] = draw(&sp.rebuild_per_week, seed, trial, key[2]).max(0.0) * pw;
        sc.outcome.stockpile_min[k] = initial;
        sc.outcome.stockpile_released[k] = 0.0;
    }

    for o in sc.outcome.end_uses.iter_mut() {
        *o = EndUseOutcome::default();
    }
    sc.outcome.stage_throughput_lost.iter_mut().for_each(|x| *x = 0.0);
    sc.run.iter_mut().for_each(|r| *r = 0);
    sc.cumulative_built.iter_mut().for_each(|x| *x = 0.0);
    sc.oldest_owed_period.iter_mut().for_each(|x| *x = 0);
}

/// Fills `sc.effect` with each disruption's effect per period, from its own stream.
fn sample_disruptions(model: &Model, seed: u64, trial: u64, sc: &mut Scratch) {
    let spec = &model.spec;
    let c = &model.compiled;
    let keys = &model.keys;
    let t_len = spec.periods;
    let pw = spec.period_weeks;
    let ppy = 52.0 / pw;
    sc.effect.iter_mut().for_each(|x| *x = 0.0);
    for &d in &c.disruption_order {
        let dis = &spec.disruptions[d];
        let mut rng = rng::stream_for_key(seed, trial, keys.disruption[d]);
        let row = &mut sc.effect[d * t_len..(d + 1) * t_len];
        let sample_effect = |rng: &mut Stream| -> f64 {
            match &dis.kind {
                DisruptionKind::ExportLicensing { .. } => 1.0,
                DisruptionKind::Embargo { severity, .. } | DisruptionKind::Outage { severity, .. } => {
                    severity.sample(rng).clamp(0.0, 1.0)
                }
                DisruptionKind::DemandShock { multiplier, .. } => multiplier.sample(rng).max(0.0) - 1.0,
            }
        };
        if let DisruptionKind::ExportLicensing { denial, .. } = &dis.kind {
            for (k, p) in denial.iter().enumerate() {
                sc.denial[d][k] = p.sample(&mut rng).clamp(0.0, 1.0);
            }
        }
        let mut first = None;
        let mut mark = |start: usize, len: usize, value: f64, first: &mut Option<usize>| {
            if start < t_len && len > 0 {
                first.get_or_insert(start);
                let end = start.saturating_add(len).min(t_len);
                for x in &mut row[start..end] {
                    *x = value;
                }
            }
        };
        match &dis.timing {
            Timing::Window { onset_weeks, duration_weeks } => {
                let start = periods_of(onset_weeks.sample(&mut rng), pw);
                let len = periods_of(duration_weeks.sample(&mut rng), pw);
                let v = sample_effect(&mut rng);
                mark(start, len, v, &mut first);
            }
            Timing::Hazard { rate_per_year, duration_weeks } => {
                let rate = rate_per_year.sample(&mut rng);
                if let Ok(exp) = Exp::new(rate.max(0.0)) {
                    let mut t = 0.0f64; // in periods
                    loop {
                        t += exp.sample(&mut rng) * ppy;
                        if !(t < t_len as f64) {
                            break;
                        }
                        let start = t.floor() as usize;
                        let len = periods_of(duration_weeks.sample(&mut rng), pw).max(1);
                        let v = sample_effect(&mut rng);
                        mark(start, len, v, &mut first);
                        t = (start + len) as f64;
                    }
                }
            }
            Timing::TwoState { start_per_week, end_per_week } => {
                let p_start = 1.0 - (1.0 - start_per_week).powf(pw);
                let p_end = 1.0 - (1.0 - end_per_week).powf(pw);
                let v = sample_effect(&mut rng);
                let mut active = false;
                for t in 0..t_len {
                    let u: f64 = rng.random();
                    active = if active { u >= p_end } else { u < p_start };
                    if active {
                        mark(t, 1, v, &mut first);
                    }
                }
            }
            Timing::Follows { disruption, probability, lag_weeks, duration_weeks } => {
                let p = probability.sample(&mut rng);
                let lag = periods_of(lag_weeks.sample(&mut rng), pw);
                let len = periods_of(duration_weeks.sample(&mut rng), pw);
                let v = sample_effect(&mut rng);
                let u: f64 = rng.random();
                if let Some(parent) = sc.first_onset[*disruption]
                    && u < p
                {
                    mark(parent + lag, len, v, &mut first);
                }
            }
        }
        sc.first_onset[d] = first;
    }
    for (k, &d) in c.link_disruptions.iter().enumerate() {
        if matches!(spec.disruptions[d].kind, DisruptionKind::ExportLicensing { .. }) {
            sc.licence_streams[k] = rng::stream_for_key(seed, trial, keys.licence[k]);
        }
    }
}

/// One period of the loop.
fn period(model: &Model, sc: &mut Scratch, t: usize, mut trace: Option<&mut Trace>) {
    let spec = &model.spec;
    let c = &model.compiled;
    let t_len = sc.t_len;
    let (ns, ne) = (c.n_stages, c.n_end_uses);
    let tt = t as f64;

    sc.sp_released_now.iter_mut().for_each(|x| *x = 0.0);

    // Capacity this period.
    for s in 0..ns {
        let avail = ramp_factor(tt, sc.online[s], sc.ramp[s]);
        sc.avail[s] = avail;
        sc.cap_nominal[s] = sc.cap_base[s] * sc.cap_growth[s] * avail;
        sc.cap_growth[s] *= sc.cap_step[s];
        sc.cap_now[s] = sc.cap_nominal[s];
    }
    for &(d, s) in &c.outages {
        let x = sc.effect[d * t_len + t];
        if x != 0.0 {
            sc.cap_now[s] *= 1.0 - x;
        }
    }

    // Demand trend of every node (growth factors before this period's step).
    if sc.has_growth {
        for n in 0..ns + ne {
            let att = &sc.attribution[n * ne..(n + 1) * ne];
            sc.trend[n] = att.iter().zip(&sc.demand_growth).map(|(a, g)| a * g).sum();
        }
    }

    // Thrifting: intensity changes act on input quantities per unit of throughput.
    if !c.intensity_slot.is_empty() {
        for &i in &c.intensity_slot {
            sc.qty_factor[i] = 1.0;
        }
        for (k, &i) in c.intensity_slot.iter().enumerate() {
            let [start, ramp, reduction] = sc.intensity_plan[k];
            sc.qty_factor[i] *= 1.0 - reduction * ramp_factor(tt, start, ramp);
        }
    }

    // (1) Demand.
    for e in 0..ne {
        let mut d = sc.demand_base[e] * sc.demand_growth[e];
        sc.normal_demand_now[e] = d;
        for (k, ds) in spec.mitigations.demand_switches.iter().enumerate() {
            if ds.end_use == e {
                let [start, ramp, share] = sc.switch_plan[k];
                d *= 1.0 - share * ramp_factor(tt, start, ramp);
            }
        }
        sc.demand_growth[e] *= sc.demand_step[e];
        for &(k, target) in &c.demand_shocks {
            let x = sc.effect[k * t_len + t];
            if x != 0.0 && target == e {
                d *= 1.0 + x;
            }
        }
        sc.demand_now[e] = d;
        sc.required[e] = d + sc.backlog[e];
    }

    // (2) Orders upstream: end uses, then stages customers first.
    for e in 0..ne {
        let mut w = [0.0; NC];
        w[c.end_use_class[e]] = 1.0;
        place_orders(c, sc, ns + e, sc.required[e], w);
    }
    for &s in c.topo.iter().rev() {
        let mut plan: f64 = 0.0;
        let mut w = [0.0; NC];
        for o in c.out_slot_start[s]..c.out_slot_start[s + 1] {
            let mut r = [0.0; NC];
            for &l in &c.links_by_out_slot[c.out_link_start[o]..c.out_link_start[o + 1]] {
                let q = sc.links[l].order;
                r[0] += q[0];
                r[1] += q[1];
                r[2] += q[2];
            }
            sc.received[o] = r;
            let y = c.out_slot_yield[o];
            plan = plan.max((r[0] + r[1] + r[2] + sc.out_target[o] * sc.trend[s] - sc.out_stock[o]) / y);
            w[0] += r[0] / y;
            w[1] += r[1] / y;
            w[2] += r[2] / y;
        }
        let wt = w[0] + w[1] + w[2];
        let w = if wt > 0.0 { [w[0] / wt, w[1] / wt, w[2] / wt] } else { sc.normal_class_mix[s] };
        sc.class_mix[s] = w;
        sc.plan_uncapped[s] = plan.max(0.0);
        sc.plan[s] = sc.plan_uncapped[s].min(sc.cap_now[s]);
        place_orders(c, sc, s, sc.plan[s], w);
    }

    // (3) Production and shipments, suppliers first.
    for &s in &c.topo {
        let ins = c.in_slot_start[s]..c.in_slot_start[s + 1];
        let outs = c.out_slot_start[s]..c.out_slot_start[s + 1];
        // Boxed so that the untraced hot path moves a pointer, not nine vectors.
        let mut sp = trace.as_ref().map(|_| {
            Box::new(StagePeriod {
                opening_input: sc.in_stock[ins.clone()].to_vec(),
                opening_output: sc.out_stock[outs.clone()].to_vec(),
                ..StagePeriod::default()
            })
        });
        let mut x = sc.plan[s];
        for i in ins.clone() {
            let got = receive(c, sc, i, t);
            let released = if c.node_stockpiled[s] { release(model, sc, i, t, x, sc.class_mix[s]) } else { 0.0 };
            if let Some(sp) = sp.as_mut() {
                sp.received.push(got);
                sp.from_stockpile.push(released);
            }
            x = x.min(sc.in_stock[i] / (c.in_slot_qty[i] * sc.qty_factor[i]));
        }
        let x = x.max(0.0);
        for i in ins.clone() {
            let used = (x * c.in_slot_qty[i] * sc.qty_factor[i]).min(sc.in_stock[i]);
            sc.in_stock[i] -= used;
            let rebuilt = if c.node_stockpiled[s] { rebuild(c, sc, s, i) } else { 0.0 };
            if let Some(sp) = sp.as_mut() {
                sp.consumed.push(used);
                sp.input_factor.push(sc.qty_factor[i]);
                sp.to_stockpile.push(rebuilt);
            }
        }
        sc.outcome.stage_throughput_lost[s] += (sc.plan_uncapped[s].min(sc.cap_nominal[s]) - x).max(0.0);
        for o in outs.clone() {
            let made = x * c.out_slot_yield[o];
            sc.out_stock[o] += made;
            let shipped = ship(model, sc, s, o, t);
            if let Some(sp) = sp.as_mut() {
                sp.produced.push(made);
                sp.shipped.push(shipped);
            }
        }
        if let (Some(mut sp), Some(tr)) = (sp, trace.as_deref_mut()) {
            sp.throughput = x;
            sp.closing_input = sc.in_stock[ins].to_vec();
            sp.closing_output = sc.out_stock[outs].to_vec();
            if tr.stages.len() <= t {
                tr.stages.push(vec![StagePeriod::default(); ns]);
            }
            tr.stages[t][s] = std::mem::take(sp.as_mut());
        }
    }

    // (5) End uses build.
    // (Stockpile release caps are per period; the loop below may still release.)
    for e in 0..ne {
        let node = ns + e;
        let ins = c.in_slot_start[node]..c.in_slot_start[node + 1];
        let required = sc.required[e];
        let mut can = required;
        let mut w = [0.0; NC];
        w[c.end_use_class[e]] = 1.0;
        for i in ins.clone() {
            receive(c, sc, i, t);
            if c.node_stockpiled[node] {
                let released = release(model, sc, i, t, required, w);
                if let Some(tr) = trace.as_deref_mut() {
                    tr.end_use_from_stockpile[i - c.in_slot_start[ns]] += released;
                }
            }
            can = can.min(sc.in_stock[i] / (c.in_slot_qty[i] * sc.qty_factor[i]));
        }
        let built = if can >= required * (1.0 - SHORT_TOLERANCE) { required } else { can.max(0.0) };
        for i in ins {
            let used = (built * c.in_slot_qty[i] * sc.qty_factor[i]).min(sc.in_stock[i]);
            sc.in_stock[i] -= used;
            let rebuilt = if c.node_stockpiled[node] { rebuild(c, sc, node, i) } else { 0.0 };
            if let Some(tr) = trace.as_deref_mut() {
                tr.end_use_consumed[i - c.in_slot_start[ns]] += used;
                tr.end_use_to_stockpile[i - c.in_slot_start[ns]] += rebuilt;
            }
        }
        let unmet = required - built;
        let carried_in = sc.backlog[e];
        sc.backlog[e] = match spec.end_uses[e].unmet {
            Unmet::Backlog => unmet,
            Unmet::Lost => 0.0,
        };
        sc.share_series[e * t_len + t] = if required > 0.0 { (built / required) as f32 } else { 1.0 };
        if spec.end_uses[e].unmet == Unmet::Backlog {
            record_delay(sc, e, t, carried_in, built, spec.period_weeks);
        }
        let o = &mut sc.outcome.end_uses[e];
        o.demand += sc.demand_now[e];
        o.built += built;
        if unmet > 0.0 {
            o.short_periods += 1;
            o.first_short_period.get_or_insert(t as u32);
            sc.run[e] += 1;
            o.longest_short_run = o.longest_short_run.max(sc.run[e]);
            o.recovery_period = None;
        } else {
            if sc.run[e] > 0 {
                o.recovery_period = Some(t as u32);
            }
            sc.run[e] = 0;
        }
        if let Some(tr) = trace.as_deref_mut() {
            if tr.built.len() <= t {
                tr.built.push(vec![0.0; ne]);
                tr.required.push(vec![0.0; ne]);
                tr.demand.push(vec![0.0; ne]);
            }
            tr.built[t][e] = built;
            tr.required[t][e] = required;
            tr.demand[t][e] = sc.demand_now[e];
        }
    }
}

/// Delay bookkeeping of a backlogged end use after it built `built` in period `t`, with `carried_in` units owed
/// from earlier periods (`sc.backlog[e]` already holds what it carries out). Built units serve the oldest demand
/// first, so the units delivered late this period are `min(built, carried_in)`, and the oldest unit still owed
/// is found from cumulative demand against cumulative builds: its age is the longest delay so far.
fn record_delay(sc: &mut Scratch, e: usize, t: usize, carried_in: f64, built: f64, period_weeks: f64) {
    let row = e * sc.t_len;
    let previous = if t > 0 { sc.cumulative_demand[row + t - 1] } else { 0.0 };
    sc.cumulative_demand[row + t] = previous + sc.demand_now[e];
    let owed = sc.backlog[e];
    let o = &mut sc.outcome.end_uses[e];
    o.units_late += built.min(carried_in);
    if owed > 0.0 {
        sc.cumulative_built[e] += built;
        o.backlog_unit_periods += owed;
        o.peak_backlog = o.peak_backlog.max(owed);
        let normal = sc.normal_demand_now[e];
        let weeks = if normal > 0.0 { owed / normal * period_weeks } else { 0.0 };
        o.peak_backlog_weeks = o.peak_backlog_weeks.max(weeks);
        sc.backlog_series[row + t] = weeks as f32;
        // The oldest period whose demand is not yet all built; a relative tolerance absorbs rounding in the sums.
        let built_so_far = sc.cumulative_built[e];
        let oldest = &mut sc.oldest_owed_period[e];
        while *oldest < t && sc.cumulative_demand[row + *oldest] <= built_so_far * (1.0 + 1e-9) {
            *oldest += 1;
        }
        o.max_delay_periods = o.max_delay_periods.max((t + 1 - *oldest) as u32);
    } else {
        // Everything demanded so far is built: restart the sums from here, so rounding cannot accumulate.
        sc.cumulative_built[e] = sc.cumulative_demand[row + t];
        sc.oldest_owed_period[e] = t + 1;
        sc.backlog_series[row + t] = 0.0;
    }
    if t + 1 == sc.t_len {
        o.units_owed_at_end = owed;
    }
}

/// Order-up-to ordering for `node` at activity `activity`, split over suppliers by share and over classes by `w`.
///
/// The order brings the inventory position (stock plus pipeline) back to its target: target stock plus the
/// normal flow times the lead time the customer currently expects on each link. That expectation is smoothed
/// from what actually arrived, so buyers facing licence delays learn to order further ahead, as they did in 2025.
#[inline]
fn place_orders(c: &Compiled, sc: &mut Scratch, node: usize, activity: f64, w: [f64; NC]) {
    let trend = sc.trend[node];
    for i in c.in_slot_start[node]..c.in_slot_start[node + 1] {
        let mut stock_target = sc.in_target[i] * trend;
        if c.node_stockpiled[node] {
            // A stockpile below its size raises its customers' stock target by the deficit, so they order it.
            stock_target += stockpile_deficit(c, sc, i);
        }
        let links = &mut sc.links[c.in_link_start[i]..c.in_link_start[i + 1]];
        let mut in_transit = 0.0;
        let mut pipe_target = 0.0;
        for x in links.iter() {
            in_transit += x.pipe;
            pipe_target += x.flow * x.lead_estimate;
        }
        let need = activity * c.in_slot_qty[i] * sc.qty_factor[i]
            + (stock_target - sc.in_stock[i])
            + (pipe_target * trend - in_transit);
        let need = need.max(0.0);
        if links.len() == 1 {
            links[0].order = [need * w[0], need * w[1], need * w[2]];
            continue;
        }
        // Customers split their order by normal share, weighted by each supplier's availability (nothing to a
        // plant not yet online) and by the share of recent orders it actually shipped, so orders move away from
        // a supplier that is cut off, denied or short towards those that deliver.
        let avail = &sc.avail;
        let weight = |x: &LinkState| x.share * avail[x.supplier] * x.fill.max(FILL_FLOOR);
        let total: f64 = links.iter().map(weight).sum();
        for x in links.iter_mut() {
            let q = if total > 0.0 { need * weight(x) / total } else { need * x.share };
            x.order = [q * w[0], q * w[1], q * w[2]];
        }
    }
}

/// What the stockpiles serving input slot `i` still need to rebuild (at most one period's rebuild rate each).
fn stockpile_deficit(c: &Compiled, sc: &Scratch, i: usize) -> f64 {
    c.slot_stockpiles
        .iter()
        .filter(|&&(slot, _)| slot == i)
        .map(|&(_, k)| (sc.sp_initial[k] - sc.sp_level[k]).clamp(0.0, sc.sp_rebuild_cap[k]))
        .sum()
}

/// Releases stockpiled material into input slot `i` of `node` when its stock cannot cover `activity`, for the
/// share of its demand in the stockpile's release classes, within the stockpile's per-period cap.
fn release(model: &Model, sc: &mut Scratch, i: usize, t: usize, activity: f64, w: [f64; NC]) -> f64 {
    let c = &model.compiled;
    let mut total = 0.0;
    for &(slot, k) in &c.slot_stockpiles {
        if slot != i {
            continue;
        }
        if let Some(d) = model.spec.mitigations.stockpiles[k].release_while
            && sc.effect[d * sc.t_len + t] == 0.0
        {
            continue;
        }
        let gap = activity * c.in_slot_qty[i] * sc.qty_factor[i] - sc.in_stock[i];
        if !(gap > 0.0) {
            break;
        }
        let sp = &model.spec.mitigations.stockpiles[k];
        let class_share: f64 = sp.release_classes.iter().map(|&cl| w[cl as usize]).sum();
        let amount = (gap * class_share.min(1.0)).min(sc.sp_release_cap[k] - sc.sp_released_now[k]).min(sc.sp_level[k]);
        if amount > 0.0 {
            sc.sp_level[k] -= amount;
            sc.sp_released_now[k] += amount;
            sc.in_stock[i] += amount;
            sc.outcome.stockpile_released[k] += amount;
            sc.outcome.stockpile_min[k] = sc.outcome.stockpile_min[k].min(sc.sp_level[k]);
            total += amount;
        }
    }
    total
}

/// Moves a node's stock above its own target into the stockpiles serving input `i` that are below their size.
fn rebuild(c: &Compiled, sc: &mut Scratch, node: usize, i: usize) -> f64 {
    let mut total = 0.0;
    for &(slot, k) in &c.slot_stockpiles {
        if slot != i {
            continue;
        }
        let surplus = sc.in_stock[i] - sc.in_target[i] * sc.trend[node];
        let room = (sc.sp_initial[k] - sc.sp_level[k]).min(sc.sp_rebuild_cap[k]);
        let amount = surplus.min(room);
        if amount > 0.0 {
            sc.in_stock[i] -= amount;
            sc.sp_level[k] += amount;
            total += amount;
        }
    }
    total
}

/// Receives this period's arrivals into input slot `i`; returns the quantity received.
#[inline]
fn receive(c: &Compiled, sc: &mut Scratch, i: usize, t: usize) -> f64 {
    let t_len = sc.t_len;
    let mut got = 0.0;
    let first = c.in_link_start[i];
    let links = &mut sc.links[first..c.in_link_start[i + 1]];
    for (k, x) in links.iter_mut().enumerate() {
        let l = first + k;
        let a = std::mem::take(&mut sc.arrivals[l * t_len + t]);
        if a == 0.0 {
            continue;
        }
        if c.link_licensed[l] {
            let shipped_at = std::mem::take(&mut sc.arrival_ship_time[l * t_len + t]);
            let observed = t as f64 - shipped_at / a;
            x.lead_estimate += LEAD_SMOOTHING * (observed - x.lead_estimate);
        }
        x.pipe -= a;
        got += a;
    }
    sc.in_stock[i] += got;
    got
}

/// Allocates output slot `o` of stage `s` to its customers and ships, applying export controls.
/// Returns the quantity that left the stage.
fn ship(model: &Model, sc: &mut Scratch, s: usize, o: usize, t: usize) -> f64 {
    let spec = &model.spec;
    let c = &model.compiled;
    let t_len = sc.t_len;
    let links = &c.links_by_out_slot[c.out_link_start[o]..c.out_link_start[o + 1]];
    if links.is_empty() {
        return 0.0;
    }
    let mut avail = sc.out_stock[o];
    let r = sc.received[o];
    // Fraction of each class's orders that can be served.
    let mut frac = [0.0; NC];
    let (order, n) = c.allocation[s];
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
        let ord = sc.links[l].order;
        let mut q = [ord[0] * frac[0], ord[1] * frac[1], ord[2] * frac[2]];
        let mut delay = 0usize;
        let controls = c.link_disruption_start[l]..c.link_disruption_start[l + 1];
        if !controls.is_empty() {
            let mut quota = f64::INFINITY;
            for k in controls {
                let d = c.link_disruptions[k];
                let x = sc.effect[d * t_len + t];
                if x == 0.0 {
                    continue;
                }
                if !c.is_licensing[d] {
                    // An embargo: a cut of `x` caps the link at (1 - x) of its normal flow, so more orders
                    // cannot beat a quota.
                    quota = quota.min((1.0 - x) * sc.links[l].flow);
                } else if let DisruptionKind::ExportLicensing { review_weeks, .. } = &spec.disruptions[d].kind
                    && q.iter().any(|&v| v > 0.0)
                {
                    let rng = &mut sc.licence_streams[k];
                    for (class, v) in q.iter_mut().enumerate() {
                        if *v > 0.0 && rng.random::<f64>() < sc.denial[d][class] {
                            *v = 0.0;
                        }
                    }
                    delay = delay.max(periods_of(review_weeks.sample(rng), spec.period_weeks));
                }
            }
            let total = q[0] + q[1] + q[2];
            if total > quota {
                let f = if total > 0.0 { quota / total } else { 0.0 };
                q = [q[0] * f, q[1] * f, q[2] * f];
            }
        }
        let qty = (q[0] + q[1] + q[2]).min(sc.out_stock[o]).max(0.0);
        let ordered = ord[0] + ord[1] + ord[2];
        if ordered > 0.0 {
            let x = &mut sc.links[l];
            x.fill += FILL_SMOOTHING * ((qty / ordered).min(1.0) - x.fill);
        }
        if !(qty > 0.0) {
            continue;
        }
        sc.out_stock[o] -= qty;
        shipped_total += qty;
        if sc.tracing {
            sc.link_shipped[l * t_len + t] += qty;
            if t + delay < t_len {
                sc.link_cleared[l * t_len + t + delay] += qty;
            }
        }
        let arrive = t + sc.lead[l] + delay;
        if arrive < t_len {
            sc.arrivals[l * t_len + arrive] += qty;
            if c.link_licensed[l] {
                sc.arrival_ship_time[l * t_len + arrive] += qty * t as f64;
            }
        }
        sc.links[l].pipe += qty;
    }
    shipped_total
}
