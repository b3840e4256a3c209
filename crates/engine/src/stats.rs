//! Estimators across trials.
//!
//! - Mean and sample standard deviation (n - 1 denominator); standard error `sd / sqrt(n)`; a normal-theory
//!   95 % confidence interval `mean ± 1.959964 se` (the central limit theorem applies: trials are i.i.d.).
//! - Quantiles by linear interpolation between order statistics (Hyndman and Fan, 1996, type 7; R's default).
//! - CVaR at 95 % (expected shortfall): the mean of the worst `ceil(0.05 n)` trials, worst meaning largest
//!   (Acerbi and Tasche, 2002, for the discrete estimator).
//! - A probability with its Wilson score interval (Wilson, 1927), which behaves at 0 and 1.
//! - Fan-chart bands from fixed-width histograms of the weekly share of requirement met: 1,000 bins of width
//!   0.001 plus one bin for exactly 1. Counts are integers, so merging histograms from any number of threads
//!   gives the same bits; quantiles are exact to the bin width (the bin's midpoint is reported).

/// z such that P(|Z| < z) = 0.95.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// Distribution summary of one metric across trials.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    /// The number of values summarised.
    pub n: usize,
    /// The mean.
    pub mean: f64,
    /// The sample standard deviation.
    pub sd: f64,
    /// The standard error of the mean.
    pub se: f64,
    /// The lower end of the normal 95 % confidence interval of the mean.
    pub ci95_low: f64,
    /// The upper end of the normal 95 % confidence interval of the mean.
    pub ci95_high: f64,
    /// The smallest value.
    pub min: f64,
    /// The 5th percentile.
    pub p5: f64,
    /// The median.
    pub p50: f64,
    /// The 95th percentile.
    pub p95: f64,
    /// The 99th percentile.
    pub p99: f64,
    /// The largest value.
    pub max: f64,
    /// Mean of the worst (largest) 5 % of trials.
    pub cvar95: f64,
}

/// Quantile `q` of sorted data (type 7).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let (lo, hi, weight) = quantile_position(sorted.len(), q);
    sorted[lo] + weight * (sorted[hi] - sorted[lo])
}

/// The mean of `values`, summed in their order (NaN when there are none): the mean of their [`summarize`].
pub fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Where quantile `q` of `n` sorted values lies (type 7): the positions of the order statistics below and above
/// it, and the weight of the one above.
fn quantile_position(n: usize, q: f64) -> (usize, usize, f64) {
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    (lo, h.ceil() as usize, h - lo as f64)
}

/// The quantiles in a [`Summary`]: p5, p50, p95, p99.
const SUMMARY_QUANTILES: [f64; 4] = [0.05, 0.50, 0.95, 0.99];

/// Reorders `values`, which hold positions `offset..` of the data, so that each position of `positions`
/// (ascending, distinct, within them) holds the value a sort by `total_cmp` would put there; every value below a
/// position is then at most its value and every value above at least. Selects the middle position, then recurses
/// on either side with the positions there: linear time for a few positions.
fn select_order_statistics(values: &mut [f64], offset: usize, positions: &[usize]) {
    if positions.is_empty() {
        return;
    }
    let middle = positions.len() / 2;
    let at = positions[middle] - offset;
    let (below, _, above) = values.select_nth_unstable_by(at, f64::total_cmp);
    select_order_statistics(below, offset, &positions[..middle]);
    select_order_statistics(above, offset + at + 1, &positions[middle + 1..]);
}

/// Summarises `values` (reordered in place, not sorted). Sums run in a fixed order, so the result depends only on
/// the multiset of values and their order on entry.
///
/// The quantiles and the extremes are order statistics, and CVaR95 sums the worst `ceil(0.05 n)` values in
/// ascending order: rather than sorting every value, selection puts each order statistic needed where a sort
/// would put it, and only the worst 5 % are sorted, so every number is the one a full sort gives, bit for bit
/// (`total_cmp` is a total order, in which equal keys are the same bits).
pub fn summarize(values: &mut [f64]) -> Summary {
    let n = values.len();
    if n == 0 {
        return Summary { mean: f64::NAN, ..Summary::default() };
    }
    let mean = mean(values);
    let var = if n > 1 { values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64 } else { 0.0 };
    let sd = var.sqrt();
    let se = sd / (n as f64).sqrt();
    let tail = n.div_ceil(20);
    // The worst `tail` values in ascending order, at the end, as a sort leaves them.
    values.select_nth_unstable_by(n - tail, f64::total_cmp);
    values[n - tail..].sort_unstable_by(f64::total_cmp);
    let cvar95 = values[n - tail..].iter().sum::<f64>() / tail as f64;
    // Below them, the order statistics that the minimum and the quantiles read.
    let mut needed: Vec<usize> = SUMMARY_QUANTILES
        .iter()
        .flat_map(|&q| {
            let (lo, hi, _) = quantile_position(n, q);
            [lo, hi]
        })
        .chain([0])
        .filter(|&i| i < n - tail)
        .collect();
    needed.sort_unstable();
    needed.dedup();
    select_order_statistics(&mut values[..n - tail], 0, &needed);
    let [p5, p50, p95, p99] = SUMMARY_QUANTILES.map(|q| quantile_sorted(values, q));
    Summary {
        n,
        mean,
        sd,
        se,
        ci95_low: mean - Z_95 * se,
        ci95_high: mean + Z_95 * se,
        min: values[0],
        p5,
        p50,
        p95,
        p99,
        max: values[n - 1],
        cvar95,
    }
}

