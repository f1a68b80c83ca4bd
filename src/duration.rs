//! Durations as operators write them: `45`, `30s`, `5m`, `8h`, `1d`, `500ms`.
//!
//! Shared by `ticketctl` and `cas-node`, so that an operator writes a
//! lifetime the same way to both, on the command line and in a config file.

use time::Duration;

/// A whole number of seconds, more than zero: tickets count in seconds.
pub fn parse_lifetime(text: &str) -> Result<Duration, String> {
    match parse_duration(text)? {
        d if d.is_positive() && d.subsec_nanoseconds() == 0 => Ok(d),
        _ => Err(format!(
            "'{text}' is not a positive lifetime in whole seconds"
        )),
    }
}

/// `45`, `30s`, `5m`, `8h`, `1d`, `500ms`: a whole number of seconds,
/// minutes, hours, days or milliseconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("'{text}' is not a duration like 30s, 5m, 8h, 1d or 500ms");
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let value: i64 = digits.parse().map_err(|_| invalid())?;
    if unit == "ms" {
        return Ok(Duration::milliseconds(value));
    }
    let seconds_per_unit = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(invalid()),
    };
    let seconds = value.checked_mul(seconds_per_unit).ok_or_else(invalid)?;
    Ok(Duration::seconds(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("45"), Ok(Duration::seconds(45)));
        assert_eq!(parse_duration("30s"), Ok(Duration::seconds(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::minutes(5)));
        assert_eq!(parse_duration("8h"), Ok(Duration::hours(8)));
        assert_eq!(parse_duration("1d"), Ok(Duration::days(1)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("500ms"), Ok(Duration::milliseconds(500)));
        assert!(parse_lifetime("0s").is_err());
        assert_eq!(parse_lifetime("1s"), Ok(Duration::SECOND));
        assert_eq!(parse_lifetime("2000ms"), Ok(Duration::seconds(2)));
        assert!(parse_lifetime("1500ms").is_err());
        for bad in [
            "",
            "s",
            "-5s",
            "5x",
            "5 m",
            "1.5h",
            "99999999999999999999s",
            "5mm",
            "5msec",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
