//! Wall-clock arithmetic without a clock: local timestamps as minutes since
//! 1970-01-01T00:00 (no time zone), civil dates, weekdays, ISO 8601 parsing.

use std::fmt;

/// Minutes since 1970-01-01T00:00 on some local wall clock.
pub type Minute = i64;
/// Days since 1970-01-01.
pub type Day = i64;

/// Minutes in a day.
pub const DAY_MIN: i64 = 1440;

/// A timestamp or date that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an ISO 8601 local date-time (YYYY-MM-DDTHH:MM[:SS]): {0:?}")]
pub struct TimeError(pub String);

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> Day {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a day number.
pub fn civil_from_days(z: Day) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Weekday of a day number: 0 = Monday … 6 = Sunday.
pub fn weekday(day: Day) -> usize {
    // 1970-01-01 was a Thursday.
    (day + 3).rem_euclid(7) as usize
}

/// Short English weekday names, Monday first.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Parses a weekday name (`mon`, `Monday`, …) to 0–6.
pub fn parse_weekday(s: &str) -> Option<usize> {
    let s = s.trim().to_ascii_lowercase();
    WEEKDAYS.iter().position(|w| s.starts_with(w))
}

fn num(s: &str, what: &str) -> Result<u32, TimeError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TimeError(what.to_string()));
    }
    s.parse().map_err(|_| TimeError(what.to_string()))
}

/// Parses `YYYY-MM-DD` to a day number.
pub fn parse_date(s: &str) -> Result<Day, TimeError> {
    let err = || TimeError(s.to_string());
    let s = s.trim();
    let mut parts = s.splitn(3, '-');
    let (y, m, d) = (
        parts.next().ok_or_else(err)?,
        parts.next().ok_or_else(err)?,
        parts.next().ok_or_else(err)?,
    );
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(err());
    }
    let (y, m, d) = (num(y, s)?, num(m, s)?, num(d, s)?);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(i64::from(y), m) {
        return Err(err());
    }
    Ok(days_from_civil(i64::from(y), m, d))
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses an ISO 8601 local date-time: `YYYY-MM-DDTHH:MM[:SS[.fff]]` (a space may
/// replace the `T`; a date alone means midnight). A trailing `Z` or UTC offset is
/// accepted and ignored: the wall-clock reading is what counts. Seconds are truncated.
pub fn parse_datetime(s: &str) -> Result<Minute, TimeError> {
    let t = s.trim();
    let err = || TimeError(s.to_string());
    if t.len() == 10 {
        return Ok(parse_date(t)? * DAY_MIN);
    }
    if t.len() < 16 || !t.is_char_boundary(10) {
        return Err(err());
    }
    let (date, rest) = t.split_at(10);
    let day = parse_date(date)?;
    let rest = rest.strip_prefix(['T', 't', ' ']).ok_or_else(err)?;
    // Drop a zone designator.
    let time = match rest.find(['Z', 'z', '+', '-']) {
        Some(i) => &rest[..i],
        None => rest,
    };
    let mut parts = time.split(':');
    let h = num(parts.next().ok_or_else(err)?, s)?;
    let m = num(parts.next().ok_or_else(err)?, s)?;
    if let Some(sec) = parts.next() {
        let whole = sec.split(['.', ',']).next().unwrap_or("");
        if num(whole, s)? > 60 {
            return Err(err());
        }
    }
    if parts.next().is_some() || h > 24 || m > 59 || (h == 24 && m != 0) {
        return Err(err());
    }
    Ok(day * DAY_MIN + i64::from(h) * 60 + i64::from(m))
}

/// Displays a [`Minute`] as `YYYY-MM-DDTHH:MM:00`.
pub struct DateTime(pub Minute);

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let day = self.0.div_euclid(DAY_MIN);
        let min = self.0.rem_euclid(DAY_MIN);
        let (y, m, d) = civil_from_days(day);
        write!(f, "{y:04}-{m:02}-{d:02}T{:02}:{:02}:00", min / 60, min % 60)
    }
}

/// Displays a [`Day`] as `YYYY-MM-DD`.
pub struct Date(pub Day);

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = civil_from_days(self.0);
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for z in [-800_000i64, -1, 0, 1, 10_957, 20_000, 2_000_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_from_civil(2000, 1, 1), 10_957);
        assert_eq!(weekday(days_from_civil(2026, 12, 1)), 1); // a Tuesday
    }

    #[test]
    fn parses_iso() {
        let m = parse_datetime("2026-12-01T08:30").unwrap();
        assert_eq!(DateTime(m).to_string(), "2026-12-01T08:30:00");
        assert_eq!(parse_datetime("2026-12-01 08:30:59").unwrap(), m);
        assert_eq!(parse_datetime("2026-12-01T08:30:00+01:00").unwrap(), m);
        assert_eq!(parse_datetime("2026-12-01T08:30:00Z").unwrap(), m);
        assert!(parse_datetime("2026-13-01T08:30").is_err());
        assert!(parse_datetime("2026-02-30T08:30").is_err());
        assert!(parse_datetime("yesterday").is_err());
        assert!(parse_datetime("2026-12-01T25:00").is_err());
        assert_eq!(
            parse_date("2024-02-29").unwrap(),
            days_from_civil(2024, 2, 29)
        );
    }
}
