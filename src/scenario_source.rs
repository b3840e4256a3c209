//! Where a scenario comes from (a file, standard input or the embedded default), reading it and the bases it is
//! laid over within the limits of the security model of `docs/cli.md`, and the SHA-256 digests of their bytes.
//!
//! A file's `scenario.base` is read relative to the folder of the file that names it, and only if it lies within
//! the *scenario folder*: the folder of the scenario named on the command line (the current folder for standard
//! input), symbolic links resolved. Every file read is a regular file of at most
//! [`MAX_SCENARIO_BYTES`](chokepoint_scenario::MAX_SCENARIO_BYTES), so that a scenario can neither make the tool
//! read (and quote in a diagnostic) a file elsewhere on the machine, nor hang it on a pipe or a device that never
//! ends. The embedded default is named `<embedded>/rare_earths_2025.toml`, so a base `rare_earths_2025.toml` named
//! from it is the embedded text again. Diagnostics are rendered against the file they point into.

use std::fs::OpenOptions;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use anyhow::Context;
use chokepoint_scenario::{Diagnostic, Diagnostics, MAX_SCENARIO_BYTES, Scenario, Setting};
use sha2::{Digest, Sha256};

use crate::failure::Failure;

/// The default scenario, compiled into the binary.
const EMBEDDED_TEXT: &str = include_str!("../scenarios/rare_earths_2025.toml");

/// How the embedded scenario is named in diagnostics and outputs.
pub const EMBEDDED_ORIGIN: &str = "<embedded>/rare_earths_2025.toml";

/// How a scenario read from standard input is named in diagnostics and outputs.
pub const STDIN_ORIGIN: &str = "<stdin>";

/// A scenario to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScenarioSource {
    /// The default scenario compiled into the binary.
    Embedded,
    File(PathBuf),
    /// Standard input (`-` on the command line); its bases are read relative to the current folder.
    Stdin,
}

impl ScenarioSource {
    /// A scenario argument: `-` is standard input, anything else a file.
    pub fn from_arg(path: PathBuf) -> Self {
        if path.as_os_str() == "-" { ScenarioSource::Stdin } else { ScenarioSource::File(path) }
    }
}

/// A scenario that was read and accepted, with what outputs need to record about its source.
#[derive(Debug)]
pub struct LoadedScenario {
    /// The file name as given, [`EMBEDDED_ORIGIN`] or [`STDIN_ORIGIN`].
    pub origin: String,
    /// SHA-256 of the scenario's bytes, lowercase hex.
    pub sha256: String,
    /// The bases the scenario is laid over, in the order they were read (its own base first).
    pub bases: Vec<SourceDigest>,
    pub scenario: Scenario,
    /// Mitigations and packages applied to `scenario.model` (`run --mitigation`), in order; empty for the
    /// scenario as written.
    pub applied: Vec<String>,
    /// Overlay files of mitigations added to the scenario (`--mitigation FILE`).
    pub overlays: Vec<SourceDigest>,
    /// The `--set KEY=VALUE` settings applied to the scenario, in order.
    pub settings: Vec<String>,
    /// The scenario's text, exactly its bytes.
    pub text: String,
    /// The base files read, in order, with what named them and their text: enough to read the scenario again
    /// elsewhere ([`load_recorded`]), as `merge` does from a shard's manifest.
    pub base_reads: Vec<BaseRead>,
}

/// One base file read for a scenario: the file that named it, the path it gave, and the file's origin and text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BaseRead {
    pub naming: String,
    pub path: String,
    pub origin: String,
    pub sha256: String,
    pub text: String,
}

/// A file a scenario was read from, and the SHA-256 of its bytes (lowercase hex).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceDigest {
    pub origin: String,
    pub sha256: String,
}

impl LoadedScenario {
    /// Every warning, rendered against the source in the style of stderr, each ending with a newline.
    pub fn rendered_warnings(&self) -> String {
        self.scenario.warnings.iter().map(|w| self.render(w)).collect()
    }

    fn render(&self, d: &Diagnostic) -> String {
        let mut text = self.scenario.render_styled(d, crate::console::style());
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text
    }
}

/// Reads and parses `source`, and the bases it names. A file that cannot be read is a runtime error; a scenario
/// the parser refuses (or that is not UTF-8, or whose base cannot be read) is [`Failure::InvalidScenario`] with
/// every diagnostic rendered at its own file.
pub fn load(source: &ScenarioSource) -> Result<LoadedScenario, Failure> {
    load_with(source, &[])
}

/// As [`load`], with `settings` (`--set KEY=VALUE`, in order) applied to the scenario before it is lowered; their
/// problems are rendered against the settings themselves, named `--set[1]`, `--set[2]`, ...
pub fn load_with(source: &ScenarioSource, settings: &[String]) -> Result<LoadedScenario, Failure> {
    let named = named_settings(settings);
    load_settings(source, &named)
}

