//! Markets: a scarcity price index per material and the three responses it drives (demand destruction,
//! precautionary buying, non-Chinese supply response), as described in `docs/model.md`, "Markets".
//!
//! A market is off unless the scenario asks for one. At the end of each period it rescales the trial's own drawn
//! quantities for the next: the capacity of responding stages and the stock targets of buyers (from the values
//! drawn for the trial), and the intensity of the material at the stages that use it. In the period loop itself
//! only two factors appear, exactly 1 without markets: an end use's demand factor and the intensity that thrifting
//! mitigations start from. Multiplying by 1.0 changes no bit, so a scenario without markets gives the same numbers
//! as an engine without them. Markets draw nothing random: the price follows from the trial's own flows.
//!
//! The equations, per material `m`, trial and period `t` (prices are known at the end of a period and act from
//! the next):
//!
//! - unfilled share `u(t) = 1 − shipped(t) / ordered(t)` over every link carrying `m` (0 when nothing was
//!   ordered);
//! - price index `P(t) = 1 + d·(P(t−1) − 1) + (1 − d)·g·u(t)` with `P(−1) = 1`, `d = 2^(−period / half-life)` and
//!   `g` the price gain: a sustained unfilled share `u` moves the index towards `1 + g·u`, and without scarcity
//!   the excess over 1 halves every half-life;
//! - demand destruction acts on the price as buyers have adopted it, `ln A(t) = ln A(t−1) + α·(ln P(t) − ln A(t−1))`
//!   with `A(−1) = 1` and `α = 1 / (1 + L_d / period)`: an exponential lag of the log price whose mean delay is
//!   `L_d` (thrifting and substitution are adopted over time, not on a date; in log price, half of the reduction
//!   `P^(−ε)` the price calls for is realised after `ln 2 · L_d`). Its factor `A^(−ε)` scales the quantity of `m` per unit
//!   of throughput at every stage that uses `m` (thrifting), and the demand of every end use that uses `m`
//!   directly (substitution: the smallest factor over the end use's materials);
//! - stock-target factor of every buyer of `m`: `clamp(1 + a·(P(t−1) / P(t−1−W) − 1), f_min, f_max)`, where
//!   `W` is the trend window (prices before the horizon are 1);
//! - capacity factor of the responding stages of `m`: `1 + R(t)`, where `R` grows by `r / periods per year` in
//!   every period whose price `L_r` earlier, `P(t − 1 − L_r)`, is at least the trigger, up to `R_max`; built
//!   capacity stays. A stage responding to several markets takes the largest `R`.

use crate::float_math::{exp, ln, pow};
use crate::model::{ModelError, ModelSpec, Node};

/// A market for one material: how its price index forms and what it drives. Rates are per year, times in weeks.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketSpec {
    /// The material priced, by index in `ModelSpec::materials`.
    pub material: usize,
    /// Long-run excess of the price index per unit of unfilled share (`g`): a sustained unfilled share `u` moves
    /// the index towards `1 + g·u`.
    pub price_gain: f64,
    /// Half-life of the price index's excess over 1, in weeks.
    pub price_half_life_weeks: f64,
    /// Price elasticity of end-use demand (`ε` ≥ 0): demand is scaled by `P^(−ε)`.
    pub demand_elasticity: f64,
    /// Mean delay, in weeks, with which demand adopts a price (an exponential lag).
    pub demand_lag_weeks: f64,
    /// Response of buyers' stock targets to the price trend (`a`): the target is scaled by
    /// `1 + a·(relative price change over the window)`, within `[precaution_min, precaution_max]`.
    pub precaution_gain: f64,
    /// Window of the price trend, in weeks.
    pub precaution_window_weeks: f64,
    /// The smallest factor on stock targets.
    pub precaution_min: f64,
    /// The largest factor on stock targets.
    pub precaution_max: f64,
    /// Regions whose stages expand when the price stays high: the stages there that make the material, and their
    /// suppliers in these regions, transitively. Empty: no supply response.
    pub response_regions: Vec<String>,
    /// Price index at or above which new capacity is added.
    pub response_trigger_price: f64,
    /// Weeks from a price to the capacity it brings.
    pub response_lag_weeks: f64,
    /// Capacity added per year while the lagged price is at or above the trigger, as a share of nameplate.
    pub response_growth_per_year: f64,
    /// Most capacity added, as a share of nameplate.
    pub response_max: f64,
}

