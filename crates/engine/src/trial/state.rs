//! The working memory of a group of `N` trials advanced in lockstep: every quantity holds one value per trial
//! (a lane), innermost, so that the bookkeeping of the plan (which stage, which slot, which link) is paid once
//! per group and the arithmetic runs over the lanes side by side. Lane `k` never reads another lane.

use std::ops::Range;

use super::arrivals::Arrivals;
use crate::model::Model;
use crate::outcome::{EndUseOutcome, TrialOutcome};
use crate::plan::CLASSES as NC;
use crate::rng::{self, Stream};

/// The state of one stage, in processing order.
#[derive(Debug, Clone, Copy)]
pub(super) struct StageState<const N: usize> {
    /// Capacity per period at nameplate at the start of the horizon (drawn per trial; with markets, times the
    /// supply response so far).
    pub capacity_base: [f64; N],
    /// Capacity growth factor per period (drawn per trial).
    pub capacity_step: [f64; N],
    /// Capacity growth since the start of the horizon, before this period's step.
    pub capacity_growth: [f64; N],
    /// Period the stage comes online, and periods of ramp to nameplate (drawn per trial).
    pub online_period: [f64; N],
    pub ramp_periods: [f64; N],
    /// This period's availability (0 before it comes online, ramping to 1).
    pub availability: [f64; N],
    /// Whether every lane's availability is 1 from this period on (availability never falls: the ramp is
    /// monotonic in the period), so that step 1 need not compute it again.
    pub at_nameplate: bool,
    /// This period's capacity before outages, and after them.
    pub capacity_nominal: [f64; N],
    pub capacity_now: [f64; N],
    /// This period's planned throughput, before and after the capacity cap.
    pub plan_uncapped: [f64; N],
    pub plan: [f64; N],
    /// Class mix of this period's orders, and of the stage's normal demand (used when it receives no orders).
    pub class_mix: [[f64; N]; NC],
    pub normal_class_mix: [[f64; N]; NC],
    /// Throughput lost so far in the trial.
    pub throughput_lost: [f64; N],
    /// Throughput wanted so far, `Σ min(plan, capacity before outages)`, of which `throughput_lost` is a part.
    pub throughput_wanted: [f64; N],
}

/// The state of one end use.
#[derive(Debug, Clone, Copy)]
pub(super) struct EndUseState<const N: usize> {
    /// Demand per period at the start of the horizon, and its growth factor per period (drawn per trial).
    pub demand_base: [f64; N],
    pub demand_step: [f64; N],
    /// Demand growth since the start of the horizon, before this period's step.
    pub demand_growth: [f64; N],
    /// This period's normal demand: base demand with growth, before demand shocks and mitigations.
    pub normal_demand_now: [f64; N],
    /// This period's new demand, and new demand plus backlog.
    pub demand_now: [f64; N],
    pub required: [f64; N],
    /// Demand carried to the next period.
    pub backlog: [f64; N],
    /// Consecutive short periods up to now.
    pub short_run: [u32; N],
    /// Backlogged demand: units built since the last period without backlog, and the earliest period some of
    /// whose demand is still owed.
    pub cumulative_built: [f64; N],
    pub oldest_owed_period: [usize; N],
}

/// The state of one input slot.
#[derive(Debug, Clone, Copy)]
pub(super) struct InputState<const N: usize> {
    pub stock: [f64; N],
    /// Target stock at the start of the horizon's demand (it follows the demand trend; with markets, times the
    /// precautionary factor).
    pub target: [f64; N],
    /// Multiplier on the quantity per unit of throughput: the trial's own intensity times thrifting.
    pub intensity_factor: [f64; N],
    /// The trial's own intensity over the slot's central quantity (an end use's intensity drawn once per trial;
    /// exactly 1 for a constant one).
    pub base_factor: [f64; N],
}

/// The state of one output slot.
#[derive(Debug, Clone, Copy)]
pub(super) struct OutputState<const N: usize> {
    pub stock: [f64; N],
    /// Target stock at the start of the horizon's demand.
    pub target: [f64; N],
    /// This period's orders from its customers, per class.
    pub ordered: [[f64; N]; NC],
}

