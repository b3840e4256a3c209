//! Issue 16: shards of a run or a comparison (`--shard I/N`, `--trials-from A --trials-to B`) merge into the
//! outputs of one run byte for byte (`chokepoint merge`), and shards that do not belong together are refused, naming
//! the shard and the difference, with nothing written. Also the structural bound on memory: the per-trial files come
//! in row groups of at most one batch of trials.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::{ParquetReader, SerReader};

use super::{arg, assert_exit, chokepoint, entries, json, small_chain, stderr, stdout};

/// Fields of a record (`run.json`, `compare_run.json`) that differ between one run and a merge: when and how long,
/// on how many threads, and the shards.
const VARYING: [&str; 6] = ["started_at", "wall_time_s", "simulation_s", "trials_per_second", "threads", "shards"];

/// A stockpile of terbium oxide, as an overlay file of one mitigation.
const TB_RESERVE: &str = r#"
[mitigations.tb_reserve]
kind = "stockpile"
description = "a terbium oxide reserve"
material = "tb_oxide"
serves = ["jp_magnets"]
initial_t = 2
max_release_t_per_week = 0.5
cost = { one_off_usd = 1e6 }
"#;

fn small_chain_mitigations() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/valid/small_chain_mitigations.toml")
}

/// `chokepoint run` of `scenario` with `args`, quietly, exit 0 asserted.
fn run_ok(scenario: &Path, out: &Path, args: &[&str]) {
    let mut all = vec!["run", arg(scenario), "-q", "--out", arg(out)];
    all.extend_from_slice(args);
    assert_exit(&chokepoint(&all), 0);
}

/// `chokepoint merge out shards...`.
fn merge(out: &Path, shards: &[&Path]) -> std::process::Output {
    let mut all = vec!["merge", arg(out)];
    all.extend(shards.iter().map(|s| arg(s)));
    chokepoint(&all)
}

/// A record without the fields that vary.
fn steady(path: &Path) -> serde_json::Value {
    let mut record = json(path);
    let object = record.as_object_mut().expect("a record is an object");
    for field in VARYING {
        object.remove(field);
    }
    for variant in object.get_mut("variants").and_then(|v| v.as_array_mut()).into_iter().flatten() {
        variant.as_object_mut().expect("a variant").remove("simulation_s");
    }
    record
}

/// Asserts that folders `a` and `b` hold the same files, byte for byte, but for `record`, equal but for the fields
/// that vary.
#[track_caller]
fn assert_same_outputs(a: &Path, b: &Path, record: &str) {
    assert_eq!(entries(a), entries(b));
    for name in entries(a) {
        if name == record {
            assert_eq!(steady(&a.join(&name)), steady(&b.join(&name)), "{name}");
        } else {
            let same = std::fs::read(a.join(&name)).unwrap() == std::fs::read(b.join(&name)).unwrap();
            assert!(same, "{name} differs between one run and the merge of its shards");
        }
    }
}

/// The number of rows of each row group of a Parquet file.
fn row_groups(path: &Path) -> Vec<usize> {
    let mut reader = ParquetReader::new(File::open(path).unwrap());
    reader.get_metadata().unwrap().row_groups.iter().map(|g| g.num_rows()).collect()
}

