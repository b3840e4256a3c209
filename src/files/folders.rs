//! Output folders named after a scenario (and removed again when a run that created one fails), and the memory a
//! run needs: checks made before anything is written or any trial runs.
//!
//! An output folder is a *root* the user chose (`--out DIR`, or `out` in the current folder for the default
//! folders) and the folders this program names below it (`<scenario name>`, `compare`, `trace`, ...). The root is
//! the user's: a symbolic link there is followed, as for any path given on the command line. A folder below it is
//! created without following links, or entered only when it is a real folder: a symbolic link planted there (by
//! whoever else can write to the output folder) is refused, naming it, and nothing is written through it. The
//! files themselves are never written through a link either (see `staged.rs`). The check is made when the folder
//! is created or entered, before anything is written: a link planted while the command runs is not guarded
//! against (that needs `openat`, which the standard library lacks).

use std::path::{Component, Path, PathBuf};

use anyhow::Context;
pub use chokepoint_analysis::limits::MAX_RESULTS_BYTES;
use chokepoint_engine::Model;

/// `parent/name`, the output folder of scenario `name`. The scenario crate accepts only snake_case names of at
/// most 100 characters; this refuses anything else again, as a second line of defence (a name with a separator,
/// `..` or an absolute path would make a run write outside `parent`).
pub fn scenario_folder(parent: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let plain = name.len() <= 100
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    anyhow::ensure!(plain, "the scenario name `{}` cannot name an output folder", name.escape_debug());
    Ok(parent.join(name))
}

/// Bytes per trial of the memory a streamed run takes while it summarises, measured rather than counted: the
/// columns held at once come to about 30 bytes a trial (up to three columns of `f64` and a flag), but resident
/// memory in that phase grew by 82 to 89 bytes a trial between runs of 1, 3 and 10 million trials of the default
/// scenario with glibc's malloc, which kept freed memory in its arenas; with jemalloc, 10 million trials peaked at
/// 719 MiB resident while summarising, 75 bytes a trial (`/usr/bin/time -v` and `/proc/PID/status` sampled every
/// 0.5 to 2 s, docs/performance.md, "Memory"). Kept at the glibc figure, rounded up, for builds on the system
/// allocator.
pub const SUMMARY_BYTES_PER_TRIAL: u128 = 96;

/// Refuses, before any trial runs, a run of `run_trials` trials streamed in batches of `batch_trials` trials whose
/// results held at once (two batches while one is written and the next runs, or the whole run when it is shorter)
/// and whose summaries of `trials` trials (0 for a shard, which has none) would not fit in [`MAX_RESULTS_BYTES`],
/// naming the flag to change.
pub fn check_streamed_memory(model: &Model, trials: u64, batch_trials: u64, run_trials: u64) -> anyhow::Result<()> {
    let held = run_trials.min(batch_trials.saturating_mul(2));
    let batches = chokepoint_engine::results_bytes(model, held);
    let bytes = batches + SUMMARY_BYTES_PER_TRIAL * u128::from(trials);
    if bytes <= MAX_RESULTS_BYTES {
        return Ok(());
    }
    let gib = |b: u128| b as f64 / f64::from(1u32 << 30);
    anyhow::bail!(
        "`--trials {trials}` with `--batch-trials {batch_trials}` would need {:.1} GiB ({:.1} GiB for the results of \
         scenario `{}` held at once, two batches while one is written, the rest for the summaries), more than the \
         limit of {:.0} GiB: give fewer `--batch-trials`, or fewer `--trials` (a shard, `--shard I/N`, holds no \
         summary)",
        gib(bytes),
        gib(batches),
        model.spec().name,
        gib(MAX_RESULTS_BYTES)
    )
}

/// Refuses, before any trial runs, a `--trials` count whose per-trial results would not fit in
/// [`MAX_RESULTS_BYTES`], naming the flag and the most trials that would.
pub fn check_memory(model: &Model, trials: u64) -> anyhow::Result<()> {
    check_memory_of(model, "--trials", trials)
}

