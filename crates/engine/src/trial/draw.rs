//! The trial's draws: its uncertain parameters, its own baseline and initial state, and its disruptions as
//! intervals of activity, each from its own stream (`(seed, trial, process)`).

use rand::RngExt;
use rand_distr::{Distribution, Exp};

use super::{FILL_FLOOR, Interval, LinkState, NC, Scratch, StockpileState, periods_of};
use crate::baseline;
use crate::outcome::EndUseOutcome;
use crate::plan::{ControlKind, DrawnParam, Plan, PlannedEffect, PlannedRamp, PlannedTiming};
use crate::rng::{self, Stream};

/// Draws the trial's parameters and disruptions, each from its own stream, and sets the initial state: the
/// trial's own baseline, stocks at their initial weeks of normal use, pipelines full.
pub(super) fn draw_trial(plan: &Plan, seed: u64, trial: u64, sc: &mut Scratch) {
    let t_len = plan.periods;
    let pw = plan.period_weeks;
    let ppy = plan.periods_per_year;
    let ns = plan.stages.len();
    let draw = |p: &DrawnParam| p.draw(seed, trial);

    for (state, p) in sc.stages.iter_mut().zip(&plan.stage_parameters) {
        state.capacity_base = draw(&p.capacity_per_year).max(0.0) / ppy;
        let g = draw(&p.capacity_growth_per_year).max(-0.999);
        state.capacity_step = (1.0 + g).powf(1.0 / ppy);
        state.capacity_growth = 1.0;
        state.online_period = p.online_week.as_ref().map_or(0.0, |w| draw(w).max(0.0) / pw);
        state.ramp_periods = draw(&p.ramp_weeks).max(0.0) / pw;
        state.throughput_lost = 0.0;
    }
    for (state, link) in sc.links.iter_mut().zip(&plan.links) {
        state.lead = periods_of(draw(&link.lead_time_weeks), pw);
    }
    for (state, p) in sc.end_uses.iter_mut().zip(&plan.end_use_parameters) {
        state.demand_base = draw(&p.demand_per_year).max(0.0) / ppy;
        let g = draw(&p.growth_per_year).max(-0.999);
        state.demand_step = (1.0 + g).powf(1.0 / ppy);
        state.demand_growth = 1.0;
        state.backlog = 0.0;
        state.short_run = 0;
    }
    // The trial's own baseline: normal flows for its sampled demand.
    baseline::flows(plan, sc.end_uses.iter().map(|x| x.demand_base), &mut sc.activity, &mut sc.flow);

    // Stocks and targets in weeks of normal use.
    let stock_weeks = |w: &[DrawnParam; 2]| (draw(&w[0]).max(0.0) / pw, draw(&w[1]).max(0.0) / pw);
    for (p, (stage, parameters)) in plan.stages.iter().zip(&plan.stage_parameters).enumerate() {
        let (init, target) = stock_weeks(&parameters.input_stock_weeks);
        // A plant that is not producing yet holds no stock yet: it must buy its first fill.
        let init = if sc.stages[p].online_period > 0.0 { 0.0 } else { init };
        for i in stage.inputs.clone() {
            let use_per_period = sc.activity[p] * plan.inputs[i].quantity;
            sc.inputs[i].stock = init * use_per_period;
            sc.inputs[i].target = target * use_per_period;
        }
    }
    for (e, (end_use, parameters)) in plan.end_uses.iter().zip(&plan.end_use_parameters).enumerate() {
        let (init, target) = stock_weeks(&parameters.stock_weeks);
        for i in end_use.inputs.clone() {
            let use_per_period = sc.activity[ns + e] * plan.inputs[i].quantity;
            sc.inputs[i].stock = init * use_per_period;
            sc.inputs[i].target = target * use_per_period;
        }
    }
    for (p, (stage, parameters)) in plan.stages.iter().zip(&plan.stage_parameters).enumerate() {
        let (init, target) = stock_weeks(&parameters.output_stock_weeks);
        let init = if sc.stages[p].online_period > 0.0 { 0.0 } else { init };
        for o in stage.outputs.clone() {
            let ship_per_period: f64 = plan.customers_of(o).iter().map(|&l| sc.flow[l]).sum();
            sc.outputs[o].stock = init * ship_per_period;
            sc.outputs[o].target = target * ship_per_period;
        }
        sc.stages[p].normal_class_mix = [0.0; NC];
    }
    // Class mix of each stage's normal demand, customers first; used when a stage receives no orders.
    for end_use in &plan.end_uses {
        for slot in &plan.inputs[end_use.inputs.clone()] {
            for l in slot.links.clone() {
                sc.stages[plan.links[l].supplier].normal_class_mix[end_use.class] += sc.flow[l];
            }
        }
    }
    for (p, stage) in plan.stages.iter().enumerate().rev() {
        let mix = sc.stages[p].normal_class_mix;
        let total: f64 = mix.iter().sum();
        let w = if total > 0.0 { mix.map(|x| x / total) } else { [0.0, 0.0, 1.0] };
        sc.stages[p].normal_class_mix = w;
        for slot in &plan.inputs[stage.inputs.clone()] {
            for l in slot.links.clone() {
                let supplier = &mut sc.stages[plan.links[l].supplier];
                for (k, wk) in w.iter().enumerate() {
                    supplier.normal_class_mix[k] += wk * sc.flow[l];
                }
            }
        }
    }

    // Attribution of each node's normal activity to end uses, customers first, so that stock and pipeline
    // targets (in weeks of normal use) follow the demand trend of what the node serves.
    let ne = plan.end_uses.len();
    let nodes = ns + ne;
    sc.has_growth = sc.end_uses.iter().any(|x| x.demand_step != 1.0);
    sc.trend.iter_mut().for_each(|x| *x = 1.0);
    if sc.has_growth {
        let att = &mut sc.attribution;
        att.iter_mut().for_each(|x| *x = 0.0);
        for e in 0..ne {
            att[e * nodes + ns + e] = 1.0;
        }
        for (p, stage) in plan.stages.iter().enumerate().rev() {
            let mut total = 0.0;
            for o in stage.outputs.clone() {
                for &l in plan.customers_of(o) {
                    let (f, to) = (sc.flow[l], plan.links[l].customer);
                    for e in 0..ne {
                        att[e * nodes + p] += f * att[e * nodes + to];
                    }
                    total += f;
                }
            }
            if total > 0.0 {
                for e in 0..ne {
                    att[e * nodes + p] /= total;
                }
            }
        }
    }

    // Pipelines start full of normal flow: shipments made in the L periods before the horizon.
    let nl = plan.links.len();
    for (l, link) in plan.links.iter().enumerate() {
        let lead = sc.links[l].lead;
        let flow = sc.flow[l];
        for a in 0..lead.min(t_len) {
            sc.arrivals[a * nl + l] = flow;
            if let Some(k) = link.licensed {
                sc.arrival_ship_time[a * plan.licensed_links + k] = flow * (a as f64 - lead as f64);
            }
        }
        sc.links[l] = LinkState {
            pipe: flow * lead as f64,
            flow,
            lead_estimate: lead as f64,
            share: link.share,
            order: [0.0; NC],
            supplier: link.supplier,
            // A supplier that is not producing at the start (a plant still to come online) is on probation:
            // customers send it little until it has shown it delivers.
            fill: if sc.stages[link.supplier].online_period > 0.0 { FILL_FLOOR } else { 1.0 },
            lead,
            active_controls: 0,
            weight: 0.0,
        };
    }

    // Mitigations.
    sc.inputs.iter_mut().for_each(|x| x.intensity_factor = 1.0);
    let ramp = |r: &PlannedRamp| {
        [draw(&r.start_week).max(0.0) / pw, draw(&r.ramp_weeks).max(0.0) / pw, draw(&r.full_effect).clamp(0.0, 1.0)]
    };
    for (k, change) in plan.intensity_changes.iter().enumerate() {
        sc.intensity_plan[k] = ramp(change);
    }
    for (k, switch) in plan.demand_switches.iter().enumerate() {
        sc.switch_plan[k] = ramp(switch);
    }
    for (k, stockpile) in plan.stockpiles.iter().enumerate() {
        let initial = draw(&stockpile.initial).max(0.0);
        sc.stockpiles[k] = StockpileState {
            level: initial,
            initial,
            release_cap: draw(&stockpile.max_release_per_week).max(0.0) * pw,
            rebuild_cap: draw(&stockpile.rebuild_per_week).max(0.0) * pw,
            released_now: 0.0,
        };
        sc.outcome.stockpile_min[k] = initial;
        sc.outcome.stockpile_released[k] = 0.0;
    }

    draw_disruptions(plan, seed, trial, sc);

    for o in sc.outcome.end_uses.iter_mut() {
        *o = EndUseOutcome::default();
    }
}

