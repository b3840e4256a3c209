//! Diagnostics: coded, spanned problems with a help line, rendered in the style of rustc and cargo-deny.

use std::fmt;
use std::ops::Range;

/// How serious a diagnostic is. Any error refuses the scenario; warnings are reported with a valid scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// A problem that refuses the scenario.
    Error,
    /// A problem reported with a valid scenario, such as a stage whose normal throughput exceeds its capacity.
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
    /// Whether it refuses the scenario.
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
    /// Lines and columns are 1-based; columns count characters (a byte-order mark at the start of the file is not
    /// one). The excerpt shows the first line of the span, cut to at most [`MAX_EXCERPT`] characters around the
    /// span, with control characters shown as `�`.
    pub fn render(&self, origin: &str, source: &str) -> String {
        self.render_styled(origin, source, Style::PLAIN)
    }

    /// [`Diagnostic::render`] with the terminal colours of `style`.
    pub fn render_styled(&self, origin: &str, source: &str, style: Style) -> String {
        let (severity, accent) = match self.severity {
            Severity::Error => (style.error, style.error),
            Severity::Warning => (style.warning, style.warning),
        };
        let reset = style.reset();
        let mut out = format!(
            "{severity}{}[{}]{reset}{}: {}{reset}\n",
            self.severity.label(),
            self.code,
            style.bold,
            printable(&self.message)
        );
        let pad = match self.span.as_ref().map(|span| Excerpt::new(source, span)) {
            Some(ex) => {
                let pad = " ".repeat(ex.line.to_string().len());
                let gutter = style.gutter;
                out.push_str(&format!("{pad}{gutter}-->{reset} {origin}:{}:{}\n", ex.line, ex.column));
                out.push_str(&format!("{pad} {gutter}|{reset}\n"));
                out.push_str(&format!("{gutter}{} |{reset} {}\n", ex.line, ex.text));
                out.push_str(&format!(
                    "{pad} {gutter}|{reset} {}{accent}{}{reset}\n",
                    " ".repeat(ex.shown_column - 1),
                    "^".repeat(ex.carets)
                ));
                pad
            }
            None => {
                out.push_str(&format!(" {}-->{reset} {origin}\n", style.gutter));
                " ".to_owned()
            }
        };
        if let Some(help) = &self.help {
            out.push_str(&format!("{pad} {}= help:{reset} {}\n", style.help, printable(help)));
        }
        out
    }
}

/// `text` with its control characters written as escapes (`\u{1b}`): a message quotes names and values from the
/// file, which must not reach a terminal as escape sequences.
fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return text.into();
    }
    text.chars().map(|c| if c.is_control() { c.escape_unicode().to_string() } else { c.to_string() }).collect()
}

/// The widest excerpt of a source line shown under a diagnostic, in characters: a line of a megabyte is shown as
/// a window around the span.
pub const MAX_EXCERPT: usize = 100;

/// Terminal colours of rendered diagnostics: ANSI escape sequences, or empty strings for plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Starts the `error` label.
    pub error: &'static str,
    /// Starts the `warning` label.
    pub warning: &'static str,
    /// Starts the message and the key.
    pub bold: &'static str,
    /// Starts the gutter of line numbers and the marks under the span.
    pub gutter: &'static str,
    /// Starts the help line.
    pub help: &'static str,
}

impl Style {
    /// No colour.
    pub const PLAIN: Style = Style { error: "", warning: "", bold: "", gutter: "", help: "" };
    /// The colours of rustc and cargo: bold red errors, bold yellow warnings, blue gutters, bold help.
    pub const ANSI: Style =
        Style { error: "\x1b[1;31m", warning: "\x1b[1;33m", bold: "\x1b[1m", gutter: "\x1b[1;34m", help: "\x1b[1m" };

    fn reset(self) -> &'static str {
        if self == Style::PLAIN { "" } else { "\x1b[0m" }
    }
}

/// The line of source a span starts on, and where in it the span lies.
struct Excerpt {
    line: usize,
    /// The span's column in the line (1-based, in characters).
    column: usize,
    /// The line as shown: clipped around the span, control characters replaced.
    text: String,
    /// The span's column in `text`.
    shown_column: usize,
    carets: usize,
}

impl Excerpt {
    fn new(source: &str, span: &Range<usize>) -> Self {
        let start = floor_boundary(source, span.start);
        let end = floor_boundary(source, span.end.max(start));
        let before = source.get(..start).unwrap_or("");
        let mut line_start = before.rfind('\n').map_or(0, |i| i + 1);
        if line_start == 0 && source.starts_with('\u{feff}') && start >= 3 {
            // A byte-order mark is not a column.
            line_start = 3;
        }
        let rest = source.get(line_start..).unwrap_or("");
        let line_end = line_start + rest.find('\n').unwrap_or(rest.len());
        let line_text = source.get(line_start..line_end).unwrap_or("").trim_end_matches('\r');
        let column = source.get(line_start..start).map_or(0, |s| s.chars().count()) + 1;
        let underlined = source.get(start..end.min(line_end)).map_or(0, |s| s.chars().count()).max(1);
        // A window of at most MAX_EXCERPT characters that starts a little before the span.
        let length = line_text.chars().count();
        let first = if length <= MAX_EXCERPT { 0 } else { (column - 1).saturating_sub(MAX_EXCERPT / 4) };
        let last = (first + MAX_EXCERPT).min(length);
        let mut text: String = line_text
            .chars()
            .skip(first)
            .take(last - first)
            .map(|c| {
                if c == '\t' {
                    ' '
                } else if c.is_control() || c == '\u{feff}' {
                    '\u{fffd}'
                } else {
                    c
                }
            })
            .collect();
        let mut shown_column = column - first;
        if first > 0 {
            text.insert(0, '…');
            shown_column += 1;
        }
        if last < length {
            text.push('…');
        }
        let carets = underlined.min((last + 1).saturating_sub(column).max(1));
        Self { line: before.matches('\n').count() + 1, column, text, shown_column, carets }
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
        format!("{}{}\n", self.render_items(Style::PLAIN), self.summary())
    }

