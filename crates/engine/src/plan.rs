//! The compiled plan the period loop runs on: the validated specification turned into typed records in
//! processing order, with every uncertain parameter compiled into a sampler and keyed to its own stream.
//!
//! Stages are numbered in processing order (topological: suppliers before customers, ties broken by the
//! specification's index), so the loops of the period run over the records in index order. A node (a stage, then
//! the end uses) owns a contiguous range of input slots; an input slot owns the contiguous range of links that
//! supply it; an output slot owns the list of links that take from it, in the specification's link order. Input
//! slots and links keep the specification's numbering (links are already grouped by customer and input when the
//! model is built), so per-link results need no translation. The period loop reads only this plan and the
//! trial's scratch state, never the user's specification.

use std::collections::BTreeSet;
use std::ops::Range;

use crate::float_math::{cos, pow};
use crate::market::PlannedMarkets;
use crate::model::{Allocation, DisruptionKind, LinkSpec, ModelError, ModelSpec, Node, Timing, Unmet, scope_covers};
use crate::param::{Param, PeriodsSampler, Sampler};
use crate::rng::{self, key};

/// Number of priority classes.
pub(crate) const CLASSES: usize = 3;

/// A parameter drawn once per trial, from its own stream: `(seed, trial, key)`.
#[derive(Debug, Clone)]
pub(crate) struct DrawnParam {
    pub sampler: Sampler,
    pub key: u64,
}

impl DrawnParam {
    fn new(param: &Param, name: &str) -> Self {
        Self { sampler: Sampler::new(param), key: key(name) }
    }

    /// The trial's value. A constant draws nothing and opens no stream.
    #[inline]
    pub fn draw(&self, seed: u64, trial: u64) -> f64 {
        match self.sampler.constant() {
            Some(v) => v,
            None => self.sampler.sample(&mut rng::stream_for_key(seed, trial, self.key)),
        }
    }
}

/// A growth rate per year drawn once per trial, as the factor per period a trial grows by: `(1 + rate)^(1 /
/// periods per year)`, the rate held above -0.999. Computed once here when the rate is a constant (every trial would
/// compute the same `pow` of the same numbers; it was half a per cent of a run's time), else per trial.
#[derive(Debug, Clone)]
pub(crate) struct DrawnGrowth {
    rate: DrawnParam,
    periods_per_year: f64,
    constant_step: Option<f64>,
}

impl DrawnGrowth {
    fn new(param: &Param, name: &str, periods_per_year: f64) -> Self {
        let rate = DrawnParam::new(param, name);
        let constant_step = rate.sampler.constant().map(|rate| growth_step(rate, periods_per_year));
        Self { rate, periods_per_year, constant_step }
    }

    /// The trial's factor per period.
    #[inline]
    pub fn step(&self, seed: u64, trial: u64) -> f64 {
        match self.constant_step {
            Some(step) => step,
            None => growth_step(self.rate.draw(seed, trial), self.periods_per_year),
        }
    }
}

/// The factor per period of a growth rate per year.
fn growth_step(rate: f64, periods_per_year: f64) -> f64 {
    pow(1.0 + rate.max(-0.999), 1.0 / periods_per_year)
}

/// A stage in processing order: where its inputs and outputs are, and how it allocates.
#[derive(Debug, Clone)]
pub(crate) struct PlannedStage {
    /// The stage's index in the specification (for outcomes and traces).
    pub spec_index: usize,
    /// Its input slots (a range of [`Plan::inputs`]).
    pub inputs: Range<usize>,
    /// Its output slots (a range of [`Plan::outputs`]).
    pub outputs: Range<usize>,
    /// Classes in priority order and how many of them count; 0 means pro rata across all orders.
    pub allocation: ([u8; CLASSES], u8),
    /// Whether a stockpile serves one of its inputs.
    pub stockpiled: bool,
}

/// What a trial draws for a stage, in the stage's processing order.
#[derive(Debug, Clone)]
pub(crate) struct StageParameters {
    pub capacity_per_year: DrawnParam,
    pub capacity_growth: DrawnGrowth,
    pub online_week: Option<DrawnParam>,
    /// A disruption whose first onset the online week counts from (the stage never comes online in a trial
    /// without it); `None`: from the start of the horizon.
    pub online_trigger: Option<usize>,
    pub ramp_weeks: DrawnParam,
    /// Initial and target weeks of each input's normal use, and of each output's normal shipments.
    pub input_stock_weeks: [DrawnParam; 2],
    pub output_stock_weeks: [DrawnParam; 2],
}

