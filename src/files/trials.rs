//! The per-trial files of a run (`trials.parquet`, `stage_losses.parquet`, `stockpiles.parquet`): streamed out
//! batch by batch while the trials run, read back one column of one end use (stage, stockpile) at a time for the
//! summaries, and re-cut from shards into the rows of one run by `merge`.
//!
//! **Layout.** A file holds the rows of trials `trials_from .. trials_to` (a whole run, or a shard's part of one),
//! cut into the batches of [`BatchLayout`]: `batch_trials` trials, aligned to multiples of it in the global trial
//! index. Within a batch come the rows of each entity (end use, stage or stockpile, in scenario order), one Parquet
//! row group each, trials in order. So the rows of entity `k` in a batch of `n` trials that starts `r` rows into
//! the file are rows `r + k n .. r + (k + 1) n`. The layout is recorded in the file's key-value metadata
//! (`chokepoint.trials_from`, `chokepoint.trials_to`, `chokepoint.batch_trials`); a file without those keys (written
//! before them) is one batch of the whole run, which is the layout such files had.
//!
//! **Same rows, same bytes.** Every frame is passed through [`canonical`] before it is written: its columns are
//! rebuilt from their values alone, in one fixed way per type. A run writes the frames the engine's results give;
//! `merge` writes frames read back from its shards; equal values in equal row groups then make equal files.

use std::fs::File;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chokepoint_engine::{BatchLayout, Model, RunResults};
use chokepoint_scenario::Scenario;
use polars::io::parquet::metadata::FileMetadataRef;
use polars::io::parquet::read::ParallelStrategy;
use polars::io::parquet::write::BatchedWriter;
use polars::prelude::*;

use crate::files::tables::{self, Provenance, STAGE_LOSSES_FILE, STOCKPILES_FILE, TRIALS_FILE};

/// Trials per batch by default: 115 MB of engine results for the default scenario (1,752 bytes a trial), and row
/// groups of 65,536 rows.
pub const DEFAULT_BATCH_TRIALS: u64 = 1 << 16;

/// One of the per-trial files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrialFile {
    /// `trials.parquet`: per end use.
    Trials,
    /// `stage_losses.parquet`: per stage.
    StageLosses,
    /// `stockpiles.parquet`: per stockpile.
    Stockpiles,
}

impl TrialFile {
    pub const ALL: [TrialFile; 3] = [TrialFile::Trials, TrialFile::StageLosses, TrialFile::Stockpiles];

    pub fn name(self) -> &'static str {
        match self {
            TrialFile::Trials => TRIALS_FILE,
            TrialFile::StageLosses => STAGE_LOSSES_FILE,
            TrialFile::Stockpiles => STOCKPILES_FILE,
        }
    }

    pub fn schema(self) -> Schema {
        match self {
            TrialFile::Trials => tables::trials_schema(),
            TrialFile::StageLosses => tables::stage_losses_schema(),
            TrialFile::Stockpiles => tables::stockpiles_schema(),
        }
    }

    /// How many entities (end uses, stages, stockpiles) of `model` each trial has rows for.
    pub fn entities(self, model: &Model) -> usize {
        let spec = model.spec();
        match self {
            TrialFile::Trials => spec.end_uses.len(),
            TrialFile::StageLosses => spec.stages.len(),
            TrialFile::Stockpiles => spec.mitigations.stockpiles.len(),
        }
    }
}

/// Where the rows of each batch of a per-trial file are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLayout {
    pub batches: BatchLayout,
    /// Entities per trial.
    pub entities: usize,
}

impl FileLayout {
    /// Each batch's global trial range and the row its rows start at, in order.
    pub fn batch_rows(&self) -> impl Iterator<Item = (Range<u64>, usize)> + '_ {
        let mut row = 0usize;
        self.batches.batches().map(move |batch| {
            let start = row;
            row += (batch.end - batch.start) as usize * self.entities;
            (batch, start)
        })
    }

    /// The rows of entity `k` for the trials `trials` (within the file's range), as `(first row, rows)` slices,
    /// one per batch they span, in trial order.
    pub fn entity_slices(&self, k: usize, trials: Range<u64>) -> Vec<(usize, usize)> {
        self.batch_rows()
            .filter(|(batch, _)| batch.start < trials.end && trials.start < batch.end)
            .map(|(batch, row)| {
                let n = (batch.end - batch.start) as usize;
                let (from, to) = (trials.start.max(batch.start), trials.end.min(batch.end));
                (row + k * n + (from - batch.start) as usize, (to - from) as usize)
            })
            .collect()
    }

    /// Rows in the file.
    pub fn rows(&self) -> usize {
        self.batches.trials as usize * self.entities
    }
}