/// A proportion `k / n` with its Wilson score 95 % interval.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Proportion {
    /// The number of successes.
    pub k: usize,
    /// The number of trials.
    pub n: usize,
    /// `k / n` (NaN when `n` is 0).
    pub p: f64,
    /// The lower end of the Wilson score 95 % interval.
    pub ci95_low: f64,
    /// The upper end of the Wilson score 95 % interval.
    pub ci95_high: f64,
}

impl Proportion {
    /// The proportion of `k` successes in `n` trials with its Wilson score 95 % interval (NaN throughout when `n`
    /// is 0).
    pub fn new(k: usize, n: usize) -> Self {
        if n == 0 {
            return Self { k, n, p: f64::NAN, ci95_low: f64::NAN, ci95_high: f64::NAN };
        }
        let nf = n as f64;
        let p = k as f64 / nf;
        let z2 = Z_95 * Z_95;
        let denom = 1.0 + z2 / nf;
        let centre = (p + z2 / (2.0 * nf)) / denom;
        let half = Z_95 * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
        // At k = 0 and k = n the bounds are exactly 0 and 1 (the formula leaves rounding residue there).
        let low = if k == 0 { 0.0 } else { (centre - half).max(0.0) };
        let high = if k == n { 1.0 } else { (centre + half).min(1.0) };
        Self { k, n, p, ci95_low: low, ci95_high: high }
    }
}

/// Number of histogram bins for a share in [0, 1]: 1,000 of width 0.001 and one for exactly 1.
pub const SHARE_BINS: usize = 1001;

/// The bin of a share in [0, 1].
#[inline]
pub fn share_bin(x: f32) -> usize {
    if x >= 1.0 { SHARE_BINS - 1 } else { share_bin_below_one(x) }
}

/// The bin of a share below 1 (or NaN), one of the first `SHARE_BINS - 1`.
#[inline]
pub fn share_bin_below_one(x: f32) -> usize {
    if x > 0.0 { ((x * 1000.0) as usize).min(SHARE_BINS - 2) } else { 0 }
}

/// The value reported for a bin: its midpoint, or 1 for the top bin.
pub fn bin_value(b: usize) -> f64 {
    if b == SHARE_BINS - 1 { 1.0 } else { (b as f64 + 0.5) / 1000.0 }
}

/// Width of a backlog histogram bin, in weeks of normal demand.
pub const BACKLOG_BIN_WEEKS: f64 = 0.25;

/// Backlogs of this many weeks of normal demand or more share the top bin.
pub const BACKLOG_TOP_WEEKS: f64 = 100.0;

/// Number of histogram bins for a backlog in weeks of normal demand: one for exactly 0, 400 of width 0.25 weeks
/// on (0, 100), and one for 100 weeks or more.
pub const BACKLOG_BINS: usize = 402;

/// The bin of a backlog in weeks of normal demand.
#[inline]
pub fn backlog_bin(weeks: f32) -> usize {
    if weeks > 0.0 { 1 + ((f64::from(weeks) / BACKLOG_BIN_WEEKS) as usize).min(BACKLOG_BINS - 2) } else { 0 }
}

/// The value reported for a backlog bin: 0, the bin's midpoint, or 100 weeks for the top bin (a lower bound).
pub fn backlog_bin_value(b: usize) -> f64 {
    match b {
        0 => 0.0,
        b if b == BACKLOG_BINS - 1 => BACKLOG_TOP_WEEKS,
        b => (b as f64 - 0.5) * BACKLOG_BIN_WEEKS,
    }
}

/// Quantiles of a histogram, for each `q` in `qs` (ascending): the value of the bin holding the
/// `ceil(q n)`-th smallest observation (at least the first).
pub fn histogram_quantiles(counts: &[u32], qs: &[f64], out: &mut [f64]) {
    histogram_quantiles_with(counts, qs, out, bin_value);
}

