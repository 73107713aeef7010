//! Reading the audit log, for the pages, their CSV exports, `/v4/auditEvents` and
//! `/v4/instanceAuditEvents`: the filters (parsed once, here), which events each
//! kind of admin sees, and the CSV rendering.
//!
//! A workspace admin sees the events of their current workspace, nothing else.
//! Events of no workspace (changes to accounts, a refused token that is garbage or
//! unknown, so cannot be attributed) are the instance's: only instance admins see
//! them, in the instance audit view, so no workspace's admins learn of another
//! tenant's traffic or accounts.

use chrono::{DateTime, NaiveDate, Utc};

use crate::auth::authority::{ActingAdmin, InstanceAdminProof};
use crate::db::{self, DbError, DbPool};
use crate::domain::lifetime::readable_detail;
use crate::domain::Timestamp;
use crate::models::audit::{self, AuditScope};

/// An event as stored, its action, and the filters of a listing: the handlers name
/// them from here.
pub use crate::models::audit::{Action, AuditFilter, AuditRow};

/// The most rows one CSV export holds; narrow the filters for more.
pub const MAX_EXPORT_ROWS: i64 = 100_000;
/// The most events one JSON page holds.
pub const MAX_PAGE_SIZE: i64 = 500;

/// Whose audit log: a workspace's, for its admin, or the instance's, for an
/// instance admin. Only the authority extractors make the proofs.
#[derive(Debug, Clone, Copy)]
pub enum LogScope<'a> {
    Workspace(&'a ActingAdmin),
    Instance(&'a InstanceAdminProof),
}

/// A filter value that does not parse: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FilterError {
    pub field: &'static str,
    pub message: String,
}

/// The filters as typed (page form or query string): blank means "any".
#[derive(Debug, Clone, Default)]
pub struct FilterInput<'a> {
    pub action: &'a str,
    pub actor: &'a str,
    pub target: &'a str,
    pub from: &'a str,
    pub to: &'a str,
}

/// Parses typed filters. `from` and `to` are a date (`2026-11-23`, UTC; `to`
/// includes the whole day) or an ISO-8601 time (`2026-11-23T10:00:00Z`; `to`
/// includes that instant).
pub fn parse_filter(input: &FilterInput<'_>) -> Result<AuditFilter, FilterError> {
    let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let action = match text(input.action) {
        None => None,
        Some(a) => Some(
            Action::parse(&a)
                .ok_or_else(|| FilterError {
                    field: "action",
                    message: format!(
                        "Unknown action {a:?}; use one of: {}.",
                        Action::ALL.map(Action::as_str).join(", ")
                    ),
                })?
                .as_str()
                .to_owned(),
        ),
    };
    let from = text(input.from)
        .map(|s| parse_bound(&s, false).ok_or_else(|| bad_time("from")))
        .transpose()?;
    let until = text(input.to)
        .map(|s| parse_bound(&s, true).ok_or_else(|| bad_time("to")))
        .transpose()?;
    // Bound into SQL as text, which PostgreSQL refuses outright with a NUL; no name
    // or id holds a control character anyway.
    for (field, value) in [("actor", input.actor), ("target", input.target)] {
        if value.chars().any(char::is_control) {
            return Err(FilterError {
                field,
                message: format!("{field} must not contain control characters."),
            });
        }
    }
    Ok(AuditFilter {
        action,
        actor: text(input.actor),
        target: text(input.target),
        from,
        until,
    })
}

/// Whether `s` is an ISO-8601 (RFC 3339) time with its offset, as the API wants.
pub fn is_date_time(s: &str) -> bool {
    DateTime::parse_from_rfc3339(s).is_ok()
}

fn bad_time(field: &'static str) -> FilterError {
    FilterError {
        field,
        message: format!(
            "{field} must be a date (2026-11-23) or an ISO-8601 time (2026-11-23T10:00:00Z)."
        ),
    }
}

/// A bound in Unix ms: the start of the day or the instant; an upper bound is
/// exclusive, so the day after, or the instant's next millisecond.
fn parse_bound(s: &str, upper: bool) -> Option<i64> {
    if let Ok(day) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let day = if upper { day.succ_opt()? } else { day };
        return Some(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis());
    }
    let at = DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc);
    let ms = at.timestamp_millis();
    Some(if upper { ms.saturating_add(1) } else { ms })
}

/// One page of events and how many pass the filters in all.
#[derive(Debug)]
pub struct EventsPage {
    pub rows: Vec<AuditRow>,
    pub total: i64,
}

