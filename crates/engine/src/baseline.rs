//! The baseline: normal flows from end-use demand back to the mines, solved before any trial.
//!
//! End-use demand per period times intensity gives each end use's need of each material; a customer's need is
//! split over its suppliers by share; a stage's normal throughput is the largest of its outputs' normal
//! shipments divided by their yields (co-products beyond that are made in excess and accumulate); its inputs
//! follow from the throughput. Stages are visited customers first (reverse topological order).

use crate::model::ModelSpec;
use crate::plan::Plan;

/// Normal flows per period, and per-year throughput against capacity.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// Normal flow on each link, per period.
    pub link_flow: Vec<f64>,
    /// Normal activity of each node per period: throughput for stages `0..S`, units built for end uses.
    pub activity: Vec<f64>,
    /// Stages whose normal throughput exceeds their central capacity.
    pub over_capacity: Vec<CapacityDeficit>,
}

/// A stage that cannot carry its normal throughput.
#[derive(Debug, Clone, PartialEq)]
pub struct CapacityDeficit {
    /// The stage, by index in `ModelSpec::stages`.
    pub stage: usize,
    /// Normal throughput per year.
    pub throughput_per_year: f64,
    /// Central capacity per year.
    pub capacity_per_year: f64,
}

impl CapacityDeficit {
    /// Throughput per year beyond capacity.
    pub fn deficit_per_year(&self) -> f64 {
        self.throughput_per_year - self.capacity_per_year
    }
}

/// Normal flows for the given end-use demand per period, each customer sourcing by `share(link)` and using
/// `factor(slot)` times each input slot's quantity. `activity` (per plan node: stages in processing order, then end
/// uses) and `link_flow` are overwritten.
pub(crate) fn flows(
    plan: &Plan,
    demand_per_period: impl Iterator<Item = f64>,
    share: impl Fn(usize) -> f64,
    factor: impl Fn(usize) -> f64,
    activity: &mut [f64],
    link_flow: &mut [f64],
) {
    let ns = plan.stages.len();
    activity.iter_mut().for_each(|a| *a = 0.0);
    link_flow.iter_mut().for_each(|f| *f = 0.0);
    let push_inputs = |slots: std::ops::Range<usize>, act: f64, link_flow: &mut [f64]| {
        for (i, slot) in slots.clone().zip(&plan.inputs[slots]) {
            let need = act * slot.quantity * factor(i);
            for (f, l) in link_flow[slot.links.clone()].iter_mut().zip(slot.links.clone()) {
                *f = need * share(l);
            }
        }
    };
    for (e, d) in demand_per_period.enumerate() {
        activity[ns + e] = d;
        push_inputs(plan.end_uses[e].inputs.clone(), d, link_flow);
    }
    for (p, stage) in plan.stages.iter().enumerate().rev() {
        let mut act: f64 = 0.0;
        for o in stage.outputs.clone() {
            let shipped: f64 = plan.customers_of(o).iter().map(|&l| link_flow[l]).sum();
            act = act.max(shipped / plan.outputs[o].yield_per_unit);
        }
        activity[p] = act;
        push_inputs(stage.inputs.clone(), act, link_flow);
    }
}

pub(crate) fn solve(spec: &ModelSpec, plan: &Plan) -> Baseline {
    let periods_per_year = 52.0 / spec.period_weeks;
    let demand: Vec<f64> = spec.end_uses.iter().map(|e| e.demand_per_year.central() / periods_per_year).collect();
    let mut planned_activity = vec![0.0; plan.nodes()];
    let mut link_flow = vec![0.0; spec.links.len()];
    flows(plan, demand.iter().copied(), |l| plan.links[l].share, |_| 1.0, &mut planned_activity, &mut link_flow);
    // Back to the specification's numbering of stages.
    let mut activity = planned_activity.clone();
    for (p, stage) in plan.stages.iter().enumerate() {
        activity[stage.spec_index] = planned_activity[p];
    }
    let over_capacity = spec
        .stages
        .iter()
        .enumerate()
        .filter_map(|(s, st)| {
            let throughput_per_year = activity[s] * periods_per_year;
            let capacity_per_year = st.capacity_per_year.central();
            (st.online_week.is_none() && throughput_per_year > capacity_per_year * (1.0 + 1e-9))
                .then_some(CapacityDeficit { stage: s, throughput_per_year, capacity_per_year })
        })
        .collect();
    Baseline { link_flow, activity, over_capacity }
}

/// Normal flows per period at the start of the horizon, at central values: what the graph carried before any
/// disruption, the run rate a customs series measures a regime against. As [`solve`], except that a stage not
/// producing at week 0 (its central online week is later, or it waits for a disruption to trigger it) supplies
/// nothing and one ramping up supplies its share of its links' normal flow; customers source the rest from their
/// other suppliers by share. This is the rule by which each trial starts its stocks and pipelines
/// (`docs/model.md`, "Suppliers short of their nameplate"), at central values rather than drawn ones.
pub(crate) fn solve_at_start(spec: &ModelSpec, plan: &Plan) -> Vec<f64> {
    let pw = spec.period_weeks;
    let periods_per_year = 52.0 / pw;
    let availability: Vec<f64> = plan
        .stages
        .iter()
        .map(|stage| {
            let st = &spec.stages[stage.spec_index];
            if st.online_trigger.is_some() {
                return 0.0;
            }
            let online = st.online_week.as_ref().map_or(0.0, |w| w.central().max(0.0) / pw);
            let ramp = st.ramp_weeks.central().max(0.0) / pw;
            // The trial's ramp: nothing before the online period, then a linear ramp reaching 1 after `ramp`
            // periods (the first period online counts).
            if 0.0 < online {
                0.0
            } else if ramp > 0.0 {
                ((1.0 - online) / ramp).min(1.0)
            } else {
                1.0
            }
        })
        .collect();
    let mut share: Vec<f64> = plan.links.iter().map(|link| link.share).collect();
    for slot in &plan.inputs {
        let links = slot.links.clone();
        if plan.links[links.clone()].iter().all(|link| availability[link.supplier] >= 1.0) {
            continue;
        }
        let total: f64 = plan.links[links.clone()].iter().map(|link| link.share * availability[link.supplier]).sum();
        if total > 0.0 {
            for l in links {
                share[l] = plan.links[l].share * availability[plan.links[l].supplier] / total;
            }
        }
    }
    let demand = spec.end_uses.iter().map(|e| e.demand_per_year.central() / periods_per_year);
    let mut activity = vec![0.0; plan.nodes()];
    let mut link_flow = vec![0.0; spec.links.len()];
    flows(plan, demand, |l| share[l], |_| 1.0, &mut activity, &mut link_flow);
    link_flow
}
