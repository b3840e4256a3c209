//! Money in a scenario: the cost of a mitigation or package, and the largest amount accepted.

/// The largest amount of money accepted in a scenario, in US dollars (a quadrillion): larger ones are typos, and
/// sums of squares of such amounts stay finite.
pub const MAX_AMOUNT: f64 = 1e15;

/// The cost of a mitigation or package in US dollars: a one-off amount (purchase, capital) and a yearly amount
/// (carry, operation). Amounts are undiscounted.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Cost {
    /// Paid once, at the start (`one_off_usd`).
    pub one_off_usd: f64,
    /// Paid every year of the horizon (`per_year_usd`).
    pub per_year_usd: f64,
}

impl Cost {
    /// The total over `years`: `one_off_usd + per_year_usd × years`.
    pub fn total_usd(&self, years: f64) -> f64 {
        self.one_off_usd + self.per_year_usd * years
    }
}

impl std::ops::Add for Cost {
    type Output = Cost;

    fn add(self, other: Cost) -> Cost {
        Cost { one_off_usd: self.one_off_usd + other.one_off_usd, per_year_usd: self.per_year_usd + other.per_year_usd }
    }
}
