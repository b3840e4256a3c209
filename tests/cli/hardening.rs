//! Issue 11: hostile scenarios, absurd sizes and bad inputs, and the command-line conventions. Each test is named
//! after what failed before.

use std::path::Path;
use std::process::{Command, Stdio};

use super::{arg, assert_exit, chokepoint, chokepoint_in, chokepoint_with_input, entries, small_chain, stderr, stdout};

/// A valid one-stage scenario named `name`, with extra `[scenario]` keys.
fn tiny(name: &str, scenario_keys: &str) -> String {
    format!(
        "[scenario]\nname = \"{name}\"\n{scenario_keys}\n[materials.magnet]\nunit = \"t\"\n\n[stages.jp_magnets]\n\
         region = \"JP\"\ncapacity_t_per_year = 100\noutputs = {{ magnet = 1 }}\n\n[[links]]\nfrom = \"jp_magnets\"\n\
         to = \"ev_motors\"\nmaterial = \"magnet\"\nshare = 1.0\n\n[end_uses.ev_motors]\nregion = \"JP\"\n\
         demand_units_per_year = 1000\nintensity = {{ magnet = 0.002 }}\n"
    )
}

#[test]
fn issue_11_a_scenario_name_is_never_a_path() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    for name in ["../../escaped", "/tmp/chokepoint_escaped_absolute", "a/b"] {
        std::fs::write(work.join("s.toml"), tiny(name, "")).unwrap();
        let o = chokepoint_in(&work, &["run", "s.toml", "-n", "5", "-q"]);
        assert_exit(&o, 2);
        assert!(stderr(&o).contains("scenario.name"), "{}", stderr(&o));
        let o = chokepoint_in(&work, &["batch", "s.toml", "-n", "5", "-q", "-o", "b"]);
        assert_exit(&o, 2);
    }
    assert_eq!(entries(dir.path()), ["work"]);
    assert_eq!(entries(&work), ["s.toml"]);
    assert!(!Path::new("/tmp/chokepoint_escaped_absolute").exists());
}

#[cfg(unix)]
#[test]
fn issue_11_a_planted_link_in_the_output_folder_is_not_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    for name in ["summary.csv.tmp", "summary.csv", "run.json.tmp"] {
        std::os::unix::fs::symlink(&victim, out.join(name)).unwrap();
    }
    let o = chokepoint(&["run", arg(&small_chain()), "-n", "10", "-q", "-o", arg(&out)]);
    assert_exit(&o, 0);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(!std::fs::symlink_metadata(out.join("summary.csv")).unwrap().file_type().is_symlink());
    assert!(!entries(&out).iter().any(|e| e.starts_with(".chokepoint-staging")), "{:?}", entries(&out));
}

/// A base that would make the tool read, and quote, a file outside the scenario's folder is refused, and its
/// content never appears on stderr.
#[test]
fn issue_11_a_base_cannot_read_or_echo_files_outside_the_scenario_folder() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.toml");
    std::fs::write(&secret, "password = \"hunter2\"\n").unwrap();
    let folder = dir.path().join("scenarios");
    std::fs::create_dir(&folder).unwrap();
    let cases = [
        ("../secret.toml", "lies outside the scenario's folder"),
        ("/etc/passwd", "is an absolute path"),
        ("../../../../../../proc/self/environ", "is not the path of a `.toml` file"),
        ("sub/", "ends with `/`"),
        ("x.toml/", "ends with `/`"),
    ];
    for (base, why) in cases {
        let overlay = folder.join("overlay.toml");
        std::fs::write(&overlay, format!("[scenario]\nname = \"overlay\"\nbase = \"{base}\"\n")).unwrap();
        let o = chokepoint(&["validate", arg(&overlay)]);
        assert_exit(&o, 2);
        let err = stderr(&o);
        assert!(err.contains(why), "{base}: {err}");
        assert!(!err.contains("hunter2") && !err.contains("root:"), "{err}");
    }
    #[cfg(unix)]
    {
        // A link inside the folder that leads out of it.
        std::os::unix::fs::symlink(&secret, folder.join("inside.toml")).unwrap();
        let overlay = folder.join("overlay.toml");
        std::fs::write(&overlay, "[scenario]\nname = \"overlay\"\nbase = \"inside.toml\"\n").unwrap();
        let o = chokepoint(&["validate", arg(&overlay)]);
        assert_exit(&o, 2);
        assert!(stderr(&o).contains("lies outside") && !stderr(&o).contains("hunter2"), "{}", stderr(&o));
    }
}

