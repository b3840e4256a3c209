//! `chokepoint report OUTDIR`: rebuild `report.html` from the files a run saved, without running again.

use std::path::Path;

use crate::failure::Failure;
use crate::files::staged::StagedFiles;
use crate::report::{REPORT_FILE, ReportData, render_run_report};

pub fn report(out_dir: &Path) -> Result<(), Failure> {
    let data = ReportData::load(out_dir)?;
    let html = render_run_report(&data)?;
    let mut files = StagedFiles::new(out_dir);
    crate::files::tables::write_text(&mut files, REPORT_FILE, &html)?;
    files.commit()?;
    super::print_stdout(&format!("Report in {}\n", out_dir.join(REPORT_FILE).display()))?;
    Ok(())
}