impl MarketSpec {
    /// A market for `material` with the documented defaults (`docs/scenario-format.md`, `[markets]`) and no
    /// supply response.
    pub fn new(material: usize) -> Self {
        Self {
            material,
            price_gain: 10.0,
            price_half_life_weeks: 26.0,
            demand_elasticity: 0.15,
            demand_lag_weeks: 13.0,
            precaution_gain: 0.5,
            precaution_window_weeks: 4.0,
            precaution_min: 0.75,
            precaution_max: 1.5,
            response_regions: Vec::new(),
            response_trigger_price: 2.0,
            response_lag_weeks: 52.0,
            response_growth_per_year: 0.25,
            response_max: 1.0,
        }
    }
}

/// Checks the markets of `spec` (after its indices have been checked).
pub(crate) fn check(spec: &ModelSpec, errors: &mut Vec<ModelError>) -> bool {
    let mut ok = true;
    for (i, market) in spec.markets.iter().enumerate() {
        if market.material >= spec.materials.len() {
            errors.push(ModelError::BadIndex {
                what: "market",
                index: i,
                target: "material",
                target_index: market.material,
            });
            ok = false;
            continue;
        }
        let name = spec.materials[market.material].name.clone();
        let mut invalid = |message: &str| {
            errors.push(ModelError::Invalid { what: "market", name: name.clone(), message: message.to_owned() })
        };
        let finite_at_least = |x: f64, min: f64| x.is_finite() && x >= min;
        if spec.markets[..i].iter().any(|m| m.material == market.material) {
            invalid("a material has at most one market");
        }
        let price_ok = finite_at_least(market.price_gain, 0.0)
            && market.price_half_life_weeks.is_finite()
            && market.price_half_life_weeks > 0.0;
        if !price_ok {
            invalid("price gain must not be negative, half-life must be positive");
        }
        let demand_ok = finite_at_least(market.demand_elasticity, 0.0) && finite_at_least(market.demand_lag_weeks, 0.0);
        if !demand_ok {
            invalid("demand elasticity and lag must not be negative");
        }
        let precaution_ok = finite_at_least(market.precaution_gain, 0.0)
            && finite_at_least(market.precaution_window_weeks, 0.0)
            && finite_at_least(market.precaution_min, 0.0)
            && market.precaution_min <= 1.0
            && market.precaution_max.is_finite()
            && market.precaution_max >= 1.0;
        if !precaution_ok {
            invalid("precaution gain and window must not be negative, its bounds must enclose 1");
        }
        let response_ok = finite_at_least(market.response_trigger_price, 0.0)
            && finite_at_least(market.response_lag_weeks, 0.0)
            && finite_at_least(market.response_growth_per_year, 0.0)
            && finite_at_least(market.response_max, 0.0);
        if !response_ok {
            invalid("supply response trigger, lag, growth and bound must not be negative");
        }
    }
    ok
}

/// A market compiled for the period loop: parameters per period, and the links, input slots, end uses and stages
/// it reads or acts on.
#[derive(Debug, Clone)]
pub(crate) struct PlannedMarket {
    /// Price gain, and the per-period decay of the excess price.
    pub gain: f64,
    pub decay: f64,
    pub elasticity: f64,
    /// Weight of the newest price in the adopted price (`α`).
    pub adoption: f64,
    /// Trend window and response lag, in whole periods.
    pub window: usize,
    pub response_lag: usize,
    pub precaution_gain: f64,
    pub precaution_min: f64,
    pub precaution_max: f64,
    pub response_trigger: f64,
    /// Capacity added per period while the lagged price is at or above the trigger, and the bound.
    pub response_step: f64,
    pub response_max: f64,
    /// The links carrying the material (indices of `Plan::links`).
    pub links: Vec<usize>,
    /// The input slots consuming it, and those of them that belong to stages.
    pub slots: Vec<usize>,
    pub stage_slots: Vec<usize>,
}

