//! Fills a fresh database with users and legacy access tokens for `bench/run.sh`,
//! through the library's own models, and prints the one token the load uses.
//!
//! Every token is made as the API makes one (`tokens::create`): the workspace policy
//! checked for the owner's role and lifetime, the row inserted by `token::insert`, a
//! `token.created` audit event beside it. Only the transaction size differs: many
//! tokens per transaction instead of one, so 100,000 take seconds, not minutes.
//!
//! The workspace defines the service scopes `deploy` and `reports:read`, open to
//! members, and the bench user's second token carries both (instead of `api`): the
//! token `verify-scoped` presents. Made here rather than through the running
//! server, so the server's memory under load is not also that of an admin's
//! Workspace Settings call (which reads every live token of the workspace).
//!
//! A second member, `bench-page`, holds 50 tokens: the Access Tokens page the
//! `page` case renders, signed in as them.
//!
//! Standard output is five `KEY=value` lines (`BENCH_USER`, `BENCH_PAGE_USER`,
//! `BENCH_PASSWORD` (both users'), `BENCH_TOKEN`, `BENCH_SCOPED_TOKEN`), the only
//! secrets it prints; progress goes to standard error.

use std::time::Instant;

use anyhow::{ensure, Context};
use clap::Parser;
use diesel::Connection;

use access_tokens::auth::{password, Principal};
use access_tokens::db::{self, Conn, DatabaseUrl};
use access_tokens::domain::policy::TokenPolicy;
use access_tokens::domain::scope::{ScopeSet, ServiceScopes};
use access_tokens::domain::{
    Description, Lifetime, Password, Role, Timestamp, TokenId, TokenSecret, TokenValue, Username,
};
use access_tokens::models::audit;
use access_tokens::models::token::{self, NewToken};
use access_tokens::models::{user, workspace};

/// Seeds users and legacy access tokens into an empty database.
#[derive(Parser)]
struct Args {
    /// The database: a SQLite file or a `postgres://` URL (migrated here).
    #[arg(long, env = "ACCESS_TOKENS_DATABASE", hide_env_values = true)]
    database: DatabaseUrl,
    /// Tokens in all.
    #[arg(long, default_value_t = 100_000)]
    tokens: u32,
    /// Users who share them (besides the bench user).
    #[arg(long, default_value_t = 100)]
    users: u32,
    /// Tokens of the bench user, whose token list `GET /v4/apiAccessTokens` returns:
    /// a handful, as a person or script usually holds, not a thousandth of the table.
    #[arg(long, default_value_t = 10)]
    own_tokens: u32,
    /// Tokens of the page user (`bench-page`), whose Access Tokens page the `page`
    /// case renders: a page of them, as Preferences > Access Tokens shows 50.
    #[arg(long, default_value_t = 50)]
    page_tokens: u32,
    /// Tokens per transaction.
    #[arg(long, default_value_t = 5_000)]
    batch: usize,
}

/// The workspace's service scopes, all of them on the scoped token.
const SERVICE_SCOPES: [&str; 2] = ["deploy", "reports:read"];

