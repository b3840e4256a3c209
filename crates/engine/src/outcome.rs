//! What one trial produces: per end use and per stage metrics, and an optional period-by-period trace.

/// One end use's results in one trial.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EndUseOutcome {
    /// Units demanded over the horizon (new demand, not counting backlog carried over).
    pub demand: f64,
    /// Units built over the horizon.
    pub built: f64,
    /// Units demanded but not built within the horizon (`demand - built`, never negative).
    pub units_short: f64,
    /// `built / demand` (1 when there was no demand).
    pub share_met: f64,
    /// Periods in which some demand (new or backlogged) went unmet.
    pub short_periods: u32,
    /// The longest run of consecutive short periods.
    pub longest_short_run: u32,
    /// The first short period, if any.
    pub first_short_period: Option<u32>,
    /// The period after the last short period, if the end use was short and recovered within the horizon. For a
    /// backlogged end use this is the period its backlog cleared.
    pub recovery_period: Option<u32>,
    /// Backlogged demand only: units built within the horizon in a later period than they were demanded in
    /// (built units serve the oldest backlog first). Units still owed at the end are `units_short`.
    pub units_late: f64,
    /// Lost demand only: units demanded and never built (then equal to `units_short`; 0 for backlogged demand).
    pub units_lost: f64,
    /// Backlogged demand only: units still owed at the end of the horizon (then equal to `units_short`).
    pub units_owed_at_end: f64,
    /// Backlogged demand only: the sum over periods of the backlog carried out of the period, in unit-periods.
    /// It equals the total delay of every late unit, delivered or still owed (censored at the horizon).
    pub backlog_unit_periods: f64,
    /// Backlogged demand only: the longest delay of a unit, in periods: from the period it was demanded in to the
    /// period it was built, or, for a unit still owed at the end, to the end of the horizon (censored).
    pub max_delay_periods: u32,
    /// Backlogged demand only: the largest backlog carried out of a period, in units.
    pub peak_backlog: f64,
    /// Backlogged demand only: the largest backlog carried out of a period as weeks of that period's normal
    /// demand (base demand with growth, before demand shocks and mitigations).
    pub peak_backlog_weeks: f64,
}

impl EndUseOutcome {
    /// Units not delivered in the period they were demanded in: lost, delivered late or still owed at the end.
    pub fn units_short_or_late(&self) -> f64 {
        self.units_short + self.units_late
    }

    /// Whether some demand went unmet in some period (lost, or delivered late).
    pub fn any_shortfall(&self) -> bool {
        self.short_periods > 0
    }

    /// Mean delay of a late unit in periods (delivered late or still owed, censored at the horizon); `None` when
    /// no unit was late.
    pub fn mean_delay_periods(&self) -> Option<f64> {
        let late = self.units_late + self.units_owed_at_end;
        (late > 0.0 && self.backlog_unit_periods > 0.0).then(|| self.backlog_unit_periods / late)
    }
}

