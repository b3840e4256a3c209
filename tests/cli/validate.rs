//! `chokepoint validate`: exit codes and messages on good and bad scenarios; usage errors.

use super::{TWO_PROBLEMS, arg, assert_exit, chokepoint, small_chain, stderr, stdout};

#[test]
fn a_valid_scenario_gives_one_ok_line_and_exit_0() {
    let o = chokepoint(&["validate", arg(&small_chain())]);
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with("ok: ") && out.contains("small_chain"), "{out}");
}

#[test]
fn an_invalid_scenario_lists_every_problem_on_stderr_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two_problems.toml");
    std::fs::write(&path, TWO_PROBLEMS).unwrap();
    let o = chokepoint(&["validate", arg(&path)]);
    assert_exit(&o, 2);
    assert!(o.stdout.is_empty(), "nothing on stdout: {}", stdout(&o));
    let err = stderr(&o);
    assert!(err.contains("unknown-stage"), "{err}");
    assert!(err.contains("two_problems.toml:"), "diagnostics name the file: {err}");
    // One summary line at the end, not two near-duplicates.
    assert!(err.trim_end().ends_with("two_problems.toml`: 2 errors"), "{err}");
    assert_eq!(err.lines().filter(|l| l.starts_with("error:")).count(), 1, "{err}");
}

#[test]
fn every_scenario_in_the_invalid_corpus_is_refused_with_exit_2() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/invalid");
    let Ok(entries) = std::fs::read_dir(&dir) else { return };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let o = chokepoint(&["validate", arg(&path)]);
            assert_exit(&o, 2);
            assert!(stderr(&o).contains("error"), "{}: {}", path.display(), stderr(&o));
        }
    }
}

#[test]
fn a_missing_file_is_a_runtime_error_with_exit_1() {
    let o = chokepoint(&["validate", "no/such/scenario.toml"]);
    assert_exit(&o, 1);
    assert!(stderr(&o).starts_with("error: could not read scenario `no/such/scenario.toml`"), "{}", stderr(&o));
}

#[test]
fn usage_errors_exit_2() {
    assert_exit(&chokepoint(&["run", "--trials", "0"]), 2);
    assert_exit(&chokepoint(&["run", "--format", "yaml"]), 2);
    assert_exit(&chokepoint(&["simulate"]), 2);
    assert_exit(&chokepoint(&["validate"]), 2);
}

#[test]
fn help_and_version_exit_0() {
    let o = chokepoint(&["--version"]);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains(env!("CARGO_PKG_VERSION")));
    assert_exit(&chokepoint(&["run", "--help"]), 0);
}
