//! `--set KEY=VALUE`: one key of a scenario changed before it is lowered, checked like the file itself.
//!
//! The key is a dotted path into the scenario as loaded (with its bases laid under it):
//! `disruptions.dytb_embargo.duration_weeks`, `stages.lynas_malaysia.capacity_t_per_year.pert.mode`, `links[12].share`
//! (the 13th link of the scenario with its bases, counted from 0), `mitigations.x.stages.y.online_week`,
//! `horizon.years`. The value is a TOML value (`26`, `"month"`, `{ pert = { min = 1, mode = 2, max = 3 } }`); a bare
//! word that is not TOML (`month`) is read as a string.
//!
//! Each setting's text is registered as a source file of its own (named `--set[1]`, `--set[2]`, ... by the caller),
//! so that every diagnostic about it points into it. A setting of a named entity (a stage, link, end use, material,
//! disruption, mitigation or package) is written into that entity's TOML tree, read again from its file, and the
//! entity is read anew: an unknown key gets the reader's did-you-mean and list of allowed keys, a value of the wrong
//! type the reader's message, and lowering then checks the value like any other. Several settings of one entity are
//! applied in order (a later one wins). A setting of `[horizon]`, `[loss]` or `[uncertainty]` is read as a table of
//! its own and laid over the scenario's key by key, as an overlay's would be. `[scenario]` cannot be set, and a
//! setting cannot create an entity the scenario does not define.

use std::borrow::Cow;
use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Diagnostic, did_you_mean, list};
use crate::document::{Document, read_entity, read_mitigation};
use crate::overlay::{Sources, lay_horizon, lay_loss, lay_uncertainty};
use crate::raw::Entity;

/// One `KEY=VALUE` setting, and the name its text goes by in messages (such as `--set[1]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The name of the setting in messages, such as `--set[1]`.
    pub origin: String,
    /// The setting as given: `KEY=VALUE`.
    pub text: String,
}

impl Setting {
    /// A setting named `origin` in messages, with its `KEY=VALUE` text.
    pub fn new(origin: impl Into<String>, text: impl Into<String>) -> Self {
        Self { origin: origin.into(), text: text.into() }
    }

    /// The key: the text before the first `=`, trimmed (the whole text when there is no `=`).
    pub fn key(&self) -> &str {
        self.text.split_once('=').map_or(self.text.as_str(), |(k, _)| k).trim()
    }
}

/// Sections whose entities are tables named by their key.
const NAMED: &[(&str, &str, &str)] = &[
    ("materials", "material", "unit"),
    ("stages", "stage", "capacity_t_per_year"),
    ("end_uses", "end use", "demand_units_per_year"),
    ("disruptions", "disruption", "duration_weeks"),
    ("mitigations", "mitigation", "cost.one_off_usd"),
    ("packages", "package", "mitigations"),
    ("markets", "market", "price_gain"),
];

/// Sections laid over the scenario key by key.
const KEYED: &[&str] = &["horizon", "loss", "uncertainty"];

/// One segment of a key path: a name, with an index for an array element (`links[3]`).
#[derive(Debug, Clone)]
struct Segment {
    name: String,
    index: Option<usize>,
    span: Range<usize>,
}

/// A setting as read: its path and its value's text, ready to be parsed with global spans.
#[derive(Debug)]
struct Parsed {
    key: String,
    key_span: Range<usize>,
    segments: Vec<Segment>,
    /// `x=VALUE`, preceded by spaces so that the value's spans are global positions.
    value_source: String,
    value_span: Range<usize>,
    value_text: String,
}

impl Parsed {
    /// The value as a TOML tree with global spans: a TOML value, or a bare word as a string.
    fn value(&self) -> Result<Spanned<DeValue<'_>>, String> {
        match DeTable::parse(&self.value_source) {
            Ok(root) => {
                let mut root = root.into_inner();
                match (root.len(), root.remove("x")) {
                    (1, Some(v)) => Ok(v),
                    _ => Err("it holds more than one value".to_owned()),
                }
            }
            Err(e) => {
                let word = &self.value_text;
                let bare = !word.is_empty()
                    && word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                    && !word.as_bytes()[0].is_ascii_digit();
                if bare {
                    Ok(Spanned::new(self.value_span.clone(), DeValue::String(Cow::Owned(word.clone()))))
                } else {
                    Err(e.message().trim_end().to_owned())
                }
            }
        }
    }

    /// The path of the first `n` segments, as written.
    fn prefix(&self, n: usize) -> String {
        self.segments[..n.min(self.segments.len())]
            .iter()
            .map(|s| match s.index {
                Some(i) => format!("{}[{i}]", s.name),
                None => s.name.clone(),
            })
            .collect::<Vec<_>>()
            .join(".")
    }
}

