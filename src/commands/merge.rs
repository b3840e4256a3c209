//! `chokepoint merge OUT SHARD_DIR...`: the outputs of a whole run (or comparison) from its shards, byte for byte
//! those of one run of all the trials but for the wall times and the list of shards in the record.
//!
//! Every check runs before anything is written: each folder holds a shard's manifest; the shards belong together
//! (`shard::check_shards`); their files hold what their manifests say; the output folder is none of them. The
//! scenario is read again from the text the manifests recorded, with its mitigations, so the merge needs no file
//! but the shards.

use std::path::Path;
use std::time::{Instant, SystemTime};

use crate::cli::MergeArgs;
use crate::failure::Failure;
use crate::files::folders::{OutputFolder, OutputPath};
use crate::files::run::{self, Started};
use crate::files::shard::{Shard, ShardKind, check_shards};
use crate::options::OptionInput;
use crate::scenario_source;

pub fn merge(args: &MergeArgs) -> Result<(), Failure> {
    let started = Started { instant: Instant::now(), at: crate::documents::timestamp::rfc3339_utc(SystemTime::now()) };
    let shards = args.shards.iter().map(|dir| Shard::read(dir)).collect::<Result<Vec<_>, _>>()?;
    let shards = check_shards(shards)?;
    for shard in &shards {
        if same_folder(&args.out, &shard.dir) {
            return Err(Failure::Usage(format!(
                "the output folder `{}` is shard `{}`: merge into another folder",
                args.out.display(),
                shard.name()
            )));
        }
    }
    let first = &shards[0].manifest;
    for option in &first.options {
        if let OptionInput::Overlay { file, .. } = option {
            file.check_digest()?;
        }
    }
    let mut loaded = scenario_source::load_recorded(
        &first.scenario.origin,
        &first.scenario.text,
        &first.scenario.bases,
        &first.scenario.settings,
    )?;
    if loaded.sha256 != first.scenario.sha256 {
        return Err(Failure::Runtime(anyhow::anyhow!(
            "the recorded text of scenario `{}` in shard `{}` does not match its SHA-256 {}",
            first.scenario.origin,
            shards[0].name(),
            first.scenario.sha256
        )));
    }
    match first.kind {
        ShardKind::Run => {
            run::apply_mitigations(&mut loaded, first.options.iter().cloned().map(Ok))?;
            let folder = OutputFolder::create(&OutputPath::given(&args.out))?;
            let written = run::merge_run(&loaded, &shards, &args.out, started)?;
            folder.keep();
            crate::render::run::print_run(&written, &args.out, args.report, args.width)
        }
        ShardKind::Compare => crate::files::comparison::merge_compare(&mut loaded, &shards, args, started),
    }
}

/// Whether `a` and `b` name the same existing folder.
fn same_folder(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