#[test]
fn uneven_shards_merge_into_the_bytes_of_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Stockpiles (so stockpiles.parquet has rows), one from an overlay file (recorded in the manifests with its
    // text, and read from there by the merge).
    let overlay = d.join("reserve.toml");
    std::fs::write(&overlay, TB_RESERVE).unwrap();
    let settings = ["-n", "300", "-s", "5", "--batch-trials", "64", "-m", "dy_reserve", "-m", arg(&overlay)];
    let scenario = small_chain_mitigations();
    run_ok(&scenario, &d.join("one"), &settings);
    // Uneven, across batch boundaries, one of a single trial; different thread counts.
    let ranges = [(0, 1), (1, 100), (100, 237), (237, 300)];
    let mut shards = Vec::new();
    for (i, (from, to)) in ranges.iter().enumerate() {
        let shard = d.join(format!("shard{i}"));
        let (from, to) = (from.to_string(), to.to_string());
        let threads = if i % 2 == 0 { "1" } else { "2" };
        let mut args = settings.to_vec();
        args.extend(["--trials-from", &from, "--trials-to", &to, "-j", threads]);
        run_ok(&scenario, &shard, &args);
        assert_eq!(
            entries(&shard),
            ["band_counts.parquet", "shard.json", "stage_losses.parquet", "stockpiles.parquet", "trials.parquet"]
        );
        shards.push(shard);
    }
    let manifest = json(&shards[1].join("shard.json"));
    assert_eq!((manifest["range"]["from"].as_u64(), manifest["range"]["to"].as_u64()), (Some(1), Some(100)));
    assert_eq!(manifest["settings"]["trials"], 300);
    assert!(manifest["scenario"]["text"].as_str().unwrap().contains("small_chain_mitigations"));
    assert_eq!(manifest["scenario"]["bases"][0]["path"], "small_chain.toml");

    // In any order.
    let order: Vec<&Path> = [3, 0, 2, 1].iter().map(|&i| shards[i].as_path()).collect();
    let merged = d.join("merged");
    let o = merge(&merged, &order);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("P(late)"), "the merge prints the run's tables: {}", stdout(&o));
    assert_same_outputs(&d.join("one"), &merged, "run.json");
    let record = json(&merged.join("run.json"));
    let listed: Vec<(u64, u64)> = record["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["trials_from"].as_u64().unwrap(), s["trials_to"].as_u64().unwrap()))
        .collect();
    assert_eq!(listed, ranges);
    assert!(json(&d.join("one").join("run.json")).get("shards").is_none());
    let stockpiles = row_groups(&merged.join("stockpiles.parquet"));
    assert!(!stockpiles.is_empty(), "the stockpile's per-trial values are there");

    // The report rebuilt from the merged folder is the one the merge wrote.
    let before = std::fs::read(merged.join("report.html")).unwrap();
    assert_exit(&chokepoint(&["report", arg(&merged)]), 0);
    assert_eq!(std::fs::read(merged.join("report.html")).unwrap(), before);
}

