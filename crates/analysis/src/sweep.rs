//! Parameter sweeps: the scenario run at every point of a grid (or a zipped list) of values of some of its keys,
//! each point on common random numbers (the same seed and trials), so that the change from one point to the next
//! is the change the keys make, not noise.
//!
//! The caller builds each point's model (the scenario with the point's values set, in the binary by `--set`); this
//! module makes the points, runs them, and summarises each: the loss over every end use, and per end use the
//! probability of being short or late (Wilson interval), the units short and the longest delay of a unit (mean with
//! its normal-theory interval), with the paired change from the first point (the differences of trial-by-trial
//! values, whose interval is far tighter than the levels' when the points share their draws).

use chokepoint_engine::Model;
use chokepoint_engine::stats::{Proportion, Summary, summarize};

use crate::AnalysisError;
use crate::loss::LossWeights;
use crate::outcome::VariantOutcome;
use crate::paired::ProportionChange;
use crate::variants::VariantRunner;

/// The most points a sweep runs: each is a full run, so more is a mistake in the values given.
pub const MAX_POINTS: usize = 10_000;

/// The points of a sweep over `axes` (each a key's values): every combination, the first axis varying slowest; or,
/// with `zip`, the i-th value of every axis together (all axes must then have as many values).
pub fn points(axes: &[Vec<f64>], zip: bool) -> Result<Vec<Vec<f64>>, AnalysisError> {
    if axes.is_empty() || axes.iter().any(Vec::is_empty) {
        return Err(AnalysisError::Question(
            "a sweep needs at least one `--vary KEY=V1,V2,...` (Python: `vary={KEY: [V1, V2]}`) with values".into(),
        ));
    }
    if zip {
        let n = axes[0].len();
        if let Some(other) = axes.iter().find(|a| a.len() != n) {
            return Err(AnalysisError::Question(format!(
                "`--zip` pairs the i-th values of every `--vary`, but one has {n} values and another {}: give each \
                 as many values, or drop `--zip` for every combination",
                other.len()
            )));
        }
        if n > MAX_POINTS {
            return Err(AnalysisError::Question(format!(
                "`--zip` pairs {n} values of each `--vary` into {n} points, more than the {MAX_POINTS} a sweep runs: \
                 give fewer values"
            )));
        }
        return Ok((0..n).map(|i| axes.iter().map(|a| a[i]).collect()).collect());
    }
    let count = axes.iter().try_fold(1usize, |n, a| n.checked_mul(a.len())).unwrap_or(usize::MAX);
    if count > MAX_POINTS {
        return Err(AnalysisError::Question(format!(
            "the grid has {count} points, more than the {MAX_POINTS} a sweep runs: give fewer values, or `--zip` \
             lists of equal length"
        )));
    }
    let mut out: Vec<Vec<f64>> = vec![Vec::new()];
    for axis in axes {
        out =
            out.into_iter().flat_map(|prefix| axis.iter().map(move |v| [prefix.as_slice(), &[*v]].concat())).collect();
    }
    Ok(out)
}

/// One end use at one point.
#[derive(Debug, Clone, PartialEq)]
pub struct EndUsePoint {
    /// P(short or late at all over the horizon).
    pub short_or_late: Proportion,
    /// Units not built within the horizon, across trials.
    pub units_short: Summary,
    /// The longest delay of a unit, weeks (0 for end uses that lose unmet demand).
    pub max_delay_weeks: Summary,
    /// The change of P(short or late) from the first point, trial by trial.
    pub short_or_late_change: ProportionChange,
    /// The change of units short from the first point (this point minus the first), trial by trial.
    pub units_short_change: Summary,
    /// The change of the longest delay from the first point, weeks, trial by trial.
    pub max_delay_change: Summary,
}

/// One point of a sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The value of each key, in the order of the keys.
    pub values: Vec<f64>,
    /// The loss over every end use.
    pub loss: Summary,
    /// The change of the loss from the first point (this point minus the first), trial by trial.
    pub loss_change: Summary,
    /// Per end use, in model order.
    pub end_uses: Vec<EndUsePoint>,
}

/// Every point, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepAnswer {
    /// The points, in the order of the grid (or of the zipped values).
    pub points: Vec<Point>,
}

/// Per-trial differences `to - from`, summarised.
pub(crate) fn change(from: &[f64], to: &[f64]) -> Summary {
    let mut d: Vec<f64> = from.iter().zip(to).map(|(a, b)| b - a).collect();
    summarize(&mut d)
}

/// Runs every point: `build` makes the model of a point's values; `runner` runs it on the common seed.
pub fn sweep(
    points: &[Vec<f64>],
    build: &mut dyn FnMut(&[f64]) -> Result<Model, AnalysisError>,
    weights: &LossWeights,
    runner: &mut VariantRunner<'_>,
) -> Result<SweepAnswer, AnalysisError> {
    let mut first: Option<VariantOutcome> = None;
    let mut out = Vec::with_capacity(points.len());
    for values in points {
        let model = build(values)?;
        let results = runner.run(&model)?;
        let outcome = VariantOutcome::of(&results, weights);
        drop(results);
        let reference = first.get_or_insert_with(|| outcome.clone());
        let end_uses = outcome
            .end_uses
            .iter()
            .zip(&reference.end_uses)
            .map(|(x, r)| EndUsePoint {
                short_or_late: Proportion::new(x.short_or_late.iter().filter(|&&b| b).count(), x.short_or_late.len()),
                units_short: summarize(&mut x.units_short.clone()),
                max_delay_weeks: summarize(&mut x.max_delay_weeks.clone()),
                short_or_late_change: ProportionChange::new(&r.short_or_late, &x.short_or_late),
                units_short_change: change(&r.units_short, &x.units_short),
                max_delay_change: change(&r.max_delay_weeks, &x.max_delay_weeks),
            })
            .collect();
        out.push(Point {
            values: values.clone(),
            loss: summarize(&mut outcome.loss.clone()),
            loss_change: change(&reference.loss, &outcome.loss),
            end_uses,
        });
    }
    Ok(SweepAnswer { points: out })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_vary_the_first_key_slowest_and_zips_pair_values() {
        let axes = vec![vec![1.0, 2.0], vec![10.0, 20.0, 30.0]];
        let grid = points(&axes, false).expect("a grid");
        assert_eq!(grid.len(), 6);
        assert_eq!(
            (grid[0].clone(), grid[1].clone(), grid[3].clone()),
            (vec![1.0, 10.0], vec![1.0, 20.0], vec![2.0, 10.0])
        );
        assert!(points(&axes, true).is_err(), "unequal lengths cannot be zipped");
        let zipped = points(&[vec![1.0, 2.0], vec![5.0, 6.0]], true).expect("a zip");
        assert_eq!(zipped, vec![vec![1.0, 5.0], vec![2.0, 6.0]]);
        assert!(points(&[], false).is_err());
    }

    /// A zip was not held to the points of a grid: a `--vary` of a million values made a million runs.
    #[test]
    fn zips_are_held_to_the_points_of_a_grid() {
        let values = |n: usize| (0..n).map(|i| i as f64).collect::<Vec<f64>>();
        assert_eq!(points(&[values(MAX_POINTS)], true).expect("the most points").len(), MAX_POINTS);
        let refused = points(&[values(MAX_POINTS + 1), values(MAX_POINTS + 1)], true).expect_err("too many");
        assert!(refused.to_string().contains("10001 points, more than the 10000"), "{refused}");
    }
}