/// Every seeded token lives a year: valid, and within any default policy.
const LIFETIME: Lifetime = Lifetime::Seconds(365 * 86_400);

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ensure!(
        args.own_tokens >= 2,
        "the bench user needs two tokens (one with service scopes)"
    );
    ensure!(
        args.tokens >= args.own_tokens + args.page_tokens,
        "--tokens below --own-tokens plus --page-tokens"
    );
    ensure!(
        args.users >= 1 || args.tokens == args.own_tokens + args.page_tokens,
        "no users for the rest"
    );
    let started = Instant::now();
    let pool = db::open(&args.database).context("opening the database")?;
    let mut conn = pool.get()?;
    ensure!(
        user::count(&mut conn)? == 0,
        "the database already has users: seed a fresh one"
    );

    // Members hold the tokens, as in a real workspace, so members must be allowed
    // to generate them: the admin's switch on Workspace Settings.
    let ws = workspace::ensure_default(&mut conn, Timestamp::now())?;
    let policy = TokenPolicy {
        members_may_generate: true,
        ..workspace::policy(&mut conn, ws)?
    };
    workspace::set_policy(&mut conn, ws, &policy)?;
    policy
        .check_generate_legacy(Role::Member, LIFETIME)
        .context("the workspace policy refuses the seeded tokens")?;

    // What an admin's `PATCH /v4/workspaceSettings` with `serviceScopes` and
    // `memberServiceScopes` stores, so that a member may hold them.
    let service = ServiceScopes::parse(&SERVICE_SCOPES, &SERVICE_SCOPES)?;
    workspace::set_service_scopes(&mut conn, ws, &service)?;
    let scoped = ScopeSet::from_stored(Some(&SERVICE_SCOPES.join(" ")));
    ensure!(
        scoped.iter().all(|s| service.member_may_grant(s)),
        "a member may not hold the seeded service scopes"
    );

    // One argon2id hash for every seeded user: hashing is slow on purpose, and
    // only the bench user's password is ever used.
    let secret_password = Password::generate();
    let hash = password::hash(&secret_password);
    let mut owners = Vec::with_capacity(args.users as usize + 1);
    conn.transaction(|conn| {
        for i in 0..=args.users + 1 {
            let name = match i {
                0 => "bench".to_owned(),
                1 => "bench-page".to_owned(),
                i => format!("seed-{:05}", i - 1),
            };
            let name = Username::parse(&name)?;
            let u = user::create_in(conn, &name, &hash, Some(ws), Role::Member, Timestamp::now())?;
            owners.push(Principal {
                user_id: u.id,
                username: u.username,
                workspace_id: ws,
                workspace_name: workspace::DEFAULT_WORKSPACE.to_owned(),
                role: Role::Member,
            });
        }
        Ok::<_, anyhow::Error>(())
    })?;
    eprintln!("seed: {} users in {:?}", owners.len(), started.elapsed());

    let bench = owners[0].clone();
    let mut bench_value = None;
    let mut scoped_value = None;
    let full = ScopeSet::default();
    let mut made = 0u32;
    while made < args.tokens {
        let n = (args.tokens - made).min(args.batch as u32);
        conn.transaction(|conn| {
            for k in made..made + n {
                let owner = owner_of(k, &args, &owners);
                // The bench user's second token is the scoped one.
                let scopes = if k == 1 { &scoped } else { &full };
                let value = insert_token(conn, owner, k, scopes)?;
                match k {
                    0 => bench_value = Some(value),
                    1 => scoped_value = Some(value),
                    _ => {}
                }
            }
            Ok::<_, diesel::result::Error>(())
        })?;
        made += n;
        eprintln!("seed: {made} tokens in {:?}", started.elapsed());
    }
    let value = bench_value.context("no token for the bench user")?;
    let scoped_value = scoped_value.context("no scoped token for the bench user")?;
    println!("BENCH_USER={}", bench.username);
    println!("BENCH_PAGE_USER={}", owners[1].username);
    println!("BENCH_PASSWORD={}", secret_password.expose());
    println!("BENCH_TOKEN={}", value.expose());
    println!("BENCH_SCOPED_TOKEN={}", scoped_value.expose());
    Ok(())
}

/// The first `own_tokens` tokens are the bench user's, the next `page_tokens` the
/// page user's; the rest go round the others.
fn owner_of<'a>(k: u32, args: &Args, owners: &'a [Principal]) -> &'a Principal {
    let first_shared = args.own_tokens + args.page_tokens;
    if k < args.own_tokens {
        &owners[0]
    } else if k < first_shared {
        &owners[1]
    } else {
        &owners[2 + ((k - first_shared) % args.users) as usize]
    }
}

/// One token as `tokens::create` makes it, inside the caller's transaction.
fn insert_token(
    conn: &mut Conn,
    owner: &Principal,
    k: u32,
    scopes: &ScopeSet,
) -> diesel::QueryResult<TokenValue> {
    let id = TokenId::new_random();
    let secret = TokenSecret::generate();
    let created_at = Timestamp::now();
    let description =
        Description::parse_optional(&format!("bench token {k}")).expect("a valid description");
    token::insert(
        conn,
        NewToken {
            id,
            user_id: owner.user_id,
            workspace_id: owner.workspace_id,
            description: description.as_ref(),
            digest: &secret.digest(),
            created_at,
            expires_at: LIFETIME.expiry(created_at),
            scopes,
        },
    )?;
    let Lifetime::Seconds(seconds) = LIFETIME else {
        unreachable!("seeded tokens expire")
    };
    audit::record(
        conn,
        Timestamp::now(),
        audit::Event::by(owner, None, audit::Action::TokenCreated)
            .target_token(id)
            .detail(format!(
                "lifetime {seconds} seconds; scopes {}",
                scopes.to_stored()
            )),
    )?;
    Ok(TokenValue::encode(id, &secret))
}