#[test]
fn numbered_shards_cover_the_run_and_merge_like_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let settings = ["-n", "90", "-s", "11", "--batch-trials", "16"];
    run_ok(&small_chain(), &d.join("one"), &settings);
    let shards: Vec<PathBuf> = (1..=3).map(|i| d.join(format!("s{i}"))).collect();
    for (i, shard) in shards.iter().enumerate() {
        let index = format!("{}/3", i + 1);
        let mut args = settings.to_vec();
        args.extend(["--shard", &index]);
        run_ok(&small_chain(), shard, &args);
    }
    let ranges: Vec<(u64, u64)> = shards
        .iter()
        .map(|s| {
            let m = json(&s.join("shard.json"));
            (m["range"]["from"].as_u64().unwrap(), m["range"]["to"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(ranges, [(0, 30), (30, 60), (60, 90)]);
    let merged = d.join("merged");
    assert_exit(&merge(&merged, &shards.iter().map(PathBuf::as_path).collect::<Vec<_>>()), 0);
    assert_same_outputs(&d.join("one"), &merged, "run.json");
}

#[test]
fn per_trial_files_come_in_row_groups_of_one_batch_at_most() {
    // What a run holds at a time is one batch of trials: its files are written a batch (one row group per end use
    // or stage) at a time, aligned to multiples of the batch size.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_ok(&small_chain(), &out, &["-n", "100", "--batch-trials", "32"]);
    // Two end uses, batches of 32, 32, 32 and 4 trials.
    assert_eq!(row_groups(&out.join("trials.parquet")), [32, 32, 32, 32, 32, 32, 4, 4]);
    assert_eq!(row_groups(&out.join("stage_losses.parquet")).len(), 4 * 3);
    // A shard from trial 10 is cut where the run is: at 32 and 64.
    let shard = dir.path().join("shard");
    run_ok(&small_chain(), &shard, &["-n", "100", "--batch-trials", "32", "--trials-from", "10", "--trials-to", "70"]);
    assert_eq!(row_groups(&shard.join("trials.parquet")), [22, 22, 32, 32, 6, 6]);
    let run = json(&out.join("run.json"));
    assert_eq!(run["batch_trials"], 32);
}

#[test]
fn shards_read_with_settings_merge_like_one_run_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let set = "disruptions.cn_licensing.duration_weeks=104";
    let settings = ["-n", "60", "-s", "3", "--batch-trials", "16", "--set", set];
    run_ok(&small_chain(), &d.join("one"), &settings);
    let shards: Vec<PathBuf> = (1..=2).map(|i| d.join(format!("s{i}"))).collect();
    for (i, shard) in shards.iter().enumerate() {
        let index = format!("{}/2", i + 1);
        let mut args = settings.to_vec();
        args.extend(["--shard", &index]);
        run_ok(&small_chain(), shard, &args);
    }
    assert_eq!(json(&shards[0].join("shard.json"))["scenario"]["settings"], serde_json::json!([set]));
    let merged = d.join("merged");
    assert_exit(&merge(&merged, &shards.iter().map(PathBuf::as_path).collect::<Vec<_>>()), 0);
    // The merge applied the setting again: the same bytes as one run with it, which differs from one without.
    assert_same_outputs(&d.join("one"), &merged, "run.json");
    assert_eq!(json(&merged.join("summary.json"))["scenario"]["settings"], serde_json::json!([set]));
    run_ok(&small_chain(), &d.join("plain"), &settings[..6]);
    let summary = |dir: &str| std::fs::read(d.join(dir).join("summary.json")).unwrap();
    assert_ne!(summary("plain"), summary("merged"), "the setting changes the run");
}

/// Makes shard folders of small_chain, 100 trials, batch 32, with `extra` arguments each: `(name, from, to, extra)`.
fn make_shards(d: &Path, specs: &[(&str, u64, u64, &[&str])]) -> Vec<PathBuf> {
    std::fs::write(d.join("reserve.toml"), TB_RESERVE).unwrap();
    specs
        .iter()
        .map(|(name, from, to, extra)| {
            let out = d.join(name);
            let (from, to) = (from.to_string(), to.to_string());
            let mut args = vec!["-n", "100", "--trials-from", &from, "--trials-to", &to];
            if !extra.contains(&"--batch-trials") {
                args.extend(["--batch-trials", "32"]);
            }
            let reserve = d.join("reserve.toml");
            args.extend(extra.iter().map(|x| if *x == "reserve.toml" { arg(&reserve) } else { *x }));
            run_ok(&small_chain(), &out, &args);
            out
        })
        .collect()
}

/// Asserts that merging `shards` is refused with a message naming `names` and containing `words`, and that nothing
/// was written.
#[track_caller]
fn assert_refused(d: &Path, shards: &[&Path], words: &str, names: &[&Path]) {
    let out = d.join("refused");
    let o = merge(&out, shards);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(err.contains(words), "expected `{words}` in: {err}");
    for name in names {
        assert!(err.contains(&name.display().to_string()), "expected `{}` named in: {err}", name.display());
    }
    assert!(!out.exists(), "nothing is written when shards are refused");
}

#[test]
fn shards_that_do_not_belong_together_are_refused_with_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let shards = make_shards(
        d,
        &[
            ("a", 0, 50, &[]),
            ("b", 50, 100, &[]),
            ("seed", 50, 100, &["-s", "2"]),
            ("batch", 50, 100, &["--batch-trials", "16"]),
            ("mitigated", 50, 100, &["-m", "reserve.toml"]),
            ("overlap", 40, 100, &[]),
            ("gap", 60, 100, &[]),
            ("set", 50, 100, &["--set", "disruptions.cn_licensing.duration_weeks=104"]),
        ],
    );
    let [a, b, seed, batch, mitigated, overlap, gap, set] = [0, 1, 2, 3, 4, 5, 6, 7].map(|i| shards[i].as_path());
    assert_refused(d, &[a, seed], "its seed is 2, not 1", &[a, seed]);
    assert_refused(d, &[a, batch], "batches hold 16 trials, not 32", &[a, batch]);
    assert_refused(d, &[a, mitigated], "other mitigations", &[a, mitigated]);
    assert_refused(
        d,
        &[a, set],
        "it ran other settings ([--set disruptions.cn_licensing.duration_weeks=104], not [])",
        &[a, set],
    );
    assert_refused(d, &[a, overlap], "overlap", &[a, overlap]);
    assert_refused(d, &[a, gap], "no shard holds trials 50..60", &[]);
    assert_refused(d, &[b], "no shard holds trials 0..50", &[]);
    assert_refused(d, &[a, &d.join("nothing")], "holds no shard", &[&d.join("nothing")]);

    // Other scenario bytes: the same scenario with a comment added.
    let edited = d.join("edited.toml");
    let mut text = std::fs::read_to_string(small_chain()).unwrap();
    text.push_str("# edited\n");
    std::fs::write(&edited, text).unwrap();
    let other = d.join("other");
    run_ok(&edited, &other, &["-n", "100", "--batch-trials", "32", "--trials-from", "50", "--trials-to", "100"]);
    assert_refused(d, &[a, &other], "other scenario bytes", &[a, &other]);

    // Another trial count.
    let longer = d.join("longer");
    run_ok(
        &small_chain(),
        &longer,
        &["-n", "200", "--batch-trials", "32", "--trials-from", "50", "--trials-to", "100"],
    );
    assert_refused(d, &[a, &longer], "a run of 200 trials, not 100", &[a, &longer]);

    // Another version: its manifest says so.
    let older = d.join("older");
    copy_folder(b, &older);
    let manifest = std::fs::read_to_string(older.join("shard.json")).unwrap();
    let version = format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION"));
    std::fs::write(older.join("shard.json"), manifest.replace(&version, "\"version\": \"0.0.1\"")).unwrap();
    assert_refused(d, &[a, &older], "made by chokepoint 0.0.1", &[a, &older]);

    // Files that are not what the manifest says: another shard's rows.
    let swapped = d.join("swapped");
    copy_folder(b, &swapped);
    std::fs::copy(seed.join("trials.parquet"), swapped.join("trials.parquet")).unwrap();
    assert_refused(d, &[a, &swapped], "does not hold what the shard's manifest says", &[&swapped]);

    // A shard of a comparison with shards of a run.
    let compared = d.join("compared");
    let o = chokepoint(&[
        "compare",
        "tests/data/valid/small_chain_mitigations.toml",
        "-m",
        "dy_reserve",
        "-n",
        "100",
        "-q",
        "--trials-from",
        "50",
        "--trials-to",
        "100",
        "-o",
        arg(&compared),
    ]);
    assert_exit(&o, 0);
    assert_refused(d, &[a, &compared], "a shard of a comparison, not of a run", &[a, &compared]);

    // The output folder is a shard.
    let o = merge(a, &[a, b]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("is shard"), "{}", stderr(&o));
    // And the shards that do belong together merge.
    assert_exit(&merge(&d.join("merged"), &[b, a]), 0);
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for name in entries(from) {
        std::fs::copy(from.join(&name), to.join(&name)).unwrap();
    }
}

#[test]
fn shard_arguments_are_checked_against_the_trial_count() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let scenario = small_chain();
    for (args, words) in [
        (&["-n", "2", "--shard", "3/4"][..], "at most 2 shards"),
        (&["-n", "100", "--trials-from", "50", "--trials-to", "101"], "lies past the run's 100 trials"),
        (&["-n", "100", "--trials-from", "50", "--trials-to", "50"], "selects no trial"),
        (&["-n", "100", "--shard", "1/2", "--worlds", "3"], "`--worlds` cannot be combined with `--shard`"),
        (&["-n", "100", "--trials-from", "0", "--trials-to", "50", "--worlds", "3"], "`--worlds` cannot be combined"),
        (
            &["-n", "100", "--shard", "1/2", "--set", "uncertainty.worlds=3"],
            "the scenario's `[uncertainty] worlds` cannot be combined with `--shard`",
        ),
    ] {
        let mut all = vec!["run", arg(&scenario), "-q", "-o", arg(&out)];
        all.extend_from_slice(args);
        let o = chokepoint(&all);
        assert_exit(&o, 2);
        assert!(stderr(&o).contains(words), "{args:?}: {}", stderr(&o));
        assert!(!out.exists());
    }
    // Nor does a comparison shard value information.
    let compared = small_chain_mitigations();
    let o = chokepoint(&[
        "compare",
        arg(&compared),
        "--all",
        "-n",
        "100",
        "-q",
        "--shard",
        "1/2",
        "--evppi",
        "-o",
        arg(&out),
    ]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("`--evppi` cannot be combined with `--shard`"), "{}", stderr(&o));
    assert!(!out.exists());
}