/// The events of `scope` that pass `filter`, newest first.
pub async fn list(
    pool: &DbPool,
    scope: LogScope<'_>,
    filter: AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<EventsPage, DbError> {
    let ws = match scope {
        LogScope::Workspace(admin) => Some(admin.workspace_id.to_string()),
        LogScope::Instance(_) => None,
    };
    db::run(pool, move |conn| {
        let scope = match &ws {
            Some(ws) => AuditScope::Workspace(ws),
            None => AuditScope::Instance,
        };
        let total = audit::count(conn, scope, &filter)?;
        let rows = audit::list(conn, scope, &filter, limit, offset)?;
        Ok(EventsPage { rows, total })
    })
    .await
}

/// Every event of `scope` that passes `filter`, newest first, at most
/// [`MAX_EXPORT_ROWS`], as CSV.
pub async fn export_csv(
    pool: &DbPool,
    scope: LogScope<'_>,
    filter: AuditFilter,
) -> Result<Vec<u8>, DbError> {
    let page = list(pool, scope, filter, MAX_EXPORT_ROWS, 0).await?;
    Ok(to_csv(&page.rows))
}

/// The human name of a stored action ("Token created"); unknown names as stored.
pub fn action_label(action: &str) -> &str {
    match Action::parse(action) {
        Some(Action::TokenCreated) => "Token created",
        Some(Action::TokenDeleted) => "Token deleted",
        Some(Action::TokenRefused) => "Token refused",
        Some(Action::SettingsChanged) => "Settings changed",
        Some(Action::MemberAdded) => "Member added",
        Some(Action::MemberRemoved) => "Member removed",
        Some(Action::RoleChanged) => "Role changed",
        Some(Action::UserDeactivated) => "User deactivated",
        Some(Action::UserReactivated) => "User reactivated",
        Some(Action::PasswordChanged) => "Password changed",
        Some(Action::OAuthTokenCreated) => "OAuth token created",
        Some(Action::OAuthTokenDisabled) => "OAuth token disabled",
        Some(Action::OAuthTokenDeleted) => "OAuth token deleted",
        Some(Action::OAuthAccessTokenRevoked) => "OAuth access token revoked",
        Some(Action::MemberInvited) => "Member invited",
        Some(Action::InvitationWithdrawn) => "Invitation withdrawn",
        Some(Action::InvitationDeclined) => "Invitation declined",
        Some(Action::MemberSuspended) => "Member suspended",
        Some(Action::MemberRestored) => "Member restored",
        Some(Action::InstanceAdminGranted) => "Instance admin granted",
        Some(Action::InstanceAdminRevoked) => "Instance admin revoked",
        None => action,
    }
}

/// The CSV columns, in order.
pub const CSV_HEADER: [&str; 10] = [
    "id",
    "occurred_at",
    "actor_id",
    "actor_name",
    "action",
    "target_id",
    "target_name",
    "detail",
    "address",
    "workspace_id",
];

/// Rows as CSV (RFC 4180 quoting), each cell made safe to open in a spreadsheet.
pub fn to_csv(rows: &[AuditRow]) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let write = |out: &mut csv::Writer<Vec<u8>>| -> csv::Result<()> {
        out.write_record(CSV_HEADER)?;
        for r in rows {
            let cells = [
                Some(r.id.clone()),
                Some(Timestamp::from_millis(r.occurred_at).to_iso8601()),
                r.actor_id.clone(),
                r.actor_name.clone(),
                Some(r.action.clone()),
                r.target_id.clone(),
                r.target_name.clone(),
                r.detail.as_deref().map(|d| readable_detail(d).into_owned()),
                r.address.clone(),
                r.workspace_id.clone(),
            ];
            out.write_record(
                cells
                    .iter()
                    .map(|c| spreadsheet_safe(c.as_deref().unwrap_or("")).into_owned()),
            )?;
        }
        out.flush()?;
        Ok(())
    };
    // Writing to memory cannot fail.
    write(&mut out).expect("CSV into memory");
    out.into_inner().expect("CSV into memory")
}

/// A cell a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, or a tab or
/// carriage return before one) gets a leading `'`, so it is shown as text.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(detail: &str) -> AuditRow {
        AuditRow {
            id: "e1".into(),
            workspace_id: None,
            occurred_at: 1_547_597_201_743,
            actor_id: None,
            actor_name: None,
            action: "token.refused".into(),
            target_id: None,
            target_name: None,
            detail: Some(detail.into()),
            address: Some("127.0.0.1".into()),
        }
    }

    #[test]
    fn blank_filters_mean_any_and_dates_cover_whole_days() {
        assert_eq!(
            parse_filter(&FilterInput::default()).unwrap(),
            AuditFilter::default()
        );
        let f = parse_filter(&FilterInput {
            action: "token.created",
            actor: " olga ",
            from: "2019-01-16",
            to: "2019-01-16",
            ..FilterInput::default()
        })
        .unwrap();
        assert_eq!(f.action.as_deref(), Some("token.created"));
        assert_eq!(f.actor.as_deref(), Some("olga"));
        assert_eq!(f.from, Some(1_547_596_800_000));
        assert_eq!(f.until, Some(1_547_596_800_000 + 86_400_000));
        let f = parse_filter(&FilterInput {
            to: "2019-01-16T00:06:41.743Z",
            ..FilterInput::default()
        })
        .unwrap();
        assert_eq!(f.until, Some(1_547_597_201_744));
    }

    #[test]
    fn bad_filters_name_their_field() {
        let e = parse_filter(&FilterInput {
            action: "token.stolen",
            ..FilterInput::default()
        })
        .unwrap_err();
        assert_eq!(e.field, "action");
        let e = parse_filter(&FilterInput {
            to: "yesterday",
            ..FilterInput::default()
        })
        .unwrap_err();
        assert_eq!(e.field, "to");
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let csv =
            String::from_utf8(to_csv(&[row("=HYPERLINK(\"x\"), and more"), row("-1")])).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], CSV_HEADER.join(","));
        assert_eq!(
            lines[1],
            r#"e1,2019-01-16T00:06:41.743Z,,,token.refused,,,"'=HYPERLINK(""x""), and more",127.0.0.1,"#
        );
        assert!(lines[2].contains(",'-1,"));
    }
}
