//! Shards: a run (or a comparison) cut into ranges of global trial indices that run anywhere, and the manifest,
//! `shard.json`, that lets `merge` check they belong together and make the outputs of the whole run from them.
//!
//! Trial `i` depends only on the scenario, the seed and `i` (each random process draws from a stream keyed by
//! them), so a shard of trials `a..b` computes exactly the rows one run of all trials computes for them. A shard's
//! folder holds its per-trial files (`trials.parquet`, `stage_losses.parquet`, `stockpiles.parquet`, laid out as
//! one run's, see `files::trials`), its fan-chart counts (`band_counts.parquet`, integer counts that add up), or, for
//! a comparison, every variant's per-trial values (`variant_trials.parquet`), and the manifest last. The manifest
//! records everything the numbers depend on: the scenario's text and the base and overlay files it read (with
//! their SHA-256), its `--set` settings, the mitigations, the seed, the run's trial count and batch size, and the tool's version.

use std::fs::File;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chokepoint_engine::BandCounts;
use chokepoint_engine::stats::{BACKLOG_BINS, SHARE_BINS};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::documents::summary::Tool;
use crate::failure::Failure;
use crate::files::tables::{parquet, schema};
use crate::options::OptionInput;
use crate::scenario_source::{BaseRead, LoadedScenario};

/// The manifest of a shard, written last into its folder.
pub const SHARD_FILE: &str = "shard.json";
/// A run shard's fan-chart counts.
pub const BAND_COUNTS_FILE: &str = "band_counts.parquet";
/// A comparison shard's per-trial values of every variant.
pub const VARIANT_TRIALS_FILE: &str = "variant_trials.parquet";

/// Version of the layout of `shard.json` and the shard's partial files; bumped when one changes.
pub const SHARD_SCHEMA_VERSION: u32 = 1;

/// The largest manifest read (the scenario's text and its bases and overlays are inside).
const MAX_MANIFEST_BYTES: u64 = 256 << 20;

/// Which trials of a run to run: `--shard I/N` (shards numbered from 1) or `--trials-from A --trials-to B`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardArg {
    /// Shard `index` of `count` (1-based).
    Index { index: u64, count: u64 },
    /// Trials `from .. to` (`to` excluded).
    Range { from: u64, to: u64 },
}

impl ShardArg {
    /// Parses `I/N`.
    pub fn parse_index(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a shard: give `I/N`, shard I of N, numbered from 1 (`--shard 1/4`)");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (i.trim().parse::<u64>().map_err(|_| bad())?, n.trim().parse::<u64>().map_err(|_| bad())?);
        if count == 0 {
            return Err(format!("`--shard {text}`: a run is cut into 1 shard at least"));
        }
        if index == 0 {
            return Err(format!("`--shard {text}`: shards are numbered from 1 (`--shard 1/{count}` is the first)"));
        }
        if index > count {
            return Err(format!(
                "`--shard {text}`: there are only {count} shards (`--shard {count}/{count}` is the last)"
            ));
        }
        Ok(Self::Index { index, count })
    }

    /// The global trial range this selects of a run of `trials` trials: shard `I` of `N` is trials
    /// `floor((I - 1) T / N) .. floor(I T / N)`, so the shards of a run cover it once, their sizes differing by one
    /// at most.
    pub fn range(self, trials: u64) -> Result<Range<u64>, String> {
        match self {
            Self::Index { index, count } => {
                if count > trials {
                    return Err(format!(
                        "`--shard {index}/{count}`: {trials} trials cannot be cut into {count} shards that each hold one \
                         at least; give at most {trials} shards or more `--trials`"
                    ));
                }
                let cut = |i: u64| (u128::from(i) * u128::from(trials) / u128::from(count)) as u64;
                Ok(cut(index - 1)..cut(index))
            }
            Self::Range { from, to } => {
                if from >= to {
                    return Err(format!(
                        "`--trials-from {from} --trials-to {to}` selects no trial: `--trials-to` is excluded and must \
                         be above `--trials-from`"
                    ));
                }
                if to > trials {
                    return Err(format!(
                        "`--trials-to {to}` lies past the run's {trials} trials (`--trials`): a shard holds trials of \
                         the run, numbered 0 to {}",
                        trials - 1
                    ));
                }
                Ok(from..to)
            }
        }
    }
}

/// What a shard is a part of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShardKind {
    /// `chokepoint run --shard`.
    Run,
    /// `chokepoint compare --shard`.
    Compare,
}