#[test]
fn comparison_shards_merge_into_the_bytes_of_one_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scenario = small_chain_mitigations();
    let compare = |out: &Path, extra: &[&str]| {
        let mut all = vec!["compare", arg(&scenario), "--all", "-n", "120", "-s", "4", "-q", "-o", arg(out)];
        all.extend_from_slice(extra);
        assert_exit(&chokepoint(&all), 0);
    };
    compare(&d.join("one"), &[]);
    let ranges = [("0", "1"), ("1", "50"), ("50", "120")];
    let shards: Vec<PathBuf> = ranges
        .iter()
        .map(|&(from, to)| {
            let out = d.join(format!("shard-{from}"));
            compare(&out, &["--trials-from", from, "--trials-to", to]);
            assert_eq!(entries(&out), ["shard.json", "variant_trials.parquet"]);
            out
        })
        .collect();
    let merged = d.join("merged");
    let o = merge(&merged, &[&shards[2], &shards[0], &shards[1]]);
    assert_exit(&o, 0);
    assert_same_outputs(&d.join("one"), &merged, "compare_run.json");
    let record = json(&merged.join("compare_run.json"));
    assert_eq!(record["shards"].as_array().map(Vec::len), Some(3));
    assert!(stdout(&o).contains("Overall"), "{}", stdout(&o));
}

