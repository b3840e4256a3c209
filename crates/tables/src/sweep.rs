//! The table of a sweep (`sweep.parquet`, `sweep.csv`, the Python package's `SweepResult.table`): one row per
//! point, end use (empty for the loss) and metric, with the level and its 95 % interval and the paired change from
//! the first point with its interval. The swept keys' values are columns too, named by the keys, after `point`:
//! their names are not known in advance, so each front end inserts them ([`SWEEP_KEYS_AFTER`]).

use chokepoint_analysis::sweep::SweepAnswer;

use crate::column::{Column, ColumnType, Schema, Table, Values};

/// Columns of the sweep's table, without the keys' columns.
pub const SWEEP: Schema = {
    use ColumnType::{F64, Text, U64};
    &[
        ("point", U64),
        ("end_use", Text),
        ("metric", Text),
        ("mean", F64),
        ("ci95_low", F64),
        ("ci95_high", F64),
        ("change_from_first", F64),
        ("change_ci95_low", F64),
        ("change_ci95_high", F64),
    ]
};

/// How many of [`SWEEP`]'s columns come before the keys' columns (`point`).
pub const SWEEP_KEYS_AFTER: usize = 1;

/// One row of the table.
struct Row<'a> {
    point: u64,
    end_use: &'a str,
    metric: &'static str,
    level: [f64; 3],
    change: [f64; 3],
}

/// The sweep's table (without the keys' columns): `end_uses` names the end uses in model order. A value that is
/// not finite (the interval of a single trial) is null.
pub fn sweep(end_uses: &[String], answer: &SweepAnswer) -> Table {
    let mut rows = Vec::new();
    for (i, p) in answer.points.iter().enumerate() {
        let point = i as u64;
        let (l, c) = (&p.loss, &p.loss_change);
        rows.push(Row {
            point,
            end_use: "",
            metric: "loss",
            level: [l.mean, l.ci95_low, l.ci95_high],
            change: [c.mean, c.ci95_low, c.ci95_high],
        });
        for (name, x) in end_uses.iter().zip(&p.end_uses) {
            let (s, sc) = (&x.short_or_late, &x.short_or_late_change);
            rows.push(Row {
                point,
                end_use: name,
                metric: "short_or_late",
                level: [s.p, s.ci95_low, s.ci95_high],
                change: [sc.delta, sc.ci95_low, sc.ci95_high],
            });
            for (metric, d, c) in [
                ("units_short", &x.units_short, &x.units_short_change),
                ("max_delay_weeks", &x.max_delay_weeks, &x.max_delay_change),
            ] {
                rows.push(Row {
                    point,
                    end_use: name,
                    metric,
                    level: [d.mean, d.ci95_low, d.ci95_high],
                    change: [c.mean, c.ci95_low, c.ci95_high],
                });
            }
        }
    }
    let numbers = |f: &dyn Fn(&Row) -> f64| {
        Values::OptionalF64(rows.iter().map(|r| Some(f(r)).filter(|x| x.is_finite())).collect())
    };
    let columns = vec![
        Column::new("point", Values::U64(rows.iter().map(|r| r.point).collect())),
        Column::new("end_use", Values::Text(rows.iter().map(|r| r.end_use.to_owned()).collect())),
        Column::new("metric", Values::Text(rows.iter().map(|r| r.metric.to_owned()).collect())),
        Column::new("mean", numbers(&|r| r.level[0])),
        Column::new("ci95_low", numbers(&|r| r.level[1])),
        Column::new("ci95_high", numbers(&|r| r.level[2])),
        Column::new("change_from_first", numbers(&|r| r.change[0])),
        Column::new("change_ci95_low", numbers(&|r| r.change[1])),
        Column::new("change_ci95_high", numbers(&|r| r.change[2])),
    ];
    Table::new(rows.len(), columns)
}

/// The value of key `k` on every row of `table` (a table of [`sweep`]), from its `point` column.
pub fn key_values(answer: &SweepAnswer, table: &Table, k: usize) -> Vec<f64> {
    match &table.columns()[0].values {
        Values::U64(points) => points.iter().map(|&p| answer.points[p as usize].values[k]).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use chokepoint_analysis::paired::ProportionChange;
    use chokepoint_analysis::sweep::{EndUsePoint, Point};
    use chokepoint_engine::stats::{Proportion, summarize};

    use super::*;

    fn point(values: Vec<f64>, loss: &mut [f64]) -> Point {
        let short = [true, false];
        Point {
            values,
            loss: summarize(&mut loss.to_vec()),
            loss_change: summarize(&mut [0.0, 0.0]),
            end_uses: vec![EndUsePoint {
                short_or_late: Proportion::new(1, 2),
                units_short: summarize(&mut [3.0, 0.0]),
                max_delay_weeks: summarize(&mut [0.0, 0.0]),
                short_or_late_change: ProportionChange::new(&short, &short),
                units_short_change: summarize(&mut [0.0, 0.0]),
                max_delay_change: summarize(&mut [0.0, 0.0]),
            }],
        }
    }

    #[test]
    fn a_row_per_point_end_use_and_metric_with_the_keys_from_the_point() {
        let answer =
            SweepAnswer { points: vec![point(vec![8.0], &mut [1.0, 3.0]), point(vec![52.0], &mut [5.0, 7.0])] };
        let table = sweep(&["motors".to_owned()], &answer);
        assert!(table.has_schema(SWEEP));
        assert_eq!(table.rows(), 2 * (1 + 3));
        let Values::Text(metrics) = &table.columns()[2].values else { panic!("metric is text") };
        assert_eq!(metrics[..4], ["loss", "short_or_late", "units_short", "max_delay_weeks"]);
        let Values::OptionalF64(mean) = &table.columns()[3].values else { panic!("mean is a number") };
        assert_eq!((mean[0], mean[4], mean[1]), (Some(2.0), Some(6.0), Some(0.5)));
        assert_eq!(key_values(&answer, &table, 0), [8.0, 8.0, 8.0, 8.0, 52.0, 52.0, 52.0, 52.0]);
    }
}
