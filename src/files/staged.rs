//! A set of output files written all or nothing, and never through a link someone else planted.
//!
//! Every file of a set is first written into a *staging folder* that this process creates afresh inside the
//! destination folder (`OUT/.chokepoint-staging-PID-N/`, which must not exist: `mkdir` fails otherwise), each
//! file created there exclusively (`O_CREAT | O_EXCL`, and `O_NOFOLLOW` on Unix), flushed and synced. Nothing in
//! it can have been planted beforehand, so no write follows a symbolic link out of the output folder.
//!
//! Only when every file is staged does [`StagedFiles::commit`] move them into place, in three steps:
//! 1. the set's *record*, its last file (`run.json`, `compare_run.json`, `trace.json`), is removed from the
//!    destination: from here on, the folder holds no complete earlier set;
//! 2. every other file is renamed into place (a rename within one file system is atomic, and replaces a file but
//!    never follows a link at the destination);
//! 3. the record is renamed into place last, and the staging folder is removed.
//!
//! A process killed during step 2 therefore leaves new files *without* a record, never new files beside the
//! record of an earlier run: `chokepoint report` and `batch`'s resume read the record first and treat a folder
//! without one as holding no run. If a write fails, or the set is dropped without a commit, the staging folder is
//! removed and the destination is untouched. A process killed while staging leaves its staging folder behind
//! (never a file under a final name); it can be deleted.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;

/// Prefix of staging folders inside an output folder.
pub const STAGING_PREFIX: &str = ".chokepoint-staging-";

/// Distinguishes the staging folders of one process.
static STAGINGS: AtomicU64 = AtomicU64::new(0);

/// Files staged for one folder, waiting for [`StagedFiles::commit`].
#[derive(Debug)]
pub struct StagedFiles {
    dir: PathBuf,
    /// The staging folder, created with the first file.
    staging: Option<PathBuf>,
    /// File names, in the order they were written; the last is the set's record.
    staged: Vec<String>,
}

impl StagedFiles {
    pub fn new(dir: &Path) -> Self {
        Self { dir: dir.to_owned(), staging: None, staged: Vec::new() }
    }

    /// Stages file `name` (a plain file name), its content written by `write`.
    pub fn write(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut BufWriter<File>) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut file = self.open(name)?;
        write(file.writer()).with_context(|| format!("could not write `{}`", file.path.display()))?;
        file.close()
    }

    /// Starts staging file `name` (a plain file name), to be written in pieces, alongside other files, and closed
    /// with [`StagedFile::close`] before the set is committed. Files are committed in the order they were opened.
    pub fn open(&mut self, name: &str) -> anyhow::Result<StagedFile> {
        anyhow::ensure!(
            !name.is_empty() && !name.contains(['/', '\\']) && name != "." && name != "..",
            "`{name}` is not a plain file name"
        );
        let staging = self.staging_folder()?;
        let temporary = staging.join(name);
        let file = create_new(&temporary).with_context(|| format!("could not create `{}`", temporary.display()))?;
        // From here on the file is ours, and removed with the staging folder on failure.
        self.staged.push(name.to_owned());
        Ok(StagedFile { path: temporary, writer: BufWriter::with_capacity(1 << 20, file) })
    }

    /// Where the staged file `name` is until the commit, to read back what was written (`None` if no such file
    /// was staged).
    pub fn staged_path(&self, name: &str) -> Option<PathBuf> {
        let staging = self.staging.as_ref()?;
        self.staged.iter().any(|s| s == name).then(|| staging.join(name))
    }

    /// The staging folder, created on first use.
    fn staging_folder(&mut self) -> anyhow::Result<PathBuf> {
        if let Some(s) = &self.staging {
            return Ok(s.clone());
        }
        loop {
            let n = STAGINGS.fetch_add(1, Ordering::Relaxed);
            let candidate = self.dir.join(format!("{STAGING_PREFIX}{}-{n}", std::process::id()));
            match std::fs::create_dir(&candidate) {
                Ok(()) => {
                    self.staging = Some(candidate.clone());
                    return Ok(candidate);
                }
                // Left by an earlier process with the same id, or planted: never reused.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("could not create a staging folder in `{}`", self.dir.display()));
                }
            }
        }
    }

    /// Moves every staged file into place (the record last, see the module's documentation) and returns their
    /// final paths.
    pub fn commit(mut self) -> anyhow::Result<Vec<PathBuf>> {
        let Some(staging) = self.staging.clone() else { return Ok(Vec::new()) };
        let names = std::mem::take(&mut self.staged);
        let Some((record, others)) = names.split_last() else { return Ok(Vec::new()) };
        let target = |name: &str| self.dir.join(name);
        // A folder where a file must go would stop the commit half way: refuse before anything moves.
        for name in &names {
            if std::fs::symlink_metadata(target(name)).is_ok_and(|m| m.is_dir()) {
                anyhow::bail!("could not move `{}` into place: a folder is in the way", target(name).display());
            }
        }
        match std::fs::remove_file(target(record)) {
            Ok(()) => sync_folder(&self.dir),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("could not replace `{}`", target(record).display())),
        }
        let mut done = Vec::with_capacity(names.len());
        for name in others.iter().chain([record]) {
            std::fs::rename(staging.join(name), target(name))
                .with_context(|| format!("could not move `{}` into place", target(name).display()))?;
            done.push(target(name));
        }
        sync_folder(&self.dir);
        Ok(done)
    }
}

