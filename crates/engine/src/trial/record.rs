//! What a trial records besides its outcome: nothing in a run ([`NoRecord`], whose calls compile to nothing, so
//! the period loop carries no trace branches), or every flow period by period for `chokepoint trace` and the
//! mass-balance tests ([`TraceRecorder`]). The period loop is generic over the [`Recorder`]. A recorder sees the
//! first lane of a group: traces are made by groups of one trial.

use super::state::{InputState, Lockstep, OutputState};
use crate::outcome::{StagePeriod, Trace};
use crate::plan::{Plan, PlannedStage};

/// Receives the flows of a trial as the period loop makes them. Every method does nothing by default.
pub(super) trait Recorder {
    /// The trial's initial state is set.
    fn trial_starts<const N: usize>(&mut self, _plan: &Plan, _sc: &Lockstep<N>) {}
    /// A stage starts its production step in period `t`.
    fn stage_opens<const N: usize>(
        &mut self,
        _t: usize,
        _stage: &PlannedStage,
        _inputs: &[InputState<N>],
        _outputs: &[OutputState<N>],
    ) {
    }
    /// One of its inputs received `received` and was given `from_stockpile` by stockpiles.
    fn stage_input_received(&mut self, _t: usize, _stage: usize, _received: f64, _from_stockpile: f64) {}
    /// One of its inputs was consumed at `intensity_factor` times its quantity, and gave `to_stockpile` to rebuild
    /// stockpiles.
    fn stage_input_consumed(&mut self, _t: usize, _stage: usize, _consumed: f64, _factor: f64, _to_stockpile: f64) {}
    /// One of its outputs was produced and shipped.
    fn stage_output_shipped(&mut self, _t: usize, _stage: usize, _produced: f64, _shipped: f64) {}
    /// The stage ends its production step, having run at `throughput`.
    fn stage_closes<const N: usize>(
        &mut self,
        _t: usize,
        _stage: &PlannedStage,
        _throughput: f64,
        _inputs: &[InputState<N>],
        _outputs: &[OutputState<N>],
    ) {
    }
    /// `quantity` left its supplier on `link` in period `t` and clears export control in period `cleared`.
    fn shipment(&mut self, _t: usize, _link: usize, _quantity: f64, _cleared: usize) {}
    /// Stockpiles released `amount` into end-use input slot `slot` (counted from the first end-use slot).
    fn end_use_released(&mut self, _slot: usize, _amount: f64) {}
    /// End-use input slot `slot` consumed `consumed` and gave `to_stockpile` to rebuild stockpiles.
    fn end_use_consumed(&mut self, _slot: usize, _consumed: f64, _to_stockpile: f64) {}
    /// End use `e` built `built` units of the `required` (new `demand` plus backlog) in period `t`.
    fn end_use_built(&mut self, _t: usize, _e: usize, _built: f64, _required: f64, _demand: f64) {}
    /// Market `j`'s price index at the end of period `t` was `price`.
    fn market_price(&mut self, _t: usize, _j: usize, _price: f64) {}
    /// The horizon is over.
    fn trial_ends<const N: usize>(&mut self, _plan: &Plan, _sc: &Lockstep<N>) {}
}

/// Records nothing: the recorder of runs.
#[derive(Debug)]
pub(super) struct NoRecord;

impl Recorder for NoRecord {}

/// Records a full [`Trace`].
#[derive(Debug)]
pub(super) struct TraceRecorder<'a>(pub &'a mut Trace);

impl TraceRecorder<'_> {
    fn stage(&mut self, t: usize, stage: usize) -> &mut StagePeriod {
        &mut self.0.stages[t][stage]
    }
}

