//! Snapshot tests of the diagnostics for a corpus of bad scenarios in `tests/data/invalid/`.
//!
//! Each `NN-short-name.toml` is parsed and its rendered diagnostics are compared with `NN-short-name.diag` next to
//! it. Run with `CHOKEPOINT_BLESS=1` to write the snapshots instead, then read them: each message alone must tell
//! a user what to change. Bases named by `scenario.base` are read relative to the file naming them (bad bases
//! live in `tests/data/invalid/bases/`, which the corpus itself does not list; good ones in `tests/data/valid/`).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

mod base_files;
use base_files::{repo_root, resolve};

fn corpus_dir() -> PathBuf {
    repo_root().join("tests/data/invalid")
}

/// Decodes and parses a corpus file as `chokepoint` does: bytes that are not UTF-8 are refused by [`decode`].
///
/// [`decode`]: chokepoint_scenario::decode
fn parse(origin: &str, bytes: &[u8]) -> Result<chokepoint_scenario::Scenario, chokepoint_scenario::Diagnostics> {
    let source = chokepoint_scenario::decode(origin, bytes)?;
    chokepoint_scenario::parse_with(origin, &source, &mut resolve)
}

fn corpus() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(corpus_dir())
        .expect("tests/data/invalid exists")
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_bad_scenario_renders_as_its_snapshot() {
    let bless = std::env::var("CHOKEPOINT_BLESS").is_ok_and(|v| v == "1");
    let files = corpus();
    assert!(files.len() >= 30, "the corpus has {} files", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let origin = origin_of(path);
        let source = fs::read(path).expect("a readable scenario");
        let diagnostics = match parse(&origin, &source) {
            Ok(_) => {
                failures.push(format!("{origin}: parsed without errors"));
                continue;
            }
            Err(d) => d,
        };
        assert!(diagnostics.error_count() >= 1, "{origin}: no error");
        let rendered = diagnostics.render();
        let snapshot = path.with_extension("diag");
        if bless {
            fs::write(&snapshot, &rendered).expect("a writable snapshot");
        } else {
            let expected = fs::read_to_string(&snapshot).unwrap_or_default();
            if expected != rendered {
                failures
                    .push(format!("{origin}: rendered diagnostics differ from {}:\n{rendered}", snapshot.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}\n(set CHOKEPOINT_BLESS=1 to update the snapshots)", failures.join("\n"));
}

#[test]
fn every_error_code_appears_in_the_corpus() {
    let mut seen = BTreeSet::new();
    for path in corpus() {
        let source = fs::read(&path).expect("a readable scenario");
        if let Err(d) = parse(&origin_of(&path), &source) {
            seen.extend(d.items.iter().map(|i| i.code));
        }
    }
    // `not-allowed-in-overlay` only comes from `Scenario::add_overlay`, tested in the crate's unit tests.
    let missing: Vec<&str> = chokepoint_scenario::CODES
        .iter()
        .map(|(code, _)| *code)
        .filter(|code| !["capacity-below-baseline", "not-allowed-in-overlay"].contains(code) && !seen.contains(code))
        .collect();
    assert!(missing.is_empty(), "codes never exercised by the corpus: {missing:?}");
}

#[test]
fn diagnostics_are_sorted_and_name_a_key_with_help() {
    for path in corpus() {
        let source = fs::read(&path).expect("a readable scenario");
        let Err(d) = parse(&origin_of(&path), &source) else { continue };
        // Sorted by position within each file, the file named first before its bases.
        let located: Vec<(Option<&String>, usize)> =
            d.items.iter().filter_map(|i| i.span.as_ref().map(|s| (i.origin.as_ref(), s.start))).collect();
        assert!(
            located.windows(2).all(|w| w[0].0 != w[1].0 || w[0].1 <= w[1].1),
            "{}: not sorted by position",
            path.display()
        );
        for item in &d.items {
            assert!(item.help.is_some(), "{}: `{}` has no help line", path.display(), item.code);
            assert!(chokepoint_scenario::CODES.iter().any(|(c, _)| *c == item.code), "unlisted code {}", item.code);
        }
    }
}

fn origin_of(path: &Path) -> String {
    let name = path.file_name().and_then(|n| n.to_str()).expect("a UTF-8 file name");
    format!("tests/data/invalid/{name}")
}