/// The state of one link.
#[derive(Debug, Clone, Copy)]
pub(super) struct LinkState<const N: usize> {
    /// Quantity shipped and not yet received (including shipments held in licence review).
    pub pipe: [f64; N],
    /// The trial's normal flow per period.
    pub flow: [f64; N],
    /// The customer's smoothed estimate of the lead time, in periods.
    pub lead_estimate: [f64; N],
    /// This period's order, per class.
    pub order: [[f64; N]; NC],
    /// The customer's smoothed estimate of the share of its orders this supplier ships (1 when all is well).
    pub fill: [f64; N],
    /// The share of the customer's last order the supplier shipped; 0 when it shipped nothing (cut off by an
    /// embargo or a denial, or empty), and then, with a fill rate below the floor, it is only probed.
    pub last_fill: [f64; N],
    /// The customer's weight for this supplier this period (share, availability and fill rate).
    pub weight: [f64; N],
    /// The link's part of its supplier's output: its share of the output's normal shipments in the trial.
    pub supplier_share: [f64; N],
    /// The lead time drawn for the trial, in periods.
    pub lead: [usize; N],
    /// The longest of the lanes' lead times.
    pub longest_lead: usize,
    /// How many of the controls covering the link are active this period.
    pub active_controls: [u32; N],
    /// Quantity shipped this period (what the markets compare with the order).
    pub shipped_now: [f64; N],
}

/// A stockpile's state.
#[derive(Debug, Clone, Copy)]
pub(super) struct StockpileState<const N: usize> {
    pub level: [f64; N],
    pub initial: [f64; N],
    /// Most it releases, and most it rebuilds, per period.
    pub release_cap: [f64; N],
    pub rebuild_cap: [f64; N],
    /// Released so far this period.
    pub released_now: [f64; N],
}

/// Periods `start..end` in which a disruption is active, with its effect (a severity, a demand multiplier
/// minus 1, or 1 for a licensing regime).
#[derive(Debug, Clone, Copy)]
pub(super) struct Interval {
    pub start: usize,
    pub end: usize,
    pub effect: f64,
}

/// One trial's disruptions as intervals, and where each disruption stands in the period loop.
#[derive(Debug, Clone, Default)]
pub(super) struct TrialDisruptions {
    /// Those of disruption `d` are `intervals[of_disruption[d]]`, in time order and disjoint.
    pub intervals: Vec<Interval>,
    pub of_disruption: Vec<Range<usize>>,
    /// Each disruption's next interval (an index into `intervals`).
    pub next_interval: Vec<usize>,
    /// Each disruption's first onset, for the disruptions that follow it.
    pub first_onset: Vec<Option<usize>>,
    /// The next period at which one of them starts or ends.
    pub next_boundary: usize,
}

/// One trial's own baseline, worked out while its parameters are drawn.
#[derive(Debug, Clone, Default)]
pub(super) struct TrialBaseline {
    /// Node activity and link flow per period.
    pub activity: Vec<f64>,
    pub flow: Vec<f64>,
    /// Share of each node's normal activity attributable to each end use (`e * nodes + node`).
    pub attribution: Vec<f64>,
    /// The same at the start of the horizon, with customers sourcing only from what produces then: each stage's
    /// availability, each link's share, node activity and link flow.
    pub start_availability: Vec<f64>,
    pub start_share: Vec<f64>,
    pub start_activity: Vec<f64>,
    pub start_flow: Vec<f64>,
}

