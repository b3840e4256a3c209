//! `chokepoint batch`: run many scenarios in one go, each into its own output folder through the code of `run`,
//! with one progress bar over all their trials, and write a cross-scenario summary.
//!
//! Every scenario is read and checked before any trial runs, so a broken file stops the batch at once. A file
//! that holds only mitigations and packages over a base (such as `mitigations_2025.toml`) is not a scenario of
//! its own: it is skipped with a note, or, with `--compare`, compared against its base (`chokepoint compare
//! FILE --all`). A scenario whose folder already holds a complete run for the same bytes (its own and its
//! bases'), seed, trial count and tool version is not run again ("skipped (up to date)"), so an interrupted
//! batch resumes where it stopped.

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::cli::{BatchArgs, CompareArgs, TrialSettings};
use crate::documents::run_record::{RunRecord, Settings};
use crate::documents::summary::to_json_text;
use crate::failure::Failure;
use crate::files::batch::{self, BATCH_CSV_FILE, BATCH_PARQUET_FILE, BatchFormat, BatchRow, RunStatus};
use crate::files::folders::{OutputFolder, OutputPath};
use crate::files::run::{Started, Written, write_run};
use crate::files::staged::StagedFiles;
use crate::files::tables::{self, RUN_JSON_FILE, SUMMARY_JSON_FILE};
use crate::files::trials::DEFAULT_BATCH_TRIALS;
use crate::render::console;
use crate::render::progress::TrialProgress;
use crate::render::table::ReportFormat;
use crate::scenario_source::{self, LoadedScenario, ScenarioSource, SourceDigest};

/// The file, next to a scenario's run files, that records the digests of the scenario and of its bases, so
/// that a change in a base makes the run out of date (`run.json` records the scenario's own digest only).
pub const SOURCES_FILE: &str = "batch_sources.json";

/// What a batch found in a file.
#[derive(Debug)]
enum Entry {
    Scenario(Box<LoadedScenario>),
    /// Only mitigations and packages over a base.
    Overlay {
        path: PathBuf,
        name: String,
    },
}

/// The digests of a scenario's files, as recorded in [`SOURCES_FILE`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Sources {
    scenario_sha256: String,
    /// The bases' digests, in the order they were read.
    bases_sha256: Vec<String>,
}

impl Sources {
    fn of(loaded: &LoadedScenario) -> Self {
        Self {
            scenario_sha256: loaded.sha256.clone(),
            bases_sha256: loaded.bases.iter().map(|b: &SourceDigest| b.sha256.clone()).collect(),
        }
    }
}

