//! Reading the TOML document into raw entities, collecting every syntax, unknown-key and type problem.
//!
//! The document is parsed once into toml's spanned tree ([`DeTable`]). Each entity (the `[scenario]` and
//! `[horizon]` tables, each `[stages.NAME]`, each `[[links]]`, ...) is then deserialized on its own into its raw
//! struct, so that a problem in one entity does not hide problems in others. When serde refuses an entity, the
//! offending key is reported and removed from a copy of the entity's tree, and deserialization is retried: every
//! unknown key and every ill-typed value of an entity is reported in one pass.

use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::diagnostic::{Diagnostic, did_you_mean, list};
use crate::raw::{
    DISTRIBUTION_ERROR, DISTRIBUTIONS, Entity, RawDisruption, RawEndUse, RawHorizon, RawLink, RawLoss, RawMarket,
    RawMaterial, RawMitigation, RawPackage, RawScenario, RawStage, RawUncertainty,
};

/// The top-level tables of a scenario file.
pub(crate) const SECTIONS: &[&str] = &[
    "scenario",
    "horizon",
    "loss",
    "materials",
    "stages",
    "links",
    "end_uses",
    "disruptions",
    "mitigations",
    "packages",
    "uncertainty",
    "markets",
];

/// Retries per entity; each retry removes one offending key, so this bounds the problems listed per entity.
const MAX_PROBLEMS_PER_ENTITY: usize = 64;

/// The whole file, as raw entities in file order.
#[derive(Debug, Default, Clone)]
pub(crate) struct Document {
    pub scenario: Option<Entity<RawScenario>>,
    pub horizon: Option<Entity<RawHorizon>>,
    pub loss: Option<Entity<RawLoss>>,
    pub materials: Vec<Entity<RawMaterial>>,
    pub stages: Vec<Entity<RawStage>>,
    pub links: Vec<Entity<RawLink>>,
    pub end_uses: Vec<Entity<RawEndUse>>,
    pub disruptions: Vec<Entity<RawDisruption>>,
    pub mitigations: Vec<Entity<RawMitigation>>,
    pub packages: Vec<Entity<RawPackage>>,
    pub uncertainty: Option<Entity<RawUncertainty>>,
    /// `[markets.MATERIAL]` tables, and `[markets.defaults]`, in file order.
    pub markets: Vec<Entity<RawMarket>>,
    /// Whether `links` is present but not an array of tables (its links are unknown).
    pub links_broken: bool,
    /// Whether the file holds no key at all (it is empty, or holds only comments and blank lines).
    pub defines_nothing: bool,
}

/// Parses `source` and reads every entity. `None` when the TOML itself cannot be parsed.
pub(crate) fn read(source: &str, diags: &mut Vec<Diagnostic>) -> Option<Document> {
    let root = match DeTable::parse(source) {
        Ok(root) => root,
        Err(e) => {
            diags.push(
                Diagnostic::error("toml-syntax", "", format!("invalid TOML: {}", e.message().trim_end()))
                    .at(e.span())
                    .help("fix the TOML syntax at this position; nothing else can be checked until it parses"),
            );
            return None;
        }
    };
    let mut doc = Document::default();
    let mut sections: Vec<_> = root.into_inner().into_iter().collect();
    doc.defines_nothing = sections.is_empty();
    sections.sort_by_key(|(k, _)| k.span().start);
    for (key, value) in sections {
        let name = key.get_ref().as_ref();
        match name {
            "scenario" => doc.scenario = Some(read_entity(name, key.span(), name, "[scenario]", &value, diags)),
            "horizon" => doc.horizon = Some(read_entity(name, key.span(), name, "[horizon]", &value, diags)),
            "loss" => doc.loss = Some(read_entity(name, key.span(), name, "[loss]", &value, diags)),
            "uncertainty" => {
                doc.uncertainty = Some(read_entity(name, key.span(), name, "[uncertainty]", &value, diags));
            }
            "materials" => doc.materials = read_named(name, "material", &value, diags),
            "stages" => doc.stages = read_named(name, "stage", &value, diags),
            "end_uses" => doc.end_uses = read_named(name, "end use", &value, diags),
            "disruptions" => doc.disruptions = read_named(name, "disruption", &value, diags),
            "mitigations" => doc.mitigations = read_mitigations(&value, diags),
            "packages" => doc.packages = read_named(name, "package", &value, diags),
            "markets" => doc.markets = read_named(name, "market", &value, diags),
            "links" => match read_links(&value, diags) {
                Some(links) => doc.links = links,
                None => doc.links_broken = true,
            },
            other => {
                let help = match did_you_mean(other, SECTIONS.iter().copied()) {
                    Some(s) => format!("rename `{other}` to `{s}`"),
                    None => format!("remove `{other}`; the top-level tables are {}", list(SECTIONS)),
                };
                diags.push(
                    Diagnostic::error("unknown-key", other, format!("unknown top-level key `{other}`"))
                        .at(Some(key.span()))
                        .help(help),
                );
            }
        }
    }
    Some(doc)
}

