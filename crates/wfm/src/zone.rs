//! Time zones as values: the wall clock of an agent, a queue or the planning zone.
//!
//! An agent's availability ("Monday 09:00–17:00") is on their wall clock, and the same
//! wall-clock time is a different UTC time before and after a daylight-saving change: a
//! fixed offset is an hour off for half the year. So every conversion here takes a
//! [`jiff::tz::TimeZone`] (the tz database's rules for one zone, a plain value) and a
//! civil date, and converts *per date*. A day in a zone is 23, 24 or 25 hours long.
//!
//! Looking a name up in the tz database is the callers' business ([`parse`] is the one
//! place that does it, used by the server and the CLI at their edges and when reading
//! preferences); the scheduling functions only receive zones.
//!
//! A wall-clock time means the first instant the clock reads that time or later: one
//! that does not exist (the hour skipped in spring) is passed the moment the clock
//! jumps, so a window "00:30–02:30" on that night ends at the jump, not an hour later;
//! one that happens twice (the hour repeated in autumn) is its first occurrence.

use jiff::Timestamp;
/// The zone type, re-exported so callers need not depend on `jiff` to name it.
pub use jiff::tz::TimeZone;
use jiff::tz::{AmbiguousOffset, Offset};

use crate::time::{DAY_MIN, Day, Minute, civil_from_days};

/// A time-zone name that is neither in the tz database nor a fixed offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a time zone: use an IANA name such as America/New_York (or UTC±HH:MM)")]
pub struct ZoneError(pub String);

/// Most minutes a fixed offset may be from UTC (UTC−14:00 … UTC+14:00).
pub const MAX_OFFSET_MIN: i32 = 14 * 60;

/// A fixed-offset zone, `offset_min` minutes east of UTC; `None` beyond ±14 hours.
///
/// Preferences saved before zones existed hold only an offset; they read as this zone.
pub fn fixed(offset_min: i32) -> Option<TimeZone> {
    if offset_min.unsigned_abs() > MAX_OFFSET_MIN as u32 {
        return None;
    }
    if offset_min == 0 {
        return Some(TimeZone::UTC);
    }
    Offset::from_seconds(offset_min * 60)
        .ok()
        .map(TimeZone::fixed)
}

/// Looks a zone up: an IANA name in the tz database (any case; `UTC` included), or a
/// fixed offset written `UTC+05:30` / `UTC-05:00` as [`name`] writes it (or with a
/// real minus sign, `UTC−05:00`, as labels saved before zones were written).
pub fn parse(s: &str) -> Result<TimeZone, ZoneError> {
    let t = s.trim();
    let err = || ZoneError(s.to_string());
    if t.is_empty() || t.len() > 64 {
        return Err(err());
    }
    if let Some(rest) = t.strip_prefix("UTC").filter(|r| !r.is_empty()) {
        // The labels saved before zones wrote a real minus sign (U+2212).
        let (sign, hm) = if let Some(hm) = rest.strip_prefix('+') {
            (1, hm)
        } else if let Some(hm) = rest.strip_prefix(['-', '\u{2212}']) {
            (-1, hm)
        } else {
            return Err(err());
        };
        let (h, m) = hm.split_once(':').ok_or_else(err)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(err());
        }
        let (h, m): (i32, i32) = (h.parse().map_err(|_| err())?, m.parse().map_err(|_| err())?);
        if m >= 60 {
            return Err(err());
        }
        return fixed(sign * (h * 60 + m)).ok_or_else(err);
    }
    // Only names shaped like the database's (letters, digits, `/_-+`): no paths.
    if t.starts_with('/')
        || t.contains("..")
        || !t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_-+".contains(&b))
    {
        return Err(err());
    }
    TimeZone::get(t).map_err(|_| err())
}

/// The name a zone is stored and shown by: its IANA name, else `UTC±HH:MM`.
pub fn name(tz: &TimeZone) -> String {
    if let Some(n) = tz.iana_name() {
        return n.to_string();
    }
    let off = tz
        .to_fixed_offset()
        .map(|o| o.seconds() / 60)
        .unwrap_or_default();
    let sign = if off < 0 { '-' } else { '+' };
    let a = off.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", a / 60, a % 60)
}

