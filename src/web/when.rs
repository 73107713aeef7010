//! A time as the pages show it: the seed's `YYYY-MM-DD HH:MM:SS` (UTC) for reading and
//! copying, the machine-readable instant, and a quieter relative hint.

use std::fmt;

use crate::domain::time::TimeTexts;
use crate::domain::Timestamp;

/// A cell's time, or the word that stands for its absence ("Never", "Never Used").
///
/// `Display` writes only the text, so the cell's text stays the seed's value; the
/// relative hint travels in an attribute the stylesheet shows beneath it. Nothing
/// here is a `String`: a page of 50 tokens shows 150 of them, each written three or
/// four times, straight into the page (digits, letters and punctuation that need no
/// escaping), from one reading of the date.
pub struct When {
    at: Option<TimeTexts>,
    never: &'static str,
    relative: Relative,
}

impl When {
    pub fn at(t: Timestamp, now: Timestamp) -> Self {
        When {
            at: Some(TimeTexts::of(t)),
            never: "",
            relative: Relative::between(t, now),
        }
    }

    /// `t`, or `never` when there is no time.
    pub fn or(t: Option<Timestamp>, never: &'static str, now: Timestamp) -> Self {
        match t {
            Some(t) => Self::at(t, now),
            None => When {
                at: None,
                never,
                relative: Relative::None,
            },
        }
    }

    /// The seed's `YYYY-MM-DD HH:MM:SS` (UTC), or the word for no time.
    pub fn text(&self) -> WhenText {
        WhenText(self.at, self.never)
    }

    /// RFC 3339 with `Z`, for `<time datetime>`; none for "Never".
    pub fn iso(&self) -> Option<WhenIso> {
        self.at.map(WhenIso)
    }

    /// "in 3 months", "2 hours ago", "just now"; empty for "Never".
    pub fn relative(&self) -> Relative {
        self.relative
    }
}

impl fmt::Display for When {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.text().fmt(f)
    }
}

/// [`When::text`].
pub struct WhenText(Option<TimeTexts>, &'static str);

impl WhenText {
    fn write_to<W: fmt::Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        match &self.0 {
            Some(t) => t.write_display(out),
            None => out.write_str(self.1),
        }
    }
}

impl fmt::Display for WhenText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

/// [`When::iso`].
pub struct WhenIso(TimeTexts);

impl WhenIso {
    fn write_to<W: fmt::Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        self.0.write_iso(out)
    }
}

impl fmt::Display for WhenIso {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

/// How far a time is from now, in the largest whole unit, as people say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relative {
    /// No time: nothing is written.
    None,
    JustNow,
    Span {
        n: i64,
        unit: &'static str,
        future: bool,
    },
}

impl Relative {
    fn between(t: Timestamp, now: Timestamp) -> Self {
        const MINUTE: i64 = 60;
        const HOUR: i64 = 60 * MINUTE;
        const DAY: i64 = 24 * HOUR;
        let seconds = (t.millis() - now.millis()) / 1000;
        let span = seconds.unsigned_abs() as i64;
        // Rounded, not cut: a 90-day token made a second ago expires "in 3 months".
        let round = |s: i64, unit: i64| (s + unit / 2) / unit;
        let (n, unit) = match span {
            s if s < MINUTE => return Relative::JustNow,
            s if s < HOUR - MINUTE / 2 => (round(s, MINUTE), "minute"),
            s if s < DAY - HOUR / 2 => (round(s, HOUR), "hour"),
            s if s < 30 * DAY - DAY / 2 => (round(s, DAY), "day"),
            s if s < 365 * DAY - 15 * DAY => (round(s, 30 * DAY), "month"),
            s => (round(s, 365 * DAY), "year"),
        };
        Relative::Span {
            n,
            unit,
            future: seconds > 0,
        }
    }
}

impl Relative {
    fn write_to<W: fmt::Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        let (n, unit, future) = match *self {
            Relative::None => return Ok(()),
            Relative::JustNow => return out.write_str("just now"),
            Relative::Span { n, unit, future } => (n, unit, future),
        };
        let plural = if n == 1 { "" } else { "s" };
        let mut digits = itoa::Buffer::new();
        let n = digits.format(n);
        if future {
            out.write_str("in ")?;
        }
        for part in [n, " ", unit, plural] {
            out.write_str(part)?;
        }
        if !future {
            out.write_str(" ago")?;
        }
        Ok(())
    }
}

impl fmt::Display for Relative {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

/// Text a page writes as it is, straight into its buffer: `HtmlSafe` because it
/// holds nothing HTML gives a meaning to, `FastWritable` so that askama writes it
/// without `core::fmt` between (a third of the Access Tokens page's cost was that).
macro_rules! written_as_is {
    ($($ty:ty),*) => {$(
        impl askama::filters::HtmlSafe for $ty {}

        impl askama::FastWritable for $ty {
            fn write_into<W: std::fmt::Write + ?Sized>(
                &self,
                dest: &mut W,
                _: &dyn askama::Values,
            ) -> askama::Result<()> {
                Ok(self.write_to(dest)?)
            }
        }
    )*};
}
pub(super) use written_as_is;

// Digits, the letters of the units and words, spaces, `-`, `:`, `.`, `T` and `Z`.
written_as_is!(WhenText, WhenIso, Relative);

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn from_now(seconds: i64) -> String {
        Relative::between(
            Timestamp::from_millis(NOW).plus_seconds(seconds),
            Timestamp::from_millis(NOW),
        )
        .to_string()
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
        assert_eq!(
            w.iso().map(|t| t.to_string()).as_deref(),
            Some("2019-01-15T12:58:28.000Z")
        );
        assert_eq!(w.text().to_string(), "2019-01-15 12:58:28");
        assert_eq!(w.relative().to_string(), "8 years ago");
        let never = When::or(None, "Never Used", now);
        assert_eq!(never.to_string(), "Never Used");
        assert_eq!(never.text().to_string(), "Never Used");
        assert!(never.iso().is_none() && never.relative().to_string().is_empty());
    }
}
