//! Where a scenario comes from (a file, bytes a caller read, or the embedded default), reading it and the bases it
//! is laid over within the limits of the security model of `docs/cli.md`, and the SHA-256 digests of their bytes.
//!
//! A file's `scenario.base` is read relative to the folder of the file that names it, and only if it lies within
//! the *scenario folder*: the folder of the scenario file (the current folder for bytes read by the caller, such
//! as standard input or text given to the Python package), symbolic links resolved. Every file read is a regular
//! file of at most [`MAX_SCENARIO_BYTES`], so that a scenario can neither make the tool read (and quote in a
//! diagnostic) a file elsewhere on the machine, nor hang it on a pipe or a device that never ends. The embedded
//! default is named `<embedded>/rare_earths_2025.toml`, so a base `rare_earths_2025.toml` named from it is the
//! embedded text again. Diagnostics are rendered against the file they point into.
//!
//! Every front end (the binary, the Python package) reads scenarios through this crate, so that they accept and
//! refuse the same files.

#![warn(missing_docs)]

use std::fs::OpenOptions;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use chokepoint_scenario::{Diagnostic, Diagnostics, MAX_SCENARIO_BYTES, Scenario, Setting, Style, VariantError};
use sha2::{Digest, Sha256};

pub mod sweep;

/// The default scenario.
pub const EMBEDDED_TEXT: &str = include_str!("../../../scenarios/rare_earths_2025.toml");

/// How the embedded scenario is named in diagnostics and outputs.
pub const EMBEDDED_ORIGIN: &str = "<embedded>/rare_earths_2025.toml";

/// A scenario to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScenarioSource {
    /// The default scenario compiled in.
    Embedded,
    /// A scenario file, with its bases read relative to its folder.
    File(PathBuf),
    /// Bytes the caller read (standard input, text given to an API), named `origin` in diagnostics and outputs;
    /// their bases are read relative to the current folder, and within it.
    Bytes {
        /// The name diagnostics and outputs give the bytes.
        origin: String,
        /// The scenario's bytes.
        bytes: Vec<u8>,
    },
}

/// Why a scenario or an overlay could not be had.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The scenario file could not be read.
    #[error("could not read scenario `{path}`")]
    Read {
        /// The file as named.
        path: String,
        #[source]
        /// Why it could not be read.
        source: ReadError,
    },
    /// An overlay file of mitigations could not be read.
    #[error("could not read mitigation file `{path}`")]
    ReadOverlay {
        /// The file as named.
        path: String,
        #[source]
        /// Why it could not be read.
        source: ReadError,
    },
    /// The scenario (or a base, or an overlay) was refused: every diagnostic, each rendered at its own file.
    #[error("{0}")]
    Invalid(Box<Diagnostics>),
    /// A recorded file's text (read back from a shard's manifest) does not match its recorded SHA-256.
    #[error("the recorded text of {what} `{origin}` does not match its SHA-256 {sha256}")]
    DigestMismatch {
        /// What the file is (a scenario, a base, an overlay).
        what: &'static str,
        /// Where the file was read from when the manifest was written.
        origin: String,
        /// The SHA-256 the manifest recorded.
        sha256: String,
    },
}

impl From<Diagnostics> for LoadError {
    fn from(d: Diagnostics) -> Self {
        LoadError::Invalid(Box::new(d))
    }
}

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    /// The operating system refused the read.
    Io(#[from] std::io::Error),
    #[error(
        "it is not a regular file (a folder, a device, a pipe or a socket); give `-` to read a scenario from \
         standard input"
    )]
    /// The path names a folder, a device, a pipe or a socket.
    NotARegularFile,
    #[error("it holds {bytes} bytes, more than the {MAX_SCENARIO_BYTES} a scenario file may hold")]
    /// The file is larger than a scenario file may be.
    TooLarge {
        /// The file's size.
        bytes: u64,
    },
    #[error("it holds more than the {MAX_SCENARIO_BYTES} bytes a scenario may")]
    /// A file that kept growing past the limit while it was read.
    Unbounded,
}

