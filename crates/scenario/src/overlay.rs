//! Scenario files laid over a base: the texts diagnostics point into, loading a chain of bases through the
//! caller's resolver (this crate does no I/O), `remove`, and laying one document over another.
//!
//! Every file of a chain is parsed at its own offset in one address space (its text is preceded by as many spaces
//! as the files before it hold), so that every span in the merged document names its file without any entity
//! having to carry an origin. [`Sources::diagnostics`] moves spans back into their file at the end.

use std::ops::Range;

use toml::Spanned;

use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean, list};
use crate::document::{self, Document};
use crate::raw::Entity;
use crate::raw::{RawHorizon, RawLink, RawLoss, RawUncertainty};

/// Reads a base file: `(origin of the file naming it, path as written)` to `(origin of the base, its bytes)`, or a
/// message saying why it may not or cannot be read. The path has passed the lexical checks of `scenario.base`
/// (relative, `/`-separated, a `.toml` file); the bytes are decoded here, so that a base that is not UTF-8 is
/// reported at its own line and column.
pub type Resolver<'a> = dyn FnMut(&str, &str) -> Result<(String, Vec<u8>), String> + 'a;

/// Bases deeper than this are refused: a resolver that invents new names at each level would never end.
const MAX_DEPTH: usize = 32;

/// Sections whose entities `remove` can name.
const REMOVABLE: &[&str] = &["materials", "stages", "end_uses", "disruptions", "mitigations", "packages", "markets"];

/// One text that spans may point into.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    pub origin: String,
    pub text: String,
    /// Where the file starts in the address space of spans.
    pub offset: usize,
}

/// Every text a scenario was read from, each at its offset.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sources {
    pub files: Vec<SourceFile>,
}

impl Sources {
    /// Registers a file after the others; returns its index and its text preceded by spaces up to its offset,
    /// ready to be parsed (whitespace before the first key is insignificant in TOML).
    pub(crate) fn add(&mut self, origin: &str, text: &str) -> (usize, String) {
        let offset = self.files.last().map_or(0, |f| f.offset + f.text.len() + 1);
        self.files.push(SourceFile { origin: origin.to_owned(), text: text.to_owned(), offset });
        let i = self.files.len() - 1;
        (i, self.padded(i))
    }

    /// The text of file `i` preceded by spaces up to its offset, as it was parsed.
    pub(crate) fn padded(&self, i: usize) -> String {
        let Some(f) = self.files.get(i) else { return String::new() };
        // A byte-order mark is only allowed at the very start; spaces keep every offset where it was.
        let body = f.text.strip_prefix('\u{feff}').map_or_else(|| f.text.clone(), |rest| format!("   {rest}"));
        format!("{}{body}", " ".repeat(f.offset))
    }

    /// The file a global position lies in.
    pub(crate) fn file_at(&self, at: usize) -> Option<usize> {
        self.files.iter().rposition(|f| f.offset <= at && at <= f.offset + f.text.len())
    }

    /// Sorts diagnostics by position (files in the order they were read), then moves each span into its file:
    /// diagnostics in file `top` get no origin, the others the origin of their file.
    pub(crate) fn localize(&self, mut items: Vec<Diagnostic>, top: usize) -> Vec<Diagnostic> {
        for d in &mut items {
            let Some(span) = &d.span else { continue };
            let Some(i) = self.file_at(span.start) else { continue };
            let f = &self.files[i];
            d.span = Some(span.start - f.offset..span.end.saturating_sub(f.offset).max(span.start - f.offset));
            d.origin = (i != top).then(|| f.origin.clone());
        }
        // Diagnostics of the top file first, then those of its bases; within a file, by position.
        let rank = |d: &Diagnostic| match &d.origin {
            None => 0,
            Some(o) => 1 + self.files.iter().position(|f| &f.origin == o).unwrap_or(0),
        };
        items.sort_by_key(|d| (d.span.is_some(), rank(d), d.span.as_ref().map(|s| (s.start, s.end))));
        items
    }

    /// Every diagnostic, localized, with the texts needed to render them; `top` is the file the user named.
    pub(crate) fn diagnostics(&self, items: Vec<Diagnostic>, top: usize) -> Diagnostics {
        let items = self.localize(items, top);
        let (origin, source) =
            self.files.get(top).map_or_else(Default::default, |f| (f.origin.clone(), f.text.clone()));
        let other_sources = self
            .files
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != top)
            .map(|(_, f)| (f.origin.clone(), f.text.clone()))
            .collect();
        Diagnostics { origin, source, items, other_sources }
    }
}