#[cfg(unix)]
#[test]
fn issue_11_devices_pipes_and_folders_are_refused_without_reading_them() {
    let o = chokepoint(&["validate", "/dev/zero"]);
    assert_exit(&o, 1);
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    let dir = tempfile::tempdir().unwrap();
    let o = chokepoint(&["validate", arg(dir.path())]);
    assert_exit(&o, 1);
    // A pipe named like a scenario, as a base: opened without blocking, then refused.
    let fifo = dir.path().join("pipe.toml");
    if Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success()) {
        let overlay = dir.path().join("overlay.toml");
        std::fs::write(&overlay, "[scenario]\nname = \"overlay\"\nbase = \"pipe.toml\"\n").unwrap();
        let o = chokepoint(&["validate", arg(&overlay)]);
        assert_exit(&o, 2);
        assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    }
}

#[test]
fn issue_11_absurd_sizes_are_refused_up_front_naming_the_limit_and_the_flag() {
    let o = chokepoint(&["run", "--trials", "1000000000000", "-q"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("--trials") && stderr(&o).contains("100000000"), "{}", stderr(&o));
    let o = chokepoint(&["run", "--threads", "10000", "-q"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("--threads") && stderr(&o).contains("1024"), "{}", stderr(&o));
    // Within the flags' ranges, but not within memory for this scenario: refused before any trial runs. A run
    // streams its results, so only two batches of results (and the summaries' columns) must fit (issue 13).
    let dir = tempfile::tempdir().unwrap();
    let o = chokepoint(&["run", "-n", "100000000", "--batch-trials", "100000000", "-q", "-o", arg(dir.path())]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("`--trials 100000000` with `--batch-trials 100000000` would need")
            && err.contains("GiB")
            && err.contains("fewer `--batch-trials`"),
        "{err}"
    );
    assert!(entries(dir.path()).is_empty());
    // A comparison holds every variant's per-trial values.
    let o = chokepoint(&["compare", "scenarios/mitigations_2025.toml", "--all", "-n", "100000000", "-q"]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(err.contains("`--trials 100000000` would need") && err.contains("or fewer"), "{err}");
    // So does each run of a study: the portfolio search, a world, a value-of-information sample.
    let studies: [(&[&str], &str); 4] = [
        (&["optimize", "scenarios/mitigations_2025.toml", "--budget", "1G", "-n", "100000000"], "--trials"),
        (
            &[
                "optimize",
                "scenarios/mitigations_2025.toml",
                "--budget",
                "1G",
                "--evppi",
                "--evppi-trials",
                "100000000",
            ],
            "--evppi-trials",
        ),
        (
            &["compare", "scenarios/mitigations_2025.toml", "--all", "--evppi", "--evppi-trials", "100000000"],
            "--evppi-trials",
        ),
        (&["run", "--worlds", "4", "--world-trials", "100000000"], "--world-trials"),
    ];
    for (args, flag) in studies {
        let out = dir.path().join("study");
        let mut all = args.to_vec();
        all.extend(["-q", "-o", arg(&out)]);
        let o = chokepoint(&all);
        assert_exit(&o, 2);
        let err = stderr(&o);
        assert!(err.contains(&format!("`{flag} 100000000` would need")) && err.contains("or fewer"), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?}: nothing is written");
    }
    // A trace holds every weekly value of every series until it summarises them: 27 GiB at its largest
    // `--trials` for the default scenario, which aborted on a failed allocation.
    let out = dir.path().join("trace");
    let o = chokepoint(&["trace", "scenarios/rare_earths_2025.toml", "--trials", "100000", "-o", arg(&out)]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(err.contains("`--trials 100000` would need") && err.contains("or fewer"), "{err}");
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn issue_11_a_closed_stderr_is_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    // Many problems, so that the diagnostics outgrow any buffering and the write meets the closed pipe.
    let mut text = String::from("[scenario]\nname = \"bad\"\n");
    for i in 0..2000 {
        text.push_str(&format!("[stages.s{i}]\nregion = \"JP\"\ncolour = \"grey\"\n"));
    }
    std::fs::write(&bad, text).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_chokepoint"))
        .args(["validate", arg(&bad)])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2), "not 101 (a panic)");
}

#[test]
fn issue_11_validate_takes_several_files_and_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[scenario]\nname = \"bad\"\n").unwrap();
    let o = chokepoint(&["validate", arg(&small_chain()), arg(&bad), "scenarios/baseline.toml"]);
    assert_exit(&o, 2);
    let out = stdout(&o);
    assert_eq!(out.lines().filter(|l| l.starts_with("ok: ")).count(), 2, "{out}");
    assert!(stderr(&o).contains("bad.toml") && stderr(&o).contains("1 of 3 scenarios failed"), "{}", stderr(&o));

    let text = std::fs::read(small_chain()).unwrap();
    let o = chokepoint_with_input(&["validate", "-"], &text);
    assert_exit(&o, 0);
    assert!(stdout(&o).starts_with("ok: <stdin> is valid: scenario `small_chain`"), "{}", stdout(&o));
    let o = chokepoint_with_input(&["run", "-", "-n", "5", "-q", "-o", arg(&dir.path().join("out"))], &text);
    assert_exit(&o, 0);
    assert!(dir.path().join("out/run.json").is_file());
}