impl ShardKind {
    pub fn words(self) -> &'static str {
        match self {
            ShardKind::Run => "a run",
            ShardKind::Compare => "a comparison",
        }
    }
}

/// The scenario a shard ran, with everything needed to read it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardScenario {
    pub name: String,
    /// The file as named on the command line where the shard ran.
    pub origin: String,
    pub sha256: String,
    /// The scenario's text (its bytes).
    pub text: String,
    /// The base files it read, in order, with their texts.
    pub bases: Vec<BaseRead>,
    /// The `--set KEY=VALUE` settings it was read with, in order.
    pub settings: Vec<String>,
}

/// The settings every shard of a run shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardSettings {
    pub seed: u64,
    /// Trials of the whole run.
    pub trials: u64,
    /// Trials per batch of rows in the per-trial files.
    pub batch_trials: u64,
}

/// A shard's trials, `from .. to` (`to` excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialRange {
    pub from: u64,
    pub to: u64,
}

/// Seconds a variant of a comparison shard spent running its trials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantSeconds {
    pub name: String,
    pub simulation_s: f64,
}

/// `shard.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardManifest {
    pub shard_schema_version: u32,
    pub kind: ShardKind,
    pub tool: Tool,
    pub scenario: ShardScenario,
    /// The `--mitigation` options, in order, files with their text.
    pub options: Vec<OptionInput>,
    /// `compare --all`.
    pub all: bool,
    pub settings: ShardSettings,
    pub range: TrialRange,
    /// Worker threads, when it ran, and how long (these differ from shard to shard and do not matter to results).
    pub threads: usize,
    pub started_at: String,
    pub wall_time_s: f64,
    pub simulation_s: f64,
    /// Comparison shards: seconds per variant, `baseline` first.
    pub variants: Vec<VariantSeconds>,
    /// Files of the shard, the manifest last.
    pub files: Vec<String>,
}

impl ShardScenario {
    pub fn of(loaded: &LoadedScenario) -> Self {
        Self {
            name: loaded.scenario.name.clone(),
            origin: loaded.origin.clone(),
            sha256: loaded.sha256.clone(),
            text: loaded.text.clone(),
            bases: loaded.base_reads.clone(),
            settings: loaded.settings.clone(),
        }
    }
}

/// A shard found in a folder.
#[derive(Debug, Clone)]
pub struct Shard {
    pub dir: PathBuf,
    pub manifest: ShardManifest,
}

impl Shard {
    /// Reads the manifest of the shard in `dir`.
    pub fn read(dir: &Path) -> Result<Self, Failure> {
        let path = dir.join(SHARD_FILE);
        let file = File::open(&path).map_err(|e| {
            Failure::Usage(if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "`{}` holds no shard: `{SHARD_FILE}` is missing (a shard is the output folder of `run --shard` or \
                     `compare --shard`, complete once its manifest is written)",
                    dir.display()
                )
            } else {
                format!("could not read `{}`: {e}", path.display())
            })
        })?;
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::Read::take(file, MAX_MANIFEST_BYTES), &mut text)
            .with_context(|| format!("could not read `{}`", path.display()))?;
        let manifest: ShardManifest = serde_json::from_str(&text).map_err(|e| {
            Failure::Usage(format!("`{}` is not the manifest of a shard of this version: {e}", path.display()))
        })?;
        Ok(Self { dir: dir.to_owned(), manifest })
    }

    /// The shard's folder, for messages.
    pub fn name(&self) -> String {
        self.dir.display().to_string()
    }

    /// The shard's trial range.
    pub fn trials(&self) -> Range<u64> {
        self.manifest.range.from..self.manifest.range.to
    }
}

