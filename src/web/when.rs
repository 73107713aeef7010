//! A time as the pages show it: the seed's `YYYY-MM-DD HH:MM:SS` (UTC) for reading and
//! copying, the machine-readable instant, and a quieter relative hint.

use std::fmt;

use crate::domain::Timestamp;

/// A cell's time, or the word that stands for its absence ("Never", "Never Used").
///
/// `Display` writes only the text, so the cell's text stays the seed's value; the
/// relative hint travels in an attribute the stylesheet shows beneath it.
pub struct When {
    pub text: String,
    /// RFC 3339 with `Z`, for `<time datetime>`; none for "Never".
    pub iso: Option<String>,
    /// "in 3 months", "2 hours ago", "just now"; empty for "Never".
    pub relative: String,
}

impl When {
    pub fn at(t: Timestamp, now: Timestamp) -> Self {
        let (text, iso) = t.to_display_and_iso8601();
        When {
            text,
            iso: Some(iso),
            relative: relative(t, now),
        }
    }

    /// `t`, or `never` when there is no time.
    pub fn or(t: Option<Timestamp>, never: &str, now: Timestamp) -> Self {
        match t {
            Some(t) => Self::at(t, now),
            None => When {
                text: never.to_owned(),
                iso: None,
                relative: String::new(),
            },
        }
    }
}

impl fmt::Display for When {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// How far `t` is from `now`, in the largest whole unit, as people say it.
pub fn relative(t: Timestamp, now: Timestamp) -> String {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    let seconds = (t.millis() - now.millis()) / 1000;
    let span = seconds.unsigned_abs() as i64;
    // Rounded, not cut: a 90-day token made a second ago expires "in 3 months".
    let round = |s: i64, unit: i64| (s + unit / 2) / unit;
    let (n, unit) = match span {
        s if s < MINUTE => return "just now".to_owned(),
        s if s < HOUR - MINUTE / 2 => (round(s, MINUTE), "minute"),
        s if s < DAY - HOUR / 2 => (round(s, HOUR), "hour"),
        s if s < 30 * DAY - DAY / 2 => (round(s, DAY), "day"),
        s if s < 365 * DAY - 15 * DAY => (round(s, 30 * DAY), "month"),
        s => (round(s, 365 * DAY), "year"),
    };
    let plural = if n == 1 { "" } else { "s" };
    if seconds > 0 {
        format!("in {n} {unit}{plural}")
    } else {
        format!("{n} {unit}{plural} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn from_now(seconds: i64) -> String {
        relative(
            Timestamp::from_millis(NOW).plus_seconds(seconds),
            Timestamp::from_millis(NOW),
        )
    }

    #[test]
    fn says_the_largest_whole_unit_in_either_direction() {
        assert_eq!(from_now(0), "just now");
        assert_eq!(from_now(-59), "just now");
        assert_eq!(from_now(-60), "1 minute ago");
        assert_eq!(from_now(-2 * 3600 - 5), "2 hours ago");
        assert_eq!(from_now(86_400), "in 1 day");
        assert_eq!(from_now(90 * 86_400), "in 3 months");
        assert_eq!(from_now(90 * 86_400 - 1), "in 3 months");
        assert_eq!(from_now(3 * 86_400 - 1), "in 3 days");
        assert_eq!(from_now(-(59 * 60 + 50)), "1 hour ago");
        assert_eq!(from_now(365 * 86_400), "in 1 year");
        assert_eq!(from_now(-800 * 86_400), "2 years ago");
    }

    #[test]
    fn the_text_is_the_seeds_format_and_never_has_no_instant() {
        let now = Timestamp::from_millis(NOW);
        let w = When::at(Timestamp::from_millis(1_547_557_108_000), now);
        assert_eq!(w.to_string(), "2019-01-15 12:58:28");
        assert_eq!(w.iso.as_deref(), Some("2019-01-15T12:58:28.000Z"));
        let never = When::or(None, "Never Used", now);
        assert_eq!(never.to_string(), "Never Used");
        assert!(never.iso.is_none() && never.relative.is_empty());
    }
}