#[test]
fn issue_11_colours_follow_the_color_flag() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[scenario]\nname = \"bad\"\ncolour = 1\n").unwrap();
    let o = chokepoint(&["validate", arg(&bad), "--color", "always"]);
    assert!(stderr(&o).contains("\x1b[1;31merror"), "{}", stderr(&o));
    let o = chokepoint(&["--color=never", "validate", arg(&bad)]);
    assert!(!stderr(&o).contains('\x1b'), "{}", stderr(&o));
    // Not a terminal: `auto` means plain.
    let o = chokepoint(&["validate", arg(&bad)]);
    assert!(!stderr(&o).contains('\x1b'), "{}", stderr(&o));
}

#[test]
fn issue_11_names_of_end_uses_and_stockpiles_get_a_suggestion() {
    let scenario = "tests/data/valid/small_chain_mitigations.toml";
    let sizing = |stockpile: &str, end_use: &str| {
        chokepoint(&[
            "size-stockpile",
            scenario,
            "--stockpile",
            stockpile,
            "--end-use",
            end_use,
            "--max-shortfall-probability",
            "0.1",
            "-n",
            "5",
            "-q",
        ])
    };
    let o = sizing("dy_reserve", "f36");
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("did you mean `f35`?"), "{}", stderr(&o));
    let o = sizing("dy_reserv", "f35");
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("did you mean `dy_reserve`?"), "{}", stderr(&o));
    let o = sizing("more_stok", "f35");
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("did you mean `more_stock`?"), "{}", stderr(&o));
}

#[test]
fn issue_11_help_has_examples_and_describes_each_json_output() {
    let help = |args: &[&str]| stdout(&chokepoint(args));
    assert!(help(&["--help"]).contains("Examples:"));
    assert!(help(&["run", "--help"]).contains("exactly the bytes of summary.json"));
    let compare = help(&["compare", "--help"]);
    assert!(compare.contains("compare.json") && !compare.contains("summary.json"), "{compare}");
    let sizing = help(&["size-stockpile", "--help"]);
    assert!(sizing.contains("sizing.json") && !sizing.contains("summary.json"), "{sizing}");
    assert!(help(&["check", "--help"]).contains("--fail-if"));
}

#[test]
fn issue_11_shell_completions() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = chokepoint(&["completions", shell]);
        assert_exit(&o, 0);
        assert!(stdout(&o).contains("size-stockpile"), "{shell}");
    }
    assert_exit(&chokepoint(&["completions", "tcsh"]), 2);
}

