//! Summaries of a run read back from its per-trial files, one column of one end use (stage, stockpile) at a time:
//! the engine's `summarize_trials` over [`RunFiles`], and the loss measure's statistics.
//!
//! Memory is one or two columns of the run (8 bytes a trial each: 80 MB at ten million trials) and one batch's
//! slice being decoded, whatever the number of end uses and stages. The values are those the files hold, which
//! are those of the engine: durations stored in weeks are turned back into periods by dividing by the period
//! length (whole periods rounded, so exactly; a fractional mean delay is exact for weekly scenarios, the only
//! ones shipped, and within a rounding of the last bit otherwise). A run and the merge of its shards read the
//! same values in the same order, so their summaries are the same bits.

use chokepoint_engine::Model;
use chokepoint_engine::report::{EndUseColumn, TrialColumns};
use chokepoint_engine::stats::{Summary, summarize};

use crate::files::trials::{TrialFile, TrialFileReader, extend_f64s};

/// The per-trial files of one run, opened for reading.
#[derive(Debug, Clone)]
pub struct RunFiles {
    pub trials: TrialFileReader,
    pub stage_losses: TrialFileReader,
    pub stockpiles: TrialFileReader,
    period_weeks: f64,
    end_uses: usize,
}

/// The loss measure's statistics of a run: per end use, and per trial (every end use's loss, summed in scenario
/// order).
#[derive(Debug, Clone, PartialEq)]
pub struct LossSummaries {
    pub end_uses: Vec<Summary>,
    pub per_trial: Summary,
}

/// How a column of `trials.parquet` becomes the engine's values.
#[derive(Debug, Clone, Copy)]
enum Stored {
    /// As it is.
    AsIs,
    /// A whole number of periods stored in weeks.
    WholePeriods,
    /// A number of periods stored in weeks.
    Periods,
}

impl RunFiles {
    /// Opens the per-trial files of `model` at `path_of(file)` (the folder of a run, or a staging folder).
    pub fn open(
        model: &Model,
        path_of: impl Fn(TrialFile) -> anyhow::Result<std::path::PathBuf>,
    ) -> anyhow::Result<Self> {
        let open = |file: TrialFile| -> anyhow::Result<TrialFileReader> {
            TrialFileReader::open(&path_of(file)?, file.entities(model))
        };
        Ok(Self {
            trials: open(TrialFile::Trials)?,
            stage_losses: open(TrialFile::StageLosses)?,
            stockpiles: open(TrialFile::Stockpiles)?,
            period_weeks: model.spec().period_weeks,
            end_uses: model.spec().end_uses.len(),
        })
    }

    /// Trials the files hold.
    pub fn trials(&self) -> usize {
        self.trials.layout().batches.trials as usize
    }

    /// The statistics of each end use's loss and of each trial's loss.
    pub fn loss_summaries(&self) -> anyhow::Result<LossSummaries> {
        let mut end_uses = Vec::with_capacity(self.end_uses);
        for e in 0..self.end_uses {
            let mut losses = self.trials.entity_f64s(e, "loss", f64::NAN)?;
            end_uses.push(summarize(&mut losses));
        }
        let mut per_trial = Vec::with_capacity(self.trials());
        let layout = *self.trials.layout();
        for (batch, _) in layout.batch_rows() {
            let mut columns = Vec::with_capacity(self.end_uses);
            for e in 0..self.end_uses {
                let mut column = Vec::with_capacity((batch.end - batch.start) as usize);
                for slice in layout.entity_slices(e, batch.clone()) {
                    let part = self.trials.read(slice, Some(&["loss"]))?;
                    extend_f64s(&mut column, part.column("loss")?.f64()?, f64::NAN);
                }
                columns.push(column);
            }
            for t in 0..(batch.end - batch.start) as usize {
                per_trial.push(columns.iter().map(|c| c[t]).sum::<f64>());
            }
        }
        Ok(LossSummaries { end_uses, per_trial: summarize(&mut per_trial) })
    }
}

impl TrialColumns for RunFiles {
    type Error = anyhow::Error;

    fn end_use(&mut self, e: usize, column: EndUseColumn) -> anyhow::Result<Vec<f64>> {
        use EndUseColumn as C;
        // Columns without a value read NaN; the delay columns of lost demand (null) are the engine's zeros.
        let (name, null_as, stored) = match column {
            C::Demand => ("demand", f64::NAN, Stored::AsIs),
            C::UnitsShort => ("units_short", f64::NAN, Stored::AsIs),
            C::ShareMet => ("share_met", f64::NAN, Stored::AsIs),
            C::ShortPeriods => ("short_weeks", f64::NAN, Stored::WholePeriods),
            C::LongestShortRun => ("longest_short_run_weeks", f64::NAN, Stored::WholePeriods),
            C::FirstShortPeriod => ("first_short_week", f64::NAN, Stored::WholePeriods),
            C::RecoveryPeriod => ("recovery_week", f64::NAN, Stored::WholePeriods),
            C::UnitsLost => ("units_lost", f64::NAN, Stored::AsIs),
            C::UnitsLate => ("units_late", f64::NAN, Stored::AsIs),
            C::UnitsOwedAtEnd => ("units_owed_at_end", f64::NAN, Stored::AsIs),
            C::UnitsShortOrLate => ("units_short_or_late", f64::NAN, Stored::AsIs),
            C::MeanDelayPeriods => ("mean_delay_weeks", f64::NAN, Stored::Periods),
            C::MaxDelayPeriods => ("max_delay_weeks", 0.0, Stored::WholePeriods),
            C::PeakBacklog => ("peak_backlog_units", 0.0, Stored::AsIs),
            C::PeakBacklogWeeks => ("peak_backlog_weeks", 0.0, Stored::AsIs),
            C::BacklogUnitPeriods => ("backlog_unit_weeks", 0.0, Stored::Periods),
        };
        let mut values = self.trials.entity_f64s(e, name, null_as)?;
        let weeks = self.period_weeks;
        match stored {
            Stored::AsIs => {}
            Stored::WholePeriods => values.iter_mut().for_each(|x| *x = (*x / weeks).round()),
            Stored::Periods => values.iter_mut().for_each(|x| *x /= weeks),
        }
        Ok(values)
    }

