//! The tables of the analyses (comparison, sizing, portfolio search) as named, typed columns, for Python.
//! `paired_losses` has the columns of the binary's `paired_losses.parquet`; the others are one row per option,
//! end use and option, size tried or portfolio run, with the library's numbers under names that say what they are.

use chokepoint_analysis::comparison::{Comparison, OptionKind, OptionSpec};
use chokepoint_analysis::outcome::VariantOutcome;
use chokepoint_analysis::paired::{Detected, PairedDifference};
use chokepoint_analysis::portfolio::{PortfolioAnswer, PortfolioQuestion};
use chokepoint_analysis::sizing::SizingAnswer;
use chokepoint_tables::{Column, ColumnType, Schema, Table, Values};

/// `better`, `none` or `worse`.
pub fn effect_word(d: Detected) -> &'static str {
    match d {
        Detected::Better => "better",
        Detected::None => "none",
        Detected::Worse => "worse",
    }
}

fn f64s<T>(rows: &[T], f: impl Fn(&T) -> f64) -> Values {
    Values::F64(rows.iter().map(f).collect())
}

fn texts<T>(rows: &[T], f: impl Fn(&T) -> String) -> Values {
    Values::Text(rows.iter().map(f).collect())
}

/// The columns `{name}`, `{name}_se`, `{name}_ci95_low`, `{name}_ci95_high` of a paired difference's amount
/// avoided (their names are given, being `'static`).
fn avoided<T>(rows: &[T], names: [&'static str; 4], f: impl Fn(&T) -> &PairedDifference) -> [Column; 4] {
    [
        Column::new(names[0], f64s(rows, |r| f(r).mean_avoided())),
        Column::new(names[1], f64s(rows, |r| f(r).avoided.se)),
        Column::new(names[2], f64s(rows, |r| f(r).avoided.ci95_low)),
        Column::new(names[3], f64s(rows, |r| f(r).avoided.ci95_high)),
    ]
}

/// Columns of the comparison's `options` table.
pub const OPTIONS: Schema = {
    use ColumnType::{F64, Text, U64};
    &[
        ("option", Text),
        ("kind", Text),
        ("mitigation_kind", Text),
        ("cost_usd", F64),
        ("loss_avoided", F64),
        ("loss_avoided_se", F64),
        ("loss_avoided_ci95_low", F64),
        ("loss_avoided_ci95_high", F64),
        ("p_better", F64),
        ("p_worse", F64),
        ("effect", Text),
        ("rank", U64),
        ("rank_by_value", U64),
        ("loss_avoided_per_usd", F64),
        ("end_uses_improved", U64),
        ("end_uses_worsened", U64),
        ("dominated_by", Text),
    ]
};

/// One row per option, in the order given.
pub fn options(specs: &[OptionSpec], comparison: &Comparison) -> Table {
    let rows: Vec<(&OptionSpec, &chokepoint_analysis::comparison::OptionResult)> =
        specs.iter().zip(&comparison.options).collect();
    // As `compare.json` words them: `mitigation` (with its kind) or `package`.
    let kind = |s: &OptionSpec| match &s.kind {
        OptionKind::Mitigation { kind } => ("mitigation", Some(kind.as_str().to_owned())),
        OptionKind::Package { .. } => ("package", None),
    };
    let mut columns = vec![
        Column::new("option", texts(&rows, |(s, _)| s.name.clone())),
        Column::new("kind", texts(&rows, |(s, _)| kind(s).0.to_owned())),
        Column::new("mitigation_kind", Values::OptionalText(rows.iter().map(|(s, _)| kind(s).1).collect())),
        Column::new("cost_usd", f64s(&rows, |(_, r)| r.cost_usd)),
    ];
    columns.extend(avoided(
        &rows,
        ["loss_avoided", "loss_avoided_se", "loss_avoided_ci95_low", "loss_avoided_ci95_high"],
        |(_, r)| &r.loss,
    ));
    columns.extend([
        Column::new("p_better", f64s(&rows, |(_, r)| r.loss.p_better.p)),
        Column::new("p_worse", f64s(&rows, |(_, r)| r.loss.p_worse.p)),
        Column::new("effect", texts(&rows, |(_, r)| effect_word(r.effect).to_owned())),
        Column::new("rank", Values::U64(rows.iter().map(|(_, r)| r.rank as u64).collect())),
        Column::new(
            "rank_by_value",
            Values::OptionalU64(rows.iter().map(|(_, r)| r.rank_by_value.map(|x| x as u64)).collect()),
        ),
        Column::new(
            "loss_avoided_per_usd",
            Values::OptionalF64(rows.iter().map(|(_, r)| r.loss_avoided_per_usd.map(|c| c.point)).collect()),
        ),
        Column::new("end_uses_improved", Values::U64(rows.iter().map(|(_, r)| r.end_uses_improved as u64).collect())),
        Column::new("end_uses_worsened", Values::U64(rows.iter().map(|(_, r)| r.end_uses_worsened as u64).collect())),
        Column::new(
            "dominated_by",
            Values::OptionalText(rows.iter().map(|(_, r)| r.dominated_by.map(|i| specs[i].name.clone())).collect()),
        ),
    ]);
    Table::new(rows.len(), columns)
}

/// Columns of the comparison's `end_uses` table.
pub const END_USES: Schema = {
    use ColumnType::{F64, Text, U64};
    &[
        ("end_use", Text),
        ("option", Text),
        ("unmet_demand", Text),
        ("rank", U64),
        ("baseline_units_short", F64),
        ("units_short_avoided", F64),
        ("units_short_avoided_se", F64),
        ("units_short_avoided_ci95_low", F64),
        ("units_short_avoided_ci95_high", F64),
        ("units_short_avoided_unpaired_se", F64),
        ("baseline_p_short_or_late", F64),
        ("option_p_short_or_late", F64),
        ("delta_p_short_or_late", F64),
        ("delta_p_short_or_late_ci95_low", F64),
        ("delta_p_short_or_late_ci95_high", F64),
        ("max_delay_weeks_avoided", F64),
        ("max_delay_weeks_avoided_se", F64),
        ("max_delay_weeks_avoided_ci95_low", F64),
        ("max_delay_weeks_avoided_ci95_high", F64),
        ("backlog_unit_weeks_avoided", F64),
        ("backlog_unit_weeks_avoided_se", F64),
        ("backlog_unit_weeks_avoided_ci95_low", F64),
        ("backlog_unit_weeks_avoided_ci95_high", F64),
        ("loss_avoided", F64),
        ("loss_avoided_se", F64),
        ("loss_avoided_ci95_low", F64),
        ("loss_avoided_ci95_high", F64),
        ("delta_cvar95_units_short", F64),
        ("effect", Text),
        ("cost_per_unit_short_avoided", F64),
        ("cost_per_unit_week_late_avoided", F64),
    ]
};

/// One row per end use and option, in end-use order, then the options' order.
pub fn end_uses(specs: &[OptionSpec], comparison: &Comparison) -> Table {
    type Row<'a> = (
        &'a chokepoint_analysis::comparison::EndUseComparison,
        &'a OptionSpec,
        &'a chokepoint_analysis::comparison::EndUseEffect,
    );
    let rows: Vec<Row<'_>> =
        comparison.end_uses.iter().flat_map(|c| specs.iter().zip(&c.effects).map(move |(s, x)| (c, s, x))).collect();
    let mut columns = vec![
        Column::new("end_use", texts(&rows, |(c, _, _)| c.name.clone())),
        Column::new("option", texts(&rows, |(_, s, _)| s.name.clone())),
        Column::new("unmet_demand", texts(&rows, |(c, _, _)| chokepoint_tables::unmet_word(c.unmet).to_owned())),
        Column::new("rank", Values::U64(rows.iter().map(|(_, _, x)| x.rank as u64).collect())),
        Column::new("baseline_units_short", f64s(&rows, |(c, _, _)| c.baseline.units_short.mean)),
    ];
    columns.extend(avoided(
        &rows,
        [
            "units_short_avoided",
            "units_short_avoided_se",
            "units_short_avoided_ci95_low",
            "units_short_avoided_ci95_high",
        ],
        |(_, _, x)| &x.units_short,
    ));
    columns.extend([
        Column::new("units_short_avoided_unpaired_se", f64s(&rows, |(_, _, x)| x.units_short.unpaired_se)),
        Column::new("baseline_p_short_or_late", f64s(&rows, |(_, _, x)| x.short_or_late.baseline.p)),
        Column::new("option_p_short_or_late", f64s(&rows, |(_, _, x)| x.short_or_late.option.p)),
        Column::new("delta_p_short_or_late", f64s(&rows, |(_, _, x)| x.short_or_late.delta)),
        Column::new("delta_p_short_or_late_ci95_low", f64s(&rows, |(_, _, x)| x.short_or_late.ci95_low)),
        Column::new("delta_p_short_or_late_ci95_high", f64s(&rows, |(_, _, x)| x.short_or_late.ci95_high)),
    ]);
    columns.extend(avoided(
        &rows,
        [
            "max_delay_weeks_avoided",
            "max_delay_weeks_avoided_se",
            "max_delay_weeks_avoided_ci95_low",
            "max_delay_weeks_avoided_ci95_high",
        ],
        |(_, _, x)| &x.max_delay_weeks,
    ));
    columns.extend(avoided(
        &rows,
        [
            "backlog_unit_weeks_avoided",
            "backlog_unit_weeks_avoided_se",
            "backlog_unit_weeks_avoided_ci95_low",
            "backlog_unit_weeks_avoided_ci95_high",
        ],
        |(_, _, x)| &x.backlog_unit_weeks,
    ));
    columns.extend(avoided(
        &rows,
        ["loss_avoided", "loss_avoided_se", "loss_avoided_ci95_low", "loss_avoided_ci95_high"],
        |(_, _, x)| &x.loss,
    ));
    columns.extend([
        Column::new("delta_cvar95_units_short", f64s(&rows, |(_, _, x)| x.delta_cvar95_units_short)),
        Column::new("effect", texts(&rows, |(_, _, x)| effect_word(x.effect).to_owned())),
        Column::new(
            "cost_per_unit_short_avoided",
            Values::OptionalF64(rows.iter().map(|(_, _, x)| x.cost_per_unit_short_avoided.map(|c| c.point)).collect()),
        ),
        Column::new(
            "cost_per_unit_week_late_avoided",
            Values::OptionalF64(
                rows.iter().map(|(_, _, x)| x.cost_per_unit_week_late_avoided.map(|c| c.point)).collect(),
            ),
        ),
    ]);
    Table::new(rows.len(), columns)
}

