//! The command line: `serve`, `user add`, `user passwd`, `user instance-admin` and
//! `workspace add|list`.

use std::io::Read;
use std::num::NonZeroU32;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::auth::password;
use crate::config::{SessionKey, Settings, DEFAULT_BIND, DEFAULT_DATABASE};
use crate::db::{self, DatabaseUrl, DbPool};
use crate::domain::password::PasswordError;
use crate::domain::{Password, Role, Timestamp, Username, WorkspaceName};
use crate::services::accounts::{self, AccountError};
use crate::services::operator;
use crate::shutdown::ShutdownSettings;
use crate::startup::Application;
use crate::telemetry::LogFormat;

/// Self-hosted API access tokens: a web page and a v4 JSON API.
#[derive(Debug, Parser)]
#[command(name = "access-tokens", version, about)]
pub struct Cli {
    /// The database: a SQLite file (created when missing) or a `postgres://` URL.
    /// Migrated on start.
    #[arg(
        long,
        global = true,
        env = "ACCESS_TOKENS_DATABASE",
        // A PostgreSQL URL may carry a password: `--help` must not print it.
        hide_env_values = true,
        default_value = DEFAULT_DATABASE,
        value_name = "PATH|URL"
    )]
    pub database: DatabaseUrl,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the web application and the JSON API.
    Serve(ServeArgs),
    /// Manages users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manages workspaces.
    Workspace {
        #[command(subcommand)]
        command: WorkspaceCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Creates a workspace with an existing user as its first admin (who then adds
    /// people on its People page).
    Add {
        /// The workspace name (letters, digits, '.', '_', '-').
        name: String,
        /// The user who becomes its admin.
        #[arg(long, value_name = "USER")]
        admin: String,
    },
    /// Lists the workspaces with their number of members.
    List,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "ACCESS_TOKENS_BIND", default_value = DEFAULT_BIND, value_name = "ADDR")]
    pub bind: String,

    /// The secret that signs session cookies (at least 32 characters). When unset,
    /// one is generated on first start and kept in the database.
    #[arg(
        long,
        env = "ACCESS_TOKENS_SESSION_KEY",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub session_key: Option<SessionKey>,

    /// Marks the session cookie Secure (set this when serving over HTTPS).
    #[arg(
        long,
        env = "ACCESS_TOKENS_SECURE_COOKIE",
        value_parser = clap::builder::BoolishValueParser::new(),
        num_args = 0..=1,
        default_missing_value = "true",
        default_value = "false"
    )]
    pub secure_cookie: bool,

    /// Turns API tokens (legacy access tokens and OAuth 2.0 API tokens) off for the
    /// whole instance. These routes then answer 404 (as routes that do not exist):
    /// /v4/apiAccessTokens, /v4/oauthTokens, /v4/workspaceAccessTokens,
    /// /v4/workspaceOAuthTokens, /oauth2/token, /oauth2/revoke, /oauth2/introspect
    /// and /.well-known/jwks.json. No Bearer token is accepted, by the API or by
    /// /auth/verify. The token pages (Preferences and Admin > Access Tokens and
    /// OAuth 2.0 API Tokens) and their menu entries are hidden. Signing in with a
    /// password, people, workspace settings and the audit log keep working.
    #[arg(
        long,
        env = "ACCESS_TOKENS_DISABLE_API_ACCESS_TOKENS",
        value_parser = clap::builder::BoolishValueParser::new(),
        num_args = 0..=1,
        default_missing_value = "true",
        default_value = "false"
    )]
    pub disable_api_access_tokens: bool,

    /// How many verified tokens each instance keeps in memory, so that checking
    /// them again needs no database read.
    #[arg(
        long,
        env = "ACCESS_TOKENS_TOKEN_CACHE_SIZE",
        default_value_t = crate::auth::cache::DEFAULT_CAPACITY,
        value_name = "ENTRIES"
    )]
    pub token_cache_size: u64,

    /// How many invalid tokens one address may present in a burst before it is
    /// answered 429 (IPv6: per /64).
    #[arg(
        long,
        env = "ACCESS_TOKENS_INVALID_TOKEN_BURST",
        default_value_t = NonZeroU32::new(crate::auth::invalid_tokens::DEFAULT_BURST).expect("non-zero"),
        value_name = "COUNT"
    )]
    pub invalid_token_burst: NonZeroU32,

    /// How many invalid tokens a second one address is allowed after its burst.
    #[arg(
        long,
        env = "ACCESS_TOKENS_INVALID_TOKEN_RATE",
        default_value_t = NonZeroU32::new(crate::auth::invalid_tokens::DEFAULT_PER_SECOND).expect("non-zero"),
        value_name = "PER_SECOND"
    )]
    pub invalid_token_rate: NonZeroU32,

    /// A proxy (address or CIDR block) whose `X-Forwarded-For` names the client, for
    /// throttling and the audit log; repeat it, or give a comma-separated list. None
    /// by default: the TCP peer is the client.
    #[arg(
        long = "trusted-proxy",
        env = "ACCESS_TOKENS_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = parse_net,
        value_name = "ADDR|CIDR"
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// The address people reach this site at (`https://tokens.example.com`): the
    /// start of the links it shows, such as invitations. When unset, the `Host` the
    /// request names (a forwarded host only from a `--trusted-proxy`).
    #[arg(long, env = "ACCESS_TOKENS_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<crate::config::PublicUrl>,

    /// How log lines are written to standard error: `text`, or `json` (one object
    /// a line, with the request id at the top level). The level comes from
    /// `RUST_LOG` (default `info`).
    #[arg(
        long,
        env = "ACCESS_TOKENS_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text,
        value_name = "FORMAT"
    )]
    pub log_format: LogFormat,

    /// On SIGTERM or SIGINT, how long to keep serving before no longer accepting
    /// connections: `/readyz` answers 503 at once, and every response closes its
    /// connection, so that a load balancer or proxy moves to the other instances
    /// without a failed request. 0 stops accepting at once.
    #[arg(
        long,
        env = "ACCESS_TOKENS_SHUTDOWN_DRAIN_SECONDS",
        default_value_t = crate::shutdown::DEFAULT_DRAIN_SECONDS,
        value_parser = clap::value_parser!(u64).range(0..=crate::shutdown::MAX_SECONDS),
        value_name = "SECONDS"
    )]
    pub shutdown_drain_seconds: u64,

    /// After the drain, how long requests in flight may take before they are cut
    /// and the process exits.
    #[arg(
        long,
        env = "ACCESS_TOKENS_SHUTDOWN_TIMEOUT_SECONDS",
        default_value_t = crate::shutdown::DEFAULT_TIMEOUT_SECONDS,
        value_parser = clap::value_parser!(u64).range(0..=crate::shutdown::MAX_SECONDS),
        value_name = "SECONDS"
    )]
    pub shutdown_timeout_seconds: u64,
}

