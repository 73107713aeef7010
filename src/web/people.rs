//! "Admin > People" (who is in the workspace, add or invite, role, suspend or
//! restore, remove, withdraw an invitation) and the page where an invited person
//! sets their password.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::session::TypedSession;
use crate::domain::invite::{InviteCode, INVITE_DAYS};
use crate::domain::{Password, Role, UserId, Username};
use crate::models::workspace::Member;
use crate::services::invitations;
use crate::services::people::{self, Onboarding, PeopleError};
use crate::state::AppState;

use super::{check_csrf, home, render, see_other, CurrentUser, Layout, PageError};
use crate::auth::authority::{People, WorkspaceAdmin};

/// A workspace admin on Admin > People: the extractor refuses everyone else.
type PeopleAdmin = WorkspaceAdmin<CurrentUser, People>;

const PAGE: &str = "/admin/people";

struct PersonRow {
    id: String,
    username: String,
    role: &'static str,
    is_admin: bool,
    status: &'static str,
    suspended: bool,
    invited: bool,
    joined: String,
    is_you: bool,
}

impl PersonRow {
    fn new(m: &Member, me: UserId) -> Self {
        let status = match crate::api::people::status(m) {
            "deactivated" => "Deactivated",
            "suspended" => "Suspended",
            "invited" => "Invited",
            _ => "Active",
        };
        PersonRow {
            id: m.user_id.to_string(),
            username: m.username.clone(),
            role: if m.role == Role::Admin {
                "Admin"
            } else {
                "Member"
            },
            is_admin: m.role == Role::Admin,
            status,
            suspended: m.suspended_at.is_some(),
            invited: m.invited,
            joined: m.joined_at.to_display(),
            is_you: m.user_id == me,
        }
    }
}

struct InviteShown {
    username: String,
    url: String,
}

#[derive(Default)]
struct AddForm {
    username: String,
    admin: bool,
    with_password: bool,
}

/// A name that is an existing account: the admin may invite it instead.
struct ExistingOffer {
    username: String,
    admin: bool,
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    layout: Layout,
    workspace_name: String,
    people: Vec<PersonRow>,
    form: AddForm,
    error: Option<String>,
    existing: Option<ExistingOffer>,
    invite: Option<InviteShown>,
    invite_days: i64,
}

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    layout: Layout,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct AddInput {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    onboarding: String,
    #[serde(default)]
    password: String,
    /// "true": invite the existing account of that name.
    #[serde(default)]
    invite: String,
}

#[derive(Deserialize)]
pub struct RoleInput {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    role: String,
}

#[derive(Deserialize)]
pub struct ActiveInput {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    active: String,
}

#[derive(Deserialize)]
pub struct CsrfInput {
    #[serde(default)]
    csrf_token: String,
}