    /// Renders every diagnostic in `style`, each followed by a blank line, without the summary line (a caller
    /// that ends with its own line prints [`Diagnostics::summary`] or its own instead, never both).
    pub fn render_items(&self, style: Style) -> String {
        let mut out = String::new();
        for d in &self.items {
            let (origin, source) = self.source_of(d);
            out.push_str(&d.render_styled(origin, source, style));
            out.push('\n');
        }
        out
    }

    /// The closing line: `error: could not load `x.toml`: 2 errors, 1 warning`.
    pub fn summary(&self) -> String {
        let errors = self.error_count();
        let warnings = self.items.len() - errors;
        let mut out = format!("error: could not load `{}`: {}", self.origin, plural(errors, "error"));
        if warnings > 0 {
            out.push_str(&format!(", {}", plural(warnings, "warning")));
        }
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

/// The candidate closest to `word` by edit distance, if it is close enough to be a plausible typo, or else the only
/// candidate of which `word` is a short form.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let limit = (word.chars().count() / 3).max(1);
    let close = candidates
        .iter()
        .map(|&c| (edit_distance(word, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c);
    // Else a name written short: the only candidate that has every `_`-separated part of the word among its own
    // (`f35` for `f35_aircraft`, `smco_reserve` for `smco_alloy_reserve`).
    close.or_else(|| {
        let lower = word.to_ascii_lowercase();
        let parts: Vec<&str> = lower.split('_').filter(|p| !p.is_empty()).collect();
        if parts.is_empty() || lower.chars().count() < 3 {
            return None;
        }
        let mut holding = candidates.iter().filter(|c| {
            let own = c.to_ascii_lowercase();
            parts.iter().all(|p| own.split('_').any(|q| q == *p))
        });
        match (holding.next(), holding.next()) {
            (Some(&only), None) => Some(only),
            _ => None,
        }
    })
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
    if x.abs() >= 1e15 {
        // Not 300 digits: `1e300`, `-2.5e16`, `6.58e49`.
        let s = format!("{x:.3e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        return format!("{mantissa}e{exponent}");
    }
    if (x - x.round()).abs() < 1e-9 {
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

    /// Issue 11: a line of a megabyte was printed whole under its diagnostic; a byte-order mark counted as a column.
    #[test]
    fn issue_11_excerpts_are_clipped_and_a_bom_is_not_a_column() {
        let long = format!("x = \"{}\", bad = 1\n", "y".repeat(1 << 20));
        let at = long.find("bad").unwrap();
        let text = Diagnostic::error("x", "", "m").at(Some(at..at + 3)).render("o", &long);
        assert!(text.len() < 600, "{} bytes", text.len());
        assert!(text.contains(&format!("--> o:1:{}", at + 1)) && text.contains("1 | …yyy"), "{text}");
        let bom = "\u{feff}[scenarios]\n";
        let d = Diagnostic::error("x", "", "m").at(Some(4..13));
        assert!(d.render("o", bom).contains("--> o:1:2"), "{}", d.render("o", bom));
        let control = "a = \"\u{1b}[31m\"\n";
        assert!(!Diagnostic::error("x", "", "m").at(Some(0..1)).render("o", control).contains('\u{1b}'));
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("cn_mine", ["cn_mines", "jp_magnets"]), Some("cn_mines"));
        assert_eq!(did_you_mean("zzz", ["cn_mines", "jp_magnets"]), None);
        // A name written short, when one candidate alone holds all its parts.
        assert_eq!(did_you_mean("f35", ["f35_aircraft", "guided_munitions"]), Some("f35_aircraft"));
        assert_eq!(did_you_mean("smco_reserve", ["smco_alloy_reserve", "us_dy_stockpile"]), Some("smco_alloy_reserve"));
        assert_eq!(did_you_mean("defense", ["us_other_defense", "european_defense"]), None);
    }

    #[test]
    fn formats_numbers_for_people() {
        assert_eq!(number(1000.0), "1000");
        assert_eq!(number(0.1 + 0.2), "0.3");
        assert_eq!(number(-2.5), "-2.5");
        assert_eq!(list(&["a", "b", "c"]), "`a`, `b` and `c`");
        assert_eq!(
            (number(1e300), number(-2.5e16), number(6.580_346e49)),
            ("1e300".into(), "-2.5e16".into(), "6.58e49".into())
        );
    }
}