/// Refuses, before any trial runs, a count of trials per run given by `flag` (`--trials`, `--world-trials`,
/// `--evppi-trials`) whose per-trial results would not fit in [`MAX_RESULTS_BYTES`]: every study holds one run's
/// per-trial results at a time at least.
pub fn check_memory_of(model: &Model, flag: &str, trials: u64) -> anyhow::Result<()> {
    let per_trial = chokepoint_engine::results_bytes(model, 1);
    refuse_over_limit(model, Count { flag, n: trials, unit: "trial" }, per_trial, "the per-trial results")
}

/// Refuses, before any trial runs, a comparison of `variants` variants (the baseline and each option) of `trials`
/// trials: what it keeps of every variant's trials (per end use and trial, the metrics it compares), with one run's
/// full per-trial results while that run is taken, must fit in [`MAX_RESULTS_BYTES`].
pub fn check_comparison_memory(model: &Model, variants: usize, trials: u64) -> anyhow::Result<()> {
    let per_trial = chokepoint_analysis::limits::comparison_bytes_per_trial(model, variants);
    let what = format!("one run's per-trial results and what the comparison keeps of {variants} variants");
    refuse_over_limit(model, Count { flag: "--trials", n: trials, unit: "trial" }, per_trial, &what)
}

/// Refuses, before any trial runs, a `trace --trials` count whose weekly values (every series of every period of
/// every trial, held until they are summarised) would not fit in [`MAX_RESULTS_BYTES`].
pub fn check_trace_memory(model: &Model, trials: u64) -> anyhow::Result<()> {
    let per_trial = chokepoint_analysis::flows::values_bytes(model, 1);
    refuse_over_limit(
        model,
        Count { flag: "--trials", n: trials, unit: "trial" },
        per_trial,
        "the traced weekly values",
    )
}

/// Bytes a two-level study keeps for each world and quantity (a knowledge value, or a metric of the world): the
/// value in the answer, and a row of `worlds.parquet` (world, quantity, name and value) built as a table and again
/// as a DataFrame, each row's texts on the heap: about 100 bytes a row and copy, rounded up.
pub const WORLD_VALUE_BYTES: u128 = 256;

/// Refuses, before any trial runs, a two-level study of `worlds` worlds (given by `flag`: `--worlds`, or the
/// scenario's `uncertainty.worlds`) whose values per world (`knowledge` parameters, the loss and three metrics
/// per end use, each held until the study is written) would not fit in [`MAX_RESULTS_BYTES`].
pub fn check_worlds_memory(model: &Model, flag: &str, worlds: u64, knowledge: usize) -> anyhow::Result<()> {
    let quantities = knowledge as u128 + 1 + 3 * model.spec().end_uses.len() as u128;
    let count = Count { flag, n: worlds, unit: "world" };
    refuse_over_limit(model, count, quantities * WORLD_VALUE_BYTES, "the knowledge values and metrics of every world")
}

/// A count given on the command line (or in the scenario): the flag that gives it, the count, what it counts.
struct Count<'a> {
    flag: &'a str,
    n: u64,
    unit: &'a str,
}

/// Refuses `count` items of `per_item` bytes each over [`MAX_RESULTS_BYTES`], naming the flag, what the bytes
/// hold and the most items that would fit.
fn refuse_over_limit(model: &Model, count: Count<'_>, per_item: u128, what: &str) -> anyhow::Result<()> {
    let Count { flag, n, unit } = count;
    let bytes = per_item.saturating_mul(u128::from(n));
    if bytes <= MAX_RESULTS_BYTES {
        return Ok(());
    }
    let fits = MAX_RESULTS_BYTES / per_item.max(1);
    let gib = |b: u128| b as f64 / f64::from(1u32 << 30);
    anyhow::bail!(
        "`{flag} {n}` would need {:.1} GiB for {what} of scenario `{}` ({} bytes a {unit}), more than the \
         limit of {:.0} GiB: give `{flag} {fits}` or fewer",
        gib(bytes),
        model.spec().name,
        per_item,
        gib(MAX_RESULTS_BYTES)
    )
}