/// glibc's routines for CPUs without FMA, chosen on a machine that has it: its `exp`, `ln`, `pow` and `cos` differ
/// from the FMA variants in the last bit for some arguments.
const WITHOUT_FMA: (&str, &str) = ("GLIBC_TUNABLES", "glibc.cpu.hwcaps=-AVX2_Usable,-FMA_Usable,-AVX2,-FMA");

/// Why the tunable cannot select other routines here, if it cannot: a CPU without FMA, or no `/proc/cpuinfo`
/// (not Linux, so probably not glibc).
fn no_other_math_routines() -> Option<&'static str> {
    match std::fs::read_to_string("/proc/cpuinfo") {
        Err(_) => Some("no /proc/cpuinfo: not Linux, so no glibc routines to choose between"),
        Ok(info) if !info.lines().any(|l| l.starts_with("flags") && l.split_whitespace().any(|f| f == "fma")) => {
            Some("this CPU has no FMA: glibc has no other routines to choose")
        }
        Ok(_) => None,
    }
}

#[test]
fn results_are_the_same_bits_whatever_the_c_librarys_math_routines() {
    // The engine computes exp, ln, pow and cos with libm, and draws normals, lognormals, exponentials, betas and
    // licence reviews with its own samplers on it, so glibc's choice of routines changes no output: licensing_2025
    // (markets, licence reviews, lognormals) and rare_earths_2025 (PERT, truncated normals, hazards), once plainly
    // and once with glibc's routines for CPUs without FMA. (With the C library's functions, 200 trials of
    // licensing_2025 came out different.)
    if let Some(why) = no_other_math_routines() {
        eprintln!("skipped: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (scenario, trials) in [("licensing_2025", "200"), ("rare_earths_2025", "60")] {
        let path = root.join("scenarios").join(format!("{scenario}.toml"));
        let run = |name: &str, env: Option<(&str, &str)>| {
            let out = dir.path().join(format!("{scenario}-{name}"));
            let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_chokepoint"));
            command.args(["run", arg(&path), "-n", trials, "-q", "--out", arg(&out)]);
            command.envs(env);
            assert_exit(&command.output().expect("the chokepoint binary starts"), 0);
            out
        };
        let (plain, other) = (run("plain", None), run("without-fma", Some(WITHOUT_FMA)));
        assert_eq!(entries(&plain), entries(&other));
        for name in entries(&plain).into_iter().filter(|n| n != "run.json") {
            let same = std::fs::read(plain.join(&name)).unwrap() == std::fs::read(other.join(&name)).unwrap();
            assert!(same, "{scenario}: {name} differs with glibc's routines for CPUs without FMA");
        }
    }
}