/// An end use: where its inputs are, its class and what happens to demand it cannot meet.
#[derive(Debug, Clone)]
pub(crate) struct PlannedEndUse {
    pub inputs: Range<usize>,
    /// Its class, as an index into per-class arrays.
    pub class: usize,
    pub backlogged: bool,
    pub stockpiled: bool,
}

/// What a trial draws for an end use.
#[derive(Debug, Clone)]
pub(crate) struct EndUseParameters {
    pub demand_per_year: DrawnParam,
    pub demand_growth: DrawnGrowth,
    /// Initial and target weeks of normal use.
    pub stock_weeks: [DrawnParam; 2],
    /// Per input slot, the intensity drawn once per trial, or `None` for a constant one.
    pub intensity: Vec<Option<DrawnParam>>,
}

/// One material a node consumes, per unit of its throughput (or per unit built, for an end use).
#[derive(Debug, Clone)]
pub(crate) struct InputSlot {
    pub quantity: f64,
    /// The links that supply it (a range of [`Plan::links`]).
    pub links: Range<usize>,
    /// Whether a supplier of it may be short of its nameplate in some period (it comes online late, after a
    /// trigger, or ramps up): only then do its customers cap what they order from ramping suppliers.
    pub may_ramp: bool,
}

/// One material a stage makes, per unit of throughput.
#[derive(Debug, Clone)]
pub(crate) struct OutputSlot {
    pub yield_per_unit: f64,
    /// The links that take from it: a range of [`Plan::customer_links`], in link order.
    pub customers: Range<usize>,
}

/// A link: its supplier, its customer and the export controls that may act on it.
#[derive(Debug, Clone)]
pub(crate) struct PlannedLink {
    /// The supplying stage, by processing position.
    pub supplier: usize,
    /// The customer node: a stage's processing position, or the number of stages plus an end use's index.
    pub customer: usize,
    /// The customer's normal sourcing share.
    pub share: f64,
    /// The supplier's output slot it takes from.
    pub output: usize,
    /// The controls that cover it (a range of [`Plan::link_controls`]).
    pub controls: Range<usize>,
    /// Its position among the licensed links (those an export-licensing regime covers), whose arrivals record
    /// when they were shipped so that customers can learn the lead time.
    pub licensed: Option<usize>,
    pub lead_time_weeks: DrawnParam,
    /// The one destination class the link can carry, where its customer can serve only one (an end use, or a
    /// stage whose customers serve only the class of a stage without normal demand): its orders of every other
    /// class are always +0.0, so ordering and shipping work on that class alone. `None` where it can carry more.
    pub only_class: Option<usize>,
}

/// An export control or embargo covering one link.
#[derive(Debug, Clone)]
pub(crate) struct LinkControl {
    pub disruption: usize,
    pub kind: ControlKind,
    /// The stream of this link's licence reviews under this regime (unused for an embargo).
    pub licence_key: u64,
}

/// What a control does to a shipment.
#[derive(Debug, Clone)]
pub(crate) enum ControlKind {
    /// Caps the link at (1 - severity) of its normal flow.
    Embargo,
    /// Denies by class and delays by a review time, in weeks, drawn per shipment and used in whole periods.
    Licensing { review: PeriodsSampler },
}

/// What a disruption does while it is active, with its per-event draws compiled.
#[derive(Debug, Clone)]
pub(crate) enum PlannedEffect {
    /// Export licensing: denial probabilities per destination class, and the grace period after each onset, drawn
    /// once per trial.
    Licensing { denial: [Sampler; CLASSES], grace_weeks: Box<Sampler> },
    /// An embargo or an outage: the severity of each event.
    Cut { severity: Sampler },
    /// A demand shock: the multiplier of each event.
    DemandMultiplier { multiplier: Sampler },
}

/// When a disruption is active, with its draws compiled and durations still in weeks.
#[derive(Debug, Clone)]
pub(crate) enum PlannedTiming {
    Window {
        onset_weeks: Sampler,
        duration_weeks: Sampler,
    },
    Hazard {
        rate_per_year: Sampler,
        duration_weeks: Sampler,
    },
    /// Per-period probabilities of starting and of ending.
    TwoState {
        start_per_period: f64,
        end_per_period: f64,
    },
    Follows {
        disruption: usize,
        probability: Sampler,
        lag_weeks: Sampler,
        duration_weeks: Sampler,
    },
}

