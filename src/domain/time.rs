//! Timestamps: Unix milliseconds in UTC, with the two textual forms the product shows.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};

/// A point in time, in whole milliseconds since the Unix epoch (UTC).
///
/// Milliseconds because the v4 API shows them (`2019-01-16T00:06:41.743Z`) and an
/// integer column stores them exactly on every database backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The current time, truncated to the millisecond.
    pub fn now() -> Self {
        Self(Utc::now().timestamp_millis())
    }

    pub fn from_millis(millis: i64) -> Self {
        Self(millis)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    /// This time plus `seconds`, saturating instead of overflowing.
    pub fn plus_seconds(self, seconds: i64) -> Self {
        Self(self.0.saturating_add(seconds.saturating_mul(1000)))
    }

    fn as_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// ISO 8601 in UTC with milliseconds and `Z`, as the v4 API writes times.
    pub fn to_iso8601(self) -> String {
        self.as_datetime()
            .to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    /// [`Self::to_display`] and [`Self::to_iso8601`] from one reading of the date,
    /// as a page shows each time: both, 150 times for 50 tokens.
    pub fn to_display_and_iso8601(self) -> (String, String) {
        let text = self.to_display();
        // Four-digit years only: the ISO form is the display's with a `T`, the
        // milliseconds and `Z`. Anything else takes the general path.
        if text.len() != 19 || !text.is_ascii() {
            return (text, self.to_iso8601());
        }
        let iso = format!(
            "{}T{}.{:03}Z",
            &text[..10],
            &text[11..],
            self.0.rem_euclid(1000)
        );
        (text, iso)
    }

    /// `YYYY-MM-DD HH:MM:SS` in UTC, as the pages show times.
    pub fn to_display(self) -> String {
        // The fields written directly: a page of 50 tokens shows 150 times, and
        // `format("%Y-...")` parses its pattern anew for each.
        let t = self.as_datetime();
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_v4_api_and_the_pages() {
        let t = Timestamp::from_millis(1_547_597_201_743);
        assert_eq!(t.to_iso8601(), "2019-01-16T00:06:41.743Z");
        assert_eq!(t.to_display(), "2019-01-16 00:06:41");
        let t = Timestamp::from_millis(-1_000);
        assert_eq!(t.to_display(), "1969-12-31 23:59:59");
        assert_eq!(
            Timestamp::from_millis(0).to_display(),
            "1970-01-01 00:00:00"
        );
        for millis in [
            0,
            1,
            999,
            -1,
            -1_001,
            1_547_597_201_743,
            253_402_300_799_999,
        ] {
            let t = Timestamp::from_millis(millis);
            assert_eq!(
                t.to_display_and_iso8601(),
                (t.to_display(), t.to_iso8601()),
                "{millis}"
            );
        }
    }

    #[test]
    fn whole_seconds_still_show_milliseconds() {
        assert_eq!(
            Timestamp::from_millis(0).to_iso8601(),
            "1970-01-01T00:00:00.000Z"
        );
    }

    #[test]
    fn adding_seconds_keeps_the_milliseconds() {
        let created = Timestamp::from_millis(1_547_597_101_743);
        assert_eq!(
            created.plus_seconds(100).to_iso8601(),
            "2019-01-16T00:06:41.743Z"
        );
    }
}