/// Columns of the comparison's `paired_losses` table, those of `paired_losses.parquet`.
pub const PAIRED_LOSSES: Schema = {
    use ColumnType::{F64, Text, U64};
    &[("option", Text), ("trial", U64), ("baseline_loss", F64), ("option_loss", F64), ("loss_avoided", F64)]
};

/// One row per option and trial: the loss over every end use of the baseline and of the option.
pub fn paired_losses(baseline: &VariantOutcome, name: &str, option: &VariantOutcome) -> Table {
    let n = baseline.trials;
    let (b, o) = (&baseline.loss, &option.loss);
    Table::new(
        n,
        vec![
            Column::new("option", Values::Repeated(name.to_owned())),
            Column::new("trial", Values::U64((0..n as u64).collect())),
            Column::new("baseline_loss", Values::F64(b.clone())),
            Column::new("option_loss", Values::F64(o.clone())),
            Column::new("loss_avoided", Values::F64(b.iter().zip(o).map(|(b, o)| b - o).collect())),
        ],
    )
}

/// Columns of the sizing's `evaluations` table.
pub const EVALUATIONS: Schema = {
    use ColumnType::{Bool, F64, U64};
    &[
        ("size", F64),
        ("short_or_late_trials", U64),
        ("p_short_or_late", F64),
        ("p_short_or_late_ci95_low", F64),
        ("p_short_or_late_ci95_high", F64),
        ("delay_quantile_weeks", F64),
        ("meets_target", Bool),
    ]
};

