//! Report periods: calendar spans in the report's time zone, and the baseline before them.

use chrono::{DateTime, Datelike, Days, FixedOffset, Months, NaiveDate, TimeZone, Utc};
use serde::Serialize;

use crate::Error;

/// A span of whole local days, `from` inclusive, `to` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    /// First day.
    pub from: NaiveDate,
    /// Day after the last.
    pub to: NaiveDate,
    /// Calendar unit when the period is one (used to pick the baseline).
    #[serde(skip)]
    pub unit: Unit,
}

/// The calendar unit a period spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// `2021-W50`, ISO week.
    Week,
    /// `2021-12`.
    Month,
    /// `2021-Q4`.
    Quarter,
    /// `2021`.
    Year,
    /// Any span of days.
    Days,
}

impl Period {
    /// Parse `YYYY-MM`, `YYYY-Qn`, `YYYY-Www` or `YYYY`.
    pub fn parse(text: &str) -> Result<Period, Error> {
        let bad = || {
            Error::Input(format!(
                "period `{text}`: expected YYYY-MM (2021-12), YYYY-Qn (2021-Q4), YYYY-Www (2021-W50) or YYYY"
            ))
        };
        let text = text.trim();
        let (year, rest) = match text.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (text, None),
        };
        let year: i32 = year.parse().ok().filter(|y| (1970..=9999).contains(y)).ok_or_else(bad)?;
        let first = |month: u32| NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad);
        let (from, unit) = match rest {
            None => (first(1)?, Unit::Year),
            Some(r) if r.starts_with(['Q', 'q']) => {
                let q: u32 = r[1..].parse().ok().filter(|q| (1..=4).contains(q)).ok_or_else(bad)?;
                (first(3 * q - 2)?, Unit::Quarter)
            }
            Some(r) if r.starts_with(['W', 'w']) => {
                let w: u32 = r[1..].parse().map_err(|_| bad())?;
                (NaiveDate::from_isoywd_opt(year, w, chrono::Weekday::Mon).ok_or_else(bad)?, Unit::Week)
            }
            Some(r) => {
                let m: u32 = r.parse().ok().filter(|m| (1..=12).contains(m)).ok_or_else(bad)?;
                (first(m)?, Unit::Month)
            }
        };
        Ok(Period { from, to: unit.advance(from, 1).ok_or_else(bad)?, unit })
    }

    /// Days `from` to `to`, both inclusive.
    pub fn days(from: NaiveDate, to: NaiveDate) -> Result<Period, Error> {
        let end = to
            .checked_add_days(Days::new(1))
            .filter(|end| *end > from)
            .ok_or_else(|| Error::Input(format!("period {from} … {to}: the end must not be before the start")))?;
        Ok(Period { from, to: end, unit: Unit::Days })
    }

    /// The period of the same length just before (the previous month for a month).
    pub fn previous(&self) -> Period {
        let from = self.unit.advance_back(self.from).unwrap_or(self.from);
        let from = if self.unit == Unit::Days { self.from - (self.to - self.from) } else { from };
        Period { from, to: self.from, unit: self.unit }
    }

    /// Number of days.
    pub fn len_days(&self) -> i64 {
        (self.to - self.from).num_days()
    }

    /// Every day of the period.
    pub fn each_day(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.from.iter_days().take_while(|d| *d < self.to)
    }

    /// Human label: `2021-12`, `2021-Q4`, `2021-W50`, `2021`, or `2021-12-01 … 2021-12-15`.
    pub fn label(&self) -> String {
        match self.unit {
            Unit::Month => self.from.format("%Y-%m").to_string(),
            Unit::Quarter => format!("{}-Q{}", self.from.year(), self.from.month0() / 3 + 1),
            Unit::Week => format!("{}-W{:02}", self.from.iso_week().year(), self.from.iso_week().week()),
            Unit::Year => self.from.year().to_string(),
            Unit::Days => format!("{} … {}", self.from, self.to.pred_opt().unwrap_or(self.to)),
        }
    }

    /// The instants bounding the period in time zone `tz`.
    pub fn bounds(&self, tz: FixedOffset) -> (DateTime<Utc>, DateTime<Utc>) {
        (start_of(self.from, tz), start_of(self.to, tz))
    }
}

