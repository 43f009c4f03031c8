//! `homeshore serve`, `homeshore migrate`, `homeshore org create`, `homeshore user add`:
//! running a contact center and administering it from the shell.
//!
//! Settings come, weakest first, from the built-in defaults, a TOML file
//! (`--config FILE`, or `homeshore.toml` in the working directory when it exists),
//! `HOMESHORE_*` environment variables (`HOMESHORE_DATABASE_URL`, `HOMESHORE_LISTEN`,
//! `HOMESHORE_SESSION_IDLE_SECS`, … — every key of the file, upper-cased) and the
//! command-line flags. The keys are the fields of [`server::Config`] plus `listen` and
//! `log_format`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand, ValueEnum};
use rand::RngExt as _;
use server::AppState;
use store::{Role, Store};

/// Where the center keeps its data and how it is reached; shared by every command that
/// opens the database.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// A TOML settings file (default: `homeshore.toml` here, if there is one).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Where the embedded SQLite database lives [default: ./homeshore-data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// `postgres://user@host/db` for PostgreSQL (default: SQLite in --data-dir).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Log lines as text for people or JSON for log collectors [default: text].
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// The resolved settings: the server's, and the shell's own.
pub struct Settings {
    pub server: server::Config,
    pub listen: String,
    pub log_format: LogFormat,
}

impl ServerArgs {
    /// Defaults, then the file, then `HOMESHORE_*`, then the flags.
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let mut table = toml::Table::new();
        let file = match &self.config {
            Some(path) => Some(path.clone()),
            None => Some(PathBuf::from("homeshore.toml")).filter(|p| p.exists()),
        };
        if let Some(path) = file {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading the settings file {}", path.display()))?;
            table = text
                .parse::<toml::Table>()
                .with_context(|| format!("{} is not valid TOML", path.display()))?;
        }
        for (name, value) in std::env::vars() {
            if let Some(key) = name.strip_prefix("HOMESHORE_") {
                // Numbers and booleans as such, anything else as a string.
                let v = format!("v = {value}")
                    .parse::<toml::Table>()
                    .ok()
                    .and_then(|mut t| t.remove("v"))
                    .filter(|v| !v.is_table() && !v.is_array())
                    .unwrap_or(toml::Value::String(value));
                table.insert(key.to_lowercase(), v);
            }
        }
        if let Some(v) = &self.listen {
            table.insert("listen".into(), toml::Value::String(v.clone()));
        }
        if let Some(v) = &self.data_dir {
            table.insert(
                "data_dir".into(),
                toml::Value::String(v.display().to_string()),
            );
        }
        if let Some(v) = &self.database_url {
            table.insert("database_url".into(), toml::Value::String(v.clone()));
        }
        let listen = match table.remove("listen") {
            Some(toml::Value::String(s)) => s,
            Some(other) => bail!("listen: want an address like 127.0.0.1:8080, got {other}"),
            None => "127.0.0.1:8080".to_string(),
        };
        let log_format = match (self.log_format, table.remove("log_format")) {
            (Some(f), _) => f,
            (None, Some(v)) => v
                .try_into()
                .context("log_format: want \"text\" or \"json\"")?,
            (None, None) => LogFormat::Text,
        };
        let server: server::Config = toml::Value::Table(table)
            .try_into()
            .context("invalid setting")?;
        Ok(Settings {
            server,
            listen,
            log_format,
        })
    }
}

fn init_logs(format: LogFormat, default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

async fn open(config: server::Config) -> anyhow::Result<AppState> {
    let what = if config.database_url.is_empty() {
        format!("the database in {}", config.data_dir.display())
    } else {
        store::redact(&config.database_url)
    };
    AppState::open(config)
        .await
        .with_context(|| format!("opening {what}"))
}

/// `homeshore serve`.
pub fn serve(args: ServerArgs) -> anyhow::Result<()> {
    let s = args.settings()?;
    init_logs(s.log_format, "info");
    runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&s.listen)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {}: is something else using it? Pick another with --listen",
                    s.listen
                )
            })?;
        let addr: SocketAddr = listener.local_addr()?;
        let backend = if s.server.database_url.is_empty() {
            "sqlite"
        } else {
            "database_url"
        };
        let state = open(s.server).await?;
        tracing::info!(%addr, backend, "serving");
        println!("Homeshore listening on http://{addr} (Ctrl-C stops)");
        server::serve(listener, state, stop_signal())
            .await
            .context("serving")?;
        tracing::info!("stopped");
        Ok(())
    })
}