#[test]
fn issue_11_check_fails_the_build_when_a_threshold_is_crossed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    assert_exit(&chokepoint(&["run", arg(&small_chain()), "-n", "20", "-q", "-o", arg(&out)]), 0);
    let check = |conditions: &[&str]| {
        let mut args = vec!["check", arg(&out)];
        for c in conditions {
            args.extend(["--fail-if", c]);
        }
        chokepoint(&args)
    };
    let o = check(&["f35.p_short_or_late.p > 1", "end_uses.ev_motors.share_met.mean < 0"]);
    assert_exit(&o, 0);
    assert!(stdout(&o).starts_with("ok "), "{}", stdout(&o));
    let o = check(&["f35.p_short_or_late.p > 1", "ev_motors.units_short.mean >= 0"]);
    assert_exit(&o, 4);
    assert!(stdout(&o).contains("crossed  ev_motors.units_short.mean >= 0"), "{}", stdout(&o));
    assert!(stderr(&o).contains("1 of 2 thresholds crossed"), "{}", stderr(&o));
    let o = check(&["f35.p_short_or_lat.p > 0.05"]);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("did you mean `p_short_or_late`?") && stderr(&o).contains("`units_short`"),
        "{}",
        stderr(&o)
    );

    // A batch folder: paths start with the scenario.
    let batch = dir.path().join("batch");
    assert_exit(&chokepoint(&["batch", arg(&small_chain()), "-n", "10", "-q", "-o", arg(&batch)]), 0);
    let o = chokepoint(&["check", arg(&batch), "--fail-if", "small_chain.f35.p_short_or_late.p > 1"]);
    assert_exit(&o, 0);
    let o = chokepoint(&["check", arg(&batch), "--fail-if", "small_chian.f35.p_short_or_late.p > 1"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("did you mean `small_chain`?"), "{}", stderr(&o));
}

#[test]
fn issue_11_per_trial_parquet_files_say_which_run_made_them() {
    let dir = tempfile::tempdir().unwrap();
    assert_exit(&chokepoint(&["run", arg(&small_chain()), "-n", "10", "-s", "42", "-q", "-o", arg(dir.path())]), 0);
    let record = super::json(&dir.path().join("run.json"));
    for file in ["trials.parquet", "stage_losses.parquet", "stockpiles.parquet"] {
        super::assert_made_by(&dir.path().join(file), &record, 42, 10);
        let pairs = super::parquet_key_values(&dir.path().join(file));
        let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        // And how its rows are laid out (issue 16).
        assert_eq!(
            (get("chokepoint.trials_from").as_deref(), get("chokepoint.trials_to").as_deref()),
            (Some("0"), Some("10"))
        );
        assert_eq!(get("chokepoint.batch_trials").as_deref(), Some("65536"));
    }
}

/// A one-stage scenario whose capacity is knowledge uncertainty, with `worlds` as given (a TOML value) in
/// `[uncertainty]`.
fn with_worlds(worlds: &str) -> String {
    format!(
        "[scenario]\nname = \"worlds_test\"\n\n[materials.ore]\nunit = \"t\"\n\n[stages.mine]\nregion = \"CN\"\n\
         capacity_t_per_year = {{ uniform = {{ min = 900, max = 1100 }} }}\noutputs = {{ ore = 1 }}\n\n[[links]]\n\
         from = \"mine\"\nto = \"user\"\nmaterial = \"ore\"\nshare = 1.0\n\n[end_uses.user]\nregion = \"JP\"\n\
         demand_units_per_year = 1000\nintensity = {{ ore = 1 }}\n\n[uncertainty]\n\
         knowledge = [\"stages.mine.capacity_t_per_year\"]\nworlds = {worlds}\n"
    )
}

/// `[uncertainty] worlds` had no upper limit: `validate` accepted 2^63 − 1 worlds and `run` panicked ("capacity
/// overflow", exit 101) or tried to allocate terabytes, after printing a cost line that had wrapped around.
#[test]
fn hardening_scenario_worlds_have_a_maximum() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("w.toml");
    let out = dir.path().join("out");
    for worlds in ["9223372036854775807", "1000000000000", "100001"] {
        std::fs::write(&scenario, with_worlds(worlds)).unwrap();
        let o = chokepoint(&["validate", arg(&scenario)]);
        assert_exit(&o, 2);
        let err = stderr(&o);
        assert!(
            err.contains("error[invalid-value]: `uncertainty.worlds`")
                && err.contains("more than the 100000 worlds")
                && err.contains("w.toml:25:10"),
            "{worlds}: {err}"
        );
        let o = chokepoint(&["run", arg(&scenario), "-n", "10", "-j", "1", "-q", "-o", arg(&out)]);
        assert_exit(&o, 2);
        assert!(!out.exists(), "{worlds}: nothing is written");
    }
    // Listed with the scenario's other problems.
    let text = with_worlds("9223372036854775807").replace("share = 1.0", "share = 1.5");
    std::fs::write(&scenario, text).unwrap();
    let err = stderr(&chokepoint(&["validate", arg(&scenario)]));
    assert!(err.contains("`uncertainty.worlds`") && err.contains("2 errors"), "{err}");
    // The largest number of worlds is allowed.
    std::fs::write(&scenario, with_worlds("100000")).unwrap();
    assert_exit(&chokepoint(&["validate", arg(&scenario)]), 0);
}

