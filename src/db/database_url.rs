//! Where the data lives: the `--database` value, parsed into a backend and shown
//! without its password.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Where the data lives: a SQLite file (the default) or a PostgreSQL database.
///
/// Parsed from `--database`: `postgres://...` or `postgresql://...` is PostgreSQL
/// (libpq's URL, so `?sslmode=require` and friends work); `sqlite://PATH` or any
/// other string is the path of a SQLite file.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn is_postgres(&self) -> bool {
        matches!(self, DatabaseUrl::Postgres(_))
    }
}

impl FromStr for DatabaseUrl {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(s.to_owned()))
        } else if let Some(path) = s.strip_prefix("sqlite://") {
            Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
        } else {
            Ok(DatabaseUrl::Sqlite(PathBuf::from(s)))
        }
    }
}

impl From<PathBuf> for DatabaseUrl {
    fn from(path: PathBuf) -> Self {
        DatabaseUrl::Sqlite(path)
    }
}

/// Shows where the data lives without the PostgreSQL password, so it can be logged.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "{}", path.display()),
            DatabaseUrl::Postgres(url) => f.write_str(&redact_password(url)),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let authority_end = url[scheme_end..]
        .find(['/', '?'])
        .map_or(url.len(), |i| scheme_end + i);
    let authority = &url[scheme_end..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &authority[..colon],
            &url[scheme_end + at..]
        ),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_picks_the_backend() {
        assert_eq!(
            "access-tokens.db".parse::<DatabaseUrl>().unwrap(),
            DatabaseUrl::Sqlite("access-tokens.db".into())
        );
        assert_eq!(
            "sqlite:///var/lib/at.db".parse::<DatabaseUrl>().unwrap(),
            DatabaseUrl::Sqlite("/var/lib/at.db".into())
        );
        for url in [
            "postgres://u@localhost/db",
            "postgresql://u@localhost/db?sslmode=require",
            "POSTGRES://u@localhost/db",
        ] {
            assert!(url.parse::<DatabaseUrl>().unwrap().is_postgres(), "{url}");
        }
    }

    #[test]
    fn the_password_never_shows() {
        let url: DatabaseUrl = "postgres://app:s3cret@db.example:5432/tokens?sslmode=require"
            .parse()
            .unwrap();
        let shown = url.to_string();
        assert_eq!(
            shown,
            "postgres://app:***@db.example:5432/tokens?sslmode=require"
        );
        assert!(!format!("{url:?}").contains("s3cret"));
        let no_password: DatabaseUrl = "postgres://app@db/tokens".parse().unwrap();
        assert_eq!(no_password.to_string(), "postgres://app@db/tokens");
    }
}
