//! A fuzz harness on stable Rust: structure-aware mutations of the shipped scenarios, run through the library
//! (decode, parse, validate, lower, a short run of the baseline and of one mitigation), and, for a sample of the
//! inputs that validate, through the `chokepoint` binary (`validate`, then `run` of 2 trials).
//!
//! ```text
//! cargo run --release -p chokepoint-scenario --example fuzz -- --inputs 1000000 --jobs 2
//! cargo run --release -p chokepoint-scenario --example fuzz -- --inputs 20000 --binary target/debug/chokepoint
//! cargo run --release -p chokepoint-scenario --example fuzz -- --replay 123456 --seed 1   # one input again
//! ```
//!
//! Input `i` is made from the seed and `i` alone, so `--replay i` rebuilds it whatever `--jobs` was. Each input
//! starts from one of the shipped scenarios (`scenarios/*.toml`, `tests/data/valid/*.toml`), read as a TOML tree
//! and changed by a few of: a number replaced by an edge value (0, -1, 1e300, NaN, inf, a tiny or huge integer);
//! a key removed; a value of another type; a reference renamed to another name of the document, or a typo; a key
//! of the format added where it may not belong; a number turned into a distribution, with odd parameters; an
//! entity duplicated or removed; a link added between random stages; the horizon changed. One input in eight also
//! gets byte-level damage (bytes replaced, inserted, removed; the file cut short; a byte-order mark; Latin-1).
//!
//! A finding is a panic anywhere, a model that validates but whose run reports a value that is not finite, or a
//! binary that exits with anything but 0, 1 or 2 (101 is a panic) or prints `panicked`. Findings are written to
//! `--findings DIR` (default `target/fuzz-findings`) and counted; the exit code is 1 if there are any.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chokepoint_engine::report::summarize_run;
use chokepoint_engine::{RunConfig, run};
use toml::{Table, Value};

/// Settings from the command line.
#[derive(Debug, Clone)]
struct Settings {
    inputs: u64,
    seed: u64,
    jobs: usize,
    binary: Option<PathBuf>,
    binary_every: u64,
    findings: PathBuf,
    replay: Option<u64>,
}

fn settings() -> Result<Settings, String> {
    let mut s = Settings {
        inputs: 10_000,
        seed: 1,
        jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
        binary: None,
        binary_every: 500,
        findings: PathBuf::from("target/fuzz-findings"),
        replay: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |v: String| v.parse::<u64>().map_err(|_| format!("`{v}` is not a number"));
        match flag.as_str() {
            "--inputs" => s.inputs = number(value()?)?,
            "--seed" => s.seed = number(value()?)?,
            "--jobs" => s.jobs = number(value()?)?.max(1) as usize,
            "--binary" => s.binary = Some(PathBuf::from(value()?)),
            "--binary-every" => s.binary_every = number(value()?)?.max(1),
            "--findings" => s.findings = PathBuf::from(value()?),
            "--replay" => s.replay = Some(number(value()?)?),
            "--help" | "-h" => {
                return Err("usage: fuzz [--inputs N] [--seed S] [--jobs J] [--binary PATH] [--binary-every K] \
                            [--findings DIR] [--replay I]"
                    .into());
            }
            other => return Err(format!("unknown option `{other}` (try --help)")),
        }
    }
    Ok(s)
}

/// SplitMix64: a small, portable generator, seeded per input from `(seed, input)`.
struct Rng(u64);

impl Rng {
    fn for_input(seed: u64, input: u64) -> Self {
        let mut r = Rng(seed ^ 0x9E37_79B9_7F4A_7C15);
        r.0 ^= r.next().wrapping_add(input.wrapping_mul(0xD1B5_4A32_D192_ED03));
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.next().is_multiple_of(one_in)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() { None } else { items.get(self.below(items.len())) }
    }
}

/// A shipped scenario: its origin (relative to the repository), text and parsed tree.
struct Seed {
    origin: String,
    table: Table,
}

