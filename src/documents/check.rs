//! `chokepoint check`'s thresholds: a condition on a number of an output document, named by a path of fields.
//!
//! Paths are resolved generically over the JSON document, so a field added to `summary.json` later (`p_late`,
//! `delay_weeks`, ...) can be checked without any change here: an object's field by its key; a list's element by
//! its `name` field (or its index); and, as a shorthand, the element of any list of an object by its name
//! (`f35_aircraft.p_short_or_late.p` is `end_uses.f35_aircraft.p_short_or_late.p`).

use std::fmt;

use serde_json::Value;

/// A comparison of a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
    Equal,
    NotEqual,
}

impl Op {
    /// The operators, longest first so that `>=` is not read as `>`.
    const ALL: [(&'static str, Op); 6] = [
        (">=", Op::GreaterOrEqual),
        ("<=", Op::LessOrEqual),
        ("==", Op::Equal),
        ("!=", Op::NotEqual),
        (">", Op::Greater),
        ("<", Op::Less),
    ];

    fn symbol(self) -> &'static str {
        Op::ALL.iter().find(|(_, op)| *op == self).map_or("?", |(s, _)| s)
    }

    fn holds(self, x: f64, limit: f64) -> bool {
        match self {
            Op::Greater => x > limit,
            Op::GreaterOrEqual => x >= limit,
            Op::Less => x < limit,
            Op::LessOrEqual => x <= limit,
            Op::Equal => x == limit,
            Op::NotEqual => x != limit,
        }
    }
}

/// One `--fail-if 'PATH OP NUMBER'`: the check fails when the condition holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub path: Vec<String>,
    pub op: Op,
    pub limit: f64,
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.path.join("."), self.op.symbol(), self.limit)
    }
}

impl Threshold {
    /// Parses `PATH OP NUMBER`, such as `f35_aircraft.p_short_or_late.p > 0.05` (spaces around OP are optional).
    pub fn parse(text: &str) -> Result<Threshold, String> {
        let found = Op::ALL
            .iter()
            .filter_map(|&(symbol, op)| text.find(symbol).map(|at| (at, symbol, op)))
            .min_by_key(|&(at, symbol, _)| (at, std::cmp::Reverse(symbol.len())));
        let Some((at, symbol, op)) = found else {
            return Err(format!("`{text}` has no comparison: write `PATH OP NUMBER` with OP one of > >= < <= == !="));
        };
        let (path, limit) = (text[..at].trim(), text[at + symbol.len()..].trim());
        if path.is_empty() || path.contains(char::is_whitespace) || path.split('.').any(str::is_empty) {
            return Err(format!(
                "`{path}` is not a path of fields joined with dots, such as `f35_aircraft.p_short_or_late.p`"
            ));
        }
        let limit = match limit.parse::<f64>() {
            Ok(x) if x.is_finite() => x,
            _ => return Err(format!("`{limit}` is not a finite number in `{text}`")),
        };
        Ok(Threshold { path: path.split('.').map(str::to_owned).collect(), op, limit })
    }
}

/// What a threshold found in a document.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The value, and whether the condition holds (the check fails).
    Value { value: f64, crossed: bool },
    /// The field exists but is `null` (such as the median week of a first shortfall when no trial was short):
    /// the condition cannot hold.
    Null,
}

/// Why a path names no number.
#[derive(Debug, Clone, PartialEq)]
pub struct PathError {
    /// The path up to and including the segment that failed.
    pub at: String,
    pub message: String,
}

/// Fields renamed since an earlier schema version, with their new names, for the error of a path that uses the
/// old one (`docs/output-schema.md`, `schema_version`).
const RENAMED: &[(&str, &str)] = &[("p_any_short", "p_short_or_late")];

/// Evaluates `threshold` on `document`, starting at segment `skip` of its path (a batch folder's first segment
/// names the scenario's folder).
pub fn evaluate(document: &Value, threshold: &Threshold, skip: usize) -> Result<Outcome, PathError> {
    let mut value = document;
    for (i, segment) in threshold.path.iter().enumerate().skip(skip) {
        let at = || threshold.path[..=i].join(".");
        value = match step(value, segment) {
            Some(v) => v,
            None => {
                let available = names_under(value);
                let renamed = RENAMED.iter().find(|&&(old, new)| old == segment && available.iter().any(|a| a == new));
                let suggestion = match renamed {
                    Some((old, new)) => format!("`{old}` was renamed `{new}` in schema version 2; "),
                    None => chokepoint_scenario::did_you_mean(segment, available.iter().map(String::as_str))
                        .map(|s| format!("did you mean `{s}`? "))
                        .unwrap_or_default(),
                };
                let message = if available.is_empty() {
                    format!("`{}` is {}, which has no field `{segment}`", threshold.path[..i].join("."), kind(value))
                } else {
                    format!("no field `{segment}` here; {suggestion}the fields are {}", list(&available))
                };
                return Err(PathError { at: at(), message });
            }
        };
    }
    match value {
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            Ok(Outcome::Value { value: x, crossed: threshold.op.holds(x, threshold.limit) })
        }
        Value::Null => Ok(Outcome::Null),
        other => {
            let fields = names_under(other);
            let more = if fields.is_empty() { String::new() } else { format!("; its fields are {}", list(&fields)) };
            Err(PathError {
                at: threshold.path.join("."),
                message: format!("it is {}, not a number{more}", kind(other)),
            })
        }
    }
}

