//! Exceedance curves: the probability, across trials, that an end use's units short over the horizon (lost
//! demand), or the longest delay of one of its units (backlogged demand), exceed x. The HTML report draws them.

use chokepoint_engine::stats::quantile_sorted;

/// Largest drop in probability that is merged into the next step when thinning a curve: a curve of a million
/// trials keeps at most about this many steps' worth of detail, well below what a chart can show.
const MAX_MERGED_DROP: f64 = 0.002;

/// What an exceedance curve counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Units not built within the horizon (lost demand).
    UnitsShort,
    /// The longest delay of a unit, in weeks (backlogged demand).
    MaxDelayWeeks,
}

/// The exceedance curve of one end use's units short over the horizon, or of its longest delay.
#[derive(Debug, Clone, PartialEq)]
pub struct ExceedanceCurve {
    /// The end use's name.
    pub end_use: String,
    /// What the curve counts.
    pub measure: Measure,
    /// The number of trials the curve is made of.
    pub trials: usize,
    /// Corners of the step function `x -> P(units short > x)`, starting at `x = 0`: between `steps[i].0` and
    /// `steps[i + 1].0` the probability is `steps[i].1`. Steps that drop by less than 0.2 percentage points are
    /// merged into the next one (the curve is then at most that much too high in between); the last step is at
    /// the largest value, where the probability reaches 0.
    pub steps: Vec<(f64, f64)>,
    /// Median value among the trials where it is above 0; `None` if none was.
    pub median_when_short: Option<f64>,
    /// The largest value of any trial.
    pub max: f64,
}

impl ExceedanceCurve {
    /// The curve of `values`, the units short (or longest delay) of every trial, in any order.
    pub fn new(end_use: String, measure: Measure, mut values: Vec<f64>) -> Self {
        // The curve reads only the values above +0.0 in `total_cmp`'s order (in most trials of most end uses there
        // are none), so only they are sorted, after the others, which are moved in front of them in any order:
        // every value the curve reads, and every answer of `partition_point` below, is as with all of them sorted.
        // Unstable: `total_cmp`-equal values are the same bits, so the order is the stable sort's.
        let mut above_zero_from = 0;
        for i in 0..values.len() {
            if values[i].total_cmp(&0.0).is_le() {
                values.swap(i, above_zero_from);
                above_zero_from += 1;
            }
        }
        values[above_zero_from..].sort_unstable_by(f64::total_cmp);
        let n = values.len();
        let short_from = values.partition_point(|&x| !(x > 0.0));
        let short = &values[short_from..];
        let median_when_short = (!short.is_empty()).then(|| quantile_sorted(short, 0.5));
        let probability = |count_above: usize| if n == 0 { 0.0 } else { count_above as f64 / n as f64 };
        let mut steps = vec![(0.0, probability(short.len()))];
        let mut i = short_from;
        while i < n {
            let x = values[i];
            let mut j = i;
            while j < n && values[j].total_cmp(&x).is_eq() {
                j += 1;
            }
            let p = probability(n - j);
            let last = steps.last().map_or(1.0, |s| s.1);
            if last - p >= MAX_MERGED_DROP || j == n {
                steps.push((x, p));
            }
            i = j;
        }
        let largest = values[above_zero_from..].last().or_else(|| values.iter().max_by(|a, b| a.total_cmp(b)));
        let max = largest.copied().unwrap_or(0.0).max(0.0);
        Self { end_use, measure, trials: n, steps, median_when_short, max }
    }

    /// The share of trials with any units short.
    pub fn p_short(&self) -> f64 {
        self.steps.first().map_or(0.0, |s| s.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_the_empirical_survival_function() {
        let c = ExceedanceCurve::new("x".into(), Measure::UnitsShort, vec![3.0, 0.0, 1.0, 1.0, 0.0]);
        assert_eq!(c.steps, [(0.0, 0.6), (1.0, 0.2), (3.0, 0.0)]);
        assert_eq!(c.median_when_short, Some(1.0));
        assert_eq!((c.trials, c.max, c.p_short()), (5, 3.0, 0.6));
    }

    /// The curve of a column does not depend on the order of its values: the same as the curve of the values
    /// sorted beforehand, which the curve reads as a full sort leaves them. Columns of many zeros of both signs,
    /// ties, negative values, and in some NaNs of both signs and infinities.
    #[test]
    fn the_curve_is_that_of_the_sorted_values() {
        use chokepoint_engine::rng::stream;
        use rand::RngExt;
        for case in 0..200u64 {
            let mut rng = stream(7, case, "exceedance");
            let specials = case % 4 == 0;
            let n = rng.random_range(0..3000);
            let values: Vec<f64> = (0..n)
                .map(|_| match rng.random_range(0..10) {
                    0..=4 => [0.0, -0.0][rng.random_range(0..2)],
                    5 => 1.5,
                    6 if specials => [f64::NAN, -f64::NAN, f64::INFINITY][rng.random_range(0..3)],
                    7 => -rng.random::<f64>(),
                    _ => rng.random::<f64>() * [1e-6, 1e-3, 1.0, 1e3, 1e6][rng.random_range(0..5)],
                })
                .collect();
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let curve = |v: Vec<f64>| format!("{:?}", ExceedanceCurve::new("x".into(), Measure::UnitsShort, v));
            assert_eq!(curve(values), curve(sorted), "case {case}");
        }
    }

    #[test]
    fn never_short_is_a_flat_curve_at_zero() {
        let c = ExceedanceCurve::new("x".into(), Measure::UnitsShort, vec![0.0; 10]);
        assert_eq!(c.steps, [(0.0, 0.0)]);
        assert_eq!((c.median_when_short, c.max), (None, 0.0));
    }

    #[test]
    fn small_drops_are_merged_and_the_curve_still_reaches_zero() {
        let values: Vec<f64> = (1..=100_000).map(f64::from).collect();
        let c = ExceedanceCurve::new("x".into(), Measure::UnitsShort, values);
        assert!(c.steps.len() <= 1.0f64.div_euclid(MAX_MERGED_DROP) as usize + 2, "{}", c.steps.len());
        assert_eq!(c.steps.last(), Some(&(100_000.0, 0.0)));
        assert!(c.steps.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 >= w[1].1));
    }
}