/// Keys of the format, to add where they may not belong.
const KEYS: &[&str] = &[
    "name",
    "base",
    "remove",
    "years",
    "weeks",
    "period",
    "unit",
    "region",
    "capacity_t_per_year",
    "capacity_units_per_year",
    "capacity_growth_per_year",
    "online_week",
    "online_months",
    "ramp_weeks",
    "inputs",
    "outputs",
    "inventory_weeks",
    "output_inventory_weeks",
    "allocation",
    "from",
    "to",
    "material",
    "share",
    "lead_time_weeks",
    "lead_time_days",
    "demand_units_per_year",
    "growth_per_year",
    "intensity",
    "priority",
    "unmet_demand",
    "kind",
    "materials",
    "from_region",
    "to_regions",
    "review_weeks",
    "denial_probability",
    "severity",
    "stages",
    "end_uses",
    "multiplier",
    "onset_week",
    "onset_months",
    "hazard_per_year",
    "follows",
    "two_state",
    "duration_weeks",
    "duration_months",
    "cost",
    "initial_t",
    "initial_units",
    "release_to",
    "max_release_t_per_week",
    "rebuild_t_per_week",
    "end_use",
    "reduction",
    "lag_weeks",
    "order",
    "serves",
    "mitigations",
    "initial",
    "target",
    "defense",
    "essential",
    "other",
    "probability",
    "disruption",
    "start_probability_per_week",
    "end_probability_per_week",
    "one_off_usd",
    "per_year_usd",
];

const WORDS: &[&str] = &[
    "t",
    "units",
    "week",
    "month",
    "lost",
    "backlog",
    "defense",
    "essential",
    "other",
    "export_licensing",
    "embargo",
    "outage",
    "demand_shock",
    "stockpile",
    "alternate_supply",
    "recycling",
    "thrifting",
    "substitution",
    "allocation",
    "buffer",
    "priority",
    "pro_rata",
    "all-other",
    "CN",
    "US",
    "",
    " ",
    "é",
    "../x.toml",
    "/etc/x.toml",
    "a.toml/",
    "x.toml",
];

fn edge_number(rng: &mut Rng) -> Value {
    let floats = [
        0.0,
        -0.0,
        -1.0,
        1e300,
        -1e300,
        1e-300,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.5,
        1.0,
        1e15,
        1.5e15,
        52.0,
        1e6,
    ];
    if rng.chance(3) {
        let ints = [0i64, -1, 1, i64::MAX, i64::MIN, 100_000, 100_001, 5_200_000, 2];
        Value::Integer(*rng.pick(&ints).unwrap_or(&0))
    } else {
        Value::Float(*rng.pick(&floats).unwrap_or(&0.0))
    }
}

fn scaled(v: &Value, rng: &mut Rng) -> Value {
    let x = match v {
        Value::Integer(i) => *i as f64,
        Value::Float(f) => *f,
        _ => return edge_number(rng),
    };
    let factors = [0.0, -1.0, 0.5, 2.0, 10.0, 1e6, 1e-6, 1e12];
    Value::Float(x * rng.pick(&factors).unwrap_or(&1.0))
}

fn distribution(rng: &mut Rng) -> Value {
    let mut n = || match edge_number(rng) {
        Value::Float(f) if rng.chance(2) => Value::Float(f.abs().min(1e3)),
        v => v,
    };
    let (a, b, c) = (n(), n(), n());
    let text = match rng.below(7) {
        0 => format!("{{ uniform = {{ min = {a}, max = {b} }} }}"),
        1 => format!("{{ triangular = {{ min = {a}, mode = {b}, max = {c} }} }}"),
        2 => format!("{{ pert = {{ min = {a}, mode = {b}, max = {c} }} }}"),
        3 => format!("{{ normal = {{ mean = {a}, sd = {b} }} }}"),
        4 => format!("{{ lognormal = {{ median = {a}, p90 = {b} }} }}"),
        5 => format!("{{ choice = {{ values = [{a}, {b}], weights = [{c}, 1] }} }}"),
        _ => format!("{{ pert = [{a}, {b}, {c}] }}"),
    };
    format!("x = {text}").parse::<Table>().ok().and_then(|mut t| t.remove("x")).unwrap_or(Value::Integer(1))
}