pub fn batch(args: &BatchArgs) -> Result<(), Failure> {
    let files = scenario_files(&args.inputs)?;
    let mut entries = Vec::with_capacity(files.len());
    for path in &files {
        entries.push(read_entry(path, &args.set)?);
    }
    let scenarios: Vec<&LoadedScenario> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Scenario(s) => Some(s.as_ref()),
            Entry::Overlay { .. } => None,
        })
        .collect();
    for (i, a) in scenarios.iter().enumerate() {
        if let Some(b) = scenarios[..i].iter().find(|b| b.scenario.name == a.scenario.name) {
            return Err(Failure::Usage(format!(
                "`{}` and `{}` are both scenario `{}`: their outputs would share `{}`; rename one",
                b.origin,
                a.origin,
                a.scenario.name,
                args.out.join(&a.scenario.name).display()
            )));
        }
    }
    let folders: Vec<OutputPath> = scenarios
        .iter()
        .map(|s| OutputPath::of_scenario(&args.out, &s.scenario.name, &[]))
        .collect::<anyhow::Result<_>>()?;
    for s in &scenarios {
        crate::files::folders::check_streamed_memory(&s.scenario.model, args.trials, DEFAULT_BATCH_TRIALS, args.trials)
            .map_err(|e| Failure::Usage(format!("{e:#}")))?;
        super::print_warnings(s);
    }

    let overlays: Vec<(&PathBuf, &String)> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Overlay { path, name } => Some((path, name)),
            Entry::Scenario(_) => None,
        })
        .collect();
    let compare_folders: Vec<OutputPath> = if args.compare {
        overlays
            .iter()
            .map(|(_, name)| OutputPath::of_scenario(&args.out, name, &["compare"]))
            .collect::<anyhow::Result<_>>()?
    } else {
        Vec::new()
    };

    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("could not create output folder `{}`", args.out.display()))?;
    // A link planted where a scenario's folder goes is refused before anything runs (and never read through).
    for folder in folders.iter().chain(&compare_folders) {
        folder.check()?;
    }
    let settings = Settings {
        seed: args.seed,
        trials: args.trials,
        threads: args.threads.resolve(),
        batch_trials: DEFAULT_BATCH_TRIALS,
    };
    let fresh: Vec<bool> = scenarios.iter().zip(&folders).map(|(s, f)| up_to_date(&f.path(), s, settings)).collect();
    let to_run = fresh.iter().filter(|f| !**f).count() as u64;
    let progress = TrialProgress::new(args.trials * to_run, args.progress);
    let mut rows: Vec<BatchRow> = Vec::new();
    let mut offset = 0;
    for ((loaded, fresh), folder) in scenarios.iter().zip(fresh).zip(&folders) {
        let outcome = if fresh {
            read_summary(&folder.path()).map(|text| (text, RunStatus::UpToDate)).map_err(Failure::from)
        } else {
            let done = run_one(loaded, folder, settings, &|done| progress.record(offset + done));
            offset += args.trials;
            done.map(|text| (text, RunStatus::Ran))
        };
        let (summary_json, status) = match outcome {
            Ok(x) => x,
            Err(e) => {
                progress.finish();
                return Err(e);
            }
        };
        rows.extend(batch::rows_of(&summary_json, status)?);
    }
    progress.finish();

    let mut files = StagedFiles::new(&args.out);
    files.write(BATCH_CSV_FILE, |w| batch::write_csv(w, &rows))?;
    files.write(BATCH_PARQUET_FILE, |w| batch::write_parquet(w, &rows))?;
    files.commit()?;

    let mut text = match args.format {
        BatchFormat::Table => {
            format!("{}\nOutputs in {}\n", crate::render::batch::render_table(&rows), args.out.display())
        }
        BatchFormat::Markdown => crate::render::batch::render_markdown(&rows),
        BatchFormat::Json => to_json_text(&rows)?,
    };
    if !args.compare {
        for (path, _) in &overlays {
            crate::render::console::eprintln(&format!(
                "note: `{}` holds only mitigations and packages, so it is not run on its own; compare them with \
                 `chokepoint batch --compare` or `chokepoint compare {} --all`",
                path.display(),
                path.display()
            ));
        }
    }
    if args.format == BatchFormat::Table && !args.compare && !overlays.is_empty() {
        text.push_str(&format!("Skipped {} file(s) of mitigations only (see the notes on stderr)\n", overlays.len()));
    }
    super::print_stdout(&text)?;

    if args.compare {
        for ((path, _), folder) in overlays.into_iter().zip(&compare_folders) {
            // Created (or entered) here, without following a link; the comparison then writes into it.
            let created = OutputFolder::create(folder)?;
            let compare = CompareArgs {
                scenario: ScenarioSource::File(path.clone()),
                options: Vec::new(),
                all: true,
                settings: TrialSettings {
                    trials: args.trials,
                    seed: args.seed,
                    threads: args.threads,
                    out: Some(folder.path()),
                    progress: args.progress,
                    report: if args.format == BatchFormat::Json { ReportFormat::Json } else { ReportFormat::Table },
                    width: crate::render::table::Width::Narrow,
                },
                set: args.set.clone(),
                shard: None,
                evppi: crate::cli::study::EvppiArgs { enabled: false, params: Vec::new(), samples: 0, trials: 0 },
            };
            super::execute(crate::cli::Command::Compare(compare))?;
            created.keep();
        }
    }
    Ok(())
}

