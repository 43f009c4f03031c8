//! Shifts as iCalendar (RFC 5545), in the agent's own zone.
//!
//! Times are written on the agent's wall clock with `TZID=` and the zone's rules in a
//! `VTIMEZONE` (its transitions over the shifts' span, written out one by one, no
//! recurrence rules), which is what Google Calendar, Apple Calendar and Outlook import:
//! the event says "09:00" where the agent lives, and a calendar in another zone still
//! converts it right across a daylight-saving change. A zone without an IANA name (a
//! fixed offset kept from before zones) and UTC are written in UTC (`…Z`), as is a
//! time in the repeated hour of an autumn change, which a local reading could not name.
//!
//! Pure: the caller passes the shifts, the zone and the time of writing.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use wfm::zone;

/// One shift to write: UTC minutes, and its breaks as `(kind, from, to)`.
pub struct CalShift {
    pub uid: String,
    pub from: i64,
    pub to: i64,
    pub paid_hours: f64,
    pub breaks: Vec<(&'static str, i64, i64)>,
}

fn ts(m: i64) -> Timestamp {
    Timestamp::from_second(m * 60).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn civil(local: i64) -> String {
    let day = local.div_euclid(1440);
    let min = local.rem_euclid(1440);
    let (y, mo, d) = wfm::time::civil_from_days(day);
    format!("{y:04}{mo:02}{d:02}T{:02}{:02}00", min / 60, min % 60)
}

fn utc_stamp(m: i64) -> String {
    civil(m) + "Z"
}

fn offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs() / 60;
    format!("{sign}{:02}{:02}", a / 60, a % 60)
}

/// Whether times in `tz` are written with `TZID`: a named zone other than UTC.
fn zoned(tz: &TimeZone) -> Option<&str> {
    tz.iana_name().filter(|n| !n.eq_ignore_ascii_case("UTC"))
}

/// `NAME;TZID=zone:local` or `NAME:utcZ` for UTC minute `m`.
fn time_prop(name: &str, tz: &TimeZone, m: i64) -> String {
    match zoned(tz) {
        // A local reading names one instant only outside the repeated hour.
        Some(id)
            if {
                let local = zone::to_local(tz, m);
                zone::to_utc(tz, local.div_euclid(1440), local.rem_euclid(1440)) == m
            } =>
        {
            format!("{name};TZID={id}:{}", civil(zone::to_local(tz, m)))
        }
        _ => format!("{name}:{}", utc_stamp(m)),
    }
}

/// The `VTIMEZONE` of `tz` over UTC minutes `[from, to]`: the offset in force at
/// `from` and every transition up to `to`.
pub fn vtimezone(tz: &TimeZone, from: i64, to: i64) -> Vec<String> {
    let Some(id) = zoned(tz) else {
        return Vec::new();
    };
    let mut lines = vec!["BEGIN:VTIMEZONE".to_string(), format!("TZID:{id}")];
    let mut component = |at: Timestamp| {
        let before = tz.to_offset(Timestamp::from_second(at.as_second() - 1).unwrap_or(at));
        let info = tz.to_offset_info(at);
        let kind = if info.dst().is_dst() {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        let local_before = at.as_second().div_euclid(60) + i64::from(before.seconds() / 60);
        lines.extend([
            format!("BEGIN:{kind}"),
            format!("DTSTART:{}", civil(local_before)),
            format!("TZOFFSETFROM:{}", offset(before.seconds())),
            format!("TZOFFSETTO:{}", offset(info.offset().seconds())),
            format!("TZNAME:{}", info.abbreviation()),
            format!("END:{kind}"),
        ]);
    };
    // The transition that set the offset in force at `from` (or the epoch, for a zone
    // that has none), then those in the span.
    let first = tz
        .preceding(ts(from + 1))
        .next()
        .map(|t| t.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH);
    component(first);
    for t in tz.following(first) {
        if t.timestamp() > ts(to) {
            break;
        }
        component(t.timestamp());
    }
    lines.push("END:VTIMEZONE".into());
    lines
}

/// The calendar: shifts as events in `tz`, stamped `now` (UTC minutes).
pub fn calendar(shifts: &[CalShift], tz: &TimeZone, now: i64) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//Homeshore//Shifts//EN".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        "X-WR-CALNAME:My shifts".into(),
    ];
    if let Some(id) = zoned(tz) {
        lines.push(format!("X-WR-TIMEZONE:{id}"));
    }
    if let (Some(from), Some(to)) = (
        shifts.iter().map(|s| s.from).min(),
        shifts.iter().map(|s| s.to).max(),
    ) {
        lines.extend(vtimezone(tz, from, to));
    }
    let hhmm = |m: i64| {
        let l = zone::to_local(tz, m).rem_euclid(1440);
        format!("{:02}:{:02}", l / 60, l % 60)
    };
    for sh in shifts {
        let breaks: Vec<String> = sh
            .breaks
            .iter()
            .map(|&(kind, from, to)| {
                format!(
                    "{kind} {}–{} {}",
                    hhmm(from),
                    hhmm(to),
                    zone::abbreviation(tz, from)
                )
            })
            .collect();
        lines.extend([
            "BEGIN:VEVENT".to_string(),
            format!("UID:{}", sh.uid),
            format!("DTSTAMP:{}", utc_stamp(now)),
            time_prop("DTSTART", tz, sh.from),
            time_prop("DTEND", tz, sh.to),
            format!("SUMMARY:Shift ({} h paid)", sh.paid_hours),
            format!(
                "DESCRIPTION:{}",
                ics_text(&if breaks.is_empty() {
                    "No breaks".to_string()
                } else {
                    breaks.join(", ")
                })
            ),
            "END:VEVENT".into(),
        ]);
    }
    lines.push("END:VCALENDAR".into());
    lines.iter().map(|l| ics_fold(l) + "\r\n").collect()
}