/// A file being staged, written in pieces (see [`StagedFiles::open`]).
#[derive(Debug)]
pub struct StagedFile {
    path: PathBuf,
    writer: BufWriter<File>,
}

impl StagedFile {
    /// The writer of the file's content.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        &mut self.writer
    }

    /// Flushes and syncs the file: it is complete.
    pub fn close(self) -> anyhow::Result<()> {
        let path = self.path;
        let file = self.writer.into_inner().map_err(|e| e.into_error()).and_then(|mut f| f.flush().map(|()| f));
        file.and_then(|f| f.sync_all()).with_context(|| format!("could not write `{}`", path.display()))
    }
}

impl Drop for StagedFiles {
    fn drop(&mut self) {
        if let Some(staging) = &self.staging {
            // Best effort: after a commit only the empty folder is left; after a failure, the staged files too.
            let _ = std::fs::remove_dir_all(staging);
        }
    }
}

/// Creates `path` for writing; fails if anything, a symbolic link included, is already there.
fn create_new(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path)
}

/// Makes the renames in `dir` durable where the platform allows it; a folder that cannot be synced is not an
/// error (the files themselves are synced).
fn sync_folder(dir: &Path) {
    if cfg!(unix)
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn files_appear_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = StagedFiles::new(dir.path());
        files.write("a.txt", |w| Ok(w.write_all(b"alpha")?)).unwrap();
        files.write("b.txt", |w| Ok(w.write_all(b"beta")?)).unwrap();
        let listed = names(dir.path());
        assert!(listed.len() == 1 && listed[0].starts_with(STAGING_PREFIX), "{listed:?}");
        let written = files.commit().unwrap();
        assert_eq!(written.len(), 2);
        assert_eq!(names(dir.path()), ["a.txt", "b.txt"]);
        assert_eq!(std::fs::read_to_string(dir.path().join("b.txt")).unwrap(), "beta");
    }

    #[test]
    fn a_failed_write_removes_every_staged_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = StagedFiles::new(dir.path());
        files.write("a.txt", |w| Ok(w.write_all(b"alpha")?)).unwrap();
        let err = files.write("b.txt", |_| anyhow::bail!("disk full")).unwrap_err();
        assert!(format!("{err:#}").contains("disk full"));
        drop(files);
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn an_existing_file_is_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "old").unwrap();
        let mut files = StagedFiles::new(dir.path());
        files.write("a.txt", |w| Ok(w.write_all(b"new")?)).unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join("a.txt")).unwrap(), "old");
        files.commit().unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join("a.txt")).unwrap(), "new");
    }

    /// Issue 11: a planted `NAME.tmp` link made a run overwrite a file outside its output folder.
    #[cfg(unix)]
    #[test]
    fn issue_11_a_planted_link_is_neither_followed_nor_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "precious").unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        // Links where the old code staged its files, and where the new one commits them.
        std::os::unix::fs::symlink(&victim, out.join("summary.csv.tmp")).unwrap();
        std::os::unix::fs::symlink(&victim, out.join("summary.csv")).unwrap();
        let mut files = StagedFiles::new(&out);
        files.write("summary.csv", |w| Ok(w.write_all(b"new")?)).unwrap();
        files.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!std::fs::symlink_metadata(out.join("summary.csv")).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(out.join("summary.csv")).unwrap(), "new");
    }

    #[test]
    fn the_record_of_an_earlier_set_goes_before_any_new_file_arrives() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [("data.parquet", "old data"), ("run.json", "old record")] {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let mut files = StagedFiles::new(dir.path());
        files.write("data.parquet", |w| Ok(w.write_all(b"new data")?)).unwrap();
        files.write("run.json", |w| Ok(w.write_all(b"new record")?)).unwrap();
        // Stop the commit after its first rename, as a kill would, by making the record's rename fail: the
        // staged record is moved away so that step 3 finds nothing.
        let staging = files.staging.clone().unwrap();
        let (names_before, record) = (files.staged.clone(), staging.join("run.json"));
        std::fs::remove_file(&record).unwrap();
        assert!(files.commit().is_err());
        assert_eq!(names_before.last().map(String::as_str), Some("run.json"));
        // New data, no record: never new data beside the old record.
        assert_eq!(std::fs::read_to_string(dir.path().join("data.parquet")).unwrap(), "new data");
        assert!(!dir.path().join("run.json").exists());
        assert_eq!(names(dir.path()), ["data.parquet"], "the staging folder is removed");
    }
}