/// The markets of a plan, and which markets act on each end use and stage.
#[derive(Debug, Clone, Default)]
pub(crate) struct PlannedMarkets {
    pub markets: Vec<PlannedMarket>,
    /// Per end use: the markets of the materials it uses directly.
    pub end_use_markets: Vec<Vec<usize>>,
    /// (stage processing position, markets it responds to), for stages that respond to some market.
    pub responding_stages: Vec<(usize, Vec<usize>)>,
}

impl PlannedMarkets {
    /// Whether the scenario has any market.
    pub fn any(&self) -> bool {
        !self.markets.is_empty()
    }
}

/// Weeks to whole periods, rounding halves up.
fn periods_of(weeks: f64, period_weeks: f64) -> usize {
    (weeks / period_weeks + 0.5) as usize
}

/// Compiles the markets of a checked `spec` whose links are grouped by customer input; `position[s]` is stage
/// `s`'s processing position.
pub(crate) fn compile(spec: &ModelSpec, position: &[usize]) -> PlannedMarkets {
    if spec.markets.is_empty() {
        return PlannedMarkets::default();
    }
    let (ns, ne) = (spec.stages.len(), spec.end_uses.len());
    let pw = spec.period_weeks;
    // The material of each input slot of node `i` (an end use's intensity may be a distribution; only its material
    // matters here).
    let node_materials = |i: usize| -> Vec<usize> {
        if i < ns {
            spec.stages[i].inputs.iter().map(|&(m, _)| m).collect()
        } else {
            spec.end_uses[i - ns].intensity.iter().map(|&(m, _)| m).collect()
        }
    };
    // Input slots are numbered node by node, stages then end uses in the specification's order.
    let mut slot_start = Vec::with_capacity(ns + ne);
    let mut next = 0;
    for i in 0..ns + ne {
        slot_start.push(next);
        next += node_materials(i).len();
    }
    // Suppliers of each stage, for the walk upstream from the stages that make a material.
    let mut suppliers: Vec<Vec<usize>> = vec![Vec::new(); ns];
    for l in &spec.links {
        if let Node::Stage(s) = l.to {
            suppliers[s].push(l.from);
        }
    }
    let mut end_use_markets = vec![Vec::new(); ne];
    let mut stage_markets: Vec<Vec<usize>> = vec![Vec::new(); ns];
    let mut markets = Vec::with_capacity(spec.markets.len());
    for (j, m) in spec.markets.iter().enumerate() {
        let links = spec.links.iter().enumerate().filter(|(_, l)| l.material == m.material).map(|(i, _)| i).collect();
        let mut slots = Vec::new();
        let mut stage_slots = Vec::new();
        for i in 0..ns + ne {
            if let Some(k) = node_materials(i).iter().position(|&x| x == m.material) {
                slots.push(slot_start[i] + k);
                if i < ns {
                    stage_slots.push(slot_start[i] + k);
                } else {
                    end_use_markets[i - ns].push(j);
                }
            }
        }
        // Responding stages: those in the response regions that make the material, and their suppliers there.
        let responds = |s: usize| m.response_regions.iter().any(|r| *r == spec.stages[s].region);
        let mut chosen = vec![false; ns];
        let mut stack: Vec<usize> =
            (0..ns).filter(|&s| responds(s) && spec.stages[s].outputs.iter().any(|&(x, _)| x == m.material)).collect();
        for &s in &stack {
            chosen[s] = true;
        }
        while let Some(s) = stack.pop() {
            for &p in &suppliers[s] {
                if !chosen[p] && responds(p) {
                    chosen[p] = true;
                    stack.push(p);
                }
            }
        }
        for s in (0..ns).filter(|&s| chosen[s]) {
            stage_markets[s].push(j);
        }
        markets.push(PlannedMarket {
            gain: m.price_gain,
            decay: pow(0.5, pw / m.price_half_life_weeks),
            elasticity: m.demand_elasticity,
            adoption: 1.0 / (1.0 + m.demand_lag_weeks / pw),
            window: periods_of(m.precaution_window_weeks, pw),
            response_lag: periods_of(m.response_lag_weeks, pw),
            precaution_gain: m.precaution_gain,
            precaution_min: m.precaution_min,
            precaution_max: m.precaution_max,
            response_trigger: m.response_trigger_price,
            response_step: m.response_growth_per_year * pw / 52.0,
            response_max: m.response_max,
            links,
            slots,
            stage_slots,
        });
    }
    let mut responding_stages: Vec<(usize, Vec<usize>)> =
        (0..ns).filter(|&s| !stage_markets[s].is_empty()).map(|s| (position[s], stage_markets[s].clone())).collect();
    responding_stages.sort_by_key(|(p, _)| *p);
    PlannedMarkets { markets, end_use_markets, responding_stages }
}