/// `homeshore migrate`.
pub fn migrate(args: ServerArgs) -> anyhow::Result<()> {
    let s = args.settings()?;
    init_logs(s.log_format, "warn");
    runtime()?.block_on(async move {
        let url = s.server.resolved_database_url();
        if s.server.database_url.is_empty() {
            std::fs::create_dir_all(&s.server.data_dir).with_context(|| {
                format!(
                    "creating the data directory {}",
                    s.server.data_dir.display()
                )
            })?;
        }
        let db = store::Db::connect(&url)
            .await
            .with_context(|| format!("migrating {}", store::redact(&url)))?;
        db.ping().await.context("checking the migrated database")?;
        println!("{} is up to date", store::redact(&url));
        db.close().await;
        Ok(())
    })
}

/// Organisations: one server hosts many.
#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organisation.
    ///
    /// Example: homeshore org create --slug acme --name "Acme Retail" --mfa-required
    Create {
        #[command(flatten)]
        server: ServerArgs,
        /// Short name in URLs and logins: lowercase letters, digits, dashes.
        #[arg(long)]
        slug: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Every user must enrol an authenticator app before using the center.
        #[arg(long)]
        mfa_required: bool,
    },
    /// List organisations.
    List {
        #[command(flatten)]
        server: ServerArgs,
    },
}

pub fn org(command: OrgCommand) -> anyhow::Result<()> {
    match command {
        OrgCommand::Create {
            server,
            slug,
            name,
            mfa_required,
        } => admin(server, async move |state| {
            let org = server::seed::create_org(&state, &slug, &name)
                .await
                .map_err(api_error)?;
            if mfa_required {
                server::seed::set_mfa_required(&state, org.id, true)
                    .await
                    .map_err(api_error)?;
            }
            println!(
                "created organisation {} ({}), id {}",
                org.slug, org.name, org.id
            );
            println!(
                "next: homeshore user add --org {} --role admin --email …",
                org.slug
            );
            Ok(())
        }),
        OrgCommand::List { server } => admin(server, async move |state| {
            let orgs = state.store().list_orgs().await?;
            println!("{:<24} {:<8} {:<36} NAME", "SLUG", "MFA", "ID");
            for o in orgs {
                let mfa = if o.mfa_required {
                    "required"
                } else {
                    "optional"
                };
                println!("{:<24} {:<8} {:<36} {}", o.slug, mfa, o.id, o.name);
            }
            Ok(())
        }),
    }
}

/// The audit trail.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every organisation's event log against its hash chain: an event changed,
    /// inserted or deleted in the database by hand breaks it there. Exits 1 when any
    /// chain is broken.
    ///
    /// Example: homeshore audit verify --data-dir /var/lib/homeshore
    Verify {
        #[command(flatten)]
        server: ServerArgs,
        /// Only this organisation (its slug).
        #[arg(long)]
        org: Option<String>,
    },
}

pub fn audit(command: AuditCommand) -> anyhow::Result<()> {
    let AuditCommand::Verify { server, org } = command;
    let broken = admin(server, async move |state| {
        let mut orgs = state.store().list_orgs().await?;
        if let Some(slug) = &org {
            orgs.retain(|o| &o.slug == slug);
            anyhow::ensure!(!orgs.is_empty(), "no organisation with the slug {slug}");
        }
        let mut broken = 0;
        for o in orgs {
            let r = store::chain::verify(state.store(), o.id).await?;
            match r.broken_at {
                None => println!(
                    "{}: {} events, chain unbroken{}",
                    o.slug,
                    r.checked,
                    if r.unchained > 0 {
                        format!(" ({} from before the chain, not covered)", r.unchained)
                    } else {
                        String::new()
                    }
                ),
                Some(seq) => {
                    broken += 1;
                    println!(
                        "{}: BROKEN at event {seq}: it, or one just before it, was changed, inserted or deleted outside Homeshore ({} events checked)",
                        o.slug, r.checked
                    );
                }
            }
        }
        Ok(broken)
    })?;
    if broken > 0 {
        anyhow::bail!("{broken} organisation(s) with a broken audit chain");
    }
    Ok(())
}