/// The child of `value` named `segment`: a field; an element of a list by name or index; or, from an object, the
/// element of one of its lists with that name (when exactly one has it).
fn step<'a>(value: &'a Value, segment: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) => map.get(segment).or_else(|| {
            let mut found = map.values().filter_map(|v| by_name(v, segment));
            let first = found.next()?;
            found.next().is_none().then_some(first)
        }),
        Value::Array(_) => by_name(value, segment)
            .or_else(|| segment.parse::<usize>().ok().and_then(|i| value.as_array().and_then(|a| a.get(i)))),
        _ => None,
    }
}

/// The element of the list `value` whose `name` is `name`.
fn by_name<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    value.as_array()?.iter().find(|item| item.get("name").and_then(Value::as_str) == Some(name))
}

/// What can follow `value` in a path: its fields and the names of its lists' elements.
fn names_under(value: &Value) -> Vec<String> {
    let named = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| a.iter().filter_map(|i| i.get("name").and_then(Value::as_str).map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    match value {
        Value::Object(map) => map.keys().cloned().chain(map.values().flat_map(named)).collect(),
        Value::Array(_) => named(value),
        _ => Vec::new(),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a table",
    }
}

/// `` `a`, `b` and `c` ``, at most 40 of them.
fn list(names: &[String]) -> String {
    let shown: Vec<String> = names.iter().take(40).map(|n| format!("`{n}`")).collect();
    let more =
        if names.len() > shown.len() { format!(" and {} more", names.len() - shown.len()) } else { String::new() };
    match shown.split_last() {
        Some((last, init)) if !init.is_empty() && more.is_empty() => format!("{} and {last}", init.join(", ")),
        _ => format!("{}{more}", shown.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> Value {
        serde_json::json!({
            "run": { "trials": 100 },
            "end_uses": [
                { "name": "ev_motors", "p_short_or_late": { "k": 10, "n": 100, "p": 0.1 }, "first_short_week": null },
                { "name": "f35_aircraft", "p_short_or_late": { "k": 3, "n": 100, "p": 0.03 }, "p_late": 0.2 }
            ],
            "stages": [ { "name": "ev_motors_stage" } ]
        })
    }

    fn eval(text: &str) -> Result<Outcome, PathError> {
        evaluate(&summary(), &Threshold::parse(text).unwrap(), 0)
    }

    #[test]
    fn thresholds_parse_with_or_without_spaces() {
        let t = Threshold::parse("f35_aircraft.p_short_or_late.p>=0.05").unwrap();
        assert_eq!((t.path.len(), t.op, t.limit), (3, Op::GreaterOrEqual, 0.05));
        assert_eq!(Threshold::parse("a.b != 1").unwrap().op, Op::NotEqual);
        assert!(Threshold::parse("a.b 0.05").is_err());
        assert!(Threshold::parse("a..b > 1").is_err());
        assert!(Threshold::parse("a.b > x").is_err());
        assert_eq!(Threshold::parse("a.b < -1e3").unwrap().to_string(), "a.b < -1000");
    }

    #[test]
    fn paths_name_fields_and_list_elements_by_name() {
        assert_eq!(eval("f35_aircraft.p_short_or_late.p > 0.05"), Ok(Outcome::Value { value: 0.03, crossed: false }));
        assert_eq!(
            eval("end_uses.ev_motors.p_short_or_late.p > 0.05"),
            Ok(Outcome::Value { value: 0.1, crossed: true })
        );
        assert_eq!(eval("end_uses.1.p_short_or_late.k == 3"), Ok(Outcome::Value { value: 3.0, crossed: true }));
        // A field this code has never heard of.
        assert_eq!(eval("f35_aircraft.p_late > 0.1"), Ok(Outcome::Value { value: 0.2, crossed: true }));
        assert_eq!(eval("ev_motors.first_short_week > 1"), Ok(Outcome::Null));
    }

    #[test]
    fn an_unknown_path_suggests_and_lists_the_fields() {
        let e = eval("f35_aircraft.p_shrt_or_late.p > 0.05").unwrap_err();
        assert_eq!(e.at, "f35_aircraft.p_shrt_or_late");
        assert!(
            e.message.contains("did you mean `p_short_or_late`?") && e.message.contains("`p_late`"),
            "{}",
            e.message
        );
        let e = eval("f35_aircraf.p_short_or_late.p > 0.05").unwrap_err();
        assert!(e.message.contains("did you mean `f35_aircraft`?"), "{}", e.message);
        let e = eval("f35_aircraft.p_short_or_late > 0.05").unwrap_err();
        assert!(e.message.contains("not a number") && e.message.contains("`p`"), "{}", e.message);
        let e = eval("run.trials.x > 1").unwrap_err();
        assert!(e.message.contains("is a number, which has no field `x`"), "{}", e.message);
        // A field of an earlier schema version names its new name.
        let e = eval("f35_aircraft.p_any_short.p > 0.05").unwrap_err();
        assert!(e.message.contains("`p_any_short` was renamed `p_short_or_late`"), "{}", e.message);
    }
}
