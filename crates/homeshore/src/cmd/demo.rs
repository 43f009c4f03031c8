//! `homeshore demo`: a living demo center.
//!
//! Starts the server on the embedded database in `--data-dir`, seeds the organisation
//! "Demo Retail" (idempotently: a second start reuses the data dir and adds only what is
//! missing), prints the URLs and logins, and runs simulated customers and agents
//! ([`sim`]) against it over loopback HTTP, the same code paths as real traffic. Some
//! customers text by SMS, WhatsApp or Messenger, or send mail, through a stand-in
//! carrier ([`carrier`]) that speaks Twilio's, WhatsApp's and Messenger's wire formats
//! and SMTP. Four agents are left free for a person
//! to log in as and receive real offers.

pub mod caller;
pub mod carrier;
pub mod client;
pub mod seed;
pub mod shop;
pub mod sim;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args as ClapArgs;
use serde_json::json;
use server::AppState;
use server::live::{AgentProfile, capacity_of};
use store::{Change, Object, ObjectKind, PageRequest, Store};

#[derive(Debug, Clone, ClapArgs)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Where the embedded database lives (reused on the next start).
    #[arg(long, default_value = "homeshore-data")]
    pub data_dir: std::path::PathBuf,
    /// Run the demo on PostgreSQL (postgres://…) instead of the embedded database.
    #[arg(long, env = "HOMESHORE_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// Seed the organisation and serve, but simulate no customers or agents.
    #[arg(long)]
    pub no_simulation: bool,
    /// Leave the answer bot off: chats, texts and mails go straight to the queues
    /// (Admin → Knowledge base → Answer bot turns it on). By default customers asking
    /// about orders and returns meet the bot first.
    #[arg(long)]
    pub no_answer_bot: bool,
    /// How many simulated customers open a chat per minute, on average.
    #[arg(long, default_value_t = 3.0)]
    pub customers_per_minute: f64,
    /// Seed of the simulation's random choices (same seed, same customers).
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// The issuer URL of the demo identity provider (`scripts/demo.sh` starts one with
    /// `node web/demo-idp.mjs`): registered as the organisation's single sign-on, so the
    /// sign-in pages offer "Sign in with Demo ID".
    #[arg(long, env = "HOMESHORE_DEMO_IDP", value_name = "URL")]
    pub identity_provider: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .try_init();
    if !(args.customers_per_minute > 0.0 && args.customers_per_minute <= 600.0) {
        anyhow::bail!("--customers-per-minute: between 0 and 600");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(run_async(args))
}