/// `--set KEY=VALUE` settings named for their diagnostics: `--set[1]`, `--set[2]`, ...
fn named_settings(settings: &[String]) -> Vec<Setting> {
    settings.iter().enumerate().map(|(i, s)| Setting::new(format!("--set[{}]", i + 1), s.as_str())).collect()
}

/// As [`load_with`], with settings already named (a sweep names its values `--vary[N]`).
pub fn load_settings(source: &ScenarioSource, settings: &[Setting]) -> Result<LoadedScenario, Failure> {
    Ok(read(source)?.parse(settings)?)
}

/// The bytes of a scenario as read once, so that it can be parsed again with other settings (a sweep parses it
/// once per point; standard input cannot be read twice).
#[derive(Debug, Clone)]
pub struct ScenarioText {
    /// The file name as given, [`EMBEDDED_ORIGIN`] or [`STDIN_ORIGIN`].
    pub origin: String,
    bytes: Vec<u8>,
    /// The scenario folder its bases must lie in.
    folder: PathBuf,
}

/// Reads `source` (not its bases) within the limits of the security model. A file that cannot be read is a
/// runtime error.
pub fn read(source: &ScenarioSource) -> Result<ScenarioText, Failure> {
    let (origin, bytes) = match source {
        ScenarioSource::Embedded => (EMBEDDED_ORIGIN.to_owned(), EMBEDDED_TEXT.as_bytes().to_vec()),
        ScenarioSource::File(path) => {
            let bytes = read_limited(path).with_context(|| format!("could not read scenario `{}`", path.display()))?;
            (path.display().to_string(), bytes)
        }
        ScenarioSource::Stdin => (STDIN_ORIGIN.to_owned(), read_stdin()?),
    };
    let folder = match source {
        ScenarioSource::File(path) => path.parent().unwrap_or(Path::new("")).to_owned(),
        ScenarioSource::Embedded | ScenarioSource::Stdin => PathBuf::new(),
    };
    Ok(ScenarioText { origin, bytes, folder })
}

impl ScenarioText {
    /// Parses the scenario with the bases it names (read again each time) and `settings` applied in order. A
    /// refused scenario (one that is not UTF-8, whose base cannot be read, or a setting that does not fit) gives
    /// back its diagnostics as they are, for a caller that tells some of them apart.
    pub fn parse(&self, settings: &[Setting]) -> Result<LoadedScenario, Diagnostics> {
        let origin = self.origin.clone();
        let sha256 = hex(&Sha256::digest(&self.bytes));
        let text = chokepoint_scenario::decode(&origin, &self.bytes)?;
        let mut base_reads = Vec::new();
        let mut resolve = |naming: &str, path: &str| -> Result<(String, Vec<u8>), String> {
            let (base_origin, base_bytes) = read_base(&self.folder, naming, path)?;
            // A base that is not UTF-8 is refused by the parser with its own diagnostic; it is not recorded then.
            if let Ok(base_text) = std::str::from_utf8(&base_bytes) {
                base_reads.push(BaseRead {
                    naming: naming.to_owned(),
                    path: path.to_owned(),
                    origin: base_origin.clone(),
                    sha256: hex(&Sha256::digest(&base_bytes)),
                    text: base_text.to_owned(),
                });
            }
            Ok((base_origin, base_bytes))
        };
        let scenario = chokepoint_scenario::parse_with_settings(&origin, &text, Some(&mut resolve), settings)?;
        let bases =
            base_reads.iter().map(|b| SourceDigest { origin: b.origin.clone(), sha256: b.sha256.clone() }).collect();
        Ok(LoadedScenario {
            origin,
            sha256,
            bases,
            scenario,
            applied: Vec::new(),
            overlays: Vec::new(),
            settings: settings.iter().map(|s| s.text.clone()).collect(),
            text: text.to_string(),
            base_reads,
        })
    }
}