/// Registers each setting's text as a source file and reads its path and value's position. A setting that cannot
/// be read is reported and left out.
fn parse(sources: &mut Sources, setting: &Setting, diags: &mut Vec<Diagnostic>) -> Option<Parsed> {
    let (i, _) = sources.add(&setting.origin, &setting.text);
    let offset = sources.files[i].offset;
    let text = setting.text.as_str();
    let whole = offset..offset + text.len();
    let Some(eq) = text.find('=') else {
        diags.push(
            Diagnostic::error("invalid-value", "", format!("`--set` takes KEY=VALUE, but `{text}` has no `=`"))
                .at(Some(whole))
                .help("write the setting as `--set stages.NAME.capacity_t_per_year=5000`"),
        );
        return None;
    };
    let key_text = &text[..eq];
    let key_start = key_text.len() - key_text.trim_start().len();
    let key = key_text.trim().to_owned();
    let key_span = offset + key_start..offset + key_start + key.len();
    let mut segments = Vec::new();
    let mut at = key_span.start;
    for part in key.split('.') {
        let span = at..at + part.len();
        at += part.len() + 1;
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => match rest.strip_suffix(']').and_then(|n| n.parse::<usize>().ok()) {
                Some(i) => (name, Some(i)),
                None => (part, None),
            },
            None => (part, None),
        };
        let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !plain(name) {
            diags.push(
                Diagnostic::error(
                    "invalid-value",
                    key.as_str(),
                    format!("`{key}` is not a key path: `{part}` is not a key (or `NAME[N]` for an array element)"),
                )
                .at(Some(span))
                .help("write the key as dotted names, such as `stages.NAME.capacity_t_per_year` or `links[3].share`"),
            );
            return None;
        }
        segments.push(Segment { name: name.to_owned(), index, span });
    }
    let value_raw = &text[eq + 1..];
    let value_text = value_raw.trim().to_owned();
    let value_start = offset + eq + 1 + (value_raw.len() - value_raw.trim_start().len());
    let value_span = value_start..value_start + value_text.len();
    if value_text.is_empty() {
        diags.push(
            Diagnostic::error("invalid-value", key.as_str(), format!("`--set {key}=` gives no value"))
                .at(Some(key_span))
                .help(format!("give `{key}` a value after `=`, such as `--set {key}=5`")),
        );
        return None;
    }
    // Two spaces fewer, for `x=`: a setting's value starts at least three bytes into the address space.
    let value_source = format!("{}x={value_text}", " ".repeat(value_start.saturating_sub(2)));
    Some(Parsed { key, key_span, segments, value_source, value_span, value_text })
}