#[derive(Deserialize)]
pub struct PasswordInput {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

/// A refusal the admin can act on is shown on the page; the rest are errors.
enum Outcome {
    Shown(String),
    Failed(PageError),
}

impl From<PeopleError> for Outcome {
    fn from(e: PeopleError) -> Self {
        match e {
            // Someone of another workspace, or no one: nothing of this workspace's.
            PeopleError::NotFound => Outcome::Failed(PageError::NotFound),
            PeopleError::Db(e) => Outcome::Failed(e.into()),
            other => Outcome::Shown(other.to_string()),
        }
    }
}

impl From<PeopleError> for PageError {
    fn from(e: PeopleError) -> Self {
        match e {
            PeopleError::NotFound => PageError::NotFound,
            PeopleError::Db(e) => e.into(),
            other => PageError::BadRequest(other.to_string()),
        }
    }
}

async fn page(
    user: &PeopleAdmin,
    state: &AppState,
    status: StatusCode,
    form: AddForm,
    error: Option<String>,
    invite: Option<InviteShown>,
) -> Result<HttpResponse, PageError> {
    page_with(user, state, status, form, error, invite, None).await
}

async fn page_with(
    user: &PeopleAdmin,
    state: &AppState,
    status: StatusCode,
    form: AddForm,
    error: Option<String>,
    invite: Option<InviteShown>,
    existing: Option<ExistingOffer>,
) -> Result<HttpResponse, PageError> {
    let members = people::list(&state.pool, &user.admin, state.clock.now()).await?;
    let me = user.principal.user_id;
    render(
        status,
        &PeoplePage {
            layout: Layout::for_user(user)?,
            workspace_name: user.principal.workspace_name.clone(),
            people: members.iter().map(|m| PersonRow::new(m, me)).collect(),
            form,
            error,
            existing,
            invite,
            invite_days: INVITE_DAYS,
        },
    )
}

pub async fn list(
    user: PeopleAdmin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    page(
        &user,
        &state,
        StatusCode::OK,
        AddForm::default(),
        None,
        None,
    )
    .await
}

/// Adds someone; shows the invitation link once, in this response only.
pub async fn add(
    req: HttpRequest,
    user: PeopleAdmin,
    state: web::Data<AppState>,
    input: web::Form<AddInput>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &input.csrf_token)?;
    let form = AddForm {
        username: input.username.clone(),
        admin: input.role == "admin",
        with_password: input.onboarding == "password",
    };
    let invalid = |message: String, form| async {
        page(
            &user,
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
            Some(message),
            None,
        )
        .await
    };
    let username = match Username::parse(input.username.trim()) {
        Ok(u) => u,
        Err(e) => return invalid(e.to_string(), form).await,
    };
    let role = if form.admin {
        Role::Admin
    } else {
        Role::Member
    };
    let invite_existing = input.invite == "true";
    let onboarding = if form.with_password && !invite_existing {
        match Password::parse_new(input.password.clone(), username.as_str()) {
            Ok(p) => Onboarding::Password(p),
            Err(e) => return invalid(e.to_string(), form).await,
        }
    } else {
        Onboarding::Invite
    };
    match people::add(
        &state.pool,
        &user.admin,
        user.address,
        username,
        role,
        onboarding,
        invite_existing,
        state.clock.now(),
    )
    .await
    {
        Ok(added) => {
            let name = added.member.username.clone();
            match added.invite {
                Some(code) => {
                    let url =
                        invitations::invite_url(&crate::auth::public_url::base_of(&req), &code);
                    let shown = InviteShown {
                        username: name,
                        url,
                    };
                    page(
                        &user,
                        &state,
                        StatusCode::OK,
                        AddForm::default(),
                        None,
                        Some(shown),
                    )
                    .await
                }
                None => {
                    let message = if added.existing_user {
                        format!(
                            "Invited {name}'s existing account: {name} joins the workspace \
                             after accepting, under Preferences > Workspace Invitations."
                        )
                    } else {
                        format!("Added {name}. Give them their initial password: they choose their own at their first sign-in.")
                    };
                    user.session.set_flash(&message)?;
                    Ok(see_other(PAGE))
                }
            }
        }
        Err(PeopleError::ExistingUser(name)) => {
            // Said in words, with a way to invite that account instead.
            let message = PeopleError::ExistingUser(name.clone()).to_string();
            let offer = ExistingOffer {
                username: name,
                admin: form.admin,
            };
            page_with(
                &user,
                &state,
                StatusCode::CONFLICT,
                form,
                Some(message),
                None,
                Some(offer),
            )
            .await
        }
        Err(e) => match Outcome::from(e) {
            Outcome::Shown(message) => invalid(message, form).await,
            Outcome::Failed(e) => Err(e),
        },
    }
}

fn target(raw: &str) -> Result<UserId, PageError> {
    UserId::parse(raw).ok_or(PageError::NotFound)
}

/// Runs a change and comes back to the list with its outcome.
async fn after(
    user: &PeopleAdmin,
    state: &AppState,
    result: Result<String, PeopleError>,
) -> Result<HttpResponse, PageError> {
    match result {
        Ok(message) => {
            user.session.set_flash(&message)?;
            Ok(see_other(PAGE))
        }
        Err(e) => match Outcome::from(e) {
            Outcome::Shown(message) => {
                page(
                    user,
                    state,
                    StatusCode::CONFLICT,
                    AddForm::default(),
                    Some(message),
                    None,
                )
                .await
            }
            Outcome::Failed(e) => Err(e),
        },
    }
}