async fn run_async(args: Args) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}: is another Homeshore (or something else) using it? \
             Stop it, or pick another address with --listen",
                args.listen
            )
        })?;
    let addr = listener.local_addr()?;
    // Everyone reaches a local demo from one address (the simulator, the person trying
    // it, the browser tests): be generous with chat openings and logins.
    server::chat::set_create_limit(server::chat::Limit {
        burst: 200,
        refill_every: Duration::from_millis(250),
    });
    let config = server::Config {
        data_dir: args.data_dir.clone(),
        database_url: args.database_url.clone().unwrap_or_default(),
        login_burst: 200,
        login_refill_secs: 1,
        // SIP's own port on loopback when it is free, else any.
        sip_bind: "127.0.0.1:5060".into(),
        sip_any_port: true,
        idle_lock_secs: std::env::var("HOMESHORE_IDLE_LOCK_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10 * 60),
        ..Default::default()
    };
    let state = AppState::open(config)
        .await
        .with_context(|| match &args.database_url {
            Some(url) => format!("opening the demo database at {}", store::redact(url)),
            None => format!("opening the demo database in {}", args.data_dir.display()),
        })?;
    let fresh = seed_demo(&state, !args.no_answer_bot)
        .await
        .context("seeding the demo organisation")?;
    if let Some(issuer) = &args.identity_provider {
        seed_sso(&state, issuer)
            .await
            .context("registering the demo identity provider")?;
    }

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server::serve(listener, state.clone(), async move {
        let _ = stop_rx.await;
    }));
    if let Err(e) = connect_phone(&state).await {
        tracing::warn!("the demo's phone number is not set up: {e:#}");
    }
    print_banner(addr, state.sip().map(|s| s.addr), &args, fresh);
    // The shop's order-status endpoint, which the answer bot's "Where is my order"
    // calls (on a new port each start: the action is pointed at it again).
    if let Err(e) = connect_shop(&state).await {
        tracing::warn!("the guided action \"Where is my order\" is not set up: {e:#}");
    }

    let stats = Arc::new(sim::Stats::default());
    if !args.no_simulation {
        let agents = seed::PEOPLE
            .iter()
            .filter(|p| p.simulated)
            .map(|p| (p.email.to_string(), seed::PASSWORD.to_string()))
            .collect();
        let base = format!("http://{}", loopback(addr));
        // Texting and mailing customers reach the center through a stand-in carrier
        // that speaks Twilio's, WhatsApp's and Messenger's wire formats and SMTP.
        let carrier = match connect_carrier(&state, &base).await {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!("SMS, WhatsApp, Messenger and email are not simulated: {e:#}");
                None
            }
        };
        sim::spawn(
            sim::Config {
                base,
                org: seed::ORG_SLUG.to_string(),
                customers_per_minute: args.customers_per_minute,
                seed: args.seed,
                agents,
                carrier,
                phone: state
                    .sip()
                    .map(|s| (loopback(s.addr), seed::MENU_NUMBER.to_string())),
            },
            stats.clone(),
        );
        let stats = stats.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            tick.tick().await;
            loop {
                tick.tick().await;
                println!("{}", stats.line());
            }
        });
    }
    // Ctrl-C, or SIGTERM from a service manager or a test harness.
    super::serve::stop_signal().await;
    println!("\nstopping the demo center…");
    let _ = stop_tx.send(());
    match tokio::time::timeout(Duration::from_secs(10), server).await {
        Ok(Ok(r)) => r.context("serving")?,
        Ok(Err(e)) => return Err(e).context("the server task failed"),
        Err(_) => eprintln!("the server did not stop within 10 s; leaving anyway"),
    }
    Ok(())
}

/// Where the simulator (on this machine) reaches the server.
fn loopback(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        let ip = if addr.is_ipv4() {
            std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
        } else {
            std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)
        };
        SocketAddr::new(ip, addr.port())
    } else {
        addr
    }
}

/// The address a person types into a browser.
fn public_base(addr: SocketAddr) -> String {
    let ip = addr.ip();
    if ip.is_loopback() || ip.is_unspecified() {
        format!("http://localhost:{}", addr.port())
    } else {
        format!("http://{addr}")
    }
}

/// The demo's phone numbers: a trunk that takes calls from this machine (any SIP phone
/// or `sipp`) for [`seed::PHONE_NUMBER`] (they wait in Orders) and
/// [`seed::MENU_NUMBER`] (through the call flow [`seed::CALL_FLOW`] first).
async fn connect_phone(state: &AppState) -> anyhow::Result<()> {
    use server::telephony::trunks::{NumberRoute, TrunkData, TrunkIn};
    let org = state
        .store()
        .get_org_by_slug(seed::ORG_SLUG)
        .await?
        .context("the demo organisation")?;
    let queues = names(state, org.id, ObjectKind::Queue).await?;
    let orders = queues
        .iter()
        .find(|q| q.name == "Orders")
        .context("the Orders queue")?;
    const NAME: &str = "demo-line";
    let existing = state
        .store()
        .get_object_by_name(org.id, ObjectKind::Trunk, NAME)
        .await?;
    if existing.is_some() {
        return Ok(());
    }
    const FLOW: &str = "demo-menu";
    let flow = voice::flow::Flow::parse(seed::CALL_FLOW)
        .map_err(|e| anyhow::anyhow!("the demo's call flow: {e}"))?;
    server::org_settings::save(
        state,
        org.id,
        server::events::Actor::System,
        ObjectKind::CallFlow,
        FLOW,
        &serde_json::json!({ "flow": flow }),
        None,
    )
    .await?;
    let data = TrunkData {
        trunk: TrunkIn {
            enabled: true,
            numbers: vec![
                NumberRoute {
                    number: seed::PHONE_NUMBER.into(),
                    queue_id: orders.id,
                    flow: None,
                },
                NumberRoute {
                    number: seed::MENU_NUMBER.into(),
                    queue_id: orders.id,
                    flow: Some(FLOW.into()),
                },
            ],
            allow: vec!["127.0.0.0/8".into()],
            username: None,
            password: None,
            register: None,
            outbound: None,
        },
        ha1_sealed: None,
        register_password_sealed: None,
    };
    server::org_settings::save(
        state,
        org.id,
        server::events::Actor::System,
        ObjectKind::Trunk,
        NAME,
        &data,
        None,
    )
    .await?;
    if let Some(sip) = state.sip() {
        sip.reload().await;
    }
    Ok(())
}