/// The price index after one period: the excess over 1 decays by `decay` and moves towards `gain × unfilled`.
#[inline]
pub(crate) fn next_price(price: f64, unfilled: f64, gain: f64, decay: f64) -> f64 {
    1.0 + decay * (price - 1.0) + (1.0 - decay) * gain * unfilled
}

/// The adopted price after one period: its logarithm moves towards the latest price's by the weight `adoption`.
///
/// This power and the demand factor's, taken every period of every market, are `exp(y ln x)` rather than
/// `float_math::pow`: libm's `pow` costs about 236 instructions against 120 for its `exp` and `ln` (glibc's `pow`,
/// which the engine used before, about 100). The exponent `y ln x` is small here (a price index within a few times
/// 1, a weight or an elasticity at most about 1), so the result is within a few ulps of the power, and exactly 1
/// at a price of 1 (`ln 1 = 0`), as markets that see no scarcity need.
#[inline]
pub(crate) fn next_adopted(adopted: f64, price: f64, adoption: f64) -> f64 {
    adopted * exp(adoption * ln(price / adopted))
}

/// Demand factor at an adopted price: `price^(−elasticity)`, as `exp(-elasticity ln price)` (see
/// [`next_adopted`]).
#[inline]
pub(crate) fn demand_factor(lagged_price: f64, elasticity: f64) -> f64 {
    exp(-elasticity * ln(lagged_price))
}

/// Stock-target factor for a price that moved from `earlier` to `latest`: `1 + gain × (latest / earlier − 1)`,
/// within `[min, max]`.
#[inline]
pub(crate) fn precaution_factor(latest: f64, earlier: f64, gain: f64, min: f64, max: f64) -> f64 {
    (1.0 + gain * (latest / earlier - 1.0)).clamp(min, max)
}