/// A disruption: its effect, its timing and the key of its stream.
#[derive(Debug, Clone)]
pub(crate) struct PlannedDisruption {
    pub effect: PlannedEffect,
    pub timing: PlannedTiming,
    pub key: u64,
}

/// A stockpile and its draws.
#[derive(Debug, Clone)]
pub(crate) struct PlannedStockpile {
    /// Releases only for the share of demand in these classes.
    pub release_classes: Vec<usize>,
    pub initial: DrawnParam,
    pub max_release_per_week: DrawnParam,
    pub rebuild_per_week: DrawnParam,
    /// Releases only while this disruption is active (`None`: whenever its customers are short).
    pub release_while: Option<usize>,
}

/// A change that ramps in after a lag (thrifting acting on an input slot, or a demand switch on an end use).
#[derive(Debug, Clone)]
pub(crate) struct PlannedRamp {
    /// The input slot (thrifting) or the end use (switch) it acts on.
    pub target: usize,
    pub start_week: DrawnParam,
    pub ramp_weeks: DrawnParam,
    /// The reduction (thrifting) or the share switched (switch) at full effect.
    pub full_effect: DrawnParam,
    /// A disruption whose first onset the start counts from (the change never starts in a trial without it);
    /// `None`: from the start of the horizon.
    pub trigger: Option<usize>,
}

/// The compiled model. See the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub periods: usize,
    pub period_weeks: f64,
    pub periods_per_year: f64,
    /// Stages in processing order.
    pub stages: Vec<PlannedStage>,
    pub stage_parameters: Vec<StageParameters>,
    /// The specification's stage indices in processing order.
    pub processing_order: Vec<usize>,
    pub end_uses: Vec<PlannedEndUse>,
    pub end_use_parameters: Vec<EndUseParameters>,
    /// Input slots: those of the stages (in the specification's stage order), then those of the end uses.
    pub inputs: Vec<InputSlot>,
    /// The input slots of the end uses (the tail of `inputs`).
    pub end_use_inputs: Range<usize>,
    /// Output slots, in the specification's stage order.
    pub outputs: Vec<OutputSlot>,
    /// Links in the specification's order (grouped by customer and input).
    pub links: Vec<PlannedLink>,
    /// The links taking from each output slot.
    pub customer_links: Vec<usize>,
    /// The controls on each link; `link_disruptions` holds the same disruptions as plain indices.
    pub link_controls: Vec<LinkControl>,
    pub link_disruptions: Vec<usize>,
    /// How many links are licensed.
    pub licensed_links: usize,
    pub disruptions: Vec<PlannedDisruption>,
    /// Disruptions in an order where each comes after the one it follows.
    pub disruption_order: Vec<usize>,
    /// (disruption, stage processing position) of every outage, in disruption order.
    pub outages: Vec<(usize, usize)>,
    /// (disruption, end use) of every demand shock, in disruption order.
    pub demand_shocks: Vec<(usize, usize)>,
    pub stockpiles: Vec<PlannedStockpile>,
    /// (input slot, stockpile): which stockpiles may release into which inputs.
    pub slot_stockpiles: Vec<(usize, usize)>,
    pub intensity_changes: Vec<PlannedRamp>,
    pub demand_switches: Vec<PlannedRamp>,
    /// The markets (none unless the scenario asks for them).
    pub markets: PlannedMarkets,
}

impl Plan {
    /// Number of nodes: stages, then end uses.
    pub fn nodes(&self) -> usize {
        self.stages.len() + self.end_uses.len()
    }

    /// The links taking from output slot `o`.
    #[inline]
    pub fn customers_of(&self, o: usize) -> &[usize] {
        &self.customer_links[self.outputs[o].customers.clone()]
    }
}

/// Sets each link's [`PlannedLink::only_class`]. An end use serves its own class; a stage serves the classes of
/// its customers, and the last class, which a stage without normal demand takes for its class mix (`draw.rs`).
/// A node's class mix, and so every order it places, is +0.0 for a class it cannot serve: its orders are
/// `need * mix`, sums of them, and their ratios, all finite and +0.0 or above. Linear in the links: suppliers come
/// before their customers in processing order, so customers are settled first.
fn only_classes(stages: usize, end_uses: &[PlannedEndUse], links: &mut [PlannedLink]) {
    let mut classes: Vec<u8> = vec![1 << (CLASSES - 1); stages];
    classes.extend(end_uses.iter().map(|e| 1u8 << e.class));
    let mut by_supplier: Vec<usize> = (0..links.len()).collect();
    by_supplier.sort_by_key(|&l| std::cmp::Reverse(links[l].supplier));
    for l in by_supplier {
        classes[links[l].supplier] |= classes[links[l].customer];
    }
    for link in links {
        let served = classes[link.customer];
        link.only_class = (served.count_ones() == 1).then_some(served.trailing_zeros() as usize);
    }
}

