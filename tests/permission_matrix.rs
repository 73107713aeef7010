//! The account and membership permission matrix (issue 11), table-driven:
//! {instance admin, admin of this workspace, admin of another workspace, member,
//! suspended member, deactivated account} × {every account action, every
//! membership action in this workspace} × {page, API}. Every cell is asserted: the
//! exact answer, and either the change it made (allowed) or that it changed nothing
//! in the database (refused: the rows are read before and after).
//!
//! The world: workspace `wsb` ("this" one), `default` and `wsc`.
//! - `iris`: an instance admin who is only a *member* of `wsb` (and of `default`),
//!   so the two levels are shown apart;
//! - `bob`: the admin of `wsb`, not an instance admin;
//! - `olga`: the admin of `default` only;
//! - `mia`: a member of `wsb`;
//! - `sam`: an admin of `wsb` (his only workspace) whose membership there is
//!   suspended, with a browser signed in before the suspension;
//! - `gus`: an instance admin and admin of `wsb`, deactivated, with a token and a
//!   browser from before the deactivation (his password would count as failed
//!   sign-ins, and after five the throttle would answer instead).
//!
//! API calls of the membership actions name `wsb` (`X-Workspace`); the account
//! actions name no workspace (they are the instance's). On the pages the actor
//! switches to `wsb` when they can; `olga` cannot (400), so her page acts in her
//! own workspace: nothing of `wsb`'s is found (404) and what she adds lands in
//! `default`, never in `wsb`.
//!
//! Every cell acts on targets of its own: each (actor, surface) gets a fresh set,
//! and within a set each action has its own target account or membership.
//!
//! | actor           | 8 account actions, API / page | 9 membership actions, API / page   |
//! | --------------- | ----------------------------- | ---------------------------------- |
//! | instance admin  | done / done                   | 403 people / 403 people            |
//! | admin of wsb    | 403 instance / 403 instance   | done / done                        |
//! | admin of other  | 403 instance / 403 instance   | 403 not a member / 404 (own ws)*   |
//! | member          | 403 instance / 403 instance   | 403 people / 403 people            |
//! | suspended       | 401 / 303 /login              | 403 not a member / 303 /login      |
//! | deactivated     | 401 / 303 /login              | 401 / 303 /login                   |
//!
//! *olga's page: list, add and the two invitations act in `default` (200/303,
//! `wsb` untouched); the five actions on `wsb`'s people answer 404.

mod common;

use access_tokens::auth::authority::ActingAdmin;
use access_tokens::auth::{password, Principal};
use access_tokens::domain::{Password, Role, UserId, Username, WorkspaceId};
use access_tokens::models;
use access_tokens::services::people;
use common::{csrf_token, spawn_app, TestApp, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

/// "This" workspace.
const T: &str = "wsb";
/// Where the accounts invited from outside live: a workspace of no actor's.
const WSC: &str = "wsc";
/// A password that meets the rule, for the initial and the set passwords.
const STRONG: &str = "violet anchor mosaic drift 42";

const INSTANCE: &str = "Only instance admins can manage accounts and see the instance's events.";
const PEOPLE: &str = "Only workspace admins can manage people.";
const NOT_A_MEMBER: &str = "You are not a member of the workspace wsb.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Actor {
    InstanceAdmin,
    ThisAdmin,
    OtherAdmin,
    Member,
    Suspended,
    Deactivated,
}

const ACTORS: [Actor; 6] = [
    Actor::InstanceAdmin,
    Actor::ThisAdmin,
    Actor::OtherAdmin,
    Actor::Member,
    Actor::Suspended,
    Actor::Deactivated,
];