/// Refuses a memory of `bytes` over [`MAX_RESULTS_BYTES`] for `what`, with `fix` (the flags to change) as help.
pub fn check_bytes(bytes: u128, what: &str, fix: &str) -> anyhow::Result<()> {
    if bytes <= MAX_RESULTS_BYTES {
        return Ok(());
    }
    let gib = |b: u128| b as f64 / f64::from(1u32 << 30);
    anyhow::bail!(
        "{what} would need {:.1} GiB, more than the limit of {:.0} GiB: {fix}",
        gib(bytes),
        gib(MAX_RESULTS_BYTES)
    )
}

/// The root of the default output folders, in the current folder.
pub const DEFAULT_ROOT: &str = "out";

/// Where a command writes: a root the user chose, and the folders this program names below it (see the module's
/// documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputPath {
    root: PathBuf,
    below: Vec<String>,
}

impl OutputPath {
    /// `--out DIR`: a folder the user named, nothing below it.
    pub fn given(dir: &Path) -> Self {
        Self { root: dir.to_owned(), below: Vec::new() }
    }

    /// `root/<folders>`: each folder a plain name (no separator, not `.` or `..`).
    pub fn new(root: &Path, folders: &[&str]) -> anyhow::Result<Self> {
        for folder in folders {
            let mut parts = Path::new(folder).components();
            let plain = matches!(parts.next(), Some(Component::Normal(p)) if p == *folder) && parts.next().is_none();
            anyhow::ensure!(plain, "`{}` cannot name an output folder", folder.escape_debug());
        }
        Ok(Self { root: root.to_owned(), below: folders.iter().map(|f| (*f).to_owned()).collect() })
    }

    /// `out/<scenario name>/<folders>`, the default output folder of a command on scenario `name` (checked as by
    /// [`scenario_folder`]).
    pub fn default_of(name: &str, folders: &[&str]) -> anyhow::Result<Self> {
        Self::of_scenario(Path::new(DEFAULT_ROOT), name, folders)
    }

    /// `root/<scenario name>/<folders>` (the name checked as by [`scenario_folder`]): a scenario's folder in
    /// `batch`'s output folder, say.
    pub fn of_scenario(root: &Path, name: &str, folders: &[&str]) -> anyhow::Result<Self> {
        scenario_folder(root, name)?;
        Self::new(root, &[&[name], folders].concat())
    }

    /// The folder's path.
    pub fn path(&self) -> PathBuf {
        self.below.iter().fold(self.root.clone(), |path, folder| path.join(folder))
    }

    /// Checks, without creating anything, that every folder below the root that exists is a real folder, not a
    /// symbolic link or a file: what [`OutputFolder::create`] would refuse, refused before anything runs.
    pub fn check(&self) -> anyhow::Result<()> {
        let mut path = self.root.clone();
        for folder in &self.below {
            path.push(folder);
            match std::fs::symlink_metadata(&path) {
                Ok(meta) => refuse_unless_folder(&path, &meta)?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(e).with_context(|| format!("could not read output folder `{}`", path.display())),
            }
        }
        Ok(())
    }
}

/// Refuses `path`, a folder below an output folder's root, unless `meta` (read without following a link) is a
/// real folder's.
fn refuse_unless_folder(path: &Path, meta: &std::fs::Metadata) -> anyhow::Result<()> {
    if meta.file_type().is_symlink() {
        anyhow::bail!(
            "`{}` is a symbolic link: chokepoint never writes through a link inside its output folder; remove the \
             link, or give `--out` a folder of your own",
            path.display()
        );
    }
    anyhow::ensure!(meta.is_dir(), "`{}` is in the way of an output folder: it is not a folder", path.display());
    Ok(())
}

/// The output folder of a run. The folders this run created are removed again if the run fails before its files
/// are in place (each only if it is still empty).
#[derive(Debug)]
pub struct OutputFolder {
    /// In the order they were created.
    created: Vec<PathBuf>,
}