pub async fn set_role(
    user: PeopleAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
    input: web::Form<RoleInput>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &input.csrf_token)?;
    let id = target(&path)?;
    let role = Role::parse(&input.role)
        .ok_or_else(|| PageError::BadRequest("The role must be admin or member.".into()))?;
    let result = people::set_role(
        &state.pool,
        &user.admin,
        user.address,
        id,
        role,
        state.clock.now(),
    )
    .await
    .map(|m| {
        let role = if m.role == Role::Admin {
            "an admin"
        } else {
            "a member"
        };
        format!("{} is now {role}.", m.username)
    });
    after(&user, &state, result).await
}

pub async fn set_active(
    user: PeopleAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
    input: web::Form<ActiveInput>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &input.csrf_token)?;
    let id = target(&path)?;
    let active = match input.active.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            return Err(PageError::BadRequest(
                "active must be true or false.".into(),
            ))
        }
    };
    let result = people::set_suspended(
        &state.pool,
        &user.admin,
        user.address,
        id,
        !active,
        state.clock.now(),
    )
    .await
    .map(|m| {
        if active {
            format!("{} is restored in this workspace.", m.username)
        } else {
            format!(
                "{} is suspended in this workspace: their tokens and pages here no longer work.",
                m.username
            )
        }
    });
    after(&user, &state, result).await
}

pub async fn remove(
    user: PeopleAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
    input: web::Form<CsrfInput>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &input.csrf_token)?;
    let id = target(&path)?;
    let removing_self = id == user.principal.user_id;
    let result = people::remove(
        &state.pool,
        &user.admin,
        user.address,
        id,
        state.clock.now(),
    )
    .await
    .map(|removed| match removed {
        people::Removed::Member => {
            "Removed from the workspace; their access tokens here are deleted.".into()
        }
        people::Removed::Invitation => "Invitation withdrawn.".into(),
    });
    if removing_self && result.is_ok() {
        // They are no longer in this workspace: back to where they still are.
        user.session.set_flash("You left the workspace.")?;
        return Ok(see_other(home(&state)));
    }
    after(&user, &state, result).await
}

fn invite_code(raw: &str) -> Result<InviteCode, PageError> {
    InviteCode::parse(raw)
        .ok_or_else(|| PageError::BadRequest(PeopleError::InvalidInvite.to_string()))
}

/// The invited person's "Set your password" page.
pub async fn invite_form(
    session: TypedSession,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let code = invite_code(&path)?;
    let username = invitations::invitation(&state.pool, &code, state.clock.now()).await?;
    render(
        StatusCode::OK,
        &InvitePage {
            layout: Layout::anonymous(&session)?,
            username,
            error: None,
        },
    )
}

/// Sets the invited person's password, uses the link up and signs them in.
pub async fn accept_invite(
    req: HttpRequest,
    session: TypedSession,
    state: web::Data<AppState>,
    path: web::Path<String>,
    input: web::Form<PasswordInput>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&session, &input.csrf_token)?;
    let (code, now) = (invite_code(&path)?, state.clock.now());
    let username = invitations::invitation(&state.pool, &code, now).await?;
    let refuse = |message: String| -> Result<HttpResponse, PageError> {
        render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &InvitePage {
                layout: Layout::anonymous(&session)?,
                username: username.clone(),
                error: Some(message),
            },
        )
    };
    let password = match Password::parse_new(input.new_password.clone(), &username) {
        Ok(p) => p,
        Err(e) => return refuse(e.to_string()),
    };
    if input.new_password != input.confirm_password {
        return refuse("The new password and its confirmation do not match.".into());
    }
    let address = crate::auth::client_address::of(&req);
    let accepted =
        invitations::accept_invitation(&state.pool, &code, password, address, now).await?;
    let (user, epoch, ws) = (
        accepted.user_id,
        accepted.session_epoch,
        accepted.workspace_id,
    );
    session.sign_in(&state.pool, user, epoch, ws, now).await?;
    session.set_flash("Your password is set. Welcome!")?;
    Ok(see_other(home(&state)))
}