/// A frame whose columns are rebuilt from their values in one fixed way per type: integers, floats and booleans
/// as plain arrays (with a validity mask only if some value is null), a string column whose rows all hold one
/// value as that value repeated, any other as plain strings. Frames with equal values become equal frames,
/// however they were built or read, and so write equal bytes.
pub fn canonical(df: &DataFrame) -> anyhow::Result<DataFrame> {
    let columns = df.columns().iter().map(canonical_column).collect::<anyhow::Result<Vec<Column>>>()?;
    Ok(DataFrame::new(df.height(), columns)?)
}

fn canonical_column(c: &Column) -> anyhow::Result<Column> {
    let name = c.name().clone();
    Ok(match c.dtype() {
        DataType::UInt64 => {
            let ca = c.u64()?;
            if ca.null_count() == 0 {
                Column::new(name, ca.into_no_null_iter().collect::<Vec<u64>>())
            } else {
                Column::new(name, ca.iter().collect::<Vec<Option<u64>>>())
            }
        }
        DataType::UInt32 => {
            let ca = c.u32()?;
            if ca.null_count() == 0 {
                Column::new(name, ca.into_no_null_iter().collect::<Vec<u32>>())
            } else {
                Column::new(name, ca.iter().collect::<Vec<Option<u32>>>())
            }
        }
        DataType::Float64 => {
            let ca = c.f64()?;
            if ca.null_count() == 0 {
                let mut values = Vec::with_capacity(ca.len());
                extend_f64s(&mut values, ca, f64::NAN);
                Column::new(name, values)
            } else {
                Column::new(name, ca.iter().collect::<Vec<Option<f64>>>())
            }
        }
        DataType::Boolean => {
            let ca = c.bool()?;
            if ca.null_count() == 0 {
                Column::new(name, ca.iter().flatten().collect::<Vec<bool>>())
            } else {
                Column::new(name, ca.iter().collect::<Vec<Option<bool>>>())
            }
        }
        DataType::String => {
            let ca = c.str()?;
            match ca.get(0) {
                Some(first) if ca.null_count() == 0 && ca.iter().flatten().all(|s| s == first) => {
                    StringChunked::full(name, first, ca.len()).into_column()
                }
                _ => Column::new(name, ca.iter().collect::<Vec<Option<&str>>>()),
            }
        }
        other => anyhow::bail!("column `{name}` has type {other}, which per-trial files do not hold"),
    })
}

/// Writers of the three per-trial files of one run or shard, row group by row group.
pub struct TrialSink<W: Write> {
    writers: Vec<(TrialFile, BatchedWriter<W>)>,
}

impl<W: Write> std::fmt::Debug for TrialSink<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrialSink").field("files", &self.writers.iter().map(|(t, _)| t).collect::<Vec<_>>()).finish()
    }
}

impl<W: Write> TrialSink<W> {
    /// Writers into `outputs` (one per file of [`TrialFile::ALL`], in that order), each file carrying `provenance`.
    pub fn new(outputs: [W; 3], provenance: &Provenance) -> anyhow::Result<Self> {
        let writers = TrialFile::ALL
            .into_iter()
            .zip(outputs)
            .map(|(file, w)| Ok((file, tables::parquet_with(w, &file.schema(), provenance)?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self { writers })
    }

    /// Writes one entity's rows of one batch into `file` (the next row group).
    pub fn write_frame(&mut self, file: TrialFile, frame: &DataFrame) -> anyhow::Result<()> {
        let Some((_, writer)) = self.writers.iter_mut().find(|(f, _)| *f == file) else {
            anyhow::bail!("no writer for `{}`", file.name());
        };
        writer
            .write_batch(&canonical(frame)?)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("could not write `{}`", file.name()))
    }

    /// Writes the rows of one batch of the engine's results, trials `first_trial ..`: every end use, stage and
    /// stockpile, in that order within each file.
    pub fn write_results(&mut self, scenario: &Scenario, first_trial: u64, results: &RunResults) -> anyhow::Result<()> {
        let model = &scenario.model;
        let weights = chokepoint_analysis::loss::LossWeights::of(scenario);
        for e in 0..TrialFile::Trials.entities(model) {
            let losses = weights.end_use_losses(e, results.end_use(e));
            self.write_frame(TrialFile::Trials, &tables::trials_frame(scenario, e, first_trial, results, &losses)?)?;
        }
        for s in 0..TrialFile::StageLosses.entities(model) {
            self.write_frame(TrialFile::StageLosses, &tables::stage_losses_frame(model, s, first_trial, results)?)?;
        }
        for k in 0..TrialFile::Stockpiles.entities(model) {
            self.write_frame(TrialFile::Stockpiles, &tables::stockpiles_frame(model, k, first_trial, results)?)?;
        }
        Ok(())
    }

    /// Writes the files' footers.
    pub fn finish(self) -> anyhow::Result<()> {
        for (file, writer) in self.writers {
            writer
                .finish()
                .map_err(anyhow::Error::from)
                .with_context(|| format!("could not write `{}`", file.name()))?;
        }
        Ok(())
    }
}

/// How a per-trial file's rows were made and laid out, from its key-value metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProvenance {
    pub scenario_sha256: Option<String>,
    pub seed: Option<u64>,
    /// Trials of the whole run.
    pub trials: u64,
    pub layout: FileLayout,
}