/// [`histogram_quantiles`] with the value of each bin given by `value`.
pub fn histogram_quantiles_with(counts: &[u32], qs: &[f64], out: &mut [f64], value: impl Fn(usize) -> f64) {
    let n: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    let mut cum = 0u64;
    let mut b = 0usize;
    for (j, &q) in qs.iter().enumerate() {
        let rank = ((q * n as f64).ceil() as u64).max(1);
        while b < counts.len() && cum + u64::from(counts[b]) < rank {
            cum += u64::from(counts[b]);
            b += 1;
        }
        out[j] = value(b.min(counts.len() - 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backlog_bins_cover_zero_the_range_and_the_tail() {
        assert_eq!(backlog_bin(0.0), 0);
        assert_eq!(backlog_bin(0.1), 1);
        assert_eq!(backlog_bin(0.25), 2);
        assert_eq!(backlog_bin(99.9), BACKLOG_BINS - 2);
        assert_eq!(backlog_bin(100.0), BACKLOG_BINS - 1);
        assert_eq!(backlog_bin(1e9), BACKLOG_BINS - 1);
        for w in [0.01f32, 0.3, 7.77, 42.0, 99.0] {
            let v = backlog_bin_value(backlog_bin(w));
            assert!((v - f64::from(w)).abs() <= BACKLOG_BIN_WEEKS / 2.0 + 1e-9, "{w}: {v}");
        }
    }

    #[test]
    fn summary_of_known_data() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = summarize(&mut v);
        assert_eq!(s.mean, 50.5);
        assert!((s.sd - 29.011_491_975_882_016).abs() < 1e-12);
        assert!((s.p50 - 50.5).abs() < 1e-12);
        assert!((s.p95 - 95.05).abs() < 1e-9);
        // Worst 5 of 100: 96..=100.
        assert_eq!(s.cvar95, 98.0);
        assert_eq!((s.min, s.max), (1.0, 100.0));
    }

    /// Every field of a summary, the numbers as bits (a NaN equal to the same NaN).
    fn bits(s: &Summary) -> (usize, [u64; 12]) {
        let Summary { n, mean, sd, se, ci95_low, ci95_high, min, p5, p50, p95, p99, max, cvar95 } = *s;
        (n, [mean, sd, se, ci95_low, ci95_high, min, p5, p50, p95, p99, max, cvar95].map(f64::to_bits))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

        /// Selection finds the order statistics and the sorted worst 5 % that a full sort gives: every field of the
        /// summary is the same bits as the summary of the sorted values (summarised in the order they came, for the
        /// sums). Values of every magnitude, so that the order of a sum shows in its bits, mixed with a few
        /// repeated ones, so that ties and zeros of both signs are common, and in some cases NaNs of both signs and
        /// infinities; columns long enough that selection does not sort them whole.
        #[test]
        fn selection_gives_the_bits_of_a_full_sort(
            picks in proptest::collection::vec((0usize..40, -1e3f64..1e3, 0usize..5), 0..3000),
            specials: bool,
        ) {
            let repeated = [0.0, -0.0, 1.0, 2.5, f64::NAN, -f64::NAN, f64::INFINITY];
            let values: Vec<f64> = picks
                .iter()
                .map(|&(k, x, scale)| match repeated.get(k) {
                    Some(&r) if specials || r.is_finite() => r,
                    _ => x * [1e-12, 1e-6, 1.0, 1e6, 1e12][scale],
                })
                .collect();
            let by_selection = summarize(&mut values.clone());
            // The estimator as a full sort computes it.
            let n = values.len();
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let by_sorting = if n == 0 {
                summarize(&mut [])
            } else {
                let tail = n.div_ceil(20);
                let mut s = summarize(&mut values.clone());
                s.min = sorted[0];
                s.max = sorted[n - 1];
                [s.p5, s.p50, s.p95, s.p99] = SUMMARY_QUANTILES.map(|q| quantile_sorted(&sorted, q));
                s.cvar95 = sorted[n - tail..].iter().sum::<f64>() / tail as f64;
                s
            };
            proptest::prop_assert_eq!(bits(&by_selection), bits(&by_sorting));
        }
    }

    #[test]
    fn wilson_interval_behaves_at_the_edges() {
        let p = Proportion::new(0, 100);
        assert_eq!(p.ci95_low, 0.0);
        assert!(p.ci95_high > 0.03 && p.ci95_high < 0.04);
        let p = Proportion::new(50, 100);
        assert!((p.ci95_low - 0.4038).abs() < 1e-3 && (p.ci95_high - 0.5962).abs() < 1e-3);
    }

    #[test]
    fn histogram_quantiles_match_exact_ones_to_the_bin_width() {
        let mut counts = vec![0u32; SHARE_BINS];
        let xs: Vec<f32> = (0..1000).map(|i| i as f32 / 999.0).collect();
        for &x in &xs {
            counts[share_bin(x)] += 1;
        }
        let qs = [0.05, 0.5, 0.95];
        let mut out = [0.0; 3];
        histogram_quantiles(&counts, &qs, &mut out);
        let mut sorted: Vec<f64> = xs.iter().map(|&x| f64::from(x)).collect();
        sorted.sort_by(f64::total_cmp);
        for (q, got) in qs.iter().zip(out) {
            assert!((got - quantile_sorted(&sorted, *q)).abs() <= 0.0015, "q {q}: {got}");
        }
    }
}