/// What a setting changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// `[horizon]`, `[loss]` or `[uncertainty]`.
    Keyed(&'static str),
    /// Entity `index` of a named section.
    Named(&'static str, usize),
    /// The scenario's link `index`.
    Link(usize),
}

/// The entity a setting changes, and the number of path segments that name it; `None` (reported) when the path
/// names nothing the scenario defines.
fn target(doc: &Document, p: &Parsed, diags: &mut Vec<Diagnostic>) -> Option<(Target, usize)> {
    let first = &p.segments[0];
    let key = p.key.as_str();
    let names = |section: &str| -> Vec<String> {
        let of = |v: &mut dyn Iterator<Item = &String>| v.cloned().collect::<Vec<String>>();
        match section {
            "materials" => of(&mut doc.materials.iter().map(|e| &e.name)),
            "stages" => of(&mut doc.stages.iter().map(|e| &e.name)),
            "end_uses" => of(&mut doc.end_uses.iter().map(|e| &e.name)),
            "disruptions" => of(&mut doc.disruptions.iter().map(|e| &e.name)),
            "mitigations" => of(&mut doc.mitigations.iter().map(|e| &e.name)),
            "markets" => of(&mut doc.markets.iter().map(|e| &e.name)),
            _ => of(&mut doc.packages.iter().map(|e| &e.name)),
        }
    };
    if first.name == "scenario" {
        diags.push(
            Diagnostic::error("invalid-value", key, format!("`--set {key}`: `[scenario]` cannot be set"))
                .at(Some(first.span.clone()))
                .help("edit [scenario] in the file; `--set` changes the model's keys"),
        );
        return None;
    }
    if first.name == "links" {
        let Some(i) = first.index else {
            diags.push(
                Diagnostic::error("invalid-value", key, format!("`--set {key}` names the links without saying which"))
                    .at(Some(first.span.clone()))
                    .help(format!(
                        "name one link by its place, counted from 0 in the scenario with its bases: `links[0]` to \
                         `links[{}]`",
                        doc.links.len().saturating_sub(1)
                    )),
            );
            return None;
        };
        if i >= doc.links.len() {
            diags.push(
                Diagnostic::error(
                    "unknown-key",
                    key,
                    format!("`--set {key}` names `links[{i}]`, but the scenario has {} links", doc.links.len()),
                )
                .at(Some(first.span.clone()))
                .help(format!(
                    "name a link from `links[0]` to `links[{}]` (counted from 0 in the scenario with its bases)",
                    doc.links.len().saturating_sub(1)
                )),
            );
            return None;
        }
        return whole_entity(p, 1, diags).then_some((Target::Link(i), 1));
    }
    if let Some(section) = KEYED.iter().find(|s| **s == first.name) {
        return whole_entity(p, 1, diags).then_some((Target::Keyed(section), 1));
    }
    let Some(&(section, what, example)) = NAMED.iter().find(|(s, _, _)| *s == first.name) else {
        let sections: Vec<&str> = crate::document::SECTIONS.iter().copied().filter(|s| *s != "scenario").collect();
        let help = match did_you_mean(&first.name, sections.iter().copied()) {
            Some(s) => format!("write `{s}` instead of `{}`", first.name),
            None => format!("start the key with one of {}", list(&sections)),
        };
        diags.push(
            Diagnostic::error(
                "unknown-key",
                key,
                format!("`--set {key}`: the scenario has no top-level table `{}`", first.name),
            )
            .at(Some(first.span.clone()))
            .help(help),
        );
        return None;
    };
    let Some(name) = p.segments.get(1) else {
        diags.push(
            Diagnostic::error("invalid-value", key, format!("`--set {key}` names a whole section"))
                .at(Some(first.span.clone()))
                .help(format!("name one key of one {what}, such as `{section}.NAME.{example}`")),
        );
        return None;
    };
    let known = names(section);
    let Some(index) = known.iter().position(|n| *n == name.name) else {
        let help = match did_you_mean(&name.name, known.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{section}.{s}`? The {section} are {}", list(&known)),
            None if known.is_empty() => format!("the scenario defines no {section}"),
            None => format!("the {section} are {}", list(&known)),
        };
        diags.push(
            Diagnostic::error(
                "unknown-key",
                key,
                format!("`--set {key}` names {what} `{}`, which the scenario does not define", name.name),
            )
            .at(Some(name.span.clone()))
            .help(help),
        );
        return None;
    };
    whole_entity(p, 2, diags).then_some((Target::Named(section, index), 2))
}

/// Whether the path goes past the entity it names (`false`, reported, when it names the whole entity).
fn whole_entity(p: &Parsed, entity_segments: usize, diags: &mut Vec<Diagnostic>) -> bool {
    if p.segments.len() > entity_segments {
        return true;
    }
    let key = p.key.as_str();
    diags.push(
        Diagnostic::error("invalid-value", key, format!("`--set {key}` names a whole table, not one of its keys"))
            .at(Some(p.key_span.clone()))
            .help(format!("name one key of `{key}`, such as `{key}.KEY=VALUE`; `--set` changes one key at a time")),
    );
    false
}

/// Applies `settings`, in order, to `doc` (the scenario with its bases laid under it). Each setting's text is
/// registered in `sources`; every problem is reported in `diags`.
pub(crate) fn apply(doc: &mut Document, sources: &mut Sources, settings: &[Setting], diags: &mut Vec<Diagnostic>) {
    let parsed: Vec<Parsed> = settings.iter().filter_map(|s| parse(sources, s, diags)).collect();
    // Settings grouped by the entity they change, in order of first appearance.
    let mut groups: Vec<(Target, usize, Vec<&Parsed>)> = Vec::new();
    for p in &parsed {
        let Some((t, depth)) = target(doc, p, diags) else { continue };
        match groups.iter_mut().find(|g| g.0 == t) {
            Some(g) => g.2.push(p),
            None => groups.push((t, depth, vec![p])),
        }
    }
    for (target, depth, members) in groups {
        match target {
            Target::Keyed(section) => {
                for p in members {
                    keyed(doc, section, p, diags);
                }
            }
            Target::Named(section, i) => match section {
                "materials" => reread(&mut doc.materials[i], sources, &members, depth, diags),
                "stages" => reread(&mut doc.stages[i], sources, &members, depth, diags),
                "end_uses" => reread(&mut doc.end_uses[i], sources, &members, depth, diags),
                "disruptions" => reread(&mut doc.disruptions[i], sources, &members, depth, diags),
                "packages" => reread(&mut doc.packages[i], sources, &members, depth, diags),
                "markets" => reread(&mut doc.markets[i], sources, &members, depth, diags),
                _ => reread_mitigation(&mut doc.mitigations[i], sources, &members, diags),
            },
            Target::Link(i) => reread(&mut doc.links[i], sources, &members, depth, diags),
        }
    }
}

/// The TOML tree an entity was read from: its file parsed again, and the entity found by the span of its name.
fn entity_tree<'a>(root: &'a DeTable<'a>, name_span: &Range<usize>) -> Option<&'a Spanned<DeValue<'a>>> {
    for (key, section) in root.iter() {
        match section.get_ref() {
            DeValue::Table(t) => {
                if let Some((_, v)) = t.iter().find(|(k, _)| k.span() == *name_span) {
                    return Some(v);
                }
            }
            DeValue::Array(a) if key.get_ref() == "links" => {
                if let Some(v) = a.iter().find(|v| v.span() == *name_span) {
                    return Some(v);
                }
            }
            _ => {}
        }
    }
    None
}

/// Writes each setting into a copy of the entity's tree; settings that cannot be written are reported.
fn write_settings<'a>(
    tree: &Spanned<DeValue<'a>>,
    members: &[&'a Parsed],
    depth: usize,
    diags: &mut Vec<Diagnostic>,
) -> Spanned<DeValue<'a>> {
    let mut tree = tree.clone();
    for p in members {
        match p.value() {
            Ok(value) => write(&mut tree, p, depth, value, diags),
            Err(message) => diags.push(
                Diagnostic::error(
                    "invalid-value",
                    p.key.as_str(),
                    format!("the value of `--set {}` is not TOML: {message}", p.key),
                )
                .at(Some(p.value_span.clone()))
                .help(format!(
                    "give `{}` a TOML value: a number (`26`), a string in quotes (`'{}=\"word\"'`), an array \
                     (`[1, 2]`) or a table (`{{ uniform = {{ min = 1, max = 3 }} }}`)",
                    p.key, p.key
                )),
            ),
        }
    }
    tree
}

/// Writes `value` at the path of `p` below its first `depth` segments (the entity) into `tree`. Tables on the way
/// that do not exist are made, except the named entities of a mitigation (`stages.NAME`) and array elements.
fn write<'a>(
    tree: &mut Spanned<DeValue<'a>>,
    p: &Parsed,
    depth: usize,
    value: Spanned<DeValue<'a>>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut node = tree;
    let segments = &p.segments[depth..];
    let n = segments.len();
    for (k, seg) in segments.iter().enumerate() {
        let here = p.prefix(depth + k);
        let last = k + 1 == n && seg.index.is_none();
        let DeValue::Table(t) = node.get_mut() else {
            diags.push(not_a_table(p, &here, &seg.span));
            return;
        };
        if last {
            let existing = t.keys().find(|key| key.get_ref() == seg.name.as_str()).cloned();
            let key = existing.unwrap_or_else(|| Spanned::new(seg.span.clone(), Cow::Owned(seg.name.clone())));
            t.insert(key, value);
            return;
        }
        // A mitigation's new stages are entities: a setting cannot make one.
        let named_entity = depth == 2 && k == 1 && p.segments[0].name == "mitigations" && segments[0].name == "stages";
        if !t.contains_key(seg.name.as_str()) {
            if seg.index.is_some() || named_entity {
                let known: Vec<String> = t.keys().map(|k| k.get_ref().to_string()).collect();
                diags.push(unknown_below(p, &p.prefix(depth + k + 1), &seg.span, &here, &known));
                return;
            }
            let table = DeValue::Table(DeTable::new());
            t.insert(
                Spanned::new(seg.span.clone(), Cow::Owned(seg.name.clone())),
                Spanned::new(seg.span.clone(), table),
            );
        }
        let Some(child) = t.get_mut(seg.name.as_str()) else { return };
        node = child;
        if let Some(i) = seg.index {
            let len = match node.get_ref() {
                DeValue::Array(a) => a.len(),
                _ => {
                    diags.push(not_a_table(p, &format!("{here}.{}", seg.name), &seg.span));
                    return;
                }
            };
            let DeValue::Array(a) = node.get_mut() else { return };
            let Some(element) = a.get_mut(i) else {
                diags.push(
                    Diagnostic::error(
                        "unknown-key",
                        p.key.as_str(),
                        format!(
                            "`--set {}` names element {i} of `{}`, which has {len}",
                            p.key,
                            p.prefix(depth + k + 1)
                        ),
                    )
                    .at(Some(seg.span.clone()))
                    .help(format!("name an element from 0 to {}", len.saturating_sub(1))),
                );
                return;
            };
            node = element;
            if k + 1 == n {
                *node = value;
                return;
            }
        }
    }
}

fn not_a_table(p: &Parsed, here: &str, span: &Range<usize>) -> Diagnostic {
    Diagnostic::error(
        "invalid-value",
        p.key.as_str(),
        format!("`--set {}`: `{here}` is a single value, not a table, so it has no key below it", p.key),
    )
    .at(Some(span.clone()))
    .help(format!("set `{here}` as a whole, such as `--set '{here}={{ uniform = {{ min = 1, max = 3 }} }}'`"))
}

fn unknown_below(p: &Parsed, path: &str, span: &Range<usize>, parent: &str, known: &[String]) -> Diagnostic {
    let name = path.rsplit('.').next().unwrap_or(path);
    let help = match did_you_mean(name, known.iter().map(String::as_str)) {
        Some(s) => format!("did you mean `{parent}.{s}`? The keys of `{parent}` are {}", list(known)),
        None => format!("the keys of `{parent}` are {}", list(known)),
    };
    Diagnostic::error("unknown-key", p.key.as_str(), format!("`--set {}`: `{path}` does not exist", p.key))
        .at(Some(span.clone()))
        .help(help)
}

/// Parses file `file` of `sources` again and calls `f` with the tree of the entity named at `name_span`.
fn with_tree<R>(sources: &Sources, name_span: &Range<usize>, f: impl FnOnce(&Spanned<DeValue<'_>>) -> R) -> Option<R> {
    let file = sources.file_at(name_span.start)?;
    let text = sources.padded(file);
    let root = DeTable::parse(&text).ok()?;
    let root = root.into_inner();
    entity_tree(&root, name_span).map(f)
}

/// Replaces the diagnostics the entity's first reading gave (`before`) by those of its reading with the settings.
fn replace_diagnostics(diags: &mut Vec<Diagnostic>, before: Vec<Diagnostic>, after: Vec<Diagnostic>) {
    diags.retain(|d| !before.contains(d));
    for d in after {
        if !diags.contains(&d) {
            diags.push(d);
        }
    }
}

/// Reads an entity again with the settings written into its tree.
fn reread<T: DeserializeOwned>(
    entity: &mut Entity<T>,
    sources: &Sources,
    members: &[&Parsed],
    depth: usize,
    diags: &mut Vec<Diagnostic>,
) {
    let done = with_tree(sources, &entity.name_span, |tree| {
        let read = |tree: &Spanned<DeValue<'_>>, out: &mut Vec<Diagnostic>| -> Entity<T> {
            read_entity(&entity.name, entity.name_span.clone(), &entity.path, &entity.what, tree, out)
        };
        let mut before = Vec::new();
        let _ = read(tree, &mut before);
        let mut after = Vec::new();
        let changed = write_settings(tree, members, depth, &mut after);
        let new = read(&changed, &mut after);
        (new, before, after)
    });
    match done {
        Some((mut new, before, after)) => {
            new.added_by = entity.added_by;
            *entity = new;
            replace_diagnostics(diags, before, after);
        }
        None => unreadable(members, diags),
    }
}

/// Reads a mitigation again with the settings written into its tree.
fn reread_mitigation(
    entity: &mut Entity<crate::raw::RawMitigation>,
    sources: &Sources,
    members: &[&Parsed],
    diags: &mut Vec<Diagnostic>,
) {
    let done = with_tree(sources, &entity.name_span, |tree| {
        let mut before = Vec::new();
        let _ = read_mitigation(&entity.name, entity.name_span.clone(), tree, &mut before);
        let mut after = Vec::new();
        let changed = write_settings(tree, members, 2, &mut after);
        let new = read_mitigation(&entity.name, entity.name_span.clone(), &changed, &mut after);
        (new, before, after)
    });
    match done {
        Some((new, before, after)) => {
            *entity = new;
            replace_diagnostics(diags, before, after);
        }
        None => unreadable(members, diags),
    }
}

fn unreadable(members: &[&Parsed], diags: &mut Vec<Diagnostic>) {
    for p in members {
        diags.push(
            Diagnostic::error("invalid-value", p.key.as_str(), format!("`--set {}` could not be applied", p.key))
                .at(Some(p.key_span.clone()))
                .help("the entity it names could not be found in its file again; please report this"),
        );
    }
}

/// Applies a setting of `[horizon]`, `[loss]` or `[uncertainty]`: its keys are read as a table of their own and
/// laid over the scenario's.
fn keyed(doc: &mut Document, section: &str, p: &Parsed, diags: &mut Vec<Diagnostic>) {
    let value = match p.value() {
        Ok(v) => v,
        Err(message) => {
            diags.push(
                Diagnostic::error(
                    "invalid-value",
                    p.key.as_str(),
                    format!("the value of `--set {}` is not TOML: {message}", p.key),
                )
                .at(Some(p.value_span.clone()))
                .help(format!("give `{}` a TOML value, such as a number or a string in quotes", p.key)),
            );
            return;
        }
    };
    if let Some(seg) = p.segments.iter().find(|s| s.index.is_some()) {
        diags.push(not_a_table(p, &p.prefix(1), &seg.span));
        return;
    }
    // Nest the value under the path's keys, innermost first.
    let mut tree = value;
    for seg in p.segments[1..].iter().rev() {
        let mut t = DeTable::new();
        t.insert(Spanned::new(seg.span.clone(), Cow::Owned(seg.name.clone())), tree);
        tree = Spanned::new(seg.span.clone(), DeValue::Table(t));
    }
    let first = &p.segments[0];
    let what = format!("[{section}]");
    match section {
        "horizon" => {
            let e = read_entity(section, first.span.clone(), section, &what, &tree, diags);
            doc.horizon = lay_horizon(doc.horizon.take(), Some(e));
        }
        "loss" => {
            let mut e: Entity<crate::raw::RawLoss> =
                read_entity(section, first.span.clone(), section, &what, &tree, diags);
            // Class values are laid over the scenario's class by class.
            if let (Some(top), Some(base)) = (
                e.raw.as_mut().and_then(|r| r.value_per_week_of_demand_usd.as_mut()),
                doc.loss.as_ref().and_then(|l| l.raw.as_ref()).and_then(|r| r.value_per_week_of_demand_usd.as_ref()),
            ) {
                let (t, b) = (top.get_mut(), base.get_ref());
                for (mine, theirs) in
                    [(&mut t.defense, &b.defense), (&mut t.essential, &b.essential), (&mut t.other, &b.other)]
                {
                    if mine.is_none() {
                        mine.clone_from(theirs);
                    }
                }
            }
            doc.loss = lay_loss(doc.loss.take(), Some(e));
        }
        _ => {
            let e = read_entity(section, first.span.clone(), section, &what, &tree, diags);
            doc.uncertainty = lay_uncertainty(doc.uncertainty.take(), Some(e));
        }
    }
}