/// Capacity added so far after one more period: `step` more while the lagged price is at or above `trigger`,
/// never above `max`.
#[inline]
pub(crate) fn next_response(added: f64, lagged_price: f64, trigger: f64, step: f64, max: f64) -> f64 {
    if lagged_price >= trigger { (added + step).min(max) } else { added }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_rises_towards_gain_times_unfilled_share() {
        let (gain, decay) = (10.0, pow(0.5, 1.0 / 26.0));
        let mut p = 1.0;
        for _ in 0..2000 {
            p = next_price(p, 0.3, gain, decay);
        }
        assert!((p - 4.0).abs() < 1e-9, "{p}");
        // More unfilled, higher price; nothing unfilled, no rise.
        assert!(next_price(1.0, 0.5, gain, decay) > next_price(1.0, 0.2, gain, decay));
        assert_eq!(next_price(1.0, 0.0, gain, decay), 1.0);
    }

    #[test]
    fn price_excess_halves_every_half_life() {
        let half_life_weeks = 13.0;
        let decay = pow(0.5, 1.0 / half_life_weeks);
        let mut p = 5.0;
        for _ in 0..13 {
            p = next_price(p, 0.0, 10.0, decay);
        }
        assert!((p - 3.0).abs() < 1e-12, "{p}");
        for _ in 0..26 {
            p = next_price(p, 0.0, 10.0, decay);
        }
        assert!((p - 1.5).abs() < 1e-12, "{p}");
    }

    #[test]
    fn demand_falls_as_price_to_minus_elasticity() {
        assert_eq!(demand_factor(1.0, 0.15), 1.0);
        assert!((demand_factor(10.0, 0.16) - pow(10.0, -0.16)).abs() < 1e-15);
        // Japan 2010-2012: about 10x the price, about -31 % demand, for an elasticity near 0.16.
        assert!((demand_factor(10.0, 0.16) - 0.69).abs() < 0.01);
        assert_eq!(demand_factor(3.0, 0.0), 1.0);
    }

    #[test]
    fn demand_adopts_the_price_with_the_stated_mean_delay() {
        // A price that jumps from 1 to 2 and stays: the adopted log price's shortfall from ln 2 sums, over
        // periods, to ln 2 times the mean delay (13 weekly periods here); half of it is adopted after about
        // ln 2 × 13 periods; an adoption weight of 1 follows the price at once.
        let adoption = 1.0 / (1.0 + 13.0);
        let (mut adopted, mut delay, mut half) = (1.0, 0.0, None);
        for n in 1..2000 {
            adopted = next_adopted(adopted, 2.0, adoption);
            delay += ln(2.0) - ln(adopted);
            if half.is_none() && adopted >= 2f64.sqrt() {
                half = Some(n);
            }
        }
        assert!((delay - 13.0 * ln(2.0)).abs() < 1e-9, "{delay}");
        assert_eq!(half, Some(10), "ln 2 x 13 = 9.0, and the discrete lag is a little slower");
        assert!((next_adopted(1.0, 3.0, 1.0) - 3.0).abs() < 1e-15);
    }

    #[test]
    fn precautionary_targets_follow_the_trend_within_bounds() {
        assert_eq!(precaution_factor(1.0, 1.0, 0.5, 0.75, 1.5), 1.0);
        assert!((precaution_factor(1.2, 1.0, 0.5, 0.75, 1.5) - 1.1).abs() < 1e-12);
        assert_eq!(precaution_factor(10.0, 1.0, 0.5, 0.75, 1.5), 1.5);
        assert!((precaution_factor(0.9, 1.0, 0.5, 0.75, 1.5) - 0.95).abs() < 1e-12);
        assert_eq!(precaution_factor(1.0, 5.0, 0.5, 0.75, 1.5), 0.75);
    }

    #[test]
    fn capacity_grows_only_after_the_price_stays_high_and_is_bounded() {
        let (trigger, step, max) = (2.0, 0.25 / 52.0, 0.5);
        let mut added = 0.0;
        // A price history: low for 10 weeks, then high.
        let prices: Vec<f64> = (0..400).map(|t| if t < 10 { 1.5 } else { 3.0 }).collect();
        let lag = 26;
        let mut first_growth = None;
        for t in 0..prices.len() {
            let lagged = if t >= lag { prices[t - lag] } else { 1.0 };
            let before = added;
            added = next_response(added, lagged, trigger, step, max);
            if added > before && first_growth.is_none() {
                first_growth = Some(t);
            }
        }
        // Growth starts when the first high price is `lag` periods old, and stops at the bound.
        assert_eq!(first_growth, Some(10 + lag));
        assert_eq!(added, max);
        assert_eq!(next_response(0.1, 1.99, trigger, step, max), 0.1);
    }
}