/// A scenario that was read and accepted, with what outputs need to record about its source.
#[derive(Debug)]
pub struct LoadedScenario {
    /// The file name as given, [`EMBEDDED_ORIGIN`], or the origin of bytes the caller read.
    pub origin: String,
    /// SHA-256 of the scenario's bytes, lowercase hex.
    pub sha256: String,
    /// The bases the scenario is laid over, in the order they were read (its own base first).
    pub bases: Vec<SourceDigest>,
    /// The scenario as lowered, with its model.
    pub scenario: Scenario,
    /// Mitigations and packages applied to `scenario.model` (`run --mitigation`), in order; empty for the
    /// scenario as written.
    pub applied: Vec<String>,
    /// Overlay files of mitigations added to the scenario (`--mitigation FILE`).
    pub overlays: Vec<SourceDigest>,
    /// The `KEY=VALUE` settings applied to the scenario (`--set`), in order.
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
    /// The file that names the base.
    pub naming: String,
    /// The path it gives in `scenario.base`.
    pub path: String,
    /// Where the base was read from.
    pub origin: String,
    /// SHA-256 of the base's bytes, lowercase hex.
    pub sha256: String,
    /// The base's text, exactly its bytes.
    pub text: String,
}

/// A file a scenario was read from, and the SHA-256 of its bytes (lowercase hex).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceDigest {
    /// Where the file was read from.
    pub origin: String,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
}

impl LoadedScenario {
    /// Applies the mitigations and packages `names` (in order) to the scenario as read: its model and parameters
    /// become those of [`Scenario::variant_parameters`], so that a study drawing parameters (a tornado, a
    /// two-level run) draws those of the world the mitigations made, and `applied` records the names. On an
    /// error nothing changes.
    pub fn apply(&mut self, names: Vec<String>) -> Result<(), VariantError> {
        let borrowed: Vec<&str> = names.iter().map(String::as_str).collect();
        let (model, parameters) = self.scenario.variant_parameters(&borrowed)?;
        self.scenario.model = model;
        self.scenario.parameters = parameters;
        self.applied = names;
        Ok(())
    }

    /// Every warning, rendered against the source in `style`, each ending with a newline.
    pub fn rendered_warnings(&self, style: Style) -> String {
        self.scenario.warnings.iter().map(|w| self.render(w, style)).collect()
    }

    fn render(&self, d: &Diagnostic, style: Style) -> String {
        let mut text = self.scenario.render_styled(d, style);
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text
    }
}

/// Reads and parses `source`, and the bases it names. A file that cannot be read is [`LoadError::Read`]; a
/// scenario the parser refuses (or that is not UTF-8, or whose base cannot be read) is [`LoadError::Invalid`] with
/// every diagnostic rendered at its own file.
pub fn load(source: ScenarioSource) -> Result<LoadedScenario, LoadError> {
    load_settings(source, &[])
}

/// As [`load`], with `settings` (`KEY=VALUE`, each named for its diagnostics) applied in order to the scenario
/// before it is lowered; a setting that does not fit is [`LoadError::Invalid`], rendered against the setting.
pub fn load_settings(source: ScenarioSource, settings: &[Setting]) -> Result<LoadedScenario, LoadError> {
    Ok(read(source)?.parse(settings)?)
}

/// `KEY=VALUE` texts as settings named `{name}[1]`, `{name}[2]`, ... in diagnostics (the binary names its
/// `--set` values `--set[N]`).
pub fn numbered_settings(name: &str, texts: &[String]) -> Vec<Setting> {
    texts.iter().enumerate().map(|(i, s)| Setting::new(format!("{name}[{}]", i + 1), s.as_str())).collect()
}

/// The bytes of a scenario as read once, so that it can be parsed again with other settings (a sweep parses it
/// once per point; standard input cannot be read twice).
#[derive(Debug, Clone)]
pub struct ScenarioText {
    /// The file name as given, [`EMBEDDED_ORIGIN`], or the origin of bytes the caller read.
    pub origin: String,
    bytes: Vec<u8>,
    /// The scenario folder its bases must lie in.
    folder: PathBuf,
}