/// One row per size run, in the order run.
pub fn evaluations(answer: &SizingAnswer) -> Table {
    let rows = &answer.evaluations;
    Table::new(
        rows.len(),
        vec![
            Column::new("size", f64s(rows, |e| e.size)),
            Column::new("short_or_late_trials", Values::U64(rows.iter().map(|e| e.short_or_late.k as u64).collect())),
            Column::new("p_short_or_late", f64s(rows, |e| e.short_or_late.p)),
            Column::new("p_short_or_late_ci95_low", f64s(rows, |e| e.short_or_late.ci95_low)),
            Column::new("p_short_or_late_ci95_high", f64s(rows, |e| e.short_or_late.ci95_high)),
            Column::new(
                "delay_quantile_weeks",
                Values::OptionalF64(rows.iter().map(|e| e.delay_quantile_weeks).collect()),
            ),
            Column::new("meets_target", Values::Bool(rows.iter().map(|e| e.meets_target).collect())),
        ],
    )
}

/// Columns of the portfolio search's `portfolios` table.
pub const PORTFOLIOS: Schema = {
    use ColumnType::{Bool, F64, Text, U64};
    &[
        ("portfolio", Text),
        ("members", U64),
        ("cost_usd", F64),
        ("objective", F64),
        ("objective_se", F64),
        ("objective_ci95_low", F64),
        ("objective_ci95_high", F64),
        ("improvement", F64),
        ("improvement_se", F64),
        ("improvement_ci95_low", F64),
        ("improvement_ci95_high", F64),
        ("best", Bool),
        ("on_frontier", Bool),
    ]
};

