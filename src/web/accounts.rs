//! "Instance > Accounts": every account of the instance, for instance admins, with
//! deactivate / reactivate and grant / take instance admin (each asked first on a
//! page of its own, so it works without JavaScript) and "Set password".

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::authority::InstanceAdmin;
use crate::domain::{UserId, WorkspaceId};
use crate::services::accounts::{self, AccountError, AccountUpdate, AccountView};
use crate::state::AppState;

use super::forms::{CsrfOnly, NewPasswordInput, PasswordErrors};
use super::{check_csrf, render, see_other, CurrentUser, Layout, PageError};

const PAGE: &str = "/instance/accounts";

/// One account as the list shows it.
struct AccountRow {
    id: String,
    username: String,
    active: bool,
    instance_admin: bool,
    /// "default (admin), wsb (member)".
    workspaces: String,
    created: String,
    /// The signed-in instance admin's own row.
    yourself: bool,
    /// No password yet: a name an invitation link reserves.
    password_set: bool,
    /// Open invitations: (workspace id, workspace name).
    invitations: Vec<(String, String)>,
}

impl AccountRow {
    fn new(a: AccountView, me: UserId) -> Self {
        AccountRow {
            yourself: a.id == me,
            id: a.id.to_string(),
            username: a.username,
            active: a.active,
            instance_admin: a.instance_admin,
            workspaces: a
                .memberships
                .iter()
                .map(|m| format!("{} ({})", m.workspace_name, m.role.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
            created: a.created_at.to_display(),
            password_set: a.password_set,
            invitations: a
                .invitations
                .into_iter()
                .map(|i| (i.workspace_id.to_string(), i.workspace_name))
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "instance_accounts.html")]
struct AccountsPage {
    layout: Layout,
    rows: Vec<AccountRow>,
}

/// What a row's button does, as its path names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    Deactivate,
    Reactivate,
    GrantInstanceAdmin,
    RevokeInstanceAdmin,
}

impl Act {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "deactivate" => Act::Deactivate,
            "reactivate" => Act::Reactivate,
            "grant-instance-admin" => Act::GrantInstanceAdmin,
            "revoke-instance-admin" => Act::RevokeInstanceAdmin,
            _ => return None,
        })
    }

    fn path(self) -> &'static str {
        match self {
            Act::Deactivate => "deactivate",
            Act::Reactivate => "reactivate",
            Act::GrantInstanceAdmin => "grant-instance-admin",
            Act::RevokeInstanceAdmin => "revoke-instance-admin",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Act::Deactivate => "Deactivate account",
            Act::Reactivate => "Reactivate account",
            Act::GrantInstanceAdmin => "Make instance admin",
            Act::RevokeInstanceAdmin => "Take instance admin away",
        }
    }

    /// What happens, said before it does.
    fn effect(self) -> &'static str {
        match self {
            Act::Deactivate => "They can no longer sign in to any workspace, their browser sessions end, and every token of theirs (access tokens and OAuth 2.0 API tokens) stops working at once. Nothing is deleted: reactivating brings it all back.",
            Act::Reactivate => "They can sign in again, and their tokens that have not expired work again, in every workspace they are a member of.",
            Act::GrantInstanceAdmin => "They will be able to deactivate and reactivate any account, set any account's password, and see every account and the instance's events.",
            Act::RevokeInstanceAdmin => "They will no longer manage accounts or see the instance's events. Their workspace roles stay as they are.",
        }
    }

    fn update(self) -> AccountUpdate {
        match self {
            Act::Deactivate => AccountUpdate {
                active: Some(false),
                ..AccountUpdate::default()
            },
            Act::Reactivate => AccountUpdate {
                active: Some(true),
                ..AccountUpdate::default()
            },
            Act::GrantInstanceAdmin => AccountUpdate {
                instance_admin: Some(true),
                ..AccountUpdate::default()
            },
            Act::RevokeInstanceAdmin => AccountUpdate {
                instance_admin: Some(false),
                ..AccountUpdate::default()
            },
        }
    }

    fn done(self, name: &str) -> String {
        match self {
            Act::Deactivate => format!("{name} has been deactivated."),
            Act::Reactivate => format!("{name} has been reactivated."),
            Act::GrantInstanceAdmin => format!("{name} is now an instance admin."),
            Act::RevokeInstanceAdmin => format!("{name} is no longer an instance admin."),
        }
    }
}