impl Recorder for TraceRecorder<'_> {
    fn trial_starts<const N: usize>(&mut self, plan: &Plan, group: &Lockstep<N>) {
        let trace = &mut *self.0;
        *trace = Trace::default();
        trace.in_transit_at_start = group.links.iter().map(|x| x.pipe[0]).collect();
        trace.end_use_stock_start = group.inputs[plan.end_use_inputs.clone()].iter().map(|x| x.stock[0]).collect();
        trace.end_use_consumed = vec![0.0; trace.end_use_stock_start.len()];
        trace.end_use_from_stockpile = vec![0.0; trace.end_use_stock_start.len()];
        trace.end_use_to_stockpile = vec![0.0; trace.end_use_stock_start.len()];
        trace.stockpile_start = group.stockpiles.iter().map(|x| x.level[0]).collect();
        trace.link_shipped = vec![vec![0.0; plan.links.len()]; plan.periods];
        trace.link_cleared = vec![vec![0.0; plan.links.len()]; plan.periods];
        // One row per period, for graphs that have stages, and for those that have end uses.
        let rows = |n: usize| if n > 0 { plan.periods } else { 0 };
        trace.stages = vec![vec![StagePeriod::default(); plan.stages.len()]; rows(plan.stages.len())];
        let per_end_use = vec![vec![0.0; plan.end_uses.len()]; rows(plan.end_uses.len())];
        trace.built = per_end_use.clone();
        trace.required = per_end_use.clone();
        trace.demand = per_end_use;
        let markets = plan.markets.markets.len();
        trace.market_price = if markets > 0 { vec![vec![1.0; markets]; plan.periods] } else { Vec::new() };
    }

    fn stage_opens<const N: usize>(
        &mut self,
        t: usize,
        stage: &PlannedStage,
        inputs: &[InputState<N>],
        outputs: &[OutputState<N>],
    ) {
        self.0.stages[t][stage.spec_index] = StagePeriod {
            opening_input: inputs[stage.inputs.clone()].iter().map(|x| x.stock[0]).collect(),
            opening_output: outputs[stage.outputs.clone()].iter().map(|x| x.stock[0]).collect(),
            ..StagePeriod::default()
        };
    }

    fn stage_input_received(&mut self, t: usize, stage: usize, received: f64, from_stockpile: f64) {
        let stage_period = self.stage(t, stage);
        stage_period.received.push(received);
        stage_period.from_stockpile.push(from_stockpile);
    }

    fn stage_input_consumed(&mut self, t: usize, stage: usize, consumed: f64, factor: f64, to_stockpile: f64) {
        let stage_period = self.stage(t, stage);
        stage_period.consumed.push(consumed);
        stage_period.input_factor.push(factor);
        stage_period.to_stockpile.push(to_stockpile);
    }

    fn stage_output_shipped(&mut self, t: usize, stage: usize, produced: f64, shipped: f64) {
        let stage_period = self.stage(t, stage);
        stage_period.produced.push(produced);
        stage_period.shipped.push(shipped);
    }

    fn stage_closes<const N: usize>(
        &mut self,
        t: usize,
        stage: &PlannedStage,
        throughput: f64,
        inputs: &[InputState<N>],
        outputs: &[OutputState<N>],
    ) {
        let stage_period = self.stage(t, stage.spec_index);
        stage_period.throughput = throughput;
        stage_period.closing_input = inputs[stage.inputs.clone()].iter().map(|x| x.stock[0]).collect();
        stage_period.closing_output = outputs[stage.outputs.clone()].iter().map(|x| x.stock[0]).collect();
    }

    fn shipment(&mut self, t: usize, link: usize, quantity: f64, cleared: usize) {
        let trace = &mut *self.0;
        trace.link_shipped[t][link] += quantity;
        if let Some(row) = trace.link_cleared.get_mut(cleared) {
            row[link] += quantity;
        }
    }

    fn end_use_released(&mut self, slot: usize, amount: f64) {
        self.0.end_use_from_stockpile[slot] += amount;
    }

    fn end_use_consumed(&mut self, slot: usize, consumed: f64, to_stockpile: f64) {
        self.0.end_use_consumed[slot] += consumed;
        self.0.end_use_to_stockpile[slot] += to_stockpile;
    }

    fn end_use_built(&mut self, t: usize, e: usize, built: f64, required: f64, demand: f64) {
        let trace = &mut *self.0;
        trace.built[t][e] = built;
        trace.required[t][e] = required;
        trace.demand[t][e] = demand;
    }

    fn market_price(&mut self, t: usize, j: usize, price: f64) {
        self.0.market_price[t][j] = price;
    }

    fn trial_ends<const N: usize>(&mut self, plan: &Plan, group: &Lockstep<N>) {
        let trace = &mut *self.0;
        trace.in_transit_at_end = group.links.iter().map(|x| x.pipe[0]).collect();
        trace.end_use_stock_end = group.inputs[plan.end_use_inputs.clone()].iter().map(|x| x.stock[0]).collect();
        trace.stockpile_end = group.stockpiles.iter().map(|x| x.level[0]).collect();
    }
}