fn timestamp(utc: Minute) -> Timestamp {
    Timestamp::from_second(utc.saturating_mul(60)).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Minutes east of UTC in force at `utc` (a UTC minute).
pub fn offset_min(tz: &TimeZone, utc: Minute) -> i64 {
    i64::from(tz.to_offset(timestamp(utc)).seconds() / 60)
}

/// The wall-clock minute (minutes since 1970-01-01T00:00 local) at UTC minute `utc`.
pub fn to_local(tz: &TimeZone, utc: Minute) -> Minute {
    utc + offset_min(tz, utc)
}

/// The local civil day (days since 1970-01-01) at UTC minute `utc`.
pub fn local_day(tz: &TimeZone, utc: Minute) -> Day {
    to_local(tz, utc).div_euclid(DAY_MIN)
}

/// The UTC minute of wall-clock time `minute` minutes after local midnight of `day`
/// (`minute` may be 1440: the next midnight). A skipped time is passed at the jump, a
/// repeated one takes its first occurrence.
pub fn to_utc(tz: &TimeZone, day: Day, minute: i64) -> Minute {
    let local = day * DAY_MIN + minute;
    let (y, mo, d) = civil_from_days(local.div_euclid(DAY_MIN));
    let m = local.rem_euclid(DAY_MIN);
    let dt = i16::try_from(y).ok().and_then(|y| {
        jiff::civil::DateTime::new(y, mo as i8, d as i8, (m / 60) as i8, (m % 60) as i8, 0, 0).ok()
    });
    dt.and_then(|dt| {
        let amb = tz.to_ambiguous_timestamp(dt);
        match amb.offset() {
            // The clock jumps over this time: it is passed at the jump.
            AmbiguousOffset::Gap { after, .. } => {
                let before_jump = after.to_timestamp(dt).ok()?;
                tz.following(before_jump).next().map(|t| t.timestamp())
            }
            _ => amb.compatible().ok(),
        }
    })
    .map(|ts| ts.as_second().div_euclid(60))
    // Outside jiff's years (±9999): no rules there, read the wall clock as UTC.
    .unwrap_or(local)
}

/// The zone's abbreviation at UTC minute `utc` (`EST`, `EDT`, `MST`; for zones without
/// one, the offset as `-03`).
pub fn abbreviation(tz: &TimeZone, utc: Minute) -> String {
    tz.to_offset_info(timestamp(utc)).abbreviation().to_string()
}

/// Minutes in local day `day` (1440, or 1380 / 1500 on a daylight-saving change).
pub fn day_len(tz: &TimeZone, day: Day) -> i64 {
    to_utc(tz, day + 1, 0) - to_utc(tz, day, 0)
}

/// Serde for a [`TimeZone`] field: written as its [`name`]; read from a name
/// ([`parse`]) or, for data saved before zones, a number of minutes east of UTC (a
/// fixed-offset zone).
pub mod serde_name {
    use jiff::tz::TimeZone;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    /// Writes the zone's name.
    pub fn serialize<S: Serializer>(tz: &TimeZone, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::name(tz))
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Name(String),
        Offset(i64),
    }

    /// Reads a name or a legacy offset in minutes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TimeZone, D::Error> {
        match Raw::deserialize(d)? {
            Raw::Name(n) => super::parse(&n).map_err(D::Error::custom),
            Raw::Offset(m) => i32::try_from(m)
                .ok()
                .and_then(super::fixed)
                .ok_or_else(|| D::Error::custom("UTC offset out of range (±840 minutes)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::days_from_civil;

    fn ny() -> TimeZone {
        parse("America/New_York").unwrap()
    }

    #[test]
    fn the_same_wall_clock_moves_in_utc_across_the_november_change() {
        let tz = ny();
        // Monday 2026-10-26 09:00 EDT = 13:00 UTC; Monday 2026-11-02 09:00 EST = 14:00 UTC.
        let before = to_utc(&tz, days_from_civil(2026, 10, 26), 9 * 60);
        let after = to_utc(&tz, days_from_civil(2026, 11, 2), 9 * 60);
        assert_eq!(before.rem_euclid(DAY_MIN), 13 * 60);
        assert_eq!(after.rem_euclid(DAY_MIN), 14 * 60);
        assert_eq!(abbreviation(&tz, before), "EDT");
        assert_eq!(abbreviation(&tz, after), "EST");
        // Phoenix keeps MST.
        let phx = parse("America/Phoenix").unwrap();
        let a = to_utc(&phx, days_from_civil(2026, 10, 26), 9 * 60);
        let b = to_utc(&phx, days_from_civil(2026, 11, 2), 9 * 60);
        assert_eq!(a.rem_euclid(DAY_MIN), b.rem_euclid(DAY_MIN));
        assert_eq!(abbreviation(&phx, b), "MST");
    }

    #[test]
    fn change_days_are_23_or_25_hours() {
        let tz = ny();
        assert_eq!(day_len(&tz, days_from_civil(2026, 11, 1)), 25 * 60);
        assert_eq!(day_len(&tz, days_from_civil(2027, 3, 14)), 23 * 60);
        assert_eq!(day_len(&tz, days_from_civil(2027, 3, 15)), 24 * 60);
        let phx = parse("America/Phoenix").unwrap();
        assert_eq!(day_len(&phx, days_from_civil(2026, 11, 1)), 24 * 60);
    }

    #[test]
    fn skipped_times_move_forward_and_repeated_ones_take_the_first() {
        let tz = ny();
        let day = days_from_civil(2027, 3, 14);
        // 02:30 does not exist: passed at the jump, 02:00 EST = 03:00 EDT (07:00 UTC).
        assert_eq!(to_utc(&tz, day, 150) - day * DAY_MIN, 7 * 60);
        assert_eq!(to_utc(&tz, day, 180) - day * DAY_MIN, 7 * 60);
        let day = days_from_civil(2026, 11, 1);
        // 01:30 happens twice: the first, EDT (05:30 UTC).
        assert_eq!(to_utc(&tz, day, 90) - day * DAY_MIN, 5 * 60 + 30);
        assert_eq!(local_day(&tz, to_utc(&tz, day, 90)), day);
    }

    #[test]
    fn names_round_trip_and_bad_ones_are_refused() {
        for n in [
            "America/New_York",
            "America/Phoenix",
            "UTC",
            "UTC+05:30",
            "UTC-03:00",
        ] {
            assert_eq!(name(&parse(n).unwrap()), n);
        }
        assert_eq!(name(&fixed(-300).unwrap()), "UTC-05:00");
        assert_eq!(name(&fixed(0).unwrap()), "UTC");
        assert_eq!(name(&parse("UTC\u{2212}05:00").unwrap()), "UTC-05:00");
        assert!(parse("UTC\u{2212}").is_err() && parse("UTC\u{e9}").is_err());
        assert_eq!(
            parse("america/new_york").map(|t| name(&t)).ok().as_deref(),
            Some("America/New_York")
        );
        for bad in [
            "",
            "Mars/Olympus",
            "EST+5",
            "../../etc/passwd",
            "UTC+15:00",
            "UTC+5",
            "Eastern",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(fixed(841).is_none() && fixed(-841).is_none() && fixed(i32::MIN).is_none());
    }
}