#[derive(Template)]
#[template(path = "instance_account_confirm.html")]
struct ConfirmPage {
    layout: Layout,
    title: &'static str,
    effect: &'static str,
    username: String,
    action: String,
    danger: bool,
}

#[derive(Template)]
#[template(path = "instance_account_password.html")]
struct PasswordPage {
    layout: Layout,
    username: String,
    action: String,
    errors: PasswordErrors,
    /// The rule every new password must meet, stated beside the field.
    password_rule: &'static str,
}

/// An account error: the unknown account is the page's 404; a refusal goes back
/// to the list with the reason as the flash.
fn refused(user: &CurrentUser, e: AccountError) -> Result<HttpResponse, PageError> {
    match e {
        AccountError::NotFound => Err(PageError::NotFound),
        AccountError::LastInstanceAdmin
        | AccountError::Yourself
        | AccountError::NoInvitation
        | AccountError::Reserved(_) => {
            user.session.set_flash(&e.to_string())?;
            Ok(see_other(PAGE))
        }
        AccountError::Db(e) => Err(e.into()),
    }
}

fn user_id(raw: &str) -> Result<UserId, PageError> {
    UserId::parse(raw).ok_or(PageError::NotFound)
}

/// The list.
pub async fn list(
    admin: InstanceAdmin<CurrentUser>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let me = admin.principal.user_id;
    let all = match accounts::list(&state.pool, &admin.admin, state.clock.now()).await {
        Ok(all) => all,
        Err(e) => return refused(&admin.caller, e),
    };
    let page = AccountsPage {
        layout: Layout::for_user(&admin.caller)?,
        rows: all.into_iter().map(|a| AccountRow::new(a, me)).collect(),
    };
    render(StatusCode::OK, &page)
}

/// Asks before an action (`GET .../{userId}/{action}`).
pub async fn confirm(
    admin: InstanceAdmin<CurrentUser>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (raw_id, raw_act) = path.into_inner();
    let act = Act::parse(&raw_act).ok_or(PageError::NotFound)?;
    let id = user_id(&raw_id)?;
    let account = match accounts::get(&state.pool, &admin.admin, id, state.clock.now()).await {
        Ok(a) => a,
        Err(e) => return refused(&admin.caller, e),
    };
    let page = ConfirmPage {
        layout: Layout::for_user(&admin.caller)?,
        title: act.title(),
        effect: act.effect(),
        username: account.username,
        action: format!("{PAGE}/{id}/{}", act.path()),
        danger: matches!(act, Act::Deactivate | Act::RevokeInstanceAdmin),
    };
    render(StatusCode::OK, &page)
}

/// Does an action (`POST .../{userId}/{action}`), then back to the list with a
/// flash that says what happened or why not.
pub async fn act(
    admin: InstanceAdmin<CurrentUser>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    input: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&admin.session, &input.csrf_token)?;
    let (raw_id, raw_act) = path.into_inner();
    let act = Act::parse(&raw_act).ok_or(PageError::NotFound)?;
    let id = user_id(&raw_id)?;
    let address = admin.address;
    match accounts::update(
        &state.pool,
        &admin.admin,
        address,
        id,
        act.update(),
        state.clock.now(),
    )
    .await
    {
        Ok(account) => {
            admin.session.set_flash(&act.done(&account.username))?;
            Ok(see_other(PAGE))
        }
        Err(e) => refused(&admin.caller, e),
    }
}