/// Reads `source` (not its bases) within the limits of the security model. A file that cannot be read is
/// [`LoadError::Read`].
pub fn read(source: ScenarioSource) -> Result<ScenarioText, LoadError> {
    Ok(match source {
        ScenarioSource::Embedded => ScenarioText {
            origin: EMBEDDED_ORIGIN.to_owned(),
            bytes: EMBEDDED_TEXT.as_bytes().to_vec(),
            folder: PathBuf::new(),
        },
        ScenarioSource::File(path) => {
            let bytes =
                read_limited(&path).map_err(|source| LoadError::Read { path: path.display().to_string(), source })?;
            let folder = path.parent().unwrap_or(Path::new("")).to_owned();
            ScenarioText { origin: path.display().to_string(), bytes, folder }
        }
        ScenarioSource::Bytes { origin, bytes } => ScenarioText { origin, bytes, folder: PathBuf::new() },
    })
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
        Ok(LoadedScenario {
            origin,
            sha256,
            bases: digests(&base_reads),
            scenario,
            applied: Vec::new(),
            overlays: Vec::new(),
            settings: settings.iter().map(|s| s.text.clone()).collect(),
            text: text.to_string(),
            base_reads,
        })
    }
}

/// Reads a scenario again from its recorded text, the base files it read and the settings it was read with (a
/// shard's manifest): the same scenario, without touching the file system. A base not in `base_reads` is refused;
/// a recorded text that does not match its digest is [`LoadError::DigestMismatch`].
pub fn load_recorded(
    origin: &str,
    text: &str,
    base_reads: &[BaseRead],
    settings: &[Setting],
) -> Result<LoadedScenario, LoadError> {
    for b in base_reads {
        check_digest("base", &b.origin, &b.text, &b.sha256)?;
    }
    let mut resolve = |naming: &str, path: &str| -> Result<(String, Vec<u8>), String> {
        base_reads
            .iter()
            .find(|b| b.naming == naming && b.path == path)
            .map(|b| (b.origin.clone(), b.text.as_bytes().to_vec()))
            .ok_or_else(|| format!("`{path}` (named by `{naming}`) is not among the recorded base files"))
    };
    let scenario = chokepoint_scenario::parse_with_settings(origin, text, Some(&mut resolve), settings)?;
    Ok(LoadedScenario {
        origin: origin.to_owned(),
        sha256: hex(&Sha256::digest(text.as_bytes())),
        bases: digests(base_reads),
        scenario,
        applied: Vec::new(),
        overlays: Vec::new(),
        settings: settings.iter().map(|s| s.text.clone()).collect(),
        text: text.to_owned(),
        base_reads: base_reads.to_vec(),
    })
}

/// The origins and digests of the base files read.
fn digests(base_reads: &[BaseRead]) -> Vec<SourceDigest> {
    base_reads.iter().map(|b| SourceDigest { origin: b.origin.clone(), sha256: b.sha256.clone() }).collect()
}

/// Refuses a recorded `text` whose SHA-256 is not `sha256`.
fn check_digest(what: &'static str, origin: &str, text: &str, sha256: &str) -> Result<(), LoadError> {
    if hex(&Sha256::digest(text.as_bytes())) == sha256 {
        return Ok(());
    }
    Err(LoadError::DigestMismatch { what, origin: origin.to_owned(), sha256: sha256.to_owned() })
}

/// An overlay file of mitigations and packages, read for [`Scenario::add_overlay`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OverlayFile {
    /// Where the file was read from.
    pub origin: String,
    /// The file's text, exactly its bytes.
    pub text: String,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
}

impl OverlayFile {
    /// Refuses an overlay whose text does not match its recorded SHA-256 (one read back from a shard's manifest).
    pub fn check_digest(&self) -> Result<(), LoadError> {
        check_digest("mitigation file", &self.origin, &self.text, &self.sha256)
    }
}

