//! `chokepoint run`: simulate the trials of a scenario, write every output file, print the report; or, with
//! `--shard I/N` or `--trials-from A --trials-to B`, run a part of the trials into a shard folder for `merge`.

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use crate::cli::RunArgs;
use crate::failure::Failure;
use crate::options::OptionInput;
use crate::output_paths::OutputFolder;
use crate::progress::TrialProgress;
use crate::report::REPORT_FILE;
use crate::run_output::{self, Started, Written};
use crate::run_record::Settings;
use crate::scenario_source::{self, LoadedScenario};
use crate::table::{self, ReportFormat};

pub fn run(args: &RunArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let started_at = crate::timestamp::rfc3339_utc(SystemTime::now());
    let mut loaded = scenario_source::load(&args.scenario)?;
    super::print_warnings(&loaded);
    let options = run_output::apply_mitigations(&mut loaded, args.mitigations.iter().map(OptionInput::read))?;
    let range = match args.shard {
        Some(shard) => Some(shard.range(args.trials).map_err(Failure::Usage)?),
        None => None,
    };
    let model = &loaded.scenario.model;
    match &range {
        // A shard holds one batch of results at a time and no summary.
        Some(r) => crate::output_paths::check_streamed_memory(model, 0, args.batch_trials.min(r.end - r.start)),
        None => crate::output_paths::check_streamed_memory(model, args.trials, args.batch_trials.min(args.trials)),
    }
    .map_err(|e| Failure::Usage(format!("{e:#}")))?;
    let out_dir = match (&args.out, &range) {
        (Some(dir), _) => dir.clone(),
        (None, None) => default_out_dir(&loaded)?,
        (None, Some(r)) => {
            let mut dir = default_out_dir(&loaded)?.into_os_string();
            dir.push("-shards");
            PathBuf::from(dir).join(format!("{}-{}", r.start, r.end))
        }
    };
    let folder = OutputFolder::create(&out_dir)?;

    let threads = args.threads.resolve();
    let settings = Settings { seed: args.seed, trials: args.trials, threads, batch_trials: args.batch_trials };
    let started = Started { instant: started, at: started_at };
    if let Some(range) = range {
        let progress = TrialProgress::new(range.end - range.start, args.progress);
        let written = run_output::write_shard(
            &loaded,
            &options,
            &out_dir,
            settings,
            range.clone(),
            &|done| progress.record(done),
            started,
        );
        progress.finish();
        written?;
        folder.keep();
        return Ok(super::print_stdout(&format!(
            "Shard of trials {}..{} of {} written to {}; merge the shards with `chokepoint merge OUT SHARD_DIR...`\n",
            range.start,
            range.end,
            args.trials,
            out_dir.display()
        ))?);
    }
    let progress = TrialProgress::new(args.trials, args.progress);
    let written = run_output::write_run(&loaded, &out_dir, settings, &|done| progress.record(done), started);
    progress.finish();
    let written = written?;
    folder.keep();
    print_run(&written, &out_dir, args.report, args.width)
}

/// Prints the report of a run (or of a merged one): its tables, or the text of `summary.json`.
pub(super) fn print_run(
    written: &Written,
    out_dir: &Path,
    report: ReportFormat,
    width: crate::table::Width,
) -> Result<(), Failure> {
    match report {
        ReportFormat::Table => {
            let report = out_dir.join(REPORT_FILE);
            super::print_stdout(&format!(
                "{}Report: {}\n",
                table::render(&written.document, out_dir, width),
                report.display()
            ))?;
        }
        ReportFormat::Json => super::print_stdout(&written.summary_json)?,
    }
    Ok(())
}

/// `out/<scenario name>`, or `out/<scenario name>+<mitigation>+...` for a run with mitigations.
fn default_out_dir(loaded: &LoadedScenario) -> Result<PathBuf, Failure> {
    // Each name passes the same check as the scenario's: snake_case, so `+` cannot be mistaken for a separator.
    let mut folder = crate::output_paths::scenario_folder(Path::new("out"), &loaded.scenario.name)?;
    for m in &loaded.applied {
        crate::output_paths::scenario_folder(Path::new("out"), m)?;
        folder.as_mut_os_string().push(format!("+{m}"));
    }
    Ok(folder)
}