/// iCalendar TEXT: backslash, semicolon, comma and newline escaped (RFC 5545 3.3.11).
fn ics_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

/// A content line folded at 75 octets, never inside a character (RFC 5545 3.1).
fn ics_fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use wfm::time::{DAY_MIN, days_from_civil};

    fn at(y: i64, m: u32, d: u32, h: i64) -> i64 {
        days_from_civil(y, m, d) * DAY_MIN + h * 60
    }

    fn shift(from: i64, hours: i64) -> CalShift {
        CalShift {
            uid: format!("{from}@homeshore"),
            from,
            to: from + hours * 60,
            paid_hours: hours as f64,
            breaks: vec![("break", from + 120, from + 135)],
        }
    }

    #[test]
    fn calendar_text_is_escaped_and_folded() {
        assert_eq!(
            ics_text("lunch, then; a\\b\nc"),
            "lunch\\, then\\; a\\\\b\\nc"
        );
        let long = format!("DESCRIPTION:{}", "é".repeat(60));
        let folded = ics_fold(&long);
        for line in folded.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        // Unfolding (drop CRLF + one space) gives the line back.
        assert_eq!(folded.replace("\r\n ", ""), long);
        assert_eq!(ics_fold("SHORT:1"), "SHORT:1");
    }

    #[test]
    fn shifts_across_the_november_change_keep_their_wall_clock() {
        let ny = zone::parse("America/New_York").unwrap();
        // 09:00 EDT on Friday 30 October (13:00 UTC), 09:00 EST on Monday 2 November (14:00 UTC).
        let ics = calendar(
            &[
                shift(at(2026, 10, 30, 13), 4),
                shift(at(2026, 11, 2, 14), 4),
            ],
            &ny,
            at(2026, 10, 1, 0),
        );
        assert!(
            ics.contains("DTSTART;TZID=America/New_York:20261030T090000\r\n"),
            "{ics}"
        );
        assert!(
            ics.contains("DTSTART;TZID=America/New_York:20261102T090000\r\n"),
            "{ics}"
        );
        assert!(ics.contains("DTEND;TZID=America/New_York:20261102T130000\r\n"));
        assert!(ics.contains("break 11:00–11:15 EST"));
        assert!(ics.contains("break 11:00–11:15 EDT"));
        // The zone's rules: EDT in force since March, EST from 2 November 02:00 EDT.
        let tz: Vec<&str> = ics
            .split("\r\n")
            .skip_while(|l| *l != "BEGIN:VTIMEZONE")
            .take_while(|l| *l != "END:VTIMEZONE")
            .collect();
        assert_eq!(
            tz,
            [
                "BEGIN:VTIMEZONE",
                "TZID:America/New_York",
                "BEGIN:DAYLIGHT",
                "DTSTART:20260308T020000",
                "TZOFFSETFROM:-0500",
                "TZOFFSETTO:-0400",
                "TZNAME:EDT",
                "END:DAYLIGHT",
                "BEGIN:STANDARD",
                "DTSTART:20261101T020000",
                "TZOFFSETFROM:-0400",
                "TZOFFSETTO:-0500",
                "TZNAME:EST",
                "END:STANDARD",
            ]
        );
        // Every line within 75 octets, CRLF-terminated.
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(ics.split("\r\n").all(|l| l.len() <= 75));
    }

    #[test]
    fn phoenix_has_one_offset_and_fixed_offsets_are_written_in_utc() {
        let phx = zone::parse("America/Phoenix").unwrap();
        let ics = calendar(&[shift(at(2026, 11, 2, 16), 4)], &phx, 0);
        assert!(ics.contains("DTSTART;TZID=America/Phoenix:20261102T090000\r\n"));
        assert!(ics.contains("TZOFFSETTO:-0700\r\nTZNAME:MST"));
        assert!(!ics.contains("DAYLIGHT"));
        let fixed = zone::fixed(-300).unwrap();
        let ics = calendar(&[shift(at(2026, 11, 2, 14), 4)], &fixed, 0);
        assert!(ics.contains("DTSTART:20261102T140000Z\r\n"));
        assert!(!ics.contains("VTIMEZONE"));
    }

    #[test]
    fn a_shift_in_the_repeated_hour_is_written_in_utc() {
        let ny = zone::parse("America/New_York").unwrap();
        // 06:00 UTC on 1 November is the second 01:00 (EST).
        let ics = calendar(&[shift(at(2026, 11, 1, 6), 2)], &ny, 0);
        assert!(ics.contains("DTSTART:20261101T060000Z\r\n"), "{ics}");
        // Its end, 03:00 EST, has one reading.
        assert!(ics.contains("DTEND;TZID=America/New_York:20261101T030000\r\n"));
    }
}