/// Working memory of `N` trials in lockstep, reused from group to group.
#[derive(Debug, Clone)]
pub(crate) struct Lockstep<const N: usize> {
    pub(super) periods: usize,
    pub(super) stages: Vec<StageState<N>>,
    pub(super) end_uses: Vec<EndUseState<N>>,
    pub(super) inputs: Vec<InputState<N>>,
    pub(super) outputs: Vec<OutputState<N>>,
    pub(super) links: Vec<LinkState<N>>,
    pub(super) stockpiles: Vec<StockpileState<N>>,
    /// Denial probability of each licensing regime, per trial and destination class (drawn per trial), as the
    /// threshold of a uniform draw's top 53 bits below which a shipment is denied (`rng::uniform_threshold`).
    pub(super) denial_below: Vec<[[u64; NC]; N]>,
    /// Each trial's disruptions.
    pub(super) disruptions: Vec<TrialDisruptions>,
    /// Each disruption's effect this period (0 when it is not active).
    pub(super) effect_now: Vec<[f64; N]>,
    /// The next period at which some disruption of some trial starts or ends.
    pub(super) next_boundary: usize,
    /// Whether any outage, or any demand shock, is active this period in some trial.
    pub(super) outages_active: bool,
    pub(super) demand_shocks_active: bool,
    /// One review stream per link control of the plan and trial (used by licensing regimes).
    pub(super) licence_streams: Vec<[Stream; N]>,
    /// What arrives on each link in the coming periods.
    pub(super) arrivals: Arrivals<N>,
    /// Each node's demand trend this period: the attribution-weighted growth of the end uses it serves.
    pub(super) trend: Vec<[f64; N]>,
    /// Share of each node's normal activity attributable to each end use (`e * nodes + node`).
    pub(super) attribution: Vec<[f64; N]>,
    /// The terms of each node's attribution-weighted sum of growth that can be non-zero in this group: (end use,
    /// attribution) pairs by node, and each node's range of them.
    pub(super) trend_terms: Vec<(usize, [f64; N])>,
    pub(super) trend_nodes: Vec<Range<usize>>,
    /// Whether each trial's demand grows (otherwise its trend stays 1).
    pub(super) has_growth: [bool; N],
    /// Drawn (start period, ramp periods, full effect) of each intensity change and demand switch.
    pub(super) intensity_plan: Vec<[[f64; N]; 3]>,
    pub(super) switch_plan: Vec<[[f64; N]; 3]>,
    /// Scratch space for one trial's baseline while it is drawn.
    pub(super) baseline: TrialBaseline,
    /// Share of requirement met, per trial, end use and period (`e * T + t`), for fan charts.
    pub(super) share_series: Vec<Vec<f32>>,
    /// Backlog carried out of each period in weeks of that period's normal demand, per trial, end use and period
    /// (`e * T + t`; 0 for lost-demand end uses), for fan charts.
    pub(super) backlog_series: Vec<Vec<f32>>,
    /// Cumulative new demand of each end use up to and including each period (`e * T + t`), to find the oldest
    /// unit owed (backlogged end uses).
    pub(super) cumulative_demand: Vec<[f64; N]>,
    /// Each trial's outcome.
    pub(super) outcomes: Vec<TrialOutcome>,
    /// Each market's price index at the end of each period (`j * T + t`), and the capacity its supply response
    /// has added so far (a share of nameplate). Empty without markets.
    pub(super) market_price: Vec<[f64; N]>,
    pub(super) market_response: Vec<[f64; N]>,
    /// Each market's price as demand has adopted it.
    pub(super) market_adopted: Vec<[f64; N]>,
    /// Demand factor of each end use from the markets' demand destruction (exactly 1 without markets), and the
    /// intensity factor of each input slot that thrifting mitigations start from (idem).
    pub(super) market_demand: Vec<[f64; N]>,
    pub(super) market_intensity: Vec<[f64; N]>,
    /// With markets: each trial's drawn stock target of every input slot and capacity of every stage, which the
    /// markets scale (precautionary buying, supply response). Empty without markets.
    pub(super) market_base_target: Vec<[f64; N]>,
    pub(super) market_base_capacity: Vec<[f64; N]>,
}

impl<const N: usize> Lockstep<N> {
    /// The outcome of the trial in lane `k` of the last group.
    pub(crate) fn outcome(&self, k: usize) -> &TrialOutcome {
        &self.outcomes[k]
    }

    /// The share of requirement met per end use and period (`e * T + t`) of the trial in lane `k`.
    pub(crate) fn share_series(&self, k: usize) -> &[f32] {
        &self.share_series[k]
    }

    /// The backlog in weeks of normal demand per end use and period (`e * T + t`) of the trial in lane `k`.
    pub(crate) fn backlog_series(&self, k: usize) -> &[f32] {
        &self.backlog_series[k]
    }

