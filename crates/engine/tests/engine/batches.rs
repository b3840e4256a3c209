//! Runs in batches and shards: what `run_in_batches` hands over is, batch after batch, exactly the trials of one
//! run, never more than a batch at a time; shards of a run, concatenated in trial order with their band counts
//! summed, summarise to the very same bits as the run itself.

use chokepoint_engine::report::{ResultsColumns, summarize_run, summarize_trials};
use chokepoint_engine::{BandCounts, EndUseMetrics, RunConfig, RunError, RunResults, run, run_in_batches};

use crate::support::{model, rich_chain};

fn config(first_trial: u64, trials: u64) -> RunConfig {
    RunConfig { trials, seed: 17, threads: 2, bands: true, first_trial }
}

/// The per-trial results of several runs, in the order given, as one run's results (band counts summed).
fn concatenate(parts: &[RunResults], bands: &BandCounts) -> RunResults {
    let mut all = parts[0].clone();
    all.end_uses = EndUseMetrics::join(parts.iter().map(|p| &p.end_uses));
    for part in &parts[1..] {
        all.trials += part.trials;
        all.stage_throughput_lost.extend_from_slice(&part.stage_throughput_lost);
        all.stage_throughput_wanted.extend_from_slice(&part.stage_throughput_wanted);
        all.stockpile_min.extend_from_slice(&part.stockpile_min);
        all.stockpile_released.extend_from_slice(&part.stockpile_released);
    }
    all.bands.clone_from(&bands.bands);
    all.backlog_bands.clone_from(&bands.backlog_bands);
    all
}

/// Runs `trials` trials from `first` in batches of `size`, returning each batch's first trial and results.
fn batched(first: u64, trials: u64, size: u64) -> (Vec<(u64, RunResults)>, BandCounts) {
    let m = model(rich_chain(104));
    let mut seen = Vec::new();
    let counts = run_in_batches(&m, &config(first, trials), size, &|_| {}, |start, results: &RunResults| {
        seen.push((start, results.clone()));
        Ok::<(), RunError>(())
    })
    .unwrap();
    (seen, counts)
}

#[test]
fn batches_hand_over_one_run_in_order_and_hold_one_batch_at_most() {
    let m = model(rich_chain(104));
    let whole = run(&m, &config(0, 500), &|_| {}).unwrap();
    let (seen, counts) = batched(0, 500, 97);
    let starts: Vec<u64> = seen.iter().map(|(s, _)| *s).collect();
    assert_eq!(starts, [0, 97, 194, 291, 388, 485]);
    // The structural bound on memory: no batch holds more than the batch size.
    assert!(
        seen.iter().all(|(_, r)| r.trials <= 97 && r.end_uses.trials() == r.trials && r.end_uses.n_end_uses() == 2)
    );
    let parts: Vec<RunResults> = seen.into_iter().map(|(_, r)| r).collect();
    let joined = concatenate(&parts, &counts);
    assert_eq!(joined.end_uses, whole.end_uses);
    assert_eq!(joined.stage_throughput_lost, whole.stage_throughput_lost);
    assert_eq!(joined.stage_throughput_wanted, whole.stage_throughput_wanted);
    assert_eq!(counts, BandCounts::of(&whole), "band counts summed over batches are the run's");
    assert_eq!(summarize_run(&m, &joined), summarize_run(&m, &whole));
}

#[test]
fn a_shard_is_its_range_of_the_whole_run_cut_at_the_same_trials() {
    let m = model(rich_chain(104));
    let whole = run(&m, &config(0, 600), &|_| {}).unwrap();
    let (seen, _) = batched(250, 300, 100);
    // Aligned to multiples of the batch size in the global index, as the whole run's batches are.
    assert_eq!(
        seen.iter().map(|(s, r)| (*s, r.trials)).collect::<Vec<_>>(),
        [(250, 50), (300, 100), (400, 100), (500, 50)]
    );
    let parts: Vec<RunResults> = seen.into_iter().map(|(_, r)| r).collect();
    let shard = concatenate(&parts, &BandCounts::zero(&m, true));
    for e in 0..2 {
        assert_eq!(shard.end_use(e), whole.end_use(e).range(250..550));
    }
}

#[test]
fn shards_merged_in_trial_order_summarise_to_the_bits_of_one_run() {
    let m = model(rich_chain(156));
    let whole = run(&m, &config(0, 700), &|_| {}).unwrap();
    // Uneven shards, one of a single trial, run in any order.
    let ranges = [(300, 399), (0, 1), (1, 299), (699, 1)];
    let mut shards: Vec<(u64, RunResults)> =
        ranges.iter().map(|&(first, n)| (first, run(&m, &config(first, n), &|_| {}).unwrap())).collect();
    let mut counts = BandCounts::zero(&m, true);
    for (_, s) in &shards {
        counts.add(&BandCounts::of(s));
    }
    shards.sort_by_key(|(first, _)| *first);
    let parts: Vec<RunResults> = shards.into_iter().map(|(_, r)| r).collect();
    let merged = concatenate(&parts, &counts);
    let from_columns = summarize_trials(&m, merged.trials, &mut ResultsColumns(&merged), &counts).unwrap();
    let expected = summarize_run(&m, &whole);
    assert_eq!(from_columns, expected);
    // Not vacuous: trials are short and late, and the bands are kept.
    assert!(expected.end_uses.iter().all(|e| e.p_any_short.k > 0));
    assert!(expected.end_uses[1].max_delay_periods_when_late.is_some() && !expected.backlog_bands.is_empty());
}

#[test]
fn a_range_past_the_last_trial_index_is_refused() {
    let m = model(rich_chain(52));
    let err = run(&m, &config(u64::MAX - 1, 5), &|_| {}).unwrap_err();
    assert!(matches!(err, RunError::TrialIndexOverflow { .. }), "{err}");
    let err = run_in_batches(&m, &config(u64::MAX, 1), 10, &|_| {}, |_, _| Ok::<(), RunError>(())).unwrap_err();
    assert!(matches!(err, RunError::TrialIndexOverflow { .. }), "{err}");
}

/// A batch is handed over while the next one runs: an error of the callback stops the run once that batch is done,
/// with no later batch handed over, and a panic of the callback reaches the caller as a panic.
#[test]
fn a_failing_or_panicking_callback_stops_the_run_in_trial_order() {
    let m = model(rich_chain(52));
    let mut seen = Vec::new();
    let err = run_in_batches(&m, &config(0, 500), 97, &|_| {}, |start, _| {
        seen.push(start);
        if start == 97 { Err(RunError::Cancelled { done: start, trials: 500 }) } else { Ok(()) }
    })
    .unwrap_err();
    assert!(matches!(err, RunError::Cancelled { done: 97, .. }), "{err}");
    assert_eq!(seen, [0, 97]);

    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_in_batches(&m, &config(0, 300), 97, &|_| {}, |start, _| -> Result<(), RunError> {
            assert!(start < 194, "the callback gave up at trial {start}");
            Ok(())
        })
    }))
    .unwrap_err();
    let message = panicked.downcast_ref::<String>().map(String::as_str).unwrap_or_default();
    assert_eq!(message, "the callback gave up at trial 194");
}
