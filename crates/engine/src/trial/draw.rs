//! The trial's draws: its uncertain parameters, its own baseline and initial state, and its disruptions as
//! intervals of activity, each from its own stream (`(seed, trial, process)`). Each trial of a group is drawn
//! into its own lane, exactly as it would be alone.

use rand::RngExt;

use super::state::{Interval, Lockstep, StockpileState};
use super::{FILL_FLOOR, NC, periods_of, ramp_factor};
use crate::baseline;
use crate::outcome::EndUseOutcome;
use crate::plan::{ControlKind, DrawnParam, Plan, PlannedEffect, PlannedRamp, PlannedTiming};
use crate::rng::{self, Stream};
use crate::sample;

/// Draws trial `trial`'s parameters and disruptions into lane `k`, each from its own stream, and sets the lane's
/// initial state: the trial's own baseline, stocks at their initial weeks of normal use, pipelines full.
pub(super) fn draw_trial<const N: usize>(plan: &Plan, seed: u64, trial: u64, k: usize, group: &mut Lockstep<N>) {
    let t_len = plan.periods;
    let period_weeks = plan.period_weeks;
    let periods_per_year = plan.periods_per_year;
    let stage_count = plan.stages.len();
    let draw = |p: &DrawnParam| p.draw(seed, trial);

    // Disruptions first: mitigations triggered by a disruption count from its onset. Every process draws from its
    // own stream, so the order of drawing changes no number.
    draw_disruptions(plan, seed, trial, k, group);
    let first_onset = &group.disruptions[k].first_onset;
    for (state, parameters) in group.stages.iter_mut().zip(&plan.stage_parameters) {
        state.capacity_base[k] = draw(&parameters.capacity_per_year).max(0.0) / periods_per_year;
        state.capacity_step[k] = parameters.capacity_growth.step(seed, trial);
        state.capacity_growth[k] = 1.0;
        let online = parameters.online_week.as_ref().map_or(0.0, |weeks| draw(weeks).max(0.0) / period_weeks);
        state.online_period[k] = triggered(online, parameters.online_trigger, first_onset);
        state.ramp_periods[k] = draw(&parameters.ramp_weeks).max(0.0) / period_weeks;
        state.at_nameplate = false;
        state.throughput_lost[k] = 0.0;
        state.throughput_wanted[k] = 0.0;
    }
    for (state, link) in group.links.iter_mut().zip(&plan.links) {
        state.lead[k] = periods_of(draw(&link.lead_time_weeks), period_weeks);
        // Lanes are drawn in order from 0, so this is the longest lead time of the group once all are drawn.
        state.longest_lead = if k == 0 { state.lead[k] } else { state.longest_lead.max(state.lead[k]) };
    }
    for (state, parameters) in group.end_uses.iter_mut().zip(&plan.end_use_parameters) {
        state.demand_base[k] = draw(&parameters.demand_per_year).max(0.0) / periods_per_year;
        state.demand_step[k] = parameters.demand_growth.step(seed, trial);
        state.demand_growth[k] = 1.0;
        state.backlog[k] = 0.0;
        state.short_run[k] = 0;
        state.cumulative_built[k] = 0.0;
        state.oldest_owed_period[k] = 0;
    }
    // The trial's own intensities: an end use's drawn intensity over its slot's central quantity (1 when constant).
    group.inputs.iter_mut().for_each(|x| x.base_factor[k] = 1.0);
    for (end_use, parameters) in plan.end_uses.iter().zip(&plan.end_use_parameters) {
        for (i, drawn) in end_use.inputs.clone().zip(&parameters.intensity) {
            if let Some(intensity) = drawn {
                group.inputs[i].base_factor[k] = draw(intensity).max(0.0) / plan.inputs[i].quantity;
            }
        }
    }
    let inputs = &group.inputs;
    let factor = |i: usize| inputs[i].base_factor[k];
    // The trial's own baseline: normal flows for its sampled demand, at nameplate (every link at its share).
    let own = &mut group.baseline;
    let demand = || group.end_uses.iter().map(|x| x.demand_base[k]);
    baseline::flows(plan, demand(), |l| plan.links[l].share, factor, &mut own.activity, &mut own.flow);
    // And at the start of the horizon: a stage short of its nameplate then (not yet online, or ramping up) supplies
    // that share of its links' normal flow, and its customers source the rest from their other suppliers by share.
    // The incumbents' stocks, pipelines and stock targets start from these flows; a stage short of its nameplate
    // keeps its nameplate flows, whose stocks it holds in proportion to its availability (`Order::scale`).
    for (availability, state) in own.start_availability.iter_mut().zip(&group.stages) {
        *availability = ramp_factor(0.0, state.online_period[k], state.ramp_periods[k]);
    }
    let start_availability = |p: usize| own.start_availability[p];
    let full_at_start = |p: usize| own.start_availability[p] >= 1.0;
    if own.start_availability.iter().any(|&a| a < 1.0) {
        for slot in &plan.inputs {
            let links = &plan.links[slot.links.clone()];
            let shares = &mut own.start_share[slot.links.clone()];
            if links.iter().all(|link| full_at_start(link.supplier)) {
                for (share, link) in shares.iter_mut().zip(links) {
                    *share = link.share;
                }
                continue;
            }
            let mut total = 0.0;
            for (share, link) in shares.iter_mut().zip(links) {
                *share = link.share * start_availability(link.supplier);
                total += *share;
            }
            for (share, link) in shares.iter_mut().zip(links) {
                *share = if total > 0.0 { *share / total } else { link.share };
            }
        }
        let start_share = &own.start_share;
        baseline::flows(plan, demand(), |l| start_share[l], factor, &mut own.start_activity, &mut own.start_flow);
    } else {
        own.start_activity.copy_from_slice(&own.activity);
        own.start_flow.copy_from_slice(&own.flow);
    }
    let (activity, flow) = (&own.activity, &own.flow);
    // A stage's own activity, and a link's flow by its customer: from the start for those full at the start (and
    // end uses), at nameplate for the others.
    let node_full = |node: usize| node >= stage_count || full_at_start(node);
    let stage_activity = |p: usize| if full_at_start(p) { own.start_activity[p] } else { activity[p] };
    let link_flow = |l: usize| if node_full(plan.links[l].customer) { own.start_flow[l] } else { flow[l] };
    // And by its supplier, for what a stage serves (its class mix and the end uses it works for): from the start
    // for a supplier full at the start, so that a plant not yet online does not change what the incumbents serve.
    let served_flow = |l: usize| if full_at_start(plan.links[l].supplier) { own.start_flow[l] } else { flow[l] };

    // Stocks and targets in weeks of normal use.
    let stock_weeks = |w: &[DrawnParam; 2]| (draw(&w[0]).max(0.0) / period_weeks, draw(&w[1]).max(0.0) / period_weeks);
    for (p, (stage, parameters)) in plan.stages.iter().zip(&plan.stage_parameters).enumerate() {
        let (init, target) = stock_weeks(&parameters.input_stock_weeks);
        // A plant that is not producing yet holds no stock yet: it must buy its first fill.
        let init = if group.stages[p].online_period[k] > 0.0 { 0.0 } else { init };
        for i in stage.inputs.clone() {
            let use_per_period = stage_activity(p) * plan.inputs[i].quantity;
            group.inputs[i].stock[k] = init * use_per_period;
            group.inputs[i].target[k] = target * use_per_period;
        }
    }
    for (e, (end_use, parameters)) in plan.end_uses.iter().zip(&plan.end_use_parameters).enumerate() {
        let (init, target) = stock_weeks(&parameters.stock_weeks);
        for i in end_use.inputs.clone() {
            let use_per_period = activity[stage_count + e] * plan.inputs[i].quantity * group.inputs[i].base_factor[k];
            group.inputs[i].stock[k] = init * use_per_period;
            group.inputs[i].target[k] = target * use_per_period;
        }
    }
    for (p, (stage, parameters)) in plan.stages.iter().zip(&plan.stage_parameters).enumerate() {
        let (init, target) = stock_weeks(&parameters.output_stock_weeks);
        let init = if group.stages[p].online_period[k] > 0.0 { 0.0 } else { init };
        for o in stage.outputs.clone() {
            let customers = plan.customers_of(o);
            let ship_per_period: f64 = customers.iter().map(|&l| flow[l]).sum();
            let ship_at_start: f64 =
                if full_at_start(p) { customers.iter().map(|&l| own.start_flow[l]).sum() } else { ship_per_period };
            group.outputs[o].stock[k] = init * ship_at_start;
            group.outputs[o].target[k] = target * ship_at_start;
            for &l in customers {
                group.links[l].supplier_share[k] =
                    if ship_per_period > 0.0 { flow[l] / ship_per_period } else { 1.0 / customers.len() as f64 };
            }
        }
    }
    // Class mix of each stage's normal demand, customers first; used when a stage receives no orders.
    let mut normal_class_mix = vec![[0.0; NC]; stage_count];
    for end_use in &plan.end_uses {
        for slot in &plan.inputs[end_use.inputs.clone()] {
            for l in slot.links.clone() {
                normal_class_mix[plan.links[l].supplier][end_use.class] += served_flow(l);
            }
        }
    }
    for (p, stage) in plan.stages.iter().enumerate().rev() {
        let mix = normal_class_mix[p];
        let total: f64 = mix.iter().sum();
        let class_mix = if total > 0.0 { mix.map(|x| x / total) } else { [0.0, 0.0, 1.0] };
        normal_class_mix[p] = class_mix;
        for (class, share) in class_mix.iter().enumerate() {
            group.stages[p].normal_class_mix[class][k] = *share;
        }
        for slot in &plan.inputs[stage.inputs.clone()] {
            for l in slot.links.clone() {
                let supplier = &mut normal_class_mix[plan.links[l].supplier];
                for (class, share) in class_mix.iter().enumerate() {
                    supplier[class] += share * served_flow(l);
                }
            }
        }
    }

    // Attribution of each node's normal activity to end uses, customers first, so that stock and pipeline
    // targets (in weeks of normal use) follow the demand trend of what the node serves.
    let end_use_count = plan.end_uses.len();
    let nodes = stage_count + end_use_count;
    group.has_growth[k] = group.end_uses.iter().any(|x| x.demand_step[k] != 1.0);
    group.trend.iter_mut().for_each(|x| x[k] = 1.0);
    if group.has_growth[k] {
        let att = &mut own.attribution;
        att.iter_mut().for_each(|x| *x = 0.0);
        for e in 0..end_use_count {
            att[e * nodes + stage_count + e] = 1.0;
        }
        for (p, stage) in plan.stages.iter().enumerate().rev() {
            let mut total = 0.0;
            for o in stage.outputs.clone() {
                for &l in plan.customers_of(o) {
                    let (f, to) = (served_flow(l), plan.links[l].customer);
                    for e in 0..end_use_count {
                        att[e * nodes + p] += f * att[e * nodes + to];
                    }
                    total += f;
                }
            }
            if total > 0.0 {
                for e in 0..end_use_count {
                    att[e * nodes + p] /= total;
                }
            }
        }
        for (lanes, a) in group.attribution.iter_mut().zip(att.iter()) {
            lanes[k] = *a;
        }
    }

    // Pipelines start full of the flow at the start of the horizon: shipments made in the L periods before it. A
    // stage short of its nameplate then is sent that share of its nameplate flow (nothing to a plant not yet
    // online), which is the pipeline its targets ask for (`Order::scale`); its link keeps the nameplate flow as its
    // normal flow. Filling it at nameplate handed a plant not yet online material nobody shipped, and made a plant
    // added by a mitigation change the other late plants' pipelines from week 0.
    for (l, link) in plan.links.iter().enumerate() {
        let state = &mut group.links[l];
        let lead = state.lead[k];
        let start = own.start_flow[l];
        for a in 0..lead.min(t_len) {
            let licensed = link.licensed.map(|j| (j, start * (a as f64 - lead as f64)));
            group.arrivals.set_start(a, l, licensed, k, start);
        }
        state.pipe[k] = start * lead as f64;
        state.flow[k] = link_flow(l);
        state.lead_estimate[k] = lead as f64;
        for class in 0..NC {
            state.order[class][k] = 0.0;
        }
        // A supplier that is not producing at the start (a plant still to come online) is on probation:
        // customers send it little until it has shown it delivers.
        state.fill[k] = if group.stages[link.supplier].online_period[k] > 0.0 { FILL_FLOOR } else { 1.0 };
        state.weight[k] = 0.0;
        state.last_fill[k] = 1.0;
        state.active_controls[k] = 0;
    }

    // Mitigations.
    group.inputs.iter_mut().for_each(|x| x.intensity_factor[k] = x.base_factor[k]);
    let first_onset = &group.disruptions[k].first_onset;
    let ramp = |r: &PlannedRamp| {
        let start = draw(&r.start_week).max(0.0) / period_weeks;
        [
            triggered(start, r.trigger, first_onset),
            draw(&r.ramp_weeks).max(0.0) / period_weeks,
            draw(&r.full_effect).clamp(0.0, 1.0),
        ]
    };
    for (lanes, change) in group.intensity_plan.iter_mut().zip(&plan.intensity_changes) {
        for (lane, value) in lanes.iter_mut().zip(ramp(change)) {
            lane[k] = value;
        }
    }
    for (lanes, switch) in group.switch_plan.iter_mut().zip(&plan.demand_switches) {
        for (lane, value) in lanes.iter_mut().zip(ramp(switch)) {
            lane[k] = value;
        }
    }
    let outcome = &mut group.outcomes[k];
    for (j, (state, stockpile)) in group.stockpiles.iter_mut().zip(&plan.stockpiles).enumerate() {
        let initial = draw(&stockpile.initial).max(0.0);
        let StockpileState { level, initial: size, release_cap, rebuild_cap, released_now } = state;
        level[k] = initial;
        size[k] = initial;
        release_cap[k] = draw(&stockpile.max_release_per_week).max(0.0) * period_weeks;
        rebuild_cap[k] = draw(&stockpile.rebuild_per_week).max(0.0) * period_weeks;
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
fn draw_disruptions<const N: usize>(plan: &Plan, seed: u64, trial: u64, k: usize, group: &mut Lockstep<N>) {
    let t_len = plan.periods;
    let period_weeks = plan.period_weeks;
    let periods_per_year = plan.periods_per_year;
    let own = &mut group.disruptions[k];
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
        // An event shorter than a period acts for one period, at the depth of the share of the period it covers
        // (a licence regime cannot act on a share of a period's shipments: it acts for the whole period).
        let licensing = matches!(dis.effect, PlannedEffect::Licensing { .. });
        let span = |weeks: f64, effect: f64| -> (usize, f64) {
            let covered = weeks / period_weeks;
            if covered > 0.0 && covered < 1.0 {
                (1, if licensing { effect } else { effect * covered })
            } else {
                (periods_of(weeks, period_weeks), effect)
            }
        };
        if let PlannedEffect::Licensing { denial, .. } = &dis.effect {
            for (class, p) in denial.iter().enumerate() {
                group.denial_below[d][k][class] = rng::uniform_threshold(p.sample(&mut rng));
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
                let start = periods_of(onset_weeks.sample(&mut rng), period_weeks);
                let weeks = duration_weeks.sample(&mut rng);
                let (len, effect) = span(weeks, sample_effect(&mut rng));
                mark(start, len, effect, &mut first);
            }
            PlannedTiming::Hazard { rate_per_year, duration_weeks } => {
                let rate = rate_per_year.sample(&mut rng);
                // Exponential gaps (a rate of 0 draws no event; a negative or NaN one counts as 0).
                if rate > 0.0 {
                    let mut t = 0.0f64; // in periods
                    loop {
                        t += sample::exponential(&mut rng, rate) * periods_per_year;
                        if !(t < t_len as f64) {
                            break;
                        }
                        let start = t.floor() as usize;
                        let weeks = duration_weeks.sample(&mut rng);
                        let (len, effect) = span(weeks, sample_effect(&mut rng));
                        mark(start, len, effect, &mut first);
                        t = (start + len.max(1)) as f64;
                    }
                }
            }
            PlannedTiming::TwoState { start_per_period, end_per_period } => {
                let effect = sample_effect(&mut rng);
                let mut active = false;
                for t in 0..t_len {
                    let u: f64 = rng.random();
                    active = if active { u >= *end_per_period } else { u < *start_per_period };
                    if active {
                        mark(t, 1, effect, &mut first);
                    }
                }
            }
            PlannedTiming::Follows { disruption, probability, lag_weeks, duration_weeks } => {
                let chance = probability.sample(&mut rng);
                let lag = periods_of(lag_weeks.sample(&mut rng), period_weeks);
                let weeks = duration_weeks.sample(&mut rng);
                let (len, effect) = span(weeks, sample_effect(&mut rng));
                let u: f64 = rng.random();
                if let Some(parent) = own.first_onset[*disruption]
                    && u < chance
                {
                    mark(parent + lag, len, effect, &mut first);
                }
            }
        }
        // A licensing regime's grace period: for its first weeks after each onset, shipments declared or licensed
        // before the regime took effect still clear, so its controls start that many periods late (an event no
        // longer than its grace has no effect). Drawn last, so that a constant grace moves no other draw.
        if let PlannedEffect::Licensing { grace_weeks, .. } = &dis.effect {
            let grace = periods_of(grace_weeks.sample(&mut rng).max(0.0), period_weeks);
            if grace > 0 {
                let mut kept = first_interval;
                for i in first_interval..own.intervals.len() {
                    let interval = own.intervals[i];
                    let start = interval.start.saturating_add(grace);
                    if start < interval.end {
                        own.intervals[kept] = Interval { start, ..interval };
                        kept += 1;
                    }
                }
                own.intervals.truncate(kept);
            }
        }
        own.first_onset[d] = first;
        own.of_disruption[d] = first_interval..own.intervals.len();
        own.next_interval[d] = first_interval;
        group.effect_now[d][k] = 0.0;
    }
    own.next_boundary = 0;
    for (streams, control) in group.licence_streams.iter_mut().zip(&plan.link_controls) {
        if matches!(control.kind, ControlKind::Licensing { .. }) {
            streams[k] = rng::stream_for_key(seed, trial, control.licence_key);
        }
    }
}