/// A `worlds` of the wrong type made a valid `knowledge` key report a second, spurious error (`unknown-parameter`).
#[test]
fn hardening_a_bad_worlds_value_leaves_knowledge_keys_alone() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("w.toml");
    std::fs::write(&scenario, with_worlds("1.5")).unwrap();
    let o = chokepoint(&["validate", arg(&scenario)]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(err.contains("`uncertainty.worlds` has the wrong type") && err.contains(": 1 error"), "{err}");
    assert!(!err.contains("unknown-parameter"), "{err}");
}

/// `--worlds` had no upper limit either, and the trials of the worlds (worlds × `--world-trials`) were multiplied
/// without a check: a panic on overflow, or a cost line that had wrapped around, and no limit on the trials.
#[test]
fn hardening_command_line_worlds_are_bounded_and_their_trials_checked() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("w.toml");
    std::fs::write(&scenario, with_worlds("4")).unwrap();
    let out = dir.path().join("out");
    let run = |extra: &[&str]| {
        let mut args = vec!["run", arg(&scenario), "-n", "10", "-j", "1", "-q", "-o", arg(&out)];
        args.extend(extra);
        chokepoint(&args)
    };
    for worlds in ["9223372036854775807", "1000000000000", "18446744073709551616", "100001"] {
        let o = run(&["--worlds", worlds]);
        assert_exit(&o, 2);
        let err = stderr(&o);
        assert!(err.contains("--worlds") && err.contains("100000"), "{worlds}: {err}");
        assert!(!out.exists(), "{worlds}: nothing is written");
    }
    // Each within its range, but too many trials together: refused before any trial runs.
    let o = run(&["--worlds", "100000", "--world-trials", "100000"]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("`--worlds 100000` × `--world-trials 100000` = 10,000,000,000 trials")
            && err.contains("100,000,000"),
        "{err}"
    );
    assert!(!out.exists(), "nothing is written");
    // The same from the scenario's `worlds`.
    std::fs::write(&scenario, with_worlds("100000")).unwrap();
    let o = run(&["--world-trials", "1001"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("`uncertainty.worlds` (100,000) × `--world-trials 1001`"), "{}", stderr(&o));
    assert!(!out.exists(), "nothing is written");
}

/// Sizes of the studies had no upper limit: `--samples`, `--bootstrap` and `--evppi-samples` of 2^64 − 1 panicked
/// (exit 101), and `--samples 1000000000000` grew memory without bound. Each is now refused up front, naming the
/// flag and its maximum.
#[test]
fn hardening_study_sizes_beyond_their_maxima_are_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let chain = small_chain();
    let mitigations = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/valid/small_chain_mitigations.toml");
    let sobol = ["sensitivity", arg(&chain), "--method", "sobol", "-n", "10", "-j", "1", "-q", "-o", arg(&out)];
    let compare = ["compare", arg(&mitigations), "--all", "-n", "10", "-j", "1", "-q", "-o", arg(&out)];
    let optimize = ["optimize", arg(&mitigations), "--budget", "1B", "-n", "10", "-j", "1", "-q", "-o", arg(&out)];
    let evppi = ["--evppi-param", "disruptions.cn_licensing.onset_week"];
    let cases: [(&[&str], &[&str], &str, &str); 10] = [
        (&sobol, &["--samples", "18446744073709551615"], "--samples", "1000000"),
        (&sobol, &["--samples", "1000000000000"], "--samples", "1000000"),
        (&sobol, &["--samples", "20", "--bootstrap", "18446744073709551615"], "--bootstrap", "10000"),
        (&sobol, &["--samples", "20", "--bootstrap", "10001"], "--bootstrap", "10000"),
        (&compare, &[&evppi[..], &["--evppi-samples", "18446744073709551615"]].concat(), "--evppi-samples", "10000"),
        (&compare, &[&evppi[..], &["--evppi-samples", "10001"]].concat(), "--evppi-samples", "10000"),
        (&optimize, &[&evppi[..], &["--evppi-samples", "18446744073709551615"]].concat(), "--evppi-samples", "10000"),
        (&optimize, &["--exhaustive-limit", "18446744073709551615"], "--exhaustive-limit", "65536"),
        (&optimize, &["--max-evaluations", "18446744073709551615"], "--max-evaluations", "65536"),
        (&optimize, &["--max-evaluations", "65537"], "--max-evaluations", "65536"),
    ];
    for (command, extra, flag, most) in cases {
        let mut args = command.to_vec();
        args.extend(extra);
        let o = chokepoint(&args);
        assert_exit(&o, 2);
        let err = stderr(&o);
        assert!(err.contains(flag) && err.contains(most), "{extra:?}: {err}");
        assert!(!out.exists(), "{extra:?}: nothing is written");
    }
    // Within each flag's range, products too large: the value of information's trials in all.
    let mut args = compare.to_vec();
    args.extend(evppi);
    args.extend(["--evppi-samples", "10000", "--evppi-trials", "100000"]);
    let o = chokepoint(&args);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(err.contains("value of information") && err.contains("100,000,000"), "{err}");
    assert!(!out.exists(), "nothing is written");
    // A zipped sweep is held to the 10,000 points of a grid.
    let values: Vec<String> = (0..10_001).map(|i| (4000 + i % 1000).to_string()).collect();
    let vary = format!("stages.cn_separation.capacity_t_per_year={}", values.join(","));
    let o = chokepoint(&["sweep", arg(&chain), "--vary", &vary, "--zip", "-n", "5", "-j", "1", "-q", "-o", arg(&out)]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("10001 points") && stderr(&o).contains("10000"), "{}", stderr(&o));
    assert!(!out.exists(), "nothing is written");
}