/// Reads an overlay file. A file that cannot be read is [`LoadError::ReadOverlay`]; one that is not UTF-8 is
/// refused.
pub fn read_overlay(path: &Path) -> Result<OverlayFile, LoadError> {
    let bytes =
        read_limited(path).map_err(|source| LoadError::ReadOverlay { path: path.display().to_string(), source })?;
    let origin = path.display().to_string();
    let sha256 = hex(&Sha256::digest(&bytes));
    let text = chokepoint_scenario::decode(&origin, &bytes)?;
    Ok(OverlayFile { origin, text, sha256 })
}

/// Adds `overlay` to `scenario`, returning the names it defines; a refused overlay is [`LoadError::Invalid`],
/// rendered at its file.
pub fn add_overlay(scenario: &mut Scenario, overlay: &OverlayFile) -> Result<Vec<String>, LoadError> {
    Ok(scenario.add_overlay(&overlay.origin, &overlay.text)?)
}

/// One word naming options of a command (`--mitigation NAME|FILE`, or the Python package's lists of names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionWord {
    /// A mitigation or package of the scenario.
    Name(String),
    /// A file of mitigations and packages (a word ending in `.toml`).
    File(PathBuf),
}

impl OptionWord {
    /// A word ending in `.toml` is a file; any other word is a name.
    pub fn from_word(word: String) -> Self {
        if word.ends_with(".toml") { OptionWord::File(word.into()) } else { OptionWord::Name(word) }
    }
}

/// One option as given, with any file already read: a name, or the content of an overlay file of mitigations and
/// packages (read from disk, or recorded in a shard's manifest to be applied again by `merge`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptionInput {
    /// A mitigation or package of the scenario, by name.
    Name(String),
    /// An overlay file of mitigations and packages, each of which becomes an option.
    Overlay {
        /// The file, as read.
        file: OverlayFile,
        /// The file's name without its folder, as options name their source.
        short: String,
    },
}

impl OptionInput {
    /// An option as given, its file read if it is one ([`LoadError::ReadOverlay`] if it cannot be).
    pub fn read(word: &OptionWord) -> Result<Self, LoadError> {
        Ok(match word {
            OptionWord::Name(name) => OptionInput::Name(name.clone()),
            OptionWord::File(path) => {
                let file = read_overlay(path)?;
                let short = path.file_name().map_or_else(|| file.origin.clone(), |f| f.to_string_lossy().into_owned());
                OptionInput::Overlay { file, short }
            }
        })
    }
}

/// The names that [`OptionWord`]s stand for, once their files were added to the scenario.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamedOptions {
    /// Every name, in the order given; a file's names in the order it defines them.
    pub names: Vec<String>,
    /// The file name of the file that defined each name from a file (the last, when several did).
    pub defined_by: Vec<(String, String)>,
    /// The files added, in order, with their digests.
    pub overlays: Vec<SourceDigest>,
}

impl NamedOptions {
    /// Adds one option: a name as it is, or an overlay file added to `scenario` with the names it defines. An
    /// overlay the scenario refuses is [`LoadError::Invalid`].
    pub fn add(&mut self, scenario: &mut Scenario, input: &OptionInput) -> Result<(), LoadError> {
        match input {
            OptionInput::Name(name) => self.names.push(name.clone()),
            OptionInput::Overlay { file, short } => {
                for name in add_overlay(scenario, file)? {
                    self.defined_by.retain(|(n, _)| *n != name);
                    self.defined_by.push((name.clone(), short.clone()));
                    self.names.push(name);
                }
                self.overlays.push(SourceDigest { origin: file.origin.clone(), sha256: file.sha256.clone() });
            }
        }
        Ok(())
    }
}

/// Adds the files among `words` to `scenario` (in order, each read just before it is added, so that problems
/// come in the order the words were given) and lists the names the words stand for. A file that cannot be read is
/// [`LoadError::ReadOverlay`]; one the scenario refuses, [`LoadError::Invalid`].
pub fn add_option_files(scenario: &mut Scenario, words: &[OptionWord]) -> Result<NamedOptions, LoadError> {
    let mut named = NamedOptions::default();
    for word in words {
        named.add(scenario, &OptionInput::read(word)?)?;
    }
    Ok(named)
}