    /// Working memory sized for `model`.
    pub(crate) fn new(model: &Model) -> Self {
        let plan = &model.plan;
        let (ns, ne, nl, nd, t) =
            (plan.stages.len(), plan.end_uses.len(), plan.links.len(), plan.disruptions.len(), plan.periods);
        let nsp = plan.stockpiles.len();
        let zero = [0.0; N];
        Self {
            periods: t,
            stages: vec![
                StageState {
                    capacity_base: zero,
                    capacity_step: zero,
                    capacity_growth: zero,
                    online_period: zero,
                    ramp_periods: zero,
                    availability: zero,
                    at_nameplate: false,
                    capacity_nominal: zero,
                    capacity_now: zero,
                    plan_uncapped: zero,
                    plan: zero,
                    class_mix: [zero; NC],
                    normal_class_mix: [zero; NC],
                    throughput_lost: zero,
                    throughput_wanted: zero,
                };
                ns
            ],
            end_uses: vec![
                EndUseState {
                    demand_base: zero,
                    demand_step: zero,
                    demand_growth: zero,
                    normal_demand_now: zero,
                    demand_now: zero,
                    required: zero,
                    backlog: zero,
                    short_run: [0; N],
                    cumulative_built: zero,
                    oldest_owed_period: [0; N],
                };
                ne
            ],
            inputs: vec![
                InputState { stock: zero, target: zero, intensity_factor: zero, base_factor: zero };
                plan.inputs.len()
            ],
            outputs: vec![OutputState { stock: zero, target: zero, ordered: [zero; NC] }; plan.outputs.len()],
            links: vec![
                LinkState {
                    pipe: zero,
                    flow: zero,
                    lead_estimate: zero,
                    order: [zero; NC],
                    fill: zero,
                    weight: zero,
                    last_fill: zero,
                    supplier_share: zero,
                    lead: [0; N],
                    longest_lead: 0,
                    active_controls: [0; N],
                    shipped_now: zero,
                };
                nl
            ],
            stockpiles: vec![
                StockpileState {
                    level: zero,
                    initial: zero,
                    release_cap: zero,
                    rebuild_cap: zero,
                    released_now: zero
                };
                nsp
            ],
            denial_below: vec![[[0; NC]; N]; nd],
            disruptions: (0..N)
                .map(|_| TrialDisruptions {
                    of_disruption: vec![0..0; nd],
                    next_interval: vec![0; nd],
                    first_onset: vec![None; nd],
                    ..TrialDisruptions::default()
                })
                .collect(),
            effect_now: vec![zero; nd],
            next_boundary: 0,
            outages_active: false,
            demand_shocks_active: false,
            licence_streams: (0..plan.link_controls.len())
                .map(|_| std::array::from_fn(|_| rng::stream_for_key(0, 0, 0)))
                .collect(),
            arrivals: Arrivals::new(nl, plan.licensed_links, t),
            trend: vec![[1.0; N]; ns + ne],
            attribution: vec![zero; (ns + ne) * ne],
            trend_terms: Vec::with_capacity((ns + ne) * ne),
            trend_nodes: Vec::with_capacity(ns + ne),
            has_growth: [false; N],
            intensity_plan: vec![[zero; 3]; plan.intensity_changes.len()],
            switch_plan: vec![[zero; 3]; plan.demand_switches.len()],
            baseline: TrialBaseline {
                activity: vec![0.0; ns + ne],
                flow: vec![0.0; nl],
                attribution: vec![0.0; (ns + ne) * ne],
                start_availability: vec![0.0; ns],
                start_share: vec![0.0; nl],
                start_activity: vec![0.0; ns + ne],
                start_flow: vec![0.0; nl],
            },
            share_series: vec![vec![1.0; ne * t]; N],
            backlog_series: vec![vec![0.0; ne * t]; N],
            cumulative_demand: vec![zero; ne * t],
            outcomes: vec![
                TrialOutcome {
                    end_uses: vec![EndUseOutcome::default(); ne],
                    stage_throughput_lost: vec![0.0; ns],
                    stage_throughput_wanted: vec![0.0; ns],
                    stockpile_min: vec![0.0; nsp],
                    stockpile_released: vec![0.0; nsp],
                };
                N
            ],
            market_price: vec![[1.0; N]; plan.markets.markets.len() * t],
            market_response: vec![zero; plan.markets.markets.len()],
            market_adopted: vec![[1.0; N]; plan.markets.markets.len()],
            market_demand: vec![[1.0; N]; ne],
            market_intensity: vec![[1.0; N]; plan.inputs.len()],
            market_base_target: if plan.markets.any() { vec![zero; plan.inputs.len()] } else { Vec::new() },
            market_base_capacity: if plan.markets.any() { vec![zero; ns] } else { Vec::new() },
        }
    }
}