/// A portfolio's members by name, `+`-separated (`""` for the empty portfolio, the baseline).
pub fn portfolio_name(question: &PortfolioQuestion, members: &[usize]) -> String {
    members.iter().map(|&i| question.candidates[i].name.as_str()).collect::<Vec<_>>().join("+")
}

/// One row per portfolio run, in the order run (the first is the empty one, the baseline).
pub fn portfolios(question: &PortfolioQuestion, answer: &PortfolioAnswer) -> Table {
    let rows: Vec<(usize, &chokepoint_analysis::portfolio::Portfolio)> = answer.evaluated.iter().enumerate().collect();
    let mut columns = vec![
        Column::new("portfolio", texts(&rows, |(_, p)| portfolio_name(question, &p.members))),
        Column::new("members", Values::U64(rows.iter().map(|(_, p)| p.members.len() as u64).collect())),
        Column::new("cost_usd", f64s(&rows, |(_, p)| p.cost_usd)),
        Column::new("objective", f64s(&rows, |(_, p)| p.objective.mean)),
        Column::new("objective_se", f64s(&rows, |(_, p)| p.objective.se)),
        Column::new("objective_ci95_low", f64s(&rows, |(_, p)| p.objective.ci95_low)),
        Column::new("objective_ci95_high", f64s(&rows, |(_, p)| p.objective.ci95_high)),
    ];
    columns.extend(avoided(
        &rows,
        ["improvement", "improvement_se", "improvement_ci95_low", "improvement_ci95_high"],
        |(_, p)| &p.improvement,
    ));
    columns.extend([
        Column::new("best", Values::Bool(rows.iter().map(|(i, _)| *i == answer.best).collect())),
        Column::new("on_frontier", Values::Bool(rows.iter().map(|(i, _)| answer.frontier.contains(i)).collect())),
    ]);
    Table::new(rows.len(), columns)
}
