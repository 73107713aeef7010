//! Timestamps: Unix milliseconds in UTC, with the two textual forms the product shows.

use std::fmt;

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
        TimeTexts::of(self).with_iso(str::to_owned)
    }

    fn to_iso8601_general(self) -> String {
        self.as_datetime()
            .to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    /// The ISO form from the display's digits: a `T`, the milliseconds and `Z`.
    fn iso_digits(self, display: &[u8; 19]) -> [u8; 24] {
        let mut iso = [0u8; 24];
        iso[..19].copy_from_slice(display);
        iso[10] = b'T';
        iso[19] = b'.';
        put_digits(&mut iso[20..23], self.0.rem_euclid(1000) as u32);
        iso[23] = b'Z';
        iso
    }

    /// `YYYY-MM-DD HH:MM:SS` in UTC, as the pages show times.
    pub fn to_display(self) -> String {
        match self.display_digits() {
            Some(display) => ascii(&display),
            None => self.to_display_general(),
        }
    }

    /// `YYYY-MM-DD HH:MM:SS`, each digit written directly (a page of 50 tokens shows
    /// 150 times: through `format!` each cost a few thousand instructions); `None`
    /// for a year outside 0-9999.
    fn display_digits(self) -> Option<[u8; 19]> {
        let t = self.as_datetime();
        let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
        let mut text = *b"0000-00-00 00:00:00";
        put_digits(&mut text[0..4], year);
        put_digits(&mut text[5..7], t.month());
        put_digits(&mut text[8..10], t.day());
        put_digits(&mut text[11..13], t.hour());
        put_digits(&mut text[14..16], t.minute());
        put_digits(&mut text[17..19], t.second());
        Some(text)
    }

    fn to_display_general(self) -> String {
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

/// [`Timestamp::to_iso8601`]'s text, written (or serialized, as the v4 API's times
/// are) without a `String` of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Iso8601(pub Timestamp);

impl Iso8601 {
    /// Hands the text to `write`: from the stack for a four-digit year.
    fn with_text<R>(self, write: impl FnOnce(&str) -> R) -> R {
        TimeTexts::of(self.0).with_iso(write)
    }

    /// Writes the text to `out` (a page, with no formatting machinery between).
    pub fn write_to<W: fmt::Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        self.with_text(|text| out.write_str(text))
    }
}

impl fmt::Display for Iso8601 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

impl serde::Serialize for Iso8601 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.with_text(|text| serializer.serialize_str(text))
    }
}

/// Both texts of a time from one reading of its date, kept for writing each of
/// them later, more than once (a page's time cell writes both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeTexts(Result<[u8; 24], Timestamp>);

impl TimeTexts {
    pub fn of(t: Timestamp) -> Self {
        // Four-digit years only (the ISO form is the display's with a `T`, the
        // milliseconds and `Z`); anything else takes the general path when written.
        TimeTexts(match t.display_digits() {
            Some(display) => Ok(t.iso_digits(&display)),
            None => Err(t),
        })
    }

    /// [`Timestamp::to_display`]'s text.
    pub fn write_display<W: fmt::Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        match &self.0 {
            Ok(iso) => {
                out.write_str(text_of(&iso[..10]))?;
                out.write_str(" ")?;
                out.write_str(text_of(&iso[11..19]))
            }
            Err(t) => out.write_str(&t.to_display_general()),
        }
    }

    /// [`Timestamp::to_iso8601`]'s text.
    pub fn write_iso<W: fmt::Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        self.with_iso(|text| out.write_str(text))
    }

    /// Hands [`Timestamp::to_iso8601`]'s text to `write`.
    fn with_iso<R>(&self, write: impl FnOnce(&str) -> R) -> R {
        match &self.0 {
            Ok(iso) => write(text_of(iso)),
            Err(t) => write(&t.to_iso8601_general()),
        }
    }
}

/// The digits and punctuation `display_digits` and `iso_digits` write, as text.
fn text_of(bytes: &[u8]) -> &str {
    // Only ASCII is ever written into them, so this never takes the empty arm.
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// Writes `value`'s last `out.len()` decimal digits into `out`, zero-padded.
fn put_digits(out: &mut [u8], mut value: u32) {
    for digit in out.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Text made of ASCII digits and punctuation.
fn ascii(bytes: &[u8]) -> String {
    text_of(bytes).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both texts as [`TimeTexts`] writes them.
    fn texts(t: Timestamp) -> (String, String) {
        let texts = TimeTexts::of(t);
        let (mut display, mut iso) = (String::new(), String::new());
        texts.write_display(&mut display).unwrap();
        texts.write_iso(&mut iso).unwrap();
        (display, iso)
    }

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
            assert_eq!(texts(t), (t.to_display(), t.to_iso8601()), "{millis}");
            assert_eq!(Iso8601(t).to_string(), t.to_iso8601(), "{millis}");
            assert_eq!(
                serde_json::to_string(&Iso8601(t)).unwrap(),
                format!("\"{}\"", t.to_iso8601()),
                "{millis}"
            );
        }
    }

    #[test]
    fn the_digits_written_directly_are_those_chrono_writes() {
        let mut millis: i64 = -62_167_219_200_000; // 0000-01-01
                                                   // Every few days over ten thousand years, and past both ends of 0-9999.
        while millis < 253_402_300_800_000 + 86_400_000 {
            let t = Timestamp::from_millis(millis);
            assert_eq!(t.to_display(), t.to_display_general(), "{millis}");
            let (display, iso) = texts(t);
            assert_eq!(display, t.to_display_general(), "{millis}");
            assert_eq!(iso, t.to_iso8601_general(), "{millis}");
            assert_eq!(t.to_iso8601(), t.to_iso8601_general(), "{millis}");
            millis += 3 * 86_400_000 + 3_723_457;
        }
        for millis in [i64::MIN, -62_167_219_200_001, 253_402_300_800_000, i64::MAX] {
            let t = Timestamp::from_millis(millis);
            assert_eq!(t.to_display(), t.to_display_general(), "{millis}");
            assert_eq!(t.to_iso8601(), t.to_iso8601_general(), "{millis}");
            assert_eq!(texts(t), (t.to_display(), t.to_iso8601()), "{millis}");
            assert_eq!(Iso8601(t).to_string(), t.to_iso8601(), "{millis}");
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