/// Reads `[section.NAME]` tables.
fn read_named<T: DeserializeOwned>(
    section: &str,
    what: &str,
    value: &Spanned<DeValue<'_>>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Entity<T>> {
    let DeValue::Table(table) = value.get_ref() else {
        diags.push(
            Diagnostic::error("invalid-value", section, format!("`{section}` must be a table of {what}s"))
                .at(Some(value.span()))
                .help(format!("write one `[{section}.NAME]` table per {what}")),
        );
        return Vec::new();
    };
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
        .into_iter()
        .map(|(key, v)| {
            let name = key.get_ref().as_ref();
            let path = format!("{section}.{name}");
            read_entity(name, key.span(), &path, &format!("{what} `{name}`"), v, diags)
        })
        .collect()
}

/// Reads the `[[links]]` array.
fn read_links(value: &Spanned<DeValue<'_>>, diags: &mut Vec<Diagnostic>) -> Option<Vec<Entity<RawLink>>> {
    read_link_array(value, "links", "", diags)
}

/// Reads an array of link tables at `path` (`links`, or `mitigations.NAME.links`); `of` qualifies the link in
/// messages (" of mitigation `x`").
pub(crate) fn read_link_array(
    value: &Spanned<DeValue<'_>>,
    path: &str,
    of: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<Entity<RawLink>>> {
    let DeValue::Array(array) = value.get_ref() else {
        diags.push(
            Diagnostic::error("invalid-value", path, format!("`{path}` must be an array of tables"))
                .at(Some(value.span()))
                .help(format!("write one `[[{path}]]` table per link")),
        );
        return None;
    };
    let links = array
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let name = format!("{path}[{i}]");
            read_entity(&name, v.span(), &name, &format!("link {i}{of}"), v, diags)
        })
        .collect();
    Some(links)
}

/// Reads `[mitigations.NAME]` tables. The table form of `stages` (new stages of an `alternate_supply` or
/// `recycling`) and the `links` array are read as stage and link entities of their own, so that their problems
/// are reported key by key like those of the file's own stages and links.
fn read_mitigations(value: &Spanned<DeValue<'_>>, diags: &mut Vec<Diagnostic>) -> Vec<Entity<RawMitigation>> {
    let DeValue::Table(table) = value.get_ref() else {
        diags.push(
            Diagnostic::error("invalid-value", "mitigations", "`mitigations` must be a table of mitigations")
                .at(Some(value.span()))
                .help("write one `[mitigations.NAME]` table per mitigation"),
        );
        return Vec::new();
    };
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries.into_iter().map(|(key, v)| read_mitigation(key.get_ref().as_ref(), key.span(), v, diags)).collect()
}

/// Reads one `[mitigations.NAME]` table, with its new stages and links.
pub(crate) fn read_mitigation(
    name: &str,
    name_span: Range<usize>,
    v: &Spanned<DeValue<'_>>,
    diags: &mut Vec<Diagnostic>,
) -> Entity<RawMitigation> {
    let path = format!("mitigations.{name}");
    let mut rest = v.clone();
    let (mut new_stages, mut new_stages_span, mut new_links, mut new_links_span) = (Vec::new(), None, Vec::new(), None);
    if let DeValue::Table(t) = rest.get_mut() {
        let stages = t.iter().find(|(k, v)| k.get_ref() == "stages" && matches!(v.get_ref(), DeValue::Table(_)));
        if let Some((k, v)) = stages {
            new_stages_span = Some(k.span());
            new_stages = read_named(&format!("{path}.stages"), "stage", v, diags);
            t.remove("stages");
        }
        let links = t.iter().find(|(k, _)| k.get_ref() == "links");
        if let Some((k, v)) = links {
            new_links_span = Some(k.span());
            new_links = read_link_array(v, &format!("{path}.links"), &format!(" of mitigation `{name}`"), diags)
                .unwrap_or_default();
            t.remove("links");
        }
    }
    let mut entity: Entity<RawMitigation> =
        read_entity(name, name_span, &path, &format!("mitigation `{name}`"), &rest, diags);
    if let Some(raw) = &mut entity.raw {
        raw.new_stages = std::mem::take(&mut new_stages);
        raw.new_stages_span = new_stages_span.take();
        raw.new_links = std::mem::take(&mut new_links);
        raw.new_links_span = new_links_span.take();
    }
    entity
}