/// The label of a link in stream keys.
fn link_label(spec: &ModelSpec, l: &LinkSpec) -> String {
    let customer = match l.to {
        Node::Stage(s) => &spec.stages[s].name,
        Node::EndUse(e) => &spec.end_uses[e].name,
    };
    format!("{}->{}:{}", spec.stages[l.from].name, customer, spec.materials[l.material].name)
}

/// Stages in topological order (Kahn's algorithm, ties broken by index); a cycle is an error.
fn topological_order(spec: &ModelSpec, errors: &mut Vec<ModelError>) -> Vec<usize> {
    let ns = spec.stages.len();
    let mut indegree = vec![0usize; ns];
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); ns];
    for l in &spec.links {
        if let Node::Stage(t) = l.to {
            successors[l.from].push(t);
            indegree[t] += 1;
        }
    }
    let mut ready: BTreeSet<usize> = (0..ns).filter(|&s| indegree[s] == 0).collect();
    let mut order = Vec::with_capacity(ns);
    while let Some(s) = ready.pop_first() {
        order.push(s);
        for &t in &successors[s] {
            indegree[t] -= 1;
            if indegree[t] == 0 {
                ready.insert(t);
            }
        }
    }
    if order.len() < ns {
        let names = (0..ns).filter(|&s| indegree[s] > 0).map(|s| spec.stages[s].name.clone()).collect();
        errors.push(ModelError::Cycle(names));
    }
    order
}

/// Disruptions ordered so that each follows its parent; a cycle of `follows` is an error.
fn disruption_order(spec: &ModelSpec, errors: &mut Vec<ModelError>) -> Vec<usize> {
    let nd = spec.disruptions.len();
    let mut order = Vec::with_capacity(nd);
    let mut placed = vec![false; nd];
    while order.len() < nd {
        let before = order.len();
        for d in 0..nd {
            if placed[d] {
                continue;
            }
            let parent_ready = match spec.disruptions[d].timing {
                Timing::Follows { disruption, .. } => placed[disruption],
                _ => true,
            };
            if parent_ready {
                placed[d] = true;
                order.push(d);
            }
        }
        if order.len() == before {
            let names = (0..nd).filter(|&d| !placed[d]).map(|d| spec.disruptions[d].name.clone()).collect();
            errors.push(ModelError::Cycle(names));
            break;
        }
    }
    order
}

fn planned_disruption(spec: &ModelSpec, d: usize) -> PlannedDisruption {
    let dis = &spec.disruptions[d];
    let effect = match &dis.kind {
        DisruptionKind::ExportLicensing { denial, grace_weeks, .. } => PlannedEffect::Licensing {
            denial: [0, 1, 2].map(|k| Sampler::new(&denial[k])),
            grace_weeks: Box::new(Sampler::new(grace_weeks)),
        },
        DisruptionKind::Embargo { severity, .. } | DisruptionKind::Outage { severity, .. } => {
            PlannedEffect::Cut { severity: Sampler::new(severity) }
        }
        DisruptionKind::DemandShock { multiplier, .. } => {
            PlannedEffect::DemandMultiplier { multiplier: Sampler::new(multiplier) }
        }
    };
    let pw = spec.period_weeks;
    let timing = match &dis.timing {
        Timing::Window { onset_weeks, duration_weeks } => PlannedTiming::Window {
            onset_weeks: Sampler::new(onset_weeks),
            duration_weeks: Sampler::new(duration_weeks),
        },
        Timing::Hazard { rate_per_year, duration_weeks } => PlannedTiming::Hazard {
            rate_per_year: Sampler::new(rate_per_year),
            duration_weeks: Sampler::new(duration_weeks),
        },
        Timing::TwoState { start_per_week, end_per_week } => {
            let (start_per_period, end_per_period) = two_state_per_period(*start_per_week, *end_per_week, pw);
            PlannedTiming::TwoState { start_per_period, end_per_period }
        }
        Timing::Follows { disruption, probability, lag_weeks, duration_weeks } => PlannedTiming::Follows {
            disruption: *disruption,
            probability: Sampler::new(probability),
            lag_weeks: Sampler::new(lag_weeks),
            duration_weeks: Sampler::new(duration_weeks),
        },
    };
    PlannedDisruption { effect, timing, key: key(&format!("disruption:{}", dis.name)) }
}