/// A folder `name` under `parent` that is a link to `target`.
#[cfg(unix)]
fn plant_link(parent: &Path, name: &str, target: &Path) {
    std::fs::create_dir_all(parent).unwrap();
    std::os::unix::fs::symlink(target, parent.join(name)).unwrap();
}

/// Links to folders planted inside an output folder were followed: `out/<name>/compare` a link to `/tmp/x` made
/// `compare` write its files there, and so for every folder a command creates below its output folder (`trace/`,
/// `sizing/`, `optimize/`, `sweep/`, `sensitivity/`, `out/<name>` itself). Each is refused, naming the link.
#[cfg(unix)]
#[test]
fn hardening_a_planted_folder_link_below_the_output_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/valid");
    for f in ["small_chain.toml", "small_chain_mitigations.toml"] {
        std::fs::copy(data.join(f), work.join(f)).unwrap();
    }
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let m = "small_chain_mitigations.toml";
    let sizing =
        ["size-stockpile", m, "--stockpile", "dy_reserve", "--end-use", "f35", "--max-shortfall-probability", "0.5"];
    let cases: [(&[&str], &str, &str); 8] = [
        (&["compare", m, "--all"], "small_chain_mitigations", "compare"),
        (&["compare", m, "--all"], "", "small_chain_mitigations"),
        (&["run", "small_chain.toml"], "", "small_chain"),
        (&["trace", "small_chain.toml"], "small_chain", "trace"),
        (&sizing, "small_chain_mitigations", "sizing"),
        (&["optimize", m, "--budget", "1M"], "small_chain_mitigations", "optimize"),
        (
            &["sweep", "small_chain.toml", "--vary", "stages.cn_separation.capacity_t_per_year=4000,5000"],
            "small_chain",
            "sweep",
        ),
        (
            &["sensitivity", "small_chain.toml", "--param", "stages.cn_mines.capacity_t_per_year"],
            "small_chain",
            "sensitivity",
        ),
    ];
    for (command, parent, link) in cases {
        let out = work.join("out");
        let _ = std::fs::remove_dir_all(&out);
        plant_link(&out.join(parent), link, &elsewhere);
        let mut args = command.to_vec();
        args.extend(["-n", "4", "-q"]);
        if command[0] != "trace" {
            args.extend(["-j", "1"]);
        }
        let o = chokepoint_in(&work, &args);
        assert_exit(&o, 1);
        let err = stderr(&o);
        let named = Path::new("out").join(parent).join(link);
        assert!(err.contains(&format!("`{}`", named.display())) && err.contains("link"), "{command:?}: {err}");
        assert!(entries(&elsewhere).is_empty(), "{command:?}: nothing is written through the link");
    }
    // Without the link, the command writes where it should.
    let _ = std::fs::remove_dir_all(work.join("out"));
    let o = chokepoint_in(&work, &["compare", m, "--all", "-n", "4", "-j", "1", "-q"]);
    assert_exit(&o, 0);
    assert!(work.join("out/small_chain_mitigations/compare/compare_run.json").is_file());
    // A link the user names is the user's choice, and followed: `--out LINK`, or `out` itself (a larger disk).
    let o = chokepoint_in(&work, &["compare", m, "--all", "-n", "4", "-j", "1", "-q", "-o", arg(&elsewhere)]);
    assert_exit(&o, 0);
    assert!(elsewhere.join("compare_run.json").is_file());
    std::fs::remove_dir_all(work.join("out")).unwrap();
    let disk = dir.path().join("disk");
    std::fs::create_dir(&disk).unwrap();
    plant_link(&work, "out", &disk);
    assert_exit(&chokepoint_in(&work, &["trace", "small_chain.toml", "-n", "2", "-q"]), 0);
    assert!(disk.join("small_chain/trace/trace.json").is_file());
}