/// A per-trial file opened for reading slices of it: its footer is read once.
#[derive(Debug, Clone)]
pub struct TrialFileReader {
    path: PathBuf,
    metadata: FileMetadataRef,
    pub provenance: FileProvenance,
}

impl TrialFileReader {
    /// Opens `path`, a per-trial file with `entities` entities per trial, and checks that its rows are as many as
    /// its layout says.
    pub fn open(path: &Path, entities: usize) -> anyhow::Result<Self> {
        let context = || format!("could not read `{}`", path.display());
        let file = File::open(path).with_context(context)?;
        let mut reader = ParquetReader::new(file);
        let metadata = reader.get_metadata().map_err(anyhow::Error::from).with_context(context)?.clone();
        let value = |key: &str| {
            metadata
                .key_value_metadata()
                .as_ref()
                .and_then(|kv| kv.iter().find(|x| x.key == key))
                .and_then(|x| x.value.clone())
        };
        let number = |key: &str| -> anyhow::Result<Option<u64>> {
            value(key)
                .map(|v| v.parse::<u64>().with_context(|| format!("`{}`: `{key}` is not a number", path.display())))
                .transpose()
        };
        let rows = metadata.num_rows;
        let trials_by_rows = rows.checked_div(entities).unwrap_or(0) as u64;
        let trials = number("chokepoint.trials")?.unwrap_or(trials_by_rows);
        let from = number("chokepoint.trials_from")?.unwrap_or(0);
        let to = number("chokepoint.trials_to")?.unwrap_or(trials);
        anyhow::ensure!(
            from <= to && to <= trials,
            "`{}`: its trial range {from}..{to} is not within 0..{trials}",
            path.display()
        );
        // Files written before the layout keys hold one batch of the whole run (end use, then trial).
        let batch_trials = number("chokepoint.batch_trials")?.unwrap_or((to - from).max(1));
        let layout = FileLayout { batches: BatchLayout::new(from, to - from, batch_trials), entities };
        anyhow::ensure!(
            layout.rows() == rows,
            "`{}` holds {rows} rows, not the {} of {} trials x {entities}",
            path.display(),
            layout.rows(),
            to - from
        );
        let provenance = FileProvenance {
            scenario_sha256: value("chokepoint.scenario_sha256"),
            seed: number("chokepoint.seed")?,
            trials,
            layout,
        };
        Ok(Self { path: path.to_owned(), metadata, provenance })
    }