/// The per-period start and end probabilities of a two-state outage given per week (`p`, `q`), for periods of
/// `period_weeks` weeks: the `period_weeks`-step transition of the weekly chain, converted jointly so that the
/// long-run share of time down stays `p / (p + q)`.
///
/// With `λ = 1 - p - q`, the n-step chain starts with probability `p (1 - λ^n) / (p + q)` and ends with
/// `q (1 - λ^n) / (p + q)` (the 2x2 transition matrix has eigenvalues 1 and λ). When `p + q > 1`, λ is negative
/// and the weekly chain alternates; `λ^n` is then taken as the real part of the principal power,
/// `|λ|^n cos(π n)`, exact at whole numbers of weeks and within `±|λ|^n` elsewhere (so both stay within [0, 1]
/// for periods of a week or more). With
/// `p + q = 0` the chain never moves: both are 0. Results are clamped to [0, 1] (they can leave it only for
/// periods shorter than a week with `p + q > 1`, where no step of the weekly chain exists).
pub(crate) fn two_state_per_period(p: f64, q: f64, period_weeks: f64) -> (f64, f64) {
    if period_weeks == 1.0 {
        // The weekly chain itself, bit for bit.
        return (p, q);
    }
    let sum = p + q;
    if !(sum > 0.0) {
        return (0.0, 0.0);
    }
    let lambda = 1.0 - sum;
    let lambda_n = if lambda < 0.0 {
        pow(-lambda, period_weeks) * cos(std::f64::consts::PI * period_weeks)
    } else {
        pow(lambda, period_weeks)
    };
    let moved = (1.0 - lambda_n) / sum;
    ((p * moved).clamp(0.0, 1.0), (q * moved).clamp(0.0, 1.0))
}