/// The scenario files named by `inputs`: a folder's `.toml` files (not its subfolders'), in name order, and
/// files as given; each once.
fn scenario_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
    let mut files: Vec<PathBuf> = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found: Vec<PathBuf> = Vec::new();
            let entries =
                std::fs::read_dir(input).with_context(|| format!("could not read folder `{}`", input.display()))?;
            for entry in entries.filter_map(Result::ok) {
                let path = entry.path();
                if path.extension().is_none_or(|x| x != "toml") {
                    continue;
                }
                // The entry's own type, not its target's: a link planted in the folder is not followed (it could
                // lead to any file, whose text a diagnostic would quote). Named on the command line, it is read.
                match entry.file_type() {
                    Ok(t) if t.is_file() => found.push(path),
                    Ok(t) if t.is_symlink() => console::eprintln(&format!(
                        "{} skipping `{}`: a symbolic link in the folder is not followed (name the file itself to \
                         run it)",
                        console::warning_label(),
                        path.display()
                    )),
                    _ => {}
                }
            }
            found.sort();
            if found.is_empty() {
                return Err(Failure::Usage(format!("folder `{}` holds no `.toml` scenario", input.display())));
            }
            files.extend(found);
        } else {
            files.push(input.clone());
        }
    }
    let mut unique: Vec<PathBuf> = Vec::with_capacity(files.len());
    for f in files {
        if !unique.contains(&f) {
            unique.push(f);
        }
    }
    Ok(unique)
}

/// Reads `path`: a scenario, or a file of mitigations and packages over a base. A file is the latter when it
/// names a base and can be added to that base as a mitigation overlay, which the scenario crate allows only for
/// files holding nothing but `[scenario]`, mitigations and packages.
fn read_entry(path: &Path, set: &[String]) -> Result<Entry, Failure> {
    let loaded = scenario_source::load_with(&ScenarioSource::File(path.to_owned()), set)?;
    if let Some(base) = loaded.bases.first() {
        let mut base = scenario_source::load_with(&ScenarioSource::File(PathBuf::from(&base.origin)), set)?;
        let overlay = scenario_source::read_overlay(path)?;
        if base.scenario.add_overlay(&overlay.origin, &overlay.text).is_ok() {
            return Ok(Entry::Overlay { path: path.to_owned(), name: loaded.scenario.name });
        }
    }
    Ok(Entry::Scenario(Box::new(loaded)))
}

/// Whether `dir` holds a complete run of `loaded` with these settings: `run.json` names the same scenario digest,
/// `--set` settings, seed, trial count and tool version, every file it lists is there, and [`SOURCES_FILE`] holds
/// the same digests of the scenario and its bases.
fn up_to_date(dir: &Path, loaded: &LoadedScenario, settings: Settings) -> bool {
    let Ok(text) = std::fs::read_to_string(dir.join(RUN_JSON_FILE)) else { return false };
    // A record this version cannot read (another schema, a damaged file) is not up to date.
    let Ok(record) = serde_json::from_str::<RunRecord>(&text) else { return false };
    let same = record.scenario.sha256 == loaded.sha256
        && record.seed == settings.seed
        && record.trials == settings.trials
        && record.tool.version == env!("CARGO_PKG_VERSION")
        && record.scenario.settings == loaded.settings;
    let complete = record.files.iter().all(|name| dir.join(name).is_file());
    let sources = std::fs::read_to_string(dir.join(SOURCES_FILE))
        .ok()
        .and_then(|text| serde_json::from_str::<Sources>(&text).ok());
    same && complete && sources.as_ref() == Some(&Sources::of(loaded))
}

fn read_summary(dir: &Path) -> anyhow::Result<String> {
    let path = dir.join(SUMMARY_JSON_FILE);
    std::fs::read_to_string(&path).with_context(|| format!("could not read `{}`", path.display()))
}

/// Runs one scenario into `out` with `run`'s code, then records its sources; returns its `summary.json` text.
fn run_one(
    loaded: &LoadedScenario,
    out: &OutputPath,
    settings: Settings,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<String, Failure> {
    let started = Started { instant: Instant::now(), at: crate::documents::timestamp::rfc3339_utc(SystemTime::now()) };
    let folder = OutputFolder::create(out)?;
    let dir = &out.path();
    // An earlier record of the sources goes first, so that a run interrupted from here on is never taken as
    // up to date.
    let _ = std::fs::remove_file(dir.join(SOURCES_FILE));
    let Written { summary_json, .. } = write_run(loaded, dir, settings, progress, started, None)?;
    folder.keep();
    let mut files = StagedFiles::new(dir);
    tables::write_json(&mut files, SOURCES_FILE, &Sources::of(loaded))?;
    files.commit()?;
    Ok(summary_json)
}
