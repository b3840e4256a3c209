//! The tables of a run of the small chain: each has its schema, the per-trial tables split into batches give the
//! rows of the whole, and the columns carry the run's numbers.

use chokepoint_analysis::loss::TrialLosses;
use chokepoint_engine::report::{RunSummary, summarize_run};
use chokepoint_engine::{RunConfig, RunResults, run};
use chokepoint_scenario::Scenario;
use chokepoint_tables::{BACKLOG_BANDS, BANDS, STAGE_LOSSES, STOCKPILES, SUMMARY, TRIALS, Table, Values};

fn small_chain() -> (Scenario, RunResults, RunSummary, TrialLosses) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/valid/small_chain.toml");
    let source = std::fs::read_to_string(path).expect("the fixture exists");
    let scenario = chokepoint_scenario::parse("small_chain.toml", &source).expect("it parses");
    let results =
        run(&scenario.model, &RunConfig { trials: 200, seed: 7, threads: 2, bands: true, first_trial: 0 }, &|_| {})
            .expect("the run starts");
    let summary = summarize_run(&scenario.model, &results);
    let losses = TrialLosses::of(&scenario, &results);
    (scenario, results, summary, losses)
}

fn f64s<'t>(table: &'t Table, name: &str) -> &'t [f64] {
    match &table.columns().iter().find(|c| c.name == name).expect("the column exists").values {
        Values::F64(v) => v,
        other => panic!("`{name}` is {other:?}"),
    }
}

fn optional<'t>(table: &'t Table, name: &str) -> &'t [Option<f64>] {
    match &table.columns().iter().find(|c| c.name == name).expect("the column exists").values {
        Values::OptionalF64(v) => v,
        other => panic!("`{name}` is {other:?}"),
    }
}

#[test]
fn every_table_has_its_schema() {
    let (scenario, results, summary, losses) = small_chain();
    let weeks = scenario.model.spec().period_weeks;
    for e in 0..results.n_end_uses {
        assert!(chokepoint_tables::trials_of_run(&scenario, &results, &losses.end_uses, e, 0..200).has_schema(TRIALS));
    }
    assert!(chokepoint_tables::stage_losses_of_run(&scenario.model, &results, 0, 0..200).has_schema(STAGE_LOSSES));
    assert!(chokepoint_tables::bands(&summary, weeks).unwrap().has_schema(BANDS));
    assert!(chokepoint_tables::backlog_bands(&summary, weeks).unwrap().has_schema(BACKLOG_BANDS));
    assert!(chokepoint_tables::summary(&scenario, &summary, &losses.end_uses, &losses.trials).has_schema(SUMMARY));
}

#[test]
fn batches_of_trials_are_slices_of_the_whole() {
    let (scenario, results, _, losses) = small_chain();
    for e in 0..results.n_end_uses {
        let whole = chokepoint_tables::trials_of_run(&scenario, &results, &losses.end_uses, e, 0..200);
        let part = chokepoint_tables::trials_of_run(&scenario, &results, &losses.end_uses, e, 64..130);
        assert_eq!(part.rows(), 66);
        for (w, p) in whole.columns().iter().zip(part.columns()) {
            match (&w.values, &p.values) {
                (Values::U64(w), Values::U64(p)) => assert_eq!(&w[64..130], p.as_slice()),
                (Values::F64(w), Values::F64(p)) => assert_eq!(&w[64..130], p.as_slice()),
                (Values::OptionalF64(w), Values::OptionalF64(p)) => assert_eq!(&w[64..130], p.as_slice()),
                (Values::Bool(w), Values::Bool(p)) => assert_eq!(&w[64..130], p.as_slice()),
                (Values::Repeated(w), Values::Repeated(p)) => assert_eq!(w, p),
                (a, b) => panic!("`{}` changed type: {a:?} / {b:?}", w.name),
            }
        }
    }
}