/// Reads a scenario again from its recorded text, the base files it read and the `--set` settings it was read
/// with (a shard's manifest): the same scenario, without touching the file system. A base not in `base_reads` is
/// refused. The recorded digests are checked against the texts.
pub fn load_recorded(
    origin: &str,
    text: &str,
    base_reads: &[BaseRead],
    settings: &[String],
) -> Result<LoadedScenario, Failure> {
    for b in base_reads {
        let sha = hex(&Sha256::digest(b.text.as_bytes()));
        if sha != b.sha256 {
            return Err(Failure::Runtime(anyhow::anyhow!(
                "the recorded text of base `{}` does not match its SHA-256 {}",
                b.origin,
                b.sha256
            )));
        }
    }
    let mut resolve = |naming: &str, path: &str| -> Result<(String, Vec<u8>), String> {
        base_reads
            .iter()
            .find(|b| b.naming == naming && b.path == path)
            .map(|b| (b.origin.clone(), b.text.as_bytes().to_vec()))
            .ok_or_else(|| format!("`{path}` (named by `{naming}`) is not among the recorded base files"))
    };
    let named = named_settings(settings);
    let scenario = chokepoint_scenario::parse_with_settings(origin, text, Some(&mut resolve), &named)?;
    Ok(LoadedScenario {
        origin: origin.to_owned(),
        sha256: hex(&Sha256::digest(text.as_bytes())),
        bases: base_reads.iter().map(|b| SourceDigest { origin: b.origin.clone(), sha256: b.sha256.clone() }).collect(),
        scenario,
        applied: Vec::new(),
        overlays: Vec::new(),
        settings: settings.to_vec(),
        text: text.to_owned(),
        base_reads: base_reads.to_vec(),
    })
}

/// An overlay file of mitigations and packages, read for [`Scenario::add_overlay`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OverlayFile {
    pub origin: String,
    pub text: String,
    pub sha256: String,
}

impl OverlayFile {
    /// Refuses an overlay whose text does not match its recorded SHA-256 (one read back from a shard's manifest).
    pub fn check_digest(&self) -> Result<(), Failure> {
        let sha = hex(&Sha256::digest(self.text.as_bytes()));
        if sha == self.sha256 {
            return Ok(());
        }
        Err(Failure::Runtime(anyhow::anyhow!(
            "the recorded text of mitigation file `{}` does not match its SHA-256 {}",
            self.origin,
            self.sha256
        )))
    }
}

/// Reads an overlay file. A file that cannot be read is a runtime error; one that is not UTF-8 is refused.
pub fn read_overlay(path: &Path) -> Result<OverlayFile, Failure> {
    let bytes = read_limited(path).with_context(|| format!("could not read mitigation file `{}`", path.display()))?;
    let origin = path.display().to_string();
    let sha256 = hex(&Sha256::digest(&bytes));
    let text = chokepoint_scenario::decode(&origin, &bytes)?;
    Ok(OverlayFile { origin, text, sha256 })
}

/// Adds `overlay` to `scenario`; a refused overlay is [`Failure::InvalidScenario`], rendered at its file.
pub fn add_overlay(scenario: &mut Scenario, overlay: &OverlayFile) -> Result<Vec<String>, Failure> {
    Ok(scenario.add_overlay(&overlay.origin, &overlay.text)?)
}

/// Reads a regular file of at most [`MAX_SCENARIO_BYTES`]. A folder, a device (`/dev/zero`), a pipe or a socket is
/// refused without reading from it: the file is opened without blocking (a pipe with no writer would otherwise
/// block the open) and checked through the opened handle, so it cannot be swapped in between.
pub fn read_limited(path: &Path) -> anyhow::Result<Vec<u8>> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let metadata = file.metadata()?;
    anyhow::ensure!(
        metadata.is_file(),
        "it is not a regular file (a folder, a device, a pipe or a socket); give `-` to read a scenario from \
         standard input"
    );
    anyhow::ensure!(
        metadata.len() <= MAX_SCENARIO_BYTES as u64,
        "it holds {} bytes, more than the {} a scenario file may hold",
        metadata.len(),
        MAX_SCENARIO_BYTES
    );
    read_at_most(file)
}

/// Reads standard input, up to [`MAX_SCENARIO_BYTES`].
fn read_stdin() -> anyhow::Result<Vec<u8>> {
    read_at_most(std::io::stdin().lock()).context("could not read the scenario from standard input")
}

/// Reads `source` to its end, refusing more than [`MAX_SCENARIO_BYTES`] (a file that grows while it is read, or
/// standard input).
fn read_at_most(source: impl Read) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    source.take(MAX_SCENARIO_BYTES as u64 + 1).read_to_end(&mut bytes)?;
    anyhow::ensure!(
        bytes.len() <= MAX_SCENARIO_BYTES,
        "it holds more than the {MAX_SCENARIO_BYTES} bytes a scenario may"
    );
    Ok(bytes)
}

