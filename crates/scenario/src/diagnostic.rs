//! Diagnostics: coded, spanned problems with a help line, rendered in the style of rustc and cargo-deny.

use std::fmt;
use std::ops::Range;

/// How serious a diagnostic is. Any error refuses the scenario; warnings are reported with a valid scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    fn label(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
        }
    }
}

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable kebab-case code, one of [`crate::CODES`].
    pub code: &'static str,
    /// What is wrong, lowercase, quoting the user's value.
    pub message: String,
    /// Dotted path of the key to change, such as `stages.cn_mines.capacity_t_per_year` or `links[3].from`
    /// (links are numbered from 0 in file order). Empty when the problem concerns the whole document.
    pub key: String,
    /// Byte range in the source the problem points at.
    pub span: Option<Range<usize>>,
    /// What to change, naming the key.
    pub help: Option<String>,
    /// The file the span points into, when it is not the file the user named (a base of an overlay, or the
    /// scenario an overlay is added to); `None` for that file.
    pub origin: Option<String>,
}

impl Diagnostic {
    pub(crate) fn error(code: &'static str, key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            code,
            message: message.into(),
            key: key.into(),
            span: None,
            help: None,
            origin: None,
        }
    }

    pub(crate) fn warning(code: &'static str, key: impl Into<String>, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, ..Self::error(code, key, message) }
    }

    pub(crate) fn at(mut self, span: Option<Range<usize>>) -> Self {
        self.span = span;
        self
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Renders the diagnostic with a source excerpt:
    ///
    /// ```text
    /// error[unknown-stage]: link 3 refers to stage `cn_mine`, which is not defined
    ///   --> scenarios/x.toml:42:8
    ///    |
    /// 42 | from = "cn_mine"
    ///    |        ^^^^^^^^^
    ///    = help: set `links[3].from` to a stage under [stages] (did you mean `cn_mines`?)
    /// ```
    ///
    /// Lines and columns are 1-based; columns count characters. The excerpt shows the first line of the span.
    pub fn render(&self, origin: &str, source: &str) -> String {
        let mut out = format!("{}[{}]: {}\n", self.severity.label(), self.code, self.message);
        let pad = match self.span.as_ref().map(|span| Excerpt::new(source, span)) {
            Some(ex) => {
                let pad = " ".repeat(ex.line.to_string().len());
                out.push_str(&format!("{pad}--> {origin}:{}:{}\n", ex.line, ex.column));
                out.push_str(&format!("{pad} |\n"));
                out.push_str(&format!("{} | {}\n", ex.line, ex.text).replace('\t', " "));
                out.push_str(&format!("{pad} | {}{}\n", " ".repeat(ex.column - 1), "^".repeat(ex.carets)));
                pad
            }
            None => {
                out.push_str(&format!(" --> {origin}\n"));
                " ".to_owned()
            }
        };
        if let Some(help) = &self.help {
            out.push_str(&format!("{pad} = help: {help}\n"));
        }
        out
    }
}

/// The line of source a span starts on, and where in it the span lies.
struct Excerpt<'a> {
    line: usize,
    column: usize,
    text: &'a str,
    carets: usize,
}

impl<'a> Excerpt<'a> {
    fn new(source: &'a str, span: &Range<usize>) -> Self {
        let start = floor_boundary(source, span.start);
        let end = floor_boundary(source, span.end.max(start));
        let before = source.get(..start).unwrap_or("");
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let rest = source.get(line_start..).unwrap_or("");
        let line_end = line_start + rest.find('\n').unwrap_or(rest.len());
        let text = source.get(line_start..line_end).unwrap_or("").trim_end_matches('\r');
        let column = source.get(line_start..start).map_or(0, |s| s.chars().count()) + 1;
        let underlined = source.get(start..end.min(line_end)).map_or(0, |s| s.chars().count());
        Self { line: before.matches('\n').count() + 1, column, text, carets: underlined.max(1) }
    }
}

