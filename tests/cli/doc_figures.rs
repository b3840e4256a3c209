//! Figures in the documentation are the binary's output: every block that follows a marker
//!
//! ```text
//! <!-- command: chokepoint run -n 2000 -q -->
//! ```
//!
//! in `README.md`, `scenarios/README.md` or `docs/*.md` must equal what the command prints on stdout, run in a
//! scratch folder holding a copy of `scenarios/`. The block is the fenced code block that follows the marker, or
//! the lines up to `<!-- end -->` when no fence follows (a Markdown table). A marker may end with
//! `(lines 3-10, 59-66)`: the block is then those lines of the output, with a line `...` between two ranges.
//! Run with `CHOKEPOINT_BLESS=1` to write the outputs into the files instead. Trial counts in these commands are
//! kept small, so that the check stays cheap in a debug build.

use std::path::{Path, PathBuf};

use super::chokepoint_in;

const MARKER: &str = "<!-- command: ";
const END: &str = "<!-- end -->";

/// A marked block of a document.
#[derive(Debug)]
struct Block {
    command: Vec<String>,
    /// 1-based inclusive line ranges of the output shown, or all of it.
    lines: Option<Vec<(usize, usize)>>,
    /// Lines of the document the block's text occupies (0-based, end exclusive).
    body: std::ops::Range<usize>,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn documents() -> Vec<PathBuf> {
    let mut docs = vec![repo().join("README.md"), repo().join("scenarios/README.md")];
    let mut more: Vec<PathBuf> = std::fs::read_dir(repo().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    more.sort();
    docs.extend(more);
    docs
}

/// The marked blocks of `text`; a malformed marker is a test failure, reported with its line.
fn blocks(origin: &Path, text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.trim().strip_prefix(MARKER) else { continue };
        let at = format!("{}:{}", origin.display(), i + 1);
        let spec = rest.strip_suffix("-->").unwrap_or_else(|| panic!("{at}: the marker does not end with `-->`"));
        let (command, lines_spec) = match spec.trim().strip_suffix(')').and_then(|s| s.rsplit_once("(lines ")) {
            Some((command, ranges)) => (command, Some(ranges)),
            None => (spec, None),
        };
        let command: Vec<String> = command.split_whitespace().map(|w| w.trim_matches('\'').to_owned()).collect();
        assert_eq!(command.first().map(String::as_str), Some("chokepoint"), "{at}: commands start with `chokepoint`");
        let ranges = lines_spec.map(|r| {
            r.split(',')
                .map(|part| {
                    let (a, b) = part.trim().split_once('-').unwrap_or_else(|| panic!("{at}: `{part}` is not A-B"));
                    (a.parse().unwrap(), b.parse().unwrap())
                })
                .collect()
        });
        let body = if lines.get(i + 1).is_some_and(|l| l.starts_with("```")) {
            let close = (i + 2..lines.len()).find(|&j| lines[j].starts_with("```")).unwrap_or_else(|| {
                panic!("{at}: the fenced block after the marker is not closed");
            });
            i + 2..close
        } else {
            let end = (i + 1..lines.len()).find(|&j| lines[j].trim() == END).unwrap_or_else(|| {
                panic!("{at}: no fenced block follows the marker, and no `{END}` closes its lines");
            });
            i + 1..end
        };
        out.push(Block { command, lines: ranges, body });
    }
    out
}

/// What the block should hold: the command's output, or the lines of it the marker selects.
fn expected(block: &Block, scratch: &Path) -> String {
    let args: Vec<&str> = block.command[1..].iter().map(String::as_str).collect();
    let o = chokepoint_in(scratch, &args);
    assert!(o.status.success(), "`{}` failed:\n{}", block.command.join(" "), String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let Some(ranges) = &block.lines else { return text.trim_end().to_owned() };
    let lines: Vec<&str> = text.lines().collect();
    let mut shown: Vec<&str> = Vec::new();
    for (k, &(a, b)) in ranges.iter().enumerate() {
        if k > 0 {
            shown.push("...");
        }
        shown.extend(lines.iter().take(b).skip(a - 1));
    }
    shown.join("\n")
}

#[test]
fn figures_in_the_docs_are_what_the_binary_prints() {
    let bless = std::env::var("CHOKEPOINT_BLESS").is_ok_and(|v| v == "1");
    let scratch = tempfile::tempdir().unwrap();
    std::fs::create_dir(scratch.path().join("scenarios")).unwrap();
    for entry in std::fs::read_dir(repo().join("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "toml") {
            std::fs::copy(&path, scratch.path().join("scenarios").join(path.file_name().unwrap())).unwrap();
        }
    }
    let mut checked = 0;
    let mut drifted = Vec::new();
    let mut too_wide = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let found = blocks(&doc, &text);
        if found.is_empty() {
            continue;
        }
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        // From the last block up, so that blessing one does not move the lines of the others.
        for block in found.iter().rev() {
            checked += 1;
            let want = expected(block, scratch.path());
            // The terminal's tables and sentences fit 100 columns on the shipped scenarios (Markdown tables, `--wide`
            // and `--list`, whose keys are shown whole to be copied, excepted).
            let terminal = !block.command.iter().any(|a| ["--wide", "--list", "markdown"].contains(&a.as_str()));
            if let Some(line) = want.lines().find(|l| terminal && l.chars().count() > 100) {
                too_wide.push(format!("{}: `{}`: {line}", doc.display(), block.command.join(" ")));
            }
            let have = lines[block.body.clone()].join("\n");
            if have.trim_end() != want {
                if bless {
                    lines.splice(block.body.clone(), want.lines().map(str::to_owned));
                } else {
                    drifted.push(format!(
                        "{}:{}: `{}` now prints:\n{want}\n",
                        doc.display(),
                        block.body.start,
                        block.command.join(" ")
                    ));
                }
            }
        }
        if bless {
            std::fs::write(&doc, lines.join("\n") + "\n").unwrap();
        }
    }
    assert!(checked >= 4, "only {checked} marked blocks: the README's figures are no longer checked");
    assert!(too_wide.is_empty(), "lines wider than 100 columns:\n{}", too_wide.join("\n"));
    assert!(
        drifted.is_empty(),
        "{} block(s) differ from the binary's output (CHOKEPOINT_BLESS=1 rewrites them):\n{}",
        drifted.len(),
        drifted.join("\n")
    );
}

#[test]
fn markers_are_read_as_documented() {
    let text = "a\n<!-- command: chokepoint run -n 5 -q (lines 1-2, 4-4) -->\n```\nx\n```\n\
                <!-- command: chokepoint batch scenarios -->\n| t |\n<!-- end -->\n";
    let found = blocks(Path::new("x.md"), text);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].command, ["chokepoint", "run", "-n", "5", "-q"]);
    assert_eq!(found[0].lines, Some(vec![(1, 2), (4, 4)]));
    assert_eq!(found[0].body, 3..4);
    assert_eq!(found[1].body, 6..7);
}
