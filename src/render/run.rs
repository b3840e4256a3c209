//! The terminal report of a run (or of a merged one): its tables, with the two-level section when there is one, or
//! the text of `summary.json`.

use std::path::Path;

use crate::failure::Failure;
use crate::files::run::Written;
use crate::render::console::print_stdout;
use crate::render::table::{self, ReportFormat};
use crate::report::REPORT_FILE;

/// Prints the report of a run (or of a merged one): its tables, with the two-level section when there is one, or
/// the text of `summary.json`.
pub fn print_run(
    written: &Written,
    out_dir: &Path,
    report: ReportFormat,
    width: crate::render::table::Width,
) -> Result<(), Failure> {
    match report {
        ReportFormat::Table => {
            let report = out_dir.join(REPORT_FILE);
            let document = &written.document;
            let mut text = table::render(document, out_dir, width);
            if let Some(w) = &document.worlds {
                // The two-level section goes before the closing line naming the output folder.
                let at = text.rfind("\nOutputs in ").unwrap_or(text.len());
                text.insert_str(at, &crate::render::worlds::render(document, w));
            }
            print_stdout(&format!("{text}Report: {}\n", report.display()))?;
        }
        ReportFormat::Json => print_stdout(&written.summary_json)?,
    }
    Ok(())
}