fn print_banner(addr: SocketAddr, sip: Option<SocketAddr>, args: &Args, fresh: bool) {
    let base = public_base(addr);
    let mut lines: Vec<String> = vec![
        format!("Homeshore demo center: {}", seed::ORG_NAME),
        String::new(),
        format!("Agent desktop   {base}/agent/"),
        format!("Demo shop       {base}/demo-shop.html  (chat widget, bottom right)"),
        format!("Device check    {base}/device-check/"),
        format!("Planning        {base}/wfm/  (forecast from eight weeks of past chats)"),
        format!("My hours        {base}/my-hours/"),
        format!("Adherence, live {base}/adherence/  {base}/live/"),
        match sip {
            Some(sip) => format!(
                "Phone           sipp -sn uac -s {} {sip}  (calls wait in Orders; {} goes through the menu first)",
                &seed::PHONE_NUMBER[1..],
                &seed::MENU_NUMBER[1..]
            ),
            None => "Phone           off (no SIP port)".to_string(),
        },
        String::new(),
        format!("Organisation    {}", seed::ORG_SLUG),
        format!("Password        {}  (every login below)", seed::PASSWORD),
        String::new(),
        "Agents left free for you (chat capacity 3):".to_string(),
    ];
    for p in seed::PEOPLE
        .iter()
        .filter(|p| p.role == seed::Role::Agent && !p.simulated)
    {
        let skills: Vec<&str> = p.skills.iter().map(|(s, _)| *s).collect();
        lines.push(format!("  {:<28} {}", p.email, skills.join(", ")));
    }
    for p in seed::PEOPLE.iter().filter(|p| p.role != seed::Role::Agent) {
        lines.push(format!("{:<15} {}", capitalise(p.role.as_str()), p.email));
    }
    if let Some(idp) = &args.identity_provider {
        lines.push(format!(
            "Single sign-on  \"Sign in with Demo ID\" ({idp}): ann (agent) or sam (supervisor), any password"
        ));
    }
    lines.push(String::new());
    if args.no_simulation {
        lines.push("Simulation off (--no-simulation).".to_string());
    } else {
        let sims = seed::PEOPLE.iter().filter(|p| p.simulated).count();
        lines.push(format!(
            "Simulating {sims} agents and about {} customers a minute (a third of them write by SMS, WhatsApp, Messenger or email).",
            args.customers_per_minute
        ));
    }
    if !args.no_answer_bot {
        lines.push(
            "Answer bot first for Orders and Returns; \"where is my order\" runs a guided action (--no-answer-bot: off)."
                .to_string(),
        );
    }
    let place = match &args.database_url {
        Some(url) => store::redact(url),
        None => args.data_dir.display().to_string(),
    };
    lines.push(format!(
        "Data in {place} ({}). Ctrl-C stops.",
        if fresh { "new" } else { "reused" }
    ));
    let width = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let bar = "─".repeat(width + 2);
    println!("┌{bar}┐");
    for l in &lines {
        let pad = width - l.chars().count();
        println!("│ {l}{} │", " ".repeat(pad));
    }
    println!("└{bar}┘");
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

async fn names(state: &AppState, org: uuid::Uuid, kind: ObjectKind) -> anyhow::Result<Vec<Object>> {
    Ok(state
        .store()
        .list_objects(
            org,
            kind,
            PageRequest {
                after: None,
                limit: 1000,
            },
        )
        .await?
        .items)
}

/// Creates whatever of the demo organisation is missing. Returns whether the
/// organisation itself was new.
/// The demo identity provider's client secret (`web/demo-idp.mjs` has the same).
fn demo_idp_secret() -> String {
    std::env::var("HOMESHORE_DEMO_IDP_SECRET")
        .unwrap_or_else(|_| "demo-identity-provider-secret".into())
}

/// Registers the demo identity provider as Demo Retail's single sign-on: its agents'
/// group signs in as agents, its supervisors' group as supervisors, accounts made at
/// the first sign-in; passwords keep working.
pub async fn seed_sso(state: &AppState, issuer: &str) -> anyhow::Result<()> {
    use server::sso::{self, RoleRule, SsoSettings};
    anyhow::ensure!(
        sso::allowed_url(issuer),
        "--identity-provider: https, or http on this machine"
    );
    let org = state
        .store()
        .get_org_by_slug(seed::ORG_SLUG)
        .await?
        .context("the demo organisation")?;
    let settings = SsoSettings {
        enabled: true,
        provider_name: "Demo ID".into(),
        issuer: issuer.trim_end_matches('/').to_string(),
        client_id: "homeshore-demo".into(),
        client_secret: state
            .sealer()
            .seal(org.id, sso::SECRET_FIELD, &demo_idp_secret()),
        scopes: "openid email profile groups".into(),
        groups_claim: "groups".into(),
        role_rules: vec![
            RoleRule {
                group: "cc-supervisors".into(),
                role: store::Role::Supervisor,
            },
            RoleRule {
                group: "cc-agents".into(),
                role: store::Role::Agent,
            },
        ],
        default_role: None,
        jit: true,
        password_login: true,
    };
    let existing = state
        .store()
        .get_object_by_name(org.id, ObjectKind::SsoConfig, sso::CONFIG_NAME)
        .await?;
    let o = Object::next_version(
        existing.as_ref(),
        org.id,
        ObjectKind::SsoConfig,
        sso::CONFIG_NAME,
        serde_json::to_value(&settings)?,
        state.now(),
    );
    state
        .write(vec![Change::PutObject(o)], vec![])
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    Ok(())
}

/// Seeds the demo organisation where it is missing (`bot`: turn the answer bot on for
/// Orders and Returns unless an admin has set it up); answers whether it was new.
pub async fn seed_demo(state: &AppState, bot: bool) -> anyhow::Result<bool> {
    use server::seed as s;
    let (org, fresh) = match state.store().get_org_by_slug(seed::ORG_SLUG).await? {
        Some(org) => (org, false),
        None => (
            s::create_org(state, seed::ORG_SLUG, seed::ORG_NAME).await?,
            true,
        ),
    };
    let org_id = org.id;

    let skills = names(state, org_id, ObjectKind::Skill).await?;
    for q in seed::QUEUES {
        if !skills.iter().any(|o| o.name == q.skill) {
            s::create_object(
                state,
                org_id,
                ObjectKind::Skill,
                q.skill,
                json!({"description": q.description}),
            )
            .await?;
        }
    }
    let mut queues = names(state, org_id, ObjectKind::Queue).await?;
    for q in seed::QUEUES {
        if !queues.iter().any(|o| o.name == q.name) {
            let settings = json!({
                "priority": 0,
                "required_skills": [q.skill],
                "public": true,
                "description": q.description,
                // The demo's phone line rings in Orders: its calls are recorded.
                "record_calls": q.name == "Orders",
            });
            queues.push(s::create_queue(state, org_id, q.name, settings).await?);
        }
    }
    let policies = names(state, org_id, ObjectKind::RoutingPolicy).await?;
    for q in seed::QUEUES {
        let name = format!("{} routing", q.name);
        let Some(queue) = queues.iter().find(|o| o.name == q.name) else {
            continue;
        };
        if !policies.iter().any(|o| o.name == name) {
            let steps = seed::policy_steps(q);
            let data = json!({
                "queue_id": queue.id,
                "expression": steps[0].1,
                "steps": steps.iter().map(|(after, target)| json!({"after_s": after, "target": target})).collect::<Vec<_>>(),
                "description": format!("Level {} {} first; after {} s anyone with level {}", q.preferred_level, q.skill, q.relax_after_s, q.relaxed_level),
            });
            s::create_object(state, org_id, ObjectKind::RoutingPolicy, &name, data).await?;
        }
    }
    let codes = names(state, org_id, ObjectKind::WrapupCode).await?;
    for w in seed::WRAPUP_CODES {
        if !codes.iter().any(|o| o.name == w.name) {
            s::create_object(
                state,
                org_id,
                ObjectKind::WrapupCode,
                w.name,
                json!({"label": w.code}),
            )
            .await?;
        }
    }
    let canned = names(state, org_id, ObjectKind::CannedResponse).await?;
    for c in seed::CANNED {
        if !canned.iter().any(|o| o.name == c.title) {
            let data = json!({"text": c.text, "shortcut": format!("/{}", c.shortcut)});
            s::create_object(state, org_id, ObjectKind::CannedResponse, c.title, data).await?;
        }
    }

    let mut profiles_changed = false;
    for p in seed::PEOPLE {
        if state
            .store()
            .get_user_by_email(org_id, p.email)
            .await?
            .is_some()
        {
            continue;
        }
        let role = match p.role {
            seed::Role::Agent => store::Role::Agent,
            seed::Role::Supervisor => store::Role::Supervisor,
            seed::Role::Admin => store::Role::Admin,
        };
        let user = s::create_user(state, org_id, p.email, p.name, role, seed::PASSWORD).await?;
        // Supervisors get a profile too (no skills: queues do not offer them work), so
        // that they can take a conversation over.
        if role != store::Role::Admin {
            let profile = AgentProfile {
                skills: p.skills.iter().map(|(s, l)| (s.to_string(), *l)).collect(),
                // Calls are for people: the simulated agents take none.
                capacity: routing::Capacity {
                    voice: u8::from(!p.simulated),
                    ..capacity_of(seed::CHAT_CAPACITY as u8)
                },
                // Teams by strongest skill: Orders, Returns, Billing, Spanish.
                team: p
                    .skills
                    .iter()
                    .max_by_key(|(_, l)| *l)
                    .map(|(s, _)| capitalise(s)),
            };
            let now = state.now();
            let obj = Object {
                id: user.id,
                org_id,
                kind: ObjectKind::Agent,
                name: user.id.to_string(),
                data: serde_json::to_value(profile)?,
                created_at: now,
                updated_at: now,
            };
            state.write(vec![Change::PutObject(obj)], vec![]).await?;
            profiles_changed = true;
        }
    }
    if profiles_changed {
        server::contacts::refresh_org_config(state, org_id).await?;
    }
    // The simulated agents' offered hours, so that planning works at first click.
    for h in seed::OFFERED_HOURS {
        if let Some(u) = state.store().get_user_by_email(org_id, h.email).await? {
            let hours = s::OfferedHours {
                utc_offset_min: 0,
                windows: h
                    .windows
                    .iter()
                    .map(|(d, a, b)| (*d, a.to_string(), b.to_string()))
                    .collect(),
                min_week_hours: h.min_week_hours,
                max_week_hours: h.max_week_hours,
                peak_max_week_hours: h.peak_max_week_hours,
            };
            s::offer_hours(state, org_id, u.id, &hours).await?;
        }
    }
    if fresh {
        // Eight weeks of past chats, routed by the engine as the center is set up, so
        // that planners forecast from history and the reports have a past.
        let queue_ids: Vec<uuid::Uuid> = queues.iter().map(|q| q.id).collect();
        let mut agents = Vec::new();
        for p in seed::PEOPLE
            .iter()
            .filter(|p| matches!(p.role, seed::Role::Agent))
        {
            if let Some(u) = state.store().get_user_by_email(org_id, p.email).await? {
                agents.push(u.id);
            }
        }
        let codes: Vec<&str> = queues.iter().map(|q| seed::wrapup_for(&q.name)).collect();
        let openings: Vec<&[&str]> = queues.iter().map(|q| seed::openings_for(&q.name)).collect();
        server::seed::History {
            org: org_id,
            queues: &queue_ids,
            agents: &agents,
            first_day: server::seed::History::start_days_before(state.now(), 56),
            days: 56,
            per_day: 320.0,
            aht_s: 300.0,
            codes: &codes,
            openings: &openings,
            recent: seed::NEW_THIS_WEEK,
            seed: 2026,
        }
        .write(state)
        .await?;
    }
    // The help center's and the answer bot's articles (none written when any exist).
    server::knowledge::seed_demo(state, org_id).await?;
    // Customers asking about orders and returns meet the answer bot first, on every
    // channel (unless an admin has set the bot up already).
    let (mut settings, existing) = server::knowledge::settings(state, org_id).await?;
    if bot && existing.is_none() {
        for name in ["Orders", "Returns"] {
            if let Some(q) = state
                .store()
                .get_object_by_name(org_id, ObjectKind::Queue, name)
                .await?
            {
                settings.bot_queues.push(q.id);
            }
        }
        server::org_settings::save(
            state,
            org_id,
            server::events::Actor::System,
            ObjectKind::KbSettings,
            server::knowledge::SETTINGS_NAME,
            &settings,
            None,
        )
        .await?;
    }
    Ok(fresh)
}

/// The agent profile with the skill levels next to the names (for the routing policies
/// that compare levels; the profile itself lists names).
/// Starts the demo shop's order-status endpoint and points the answer bot's guided
/// action "Where is my order" at it (created on the first start; later starts keep an
/// admin's edits and change only its address).
async fn connect_shop(state: &AppState) -> anyhow::Result<()> {
    use server::bot::actions::{ActionData, ActionIn, Field, SECRET_FIELD};
    let url = shop::start().await?;
    let org = state
        .store()
        .get_org_by_slug(seed::ORG_SLUG)
        .await?
        .context("the demo organisation")?;
    const SLUG: &str = "where-is-my-order";
    let existing = state
        .store()
        .get_object_by_name(org.id, ObjectKind::BotAction, SLUG)
        .await?;
    let mut data = match existing
        .as_ref()
        .and_then(|o| serde_json::from_value::<ActionData>(o.data.clone()).ok())
    {
        Some(d) => d,
        None => ActionData {
            action: ActionIn {
                title: "Where is my order".into(),
                triggers: vec![
                    "where is my order".into(),
                    "track my order".into(),
                    "order status".into(),
                ],
                ask: vec![Field {
                    name: "order_number".into(),
                    prompt: "What is your order number? It is on your confirmation email, like HS-12345.".into(),
                    pattern: Some(r"HS-\d{5}".into()),
                    hint: Some("Order numbers look like HS-12345.".into()),
                }],
                url: String::new(),
                secret: None,
                timeout_ms: 3000,
                reply: "Your order {{order_number}} is {{status}}; it should reach you {{eta}}.".into(),
                enabled: true,
            },
            secret_sealed: Some(state.sealer().seal(org.id, SECRET_FIELD, shop::SECRET)),
        },
    };
    data.action.url = url;
    server::org_settings::save(
        state,
        org.id,
        server::events::Actor::System,
        ObjectKind::BotAction,
        SLUG,
        &data,
        existing.as_ref(),
    )
    .await?;
    Ok(())
}

/// Starts the demo's carrier and points the center's SMS, WhatsApp, Messenger and email
/// at it (new contacts wait in Orders).
async fn connect_carrier(state: &AppState, base: &str) -> anyhow::Result<Arc<carrier::Carrier>> {
    let org = state
        .store()
        .get_org_by_slug(seed::ORG_SLUG)
        .await?
        .context("the demo organisation")?;
    let queue = state
        .store()
        .get_object_by_name(org.id, ObjectKind::Queue, "Orders")
        .await?
        .context("the demo's Orders queue")?;
    let carrier = carrier::Carrier::start(base, seed::ORG_SLUG).await?;
    let now = state.now();
    let mut changes = Vec::new();
    for (channel, mut data) in carrier.endpoints(queue.id) {
        server::channels::outbound::seal_endpoint(state.sealer(), org.id, &mut data);
        let existing = state
            .store()
            .get_object_by_name(org.id, ObjectKind::ChannelEndpoint, channel)
            .await?;
        changes.push(Change::PutObject(Object {
            id: existing
                .as_ref()
                .map(|o| o.id)
                .unwrap_or_else(store::new_id),
            org_id: org.id,
            kind: ObjectKind::ChannelEndpoint,
            name: channel.into(),
            data,
            created_at: existing.map(|o| o.created_at).unwrap_or(now),
            updated_at: now,
        }));
    }
    state.write(changes, vec![]).await?;
    Ok(carrier)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banner_addresses() {
        let a: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert_eq!(public_base(a), "http://localhost:8080");
        let a: SocketAddr = "0.0.0.0:9000".parse().unwrap();
        assert_eq!(public_base(a), "http://localhost:9000");
        assert_eq!(loopback(a).to_string(), "127.0.0.1:9000");
        let a: SocketAddr = "192.0.2.10:8080".parse().unwrap();
        assert_eq!(public_base(a), "http://192.0.2.10:8080");
    }
}