/// Reads the base `path` named by the file `naming` (an origin): relative to `naming`'s folder and within the
/// scenario folder `root`, or, from the embedded scenario, the embedded scenario itself. The path has passed the
/// scenario crate's checks (relative, `/`-separated, a `.toml` file). Returns the base's origin (the joined path,
/// with `.` and `dir/..` folded away so that one file gets one origin) and its bytes.
fn read_base(root: &Path, naming: &str, path: &str) -> Result<(String, Vec<u8>), String> {
    if let Some(dir) = EMBEDDED_ORIGIN.strip_suffix("rare_earths_2025.toml")
        && naming.starts_with(dir)
    {
        let name = normalize(Path::new(path));
        return if name == Path::new("rare_earths_2025.toml") {
            Ok((EMBEDDED_ORIGIN.to_owned(), EMBEDDED_TEXT.as_bytes().to_vec()))
        } else {
            Err(format!("the embedded scenario can only name `rare_earths_2025.toml` as a base, not `{path}`"))
        };
    }
    let folder =
        if naming == STDIN_ORIGIN { Path::new("") } else { Path::new(naming).parent().unwrap_or(Path::new("")) };
    let joined = normalize(&folder.join(path));
    let origin = joined.display().to_string();
    let outside = || {
        format!(
            "`{origin}` lies outside the scenario's folder `{}`; a base must be in the folder of the scenario named \
             on the command line, or below it",
            if root.as_os_str().is_empty() { Path::new(".") } else { root }.display()
        )
    };
    if !within(&normalize(root), &joined) {
        return Err(outside());
    }
    // Lexically inside; symbolic links must not lead out either.
    let real = std::fs::canonicalize(&joined).map_err(|e| format!("`{origin}`: {e}"))?;
    let real_root = std::fs::canonicalize(if root.as_os_str().is_empty() { Path::new(".") } else { root })
        .map_err(|e| format!("the scenario's folder `{}`: {e}", root.display()))?;
    if !real.starts_with(&real_root) {
        return Err(outside());
    }
    let bytes = read_limited(&joined).map_err(|e| format!("`{origin}`: {e:#}"))?;
    Ok((origin, bytes))
}

/// Whether the normalized relative or absolute path `path` lies within the folder `root` (also normalized).
fn within(root: &Path, path: &Path) -> bool {
    let mut rest = path.components();
    for c in root.components() {
        if rest.next() != Some(c) {
            return false;
        }
    }
    !rest.any(|c| matches!(c, Component::ParentDir | Component::RootDir | Component::Prefix(_)))
}

/// `path` with `.` components removed and `name/..` pairs folded (lexically; symbolic links are not followed).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.components().next_back(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_a_known_vector() {
        assert_eq!(hex(&Sha256::digest(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn base_paths_are_folded_lexically() {
        assert_eq!(normalize(Path::new("scenarios/./a/../rare.toml")), Path::new("scenarios/rare.toml"));
        assert_eq!(normalize(Path::new("../x/../y.toml")), Path::new("../y.toml"));
        assert_eq!(normalize(Path::new("/a/b/../c.toml")), Path::new("/a/c.toml"));
    }

    #[test]
    fn bases_stay_within_the_scenario_folder() {
        assert!(within(Path::new("scenarios"), Path::new("scenarios/base.toml")));
        assert!(within(Path::new("scenarios"), Path::new("scenarios/shared/base.toml")));
        assert!(!within(Path::new("scenarios"), Path::new("other/base.toml")));
        assert!(within(Path::new(""), Path::new("base.toml")));
        assert!(!within(Path::new(""), Path::new("../base.toml")));
        assert!(within(Path::new("../s"), Path::new("../s/base.toml")));
        assert!(!within(Path::new("../s"), Path::new("../base.toml")));
        assert!(!within(Path::new("s"), Path::new("/etc/x.toml")));
    }

    #[test]
    fn the_embedded_scenario_resolves_its_own_name_as_a_base() {
        let (origin, bytes) = read_base(Path::new(""), EMBEDDED_ORIGIN, "./rare_earths_2025.toml").expect("resolves");
        assert_eq!((origin.as_str(), bytes.len()), (EMBEDDED_ORIGIN, EMBEDDED_TEXT.len()));
        assert!(read_base(Path::new(""), EMBEDDED_ORIGIN, "other.toml").is_err());
    }

    #[test]
    fn embedded_scenario_is_valid() {
        let loaded = load(&ScenarioSource::Embedded).expect("the embedded scenario parses");
        assert_eq!(loaded.origin, EMBEDDED_ORIGIN);
        assert_eq!(loaded.sha256.len(), 64);
    }

    #[test]
    fn devices_and_folders_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_limited(dir.path()).unwrap_err();
        assert!(format!("{e:#}").contains("not a regular file"), "{e:#}");
        if Path::new("/dev/zero").exists() {
            let e = read_limited(Path::new("/dev/zero")).unwrap_err();
            assert!(format!("{e:#}").contains("not a regular file"), "{e:#}");
        }
        let file = dir.path().join("s.toml");
        std::fs::write(&file, "a = 1\n").unwrap();
        assert_eq!(read_limited(&file).unwrap(), b"a = 1\n");
    }
}
