//! "Admin > People": who is in the workspace, add or invite, role, suspend or
//! restore, remove, withdraw an invitation. The page where an invited person sets
//! their password is `invite`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::authority::{People, WorkspaceAdmin};
use crate::domain::invite::INVITE_DAYS;
use crate::domain::{Password, Role, UserId, Username};
use crate::services::invitations;
use crate::services::people::{self, Added, Member, Onboarding, PeopleError};
use crate::state::AppState;

use super::forms::CsrfOnly;
use super::{check_csrf, home, render, see_other, CurrentUser, Layout, PageError};

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
        PersonRow {
            id: m.user_id.to_string(),
            username: m.username.clone(),
            role: if m.role == Role::Admin {
                "Admin"
            } else {
                "Member"
            },
            is_admin: m.role == Role::Admin,
            status: people::status(m).label(),
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

/// What the page shows above the list: the Add form as typed, and what the last
/// attempt said.
#[derive(Default)]
struct Shown {
    form: AddForm,
    error: Option<String>,
    /// Why a field was refused, shown beside that field.
    username_error: Option<String>,
    password_error: Option<String>,
    existing: Option<ExistingOffer>,
    invite: Option<InviteShown>,
}

impl Shown {
    /// The form as typed, with why one of its fields was refused beside it.
    fn refused_field(form: AddForm, refused: FieldError) -> Self {
        let (username_error, password_error) = match refused {
            FieldError::Username(m) => (Some(m), None),
            FieldError::Password(m) => (None, Some(m)),
        };
        Shown {
            form,
            username_error,
            password_error,
            ..Shown::default()
        }
    }

    /// The form as typed, with why it was refused.
    fn refused(form: AddForm, message: String) -> Self {
        Shown {
            form,
            error: Some(message),
            ..Shown::default()
        }
    }
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    layout: Layout,
    workspace_name: String,
    people: Vec<PersonRow>,
    form: AddForm,
    error: Option<String>,
    username_error: Option<String>,
    password_error: Option<String>,
    existing: Option<ExistingOffer>,
    invite: Option<InviteShown>,
    invite_days: i64,
    /// The rule an initial password must meet, stated beside the field.
    password_rule: &'static str,
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

/// Which field of the Add form was refused, and why.
enum FieldError {
    Username(String),
    Password(String),
}

/// Who to add and how, as read from the Add form.
struct Addition {
    username: Username,
    role: Role,
    onboarding: Onboarding,
    invite_existing: bool,
}

impl AddInput {
    /// The form as typed, to show again.
    fn form(&self) -> AddForm {
        AddForm {
            username: self.username.clone(),
            admin: self.role == "admin",
            with_password: self.onboarding == "password",
        }
    }

    /// Who to add and how, or why the name or the password is refused.
    fn addition(&self, form: &AddForm) -> Result<Addition, FieldError> {
        let username = Username::parse(self.username.trim())
            .map_err(|e| FieldError::Username(e.to_string()))?;
        let role = if form.admin {
            Role::Admin
        } else {
            Role::Member
        };
        let invite_existing = self.invite == "true";
        let onboarding = if form.with_password && !invite_existing {
            let password = Password::parse_new(self.password.clone(), username.as_str())
                .map_err(|e| FieldError::Password(e.to_string()))?;
            Onboarding::Password(password)
        } else {
            Onboarding::Invite
        };
        Ok(Addition {
            username,
            role,
            onboarding,
            invite_existing,
        })
    }
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
    shown: Shown,
) -> Result<HttpResponse, PageError> {
    let members = people::list(&state.pool, &user.admin, state.clock.now()).await?;
    let me = user.principal.user_id;
    render(
        status,
        &PeoplePage {
            layout: Layout::for_user(user)?,
            workspace_name: user.principal.workspace_name.clone(),
            people: members.iter().map(|m| PersonRow::new(m, me)).collect(),
            form: shown.form,
            error: shown.error,
            username_error: shown.username_error,
            password_error: shown.password_error,
            existing: shown.existing,
            invite: shown.invite,
            invite_days: INVITE_DAYS,
            password_rule: crate::domain::password::RULE,
        },
    )
}

pub async fn list(
    user: PeopleAdmin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    page(&user, &state, StatusCode::OK, Shown::default()).await
}

/// Adds someone; shows the invitation link once, in this response only.
pub async fn add(
    req: HttpRequest,
    user: PeopleAdmin,
    state: web::Data<AppState>,
    input: web::Form<AddInput>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &input.csrf_token)?;
    let form = input.form();
    let a = match input.addition(&form) {
        Ok(a) => a,
        Err(refused) => {
            let shown = Shown::refused_field(form, refused);
            return page(&user, &state, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
        }
    };
    let (pool, admin, address) = (&state.pool, &user.admin, user.address);
    let result = people::add(
        pool,
        admin,
        address,
        a.username,
        a.role,
        a.onboarding,
        a.invite_existing,
        state.clock.now(),
    )
    .await;
    match result {
        Ok(added) => {
            let base = crate::auth::public_url::base_of(&req);
            show_added(&user, &state, &base, added).await
        }
        Err(e) => add_refused(&user, &state, form, e).await,
    }
}

/// After an addition: the invitation link, shown once on the page; or, for an
/// initial password or an existing account, back to the list saying what was done.
async fn show_added(
    user: &PeopleAdmin,
    state: &AppState,
    base: &str,
    added: Added,
) -> Result<HttpResponse, PageError> {
    let name = added.member.username;
    if let Some(code) = added.invite {
        let invite = InviteShown {
            username: name,
            url: invitations::invite_url(base, &code),
        };
        let shown = Shown {
            invite: Some(invite),
            ..Shown::default()
        };
        return page(user, state, StatusCode::OK, shown).await;
    }
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

/// A refused addition, said on the page with the form as typed; a name that is
/// an existing account comes with the offer to invite that account instead.
async fn add_refused(
    user: &PeopleAdmin,
    state: &AppState,
    form: AddForm,
    e: PeopleError,
) -> Result<HttpResponse, PageError> {
    if let PeopleError::ExistingUser(name) = &e {
        let offer = ExistingOffer {
            username: name.clone(),
            admin: form.admin,
        };
        let shown = Shown {
            existing: Some(offer),
            ..Shown::refused(form, e.to_string())
        };
        return page(user, state, StatusCode::CONFLICT, shown).await;
    }
    match Outcome::from(e) {
        Outcome::Shown(message) => {
            let shown = Shown::refused(form, message);
            page(user, state, StatusCode::UNPROCESSABLE_ENTITY, shown).await
        }
        Outcome::Failed(e) => Err(e),
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
                let shown = Shown::refused(AddForm::default(), message);
                page(user, state, StatusCode::CONFLICT, shown).await
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
    input: web::Form<CsrfOnly>,
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