/// "Set password" for another account.
pub async fn password_form(
    admin: InstanceAdmin<CurrentUser>,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = user_id(&path)?;
    let account = match accounts::get(&state.pool, &admin.admin, id, state.clock.now()).await {
        Ok(a) => a,
        Err(e) => return refused(&admin.caller, e),
    };
    let errors = PasswordErrors::default();
    password_page(&admin.caller, StatusCode::OK, account.username, id, errors)
}

/// The "Set password" page of `username` (`id`), with why it was refused if it was.
fn password_page(
    user: &CurrentUser,
    status: StatusCode,
    username: String,
    id: UserId,
    errors: PasswordErrors,
) -> Result<HttpResponse, PageError> {
    let page = PasswordPage {
        layout: Layout::for_user(user)?,
        username,
        action: format!("{PAGE}/{id}/password"),
        errors,
        password_rule: crate::domain::password::RULE,
    };
    render(status, &page)
}

/// Sets another account's password; their sessions end. A refused password is
/// shown again with the reason (422).
pub async fn set_password(
    admin: InstanceAdmin<CurrentUser>,
    state: web::Data<AppState>,
    path: web::Path<String>,
    input: web::Form<NewPasswordInput>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&admin.session, &input.csrf_token)?;
    let (id, now) = (user_id(&path)?, state.clock.now());
    let account = match accounts::get(&state.pool, &admin.admin, id, now).await {
        Ok(a) => a,
        Err(e) => return refused(&admin.caller, e),
    };
    let password = match input.password(&account.username) {
        Ok(p) => p,
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return password_page(&admin.caller, status, account.username, id, errors);
        }
    };
    let change = AccountUpdate {
        password: Some(password),
        ..AccountUpdate::default()
    };
    match accounts::update(&state.pool, &admin.admin, admin.address, id, change, now).await {
        Ok(account) => {
            admin.session.set_flash(&format!(
                "The password of {} has been set. Their browser sessions have been signed out.",
                account.username
            ))?;
            Ok(see_other(PAGE))
        }
        Err(e) => refused(&admin.caller, e),
    }
}

/// Asks before withdrawing an account's invitation to a workspace.
pub async fn confirm_withdraw(
    admin: InstanceAdmin<CurrentUser>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (raw_id, raw_ws) = path.into_inner();
    let id = user_id(&raw_id)?;
    let ws = WorkspaceId::parse(&raw_ws).ok_or(PageError::NotFound)?;
    let account = match accounts::get(&state.pool, &admin.admin, id, state.clock.now()).await {
        Ok(a) => a,
        Err(e) => return refused(&admin.caller, e),
    };
    let Some(invitation) = account.invitations.iter().find(|i| i.workspace_id == ws) else {
        return Err(PageError::NotFound);
    };
    let effect = if account.password_set {
        "The account stays as it is; it will not join that workspace unless invited again."
    } else {
        "The link stops working and the name is free again: no account is left behind."
    };
    let page = ConfirmPage {
        layout: Layout::for_user(&admin.caller)?,
        title: "Withdraw invitation",
        effect,
        username: format!("{} to {}", account.username, invitation.workspace_name),
        action: format!("{PAGE}/{id}/invitations/{ws}/withdraw"),
        danger: true,
    };
    render(StatusCode::OK, &page)
}

/// Withdraws an account's invitation to a workspace, whichever workspace it is.
pub async fn withdraw(
    admin: InstanceAdmin<CurrentUser>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    input: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&admin.session, &input.csrf_token)?;
    let (raw_id, raw_ws) = path.into_inner();
    let id = user_id(&raw_id)?;
    let ws = WorkspaceId::parse(&raw_ws).ok_or(PageError::NotFound)?;
    let address = admin.address;
    match accounts::withdraw_invitation(
        &state.pool,
        &admin.admin,
        address,
        id,
        ws,
        state.clock.now(),
    )
    .await
    {
        Ok(()) => {
            admin
                .session
                .set_flash("The invitation has been withdrawn.")?;
            Ok(see_other(PAGE))
        }
        Err(e) => refused(&admin.caller, e),
    }
}