impl Actor {
    fn name(self) -> &'static str {
        match self {
            Actor::InstanceAdmin => "iris",
            Actor::ThisAdmin => "bob",
            Actor::OtherAdmin => "olga",
            Actor::Member => "mia",
            Actor::Suspended => "sam",
            Actor::Deactivated => "gus",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    // Accounts (the instance's).
    ListAccounts,
    ReadAccount,
    Deactivate,
    Reactivate,
    SetPassword,
    GrantInstanceAdmin,
    RevokeInstanceAdmin,
    WithdrawAnyInvitation,
    // Memberships of `wsb`.
    ListMembers,
    AddWithPassword,
    InviteNewName,
    InviteExisting,
    ChangeRole,
    Suspend,
    Restore,
    Remove,
    WithdrawInvitation,
}

const ACTIONS: [Action; 17] = [
    Action::ListAccounts,
    Action::ReadAccount,
    Action::Deactivate,
    Action::Reactivate,
    Action::SetPassword,
    Action::GrantInstanceAdmin,
    Action::RevokeInstanceAdmin,
    Action::WithdrawAnyInvitation,
    Action::ListMembers,
    Action::AddWithPassword,
    Action::InviteNewName,
    Action::InviteExisting,
    Action::ChangeRole,
    Action::Suspend,
    Action::Restore,
    Action::Remove,
    Action::WithdrawInvitation,
];

impl Action {
    fn on_accounts(self) -> bool {
        matches!(
            self,
            Action::ListAccounts
                | Action::ReadAccount
                | Action::Deactivate
                | Action::Reactivate
                | Action::SetPassword
                | Action::GrantInstanceAdmin
                | Action::RevokeInstanceAdmin
                | Action::WithdrawAnyInvitation
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    Page,
    Api,
}

/// What must happen in a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Allowed: the action's success answer, and its change is in the database.
    Done,
    /// 403 with this reason: the API's `AccessControlException`, the 403 page.
    Refused(&'static str),
    /// API 401 `UnauthorizedException`.
    Unauthenticated,
    /// Page: back to the sign-in page (303 to /login).
    SignedOut,
    /// Page: the actor acts in their own workspace, where `wsb`'s ids are 404.
    NotFound,
    /// Page: the actor acts in their own workspace (`default`): a list of its own
    /// people, an addition there; `wsb` is not touched.
    InOwnWorkspace,
}

fn expected(actor: Actor, action: Action, surface: Surface) -> Outcome {
    use Outcome::*;
    let accounts = action.on_accounts();
    match (actor, surface) {
        // A token from before the deactivation: refused at once.
        (Actor::Deactivated, Surface::Api) => Unauthenticated,
        // A browser from before: its session ended with the account (gus) or with
        // the only membership it could act in (sam).
        (Actor::Deactivated | Actor::Suspended, Surface::Page) => SignedOut,
        // sam's password is right, but he has no active workspace left: without
        // `X-Workspace` there is none to act in (the same 401 as a wrong
        // password); naming wsb, he is told he is not (no longer) a member.
        (Actor::Suspended, Surface::Api) if accounts => Unauthenticated,
        (Actor::Suspended, Surface::Api) => Refused(NOT_A_MEMBER),
        (Actor::InstanceAdmin, _) if accounts => Done,
        (Actor::InstanceAdmin, _) => Refused(PEOPLE),
        (Actor::ThisAdmin, _) if accounts => Refused(INSTANCE),
        (Actor::ThisAdmin, _) => Done,
        (Actor::Member, _) if accounts => Refused(INSTANCE),
        (Actor::Member, _) => Refused(PEOPLE),
        (Actor::OtherAdmin, _) if accounts => Refused(INSTANCE),
        (Actor::OtherAdmin, Surface::Api) => Refused(NOT_A_MEMBER),
        (Actor::OtherAdmin, Surface::Page) => match action {
            Action::ListMembers
            | Action::AddWithPassword
            | Action::InviteNewName
            | Action::InviteExisting => InOwnWorkspace,
            _ => NotFound,
        },
    }
}

// ---------------------------------------------------------------------------
// The world
// ---------------------------------------------------------------------------

struct World {
    app: TestApp,
    /// The hash of [`PASSWORD`], made once (hashing is slow on purpose).
    hash: String,
    wsb: WorkspaceId,
    default: WorkspaceId,
    wsc: WorkspaceId,
    /// bob's and olga's proofs, to lay out targets through the real use cases.
    bob: ActingAdmin,
    olga: ActingAdmin,
    /// gus's token, made before he was deactivated.
    gus_token: String,
    /// Browsers signed in before the suspension / deactivation.
    sam_browser: reqwest::Client,
    gus_browser: reqwest::Client,
}

fn create(app: &TestApp, hash: &str, name: &str, ws: Option<WorkspaceId>, role: Role) -> UserId {
    let mut conn = app.pool.get().unwrap();
    models::user::create_in(
        &mut conn,
        &Username::parse(name).unwrap(),
        hash,
        ws,
        role,
        access_tokens::domain::Timestamp::now(),
    )
    .unwrap()
    .id
}

fn acting(id: UserId, name: &str, ws: WorkspaceId, ws_name: &str) -> ActingAdmin {
    ActingAdmin::check(&Principal {
        user_id: id,
        username: name.to_owned(),
        workspace_id: ws,
        workspace_name: ws_name.to_owned(),
        role: Role::Admin,
    })
    .unwrap()
}

async fn world() -> World {
    let app = spawn_app().await;
    let hash = password::hash(&Password::offered(PASSWORD.to_owned()));
    let (default, wsb, wsc) = {
        let mut conn = app.pool.get().unwrap();
        let default =
            models::workspace::ensure_default(&mut conn, access_tokens::domain::Timestamp::now())
                .unwrap();
        let wsb = models::workspace::create(&mut conn, T, access_tokens::domain::Timestamp::now())
            .unwrap()
            .unwrap();
        let wsc =
            models::workspace::create(&mut conn, WSC, access_tokens::domain::Timestamp::now())
                .unwrap()
                .unwrap();
        (default, wsb, wsc)
    };
    let iris = create(&app, &hash, "iris", None, Role::Member);
    let bob = create(&app, &hash, "bob", Some(wsb), Role::Admin);
    let olga = create(&app, &hash, "olga", None, Role::Admin);
    create(&app, &hash, "mia", Some(wsb), Role::Member);
    let sam = create(&app, &hash, "sam", Some(wsb), Role::Admin);
    let gus = create(&app, &hash, "gus", Some(wsb), Role::Admin);
    {
        let mut conn = app.pool.get().unwrap();
        models::workspace::add_member(
            &mut conn,
            wsb,
            iris,
            Role::Member,
            access_tokens::domain::Timestamp::now(),
        )
        .unwrap();
        models::user::set_instance_admin(&mut conn, iris, true).unwrap();
        models::user::set_instance_admin(&mut conn, gus, true).unwrap();
    }
    let bob = acting(bob, "bob", wsb, T);
    let olga = acting(olga, "olga", default, "default");

    // gus and sam, before they lose their standing: a token, signed-in browsers.
    let gus_token = app.token_value("gus", PASSWORD).await;
    let gus_browser = app.browser_client();
    assert_eq!(
        app.sign_in(&gus_browser, "gus", PASSWORD).await.status(),
        303
    );
    let sam_browser = app.browser_client();
    assert_eq!(
        app.sign_in(&sam_browser, "sam", PASSWORD).await.status(),
        303
    );
    for browser in [&gus_browser, &sam_browser] {
        let page = browser.get(app.url("/admin/people")).send().await.unwrap();
        assert_eq!(page.status(), 200, "an admin of wsb before");
    }
    // bob suspends sam in wsb; iris deactivates gus: the real ways.
    people::set_suspended(
        &app.pool,
        &bob,
        None,
        sam,
        true,
        access_tokens::domain::Timestamp::now(),
    )
    .await
    .unwrap();
    let deactivated = app
        .api_client()
        .patch(app.url(&format!("/v4/accounts/{gus}")))
        .basic_auth("iris", Some(PASSWORD))
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(deactivated.status(), 200);

    let w = World {
        app,
        hash,
        wsb,
        default,
        wsc,
        bob,
        olga,
        gus_token,
        sam_browser,
        gus_browser,
    };
    // Both stop at once (within a second on every instance; here, one).
    let start = std::time::Instant::now();
    loop {
        let token = w
            .app
            .api_client()
            .get(w.app.url("/v4/apiAccessTokens"))
            .bearer_auth(&w.gus_token)
            .send()
            .await
            .unwrap()
            .status();
        if token == 401 || start.elapsed() > std::time::Duration::from_secs(1) {
            assert_eq!(token, 401, "gus's token stops");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    for browser in [&w.gus_browser, &w.sam_browser] {
        let page = browser
            .get(w.app.url("/admin/people"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 303, "signed out");
        assert_eq!(page.headers()["location"], "/login");
    }
    w
}

/// One cell's targets: one per action, so that cells do not interfere.
struct Targets {
    /// Listed and read (an active member of `default`); deactivated.
    deactivate: Target,
    /// A deactivated member of `default`.
    reactivate: Target,
    /// A member of `default` whose password is set, and its session epoch before.
    password: Target,
    password_epoch: i64,
    /// A member of `default`, made instance admin.
    grant: Target,
    /// An instance admin (a member of `default`), who stops being one.
    revoke: Target,
    /// A new name invited to `default` by its admin: an instance admin withdraws
    /// any workspace's invitation.
    any_invitation: Target,
    /// A member of `wsb`: listed there, and made an admin.
    role: Target,
    /// A member of `wsb`, suspended.
    suspend: Target,
    /// A suspended member of `wsb`, restored.
    restore: Target,
    /// A member of `wsb`, removed.
    remove: Target,
    /// A new name invited to `wsb`, withdrawn.
    invitation: Target,
    /// An account of `wsc` only, invited to `wsb`.
    outsider: Target,
    /// New names: added with an initial password, and invited with a link.
    new_with_password: String,
    new_invited: String,
}

#[derive(Clone)]
struct Target {
    id: UserId,
    name: String,
}

async fn targets(w: &World, cell: &str) -> Targets {
    let app = &w.app;
    let mk = |what: &str, ws: Option<WorkspaceId>| {
        let name = format!("{what}-{cell}");
        let id = create(app, &w.hash, &name, ws, Role::Member);
        Target { id, name }
    };
    let deactivate = mk("deact", None);
    let reactivate = mk("react", None);
    let password = mk("pw", None);
    let grant = mk("grant", None);
    let revoke = mk("revoke", None);
    let role = mk("role", Some(w.wsb));
    let suspend = mk("susp", Some(w.wsb));
    let restore = mk("rest", Some(w.wsb));
    let remove = mk("rm", Some(w.wsb));
    let outsider = mk("out", Some(w.wsc));
    {
        let mut conn = app.pool.get().unwrap();
        models::user::set_active(
            &mut conn,
            reactivate.id,
            false,
            access_tokens::domain::Timestamp::now(),
        )
        .unwrap();
        models::user::set_instance_admin(&mut conn, revoke.id, true).unwrap();
    }
    people::set_suspended(
        &app.pool,
        &w.bob,
        None,
        restore.id,
        true,
        access_tokens::domain::Timestamp::now(),
    )
    .await
    .unwrap();
    let invite = |admin: &ActingAdmin, what: &str| {
        let name = format!("{what}-{cell}");
        let admin = admin.clone();
        async move {
            let added = people::add(
                &app.pool,
                &admin,
                None,
                Username::parse(&name).unwrap(),
                Role::Member,
                people::Onboarding::Invite,
                false,
                access_tokens::domain::Timestamp::now(),
            )
            .await
            .unwrap();
            assert!(added.invite.is_some());
            Target {
                id: added.member.user_id,
                name,
            }
        }
    };
    let any_invitation = invite(&w.olga, "ainv").await;
    let invitation = invite(&w.bob, "inv").await;
    let password_epoch = account(app, &password.name).unwrap().epoch;
    Targets {
        deactivate,
        reactivate,
        password,
        password_epoch,
        grant,
        revoke,
        any_invitation,
        role,
        suspend,
        restore,
        remove,
        invitation,
        outsider,
        new_with_password: format!("addpw-{cell}"),
        new_invited: format!("addinv-{cell}"),
    }
}

// ---------------------------------------------------------------------------
// Reading the database
// ---------------------------------------------------------------------------

/// A `users` row as the snapshot reads it: id, name, password hash, deactivated
/// at, session epoch, instance admin, password must change.
type UserRow = (String, String, String, Option<i64>, i64, bool, bool);

/// Every row an account or membership action could change, as text: accounts
/// (with their password hash, session epoch and roles), memberships, invitations
/// (and their links) and access tokens. Not the audit log, sessions or
/// `last_used_at`, which a refused request may touch.
fn snapshot(app: &TestApp) -> Vec<String> {
    use access_tokens::db::schema::{
        api_tokens, invites, membership_invitations, memberships, users,
    };
    use diesel::prelude::*;
    let mut conn = app.pool.get().unwrap();
    let mut rows = Vec::new();
    let accounts: Vec<UserRow> = users::table
        .select((
            users::id,
            users::username,
            users::password_hash,
            users::deactivated_at,
            users::session_epoch,
            users::instance_admin,
            users::password_must_change,
        ))
        .order(users::id)
        .load(&mut *conn)
        .unwrap();
    rows.extend(accounts.iter().map(|r| format!("user {r:?}")));
    let members: Vec<(String, String, String, Option<i64>)> = memberships::table
        .select((
            memberships::workspace_id,
            memberships::user_id,
            memberships::role,
            memberships::suspended_at,
        ))
        .order((memberships::workspace_id, memberships::user_id))
        .load(&mut *conn)
        .unwrap();
    rows.extend(members.iter().map(|r| format!("membership {r:?}")));
    let invited: Vec<(String, String, String, i64)> = membership_invitations::table
        .select((
            membership_invitations::workspace_id,
            membership_invitations::user_id,
            membership_invitations::role,
            membership_invitations::expires_at,
        ))
        .order((
            membership_invitations::workspace_id,
            membership_invitations::user_id,
        ))
        .load(&mut *conn)
        .unwrap();
    rows.extend(invited.iter().map(|r| format!("invitation {r:?}")));
    let links: Vec<(String, String, String, Option<i64>)> = invites::table
        .select((
            invites::id,
            invites::workspace_id,
            invites::user_id,
            invites::used_at,
        ))
        .order(invites::id)
        .load(&mut *conn)
        .unwrap();
    rows.extend(links.iter().map(|r| format!("link {r:?}")));
    let tokens: Vec<(String, String, String)> = api_tokens::table
        .select((
            api_tokens::id,
            api_tokens::user_id,
            api_tokens::workspace_id,
        ))
        .order(api_tokens::id)
        .load(&mut *conn)
        .unwrap();
    rows.extend(tokens.iter().map(|r| format!("token {r:?}")));
    rows
}

/// The rows that differ between two snapshots: "- row" gone, "+ row" new.
fn changed(before: &[String], after: &[String]) -> Vec<String> {
    let gone = before
        .iter()
        .filter(|r| !after.contains(r))
        .map(|r| format!("- {r}"));
    let new = after
        .iter()
        .filter(|r| !before.contains(r))
        .map(|r| format!("+ {r}"));
    gone.chain(new).collect()
}

/// The rows of `snapshot` that belong to workspace `ws`.
fn workspace_rows(rows: &[String], ws: WorkspaceId) -> Vec<String> {
    let ws = ws.to_string();
    rows.iter()
        .filter(|r| !r.starts_with("user ") && r.contains(&ws))
        .cloned()
        .collect()
}

struct Account {
    id: UserId,
    hash: String,
    active: bool,
    instance_admin: bool,
    must_change: bool,
    epoch: i64,
}

fn account(app: &TestApp, name: &str) -> Option<Account> {
    let mut conn = app.pool.get().unwrap();
    let user = models::user::find_by_username(&mut conn, name).unwrap()?;
    let must_change = models::user::password_must_change(&mut conn, user.id).unwrap();
    Some(Account {
        id: user.id,
        active: user.is_active(),
        hash: user.password_hash,
        instance_admin: user.instance_admin,
        must_change,
        epoch: user.session_epoch,
    })
}

/// `user`'s membership of `ws`: (role, suspended).
fn membership(app: &TestApp, ws: WorkspaceId, user: UserId) -> Option<(String, bool)> {
    use access_tokens::db::schema::memberships;
    use diesel::prelude::*;
    let mut conn = app.pool.get().unwrap();
    memberships::table
        .filter(memberships::workspace_id.eq(ws.to_string()))
        .filter(memberships::user_id.eq(user.to_string()))
        .select((memberships::role, memberships::suspended_at))
        .first::<(String, Option<i64>)>(&mut *conn)
        .optional()
        .unwrap()
        .map(|(role, suspended)| (role, suspended.is_some()))
}

/// Whether `user` has an unused invitation link to `ws`.
fn open_link(app: &TestApp, ws: WorkspaceId, user: UserId) -> bool {
    use access_tokens::db::schema::invites;
    use diesel::prelude::*;
    let mut conn = app.pool.get().unwrap();
    invites::table
        .filter(invites::workspace_id.eq(ws.to_string()))
        .filter(invites::user_id.eq(user.to_string()))
        .filter(invites::used_at.is_null())
        .count()
        .get_result::<i64>(&mut *conn)
        .unwrap()
        == 1
}

/// Whether an existing account is invited to `ws` (and has not answered).
fn invited(app: &TestApp, ws: WorkspaceId, user: UserId) -> bool {
    use access_tokens::db::schema::membership_invitations as mi;
    use diesel::prelude::*;
    let mut conn = app.pool.get().unwrap();
    mi::table
        .filter(mi::workspace_id.eq(ws.to_string()))
        .filter(mi::user_id.eq(user.to_string()))
        .count()
        .get_result::<i64>(&mut *conn)
        .unwrap()
        == 1
}

// ---------------------------------------------------------------------------
// Acting
// ---------------------------------------------------------------------------

struct Answer {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Answer {
    async fn of(response: reqwest::Response) -> Self {
        Answer {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned()),
            body: response.text().await.unwrap(),
        }
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// The API call of `action`: method, path and body.
fn api_call(w: &World, action: Action, t: &Targets) -> (Method, String, Option<Value>) {
    use Action::*;
    let account = |who: &Target| format!("/v4/accounts/{}", who.id);
    let member = |who: &Target| format!("/v4/workspaceMembers/{}", who.id);
    let members = "/v4/workspaceMembers".to_owned();
    match action {
        ListAccounts => (Method::GET, "/v4/accounts".into(), None),
        ReadAccount => (Method::GET, account(&t.deactivate), None),
        Deactivate => (
            Method::PATCH,
            account(&t.deactivate),
            Some(json!({"active": false})),
        ),
        Reactivate => (
            Method::PATCH,
            account(&t.reactivate),
            Some(json!({"active": true})),
        ),
        SetPassword => (
            Method::PATCH,
            account(&t.password),
            Some(json!({"password": STRONG})),
        ),
        GrantInstanceAdmin => (
            Method::PATCH,
            account(&t.grant),
            Some(json!({"instanceAdmin": true})),
        ),
        RevokeInstanceAdmin => (
            Method::PATCH,
            account(&t.revoke),
            Some(json!({"instanceAdmin": false})),
        ),
        WithdrawAnyInvitation => (
            Method::DELETE,
            format!(
                "/v4/accounts/{}/invitations/{}",
                t.any_invitation.id, w.default
            ),
            None,
        ),
        ListMembers => (Method::GET, members, None),
        AddWithPassword => (
            Method::POST,
            members,
            Some(json!({"username": t.new_with_password, "role": "member", "password": STRONG})),
        ),
        InviteNewName => (
            Method::POST,
            members,
            Some(json!({"username": t.new_invited, "role": "member"})),
        ),
        InviteExisting => (
            Method::POST,
            members,
            Some(json!({"username": t.outsider.name, "role": "member", "invite": true})),
        ),
        ChangeRole => (
            Method::PATCH,
            member(&t.role),
            Some(json!({"role": "admin"})),
        ),
        Suspend => (
            Method::PATCH,
            member(&t.suspend),
            Some(json!({"active": false})),
        ),
        Restore => (
            Method::PATCH,
            member(&t.restore),
            Some(json!({"active": true})),
        ),
        Remove => (Method::DELETE, member(&t.remove), None),
        WithdrawInvitation => (Method::DELETE, member(&t.invitation), None),
    }
}

async fn through_api(w: &World, actor: Actor, action: Action, t: &Targets) -> Answer {
    let (method, path, body) = api_call(w, action, t);
    let mut request = w.app.api_client().request(method, w.app.url(&path));
    request = if actor == Actor::Deactivated {
        request.bearer_auth(&w.gus_token)
    } else {
        request.basic_auth(actor.name(), Some(PASSWORD))
    };
    if !action.on_accounts() {
        request = request.header("X-Workspace", T);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    Answer::of(request.send().await.unwrap()).await
}

/// The page request of `action`: GET (no form) or POST with these fields.
fn page_call(
    w: &World,
    action: Action,
    t: &Targets,
) -> (Method, String, Vec<(&'static str, String)>) {
    use Action::*;
    let account = |who: &Target, what: &str| format!("/instance/accounts/{}/{what}", who.id);
    let person = |who: &Target, what: &str| format!("/admin/people/{}/{what}", who.id);
    let people = "/admin/people".to_owned();
    let member = || ("role", "member".to_owned());
    match action {
        ListAccounts => (Method::GET, "/instance/accounts".into(), vec![]),
        // The page that shows one account: "Deactivate account" asks first.
        ReadAccount => (Method::GET, account(&t.deactivate, "deactivate"), vec![]),
        Deactivate => (Method::POST, account(&t.deactivate, "deactivate"), vec![]),
        Reactivate => (Method::POST, account(&t.reactivate, "reactivate"), vec![]),
        SetPassword => (
            Method::POST,
            account(&t.password, "password"),
            vec![
                ("new_password", STRONG.into()),
                ("confirm_password", STRONG.into()),
            ],
        ),
        GrantInstanceAdmin => (
            Method::POST,
            account(&t.grant, "grant-instance-admin"),
            vec![],
        ),
        RevokeInstanceAdmin => (
            Method::POST,
            account(&t.revoke, "revoke-instance-admin"),
            vec![],
        ),
        WithdrawAnyInvitation => (
            Method::POST,
            format!(
                "/instance/accounts/{}/invitations/{}/withdraw",
                t.any_invitation.id, w.default
            ),
            vec![],
        ),
        ListMembers => (Method::GET, people, vec![]),
        AddWithPassword => (
            Method::POST,
            people,
            vec![
                ("username", t.new_with_password.clone()),
                member(),
                ("onboarding", "password".into()),
                ("password", STRONG.into()),
            ],
        ),
        InviteNewName => (
            Method::POST,
            people,
            vec![
                ("username", t.new_invited.clone()),
                member(),
                ("onboarding", "invite".into()),
            ],
        ),
        InviteExisting => (
            Method::POST,
            people,
            vec![
                ("username", t.outsider.name.clone()),
                member(),
                ("invite", "true".into()),
            ],
        ),
        ChangeRole => (
            Method::POST,
            person(&t.role, "role"),
            vec![("role", "admin".into())],
        ),
        Suspend => (
            Method::POST,
            person(&t.suspend, "active"),
            vec![("active", "false".into())],
        ),
        Restore => (
            Method::POST,
            person(&t.restore, "active"),
            vec![("active", "true".into())],
        ),
        Remove => (Method::POST, person(&t.remove, "remove"), vec![]),
        WithdrawInvitation => (Method::POST, person(&t.invitation, "remove"), vec![]),
    }
}

async fn through_page(w: &World, browser: &reqwest::Client, action: Action, t: &Targets) -> Answer {
    let (method, path, fields) = page_call(w, action, t);
    let request = if method == Method::GET {
        browser.get(w.app.url(&path))
    } else {
        // This session's CSRF token, so that a refusal is about who acts; a
        // signed-out browser has none to send.
        let html = w.app.html(browser, "/preferences/password").await;
        let csrf = if html.contains("csrf_token") {
            csrf_token(&html)
        } else {
            "none".to_owned()
        };
        let mut form = vec![("csrf_token", csrf)];
        form.extend(fields);
        browser.post(w.app.url(&path)).form(&form)
    };
    Answer::of(request.send().await.unwrap()).await
}

/// A browser for `actor`, acting in wsb if they may; gus's and sam's are the ones
/// signed in before.
async fn browser_for(w: &World, actor: Actor) -> reqwest::Client {
    match actor {
        Actor::Suspended => return w.sam_browser.clone(),
        Actor::Deactivated => return w.gus_browser.clone(),
        _ => {}
    }
    let browser = w.app.browser_client();
    let signed_in = w.app.sign_in(&browser, actor.name(), PASSWORD).await;
    assert_eq!(signed_in.status(), 303, "{actor:?} signs in");
    let html = w.app.html(&browser, "/preferences/password").await;
    let switched = browser
        .post(w.app.url("/workspace"))
        .form(&[
            ("csrf_token", csrf_token(&html)),
            ("workspace", w.wsb.to_string()),
        ])
        .send()
        .await
        .unwrap();
    let status = switched.status().as_u16();
    if actor == Actor::OtherAdmin {
        assert_eq!(status, 400, "olga cannot act in wsb");
        assert!(switched
            .text()
            .await
            .unwrap()
            .contains("You are not a member of that workspace."));
    } else {
        assert_eq!(status, 303, "{actor:?} switches to wsb");
    }
    let html = w.app.html(&browser, "/preferences/password").await;
    let acting_in = if actor == Actor::OtherAdmin {
        "default"
    } else {
        T
    };
    assert!(
        html.contains(&format!(
            r#"<strong id="current-workspace">{acting_in}</strong>"#
        )),
        "{actor:?} acts in {acting_in}"
    );
    browser
}

// ---------------------------------------------------------------------------
// Checking a cell
// ---------------------------------------------------------------------------

/// The success answer of an allowed action.
fn done_status(action: Action, surface: Surface) -> u16 {
    use Action::*;
    match surface {
        Surface::Api => match action {
            AddWithPassword | InviteNewName | InviteExisting => 201,
            WithdrawAnyInvitation | Remove | WithdrawInvitation => 204,
            _ => 200,
        },
        Surface::Page => match action {
            // The lists, the page that asks first, and the one answer that
            // shows the invitation link (shown only there).
            ListAccounts | ReadAccount | ListMembers | InviteNewName => 200,
            _ => 303,
        },
    }
}

/// One cell as it was played.
struct Cell<'a> {
    name: String,
    action: Action,
    surface: Surface,
    targets: &'a Targets,
    answer: Answer,
    /// The database before it.
    before: Vec<String>,
}

/// An allowed action: its answer says so, and its change is in the database. `ws`
/// is where membership actions land (wsb, or olga's own `default`).
fn check_done(w: &World, c: &Cell<'_>, ws: WorkspaceId) {
    use Action::*;
    let app = &w.app;
    let (cell, action, surface, t, answer) = (&c.name, c.action, c.surface, c.targets, &c.answer);
    let before = c.before.as_slice();
    let want = done_status(action, surface);
    assert_eq!(answer.status, want, "{cell}: {}", answer.body);
    if want == 303 {
        let back = if action.on_accounts() {
            "/instance/accounts"
        } else {
            "/admin/people"
        };
        assert_eq!(answer.location.as_deref(), Some(back), "{cell}");
    }
    let json = answer.json();
    let listed = |name: &str| match surface {
        Surface::Api => json["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["username"] == name),
        Surface::Page => answer.body.contains(name),
    };
    match action {
        ListAccounts => {
            assert!(listed(&t.deactivate.name), "{cell}");
            assert!(listed(&t.role.name), "{cell}: every account");
        }
        ReadAccount => {
            match surface {
                Surface::Api => {
                    assert_eq!(json["username"], t.deactivate.name.as_str(), "{cell}");
                    assert_eq!(json["active"], true, "{cell}");
                }
                Surface::Page => assert!(answer.body.contains(&t.deactivate.name), "{cell}"),
            }
            assert_eq!(
                changed(before, &snapshot(app)),
                Vec::<String>::new(),
                "{cell}: reading changed nothing"
            );
        }
        Deactivate => assert!(!account(app, &t.deactivate.name).unwrap().active, "{cell}"),
        Reactivate => assert!(account(app, &t.reactivate.name).unwrap().active, "{cell}"),
        SetPassword => {
            let now = account(app, &t.password.name).unwrap();
            assert_ne!(now.hash, w.hash, "{cell}: a new password");
            assert!(
                now.must_change,
                "{cell}: to be changed at the first sign-in"
            );
            assert!(
                now.epoch > t.password_epoch,
                "{cell}: the account's sessions end"
            );
        }
        GrantInstanceAdmin => assert!(
            account(app, &t.grant.name).unwrap().instance_admin,
            "{cell}"
        ),
        RevokeInstanceAdmin => assert!(
            !account(app, &t.revoke.name).unwrap().instance_admin,
            "{cell}"
        ),
        WithdrawAnyInvitation => {
            assert!(
                account(app, &t.any_invitation.name).is_none(),
                "{cell}: the reserved name is free, no account left"
            );
            assert!(!open_link(app, w.default, t.any_invitation.id), "{cell}");
        }
        ListMembers => {
            if ws == w.wsb {
                assert!(listed(&t.role.name), "{cell}");
            } else {
                // olga's own workspace: its people, none of wsb's.
                assert!(listed(&t.deactivate.name), "{cell}");
                assert!(!listed(&t.role.name), "{cell}: nothing of wsb's");
            }
            assert_eq!(
                changed(before, &snapshot(app)),
                Vec::<String>::new(),
                "{cell}: listing changed nothing"
            );
        }
        AddWithPassword => {
            let added = account(app, &t.new_with_password).expect("added");
            assert_eq!(
                membership(app, ws, added.id),
                Some(("member".into(), false)),
                "{cell}"
            );
            assert!(added.active && added.must_change, "{cell}");
            if surface == Surface::Api {
                assert_eq!(json["existingUser"], false, "{cell}: {json}");
            }
        }
        InviteNewName => {
            // A new name is reserved at once: an account with no password yet,
            // a membership that shows as invited, and the one-time link.
            let placeholder = account(app, &t.new_invited).expect("reserved");
            assert!(placeholder.hash.is_empty(), "{cell}: no password yet");
            assert_eq!(
                membership(app, ws, placeholder.id),
                Some(("member".into(), false)),
                "{cell}"
            );
            assert!(open_link(app, ws, placeholder.id), "{cell}");
            match surface {
                Surface::Api => assert!(
                    json["inviteUrl"]
                        .as_str()
                        .is_some_and(|u| u.starts_with(&format!("{}/invite/", app.address))),
                    "{cell}: {json}"
                ),
                Surface::Page => assert!(answer.body.contains("/invite/"), "{cell}: the link"),
            }
        }
        InviteExisting => {
            let outsider = account(app, &t.outsider.name).unwrap();
            assert!(invited(app, ws, outsider.id), "{cell}");
            assert_eq!(membership(app, ws, outsider.id), None, "{cell}: not yet");
            assert_eq!(outsider.hash, w.hash, "{cell}: its password untouched");
            if surface == Surface::Api {
                assert_eq!(json["existingUser"], true, "{cell}: {json}");
            }
        }
        ChangeRole => assert_eq!(
            membership(app, ws, t.role.id),
            Some(("admin".into(), false)),
            "{cell}"
        ),
        Suspend => assert_eq!(
            membership(app, ws, t.suspend.id),
            Some(("member".into(), true)),
            "{cell}"
        ),
        Restore => assert_eq!(
            membership(app, ws, t.restore.id),
            Some(("member".into(), false)),
            "{cell}"
        ),
        Remove => {
            assert_eq!(membership(app, ws, t.remove.id), None, "{cell}");
            assert!(
                account(app, &t.remove.name).unwrap().active,
                "{cell}: the account stays"
            );
        }
        WithdrawInvitation => {
            assert!(
                account(app, &t.invitation.name).is_none(),
                "{cell}: the reserved name is free, no account left"
            );
            assert_eq!(membership(app, ws, t.invitation.id), None, "{cell}");
            assert!(
                !open_link(app, ws, t.invitation.id),
                "{cell}: the link is gone"
            );
        }
    }
    if !action.on_accounts() && ws != w.wsb {
        // Landed in olga's own workspace: wsb is not touched.
        assert_eq!(
            changed(
                &workspace_rows(before, w.wsb),
                &workspace_rows(&snapshot(app), w.wsb)
            ),
            Vec::<String>::new(),
            "{cell}: wsb unchanged"
        );
    }
}

/// A refused cell: its answer, and not one row changed.
fn check_refused(c: &Cell<'_>, outcome: Outcome, after: &[String]) {
    let (cell, answer) = (&c.name, &c.answer);
    match (outcome, c.surface) {
        (Outcome::Refused(message), Surface::Api) => {
            assert_eq!(answer.status, 403, "{cell}: {}", answer.body);
            let json = answer.json();
            assert_eq!(
                json["exception"]["name"], "AccessControlException",
                "{cell}"
            );
            assert_eq!(json["exception"]["message"], message, "{cell}");
        }
        (Outcome::Refused(message), Surface::Page) => {
            assert_eq!(answer.status, 403, "{cell}");
            // The page escapes the apostrophe: compare up to it.
            let shown = message.split('\'').next().unwrap();
            assert!(answer.body.contains(shown), "{cell}: {}", answer.body);
        }
        (Outcome::Unauthenticated, Surface::Api) => {
            assert_eq!(answer.status, 401, "{cell}: {}", answer.body);
            assert_eq!(
                answer.json()["exception"]["name"],
                "UnauthorizedException",
                "{cell}"
            );
        }
        (Outcome::SignedOut, Surface::Page) => {
            assert_eq!(answer.status, 303, "{cell}");
            assert_eq!(answer.location.as_deref(), Some("/login"), "{cell}");
        }
        (Outcome::NotFound, Surface::Page) => assert_eq!(answer.status, 404, "{cell}"),
        other => unreachable!("{cell}: {other:?}"),
    }
    assert_eq!(
        changed(&c.before, after),
        Vec::<String>::new(),
        "{cell}: a refusal changed nothing"
    );
}

async fn matrix(surface: Surface) {
    let w = world().await;
    let mut cells = 0;
    for actor in ACTORS {
        let t = targets(&w, &format!("{actor:?}").to_lowercase()).await;
        let browser = match surface {
            Surface::Page => Some(browser_for(&w, actor).await),
            Surface::Api => None,
        };
        for action in ACTIONS {
            let cell = format!("{surface:?} × {actor:?} × {action:?}");
            let before = snapshot(&w.app);
            let answer = match &browser {
                Some(browser) => through_page(&w, browser, action, &t).await,
                None => through_api(&w, actor, action, &t).await,
            };
            let played = Cell {
                name: cell,
                action,
                surface,
                targets: &t,
                answer,
                before,
            };
            match expected(actor, action, surface) {
                Outcome::Done => check_done(&w, &played, w.wsb),
                Outcome::InOwnWorkspace => check_done(&w, &played, w.default),
                refusal => {
                    let after = snapshot(&w.app);
                    check_refused(&played, refusal, &after);
                }
            }
            cells += 1;
        }
    }
    assert_eq!(cells, ACTORS.len() * ACTIONS.len());
    // Nothing brought gus or sam back.
    assert!(!account(&w.app, "gus").unwrap().active);
    assert_eq!(
        membership(&w.app, w.wsb, account(&w.app, "sam").unwrap().id),
        Some(("admin".into(), true))
    );
}

#[actix_web::test]
async fn every_account_and_membership_cell_on_the_api() {
    matrix(Surface::Api).await;
}

#[actix_web::test]
async fn every_account_and_membership_cell_on_the_pages() {
    matrix(Surface::Page).await;
}