/// Every string in the tree, to use as a reference elsewhere.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Table(t) => {
            for (k, x) in t {
                out.push(k.clone());
                strings(x, out);
            }
        }
        _ => {}
    }
}

/// Paths to every value of the tree (keys of tables and indices of arrays).
fn paths(v: &Value, prefix: &mut Vec<PathPart>, out: &mut Vec<Vec<PathPart>>) {
    match v {
        Value::Table(t) => {
            for (k, x) in t {
                prefix.push(PathPart::Key(k.clone()));
                out.push(prefix.clone());
                paths(x, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                prefix.push(PathPart::Index(i));
                out.push(prefix.clone());
                paths(x, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
enum PathPart {
    Key(String),
    Index(usize),
}

fn get_mut<'a>(root: &'a mut Value, path: &[PathPart]) -> Option<&'a mut Value> {
    path.iter().try_fold(root, |v, p| match (v, p) {
        (Value::Table(t), PathPart::Key(k)) => t.get_mut(k),
        (Value::Array(a), PathPart::Index(i)) => a.get_mut(*i),
        _ => None,
    })
}

/// One structural mutation of `root`.
fn mutate(root: &mut Value, rng: &mut Rng) {
    let mut all = Vec::new();
    paths(root, &mut Vec::new(), &mut all);
    let Some(path) = rng.pick(&all).cloned() else { return };
    let mut names = Vec::new();
    strings(root, &mut names);
    let name = rng.pick(&names).cloned().unwrap_or_default();
    let (parent_path, last) = path.split_at(path.len() - 1);
    match rng.below(12) {
        // A number: an edge value, or scaled.
        0 | 1 => {
            if let Some(v) = get_mut(root, &path) {
                *v = if rng.chance(2) { edge_number(rng) } else { scaled(v, rng) };
            }
        }
        // Remove the key or element.
        2 => {
            if let Some(parent) = get_mut(root, parent_path) {
                match (parent, &last[0]) {
                    (Value::Table(t), PathPart::Key(k)) => {
                        t.remove(k);
                    }
                    (Value::Array(a), PathPart::Index(i)) if *i < a.len() => {
                        a.remove(*i);
                    }
                    _ => {}
                }
            }
        }
        // A value of another type.
        3 => {
            if let Some(v) = get_mut(root, &path) {
                *v = match rng.below(6) {
                    0 => Value::Array(vec![Value::Float(0.002), Value::Float(0.1)]),
                    1 => Value::Table(Table::new()),
                    2 => Value::String(name),
                    3 => Value::Boolean(true),
                    4 => "x = 2025-04-04"
                        .parse::<Table>()
                        .ok()
                        .and_then(|mut t| t.remove("x"))
                        .unwrap_or(Value::Boolean(false)),
                    _ => Value::Array(vec![Value::String(name), Value::Integer(1)]),
                };
            }
        }
        // A reference renamed to another name of the document, a typo or a word of the format.
        4 | 5 => {
            if let Some(Value::String(s)) = get_mut(root, &path) {
                *s = match rng.below(3) {
                    0 => name,
                    1 => format!("{s}x"),
                    _ => (*rng.pick(WORDS).unwrap_or(&"")).to_owned(),
                };
            }
        }
        // A key of the format added to a table.
        6 => {
            let target = if rng.chance(2) { parent_path } else { &path[..] };
            if let Some(Value::Table(t)) = get_mut(root, target) {
                let key = (*rng.pick(KEYS).unwrap_or(&"name")).to_owned();
                let value = match rng.below(3) {
                    0 => edge_number(rng),
                    1 => Value::String(name),
                    _ => distribution(rng),
                };
                t.insert(key, value);
            }
        }
        // A number turned into a distribution.
        7 => {
            if let Some(v) = get_mut(root, &path)
                && matches!(v, Value::Integer(_) | Value::Float(_))
            {
                *v = distribution(rng);
            }
        }
        // An entity duplicated under a new name, or a table emptied.
        8 => {
            if let Some(Value::Table(t)) = get_mut(root, parent_path)
                && let PathPart::Key(k) = &last[0]
                && let Some(v) = t.get(k).cloned()
            {
                if rng.chance(3) {
                    t.insert(k.clone(), Value::Table(Table::new()));
                } else {
                    t.insert(format!("{k}_copy"), v);
                }
            }
        }
        // A link between random names.
        9 => {
            if let Value::Table(t) = root {
                let mut link = Table::new();
                link.insert("from".into(), Value::String(name.clone()));
                link.insert("to".into(), Value::String(rng.pick(&names).cloned().unwrap_or_default()));
                link.insert("material".into(), Value::String(rng.pick(&names).cloned().unwrap_or_default()));
                link.insert("share".into(), if rng.chance(2) { Value::Float(1.0) } else { edge_number(rng) });
                if let Some(Value::Array(links)) = t.get_mut("links") {
                    links.push(Value::Table(link));
                } else {
                    t.insert("links".into(), Value::Array(vec![Value::Table(link)]));
                }
            }
        }
        // The horizon.
        10 => {
            if let Value::Table(t) = root {
                let mut h = Table::new();
                match rng.below(4) {
                    0 => h.insert("weeks".into(), edge_number(rng)),
                    1 => h.insert("years".into(), Value::Float((rng.below(40) as f64) / 4.0)),
                    2 => h.insert("period".into(), Value::String("month".into())),
                    _ => h.insert("years".into(), edge_number(rng)),
                };
                t.insert("horizon".into(), Value::Table(h));
            }
        }
        // A whole section removed or swapped with another.
        _ => {
            if let Value::Table(t) = root {
                let keys: Vec<String> = t.keys().cloned().collect();
                if let (Some(a), Some(b)) = (rng.pick(&keys).cloned(), rng.pick(&keys).cloned()) {
                    if rng.chance(2) {
                        t.remove(&a);
                    } else if let (Some(x), Some(y)) = (t.get(&a).cloned(), t.get(&b).cloned()) {
                        t.insert(a, y);
                        t.insert(b, x);
                    }
                }
            }
        }
    }
}

/// Byte-level damage.
fn damage(bytes: &mut Vec<u8>, rng: &mut Rng) {
    for _ in 0..1 + rng.below(4) {
        if bytes.is_empty() {
            return;
        }
        let i = rng.below(bytes.len());
        let interesting = b"[]{}=\",.#\n -+0123456789_etanf\xe9\xff\x00";
        let b = interesting[rng.below(interesting.len())];
        match rng.below(6) {
            0 => bytes[i] = b,
            1 => bytes.insert(i, b),
            2 => {
                bytes.remove(i);
            }
            3 => bytes.truncate(i),
            4 => {
                bytes.splice(0..0, [0xEF, 0xBB, 0xBF]);
            }
            _ => bytes[i] = (rng.next() & 0xFF) as u8,
        }
    }
}

/// The input `i`: which seed it starts from, and its bytes.
fn make_input(seeds: &[Seed], settings: &Settings, i: u64) -> (usize, Vec<u8>) {
    let mut rng = Rng::for_input(settings.seed, i);
    let which = rng.below(seeds.len());
    let mut root = Value::Table(seeds[which].table.clone());
    for _ in 0..1 + rng.below(4) {
        mutate(&mut root, &mut rng);
    }
    let text = match &root {
        Value::Table(t) => toml::to_string(t).unwrap_or_default(),
        _ => String::new(),
    };
    let mut bytes = text.into_bytes();
    if rng.chance(8) {
        damage(&mut bytes, &mut rng);
    }
    (which, bytes)
}

/// What went wrong with one input, if anything.
type Finding = Option<String>;

/// Runs one input through the library: decode, parse (with the shipped bases), a short run of the baseline and
/// of one mitigation. Returns whether it validated, and a finding.
fn library(origin: &str, bytes: &[u8], bases: &BTreeMap<String, Vec<u8>>, i: u64) -> (bool, Finding) {
    let text = match chokepoint_scenario::decode(origin, bytes) {
        Ok(t) => t,
        Err(d) => {
            let _ = d.render();
            return (false, None);
        }
    };
    let mut resolve = |naming: &str, path: &str| -> Result<(String, Vec<u8>), String> {
        let folder = Path::new(naming).parent().unwrap_or(Path::new(""));
        let key = folder.join(path).to_string_lossy().replace("/./", "/");
        bases.get(&key).map(|b| (key.clone(), b.clone())).ok_or_else(|| format!("`{key}` is not a shipped scenario"))
    };
    let scenario = match chokepoint_scenario::parse_with(origin, &text, &mut resolve) {
        Ok(s) => s,
        Err(d) => {
            if d.error_count() == 0 {
                return (false, Some("refused without an error".into()));
            }
            let _ = d.render();
            return (false, None);
        }
    };
    for w in &scenario.warnings {
        let _ = scenario.render(w);
    }
    // A bounded run: long horizons are validated but run on few periods' worth of work only.
    let spec = scenario.model.spec();
    if spec.periods * (spec.stages.len() + spec.end_uses.len()).max(1) > 400_000 {
        return (true, None);
    }
    let mut models = vec![("baseline".to_owned(), scenario.model.clone())];
    if let Some(m) = scenario.mitigations.get((i as usize) % scenario.mitigations.len().max(1)) {
        match scenario.variant(&[m.name.as_str()]) {
            Ok(model) => models.push((m.name.clone(), model)),
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    for (name, model) in models {
        let config = RunConfig { trials: 2, seed: i, threads: 1, bands: true, first_trial: 0 };
        let Ok(results) = run(&model, &config, &|_| {}) else {
            return (true, Some(format!("{name}: the run did not start")));
        };
        let summary = summarize_run(&model, &results);
        for e in &summary.end_uses {
            let values = [e.mean_demand, e.units_short.mean, e.units_short.sd, e.share_met.mean, e.short_periods.mean];
            if values.iter().any(|x| !x.is_finite()) {
                return (
                    true,
                    Some(format!("{name}: end use `{}` has a value that is not finite: {values:?}", e.name)),
                );
            }
        }
        for s in &summary.stages {
            if !s.throughput_lost.mean.is_finite() || !s.normal_throughput.is_finite() {
                return (true, Some(format!("{name}: stage `{}` has a loss that is not finite", s.name)));
            }
        }
    }
    (true, None)
}

/// Runs a validated input through the binary: `validate`, then `run` of 2 trials into a scratch folder.
fn binary(path: &Path, scratch: &Path, origin: &str, bytes: &[u8]) -> Finding {
    let file = scratch.join(Path::new(origin).file_name().unwrap_or_default());
    // Next to copies of the shipped bases, as the scenario expects.
    std::fs::write(&file, bytes).ok()?;
    for args in [vec!["validate".to_owned()], vec!["run".into(), "-n".into(), "2".into(), "-q".into(), "-o".into()]] {
        let mut command = Command::new(path);
        command.args(&args);
        if args[0] == "run" {
            command.arg(scratch.join("out"));
        }
        let output = command.arg(&file).stdin(Stdio::null()).output();
        let output = match output {
            Ok(o) => o,
            Err(e) => return Some(format!("the binary did not start: {e}")),
        };
        let stderr = String::from_utf8_lossy(&output.stderr);
        match output.status.code() {
            Some(0..=2) if !stderr.contains("panicked") => {}
            code => return Some(format!("`chokepoint {}` exited with {code:?}:\n{stderr}", args[0])),
        }
    }
    None
}

fn main() {
    let settings = match settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut seeds = Vec::new();
    let mut bases = BTreeMap::new();
    for folder in ["scenarios", "tests/data/valid"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(folder))
            .expect("the repository's scenarios")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for path in files {
            let origin = format!("{folder}/{}", path.file_name().unwrap_or_default().to_string_lossy());
            let bytes = std::fs::read(&path).expect("a readable scenario");
            let table = String::from_utf8_lossy(&bytes).parse::<Table>().expect("shipped scenarios parse");
            bases.insert(origin.clone(), bytes);
            seeds.push(Seed { origin, table });
        }
    }
    // Panics are findings: record the message instead of printing it.
    let last_panic = Arc::new(Mutex::new(String::new()));
    {
        let last_panic = Arc::clone(&last_panic);
        std::panic::set_hook(Box::new(move |info| {
            if let Ok(mut p) = last_panic.lock() {
                *p = info.to_string();
            }
        }));
    }
    let scratch = tempdir(&settings.findings);

    let range: Vec<u64> = match settings.replay {
        Some(i) => vec![i],
        None => (0..settings.inputs).collect(),
    };
    let next = AtomicU64::new(0);
    let counts: [AtomicU64; 5] = Default::default(); // inputs, validated, binary runs, findings, panics
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..settings.jobs.min(range.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed) as usize;
                    let Some(&i) = range.get(k) else { break };
                    let (which, bytes) = make_input(&seeds, &settings, i);
                    let origin = &seeds[which].origin;
                    let outcome =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| library(origin, &bytes, &bases, i)));
                    counts[0].fetch_add(1, Ordering::Relaxed);
                    let finding = match outcome {
                        Ok((validated, finding)) => {
                            if validated {
                                let n = counts[1].fetch_add(1, Ordering::Relaxed);
                                if let (Some(path), true, None) =
                                    (&settings.binary, n.is_multiple_of(settings.binary_every), &finding)
                                {
                                    counts[2].fetch_add(1, Ordering::Relaxed);
                                    let folder = scratch.join(format!("input-{i}"));
                                    let _ = std::fs::create_dir_all(&folder);
                                    for (o, b) in &bases {
                                        let _ = std::fs::write(
                                            folder.join(Path::new(o).file_name().unwrap_or_default()),
                                            b,
                                        );
                                    }
                                    let found = binary(path, &folder, origin, &bytes);
                                    let _ = std::fs::remove_dir_all(&folder);
                                    if found.is_some() {
                                        record(&settings, i, origin, &bytes, found.as_deref().unwrap_or(""));
                                        counts[3].fetch_add(1, Ordering::Relaxed);
                                    }
                                }
                            }
                            finding
                        }
                        Err(_) => {
                            counts[4].fetch_add(1, Ordering::Relaxed);
                            Some(format!("panic: {}", last_panic.lock().map(|p| p.clone()).unwrap_or_default()))
                        }
                    };
                    if let Some(f) = finding {
                        counts[3].fetch_add(1, Ordering::Relaxed);
                        record(&settings, i, origin, &bytes, &f);
                    }
                    let done = counts[0].load(Ordering::Relaxed);
                    if done.is_multiple_of(100_000) {
                        eprintln!("{done} inputs, {:.0} s", started.elapsed().as_secs_f64());
                    }
                }
            });
        }
    });
    let _ = std::fs::remove_dir_all(&scratch);
    let [inputs, validated, binary_runs, findings, panics] = counts.map(|c| c.into_inner());
    println!(
        "fuzz: {inputs} inputs (seed {}), {validated} validated and ran, {binary_runs} through the binary, {panics} \
         panics, {findings} findings, {:.1} s",
        settings.seed,
        started.elapsed().as_secs_f64()
    );
    if findings > 0 {
        println!("findings written to {}", settings.findings.display());
        std::process::exit(1);
    }
}

/// Writes a finding's input and message to the findings folder.
fn record(settings: &Settings, i: u64, origin: &str, bytes: &[u8], message: &str) {
    let _ = std::fs::create_dir_all(&settings.findings);
    let stem = format!("seed{}-input{i}", settings.seed);
    let _ = std::fs::write(settings.findings.join(format!("{stem}.toml")), bytes);
    let _ = std::fs::write(settings.findings.join(format!("{stem}.txt")), format!("from {origin}\n{message}\n"));
    eprintln!("finding at input {i} (from {origin}): {}", message.lines().next().unwrap_or(""));
}

/// A fresh scratch folder for binary runs, under the findings folder's parent.
fn tempdir(findings: &Path) -> PathBuf {
    let dir = findings.with_file_name(format!("fuzz-scratch-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir
}