/// Declares the per-metric arrays of a run's end-use results ([`EndUseMetrics`]), the borrowed view of one end use
/// over consecutive trials ([`EndUseColumns`]) and the runner's writable slots of one chunk ([`EndUseSlots`]), with
/// one field per field of [`EndUseOutcome`], so that the three cannot drift apart from the record.
macro_rules! end_use_metrics {
    ($($(#[$doc:meta])* $field:ident: $ty:ty,)*) => {
        /// The per-trial end-use results of a run, one array per metric (struct of arrays), laid out end use by end
        /// use: the value of end use `e` in trial `t` (counted from the run's first trial) is at `e * trials + t`,
        /// so one metric of one end use is a contiguous slice ([`EndUseMetrics::end_use`]). Durations are in
        /// periods, as in [`EndUseOutcome`].
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct EndUseMetrics {
            trials: usize,
            n_end_uses: usize,
            $($field: Vec<$ty>,)*
        }

        /// The results of one end use in consecutive trials, one slice per metric (each of the same length, one
        /// entry per trial in trial order). The fields mean what the fields of [`EndUseOutcome`] of the same name
        /// mean; durations are in periods.
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub struct EndUseColumns<'a> {
            $($(#[$doc])* pub $field: &'a [$ty],)*
        }

        /// The runner's slots for the trials of one chunk of one end use, one slice per metric.
        pub(crate) struct EndUseSlots<'a> {
            $($field: &'a mut [$ty],)*
        }

        impl EndUseMetrics {
            /// Zeroed results for `n_end_uses` end uses in `trials` trials, to be filled by the runner.
            pub(crate) fn zeroed(n_end_uses: usize, trials: usize) -> Self {
                let len = n_end_uses * trials;
                Self { trials, n_end_uses, $($field: vec![<$ty>::default(); len],)* }
            }

            /// The results of end use `e`, one entry per trial of the run in every slice.
            ///
            /// # Panics
            ///
            /// If `e` is not below [`EndUseMetrics::n_end_uses`].
            pub fn end_use(&self, e: usize) -> EndUseColumns<'_> {
                assert!(e < self.n_end_uses, "end use {e} of {}", self.n_end_uses);
                let range = e * self.trials..(e + 1) * self.trials;
                EndUseColumns { $($field: &self.$field[range.clone()],)* }
            }

            /// Writes `outcome` as the outcome of end use `e` in the `t`-th trial.
            fn set(&mut self, e: usize, t: usize, outcome: &EndUseOutcome) {
                let i = e * self.trials + t;
                $(self.$field[i] = outcome.$field;)*
            }

            /// The runner's slots, chunk by chunk of `chunk` trials (the last one may be shorter), and within a
            /// chunk end use by end use. Every value of the results is in exactly one slot, so that chunks can be
            /// filled in parallel without sharing anything.
            pub(crate) fn chunks_mut(&mut self, chunk: usize) -> Vec<Vec<EndUseSlots<'_>>> {
                let (trials, ne) = (self.trials, self.n_end_uses);
                let n_chunks = trials.div_ceil(chunk);
                let mut slots: Vec<Vec<EndUseSlots<'_>>> = (0..n_chunks).map(|_| Vec::with_capacity(ne)).collect();
                $(let mut $field = self.$field.chunks_mut(trials.max(1)).flat_map(|x| x.chunks_mut(chunk));)*
                for _ in 0..ne {
                    for chunk_slots in &mut slots {
                        chunk_slots.push(EndUseSlots {
                            $($field: $field.next().expect("one slice per end use and chunk"),)*
                        });
                    }
                }
                slots
            }
        }

        impl<'a> EndUseColumns<'a> {
            /// The outcome of the `t`-th trial of the view, gathered from the slices.
            pub fn outcome(&self, t: usize) -> EndUseOutcome {
                EndUseOutcome { $($field: self.$field[t],)* }
            }

            /// The view of trials `range` of this one.
            pub fn range(&self, range: std::ops::Range<usize>) -> EndUseColumns<'a> {
                EndUseColumns { $($field: &self.$field[range.clone()],)* }
            }
        }

        impl EndUseSlots<'_> {
            /// Writes `outcome` as the `k`-th trial of the chunk.
            pub(crate) fn set(&mut self, k: usize, outcome: &EndUseOutcome) {
                $(self.$field[k] = outcome.$field;)*
            }
        }
    };
}

end_use_metrics! {
    /// Units demanded over the horizon.
    demand: f64,
    /// Units built over the horizon.
    built: f64,
    /// Units demanded but not built within the horizon.
    units_short: f64,
    /// `built / demand` (1 when there was no demand).
    share_met: f64,
    /// Periods in which some demand went unmet.
    short_periods: u32,
    /// The longest run of consecutive short periods, in periods.
    longest_short_run: u32,
    /// The first short period, if any.
    first_short_period: Option<u32>,
    /// The period after the last short period, if the end use recovered within the horizon.
    recovery_period: Option<u32>,
    /// Backlogged demand only: units built later than the period they were demanded in.
    units_late: f64,
    /// Lost demand only: units demanded and never built.
    units_lost: f64,
    /// Backlogged demand only: units still owed at the end of the horizon.
    units_owed_at_end: f64,
    /// Backlogged demand only: the backlog summed over periods, in unit-periods.
    backlog_unit_periods: f64,
    /// Backlogged demand only: the longest delay of a unit, in periods.
    max_delay_periods: u32,
    /// Backlogged demand only: the largest backlog carried out of a period, in units.
    peak_backlog: f64,
    /// Backlogged demand only: the largest backlog as weeks of that period's normal demand.
    peak_backlog_weeks: f64,
}

