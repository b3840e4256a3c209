//! Calendar dates: the date of week 0 of a scenario (`[horizon] start_date`), and the dates of later weeks.
//!
//! Proleptic Gregorian calendar, by the days-from-civil algorithm (Hinnant, "chrono-Compatible Low-Level Date
//! Algorithms", 2013): a date is converted to a count of days since 1970-01-01 and back.

use std::fmt;

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// The year, in the proleptic Gregorian calendar.
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
    /// 1 to 31.
    pub day: u8,
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

impl Date {
    /// The date, if `month` and `day` exist in `year`.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        let date = Self { year, month, day };
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)).then_some(date)
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` since 1970-01-01.
    pub fn from_days_since_epoch(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Self { year, month, day }
    }

    /// The date `days` later (earlier when negative).
    pub fn plus_days(self, days: i64) -> Self {
        Self::from_days_since_epoch(self.days_since_epoch() + days)
    }

    /// The date at the start of week `week` (fractional weeks are rounded down to whole days) counted from
    /// this date as week 0.
    pub fn plus_weeks(self, week: f64) -> Self {
        self.plus_days((week * 7.0).floor() as i64)
    }

    /// As in prose and tables: `4 Apr 2025`.
    pub fn short(self) -> String {
        format!("{} {} {}", self.day, MONTHS[usize::from(self.month - 1)], self.year)
    }

    /// A month and year: `Apr 2025`.
    pub fn month_year(self) -> String {
        format!("{} {}", MONTHS[usize::from(self.month - 1)], self.year)
    }
}

/// ISO 8601: `2025-04-04`.
impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_and_match_known_dates() {
        let d = Date::new(2025, 4, 4).unwrap();
        assert_eq!(d.days_since_epoch(), 20_182);
        assert_eq!(Date::from_days_since_epoch(0), Date::new(1970, 1, 1).unwrap());
        for days in [-800_000, -1, 0, 59, 60, 11_016, 20_182, 2_932_896] {
            assert_eq!(Date::from_days_since_epoch(days).days_since_epoch(), days);
        }
        assert_eq!(Date::from_days_since_epoch(11_016), Date::new(2000, 2, 29).unwrap());
    }

    #[test]
    fn weeks_count_from_week_zero() {
        let start = Date::new(2025, 4, 4).unwrap();
        assert_eq!(start.plus_weeks(0.0), start);
        // The default scenario's header: 1 December 2025 is week 34 (4 Apr + 238 days = 28 Nov, the week of it).
        assert_eq!(start.plus_weeks(34.0).to_string(), "2025-11-28");
        assert_eq!(start.plus_weeks(156.0).short(), "31 Mar 2028");
        assert_eq!(Date::new(2024, 12, 30).unwrap().plus_days(3).to_string(), "2025-01-02");
    }

    #[test]
    fn impossible_dates_are_refused() {
        assert!(Date::new(2025, 2, 29).is_none());
        assert!(Date::new(2024, 2, 29).is_some());
        assert!(Date::new(1900, 2, 29).is_none());
        assert!(Date::new(2025, 13, 1).is_none());
        assert!(Date::new(2025, 4, 31).is_none());
    }
}