/// The largest char boundary at or below `i`, within the source.
fn floor_boundary(source: &str, i: usize) -> usize {
    let mut i = i.min(source.len());
    while i > 0 && !source.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Every problem found in a scenario that could not be loaded, with the texts they point into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics {
    /// The path of the file the user named, shown in messages.
    pub origin: String,
    /// Its text: diagnostics without an `origin` point into it.
    pub source: String,
    /// Errors and warnings: those of `origin` first, then those of each other file, each sorted by position.
    pub items: Vec<Diagnostic>,
    /// `(origin, text)` of every other file a diagnostic may point into (the bases of an overlay).
    pub other_sources: Vec<(String, String)>,
}

impl Diagnostics {
    /// The origin and text `d` points into.
    pub fn source_of<'a>(&'a self, d: &'a Diagnostic) -> (&'a str, &'a str) {
        match &d.origin {
            None => (&self.origin, &self.source),
            Some(o) => self
                .other_sources
                .iter()
                .find(|(origin, _)| origin == o)
                .map_or((o.as_str(), ""), |(origin, text)| (origin.as_str(), text.as_str())),
        }
    }

    /// Renders every diagnostic, separated by blank lines, and a closing summary line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for d in &self.items {
            let (origin, source) = self.source_of(d);
            out.push_str(&d.render(origin, source));
            out.push('\n');
        }
        let errors = self.error_count();
        let warnings = self.items.len() - errors;
        out.push_str(&format!("error: could not load `{}`: {}", self.origin, plural(errors, "error")));
        if warnings > 0 {
            out.push_str(&format!(", {}", plural(warnings, "warning")));
        }
        out.push('\n');
        out
    }

    /// Number of errors (warnings excluded).
    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.severity == Severity::Error).count()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for Diagnostics {}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Levenshtein distance, by characters, ignoring ASCII case differences.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = prev[j] + usize::from(ca != cb);
            cur[j + 1] = substitution.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// `` `a`, `b` and `c` ``: a list of names for a message.
pub(crate) fn list<S: AsRef<str>>(names: &[S]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{}`", n.as_ref())).collect();
    match quoted.as_slice() {
        [] => "none".to_owned(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `word` with its indefinite article: "a stage", "an end use".
pub(crate) fn a(word: &str) -> String {
    let vowel = word.trim_start_matches('`').starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {word}", if vowel { "an" } else { "a" })
}

/// A number for a message: integers without a fraction, others with at most six decimals.
pub(crate) fn number(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if (x - x.round()).abs() < 1e-9 && x.abs() < 1e15 {
        return format!("{}", x.round());
    }
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() { "0".to_owned() } else { s.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_rustc() {
        let source = "[[links]]\nfrom = \"cn_mine\"\n";
        let start = source.find("\"cn_mine\"").unwrap();
        let d = Diagnostic::error("unknown-stage", "links[0].from", "link 0 refers to stage `cn_mine`")
            .at(Some(start..start + 9))
            .help("set `links[0].from` to a stage under [stages] (did you mean `cn_mines`?)");
        let expected = "error[unknown-stage]: link 0 refers to stage `cn_mine`\n --> x.toml:2:8\n  |\n2 | from = \
                        \"cn_mine\"\n  |        ^^^^^^^^^\n  = help: set `links[0].from` to a stage under [stages] \
                        (did you mean `cn_mines`?)\n";
        assert_eq!(d.render("x.toml", source), expected);
    }

    #[test]
    fn spans_past_the_end_or_inside_a_char_do_not_panic() {
        let source = "a = \"é\"";
        for span in [0..0, 5..6, 6..6, 100..200, Range { start: 7, end: 3 }] {
            let d = Diagnostic::error("x", "", "m").at(Some(span));
            assert!(d.render("o", source).contains("--> o:1:"));
        }
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("cn_mine", ["cn_mines", "jp_magnets"]), Some("cn_mines"));
        assert_eq!(did_you_mean("zzz", ["cn_mines", "jp_magnets"]), None);
    }

    #[test]
    fn formats_numbers_for_people() {
        assert_eq!(number(1000.0), "1000");
        assert_eq!(number(0.1 + 0.2), "0.3");
        assert_eq!(number(-2.5), "-2.5");
        assert_eq!(list(&["a", "b", "c"]), "`a`, `b` and `c`");
    }
}
