//! The horizon: the length of a period, the number of periods and the calendar date of week 0 (`[horizon]`).

use crate::date::Date;
use crate::diagnostic::{Diagnostic, number};
use crate::lower::context::{Lower, MAX_PERIODS, WEEKS_PER_MONTH};

/// Period length in weeks and the number of periods.
pub(super) fn horizon(lower: &mut Lower<'_>) -> (f64, usize) {
    let default = (1.0, 156);
    let Some(e) = &lower.doc.horizon else { return default };
    let Some(raw) = &e.raw else { return default };
    let period_weeks = match &raw.period {
        None => 1.0,
        Some(p) => match lower.choice(p, "horizon.period", &["week", "month"]) {
            Some("month") => WEEKS_PER_MONTH,
            _ => 1.0,
        },
    };
    let weeks = match (&raw.years, &raw.weeks) {
        (Some(y), Some(w)) => {
            lower.push(
                Diagnostic::error(
                    "conflicting-keys",
                    "horizon.weeks",
                    "the horizon gives its length twice, as `years` and as `weeks`",
                )
                .at(Some(w.span()))
                .help("remove `horizon.weeks` or `horizon.years`"),
            );
            Some((*y.get_ref() * 52.0, "horizon.years", y.span()))
        }
        (Some(y), None) => Some((*y.get_ref() * 52.0, "horizon.years", y.span())),
        (None, Some(w)) => Some((*w.get_ref() as f64, "horizon.weeks", w.span())),
        (None, None) => None,
    };
    let Some((weeks, key, span)) = weeks else { return (period_weeks, (3.0 * 52.0 / period_weeks).round() as usize) };
    let periods = (weeks / period_weeks).round();
    if periods.is_nan() || periods < 1.0 {
        let value = if key == "horizon.years" { number(weeks / 52.0) } else { number(weeks) };
        lower.push(
            Diagnostic::error("empty-horizon", key, format!("`{key}` is {value}, which leaves no period to simulate"))
                .at(Some(span))
                .help(format!(
                    "set `{key}` to at least one period (one {})",
                    if period_weeks == 1.0 { "week" } else { "month" }
                )),
        );
        return (period_weeks, 1);
    }
    if periods > MAX_PERIODS {
        lower.push(
            Diagnostic::error(
                "invalid-value",
                key,
                format!("`{key}` gives {} periods, more than the {} allowed", number(periods), number(MAX_PERIODS)),
            )
            .at(Some(span))
            .help(format!("shorten `{key}`")),
        );
        return (period_weeks, 1);
    }
    (period_weeks, periods as usize)
}

/// `[horizon] start_date`: a TOML local date.
pub(super) fn start_date(lower: &mut Lower<'_>) -> Option<Date> {
    let raw = lower.doc.horizon.as_ref()?.raw.as_ref()?.start_date.as_ref()?;
    let value = raw.get_ref();
    let date = match (value.date, value.time, value.offset) {
        (Some(d), None, None) => Date::new(i32::from(d.year), d.month, d.day),
        _ => None,
    };
    if date.is_none() {
        lower.push(
            Diagnostic::error(
                "invalid-value",
                "horizon.start_date",
                format!("`horizon.start_date` is `{value}`, which is not a calendar date"),
            )
            .at(Some(raw.span()))
            .help("set `horizon.start_date` to the date of week 0 as a TOML date, such as `start_date = 2025-04-04`"),
        );
    }
    date
}
