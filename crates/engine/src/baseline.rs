//! The baseline: normal flows from end-use demand back to the mines, solved before any trial.
//!
//! End-use demand per period times intensity gives each end use's need of each material; a customer's need is
//! split over its suppliers by share; a stage's normal throughput is the largest of its outputs' normal
//! shipments divided by their yields (co-products beyond that are made in excess and accumulate); its inputs
//! follow from the throughput. Stages are visited customers first (reverse topological order).

use crate::model::{Compiled, ModelSpec};

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

/// Normal flows for the given end-use demand per period. `activity` and `link_flow` are overwritten.
pub(crate) fn flows(c: &Compiled, demand_per_period: &[f64], activity: &mut [f64], link_flow: &mut [f64]) {
    let ns = c.n_stages;
    activity.iter_mut().for_each(|a| *a = 0.0);
    link_flow.iter_mut().for_each(|f| *f = 0.0);
    let push_inputs = |node: usize, act: f64, link_flow: &mut [f64]| {
        for slot in c.in_slot_start[node]..c.in_slot_start[node + 1] {
            let need = act * c.in_slot_qty[slot];
            let links = c.in_link_start[slot]..c.in_link_start[slot + 1];
            for (f, share) in link_flow[links.clone()].iter_mut().zip(&c.share[links]) {
                *f = need * share;
            }
        }
    };
    for (e, &d) in demand_per_period.iter().enumerate() {
        activity[ns + e] = d;
        push_inputs(ns + e, d, link_flow);
    }
    for &s in c.topo.iter().rev() {
        let mut act: f64 = 0.0;
        for o in c.out_slot_start[s]..c.out_slot_start[s + 1] {
            let shipped: f64 =
                c.links_by_out_slot[c.out_link_start[o]..c.out_link_start[o + 1]].iter().map(|&l| link_flow[l]).sum();
            act = act.max(shipped / c.out_slot_yield[o]);
        }
        activity[s] = act;
        push_inputs(s, act, link_flow);
    }
}

pub(crate) fn solve(spec: &ModelSpec, c: &Compiled) -> Baseline {
    let periods_per_year = 52.0 / spec.period_weeks;
    let demand: Vec<f64> = spec.end_uses.iter().map(|e| e.demand_per_year.central() / periods_per_year).collect();
    let mut activity = vec![0.0; c.n_stages + c.n_end_uses];
    let mut link_flow = vec![0.0; spec.links.len()];
    flows(c, &demand, &mut activity, &mut link_flow);
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