/// Draws each disruption's intervals of activity, from its own stream, into `sc.intervals`.
fn draw_disruptions(plan: &Plan, seed: u64, trial: u64, sc: &mut Scratch) {
    let t_len = plan.periods;
    let pw = plan.period_weeks;
    let ppy = plan.periods_per_year;
    sc.intervals.clear();
    for &d in &plan.disruption_order {
        let dis = &plan.disruptions[d];
        let mut rng = rng::stream_for_key(seed, trial, dis.key);
        let intervals = &mut sc.intervals;
        let first_interval = intervals.len();
        let sample_effect = |rng: &mut Stream| -> f64 {
            match &dis.effect {
                PlannedEffect::Licensing { .. } => 1.0,
                PlannedEffect::Cut { severity } => severity.sample(rng).clamp(0.0, 1.0),
                PlannedEffect::DemandMultiplier { multiplier } => multiplier.sample(rng).max(0.0) - 1.0,
            }
        };
        if let PlannedEffect::Licensing { denial } = &dis.effect {
            for (k, p) in denial.iter().enumerate() {
                sc.denial[d][k] = p.sample(&mut rng).clamp(0.0, 1.0);
            }
        }
        let mut first = None;
        // Activity from `start` for `len` periods (cut at the horizon). A disruption's intervals never overlap;
        // one that starts where the previous one ends with the same effect extends it.
        let mut mark = |start: usize, len: usize, effect: f64, first: &mut Option<usize>| {
            if start < t_len && len > 0 {
                first.get_or_insert(start);
                let end = start.saturating_add(len).min(t_len);
                let own = intervals.len() > first_interval;
                match intervals.last_mut() {
                    Some(last) if own && last.end == start && last.effect.to_bits() == effect.to_bits() => {
                        last.end = end;
                    }
                    last => {
                        debug_assert!(!own || last.is_some_and(|x| x.end <= start), "intervals must not overlap");
                        intervals.push(Interval { start, end, effect });
                    }
                }
            }
        };
        match &dis.timing {
            PlannedTiming::Window { onset_weeks, duration_weeks } => {
                let start = periods_of(onset_weeks.sample(&mut rng), pw);
                let len = periods_of(duration_weeks.sample(&mut rng), pw);
                let v = sample_effect(&mut rng);
                mark(start, len, v, &mut first);
            }
            PlannedTiming::Hazard { rate_per_year, duration_weeks } => {
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
            PlannedTiming::TwoState { start_per_period, end_per_period } => {
                let v = sample_effect(&mut rng);
                let mut active = false;
                for t in 0..t_len {
                    let u: f64 = rng.random();
                    active = if active { u >= *end_per_period } else { u < *start_per_period };
                    if active {
                        mark(t, 1, v, &mut first);
                    }
                }
            }
            PlannedTiming::Follows { disruption, probability, lag_weeks, duration_weeks } => {
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
        sc.disruption_intervals[d] = first_interval..sc.intervals.len();
        sc.next_interval[d] = first_interval;
        sc.effect_now[d] = 0.0;
    }
    sc.next_boundary = 0;
    for (k, control) in plan.link_controls.iter().enumerate() {
        if matches!(control.kind, ControlKind::Licensing { .. }) {
            sc.licence_streams[k] = rng::stream_for_key(seed, trial, control.licence_key);
        }
    }
}
