//! RFC 3339 timestamps (STS `Expiration`, `credential_process`, container/IMDS responses, the SSO
//! token cache), parsed and formatted by the `time` crate (already in the tree through
//! aws-sigv4 and aws-smithy-types; we enable only `parsing` and `formatting`).

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A timestamp that is not an RFC 3339 date-time (the reason, never the input, which may be any
/// length).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidTimestamp(Cow<'static, str>);

impl fmt::Display for InvalidTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not an RFC 3339 time: {}", self.0)
    }
}

impl std::error::Error for InvalidTimestamp {}

impl From<time::error::Parse> for InvalidTimestamp {
    fn from(e: time::error::Parse) -> Self {
        InvalidTimestamp(Cow::Owned(e.to_string()))
    }
}

/// Parse `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]` with `time`'s RFC 3339 parser (`T`/`t`, `Z`/`z`,
/// any number of fractional digits, leap second `:60`).
///
/// Kept by hand, in [`aws_form`]: the three forms AWS tools emit that strict RFC 3339 rejects
/// but botocore (dateutil) reads, so a host that works with the AWS CLI works with us. The
/// separator is checked here, because `time` takes any byte there.
pub(crate) fn parse_rfc3339(s: &str) -> Result<SystemTime, InvalidTimestamp> {
    let s = aws_form(s.trim())?;
    Ok(OffsetDateTime::parse(&s, &Rfc3339)?.into())
}

/// Rewrites what botocore accepts and RFC 3339 does not into RFC 3339, touching nothing else:
/// a space separator (`2019-11-09 13:34:41`, Python's `str(datetime)`) becomes `T`; a missing
/// offset means UTC (botocore's assumption) and gets `Z`; a basic-format offset `±HHMM` gets
/// its colon. Everything else goes to `time` unchanged and stands or falls there.
fn aws_form(s: &str) -> Result<Cow<'_, str>, InvalidTimestamp> {
    let b = s.as_bytes();
    match b.get(10) {
        Some(b'T' | b't') => {}
        Some(b' ') => {}
        Some(_) => {
            return Err(InvalidTimestamp(Cow::Borrowed(
                "the date and time are not separated by `T` or a space",
            )))
        }
        None => return Err(InvalidTimestamp(Cow::Borrowed("too short"))),
    }
    // Where the offset starts: after `HH:MM:SS` (byte 19) and any `.fraction`.
    let mut end = 19.min(b.len());
    if b.get(end) == Some(&b'.') {
        end += 1;
        end += b[end..].iter().take_while(|c| c.is_ascii_digit()).count();
    }
    let offset = &b[end..];
    let basic_offset = matches!(offset, [b'+' | b'-', h1, h2, m1, m2]
        if [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()));
    if b[10] == b'T' && !offset.is_empty() && !basic_offset {
        return Ok(Cow::Borrowed(s));
    }
    // Every byte before `end` is ASCII or `time` rejects it anyway; build the string bytewise so
    // no slicing can land inside a multi-byte character.
    let mut out = Vec::with_capacity(b.len() + 1);
    out.extend_from_slice(&b[..end]);
    if out[10] == b' ' {
        out[10] = b'T';
    }
    if offset.is_empty() {
        out.push(b'Z');
    } else if basic_offset {
        out.extend_from_slice(&offset[..3]);
        out.push(b':');
        out.extend_from_slice(&offset[3..]);
    } else {
        out.extend_from_slice(offset);
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| InvalidTimestamp(Cow::Borrowed("not ASCII")))
}

/// Format as `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds). A time RFC 3339 cannot write (a year
/// outside 0000..=9999) is written as seconds since the epoch, `@<secs>`, as `date` reads it:
/// this is only ever shown in messages and the emulator's responses.
pub(crate) fn format_rfc3339(t: SystemTime) -> String {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            -i64::try_from(d.as_secs()).unwrap_or(i64::MAX) - i64::from(d.subsec_nanos() > 0)
        }
    };
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("@{secs}"))
}