/// Deserializes one entity, reporting and removing each offending key in turn until the rest can be read.
pub(crate) fn read_entity<T: DeserializeOwned>(
    name: &str,
    name_span: Range<usize>,
    path: &str,
    what: &str,
    value: &Spanned<DeValue<'_>>,
    diags: &mut Vec<Diagnostic>,
) -> Entity<T> {
    let mut value = value.clone();
    let mut entity = Entity {
        name: name.to_owned(),
        name_span,
        path: path.to_owned(),
        what: what.to_owned(),
        raw: None,
        broken_keys: Vec::new(),
        added_by: None,
    };
    for _ in 0..MAX_PROBLEMS_PER_ENTITY {
        let error = match T::deserialize(ValueDeserializer::from(value.clone())) {
            Ok(raw) => {
                entity.raw = Some(raw);
                return entity;
            }
            Err(e) => e,
        };
        let span = error.span();
        let message = error.message().trim_end();
        if let Some((field, expected)) = parse_unknown_field(message) {
            let found = span.as_ref().and_then(|s| find_key(&value, s, path));
            let key = found.as_ref().map_or_else(|| format!("{path}.{field}"), |(k, _)| k.clone());
            let parent = key.rsplit_once('.').map_or(path, |(p, _)| p);
            let context = if parent == path { what.to_owned() } else { format!("`{parent}`") };
            let suggestion = did_you_mean(&field, expected.iter().map(String::as_str));
            if let Some(s) = suggestion.filter(|_| parent == path) {
                // A misspelt key is not reported missing as well.
                entity.broken_keys.push(s.to_owned());
            }
            let help = match suggestion {
                Some(s) => format!("rename `{key}` to `{s}`"),
                None if expected.is_empty() => format!("remove `{key}`"),
                None => format!("remove `{key}`; the keys allowed here are {}", list(&expected)),
            };
            diags.push(
                Diagnostic::error("unknown-key", key, format!("unknown key `{field}` in {context}"))
                    .at(span.clone())
                    .help(help),
            );
            match span {
                Some(s) if found.is_some() && remove_key(&mut value, &s) => continue,
                _ => return entity,
            }
        }
        let located = span.as_ref().and_then(|s| find_key(&value, s, path));
        let key = located.as_ref().map_or_else(|| path.to_owned(), |(k, _)| k.clone());
        diags.push(type_problem(message, &key, what).at(span.clone()));
        match (span, located) {
            (Some(s), Some((_, top))) if remove_top_entry(&mut value, &s) => entity.broken_keys.push(top),
            _ => return entity,
        }
    }
    entity
}

/// Turns a serde message other than an unknown field into a diagnostic about `key`.
fn type_problem(message: &str, key: &str, what: &str) -> Diagnostic {
    if let Some(rest) = message.strip_prefix(DISTRIBUTION_ERROR) {
        let help = match backticked(rest).first().filter(|_| rest.starts_with("unknown distribution")) {
            Some(form) => match did_you_mean(form, DISTRIBUTIONS.iter().copied()) {
                Some(s) => format!("write `{s}` instead of `{form}` in `{key}`"),
                None => format!("use one of {} in `{key}`", list(DISTRIBUTIONS)),
            },
            None => format!("fix `{key}`; see the distribution forms in the scenario format reference"),
        };
        return Diagnostic::error("invalid-distribution", key, format!("`{key}`: {rest}")).help(help);
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let field = backticked(rest).into_iter().next().unwrap_or_default();
        return Diagnostic::error("missing-key", format!("{key}.{field}"), format!("`{key}` needs `{field}`"))
            .help(format!("add `{field}` to `{key}`"));
    }
    let message = readable(message);
    let scope = if key.contains('.') || key.contains('[') { format!("`{key}`") } else { what.to_owned() };
    let help = match message.split_once(", expected ") {
        Some((_, expected)) => format!("set `{key}` to {expected}"),
        None => format!("change the value of `{key}`"),
    };
    Diagnostic::error("invalid-value", key, format!("{scope} has the wrong type: {message}")).help(help)
}