#[test]
fn trial_rows_carry_the_outcomes_in_weeks_and_null_delays_for_lost_demand() {
    let (scenario, results, _, losses) = small_chain();
    let spec = scenario.model.spec();
    let weeks = spec.period_weeks;
    for (e, eu) in spec.end_uses.iter().enumerate() {
        let t = chokepoint_tables::trials_of_run(&scenario, &results, &losses.end_uses, e, 0..200);
        let outcomes: Vec<_> = results.end_use(e).outcomes().collect();
        let short: Vec<f64> = outcomes.iter().map(|o| o.units_short).collect();
        assert_eq!(f64s(&t, "units_short"), short.as_slice());
        let short_weeks: Vec<f64> = outcomes.iter().map(|o| f64::from(o.short_periods) * weeks).collect();
        assert_eq!(f64s(&t, "short_weeks"), short_weeks.as_slice());
        assert_eq!(f64s(&t, "loss"), losses.end_uses[e].as_slice());
        let backlog = eu.unmet == chokepoint_engine::Unmet::Backlog;
        assert!(optional(&t, "max_delay_weeks").iter().all(|d| d.is_some() == backlog), "{}", eu.name);
    }
}

#[test]
fn the_summary_has_a_row_per_metric_with_statistics_in_weeks() {
    let (scenario, _, summary, losses) = small_chain();
    let weeks = scenario.model.spec().period_weeks;
    let t = chokepoint_tables::summary(&scenario, &summary, &losses.end_uses, &losses.trials);
    let Values::Text(metric) = &t.columns()[2].values else { panic!("metric is text") };
    let Values::Text(name) = &t.columns()[1].values else { panic!("name is text") };
    let mean = optional(&t, "mean");
    let first = &summary.end_uses[0];
    let row = (0..t.rows()).find(|&i| name[i] == first.name && metric[i] == "short_weeks").expect("a row");
    assert_eq!(mean[row], Some(first.short_periods.mean * weeks));
    let run = (0..t.rows()).find(|&i| metric[i] == "loss" && name[i] == scenario.name).expect("the run's row");
    let mut all = losses.trials.clone();
    assert_eq!(mean[run], Some(chokepoint_engine::stats::summarize(&mut all).mean));
    // Backlogged end uses have their delay rows; lost demand has none.
    for s in &summary.end_uses {
        let delays = (0..t.rows()).filter(|&i| name[i] == s.name && metric[i] == "max_delay_weeks").count();
        assert_eq!(delays, usize::from(s.unmet == chokepoint_engine::Unmet::Backlog), "{}", s.name);
    }
}

#[test]
fn stockpile_rows_carry_each_trials_lowest_level_and_release() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/valid/");
    let source = std::fs::read_to_string(format!("{dir}small_chain_mitigations.toml")).expect("the fixture exists");
    let mut resolve = |_: &str, path: &str| -> Result<(String, Vec<u8>), String> {
        std::fs::read(format!("{dir}{path}")).map(|b| (path.to_owned(), b)).map_err(|e| e.to_string())
    };
    let scenario =
        chokepoint_scenario::parse_with("small_chain_mitigations.toml", &source, &mut resolve).expect("it parses");
    let model = scenario.variant(&["dy_reserve"]).expect("the reserve applies");
    let config = RunConfig { trials: 50, seed: 3, threads: 1, bands: false, first_trial: 0 };
    let results = run(&model, &config, &|_| {}).expect("the run starts");
    assert_eq!(model.spec().mitigations.stockpiles.len(), 1);
    let min: Vec<f64> = results.stockpile_min(0).collect();
    let released: Vec<f64> = results.stockpile_released(0).collect();
    assert!(released.iter().any(|&r| r > 0.0), "the reserve releases in some trial");
    let t = chokepoint_tables::stockpiles(&model, 0, 100, &min, &released);
    assert!(t.has_schema(STOCKPILES));
    assert_eq!(f64s(&t, "min_level"), min.as_slice());
    assert_eq!(f64s(&t, "released"), released.as_slice());
    let Values::U64(trial) = &t.columns()[0].values else { panic!("trial is u64") };
    assert_eq!((trial[0], trial[49]), (100, 149), "global trial indices from the first trial given");
}