/// Staff accounts.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user to an organisation.
    ///
    /// The password comes from HOMESHORE_NEW_PASSWORD when set; otherwise a strong one
    /// is generated and printed once.
    ///
    /// Example: homeshore user add --org acme --role admin --email ana@acme.example --name "Ana Ruiz"
    Add {
        #[command(flatten)]
        server: ServerArgs,
        /// The organisation's slug.
        #[arg(long)]
        org: String,
        /// admin, supervisor, agent or analyst.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long)]
        email: String,
        /// Display name (default: the part of the email before the @).
        #[arg(long)]
        name: Option<String>,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    match s {
        "admin" => Ok(Role::Admin),
        "supervisor" => Ok(Role::Supervisor),
        "agent" => Ok(Role::Agent),
        "analyst" => Ok(Role::Analyst),
        _ => Err("want admin, supervisor, agent or analyst".into()),
    }
}

pub fn user(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            server,
            org,
            role,
            email,
            name,
        } => admin(server, async move |state| {
            let o = state
                .store()
                .get_org_by_slug(&org)
                .await?
                .with_context(|| {
                    format!("no organisation {org}: create it with `homeshore org create`")
                })?;
            let (password, generated) = match std::env::var("HOMESHORE_NEW_PASSWORD") {
                Ok(p) if !p.is_empty() => (p, false),
                _ => (generate_password(), true),
            };
            let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or("").to_string());
            let u = server::seed::create_user(&state, o.id, &email, &name, role, &password)
                .await
                .map_err(api_error)?;
            println!(
                "added {} ({}) to {}, id {}",
                u.email,
                role.as_str(),
                o.slug,
                u.id
            );
            if generated {
                println!("password (shown once): {password}");
            }
            if o.mfa_required {
                println!("MFA is required: they enrol an authenticator app at first login");
            }
            Ok(())
        }),
    }
}

/// A 20-character password from an alphabet without look-alikes.
fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

fn api_error(e: server::ApiError) -> anyhow::Error {
    anyhow::anyhow!("{}", e.message)
}

/// Opens the database (migrating it), runs one administrative action, closes.
fn admin<F, T>(args: ServerArgs, action: F) -> anyhow::Result<T>
where
    F: AsyncFnOnce(AppState) -> anyhow::Result<T>,
{
    let s = args.settings()?;
    init_logs(s.log_format, "warn");
    runtime()?.block_on(async move {
        let state = open(s.server).await?;
        let result = action(state.clone()).await;
        // Let the commit pipeline finish before the store closes.
        tokio::time::sleep(Duration::from_millis(10)).await;
        state.store().close().await;
        result
    })
}

/// Encryption at rest: the organisations' data keys.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Add a new data key to an organisation: new messages and attachments are sealed
    /// with it (a running server picks it up within seconds); older ones stay readable.
    /// Follow with `keys reencrypt` to move them to the new key.
    ///
    /// Example: homeshore keys rotate --org acme --data-dir /var/lib/homeshore
    Rotate {
        #[command(flatten)]
        server: ServerArgs,
        /// The organisation (its slug).
        #[arg(long)]
        org: String,
    },
    /// Seal every message and attachment of an organisation with its newest data key
    /// (and those written before encryption at rest existed). Safe while the server runs.
    ///
    /// Example: homeshore keys reencrypt --org acme --data-dir /var/lib/homeshore
    Reencrypt {
        #[command(flatten)]
        server: ServerArgs,
        /// The organisation (its slug); every one when left out.
        #[arg(long)]
        org: Option<String>,
    },
    /// Rotate the master key: rewrap every organisation's data keys with a new master
    /// key, or move them to the key-management service of `kms_command` (`--kms`).
    /// Nothing else is rewritten. Then start the servers with that key, or that command.
    ///
    /// Example: HOMESHORE_NEW_SECRET_KEY=$(openssl rand -hex 32) homeshore keys rewrap
    /// Example: HOMESHORE_KMS_COMMAND=/etc/homeshore/kms homeshore keys rewrap --kms
    Rewrap {
        #[command(flatten)]
        server: ServerArgs,
        /// The new master key (64 hex digits or base64).
        #[arg(
            long,
            env = "HOMESHORE_NEW_SECRET_KEY",
            hide_env_values = true,
            required_unless_present = "kms"
        )]
        new_key: Option<String>,
        /// Wrap the data keys with the KMS command (`kms_command` /
        /// `HOMESHORE_KMS_COMMAND`) instead of a master key.
        #[arg(long, conflicts_with = "new_key")]
        kms: bool,
    },
}