/// Reads a regular file of at most [`MAX_SCENARIO_BYTES`]. A folder, a device (`/dev/zero`), a pipe or a socket is
/// refused without reading from it: the file is opened without blocking (a pipe with no writer would otherwise
/// block the open) and checked through the opened handle, so it cannot be swapped in between.
pub fn read_limited(path: &Path) -> Result<Vec<u8>, ReadError> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(ReadError::NotARegularFile);
    }
    if metadata.len() > MAX_SCENARIO_BYTES as u64 {
        return Err(ReadError::TooLarge { bytes: metadata.len() });
    }
    read_at_most(file)
}

/// Reads `source` to its end, refusing more than [`MAX_SCENARIO_BYTES`] (a file that grows while it is read, or
/// standard input).
pub fn read_at_most(source: impl Read) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    source.take(MAX_SCENARIO_BYTES as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > MAX_SCENARIO_BYTES {
        return Err(ReadError::Unbounded);
    }
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
    // The folder of the naming file; bytes the caller read (`<stdin>`) have none, so their bases are relative to
    // the current folder.
    let folder = Path::new(naming).parent().unwrap_or(Path::new(""));
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
    let bytes = read_limited(&joined).map_err(|e| format!("`{origin}`: {e}"))?;
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
        let loaded = load(ScenarioSource::Embedded).expect("the embedded scenario parses");
        assert_eq!(loaded.origin, EMBEDDED_ORIGIN);
        assert_eq!(loaded.sha256.len(), 64);
    }

    #[test]
    fn a_scenario_read_once_parses_again_with_other_settings() {
        let text = read(ScenarioSource::Embedded).expect("the embedded scenario is read");
        let plain = text.parse(&[]).expect("parses as written");
        let changed = text.parse(&numbered_settings("--set", &["horizon.years=2".to_owned()])).expect("parses");
        assert!(plain.settings.is_empty());
        assert_eq!(changed.settings, ["horizon.years=2"]);
        assert_eq!((plain.scenario.horizon_years(), changed.scenario.horizon_years()), (3.0, 2.0));
        assert_eq!(plain.sha256, changed.sha256);
        let refused = text.parse(&numbered_settings("--set", &["horizon.yeers=2".to_owned()])).unwrap_err();
        assert!(refused.render().contains("--> --set[1]:1:"), "{}", refused.render());
    }

    #[test]
    fn a_recorded_scenario_reads_again_without_the_files_and_refuses_altered_bases() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/embargo_dytb_6_24m.toml");
        let settings = numbered_settings("--set", &["horizon.years=2".to_owned()]);
        let loaded = load_settings(ScenarioSource::File(path), &settings).expect("the shipped scenario parses");
        assert!(!loaded.base_reads.is_empty(), "the scenario is laid over a base");
        let again = load_recorded(&loaded.origin, &loaded.text, &loaded.base_reads, &settings).expect("reads again");
        assert_eq!((&again.sha256, &again.bases, &again.settings), (&loaded.sha256, &loaded.bases, &loaded.settings));
        assert_eq!(format!("{:?}", again.scenario.model), format!("{:?}", loaded.scenario.model));

        let mut altered = loaded.base_reads.clone();
        altered[0].text.push_str("\n# changed\n");
        let e = load_recorded(&loaded.origin, &loaded.text, &altered, &settings).unwrap_err();
        assert!(matches!(e, LoadError::DigestMismatch { what: "base", .. }), "{e}");
        let e = load_recorded(&loaded.origin, &loaded.text, &[], &settings).unwrap_err();
        assert!(e.to_string().contains("is not among the recorded base files"), "{e}");
    }

    #[test]
    fn devices_and_folders_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_limited(dir.path()).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        if Path::new("/dev/zero").exists() {
            let e = read_limited(Path::new("/dev/zero")).unwrap_err();
            assert!(e.to_string().contains("not a regular file"), "{e}");
        }
        let file = dir.path().join("s.toml");
        std::fs::write(&file, "a = 1\n").unwrap();
        assert_eq!(read_limited(&file).unwrap(), b"a = 1\n");
    }
}
