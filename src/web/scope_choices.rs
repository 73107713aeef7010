//! The Scopes of both Generate dialogs (legacy and OAuth): the boxes a person is
//! offered, which are ticked, reading the ticked names from a form; and the Scope
//! filter of both admin token lists.

use crate::auth::Principal;
use crate::db::{DbError, DbPool};
use crate::domain::scope::{self, Builtin, ScopeName, ServiceScopes};
use crate::domain::scope_request;
use crate::services::tokens;

/// The form field the boxes share (each ticked one repeats it).
const FIELD: &str = "scopes";
/// Sent with the boxes, so that "none ticked" (refused) differs from a form that
/// never offered them (the default, full access, as the API does without `scopes`).
const OFFERED: &str = "scopes_offered";

/// One checkbox of the Scopes fieldset.
pub(super) struct ScopeBox {
    /// The scope's name: the box's value.
    pub(super) name: String,
    /// "Full access (api)", or a service scope's name.
    pub(super) label: String,
    /// A built-in scope's one-line explanation; empty for a service scope.
    pub(super) explanation: &'static str,
    pub(super) checked: bool,
}

/// The Scopes fieldset: the built-in boxes, the service-scope boxes, and why the
/// choice was refused.
pub(super) struct ScopeField {
    pub(super) builtin: Vec<ScopeBox>,
    pub(super) service: Vec<ScopeBox>,
    pub(super) error: Option<String>,
}

impl ScopeField {
    /// The scopes this owner may put on a token, as boxes: built-in first (`admin`
    /// only for a workspace admin), then the service scopes they may grant. Those in
    /// `ticked` are ticked; `None` is a blank form, "Full access (api)" ticked.
    pub(super) fn new(
        defined: &ServiceScopes,
        owner_admin: bool,
        ticked: Option<&[String]>,
    ) -> Self {
        let default = [Builtin::Api.as_str().to_owned()];
        let ticked = ticked.unwrap_or(&default);
        let boxes = |names: Vec<ScopeName>| -> Vec<ScopeBox> {
            names
                .into_iter()
                .filter(|n| grantable(n, defined, owner_admin))
                .map(|n| ScopeBox {
                    checked: ticked.iter().any(|t| t == n.as_str()),
                    label: label(&n),
                    explanation: n.as_builtin().map_or("", Builtin::explanation),
                    name: n.to_string(),
                })
                .collect()
        };
        ScopeField {
            builtin: boxes(Builtin::ALL.map(ScopeName::builtin).to_vec()),
            service: boxes(defined.all().cloned().collect()),
            error: None,
        }
    }

    pub(super) fn with_error(mut self, error: Option<String>) -> Self {
        self.error = error;
        self
    }
}

/// The Scopes fieldset of `owner`'s Generate dialog, `ticked` as in
/// [`ScopeField::new`].
pub(super) async fn field_for(
    pool: &DbPool,
    owner: &Principal,
    ticked: Option<&[String]>,
) -> Result<ScopeField, DbError> {
    let defined = tokens::service_scopes(pool, owner).await?;
    Ok(ScopeField::new(&defined, owner.is_admin(), ticked))
}

/// Whether `owner` may put `name` on a token: asked of the one rule that decides
/// it when the token is made, so the dialog never offers what would be refused.
fn grantable(name: &ScopeName, defined: &ServiceScopes, owner_admin: bool) -> bool {
    scope_request::owner_may_grant(name, defined, owner_admin)
}

/// "Full access (api)", "Read only (read_api)", ...; a service scope by its name.
pub(super) fn label(name: &ScopeName) -> String {
    match name.as_builtin() {
        Some(b) => format!("{} ({})", builtin_title(b), b.as_str()),
        None => name.to_string(),
    }
}

fn builtin_title(b: Builtin) -> &'static str {
    match b {
        Builtin::Api => "Full access",
        Builtin::ReadApi => "Read only",
        Builtin::Tokens => "Tokens",
        Builtin::Admin => "Admin",
    }
}

/// The names ticked in a form read as pairs; `None` when the form did not offer
/// the boxes (the default scopes), `Some(empty)` when it offered them and none was
/// ticked.
pub(super) fn ticked(form: &[(String, String)]) -> Option<Vec<String>> {
    let names: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == FIELD)
        .map(|(_, v)| v.clone())
        .collect();
    let offered = form.iter().any(|(k, _)| k == OFFERED);
    (offered || !names.is_empty()).then_some(names)
}

/// A token's scopes as a table cell lists them, sorted.
pub(super) fn names(scopes: &scope::ScopeSet) -> Vec<String> {
    scopes.names().map(str::to_owned).collect()
}

/// An `<option>` of the admin lists' Scope filter.
pub(super) struct ScopeOption {
    pub(super) value: String,
    pub(super) label: String,
    pub(super) selected: bool,
}

/// The Scope filter's options: every built-in scope, then the workspace's service
/// scopes; `current` selected.
pub(super) fn filter_options(
    defined: &ServiceScopes,
    current: Option<&ScopeName>,
) -> Vec<ScopeOption> {
    // A name asked that the workspace no longer defines (tokens may still carry
    // it) is offered too, so that the list shows the filter in force.
    let asked_elsewhere = current
        .filter(|n| n.as_builtin().is_none() && !defined.defines(n))
        .cloned();
    Builtin::ALL
        .map(ScopeName::builtin)
        .into_iter()
        .chain(defined.all().cloned())
        .chain(asked_elsewhere)
        .map(|n| ScopeOption {
            selected: current == Some(&n),
            label: label(&n),
            value: n.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defined() -> ServiceScopes {
        ServiceScopes::parse(&["deploy", "billing:read"], &["deploy"]).unwrap()
    }

    fn names(boxes: &[ScopeBox]) -> Vec<&str> {
        boxes.iter().map(|b| b.name.as_str()).collect()
    }

    #[test]
    fn a_member_is_offered_no_admin_and_only_the_member_service_scopes() {
        let field = ScopeField::new(&defined(), false, None);
        assert_eq!(names(&field.builtin), ["api", "read_api", "tokens"]);
        assert_eq!(names(&field.service), ["deploy"]);
        let ticked: Vec<&str> = field
            .builtin
            .iter()
            .filter(|b| b.checked)
            .map(|b| b.label.as_str())
            .collect();
        assert_eq!(ticked, ["Full access (api)"]);
    }

    #[test]
    fn an_admin_is_offered_everything_and_ticks_stay_ticked() {
        let asked = vec!["read_api".to_owned(), "billing:read".to_owned()];
        let field = ScopeField::new(&defined(), true, Some(&asked));
        assert_eq!(
            names(&field.builtin),
            ["api", "read_api", "tokens", "admin"]
        );
        assert_eq!(names(&field.service), ["billing:read", "deploy"]);
        let ticked: Vec<&str> = field
            .builtin
            .iter()
            .chain(&field.service)
            .filter(|b| b.checked)
            .map(|b| b.name.as_str())
            .collect();
        assert_eq!(ticked, ["read_api", "billing:read"]);
    }

    #[test]
    fn a_form_without_the_boxes_asks_for_the_default() {
        let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        assert_eq!(ticked(&[pair("description", "x")]), None);
        assert_eq!(ticked(&[pair(OFFERED, "yes")]), Some(vec![]));
        assert_eq!(
            ticked(&[
                pair(OFFERED, "yes"),
                pair(FIELD, "api"),
                pair(FIELD, "tokens")
            ]),
            Some(vec!["api".to_owned(), "tokens".to_owned()])
        );
    }
}