    pub fn layout(&self) -> &FileLayout {
        &self.provenance.layout
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rows `rows.0 .. rows.0 + rows.1` of `columns` (every column with `None`).
    pub fn read(&self, rows: (usize, usize), columns: Option<&[&str]>) -> anyhow::Result<DataFrame> {
        let context = || format!("could not read `{}`", self.path.display());
        let file = File::open(&self.path).with_context(context)?;
        let mut reader = ParquetReader::new(file)
            .with_slice(Some(rows))
            .with_columns(columns.map(|c| c.iter().map(|name| (*name).to_owned()).collect()))
            // Over row groups: a slice is then read from its own row groups only.
            .read_parallel(ParallelStrategy::RowGroups);
        reader.set_metadata(self.metadata.clone());
        reader.finish().map_err(anyhow::Error::from).with_context(context)
    }

    /// The rows of entity `k` for trials `trials` (within the file's range), in trial order, with `columns`.
    pub fn entity_rows(&self, k: usize, trials: Range<u64>, columns: Option<&[&str]>) -> anyhow::Result<DataFrame> {
        let mut frame: Option<DataFrame> = None;
        for slice in self.layout().entity_slices(k, trials) {
            let part = self.read(slice, columns)?;
            match frame.as_mut() {
                Some(f) => {
                    f.vstack_mut(&part)?;
                }
                None => frame = Some(part),
            }
        }
        match frame {
            Some(f) => Ok(f),
            None => Ok(self.read((0, 0), columns)?),
        }
    }

    /// Every value of Float64 column `name` for entity `k`, in trial order, with `null` read as `null_as`.
    pub fn entity_f64s(&self, k: usize, name: &str, null_as: f64) -> anyhow::Result<Vec<f64>> {
        let mut values = Vec::with_capacity(self.layout().batches.trials as usize);
        for (batch, _) in self.layout().batch_rows() {
            for slice in self.layout().entity_slices(k, batch) {
                let part = self.read(slice, Some(&[name]))?;
                let column = part
                    .column(name)
                    .and_then(|c| c.f64())
                    .map_err(anyhow::Error::from)
                    .with_context(|| format!("`{}`: `{name}`", self.path.display()))?;
                extend_f64s(&mut values, column, null_as);
            }
        }
        Ok(values)
    }
}

/// Appends the values of `column` to `values`, `null_as` for a null: without a null, each chunk's values copied at
/// once, rather than one `Option` at a time.
pub fn extend_f64s(values: &mut Vec<f64>, column: &Float64Chunked, null_as: f64) {
    if column.null_count() == 0 {
        column.downcast_iter().for_each(|chunk| values.extend_from_slice(chunk.values()));
    } else {
        values.extend(column.iter().map(|x| x.unwrap_or(null_as)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_columns_values_are_appended_chunk_by_chunk_with_nulls_replaced() {
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        // Without a null: every chunk copied as it is.
        let mut column = Float64Chunked::from_slice("x".into(), &[1.0, -0.0, f64::NAN]);
        column.append(&Float64Chunked::from_slice("x".into(), &[4.0, 5.0])).unwrap();
        assert_eq!((column.chunks().len(), column.null_count()), (2, 0));
        let mut values = vec![0.5];
        extend_f64s(&mut values, &column, 9.0);
        assert_eq!(bits(&values), bits(&[0.5, 1.0, -0.0, f64::NAN, 4.0, 5.0]));
        // With one: the null read as `null_as`.
        column.append(&Float64Chunked::from_iter_options("x".into(), [Some(6.0), None].into_iter())).unwrap();
        let mut values = Vec::new();
        extend_f64s(&mut values, &column, 9.0);
        assert_eq!(bits(&values), bits(&[1.0, -0.0, f64::NAN, 4.0, 5.0, 6.0, 9.0]));
    }

    #[test]
    fn an_entitys_rows_are_found_in_each_batch() {
        let layout = FileLayout { batches: BatchLayout::new(5, 10, 4), entities: 3 };
        // Batches 5..8 (3 trials), 8..12 (4), 12..15 (3): rows 0..9, 9..21, 21..30.
        assert_eq!(layout.batch_rows().collect::<Vec<_>>(), [(5..8, 0), (8..12, 9), (12..15, 21)]);
        assert_eq!(layout.entity_slices(0, 5..15), [(0, 3), (9, 4), (21, 3)]);
        assert_eq!(layout.entity_slices(2, 5..15), [(6, 3), (17, 4), (27, 3)]);
        assert_eq!(layout.entity_slices(1, 7..9), [(5, 1), (13, 1)]);
        assert_eq!(layout.rows(), 30);
    }

    #[test]
    fn canonical_frames_do_not_depend_on_how_they_were_built() {
        let built = DataFrame::new(
            3,
            vec![
                Column::new("trial".into(), [1u64, 2, 3]),
                StringChunked::full("end_use".into(), "ev", 3).into_column(),
                Column::new("x".into(), [Some(1.0), Some(2.0), Some(3.0)]),
                Column::new("y".into(), [Some(1.0), None, Some(3.0)]),
            ],
        )
        .unwrap();
        let mut stacked = built.slice(0, 1);
        stacked.vstack_mut(&built.slice(1, 2)).unwrap();
        let (a, b) = (canonical(&built).unwrap(), canonical(&stacked).unwrap());
        assert_eq!(a, b);
        assert_eq!(a.column("x").unwrap().null_count(), 0);
        assert_eq!(b.column("y").unwrap().null_count(), 1);
        let write = |df: &DataFrame| {
            let mut bytes = Vec::new();
            let mut w = tables::parquet(&mut bytes, df.schema()).unwrap();
            w.write_batch(df).unwrap();
            w.finish().unwrap();
            bytes
        };
        assert_eq!(write(&a), write(&b), "equal frames write equal bytes");
    }
}