/// Checks that `shards` belong together and cover their run once: the same kind, tool version (this one's), scenario
/// bytes, bases and `--set` settings, options, seed, trial count and batch size; ranges that neither overlap nor leave a gap. Returns
/// them in trial order. The error names the shard and the difference.
pub fn check_shards(mut shards: Vec<Shard>) -> Result<Vec<Shard>, Failure> {
    let Some(first) = shards.first().cloned() else {
        return Err(Failure::Usage("no shard to merge: name the folders of the shards".to_owned()));
    };
    let this = Tool::this();
    let a = &first.manifest;
    if a.tool.version != this.version || a.shard_schema_version != SHARD_SCHEMA_VERSION {
        return Err(Failure::Usage(format!(
            "shard `{}` was made by chokepoint {}, and this is {}: merge with the version that made the shards",
            first.name(),
            a.tool.version,
            this.version
        )));
    }
    for shard in &shards[1..] {
        let b = &shard.manifest;
        let differ = |what: String| {
            Failure::Usage(format!("shard `{}` does not belong with shard `{}`: {what}", shard.name(), first.name()))
        };
        if b.kind != a.kind {
            return Err(differ(format!("it is a shard of {}, not of {}", b.kind.words(), a.kind.words())));
        }
        if b.tool.version != a.tool.version || b.shard_schema_version != a.shard_schema_version {
            return Err(differ(format!("it was made by chokepoint {}, not {}", b.tool.version, a.tool.version)));
        }
        if b.scenario.sha256 != a.scenario.sha256 || b.scenario.text != a.scenario.text {
            return Err(differ(format!(
                "it ran other scenario bytes (`{}`, SHA-256 {}, not `{}`, {})",
                b.scenario.origin, b.scenario.sha256, a.scenario.origin, a.scenario.sha256
            )));
        }
        if b.scenario.bases != a.scenario.bases {
            let list = |m: &ShardManifest| {
                m.scenario.bases.iter().map(|x| format!("{} {}", x.origin, x.sha256)).collect::<Vec<_>>().join(", ")
            };
            return Err(differ(format!("its base files differ ([{}], not [{}])", list(b), list(a))));
        }
        if b.scenario.settings != a.scenario.settings {
            let list = |m: &ShardManifest| {
                m.scenario.settings.iter().map(|x| format!("--set {x}")).collect::<Vec<_>>().join(", ")
            };
            return Err(differ(format!("it ran other settings ([{}], not [{}])", list(b), list(a))));
        }
        if b.options != a.options || b.all != a.all {
            let list = |m: &ShardManifest| {
                let mut words: Vec<String> = m
                    .options
                    .iter()
                    .map(|o| match o {
                        OptionInput::Name(n) => n.clone(),
                        OptionInput::Overlay { file, .. } => format!("{} ({})", file.origin, file.sha256),
                    })
                    .collect();
                if m.all {
                    words.push("--all".to_owned());
                }
                words.join(", ")
            };
            return Err(differ(format!("it ran other mitigations ([{}], not [{}])", list(b), list(a))));
        }
        if b.settings.seed != a.settings.seed {
            return Err(differ(format!("its seed is {}, not {}", b.settings.seed, a.settings.seed)));
        }
        if b.settings.trials != a.settings.trials {
            return Err(differ(format!(
                "it is a shard of a run of {} trials, not {} (`--trials`)",
                b.settings.trials, a.settings.trials
            )));
        }
        if b.settings.batch_trials != a.settings.batch_trials {
            return Err(differ(format!(
                "its batches hold {} trials, not {} (`--batch-trials`)",
                b.settings.batch_trials, a.settings.batch_trials
            )));
        }
    }
    shards.sort_by_key(|s| (s.manifest.range.from, s.manifest.range.to));
    let total = a.settings.trials;
    let mut covered = 0u64;
    for (i, shard) in shards.iter().enumerate() {
        let r = shard.trials();
        if r.start > covered {
            return Err(Failure::Usage(format!(
                "no shard holds trials {covered}..{} of the run's {total}: a shard is missing",
                r.start
            )));
        }
        if r.start < covered {
            let other = &shards[i - 1];
            return Err(Failure::Usage(format!(
                "shards `{}` (trials {}..{}) and `{}` (trials {}..{}) overlap: each trial must be in one shard only",
                other.name(),
                other.manifest.range.from,
                other.manifest.range.to,
                shard.name(),
                r.start,
                r.end
            )));
        }
        covered = r.end;
    }
    if covered < total {
        return Err(Failure::Usage(format!(
            "no shard holds trials {covered}..{total} of the run's {total}: a shard is missing"
        )));
    }
    Ok(shards)
}

/// Columns of `band_counts.parquet`: the non-zero counts, by histogram (`share_met` of each end use, `backlog_weeks`
/// of each backlogged end use), index of the end use in its list, period kept, and bin.
fn band_counts_schema() -> Schema {
    use DataType::{String, UInt32};
    schema(&[("histogram", String), ("index", UInt32), ("period", UInt32), ("bin", UInt32), ("count", UInt32)])
}