/// Milliseconds since the epoch (SSO `expiration`) to a time.
pub(crate) fn from_epoch_millis(ms: i64) -> Option<SystemTime> {
    if ms >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_millis(ms as u64))
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_millis(ms.unsigned_abs()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> i64 {
        let t = parse_rfc3339(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            Err(e) => -(e.duration().as_secs() as i64),
        }
    }

    fn nanos(s: &str) -> u32 {
        parse_rfc3339(s)
            .unwrap()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    }

    #[test]
    fn known_instants() {
        assert_eq!(secs("1970-01-01T00:00:00Z"), 0);
        assert_eq!(secs("2011-07-15T23:28:33.359Z"), 1_310_772_513);
        assert_eq!(secs("2019-11-09T13:34:41Z"), 1_573_306_481);
        assert_eq!(secs("2019-11-09T15:34:41+02:00"), 1_573_306_481);
        assert_eq!(secs("2019-11-09T12:04:41-0130"), 1_573_306_481);
        assert_eq!(secs("2019-11-09 13:34:41"), 1_573_306_481);
        assert_eq!(secs("2000-02-29T00:00:00z"), 951_782_400);
        assert_eq!(secs("1969-12-31T23:59:59Z"), -1);
        let t = parse_rfc3339("2011-07-15T23:28:33.359Z").unwrap();
        assert_eq!(t.duration_since(UNIX_EPOCH).unwrap().subsec_millis(), 359);
    }

    /// The forms AWS services and tools emit: STS and IMDS (`Z`, whole seconds), the SSO cache
    /// (`Z`, sometimes `UTC` written by older tools as `+00:00`), container endpoints and
    /// `credential_process` programs (fractional seconds of any length, lower case, offsets).
    #[test]
    fn aws_edge_forms() {
        let t0 = 1_573_306_481;
        for s in [
            "2019-11-09T13:34:41Z",
            "2019-11-09T13:34:41+00:00",
            "2019-11-09T13:34:41-00:00",
            "2019-11-09T13:34:41z",
            "2019-11-09t13:34:41z",
            "2019-11-09T13:34:41+0000",
            "2019-11-09T13:34:41",
            "2019-11-09 13:34:41Z",
            "2019-11-09 13:34:41+00:00",
            " 2019-11-09T13:34:41Z\n",
            "2019-11-09T13:34:41.000Z",
            "2019-11-09T13:34:41.5",
        ] {
            assert_eq!(secs(s), t0, "{s}");
        }
        assert_eq!(nanos("2019-11-09T13:34:41.5Z"), 500_000_000);
        assert_eq!(nanos("2019-11-09T13:34:41.123456Z"), 123_456_000);
        assert_eq!(nanos("2019-11-09T13:34:41.123456789+00:00"), 123_456_789);
        assert_eq!(nanos("2019-11-09T13:34:41.1234567891Z"), 123_456_789);
        assert_eq!(nanos("2019-11-09T13:34:41.25+0000"), 250_000_000);
        assert_eq!(
            secs("2019-11-09T23:59:59.999-23:59"),
            1_573_343_999 + 86_340
        );
        // A leap second is read as the last instant of its minute.
        assert_eq!(secs("2016-12-31T23:59:60Z"), 1_483_228_799);
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "",
            "2019-11-09",
            "2019-11-09T13:34",
            "2019-13-09T13:34:41Z",
            "2019-02-29T13:34:41Z",
            "2019-11-09T24:00:00Z",
            "2019-11-09T13:34:41.Z",
            "2019-11-09T13:34:41+2",
            "2019-11-09T13:34:41Zjunk",
            "20x9-11-09T13:34:41Z",
            "2019-11-09X13:34:41Z",
            "+019-11-09T13:34:41Z",
            "2019-11-09T13:34:41+24:00",
            "2019-11-09T13:34:41 Z",
            "2019-11-09T13:34:41UTC",
            "2019-11-09T13:34:41.5.5Z",
            "2019-11-09T13:34:61Z",
            "2019-11-09T13:34:41+00:00:00",
            "2019-11-09é13:34:41Z",
            "2019-11-09T13:34:4é",
            "2019-11-09T13:34:41é",
            "1573306481",
        ] {
            let e = parse_rfc3339(s).expect_err(s);
            assert!(
                e.to_string().starts_with("not an RFC 3339 time: "),
                "{s}: {e}"
            );
        }
        assert_eq!(
            parse_rfc3339("2019-11-09T25:34:41Z")
                .unwrap_err()
                .to_string(),
            "not an RFC 3339 time: hour was not in range"
        );
    }

    #[test]
    fn format_round_trips() {
        for s in [
            "1970-01-01T00:00:00Z",
            "2000-02-29T12:00:59Z",
            "2038-01-19T03:14:08Z",
            "2099-12-31T23:59:59Z",
            "1969-07-20T20:17:40Z",
        ] {
            assert_eq!(format_rfc3339(parse_rfc3339(s).unwrap()), s);
        }
        assert_eq!(
            from_epoch_millis(1_573_306_481_000),
            parse_rfc3339("2019-11-09T13:34:41Z").ok()
        );
        // Whole seconds, rounded down, also before the epoch.
        let t = parse_rfc3339("1969-12-31T23:59:59.5Z").unwrap();
        assert_eq!(format_rfc3339(t), "1969-12-31T23:59:59Z");
        let t = parse_rfc3339("2019-11-09T13:34:41.999Z").unwrap();
        assert_eq!(format_rfc3339(t), "2019-11-09T13:34:41Z");
        // Beyond year 9999 (an expiry "never" written as a huge time) is not a panic.
        let far = UNIX_EPOCH + Duration::from_secs(400_000_000_000);
        assert_eq!(format_rfc3339(far), "@400000000000");
    }
}