/// `batch -o DIR` followed a link planted at `DIR/<scenario name>` (and at `DIR/<name>/compare` with `--compare`).
#[cfg(unix)]
#[test]
fn hardening_batch_refuses_a_planted_link_for_a_scenario_folder() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let out = dir.path().join("bo");
    plant_link(&out, "small_chain", &elsewhere);
    // An earlier record there, which the batch would have removed through the link.
    std::fs::write(elsewhere.join("batch_sources.json"), "precious").unwrap();
    let o = chokepoint(&["batch", arg(&small_chain()), "-o", arg(&out), "-n", "4", "-j", "1", "-q"]);
    assert_exit(&o, 1);
    let err = stderr(&o);
    assert!(err.contains(&format!("`{}`", out.join("small_chain").display())) && err.contains("link"), "{err}");
    assert_eq!(entries(&elsewhere), ["batch_sources.json"]);
    assert_eq!(std::fs::read_to_string(elsewhere.join("batch_sources.json")).unwrap(), "precious");

    // `--compare`: `DIR/<overlay name>/compare`, for a file of mitigations only.
    let scenarios = dir.path().join("scenarios");
    std::fs::create_dir(&scenarios).unwrap();
    std::fs::copy(small_chain(), scenarios.join("small_chain.toml")).unwrap();
    std::fs::write(
        scenarios.join("options.toml"),
        "[scenario]\nname = \"chain_options\"\nbase = \"small_chain.toml\"\n\n[mitigations.more_stock]\n\
         kind = \"buffer\"\nstages = [\"jp_magnets\"]\ninventory_weeks = { initial = 12, target = 12 }\n",
    )
    .unwrap();
    let out = dir.path().join("bc");
    std::fs::remove_file(elsewhere.join("batch_sources.json")).unwrap();
    plant_link(&out.join("chain_options"), "compare", &elsewhere);
    let o = chokepoint(&["batch", arg(&scenarios), "--compare", "-o", arg(&out), "-n", "4", "-j", "1", "-q"]);
    assert_exit(&o, 1);
    let err = stderr(&o);
    let named = out.join("chain_options/compare");
    assert!(err.contains(&format!("`{}`", named.display())) && err.contains("link"), "{err}");
    assert!(entries(&elsewhere).is_empty());
    assert!(!out.join("small_chain").exists(), "refused before any scenario runs");
}

#[test]
fn hardening_a_link_in_a_batch_folder_is_skipped_and_its_target_never_quoted() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.toml");
    std::fs::write(&secret, "SECRET_PASSWORD = hunter2 oops\n").unwrap();
    let scenarios = dir.path().join("scenarios");
    std::fs::create_dir(&scenarios).unwrap();
    std::fs::copy(small_chain(), scenarios.join("small_chain.toml")).unwrap();
    std::os::unix::fs::symlink(&secret, scenarios.join("evil.toml")).unwrap();
    let out = dir.path().join("out");
    let o = chokepoint(&["batch", arg(&scenarios), "-o", arg(&out), "-n", "4", "-j", "1", "-q"]);
    assert_exit(&o, 0);
    let err = stderr(&o);
    assert!(err.contains("skipping") && err.contains("evil.toml") && !err.contains("hunter2"), "{err}");
    assert!(out.join("small_chain").is_dir());
    // Named on the command line, the file is the user's choice and is read.
    let o = chokepoint(&["validate", arg(&scenarios.join("evil.toml"))]);
    assert_exit(&o, 2);
}
