//! The table of traced flows (`flows.parquet` and `flows.csv` of `chokepoint trace`): one row per series and
//! period, the series' name, node and material, the period's start in weeks, and the mean and percentiles across
//! trials.

use chokepoint_analysis::flows::Flows;

use crate::column::{Column, ColumnType, Schema, Table, Values};

/// Columns of the traced flows' table.
pub const FLOWS: Schema = {
    use ColumnType::{F64, Text};
    &[
        ("series", Text),
        ("node", Text),
        ("material", Text),
        ("week", F64),
        ("mean", F64),
        ("p5", F64),
        ("p50", F64),
        ("p95", F64),
    ]
};

/// The traced flows' table: every period of every series, in the order of the series.
pub fn flows(flows: &Flows) -> Table {
    let rows = flows.stats.iter().map(Vec::len).sum::<usize>();
    let mut series = Vec::with_capacity(rows);
    let mut node = Vec::with_capacity(rows);
    let mut material = Vec::with_capacity(rows);
    let mut week = Vec::with_capacity(rows);
    let mut columns: [Vec<f64>; 4] = std::array::from_fn(|_| Vec::with_capacity(rows));
    for (s, stats) in flows.series.iter().zip(&flows.stats) {
        for (t, w) in stats.iter().enumerate() {
            series.push(s.series.to_owned());
            node.push(s.node.clone());
            material.push(s.material.clone());
            week.push(t as f64 * flows.period_weeks);
            for (c, x) in columns.iter_mut().zip([w.mean, w.p5, w.p50, w.p95]) {
                c.push(x);
            }
        }
    }
    let [mean, p5, p50, p95] = columns;
    Table::new(
        rows,
        vec![
            Column::new("series", Values::Text(series)),
            Column::new("node", Values::Text(node)),
            Column::new("material", Values::Text(material)),
            Column::new("week", Values::F64(week)),
            Column::new("mean", Values::F64(mean)),
            Column::new("p5", Values::F64(p5)),
            Column::new("p50", Values::F64(p50)),
            Column::new("p95", Values::F64(p95)),
        ],
    )
}

#[cfg(test)]
mod tests {
    use chokepoint_analysis::flows::{Measure, Series, WeekStats};

    use super::*;

    #[test]
    fn one_row_per_series_and_period_in_series_order() {
        let series = |name: &'static str, node: &str, measure| Series {
            series: name,
            node: node.to_owned(),
            material: String::new(),
            measure,
            links: Vec::new(),
        };
        let week = |mean: f64| WeekStats { mean, p5: mean - 1.0, p50: mean, p95: mean + 1.0 };
        let traced = Flows {
            series: vec![
                series("throughput", "mine", Measure::Throughput { stage: 0 }),
                series("built", "motors", Measure::Built { end_use: 0 }),
            ],
            period_weeks: 2.0,
            stats: vec![vec![week(10.0), week(11.0)], vec![week(5.0), week(6.0)]],
        };
        let table = flows(&traced);
        assert!(table.has_schema(FLOWS));
        assert_eq!(table.rows(), 4);
        let Values::Text(names) = &table.columns()[1].values else { panic!("node is text") };
        assert_eq!(names, &["mine", "mine", "motors", "motors"]);
        let Values::F64(weeks) = &table.columns()[3].values else { panic!("week is f64") };
        assert_eq!(weeks, &[0.0, 2.0, 0.0, 2.0]);
        let Values::F64(p95) = &table.columns()[7].values else { panic!("p95 is f64") };
        assert_eq!(p95, &[11.0, 12.0, 6.0, 7.0]);
    }
}
