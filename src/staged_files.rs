//! A set of output files written all or nothing.
//!
//! Each file is written to `NAME.tmp` in the destination folder, flushed and synced; only when every file is
//! staged does [`StagedFiles::commit`] rename them into place (a rename within one folder is atomic). If a
//! write fails, or the set is dropped without a commit, every staged file is removed: a reader never sees a
//! half-written file, and a failed run leaves no partial files behind.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Files staged in one folder, waiting for [`StagedFiles::commit`].
#[derive(Debug)]
pub struct StagedFiles {
    dir: PathBuf,
    /// `(temporary, final)` paths, in the order they were written.
    staged: Vec<(PathBuf, PathBuf)>,
}

impl StagedFiles {
    pub fn new(dir: &Path) -> Self {
        Self { dir: dir.to_owned(), staged: Vec::new() }
    }

    /// Stages file `name`, its content written by `write`.
    pub fn write(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut BufWriter<File>) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let target = self.dir.join(name);
        let temporary = self.dir.join(format!("{name}.tmp"));
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temporary)
            .with_context(|| format!("could not create `{}`", temporary.display()))?;
        // From here on the temporary file is ours, and removed on failure.
        self.staged.push((temporary.clone(), target));
        let mut writer = BufWriter::with_capacity(1 << 20, file);
        write(&mut writer).with_context(|| format!("could not write `{}`", temporary.display()))?;
        let file = writer.into_inner().map_err(|e| e.into_error()).and_then(|mut f| f.flush().map(|()| f));
        file.and_then(|f| f.sync_all()).with_context(|| format!("could not write `{}`", temporary.display()))
    }

    /// Moves every staged file into place and returns their final paths.
    pub fn commit(mut self) -> anyhow::Result<Vec<PathBuf>> {
        let staged = std::mem::take(&mut self.staged);
        let mut done = Vec::with_capacity(staged.len());
        let mut pending = staged.into_iter();
        while let Some((temporary, target)) = pending.next() {
            if let Err(e) = std::fs::rename(&temporary, &target) {
                // Put back what is left, so that dropping `self` removes it.
                self.staged.push((temporary, target.clone()));
                self.staged.extend(pending);
                return Err(e).with_context(|| format!("could not move `{}` into place", target.display()));
            }
            done.push(target);
        }
        sync_folder(&self.dir);
        Ok(done)
    }
}

impl Drop for StagedFiles {
    fn drop(&mut self) {
        for (temporary, _) in &self.staged {
            // Best effort: the file may never have been created in full.
            let _ = std::fs::remove_file(temporary);
        }
    }
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
        assert_eq!(names(dir.path()), ["a.txt.tmp", "b.txt.tmp"]);
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
}
