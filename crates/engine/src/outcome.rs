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

/// One trial's results.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialOutcome {
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
    pub throughput: f64,
    pub opening_input: Vec<f64>,
    pub received: Vec<f64>,
    pub consumed: Vec<f64>,
    pub closing_input: Vec<f64>,
    pub opening_output: Vec<f64>,
    pub produced: Vec<f64>,
    pub shipped: Vec<f64>,
    pub closing_output: Vec<f64>,
    /// Per input: the intensity multiplier in force (thrifting), so consumed = quantity x factor x throughput.
    pub input_factor: Vec<f64>,
    /// Per input: released into it from stockpiles, and moved out of it to rebuild stockpiles.
    pub from_stockpile: Vec<f64>,
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
    /// End-use input stock at the start and at the end, per end-use input slot, in model slot order.
    pub end_use_stock_start: Vec<f64>,
    pub end_use_stock_end: Vec<f64>,
    /// Material each end use consumed over the horizon, per end-use input slot.
    pub end_use_consumed: Vec<f64>,
    /// Material in transit at the start, per link.
    pub in_transit_at_start: Vec<f64>,
    /// Per end-use input slot: released into it from stockpiles and moved out of it to rebuild them.
    pub end_use_from_stockpile: Vec<f64>,
    pub end_use_to_stockpile: Vec<f64>,
    /// Quantity leaving its supplier on each link per period (`[t][link]`), and quantity clearing export
    /// control per period: the shipment period plus any licence review (what customs would record as exported).
    pub link_shipped: Vec<Vec<f64>>,
    pub link_cleared: Vec<Vec<f64>>,
    /// Stockpile levels at the start and at the end.
    pub stockpile_start: Vec<f64>,
    pub stockpile_end: Vec<f64>,
    /// Each market's price index at the end of each period (`[t][market]`, markets in the order of
    /// `ModelSpec::markets`); empty without markets.
    pub market_price: Vec<Vec<f64>>,
}