/// Writes `band_counts.parquet`: every non-zero count of `counts`.
pub fn write_band_counts<W: Write>(w: W, counts: &BandCounts) -> anyhow::Result<()> {
    let (mut histogram, mut index, mut period, mut bin, mut count) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut push = |name: &'static str, values: &[u32], bins: usize| {
        for (cell, row) in values.chunks_exact(bins).enumerate() {
            for (b, &c) in row.iter().enumerate().filter(|(_, c)| **c > 0) {
                histogram.push(name);
                index.push((cell / counts.band_periods.max(1)) as u32);
                period.push((cell % counts.band_periods.max(1)) as u32);
                bin.push(b as u32);
                count.push(c);
            }
        }
    };
    push("share_met", &counts.bands, SHARE_BINS);
    push("backlog_weeks", &counts.backlog_bands, BACKLOG_BINS);
    let rows = count.len();
    let columns = vec![
        Column::new("histogram".into(), histogram),
        Column::new("index".into(), index),
        Column::new("period".into(), period),
        Column::new("bin".into(), bin),
        Column::new("count".into(), count),
    ];
    let mut writer = parquet(w, &band_counts_schema())?;
    writer.write_batch(&DataFrame::new(rows, columns)?)?;
    writer.finish()?;
    Ok(())
}

/// Adds the counts of `band_counts.parquet` at `path` to `counts` (of the same model), refusing any that do not fit.
pub fn add_band_counts(path: &Path, counts: &mut BandCounts) -> anyhow::Result<()> {
    let context = || format!("could not read `{}`", path.display());
    let df = ParquetReader::new(File::open(path).with_context(context)?)
        .finish()
        .map_err(anyhow::Error::from)
        .with_context(context)?;
    let histogram = df.column("histogram")?.str()?;
    let [index, period, bin, count] =
        ["index", "period", "bin", "count"].map(|c| df.column(c).and_then(|c| c.u32().cloned()));
    let (index, period, bin, count) = (index?, period?, bin?, count?);
    let periods = counts.band_periods;
    for row in 0..df.height() {
        let value = |ca: &UInt32Chunked| ca.get(row).map(|x| x as usize);
        let (Some(name), Some(i), Some(j), Some(b), Some(c)) =
            (histogram.get(row), value(&index), value(&period), value(&bin), count.get(row))
        else {
            anyhow::bail!("`{}`: row {row} has an empty field", path.display());
        };
        let (values, bins, rows) = match name {
            "share_met" => (&mut counts.bands, SHARE_BINS, counts.n_end_uses),
            "backlog_weeks" => (&mut counts.backlog_bands, BACKLOG_BINS, counts.backlog_end_uses.len()),
            other => anyhow::bail!("`{}`: no histogram is called `{other}`", path.display()),
        };
        anyhow::ensure!(
            i < rows && j < periods && b < bins && !values.is_empty(),
            "`{}`: a count at {name} {i}, period {j}, bin {b} lies outside the scenario's histograms",
            path.display()
        );
        let at = (i * periods + j) * bins + b;
        values[at] = values[at].checked_add(c).context("a band count overflows")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cut_a_run_once_in_near_equal_parts() {
        let ranges: Vec<Range<u64>> =
            (1..=4).map(|i| ShardArg::Index { index: i, count: 4 }.range(10).unwrap()).collect();
        assert_eq!(ranges, [0..2, 2..5, 5..7, 7..10]);
        assert_eq!(ShardArg::Index { index: 1, count: 1 }.range(7).unwrap(), 0..7);
        let big = u64::MAX / 2;
        assert_eq!(ShardArg::Index { index: 2, count: 2 }.range(big).unwrap().end, big);
        assert!(ShardArg::Index { index: 3, count: 3 }.range(2).unwrap_err().contains("at most 2 shards"));
    }

    #[test]
    fn shard_arguments_are_checked_with_their_flag_named() {
        assert_eq!(ShardArg::parse_index("2/4"), Ok(ShardArg::Index { index: 2, count: 4 }));
        assert!(ShardArg::parse_index("0/4").unwrap_err().contains("numbered from 1"));
        assert!(ShardArg::parse_index("5/4").unwrap_err().contains("only 4 shards"));
        assert!(ShardArg::parse_index("1/0").unwrap_err().contains("1 shard at least"));
        assert!(ShardArg::parse_index("x").unwrap_err().contains("I/N"));
        let range = |from, to| ShardArg::Range { from, to }.range(100);
        assert_eq!(range(10, 20), Ok(10..20));
        assert!(range(20, 20).unwrap_err().contains("selects no trial"));
        assert!(range(50, 101).unwrap_err().contains("lies past the run's 100 trials"));
    }
}
