//! UTC dates for `X-Amz-Date` and HTTP `Date` headers, on the `time` crate the credential
//! providers use (no calendar arithmetic of our own).

use std::time::{SystemTime, UNIX_EPOCH};

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// Seconds since the Unix epoch, now (0 if the clock is before 1970).
pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The UTC date-time of a Unix time; the epoch for one outside years -9999..=9999 (never a
/// clock reading).
fn utc(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `YYYYMMDDTHHMMSSZ` for a Unix time.
pub(crate) fn format_amz_date(unix: i64) -> String {
    let t = utc(unix);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Parses `YYYYMMDDTHHMMSSZ` strictly; `None` for anything else.
pub(crate) fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u16> {
        let part = &b[r];
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        part.iter()
            .try_fold(0u16, |acc, c| Some(acc * 10 + u16::from(c - b'0')))
    };
    let two = |at: usize| num(at..at + 2).map(|n| n as u8);
    let month = Month::try_from(two(4)?).ok()?;
    let date = Date::from_calendar_date(i32::from(num(0..4)?), month, two(6)?).ok()?;
    let time = Time::from_hms(two(9)?, two(11)?, two(13)?).ok()?;
    Some(
        PrimitiveDateTime::new(date, time)
            .assume_utc()
            .unix_timestamp(),
    )
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) for the HTTP `Date` header.
pub(crate) fn http_date(unix: i64) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = utc(unix);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[usize::from(t.weekday().number_days_from_monday())],
        t.day(),
        MONTHS[usize::from(u8::from(t.month()) - 1)],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates_round_trip() {
        // 2025-01-01T00:00:00Z = 1735689600
        assert_eq!(parse_amz_date("20250101T000000Z"), Some(1_735_689_600));
        assert_eq!(format_amz_date(1_735_689_600), "20250101T000000Z");
        assert_eq!(parse_amz_date("20240229T235959Z"), Some(1_709_251_199));
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(1_709_251_199), "Thu, 29 Feb 2024 23:59:59 GMT");
        for t in [
            0i64,
            951_782_400,
            1_709_251_199,
            4_102_444_800,
            1_234_567_890,
        ] {
            assert_eq!(parse_amz_date(&format_amz_date(t)), Some(t));
        }
    }

    #[test]
    fn rejects_malformed_dates() {
        for bad in [
            "",
            "20250101T000000",
            "20250101 000000Z",
            "20251301T000000Z",
            "20230229T000000Z",
            "20250100T000000Z",
            "20250101T240000Z",
            "2025010AT000000Z",
            "+0250101T000000Z",
            "20250101T000000Zx",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }
}
