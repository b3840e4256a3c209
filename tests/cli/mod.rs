//! End-to-end tests of the `chokepoint` binary: each runs the built executable on small scenarios.

mod bases;
mod compare;
mod doc_figures;
mod golden;
mod graph;
mod hardening;
mod optimize;
mod run;
mod scenarios;
mod shards;
mod size_stockpile;
mod studies;
mod validate;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use polars::prelude::{DataFrame, DataType, ParquetReader, SerReader};

/// The small valid scenario shared with the scenario crate's tests.
pub(crate) fn small_chain() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/valid/small_chain.toml")
}

/// Runs `chokepoint` with `args`, stdin closed, stdout and stderr captured.
pub(crate) fn chokepoint(args: &[&str]) -> Output {
    chokepoint_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// Runs `chokepoint` with `args`, `input` on its standard input.
pub(crate) fn chokepoint_with_input(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_chokepoint"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the chokepoint binary starts");
    let mut stdin = child.stdin.take().expect("a pipe");
    // The binary may stop reading early (a refused size): a closed pipe here is not the test's failure.
    let _ = stdin.write_all(input);
    drop(stdin);
    child.wait_with_output().expect("the binary ends")
}

/// Runs `chokepoint` with `args` in folder `cwd`.
pub(crate) fn chokepoint_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chokepoint"))
        .args(args)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the chokepoint binary starts")
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts the exit code, showing the output when it differs.
#[track_caller]
pub(crate) fn assert_exit(o: &Output, code: i32) {
    assert_eq!(o.status.code(), Some(code), "stdout:\n{}\nstderr:\n{}", stdout(o), stderr(o));
}

/// A path as a `&str` argument.
pub(crate) fn arg(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}

/// The table of a Parquet file.
fn read_parquet(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap()).finish().unwrap()
}

/// The key-value metadata of a Parquet file, in order.
fn parquet_key_values(path: &Path) -> Vec<(String, String)> {
    let mut reader = ParquetReader::new(std::fs::File::open(path).unwrap());
    let metadata = reader.get_metadata().unwrap();
    let pairs = metadata.key_value_metadata.clone().unwrap_or_default();
    pairs.into_iter().map(|kv| (kv.key, kv.value.unwrap_or_default())).collect()
}

/// Asserts that the Parquet file `path` says which run made it: the scenario's digest (from `record`, a JSON
/// document with a `scenario.sha256` or `sha256` field), the seed and the trials of each run.
fn assert_made_by(path: &Path, record: &serde_json::Value, seed: u64, trials: u64) {
    let pairs = parquet_key_values(path);
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let sha = record["scenario"]["sha256"].as_str().or(record["sha256"].as_str()).expect("a digest");
    assert_eq!(get("chokepoint.scenario_sha256").as_deref(), Some(sha), "{}: {pairs:?}", path.display());
    assert_eq!(get("chokepoint.seed"), Some(seed.to_string()), "{}", path.display());
    assert_eq!(get("chokepoint.trials"), Some(trials.to_string()), "{}", path.display());
    assert_eq!(get("chokepoint.version").as_deref(), Some(env!("CARGO_PKG_VERSION")));
}

/// The names and types of a table's columns, in order.
fn columns(df: &DataFrame) -> Vec<(String, DataType)> {
    df.schema().iter().map(|(name, dtype)| (name.to_string(), dtype.clone())).collect()
}

/// The JSON document in file `path`.
pub(crate) fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Names of the entries of folder `dir`, sorted.
pub(crate) fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("folder exists")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A small scenario with two problems: an unknown stage in a link and shares that do not sum to one.
const TWO_PROBLEMS: &str = r#"
[scenario]
name = "two_problems"

[materials.magnet]
unit = "t"

[stages.jp_magnets]
region = "JP"
capacity_t_per_year = 100
outputs = { magnet = 1.0 }

[[links]]
from = "jp_magnetz"
to = "ev_motors"
material = "magnet"
share = 0.5

[[links]]
from = "jp_magnets"
to = "ev_motors"
material = "magnet"
share = 0.3

[end_uses.ev_motors]
region = "JP"
demand_units_per_year = 1000
intensity = { magnet = 0.002 }
"#;
