//! `chokepoint trace`: trace a few trials, each also without the scenario's disruptions (the analysis library's
//! `flows::trace`), and write their weekly flows (`flows.parquet`, `flows.csv`) with a monthly table of the export,
//! import and throughput indices (`render::trace`).
//!
//! Trial `i` is trial `i` of `chokepoint run` with the same seed, so its outcome is the one `trials.parquet`
//! reports.

use std::fmt::Write as _;
use std::ops::ControlFlow;

use anyhow::{Context, anyhow};
use chokepoint_analysis::flows::{self, FlowsError};
use serde::Serialize;

use crate::cli::TraceArgs;
use crate::documents::summary::{SCHEMA_VERSION, Tool};
use crate::failure::Failure;
use crate::files::flows::{FLOWS_CSV_FILE, FLOWS_PARQUET_FILE, write_csv, write_parquet};
use crate::files::folders::{OutputFolder, OutputPath};
use crate::files::staged::StagedFiles;
use crate::files::tables::{self, Origin};
use crate::render::progress::TrialProgress;
use crate::render::trace::monthly_table;

pub const TRACE_JSON_FILE: &str = "trace.json";

/// The record of a trace: what was traced.
#[derive(Debug, Serialize)]
struct TraceRecord {
    schema_version: u32,
    tool: Tool,
    scenario: String,
    origin: String,
    sha256: String,
    /// The `--set KEY=VALUE` settings applied, in order.
    settings: Vec<String>,
    seed: u64,
    trials: u64,
    with: Vec<String>,
    files: Vec<&'static str>,
}

pub fn trace(args: &TraceArgs) -> Result<(), Failure> {
    let loaded = super::open_scenario(&args.scenario, &args.set)?;
    let names: Vec<&str> = args.with.iter().map(String::as_str).collect();
    let model = loaded.scenario.variant(&names).map_err(crate::options::variant_failure)?;
    crate::files::folders::check_trace_memory(&model, args.trials).map_err(|e| Failure::Usage(format!("{e:#}")))?;
    let trials = usize::try_from(args.trials).context("too many trials")?;
    let progress = TrialProgress::new(args.trials, args.progress);
    let flows = flows::trace_cancellable(&model, args.seed, trials, &|done| {
        progress.record(done);
        ControlFlow::Continue(())
    });
    progress.finish();
    let flows = flows.map_err(|e| match e {
        FlowsError::CalmModel(e) => anyhow!("could not remove the disruptions: {e:?}"),
        FlowsError::NoTrials | FlowsError::Cancelled => anyhow!("{e}"),
    })?;

    let out_path = match &args.out {
        Some(dir) => OutputPath::given(dir),
        None => OutputPath::default_of(&loaded.scenario.name, &["trace"])?,
    };
    let out_dir = out_path.path();
    let folder = OutputFolder::create(&out_path)?;
    let mut files = StagedFiles::new(&out_dir);
    let origin = Origin {
        scenario: &loaded.scenario.name,
        scenario_sha256: &loaded.sha256,
        seed: args.seed,
        trials: trials as u64,
    };
    files.write(FLOWS_PARQUET_FILE, |w| write_parquet(w, &flows, origin))?;
    files.write(FLOWS_CSV_FILE, |w| write_csv(w, &flows))?;
    let record = TraceRecord {
        schema_version: SCHEMA_VERSION,
        tool: Tool::this(),
        scenario: loaded.scenario.name.clone(),
        origin: loaded.origin.clone(),
        sha256: loaded.sha256.clone(),
        settings: loaded.settings.clone(),
        seed: args.seed,
        trials: args.trials,
        with: args.with.clone(),
        files: vec![FLOWS_PARQUET_FILE, FLOWS_CSV_FILE, TRACE_JSON_FILE],
    };
    tables::write_json(&mut files, TRACE_JSON_FILE, &record)?;
    files.commit()?;
    folder.keep();

    let mut text = format!(
        "{} · {} traced trials · seed {}{}\n\n",
        loaded.scenario.name,
        args.trials,
        args.seed,
        if args.with.is_empty() { String::new() } else { format!(" · with {}", args.with.join(", ")) }
    );
    text.push_str(&monthly_table(&flows));
    let _ = writeln!(text, "\nOutputs in {}", out_dir.display());
    super::print_stdout(&text)?;
    Ok(())
}
