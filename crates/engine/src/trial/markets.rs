//! The markets' step of the period loop: at the end of each period, each market's price index from the share of
//! its orders left unfilled, then the factors that act from the next period (demand, stock targets, capacity).
//! The equations are those of `crate::market`; this file applies them to the lanes of a group. It runs only for
//! scenarios with markets, and draws nothing random.

use super::record::Recorder;
use super::state::Lockstep;
use crate::market::{demand_factor, next_adopted, next_price, next_response, precaution_factor};
use crate::plan::{CLASSES as NC, Plan};

/// Resets the markets of every lane at the start of a group, once its trials are drawn: prices at 1, nothing
/// added, every factor 1, and the drawn stock targets and capacities kept as the bases the markets scale.
pub(super) fn open<const N: usize>(group: &mut Lockstep<N>) {
    group.market_response.iter_mut().for_each(|x| *x = [0.0; N]);
    group.market_adopted.iter_mut().for_each(|x| *x = [1.0; N]);
    group.market_demand.iter_mut().for_each(|x| *x = [1.0; N]);
    group.market_intensity.iter_mut().for_each(|x| *x = [1.0; N]);
    for (base, input) in group.market_base_target.iter_mut().zip(&group.inputs) {
        *base = input.target;
    }
    for (base, stage) in group.market_base_capacity.iter_mut().zip(&group.stages) {
        *base = stage.capacity_base;
    }
}

/// The price index of market `j` at the end of period `t` (1 before the horizon).
#[inline]
fn price_at<const N: usize>(prices: &[[f64; N]], periods: usize, j: usize, t: Option<usize>) -> [f64; N] {
    t.map_or([1.0; N], |t| prices[j * periods + t])
}

/// Closes period `t`'s markets: prices from this period's orders and shipments, and the factors of period
/// `t + 1`.
#[inline(always)]
pub(super) fn clear<const N: usize, R: Recorder>(plan: &Plan, group: &mut Lockstep<N>, t: usize, recorder: &mut R) {
    let markets = &plan.markets;
    let periods = plan.periods;
    for (j, market) in markets.markets.iter().enumerate() {
        let mut ordered = [0.0; N];
        let mut shipped = [0.0; N];
        for &l in &market.links {
            let link = &group.links[l];
            for k in 0..N {
                let mut order = 0.0;
                for class in 0..NC {
                    order += link.order[class][k];
                }
                ordered[k] += order;
                shipped[k] += link.shipped_now[k];
            }
        }
        let before = price_at(&group.market_price, periods, j, t.checked_sub(1));
        let price: [f64; N] = std::array::from_fn(|k| {
            let unfilled = if ordered[k] > 0.0 { (1.0 - shipped[k] / ordered[k]).clamp(0.0, 1.0) } else { 0.0 };
            next_price(before[k], unfilled, market.gain, market.decay)
        });
        group.market_price[j * periods + t] = price;
        recorder.market_price(t, j, price[0]);

        // Precautionary buying: every buyer's stock target follows the trend over the window.
        let earlier = price_at(&group.market_price, periods, j, t.checked_sub(market.window));
        let target: [f64; N] = std::array::from_fn(|k| {
            precaution_factor(
                price[k],
                earlier[k],
                market.precaution_gain,
                market.precaution_min,
                market.precaution_max,
            )
        });
        for &slot in &market.slots {
            let base = group.market_base_target[slot];
            group.inputs[slot].target = std::array::from_fn(|k| base[k] * target[k]);
        }

        // Demand destruction at stages: less of the material per unit of throughput (thrifting), at the adopted
        // price. Thrifting mitigations of the same input apply on top of it in the next period's step 1.
        let adopted = &mut group.market_adopted[j];
        for k in 0..N {
            adopted[k] = next_adopted(adopted[k], price[k], market.adoption);
        }
        let intensity: [f64; N] = std::array::from_fn(|k| demand_factor(adopted[k], market.elasticity));
        for &slot in &market.stage_slots {
            group.market_intensity[slot] = intensity;
            let input = &mut group.inputs[slot];
            input.intensity_factor = std::array::from_fn(|k| input.base_factor[k] * intensity[k]);
        }

        // Supply response: capacity added while the price `response_lag` periods ago was at or above the trigger.
        let lagged = price_at(&group.market_price, periods, j, t.checked_sub(market.response_lag));
        let added = &mut group.market_response[j];
        for k in 0..N {
            added[k] =
                next_response(added[k], lagged[k], market.response_trigger, market.response_step, market.response_max);
        }
    }
    // Demand destruction at end uses (substitution): the smallest factor over the materials they use directly.
    for (e, of_end_use) in markets.end_use_markets.iter().enumerate() {
        if of_end_use.is_empty() {
            continue;
        }
        let mut factor = [1.0f64; N];
        for &j in of_end_use {
            let (market, adopted) = (&markets.markets[j], &group.market_adopted[j]);
            for k in 0..N {
                factor[k] = factor[k].min(demand_factor(adopted[k], market.elasticity));
            }
        }
        group.market_demand[e] = factor;
    }
    // A stage responding to several markets grows with the largest response.
    for (p, of_stage) in &markets.responding_stages {
        let mut added = [0.0f64; N];
        for &j in of_stage {
            for k in 0..N {
                added[k] = added[k].max(group.market_response[j][k]);
            }
        }
        let base = group.market_base_capacity[*p];
        group.stages[*p].capacity_base = std::array::from_fn(|k| base[k] * (1.0 + added[k]));
    }
}