/// Compiles a checked specification whose links are grouped by customer and input. Structural problems only
/// found here (cycles among stages or among `follows`) are pushed to `errors`, and no plan is returned.
pub(crate) fn compile(spec: &ModelSpec, errors: &mut Vec<ModelError>) -> Option<Plan> {
    let order = topological_order(spec, errors);
    let disruption_order = disruption_order(spec, errors);
    if !errors.is_empty() {
        return None;
    }
    let (ns, ne) = (spec.stages.len(), spec.end_uses.len());
    let mut position = vec![0usize; ns];
    for (p, &s) in order.iter().enumerate() {
        position[s] = p;
    }
    let node_of = |n: Node| match n {
        Node::Stage(s) => position[s],
        Node::EndUse(e) => ns + e,
    };
    // An end use's slot holds its central intensity; a trial that draws another scales it (`InputState::base_factor`).
    let spec_node_inputs = |n: Node| -> Vec<(usize, f64)> {
        match n {
            Node::Stage(s) => spec.stages[s].inputs.clone(),
            Node::EndUse(e) => spec.end_uses[e].intensity.iter().map(|(m, q)| (*m, q.central())).collect(),
        }
    };

    // Input slots: stages in the specification's order, then end uses; links grouped by slot.
    let mut input_start = Vec::with_capacity(ns + ne + 1);
    let mut inputs: Vec<InputSlot> = Vec::new();
    let spec_nodes: Vec<Node> = (0..ns).map(Node::Stage).chain((0..ne).map(Node::EndUse)).collect();
    for &n in &spec_nodes {
        input_start.push(inputs.len());
        inputs.extend(spec_node_inputs(n).iter().map(|&(_, q)| InputSlot {
            quantity: q,
            links: 0..0,
            may_ramp: false,
        }));
    }
    input_start.push(inputs.len());
    let spec_node_index = |n: Node| match n {
        Node::Stage(s) => s,
        Node::EndUse(e) => ns + e,
    };
    let slot_of = |n: Node, material: usize| {
        let position = spec_node_inputs(n).iter().position(|&(m, _)| m == material).unwrap_or(0);
        input_start[spec_node_index(n)] + position
    };
    let link_slot: Vec<usize> = spec.links.iter().map(|l| slot_of(l.to, l.material)).collect();
    debug_assert!(link_slot.windows(2).all(|w| w[0] <= w[1]), "links must be grouped by customer input");
    let ramps = |s: usize| {
        let st = &spec.stages[s];
        st.online_week.is_some() || st.online_trigger.is_some() || st.ramp_weeks.max() > 0.0
    };
    for (i, slot) in inputs.iter_mut().enumerate() {
        let first = link_slot.partition_point(|&k| k < i);
        let end = link_slot.partition_point(|&k| k <= i);
        slot.links = first..end;
        slot.may_ramp = spec.links[first..end].iter().any(|l| ramps(l.from));
    }

    // Output slots in the specification's stage order; each lists its customers' links in link order.
    let mut output_start = Vec::with_capacity(ns + 1);
    let mut output_material = Vec::new();
    let mut outputs: Vec<OutputSlot> = Vec::new();
    for st in &spec.stages {
        output_start.push(outputs.len());
        for &(m, y) in &st.outputs {
            output_material.push(m);
            outputs.push(OutputSlot { yield_per_unit: y, customers: 0..0 });
        }
    }
    output_start.push(outputs.len());
    let link_output: Vec<usize> = spec
        .links
        .iter()
        .map(|l| {
            (output_start[l.from]..output_start[l.from + 1]).find(|&k| output_material[k] == l.material).unwrap_or(0)
        })
        .collect();
    let mut customer_links: Vec<usize> = (0..spec.links.len()).collect();
    customer_links.sort_by_key(|&l| (link_output[l], l));
    for (o, slot) in outputs.iter_mut().enumerate() {
        let first = customer_links.partition_point(|&l| link_output[l] < o);
        let end = customer_links.partition_point(|&l| link_output[l] <= o);
        slot.customers = first..end;
    }

    // Export controls and embargoes on each link, in disruption order.
    let mut link_controls = Vec::new();
    let mut link_disruptions = Vec::new();
    let mut licensed_links = 0;
    let mut links = Vec::with_capacity(spec.links.len());
    // Each regime's review time, compiled once and shared by the links it covers.
    let reviews: Vec<Option<PeriodsSampler>> = spec
        .disruptions
        .iter()
        .map(|dis| match &dis.kind {
            DisruptionKind::ExportLicensing { review_weeks, .. } => {
                Some(PeriodsSampler::new(review_weeks, spec.period_weeks))
            }
            _ => None,
        })
        .collect();
    for (l, &output) in spec.links.iter().zip(&link_output) {
        let first = link_controls.len();
        let mut licensed = false;
        for (d, dis) in spec.disruptions.iter().enumerate() {
            let kind = match (&dis.kind, &reviews[d]) {
                (DisruptionKind::ExportLicensing { scope, .. }, Some(review)) if scope_covers(spec, scope, l) => {
                    licensed = true;
                    ControlKind::Licensing { review: review.clone() }
                }
                (DisruptionKind::Embargo { scope, .. }, _) if scope_covers(spec, scope, l) => ControlKind::Embargo,
                _ => continue,
            };
            let licence_key = key(&format!("licence:{}:{}", dis.name, link_label(spec, l)));
            link_controls.push(LinkControl { disruption: d, kind, licence_key });
            link_disruptions.push(d);
        }
        let licensed = licensed.then(|| {
            licensed_links += 1;
            licensed_links - 1
        });
        links.push(PlannedLink {
            supplier: position[l.from],
            customer: node_of(l.to),
            share: l.share,
            output,
            controls: first..link_controls.len(),
            licensed,
            lead_time_weeks: DrawnParam::new(&l.lead_time_weeks, &format!("link:{}:lead_time", link_label(spec, l))),
            only_class: None,
        });
    }

    // Stockpiles: which inputs each may release into.
    let mit = &spec.mitigations;
    let mut slot_stockpiles = Vec::new();
    let mut node_stockpiled = vec![false; ns + ne];
    for (k, sp) in mit.stockpiles.iter().enumerate() {
        for &n in &sp.serves {
            slot_stockpiles.push((slot_of(n, sp.material), k));
            node_stockpiled[spec_node_index(n)] = true;
        }
    }
    let mitigation_keys = |kind: &str, name: &str| {
        let f = |what: &str| format!("mitigation:{kind}:{name}:{what}");
        [f("a"), f("b"), f("c")]
    };
    let stockpiles = mit
        .stockpiles
        .iter()
        .map(|sp| {
            let [a, b, c] = mitigation_keys("stockpile", &sp.name);
            PlannedStockpile {
                release_classes: sp.release_classes.iter().map(|&c| c as usize).collect(),
                initial: DrawnParam::new(&sp.initial, &a),
                max_release_per_week: DrawnParam::new(&sp.max_release_per_week, &b),
                rebuild_per_week: DrawnParam::new(&sp.rebuild_per_week, &c),
                release_while: sp.release_while,
            }
        })
        .collect();
    let intensity_changes = mit
        .intensity_changes
        .iter()
        .map(|ic| {
            let [a, b, c] = mitigation_keys("intensity", &ic.name);
            PlannedRamp {
                target: slot_of(ic.node, ic.material),
                start_week: DrawnParam::new(&ic.start_week, &a),
                ramp_weeks: DrawnParam::new(&ic.ramp_weeks, &b),
                full_effect: DrawnParam::new(&ic.reduction, &c),
                trigger: ic.trigger,
            }
        })
        .collect();
    let demand_switches = mit
        .demand_switches
        .iter()
        .map(|ds| {
            let [a, b, c] = mitigation_keys("switch", &ds.name);
            PlannedRamp {
                target: ds.end_use,
                start_week: DrawnParam::new(&ds.start_week, &a),
                ramp_weeks: DrawnParam::new(&ds.ramp_weeks, &b),
                full_effect: DrawnParam::new(&ds.share, &c),
                trigger: ds.trigger,
            }
        })
        .collect();

    let stages = order
        .iter()
        .map(|&s| PlannedStage {
            spec_index: s,
            inputs: input_start[s]..input_start[s + 1],
            outputs: output_start[s]..output_start[s + 1],
            allocation: match &spec.stages[s].allocation {
                Allocation::ProRata => ([0; CLASSES], 0),
                Allocation::Priority(classes) => {
                    let mut order = [0u8; CLASSES];
                    let mut n = 0u8;
                    for class in classes.iter().take(CLASSES) {
                        order[usize::from(n)] = *class as u8;
                        n += 1;
                    }
                    (order, n)
                }
            },
            stockpiled: node_stockpiled[s],
        })
        .collect();
    let periods_per_year = 52.0 / spec.period_weeks;
    let stage_parameters = order
        .iter()
        .map(|&s| {
            let st = &spec.stages[s];
            let name = |what: &str| format!("stage:{}:{what}", st.name);
            let drawn = |p: &Param, what: &str| DrawnParam::new(p, &name(what));
            StageParameters {
                capacity_per_year: drawn(&st.capacity_per_year, "capacity"),
                capacity_growth: DrawnGrowth::new(
                    &st.capacity_growth_per_year,
                    &name("capacity_growth"),
                    periods_per_year,
                ),
                online_week: st.online_week.as_ref().map(|p| drawn(p, "online")),
                online_trigger: st.online_trigger,
                ramp_weeks: drawn(&st.ramp_weeks, "ramp"),
                input_stock_weeks: [
                    drawn(&st.input_stock.initial, "input_stock_initial"),
                    drawn(&st.input_stock.target, "input_stock_target"),
                ],
                output_stock_weeks: [
                    drawn(&st.output_stock.initial, "output_stock_initial"),
                    drawn(&st.output_stock.target, "output_stock_target"),
                ],
            }
        })
        .collect();
    let end_uses: Vec<PlannedEndUse> = spec
        .end_uses
        .iter()
        .enumerate()
        .map(|(e, eu)| PlannedEndUse {
            inputs: input_start[ns + e]..input_start[ns + e + 1],
            class: eu.class as usize,
            backlogged: eu.unmet == Unmet::Backlog,
            stockpiled: node_stockpiled[ns + e],
        })
        .collect();
    let end_use_parameters = spec
        .end_uses
        .iter()
        .map(|eu| {
            let drawn = |p: &Param, what: &str| DrawnParam::new(p, &format!("end_use:{}:{what}", eu.name));
            EndUseParameters {
                demand_per_year: drawn(&eu.demand_per_year, "demand"),
                demand_growth: DrawnGrowth::new(
                    &eu.growth_per_year,
                    &format!("end_use:{}:growth", eu.name),
                    periods_per_year,
                ),
                stock_weeks: [drawn(&eu.stock.initial, "stock_initial"), drawn(&eu.stock.target, "stock_target")],
                intensity: eu
                    .intensity
                    .iter()
                    .map(|(m, q)| {
                        (!q.is_constant()).then(|| drawn(q, &format!("intensity:{}", spec.materials[*m].name)))
                    })
                    .collect(),
            }
        })
        .collect();
    let outages = spec
        .disruptions
        .iter()
        .enumerate()
        .flat_map(|(d, dis)| match &dis.kind {
            DisruptionKind::Outage { stages, .. } => stages.iter().map(|&s| (d, position[s])).collect(),
            _ => Vec::new(),
        })
        .collect();
    let demand_shocks = spec
        .disruptions
        .iter()
        .enumerate()
        .flat_map(|(d, dis)| match &dis.kind {
            DisruptionKind::DemandShock { end_uses, .. } => end_uses.iter().map(|&e| (d, e)).collect(),
            _ => Vec::new(),
        })
        .collect();
    only_classes(ns, &end_uses, &mut links);
    Some(Plan {
        periods: spec.periods,
        period_weeks: spec.period_weeks,
        periods_per_year,
        stages,
        stage_parameters,
        processing_order: order,
        end_uses,
        end_use_parameters,
        end_use_inputs: input_start[ns]..input_start[ns + ne],
        inputs,
        outputs,
        links,
        customer_links,
        link_controls,
        link_disruptions,
        licensed_links,
        disruptions: (0..spec.disruptions.len()).map(|d| planned_disruption(spec, d)).collect(),
        disruption_order,
        outages,
        demand_shocks,
        stockpiles,
        slot_stockpiles,
        intensity_changes,
        demand_switches,
        markets: crate::market::compile(spec, &position),
    })
}