/// Midnight at the start of `day` in `tz`.
pub fn start_of(day: NaiveDate, tz: FixedOffset) -> DateTime<Utc> {
    // A fixed offset has no gaps, so the local midnight always exists.
    tz.from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

impl Unit {
    fn advance(self, from: NaiveDate, n: u32) -> Option<NaiveDate> {
        match self {
            Unit::Week => from.checked_add_days(Days::new(7 * u64::from(n))),
            Unit::Month => from.checked_add_months(Months::new(n)),
            Unit::Quarter => from.checked_add_months(Months::new(3 * n)),
            Unit::Year => from.checked_add_months(Months::new(12 * n)),
            Unit::Days => Some(from),
        }
    }

    fn advance_back(self, from: NaiveDate) -> Option<NaiveDate> {
        match self {
            Unit::Week => from.checked_sub_days(Days::new(7)),
            Unit::Month => from.checked_sub_months(Months::new(1)),
            Unit::Quarter => from.checked_sub_months(Months::new(3)),
            Unit::Year => from.checked_sub_months(Months::new(12)),
            Unit::Days => Some(from),
        }
    }
}

/// Parse a time zone: `Asia/Ho_Chi_Minh` (and the other names Vietnam's clocks have gone by),
/// `UTC`, or an offset such as `+07:00`. Vietnam has kept UTC+7 without daylight saving since
/// 1975, so a fixed offset is exact for it.
pub fn parse_timezone(text: &str) -> Result<FixedOffset, Error> {
    let hours = |h: i32| FixedOffset::east_opt(h * 3600);
    let parsed = match text.trim() {
        "Asia/Ho_Chi_Minh" | "Asia/Saigon" | "Asia/Bangkok" | "Asia/Jakarta" | "ICT" => hours(7),
        "UTC" | "Etc/UTC" | "Z" => hours(0),
        other => parse_offset(other),
    };
    parsed
        .ok_or_else(|| Error::Input(format!("time zone `{text}`: use Asia/Ho_Chi_Minh, UTC or an offset like +07:00")))
}

fn parse_offset(text: &str) -> Option<FixedOffset> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn parses_calendar_periods() {
        let p = Period::parse("2021-12").expect("month");
        assert_eq!((p.from, p.to, p.label()), (d(2021, 12, 1), d(2022, 1, 1), "2021-12".to_string()));
        assert_eq!(p.previous().from, d(2021, 11, 1));
        assert_eq!(p.previous().to, d(2021, 12, 1));
        let q = Period::parse("2021-Q4").expect("quarter");
        assert_eq!((q.from, q.to, q.label()), (d(2021, 10, 1), d(2022, 1, 1), "2021-Q4".to_string()));
        let w = Period::parse("2021-W50").expect("week");
        assert_eq!((w.from, w.to, w.label()), (d(2021, 12, 13), d(2021, 12, 20), "2021-W50".to_string()));
        let y = Period::parse("2021").expect("year");
        assert_eq!((y.from, y.to, y.len_days()), (d(2021, 1, 1), d(2022, 1, 1), 365));
        for bad in ["", "2021-13", "2021-Q5", "21-12", "2021-W60", "abc", "2021-12-01"] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn day_spans_and_their_baseline() {
        let p = Period::days(d(2021, 12, 1), d(2021, 12, 10)).expect("days");
        assert_eq!(p.len_days(), 10);
        assert_eq!(p.previous().from, d(2021, 11, 21));
        assert_eq!(p.each_day().count(), 10);
        assert!(Period::days(d(2021, 12, 10), d(2021, 12, 1)).is_err());
    }

    #[test]
    fn bounds_are_local_midnights() {
        let tz = parse_timezone("Asia/Ho_Chi_Minh").expect("tz");
        let (from, to) = Period::parse("2021-12").expect("month").bounds(tz);
        assert_eq!(from.to_rfc3339(), "2021-11-30T17:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2021-12-31T17:00:00+00:00");
        assert_eq!(parse_timezone("+05:30").expect("tz").local_minus_utc(), 19_800);
        assert_eq!(parse_timezone("UTC").expect("tz").local_minus_utc(), 0);
        assert!(parse_timezone("Mars/Olympus").is_err());
        assert!(parse_timezone("+25:00").is_err());
    }
}