impl EndUseMetrics {
    /// The number of trials: the length of every slice of [`EndUseMetrics::end_use`].
    pub fn trials(&self) -> usize {
        self.trials
    }

    /// The number of end uses.
    pub fn n_end_uses(&self) -> usize {
        self.n_end_uses
    }

    /// The outcome of end use `e` in the `t`-th trial of the run, gathered from the arrays.
    pub fn outcome(&self, e: usize, t: usize) -> EndUseOutcome {
        self.end_use(e).outcome(t)
    }

    /// The outcomes of the `t`-th trial of the run, one per end use in model order.
    pub fn trial(&self, t: usize) -> Vec<EndUseOutcome> {
        (0..self.n_end_uses).map(|e| self.outcome(e, t)).collect()
    }

    /// The results of successive runs of the same model (batches, or shards in trial order) as one run's.
    ///
    /// # Panics
    ///
    /// If the parts do not have the same number of end uses.
    pub fn join<'a>(parts: impl IntoIterator<Item = &'a EndUseMetrics> + Clone) -> EndUseMetrics {
        let n_end_uses = parts.clone().into_iter().next().map_or(0, |p| p.n_end_uses);
        assert!(parts.clone().into_iter().all(|p| p.n_end_uses == n_end_uses), "parts with different end uses");
        let mut all = EndUseMetrics::zeroed(n_end_uses, parts.clone().into_iter().map(|p| p.trials).sum());
        let mut first = 0;
        for part in parts {
            for e in 0..n_end_uses {
                let view = part.end_use(e);
                for t in 0..part.trials {
                    all.set(e, first + t, &view.outcome(t));
                }
            }
            first += part.trials;
        }
        all
    }

    /// Every outcome, end use by end use and within an end use in trial order (the order of the arrays).
    pub fn outcomes(&self) -> impl Iterator<Item = EndUseOutcome> + '_ {
        (0..self.n_end_uses).flat_map(move |e| self.end_use(e).outcomes())
    }
}

impl<'a> EndUseColumns<'a> {
    /// The number of trials in the view.
    pub fn len(&self) -> usize {
        self.demand.len()
    }

    /// Whether the view holds no trial.
    pub fn is_empty(&self) -> bool {
        self.demand.is_empty()
    }

    /// The outcomes of the view's trials, gathered from the slices, in trial order.
    pub fn outcomes(self) -> impl ExactSizeIterator<Item = EndUseOutcome> + 'a {
        (0..self.len()).map(move |t| self.outcome(t))
    }

    /// Units not delivered in the period they were demanded in, per trial: `units_short + units_late`.
    pub fn units_short_or_late(self) -> impl ExactSizeIterator<Item = f64> + 'a {
        self.units_short.iter().zip(self.units_late).map(|(s, l)| s + l)
    }

    /// Whether some demand went unmet in some period, per trial (`short_periods > 0`).
    pub fn any_shortfall(self) -> impl ExactSizeIterator<Item = bool> + 'a {
        self.short_periods.iter().map(|&p| p > 0)
    }
}

/// One trial's results.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialOutcome {
    /// One per end use, in model order.
    pub end_uses: Vec<EndUseOutcome>,
    /// Throughput each stage wanted to make, could have made at nameplate, and did not (units of throughput).
    pub stage_throughput_lost: Vec<f64>,
    /// Throughput each stage wanted to make and could have made at nameplate (`Σ min(plan, capacity before
    /// outages)`): what the lost throughput is a part of, so that lost / wanted lies in [0, 1].
    pub stage_throughput_wanted: Vec<f64>,
    /// Lowest level of each stockpile over the horizon.
    pub stockpile_min: Vec<f64>,
    /// Total released by each stockpile over the horizon.
    pub stockpile_released: Vec<f64>,
}