pub fn keys(command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Rotate { server, org } => admin(server, async move |state| {
            let o = org_by_slug(&state, &org).await?;
            let wrap = state.keyring().wrap();
            let n = server::keys::rotate(state.store(), wrap.as_ref(), o.id).await?;
            println!("{}: data key {n} is now the one new writes use", o.slug);
            Ok(())
        }),
        KeysCommand::Reencrypt { server, org } => admin(server, async move |state| {
            let mut orgs = state.store().list_orgs().await?;
            if let Some(slug) = &org {
                orgs.retain(|o| &o.slug == slug);
                anyhow::ensure!(!orgs.is_empty(), "no organisation with the slug {slug}");
            }
            for o in orgs {
                let total = server::keys::count_sealable(state.store(), o.id).await?;
                let pb = indicatif::ProgressBar::with_draw_target(
                    Some(total),
                    indicatif::ProgressDrawTarget::stderr(),
                );
                pb.set_message(o.slug.clone());
                let tick = pb.clone();
                let wrap = state.keyring().wrap();
                let r = server::keys::reencrypt(state.store(), wrap, o.id, &move |n| tick.inc(n))
                    .await?;
                pb.finish_and_clear();
                println!(
                    "{}: {} messages, {} attachments and {} customers, identities and \
                     contacts sealed with the newest key{}",
                    o.slug,
                    r.messages,
                    r.attachments,
                    r.personal,
                    if r.unreadable > 0 {
                        format!(", {} unreadable left as they are", r.unreadable)
                    } else {
                        String::new()
                    }
                );
            }
            Ok(())
        }),
        KeysCommand::Rewrap {
            server,
            new_key,
            kms,
        } => admin(server, async move |state| {
            let new: Box<dyn server::keys::KeyWrap> = match (new_key, kms) {
                (_, true) => {
                    let command = &state.config().kms_command;
                    anyhow::ensure!(
                        !command.trim().is_empty(),
                        "--kms: set kms_command (HOMESHORE_KMS_COMMAND) to the command that \
                         wraps keys with your key-management service"
                    );
                    Box::new(server::keys::KmsCommand::new(command))
                }
                (Some(k), false) => Box::new(
                    server::secrets::Sealer::from_key_text(&k).map_err(|e| anyhow::anyhow!(e))?,
                ),
                (None, false) => {
                    anyhow::bail!("give --new-key (HOMESHORE_NEW_SECRET_KEY) or --kms")
                }
            };
            let old = state.keyring().wrap();
            for o in state.store().list_orgs().await? {
                let n =
                    server::keys::rewrap(state.store(), old.as_ref(), new.as_ref(), o.id).await?;
                println!("{}: {n} data keys rewrapped", o.slug);
            }
            if kms {
                println!(
                    "the data keys are now wrapped by the KMS; keep kms_command set on every server"
                );
            } else {
                println!("now start every server with the new key as secret_key");
            }
            Ok(())
        }),
    }
}

async fn org_by_slug(state: &AppState, slug: &str) -> anyhow::Result<store::Org> {
    state
        .store()
        .get_org_by_slug(slug)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no organisation with the slug {slug}"))
}