/// An address (a /32 or /128) or a CIDR block.
fn parse_net(s: &str) -> Result<ipnet::IpNet, String> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{s:?} is not an IP address or CIDR block"))
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Creates a user in the default workspace.
    Add {
        /// The user name (letters, digits, '.', '_', '-', '@').
        name: String,
        /// Makes the user a workspace admin (of the default workspace, or of the one
        /// `--workspace` names).
        #[arg(long)]
        admin: bool,
        /// Makes the user an instance admin: they manage every account
        /// (Instance > Accounts) and see the instance's events.
        #[arg(long)]
        instance_admin: bool,
        /// The workspace to add the user to (default: the default workspace).
        #[arg(long, value_name = "NAME")]
        workspace: Option<String>,
        /// Reads the password from standard input (required).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Changes a user's password. Their access tokens keep working.
    Passwd {
        name: String,
        /// Reads the password from standard input (required).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Grants or takes the instance admin role. The last active instance admin
    /// keeps it.
    InstanceAdmin {
        name: String,
        /// Makes the user an instance admin.
        #[arg(long, conflicts_with = "revoke", required_unless_present = "revoke")]
        grant: bool,
        /// Takes the role away.
        #[arg(long)]
        revoke: bool,
    },
}

/// Exit status of a password refused by the password rule (as for a usage error: the
/// input must change, retrying will not help).
const EXIT_BAD_PASSWORD: u8 = 2;

/// Runs a parsed command line; errors are printed plainly and exit with 1 (2 for a
/// password the rule refuses).
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve(args) => serve(cli.database, args),
        Command::User { command } => user_command(cli.database, command),
        Command::Workspace { command } => workspace_command(cli.database, command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.downcast_ref::<PasswordError>().is_some() {
                ExitCode::from(EXIT_BAD_PASSWORD)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn serve(database: DatabaseUrl, args: ServeArgs) -> anyhow::Result<()> {
    // Held to the end of `serve`: dropping it writes the lines still queued.
    let _log = crate::telemetry::init(args.log_format);
    let settings = Settings {
        bind: args.bind,
        database,
        session_key: args.session_key,
        secure_cookie: args.secure_cookie,
        api_access_tokens: !args.disable_api_access_tokens,
        clock: crate::domain::clock::system(),
        token_cache_size: args.token_cache_size,
        invalid_token_burst: args.invalid_token_burst,
        invalid_token_rate: args.invalid_token_rate,
        trusted_proxies: args.trusted_proxies,
        public_url: args.public_url,
        shutdown: ShutdownSettings {
            drain: Duration::from_secs(args.shutdown_drain_seconds),
            timeout: Duration::from_secs(args.shutdown_timeout_seconds),
        },
    };
    actix_web::rt::System::new().block_on(async move {
        let path = settings.database.clone();
        let pool = tokio::task::spawn_blocking(move || db::open(&path)).await??;
        create_first_admin(&pool, settings.clock.now())
            .await
            .context("creating the first admin")?;
        let app = Application::build_with_pool(settings.clone(), pool)
            .await
            .context("starting")?;
        tracing::info!(
            bind = %settings.bind,
            port = app.port(),
            database = %settings.database,
            "access-tokens is listening"
        );
        app.run_until_stopped().await?;
        Ok(())
    })
}

/// On a database with no users, creates `admin`, an instance admin and an admin of
/// the default workspace, with a random password, and prints it once to the
/// terminal (not to the log).
async fn create_first_admin(pool: &DbPool, now: Timestamp) -> anyhow::Result<()> {
    let pool = pool.clone();
    let created = tokio::task::spawn_blocking(move || -> anyhow::Result<Option<Password>> {
        let password = Password::generate();
        let made =
            operator::create_first_admin(&mut *pool.get()?, || password::hash(&password), now)?;
        Ok(made.then_some(password))
    })
    .await??;
    if let Some(password) = created {
        println!("Created user admin with password {}", password.expose());
        println!("Sign in with it, then change it with: access-tokens user passwd admin --password-stdin");
    }
    Ok(())
}

fn user_command(database: DatabaseUrl, command: UserCommand) -> anyhow::Result<()> {
    let pool = db::open(&database)?;
    let mut conn = pool.get()?;
    // The command line runs on the real clock; the server's may be a test's.
    let now = crate::domain::clock::system().now();
    match command {
        UserCommand::Add {
            name,
            admin,
            instance_admin,
            workspace,
            ..
        } => {
            let name = Username::parse(&name)?;
            let password = read_password_from_stdin(name.as_str())?;
            let new = operator::NewAccount {
                name: &name,
                hash: &password::hash(&password),
                workspace: workspace.as_deref(),
                role: if admin { Role::Admin } else { Role::Member },
                instance_admin,
            };
            operator::add_account(&mut conn, new, now)?;
            println!(
                "{}",
                created_message(&name, admin, instance_admin, workspace)
            );
        }
        UserCommand::Passwd { name, .. } => {
            let password = read_password_from_stdin(&name)?;
            operator::set_password(&mut conn, &name, &password::hash(&password), now)?;
            println!("Changed the password of {name}. Their access tokens keep working.");
        }
        UserCommand::InstanceAdmin { name, grant, .. } => {
            let id = operator::account_id(&mut conn, &name)?;
            let result = accounts::apply(
                &mut conn,
                accounts::Actor::CommandLine,
                id,
                None,
                Some(grant),
                None,
                now,
            );
            match result {
                Ok(_) if grant => println!("{name} is now an instance admin."),
                Ok(_) => println!("{name} is no longer an instance admin."),
                Err(AccountError::Db(e)) => return Err(e.into()),
                Err(e) => anyhow::bail!("{e}"),
            }
        }
    }
    Ok(())
}

/// "Created user carol (workspace admin, instance admin) in the workspace wsb."
fn created_message(
    name: &Username,
    admin: bool,
    instance_admin: bool,
    workspace: Option<String>,
) -> String {
    let roles: Vec<&str> = [
        admin.then_some("workspace admin"),
        instance_admin.then_some("instance admin"),
    ]
    .into_iter()
    .flatten()
    .collect();
    format!(
        "Created user {name}{}{}.",
        if roles.is_empty() {
            String::new()
        } else {
            format!(" ({})", roles.join(", "))
        },
        workspace
            .map(|w| format!(" in the workspace {w}"))
            .unwrap_or_default()
    )
}

fn workspace_command(database: DatabaseUrl, command: WorkspaceCommand) -> anyhow::Result<()> {
    let pool = db::open(&database)?;
    let mut conn = pool.get()?;
    let now = crate::domain::clock::system().now();
    match command {
        WorkspaceCommand::Add { name, admin } => {
            let name = WorkspaceName::parse(&name)?;
            operator::add_workspace(&mut conn, &name, &admin, now)?;
            println!("Created the workspace {name} with {admin} as its admin.");
        }
        WorkspaceCommand::List => {
            for (name, members) in operator::workspaces(&mut conn)? {
                println!(
                    "{name}\t{members} member{}",
                    if members == 1 { "" } else { "s" }
                );
            }
        }
    }
    Ok(())
}

/// Reads the new password of `username` from standard input, without its final line
/// break, and holds it to the password rule.
fn read_password_from_stdin(username: &str) -> anyhow::Result<Password> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| anyhow::anyhow!("cannot read the password from standard input: {e}"))?;
    let line = input
        .strip_suffix('\n')
        .map(|s| s.strip_suffix('\r').unwrap_or(s))
        .unwrap_or(&input);
    // Kept as a `PasswordError`, for its exit status (see `run`).
    Ok(Password::parse_new(line.to_owned(), username)?)
}