    fn stage_lost(&mut self, s: usize) -> anyhow::Result<Vec<f64>> {
        self.stage_losses.entity_f64s(s, "throughput_lost", f64::NAN)
    }

    fn stage_wanted(&mut self, s: usize) -> anyhow::Result<Vec<f64>> {
        self.stage_losses.entity_f64s(s, "throughput_wanted", f64::NAN)
    }

    fn stockpile_min(&mut self, k: usize) -> anyhow::Result<Vec<f64>> {
        self.stockpiles.entity_f64s(k, "min_level", f64::NAN)
    }

    fn stockpile_released(&mut self, k: usize) -> anyhow::Result<Vec<f64>> {
        self.stockpiles.entity_f64s(k, "released", f64::NAN)
    }
}

#[cfg(test)]
mod tests {
    use std::io::BufWriter;
    use std::path::Path;

    use chokepoint_analysis::loss::LossWeights;
    use chokepoint_engine::report::{summarize_run, summarize_trials};
    use chokepoint_engine::{RunConfig, RunError, run, run_in_batches};

    use super::*;
    use crate::files::tables::Provenance;
    use crate::files::trials::TrialSink;
    use crate::scenario_source::{self, ScenarioSource};

    /// The summaries from files written in batches (of 50 trials) and read back one column at a time are the very
    /// bits of those computed from the engine's results in memory, for lost and backlogged end uses, stages and a
    /// stockpile: reading back changes nothing, so the scenario goldens hold and a merge equals one run.
    #[test]
    fn summaries_read_back_from_files_are_the_bits_of_those_in_memory() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/valid/small_chain_mitigations.toml");
        let mut loaded = scenario_source::load(&ScenarioSource::File(path)).unwrap();
        let named = [Ok(crate::options::OptionInput::Name("dy_reserve".to_owned()))];
        crate::files::run::apply_mitigations(&mut loaded, named).unwrap();
        let model = &loaded.scenario.model;
        let config = RunConfig { trials: 203, seed: 9, threads: 2, bands: true, first_trial: 0 };
        let results = run(model, &config, &|_| {}).unwrap();
        let expected = summarize_run(model, &results);
        assert!(expected.end_uses.iter().all(|e| e.p_any_short.k > 0) && expected.stockpiles.len() == 1);

        let dir = tempfile::tempdir().unwrap();
        let provenance = Provenance {
            scenario: "small".into(),
            scenario_sha256: loaded.sha256.clone(),
            seed: 9,
            trials: 203,
            trials_from: 0,
            trials_to: 203,
            batch_trials: 50,
        };
        let [mut a, mut b, mut c] =
            TrialFile::ALL.map(|f| BufWriter::new(std::fs::File::create(dir.path().join(f.name())).unwrap()));
        let mut sink = TrialSink::new([&mut a, &mut b, &mut c], &provenance).unwrap();
        let bands = run_in_batches(model, &config, 50, &|_| {}, |first, r| {
            sink.write_results(&loaded.scenario, first, r)
                .map_err(|e| RunError::ThreadPool { threads: 0, message: e.to_string() })
        })
        .unwrap();
        sink.finish().unwrap();
        drop((a, b, c));

        let mut files = RunFiles::open(model, |f| Ok(dir.path().join(f.name()))).unwrap();
        assert_eq!(files.trials(), 203);
        let got = summarize_trials(model, 203, &mut files, &bands).unwrap();
        assert_eq!(got, expected);

        let weights = LossWeights::of(&loaded.scenario);
        let per_end_use: Vec<Vec<f64>> = (0..2).map(|e| weights.end_use_losses(e, results.end_use(e))).collect();
        let mut per_trial: Vec<f64> = (0..203).map(|t| per_end_use.iter().map(|x| x[t]).sum::<f64>()).collect();
        let losses = files.loss_summaries().unwrap();
        assert_eq!(losses.per_trial, summarize(&mut per_trial));
        for (e, mut values) in per_end_use.into_iter().enumerate() {
            assert_eq!(losses.end_uses[e], summarize(&mut values));
        }
    }
}