/// Replaces serde's Rust type names with words a scenario author knows.
fn readable(message: &str) -> String {
    let message = message.strip_prefix("invalid type: ").unwrap_or(message);
    [
        ("expected f64", "expected a number"),
        ("expected i64", "expected an integer"),
        ("expected a TOML datetime", "expected a date such as 2025-04-04, written without quotes"),
        ("expected a sequence", "expected an array"),
        ("floating point", "number"),
        ("found map", "found a table"),
        ("sequence,", "array,"),
        ("map,", "table,"),
    ]
    .iter()
    .fold(message.to_owned(), |m, (from, to)| m.replace(from, to))
}

/// `unknown field `x`, expected one of `a`, `b`` → (`x`, [`a`, `b`]).
fn parse_unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field ")?;
    let mut names = backticked(rest).into_iter();
    let field = names.next()?;
    Some((field, names.collect()))
}

/// The `backticked` words of a message, in order.
fn backticked(message: &str) -> Vec<String> {
    message.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

/// Finds the key whose key span is `span`, or the innermost entry whose value contains `span`. Returns its dotted
/// path and the name of the entity's top-level key it lies under.
fn find_key(value: &Spanned<DeValue<'_>>, span: &Range<usize>, prefix: &str) -> Option<(String, String)> {
    fn walk(v: &DeValue<'_>, span: &Range<usize>, prefix: &str) -> Option<String> {
        match v {
            DeValue::Table(t) => t.iter().find_map(|(k, child)| {
                let path = format!("{prefix}.{}", k.get_ref());
                if k.span() == *span {
                    return Some(path);
                }
                walk(child.get_ref(), span, &path).or_else(|| contains(&child.span(), span).then_some(path))
            }),
            DeValue::Array(a) => a.iter().enumerate().find_map(|(i, child)| {
                let path = format!("{prefix}[{i}]");
                walk(child.get_ref(), span, &path).or_else(|| contains(&child.span(), span).then_some(path))
            }),
            _ => None,
        }
    }
    let path = walk(value.get_ref(), span, prefix)?;
    let rest = path.strip_prefix(prefix).unwrap_or(&path).trim_start_matches('.');
    let top = rest.split(['.', '[']).next().unwrap_or(rest).to_owned();
    Some((path, top))
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && outer.start < outer.end
}

/// Removes the key whose key span is `span`, wherever it is nested. Returns whether one was removed.
fn remove_key(value: &mut Spanned<DeValue<'_>>, span: &Range<usize>) -> bool {
    match value.get_mut() {
        DeValue::Table(t) => {
            let name = t.keys().find(|k| k.span() == *span).map(|k| k.get_ref().to_string());
            let mut removed = name.is_some_and(|n| t.remove(n.as_str()).is_some());
            for (_, v) in t.iter_mut() {
                removed |= remove_key(v, span);
            }
            removed
        }
        DeValue::Array(a) => a.iter_mut().fold(false, |removed, v| remove_key(v, span) | removed),
        _ => false,
    }
}

/// Removes the entity's top-level entry under which `span` lies. Returns whether one was removed.
fn remove_top_entry(value: &mut Spanned<DeValue<'_>>, span: &Range<usize>) -> bool {
    fn within(v: &Spanned<DeValue<'_>>, span: &Range<usize>) -> bool {
        contains(&v.span(), span)
            || match v.get_ref() {
                DeValue::Table(t) => t.iter().any(|(k, c)| k.span() == *span || within(c, span)),
                DeValue::Array(a) => a.iter().any(|c| within(c, span)),
                _ => false,
            }
    }
    let DeValue::Table(t) = value.get_mut() else { return false };
    let name = t.iter().find(|(k, v)| k.span() == *span || within(v, span)).map(|(k, _)| k.get_ref().to_string());
    name.is_some_and(|n| t.remove(n.as_str()).is_some())
}
