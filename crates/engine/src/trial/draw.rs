//! The trial's draws: its uncertain parameters, its own baseline and initial state, and its disruptions as
//! intervals of activity, each from its own stream (`(seed, trial, process)`). Each trial of a group is drawn
//! into its own lane, exactly as it would be alone.

use rand::RngExt;
use rand_distr::{Distribution, Exp};

use super::state::{Interval, Lockstep, StockpileState};
use super::{FILL_FLOOR, NC, periods_of};
use crate::baseline;
use crate::outcome::EndUseOutcome;
use crate::plan::{ControlKind, DrawnParam, Plan, PlannedEffect, PlannedRamp, PlannedTiming};
use crate::rng::{self, Stream};

/// Draws trial `trial`'s parameters and disruptions into lane `k`, each from its own stream, and sets the lane's
/// initial state: the trial's own baseline, stocks at their initial weeks of normal use, pipelines full.
pub(super) fn draw_trial<const N: usize>(plan: &Plan, seed: u64, trial: u64, k: usize, sc: &mut Lockstep<N>) {
    let t_len = plan.periods;
    let pw = plan.period_weeks;
    let ppy = plan.periods_per_year;
    let ns = plan.stages.len();
    let draw = |p: &DrawnParam| p.draw(seed, trial);

    // Disruptions first: mitigations triggered by a disruption count from its onset. Every process draws from its
    // own stream, so the order of drawing changes no number.
    draw_disruptions(plan, seed, trial, k, sc);
    let first_onset = &sc.disruptions[k].first_onset;
    for (state, p) in sc.stages.iter_mut().zip(&plan.stage_parameters) {
        state.capacity_base[k] = draw(&p.capacity_per_year).max(0.0) / ppy;
        let g = draw(&p.capacity_growth_per_year).max(-0.999);
        state.capacity_step[k] = (1.0 + g).powf(1.0 / ppy);
        state.capacity_growth[k] = 1.0;
        let online = p.online_week.as_ref().map_or(0.0, |w| draw(w).max(0.0) / pw);
        state.online_period[k] = triggered(online, p.online_trigger, first_onset);
        state.ramp_periods[k] = draw(&p.ramp_weeks).max(0.0) / pw;
        state.throughput_lost[k] = 0.0;
    }
    for (state, link) in sc.links.iter_mut().zip(&plan.links) {
        state.lead[k] = periods_of(draw(&link.lead_time_weeks), pw);
    }
    for (state, p) in sc.end_uses.iter_mut().zip(&plan.end_use_parameters) {
        state.demand_base[k] = draw(&p.demand_per_year).max(0.0) / ppy;
        let g = draw(&p.growth_per_year).max(-0.999);
        state.demand_step[k] = (1.0 + g).powf(1.0 / ppy);
        state.demand_growth[k] = 1.0;
        state.backlog[k] = 0.0;
        state.short_run[k] = 0;
        state.cumulative_built[k] = 0.0;
        state.oldest_owed_period[k] = 0;
    }
    // The trial's own baseline: normal flows for its sampled demand.
    let own = &mut sc.baseline;
    baseline::flows(plan, sc.end_uses.iter().map(|x| x.demand_base[k]), &mut own.activity, &mut own.flow);
    let (activity, flow) = (&own.activity, &own.flow);

    // Stocks and targets in weeks of normal use.
    let stock_weeks = |w: &[DrawnParam; 2]| (draw(&w[0]).max(0.0) / pw, draw(&w[1]).max(0.0) / pw);
    for (p, (stage, parameters)) in plan.stages.iter().zip(&plan.stage_parameters).enumerate() {
        let (init, target) = stock_weeks(&parameters.input_stock_weeks);
        // A plant that is not producing yet holds no stock yet: it must buy its first fill.
        let init = if sc.stages[p].online_period[k] > 0.0 { 0.0 } else { init };
        for i in stage.inputs.clone() {
            let use_per_period = activity[p] * plan.inputs[i].quantity;
            sc.inputs[i].stock[k] = init * use_per_period;
            sc.inputs[i].target[k] = target * use_per_period;
        }
    }
    for (e, (end_use, parameters)) in plan.end_uses.iter().zip(&plan.end_use_parameters).enumerate() {
        let (init, target) = stock_weeks(&parameters.stock_weeks);
        for i in end_use.inputs.clone() {
            let use_per_period = activity[ns + e] * plan.inputs[i].quantity;
            sc.inputs[i].stock[k] = init * use_per_period;
            sc.inputs[i].target[k] = target * use_per_period;
        }
    }
    for (p, (stage, parameters)) in plan.stages.iter().zip(&plan.stage_parameters).enumerate() {
        let (init, target) = stock_weeks(&parameters.output_stock_weeks);
        let init = if sc.stages[p].online_period[k] > 0.0 { 0.0 } else { init };
        for o in stage.outputs.clone() {
            let ship_per_period: f64 = plan.customers_of(o).iter().map(|&l| flow[l]).sum();
            sc.outputs[o].stock[k] = init * ship_per_period;
            sc.outputs[o].target[k] = target * ship_per_period;
        }
    }
    // Class mix of each stage's normal demand, customers first; used when a stage receives no orders.
    let mut normal_class_mix = vec![[0.0; NC]; ns];
    for end_use in &plan.end_uses {
        for slot in &plan.inputs[end_use.inputs.clone()] {
            for l in slot.links.clone() {
                normal_class_mix[plan.links[l].supplier][end_use.class] += flow[l];
            }
        }
    }
    for (p, stage) in plan.stages.iter().enumerate().rev() {
        let mix = normal_class_mix[p];
        let total: f64 = mix.iter().sum();
        let w = if total > 0.0 { mix.map(|x| x / total) } else { [0.0, 0.0, 1.0] };
        normal_class_mix[p] = w;
        for (class, wk) in w.iter().enumerate() {
            sc.stages[p].normal_class_mix[class][k] = *wk;
        }
        for slot in &plan.inputs[stage.inputs.clone()] {
            for l in slot.links.clone() {
                let supplier = &mut normal_class_mix[plan.links[l].supplier];
                for (class, wk) in w.iter().enumerate() {
                    supplier[class] += wk * flow[l];
                }
            }
        }
    }

    // Attribution of each node's normal activity to end uses, customers first, so that stock and pipeline
    // targets (in weeks of normal use) follow the demand trend of what the node serves.
    let ne = plan.end_uses.len();
    let nodes = ns + ne;
    sc.has_growth[k] = sc.end_uses.iter().any(|x| x.demand_step[k] != 1.0);
    sc.trend.iter_mut().for_each(|x| x[k] = 1.0);
    if sc.has_growth[k] {
        let att = &mut own.attribution;
        att.iter_mut().for_each(|x| *x = 0.0);
        for e in 0..ne {
            att[e * nodes + ns + e] = 1.0;
        }
        for (p, stage) in plan.stages.iter().enumerate().rev() {
            let mut total = 0.0;
            for o in stage.outputs.clone() {
                for &l in plan.customers_of(o) {
                    let (f, to) = (flow[l], plan.links[l].customer);
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
        for (lanes, a) in sc.attribution.iter_mut().zip(att.iter()) {
            lanes[k] = *a;
        }
    }

    // Pipelines start full of normal flow: shipments made in the L periods before the horizon.
    let nl = plan.links.len();
    for (l, link) in plan.links.iter().enumerate() {
        let state = &mut sc.links[l];
        let lead = state.lead[k];
        let flow = flow[l];
        for a in 0..lead.min(t_len) {
            sc.arrivals[a * nl + l][k] = flow;
            if let Some(licensed) = link.licensed {
                sc.arrival_ship_time[a * plan.licensed_links + licensed][k] = flow * (a as f64 - lead as f64);
            }
        }
        state.pipe[k] = flow * lead as f64;
        state.flow[k] = flow;
        state.lead_estimate[k] = lead as f64;
        for class in 0..NC {
            state.order[class][k] = 0.0;
        }
        // A supplier that is not producing at the start (a plant still to come online) is on probation:
        // customers send it little until it has shown it delivers.
        state.fill[k] = if sc.stages[link.supplier].online_period[k] > 0.0 { FILL_FLOOR } else { 1.0 };
        state.weight[k] = 0.0;
        state.active_controls[k] = 0;
    }

    // Mitigations.
    sc.inputs.iter_mut().for_each(|x| x.intensity_factor[k] = 1.0);
    let first_onset = &sc.disruptions[k].first_onset;
    let ramp = |r: &PlannedRamp| {
        let start = draw(&r.start_week).max(0.0) / pw;
        [
            triggered(start, r.trigger, first_onset),
            draw(&r.ramp_weeks).max(0.0) / pw,
            draw(&r.full_effect).clamp(0.0, 1.0),
        ]
    };
    for (lanes, change) in sc.intensity_plan.iter_mut().zip(&plan.intensity_changes) {
        for (lane, value) in lanes.iter_mut().zip(ramp(change)) {
            lane[k] = value;
        }
    }
    for (lanes, switch) in sc.switch_plan.iter_mut().zip(&plan.demand_switches) {
        for (lane, value) in lanes.iter_mut().zip(ramp(switch)) {
            lane[k] = value;
        }
    }
    let outcome = &mut sc.outcomes[k];
    for (j, (state, stockpile)) in sc.stockpiles.iter_mut().zip(&plan.stockpiles).enumerate() {
        let initial = draw(&stockpile.initial).max(0.0);
        let StockpileState { level, initial: size, release_cap, rebuild_cap, released_now } = state;
        level[k] = initial;
        size[k] = initial;
        release_cap[k] = draw(&stockpile.max_release_per_week).max(0.0) * pw;
        rebuild_cap[k] = draw(&stockpile.rebuild_per_week).max(0.0) * pw;
        released_now[k] = 0.0;
        outcome.stockpile_min[j] = initial;
        outcome.stockpile_released[j] = 0.0;
    }
    for o in outcome.end_uses.iter_mut() {
        *o = EndUseOutcome::default();
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

/// Draws each disruption's intervals of activity for trial `trial` in lane `k`, from its own stream, and its
/// licence streams.
fn draw_disruptions<const N: usize>(plan: &Plan, seed: u64, trial: u64, k: usize, sc: &mut Lockstep<N>) {
    let t_len = plan.periods;
    let pw = plan.period_weeks;
    let ppy = plan.periods_per_year;
    let own = &mut sc.disruptions[k];
    own.intervals.clear();
    for &d in &plan.disruption_order {
        let dis = &plan.disruptions[d];
        let mut rng = rng::stream_for_key(seed, trial, dis.key);
        let intervals = &mut own.intervals;
        let first_interval = intervals.len();
        let sample_effect = |rng: &mut Stream| -> f64 {
            match &dis.effect {
                PlannedEffect::Licensing { .. } => 1.0,
                PlannedEffect::Cut { severity } => severity.sample(rng).clamp(0.0, 1.0),
                PlannedEffect::DemandMultiplier { multiplier } => multiplier.sample(rng).max(0.0) - 1.0,
            }
        };
        if let PlannedEffect::Licensing { denial } = &dis.effect {
            for (class, p) in denial.iter().enumerate() {
                sc.denial[d][k][class] = p.sample(&mut rng).clamp(0.0, 1.0);
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
                if let Some(parent) = own.first_onset[*disruption]
                    && u < p
                {
                    mark(parent + lag, len, v, &mut first);
                }
            }
        }
        own.first_onset[d] = first;
        own.of_disruption[d] = first_interval..own.intervals.len();
        own.next_interval[d] = first_interval;
        sc.effect_now[d][k] = 0.0;
    }
    own.next_boundary = 0;
    for (streams, control) in sc.licence_streams.iter_mut().zip(&plan.link_controls) {
        if matches!(control.kind, ControlKind::Licensing { .. }) {
            streams[k] = rng::stream_for_key(seed, trial, control.licence_key);
        }
    }
}