#[cfg(test)]
mod tests {
    use super::two_state_per_period;

    /// The long-run share of time down of a chain that starts with `a` and ends with `b` per period.
    fn stationary(a: f64, b: f64) -> f64 {
        a / (a + b)
    }

    /// The `n`-step transition of the weekly chain by repeated multiplication of its 2x2 matrix: (P(up -> down),
    /// P(down -> up)).
    fn matrix_power(p: f64, q: f64, n: u32) -> (f64, f64) {
        let step = [[1.0 - p, p], [q, 1.0 - q]];
        let mut m = [[1.0, 0.0], [0.0, 1.0]];
        for _ in 0..n {
            let mut next = [[0.0; 2]; 2];
            for i in 0..2 {
                for j in 0..2 {
                    next[i][j] = m[i][0] * step[0][j] + m[i][1] * step[1][j];
                }
            }
            m = next;
        }
        (m[0][1], m[1][0])
    }

    #[test]
    fn monthly_two_state_probabilities_keep_the_weekly_long_run_share() {
        // Converting each probability on its own gave 1 - 0.9^(52/12) = 0.366 and 1 - 0.7^(52/12) = 0.787, a
        // long-run share of 0.318 instead of 0.25.
        let (a, b) = two_state_per_period(0.1, 0.3, 52.0 / 12.0);
        assert!((stationary(a, b) - 0.25).abs() < 1e-12, "{a} {b}: {}", stationary(a, b));
        for (p, q) in [(0.05, 0.2), (0.6, 0.7), (0.9, 0.95), (1.0, 1.0), (0.01, 0.99)] {
            let (a, b) = two_state_per_period(p, q, 52.0 / 12.0);
            assert!((0.0..=1.0).contains(&a) && (0.0..=1.0).contains(&b), "{p} {q}: {a} {b}");
            assert!((stationary(a, b) - p / (p + q)).abs() < 1e-12, "{p} {q}: {a} {b}");
        }
    }

    #[test]
    fn whole_weeks_give_the_matrix_power_of_the_weekly_chain() {
        // Including p + q > 1, where the weekly chain alternates and λ is negative.
        for (p, q) in [(0.1, 0.3), (0.05, 0.2), (0.6, 0.7), (0.9, 0.95)] {
            for n in [1u32, 2, 4, 5] {
                let (a, b) = two_state_per_period(p, q, f64::from(n));
                let (ea, eb) = matrix_power(p, q, n);
                assert!((a - ea).abs() < 1e-12 && (b - eb).abs() < 1e-12, "{p} {q} n={n}: {a} {b} vs {ea} {eb}");
            }
        }
    }

    #[test]
    fn a_chain_that_never_moves_never_starts() {
        assert_eq!(two_state_per_period(0.0, 0.0, 52.0 / 12.0), (0.0, 0.0));
        assert_eq!(two_state_per_period(0.0, 0.4, 52.0 / 12.0).0, 0.0);
    }
}