impl OutputFolder {
    /// Creates the folder at `path`, or enters it: its root with its parents, following links (the user's), then
    /// each folder below it without following any (see the module's documentation).
    pub fn create(path: &OutputPath) -> anyhow::Result<Self> {
        let mut folder = Self { created: Vec::new() };
        let root = &path.root;
        if !root.is_dir() {
            std::fs::create_dir_all(root)
                .with_context(|| format!("could not create output folder `{}`", root.display()))?;
            folder.created.push(root.clone());
        }
        let mut dir = root.clone();
        for name in &path.below {
            dir.push(name);
            // `mkdir` never follows a link at the path it creates: it fails if anything, a link included, is there.
            match std::fs::create_dir(&dir) {
                Ok(()) => folder.created.push(dir.clone()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let meta = std::fs::symlink_metadata(&dir)
                        .with_context(|| format!("could not read output folder `{}`", dir.display()))?;
                    refuse_unless_folder(&dir, &meta)?;
                }
                Err(e) => {
                    return Err(e).with_context(|| format!("could not create output folder `{}`", dir.display()));
                }
            }
        }
        Ok(folder)
    }

    pub fn keep(mut self) {
        self.created.clear();
    }
}

impl Drop for OutputFolder {
    fn drop(&mut self) {
        for dir in self.created.iter().rev() {
            // Fails, as intended, if anything is left in the folder; its parents then stay too.
            if std::fs::remove_dir(dir).is_err() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_stay_inside_their_parent() {
        assert_eq!(scenario_folder(Path::new("out"), "licensing_2025").unwrap(), Path::new("out/licensing_2025"));
        for bad in ["../x", "/tmp/x", "a/b", "..", "", "A", "x\u{0}"] {
            assert!(scenario_folder(Path::new("out"), bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn folders_below_the_root_are_plain_names() {
        let root = Path::new("out");
        assert_eq!(OutputPath::new(root, &["x", "compare"]).unwrap().path(), Path::new("out/x/compare"));
        assert_eq!(OutputPath::default_of("x", &["trace"]).unwrap().path(), Path::new("out/x/trace"));
        assert_eq!(OutputPath::given(Path::new("/tmp/mine")).path(), Path::new("/tmp/mine"));
        for bad in ["..", ".", "", "a/b", "/tmp", "a/"] {
            assert!(OutputPath::new(root, &[bad]).is_err(), "{bad:?}");
        }
        assert!(OutputPath::default_of("../x", &[]).is_err());
    }

    /// A link planted below the output folder's root was followed: `out/<name>/compare` a link to another folder
    /// made `compare` write there.
    #[cfg(unix)]
    #[test]
    fn a_link_below_the_root_is_refused_and_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let (root, elsewhere) = (dir.path().join("out"), dir.path().join("elsewhere"));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, root.join("name")).unwrap();
        for folders in [&["name"][..], &["name", "compare"]] {
            let path = OutputPath::new(&root, folders).unwrap();
            let err = format!("{:#}", path.check().unwrap_err());
            assert!(err.contains(&format!("`{}` is a symbolic link", root.join("name").display())), "{err}");
            let err = format!("{:#}", OutputFolder::create(&path).unwrap_err());
            assert!(err.contains("is a symbolic link"), "{err}");
        }
        assert!(std::fs::read_dir(&elsewhere).unwrap().next().is_none(), "nothing is created through the link");
        // A file where a folder goes.
        std::fs::write(root.join("file"), "").unwrap();
        let path = OutputPath::new(&root, &["file", "compare"]).unwrap();
        assert!(format!("{:#}", OutputFolder::create(&path).unwrap_err()).contains("not a folder"));
        // The root is the user's: followed.
        let link_root = dir.path().join("mine");
        std::os::unix::fs::symlink(&elsewhere, &link_root).unwrap();
        OutputFolder::create(&OutputPath::new(&link_root, &["x"]).unwrap()).unwrap().keep();
        assert!(elsewhere.join("x").is_dir());
    }

    #[test]
    fn the_folders_a_failed_run_created_are_removed_again() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("out");
        let path = OutputPath::new(&root, &["name", "compare"]).unwrap();
        drop(OutputFolder::create(&path).unwrap());
        assert!(!root.exists(), "every folder created, the root too");
        std::fs::create_dir_all(root.join("name")).unwrap();
        std::fs::write(root.join("name/keep.txt"), "").unwrap();
        drop(OutputFolder::create(&path).unwrap());
        assert!(!root.join("name/compare").exists() && root.join("name/keep.txt").exists());
        OutputFolder::create(&path).unwrap().keep();
        assert!(root.join("name/compare").is_dir());
    }

    fn default_scenario() -> crate::scenario_source::LoadedScenario {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/rare_earths_2025.toml");
        crate::scenario_source::load(&crate::scenario_source::ScenarioSource::File(path)).unwrap()
    }

    /// A batch is written while the next one runs, so a run longer than one batch must fit two batches' results;
    /// a run of one batch, or a shard shorter than two, only what it holds.
    #[test]
    fn a_streamed_run_longer_than_a_batch_must_fit_two_batches() {
        let loaded = default_scenario();
        let model = &loaded.scenario.model;
        let per_trial = chokepoint_engine::results_bytes(model, 1);
        // A batch that fits alone, with room for its summaries, but not twice.
        let batch = u64::try_from(MAX_RESULTS_BYTES * 3 / 5 / per_trial).unwrap();
        assert!(check_streamed_memory(model, batch, batch, batch).is_ok());
        // A shard of one batch and a half holds them (0.9 of the limit), one of two batches does not.
        assert!(check_streamed_memory(model, 0, batch, batch + batch / 2).is_ok());
        assert!(check_streamed_memory(model, 0, batch, 2 * batch).is_err());
        let err = check_streamed_memory(model, 2 * batch, batch, 2 * batch).unwrap_err().to_string();
        assert!(err.contains(&format!("`--trials {}` with `--batch-trials {batch}` would need", 2 * batch)), "{err}");
        // Small batches of a long run: two of them and the summaries.
        assert!(check_streamed_memory(model, 10_000_000, 1 << 16, 10_000_000).is_ok());
    }

    /// A comparison keeps every variant's per-trial metrics: `--trials` within one run's memory was not enough for
    /// many options.
    #[test]
    fn a_comparison_must_fit_every_variant() {
        let loaded = default_scenario();
        let model = &loaded.scenario.model;
        let per_trial = chokepoint_engine::results_bytes(model, 1);
        let most = u64::try_from(MAX_RESULTS_BYTES / per_trial).unwrap();
        assert!(check_memory(model, most).is_ok());
        assert!(check_comparison_memory(model, 2, most / 2).is_ok());
        let err = check_comparison_memory(model, 20, most).unwrap_err().to_string();
        assert!(err.contains(&format!("`--trials {most}` would need")) && err.contains("of 20 variants"), "{err}");
    }

    /// The values a two-level study keeps of every world, refused before anything runs when they would not fit.
    #[test]
    fn the_values_of_every_world_must_fit() {
        let loaded = default_scenario();
        let model = &loaded.scenario.model;
        assert!(check_worlds_memory(model, "--worlds", chokepoint_scenario::MAX_WORLDS, 20).is_ok());
        let err = check_worlds_memory(model, "--worlds", 100_000, 400_000).unwrap_err().to_string();
        assert!(err.contains("`--worlds 100000` would need") && err.contains("bytes a world"), "{err}");
    }

    /// The summaries' memory, as measured (96 bytes a trial), bounds a run of default batches to about 87 million
    /// trials of the default scenario; its shards hold no summary.
    #[test]
    fn the_summaries_memory_bounds_a_run_below_the_most_trials() {
        let loaded = default_scenario();
        let model = &loaded.scenario.model;
        let (batch, most) = (1 << 16, crate::cli::MAX_TRIALS);
        assert!(check_streamed_memory(model, 80_000_000, batch, 80_000_000).is_ok());
        let err = check_streamed_memory(model, most, batch, most).unwrap_err().to_string();
        assert!(err.contains(&format!("`--trials {most}` with `--batch-trials {batch}` would need 9.2 GiB")), "{err}");
        assert!(check_streamed_memory(model, 0, batch, most / 4).is_ok());
    }
}