/// Reads `text` and, through `resolve`, the chain of its bases, and lays each file over its base. `chain` holds
/// the origins of the files that name this one (for cycles). `None` when the chain cannot be built (a file is not
/// valid TOML, a base cannot be read, bases form a cycle): the rest of the checks would only add noise.
pub(crate) fn load(
    sources: &mut Sources,
    origin: &str,
    text: &str,
    resolve: Option<&mut Resolver<'_>>,
    chain: &mut Vec<String>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Document> {
    let (index, padded) = sources.add(origin, text);
    let doc = document::read(&padded, diags)?;
    if doc.defines_nothing && chain.len() == 1 {
        let at = sources.files[index].offset;
        diags.push(
            Diagnostic::error("empty-file", "", format!("`{origin}` is empty: it defines no table and no key"))
                .at(Some(at..at))
                .help(
                    "write a scenario in it (a [scenario] table with a `name`, then materials, stages, links and \
                     end uses; see docs/scenario-format.md), or give the path of another file",
                ),
        );
        return None;
    }
    let raw = doc.scenario.as_ref().and_then(|s| s.raw.as_ref());
    let base = raw.and_then(|r| r.base.clone());
    let Some(base) = base else {
        if let Some(remove) = raw.and_then(|r| r.remove.as_ref()) {
            diags.push(
                Diagnostic::error(
                    "invalid-value",
                    "scenario.remove",
                    "`scenario.remove` drops entities of a base, but this file has no base",
                )
                .at(Some(remove.span()))
                .help("add `base = \"path/to/base.toml\"` to [scenario], or remove `scenario.remove`"),
            );
        }
        return Some(doc);
    };
    let path = base.get_ref();
    if let Err((why, help)) = check_base_path(path) {
        diags.push(
            Diagnostic::error(
                "base-not-allowed",
                "scenario.base",
                format!("the base `{}` of `{origin}` {why}", crate::lower::context::clip(path, 80)),
            )
            .at(Some(base.span()))
            .help(help),
        );
        return None;
    }
    let Some(resolve) = resolve else {
        diags.push(
            Diagnostic::error(
                "base-not-available",
                "scenario.base",
                format!("`{origin}` is laid over `{path}`, but it was given as text, so its base cannot be read"),
            )
            .at(Some(base.span()))
            .help("load the scenario from its file so that `scenario.base` can be read next to it"),
        );
        return None;
    };
    let (base_origin, base_bytes) = match resolve(origin, path) {
        Ok(found) => found,
        Err(message) => {
            diags.push(
                Diagnostic::error(
                    "base-not-available",
                    "scenario.base",
                    format!("the base `{path}` of `{origin}` could not be read: {message}"),
                )
                .at(Some(base.span()))
                .help("set `scenario.base` to the path of an existing scenario, relative to this file"),
            );
            return None;
        }
    };
    if chain.contains(&base_origin) || chain.len() >= MAX_DEPTH {
        let mut names: Vec<String> = chain.iter().map(|c| format!("`{c}`")).collect();
        names.push(format!("`{base_origin}`"));
        diags.push(
            Diagnostic::error("cycle-in-bases", "scenario.base", format!("bases form a cycle: {}", names.join(" → ")))
                .at(Some(base.span()))
                .help(format!("remove `scenario.base` from one of {}, or point it at another file", list(chain))),
        );
        return None;
    }
    let base_text = match crate::encoding::decode(&base_origin, &base_bytes) {
        Ok(text) => text,
        Err(refused) => {
            // Reported in the base, at its first byte that is not UTF-8.
            let (i, _) = sources.add(&base_origin, &refused.source);
            let offset = sources.files[i].offset;
            diags.extend(refused.items.into_iter().map(|d| {
                let span = d.span.clone().map(|s| s.start + offset..s.end + offset);
                d.at(span)
            }));
            return None;
        }
    };
    chain.push(base_origin.clone());
    let base_doc = load(sources, &base_origin, &base_text, Some(&mut *resolve), chain, diags);
    chain.pop();
    let base_doc = base_doc?;
    if base_doc.defines_nothing {
        diags.push(
            Diagnostic::error(
                "empty-file",
                "scenario.base",
                format!("the base `{base_origin}` of `{origin}` is empty: it defines no table and no key"),
            )
            .at(Some(base.span()))
            .help(format!(
                "write the scenario this file is laid over into `{base_origin}`, or set `scenario.base` to another \
                 file"
            )),
        );
        return None;
    }
    Some(lay_over(base_doc, doc, diags))
}

/// Checks the path a `scenario.base` names, as written, before anything is read: it must be a relative path to a
/// `.toml` file, written with `/` (so that a scenario reads the same on every platform). Returns why not and a
/// help line. Whether the file exists, lies within the scenario's folder and is a regular file is the resolver's
/// to check.
pub(crate) fn check_base_path(path: &str) -> Result<(), (String, String)> {
    let fix = "set `scenario.base` to the path of a `.toml` file relative to this file, such as \
               `\"rare_earths_2025.toml\"` or `\"../shared/world.toml\"`";
    let why = if path.is_empty() {
        "is empty"
    } else if path.chars().any(char::is_control) {
        "holds a control character"
    } else if path.starts_with('/') || path.starts_with('\\') || path.get(1..2) == Some(":") {
        "is an absolute path; a scenario may only name a base relative to itself"
    } else if path.contains('\\') {
        "uses `\\`; write paths with `/`"
    } else if path.ends_with('/') {
        "ends with `/`, so it names a folder, not a file"
    } else if !path.ends_with(".toml") || path.rsplit('/').next() == Some(".toml") {
        "is not the path of a `.toml` file"
    } else {
        return Ok(());
    };
    Err((why.to_owned(), fix.to_owned()))
}

/// Lays `top` over `base`: entities named in `top`'s `remove` are dropped from the base, then each entity of
/// `top` replaces the base's entity of the same name or is added after the base's; a link replaces the base's
/// link with the same `from`, `to` and `material`; `[horizon]`, `[loss]` and `[uncertainty]` keys override the
/// base's one by one; `[scenario]` is `top`'s.
pub(crate) fn lay_over(mut base: Document, top: Document, diags: &mut Vec<Diagnostic>) -> Document {
    if let Some(remove) = top.scenario.as_ref().and_then(|s| s.raw.as_ref()).and_then(|r| r.remove.as_ref()) {
        for (i, item) in remove.get_ref().iter().enumerate() {
            drop_entity(&mut base, item, &format!("scenario.remove[{i}]"), diags);
        }
    }
    base.scenario = top.scenario;
    base.horizon = lay_horizon(base.horizon, top.horizon);
    base.loss = lay_loss(base.loss, top.loss);
    base.uncertainty = lay_uncertainty(base.uncertainty, top.uncertainty);
    lay(&mut base.materials, top.materials);
    lay(&mut base.stages, top.stages);
    lay(&mut base.end_uses, top.end_uses);
    lay(&mut base.disruptions, top.disruptions);
    lay(&mut base.mitigations, top.mitigations);
    lay(&mut base.packages, top.packages);
    lay(&mut base.markets, top.markets);
    for link in top.links {
        match base.links.iter().position(|b| same_link(b, &link)) {
            Some(i) => base.links[i] = link,
            None => base.links.push(link),
        }
    }
    base.links_broken |= top.links_broken;
    base
}

/// `[horizon]` of `top` laid over that of `base`, key by key (giving `years` or `weeks` replaces both).
pub(crate) fn lay_horizon(
    base: Option<Entity<RawHorizon>>,
    top: Option<Entity<RawHorizon>>,
) -> Option<Entity<RawHorizon>> {
    match (base, top) {
        (Some(b), Some(mut t)) => {
            if let (Some(br), Some(tr)) = (b.raw, t.raw.as_mut()) {
                let length_given = tr.years.is_some() || tr.weeks.is_some();
                if !length_given {
                    tr.years = br.years;
                    tr.weeks = br.weeks;
                }
                if tr.period.is_none() {
                    tr.period = br.period;
                }
                if tr.start_date.is_none() {
                    tr.start_date = br.start_date;
                }
            }
            t.broken_keys.extend(b.broken_keys);
            Some(t)
        }
        (b, t) => t.or(b),
    }
}

/// `[loss]` of `top` laid over that of `base`, key by key.
pub(crate) fn lay_loss(base: Option<Entity<RawLoss>>, top: Option<Entity<RawLoss>>) -> Option<Entity<RawLoss>> {
    match (base, top) {
        (Some(b), Some(mut t)) => {
            if let (Some(br), Some(tr)) = (b.raw, t.raw.as_mut()) {
                if tr.value_per_week_of_demand_usd.is_none() {
                    tr.value_per_week_of_demand_usd = br.value_per_week_of_demand_usd;
                }
                if tr.late_week_cost_share.is_none() {
                    tr.late_week_cost_share = br.late_week_cost_share;
                }
            }
            t.broken_keys.extend(b.broken_keys);
            Some(t)
        }
        (b, t) => t.or(b),
    }
}

/// `[uncertainty]` of `top` laid over that of `base`, key by key.
pub(crate) fn lay_uncertainty(
    base: Option<Entity<RawUncertainty>>,
    top: Option<Entity<RawUncertainty>>,
) -> Option<Entity<RawUncertainty>> {
    match (base, top) {
        (Some(b), Some(mut t)) => {
            if let (Some(br), Some(tr)) = (b.raw, t.raw.as_mut()) {
                if tr.knowledge.is_none() {
                    tr.knowledge = br.knowledge;
                }
                if tr.worlds.is_none() {
                    tr.worlds = br.worlds;
                }
            }
            t.broken_keys.extend(b.broken_keys);
            Some(t)
        }
        (b, t) => t.or(b),
    }
}

/// Replaces entities by name, or appends them.
pub(crate) fn lay<T>(base: &mut Vec<Entity<T>>, top: Vec<Entity<T>>) {
    for e in top {
        match base.iter().position(|b| b.name == e.name) {
            Some(i) => base[i] = e,
            None => base.push(e),
        }
    }
}

/// Whether two links join the same supplier and customer for the same material.
fn same_link(a: &Entity<RawLink>, b: &Entity<RawLink>) -> bool {
    let key = |e: &Entity<RawLink>| {
        e.raw.as_ref().and_then(|r| {
            let get = |f: &Option<Spanned<String>>| f.as_ref().map(|s| s.get_ref().clone());
            Some((get(&r.from)?, get(&r.to)?, get(&r.material)?))
        })
    };
    key(a).is_some_and(|k| Some(k) == key(b))
}

/// Drops the entity `item` (`section.NAME`) from `doc`; the links from or to a dropped stage or end use go too.
fn drop_entity(doc: &mut Document, item: &Spanned<String>, key: &str, diags: &mut Vec<Diagnostic>) {
    let text = item.get_ref().as_str();
    let Some((section, name)) = text.split_once('.').filter(|(s, _)| REMOVABLE.contains(s)) else {
        diags.push(
            Diagnostic::error(
                "invalid-value",
                key,
                format!("`{key}` is `\"{text}\"`, which does not name an entity as `section.NAME`"),
            )
            .at(Some(item.span()))
            .help(format!("write `{key}` as `\"stages.NAME\"`; the sections are {}", list(REMOVABLE))),
        );
        return;
    };
    fn take<T>(v: &mut Vec<Entity<T>>, name: &str) -> Result<(), Vec<String>> {
        match v.iter().position(|e| e.name == name) {
            Some(i) => {
                v.remove(i);
                Ok(())
            }
            None => Err(v.iter().map(|e| e.name.clone()).collect()),
        }
    }
    let result = match section {
        "materials" => take(&mut doc.materials, name),
        "stages" => take(&mut doc.stages, name),
        "end_uses" => take(&mut doc.end_uses, name),
        "disruptions" => take(&mut doc.disruptions, name),
        "mitigations" => take(&mut doc.mitigations, name),
        "markets" => take(&mut doc.markets, name),
        _ => take(&mut doc.packages, name),
    };
    match result {
        Ok(()) if section == "stages" || section == "end_uses" => {
            doc.links.retain(|l| {
                l.raw.as_ref().is_none_or(|r| {
                    let is = |f: &Option<Spanned<String>>| f.as_ref().is_some_and(|s| s.get_ref() == name);
                    !(is(&r.to) || (section == "stages" && is(&r.from)))
                })
            });
        }
        Ok(()) => {}
        Err(names) => {
            let help = match did_you_mean(name, names.iter().map(String::as_str)) {
                Some(s) => format!("set `{key}` to `\"{section}.{s}\"`"),
                None if names.is_empty() => format!("remove `{key}`: the base defines no {section}"),
                None => format!("remove `{key}`, or name one of the base's {section}: {}", list(&names)),
            };
            diags.push(
                Diagnostic::error(
                    "unknown-entity",
                    key,
                    format!("`{key}` removes `{text}`, but the base defines no such entity"),
                )
                .at(Some(item.span()))
                .help(help),
            );
        }
    }
}

/// The span of a `[section.NAME]` header's name, for messages about a whole entity.
pub(crate) fn first_span<T>(v: &[Entity<T>]) -> Option<Range<usize>> {
    v.first().map(|e| e.name_span.clone())
}
