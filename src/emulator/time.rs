//! UTC calendar arithmetic for `X-Amz-Date` and HTTP `Date` headers (no external time crate).

use std::time::{SystemTime, UNIX_EPOCH};

// The calendar arithmetic is shared with the credential providers' RFC 3339 code.
pub(crate) use crate::credentials::time::{civil_from_days, days_from_civil, days_in_month};

/// Seconds since the Unix epoch, now (0 if the clock is before 1970).
pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `YYYYMMDDTHHMMSSZ` for a Unix time.
pub(crate) fn format_amz_date(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Parses `YYYYMMDDTHHMMSSZ` strictly; `None` for anything else.
pub(crate) fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &b[r];
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        part.iter()
            .try_fold(0u32, |acc, c| Some(acc * 10 + u32::from(c - b'0')))
    };
    let (y, mo, d) = (i64::from(num(0..4)?), num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 60
    {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + i64::from(h * 3600 + mi * 60 + se))
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) for the HTTP `Date` header.
pub(crate) fn http_date(unix: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
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