/// Flows of one stage in one period, for mass-balance checks. Vectors follow the stage's inputs and outputs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StagePeriod {
    /// Units of throughput made in the period.
    pub throughput: f64,
    /// Per input: stock at the start of the period.
    pub opening_input: Vec<f64>,
    /// Per input: material received in the period (arrivals from suppliers).
    pub received: Vec<f64>,
    /// Per input: material consumed by the period's throughput.
    pub consumed: Vec<f64>,
    /// Per input: stock at the end of the period.
    pub closing_input: Vec<f64>,
    /// Per output: stock at the start of the period.
    pub opening_output: Vec<f64>,
    /// Per output: material made in the period.
    pub produced: Vec<f64>,
    /// Per output: material shipped to customers in the period.
    pub shipped: Vec<f64>,
    /// Per output: stock at the end of the period.
    pub closing_output: Vec<f64>,
    /// Per input: the intensity multiplier in force (thrifting), so consumed = quantity x factor x throughput.
    pub input_factor: Vec<f64>,
    /// Per input: released into it from stockpiles.
    pub from_stockpile: Vec<f64>,
    /// Per input: moved out of it to rebuild stockpiles.
    pub to_stockpile: Vec<f64>,
}

/// A full record of one trial, period by period (costly; for tests and diagnostics).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// `stages[t][s]`.
    pub stages: Vec<Vec<StagePeriod>>,
    /// Units built per period per end use: `built[t][e]`.
    pub built: Vec<Vec<f64>>,
    /// Units required (new demand plus backlog) per period per end use.
    pub required: Vec<Vec<f64>>,
    /// New demand per period per end use.
    pub demand: Vec<Vec<f64>>,
    /// Material still in transit at the end of the horizon, per link.
    pub in_transit_at_end: Vec<f64>,
    /// End-use input stock at the start, per end-use input slot, in model slot order.
    pub end_use_stock_start: Vec<f64>,
    /// End-use input stock at the end, per end-use input slot, in model slot order.
    pub end_use_stock_end: Vec<f64>,
    /// Material each end use consumed over the horizon, per end-use input slot.
    pub end_use_consumed: Vec<f64>,
    /// Material in transit at the start, per link.
    pub in_transit_at_start: Vec<f64>,
    /// Per end-use input slot: released into it from stockpiles.
    pub end_use_from_stockpile: Vec<f64>,
    /// Per end-use input slot: moved out of it to rebuild stockpiles.
    pub end_use_to_stockpile: Vec<f64>,
    /// Quantity leaving its supplier on each link per period (`[t][link]`).
    pub link_shipped: Vec<Vec<f64>>,
    /// Quantity clearing export control on each link per period (`[t][link]`): the shipment period plus any
    /// licence review (what customs would record as exported).
    pub link_cleared: Vec<Vec<f64>>,
    /// Stockpile levels at the start, per stockpile.
    pub stockpile_start: Vec<f64>,
    /// Stockpile levels at the end, per stockpile.
    pub stockpile_end: Vec<f64>,
    /// Each market's price index at the end of each period (`[t][market]`, markets in the order of
    /// `ModelSpec::markets`); empty without markets.
    pub market_price: Vec<Vec<f64>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runner's slots cover every value of the arrays exactly once, chunk by chunk, with a short last chunk:
    /// what a chunk writes for trial `k` of end use `e` is what `end_use(e)` reads at the chunk's first trial + `k`.
    #[test]
    fn chunk_slots_cover_each_end_use_and_trial_once() {
        let (ne, trials, chunk) = (3, 130, 64);
        let mut metrics = EndUseMetrics::zeroed(ne, trials);
        let mut slots = metrics.chunks_mut(chunk);
        assert_eq!(slots.len(), 3);
        for (c, chunk_slots) in slots.iter_mut().enumerate() {
            assert_eq!(chunk_slots.len(), ne);
            for (e, s) in chunk_slots.iter_mut().enumerate() {
                for k in 0..s.demand.len() {
                    let t = c * chunk + k;
                    let o =
                        EndUseOutcome { demand: (e * 1000 + t) as f64, short_periods: t as u32, ..Default::default() };
                    s.set(k, &o);
                }
            }
        }
        for e in 0..ne {
            let view = metrics.end_use(e);
            assert_eq!(view.len(), trials);
            assert!(view.demand.iter().enumerate().all(|(t, &d)| d == (e * 1000 + t) as f64));
            assert!(view.short_periods.iter().enumerate().all(|(t, &p)| p as usize == t));
        }
        let joined = EndUseMetrics::join([&metrics, &metrics]);
        assert_eq!(joined.end_use(2).range(130..260), metrics.end_use(2));
        assert!(EndUseMetrics::zeroed(ne, 0).chunks_mut(chunk).is_empty());
        assert!(EndUseMetrics::zeroed(0, trials).chunks_mut(chunk).iter().all(Vec::is_empty));
    }
}
