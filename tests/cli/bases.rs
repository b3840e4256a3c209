//! Scenarios laid over a base file: the base is read next to the file that names it, and its problems are
//! reported at the base.

use super::{arg, assert_exit, chokepoint, entries, stderr, stdout};

#[test]
fn the_shipped_mitigations_overlay_runs_with_its_base() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = chokepoint(&["run", "scenarios/mitigations_2025.toml", "--trials", "20", "--quiet", "--out", arg(&out)]);
    assert_exit(&o, 0);
    assert!(stdout(&o).starts_with("mitigations_2025 · 20 trials"), "{}", stdout(&o));
    assert!(entries(&out).contains(&"summary.json".to_owned()));
}

#[test]
fn a_problem_in_the_base_is_reported_at_the_base_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("bases")).unwrap();
    std::fs::write(
        dir.path().join("bases/broken.toml"),
        "[scenario]\nname = \"broken\"\n\n[materials.magnet]\nunit = \"t\"\ncolour = \"grey\"\n",
    )
    .unwrap();
    let overlay = dir.path().join("overlay.toml");
    std::fs::write(&overlay, "[scenario]\nname = \"overlay\"\nbase = \"bases/./broken.toml\"\n").unwrap();
    let o = chokepoint(&["validate", arg(&overlay)]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    let base = dir.path().join("bases/broken.toml");
    assert!(err.contains(&format!("{}:6:1", base.display())), "the error points into the base: {err}");
    assert!(err.contains("unknown-key") && err.contains("colour"), "{err}");
}

#[test]
fn a_missing_base_is_refused_at_the_base_key() {
    let dir = tempfile::tempdir().unwrap();
    let overlay = dir.path().join("overlay.toml");
    std::fs::write(&overlay, "[scenario]\nname = \"overlay\"\nbase = \"nowhere.toml\"\n").unwrap();
    let o = chokepoint(&["validate", arg(&overlay)]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(err.contains("base-not-available") && err.contains("overlay.toml:3:8"), "{err}");
}
