//! Simulated customers and agents for the demo center.
//!
//! Every actor is an HTTP/WebSocket client of the running server on loopback, so what a
//! person sees in the agent desktop or the supervisor's numbers is produced by the same
//! code paths as real traffic. Customers arrive as a Poisson process; each follows a
//! script for its topic, answers the agent after a human-looking pause, sometimes drops
//! its connection and resumes, and rates the chat at the end; some phone instead
//! ([`super::caller`]). Simulated agents accept
//! offers after a ring or two, type replies, end the chat, wrap it up, and take breaks.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom as _;
use rand::{RngExt as _, SeedableRng as _};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, sleep_until};

use super::client::{self, CustomerChat, Events, Message, StaffSession};
use super::seed::{self, AgentLines, Script};

/// What the simulator needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    /// `http://127.0.0.1:8080`.
    pub base: String,
    pub org: String,
    pub customers_per_minute: f64,
    pub seed: u64,
    /// The logins the simulator drives as agents: (email, password).
    pub agents: Vec<(String, String)>,
    /// The stand-in carrier customers text through (none: web chat only).
    pub carrier: Option<Arc<super::carrier::Carrier>>,
    /// The center's SIP address and the number customers call (none: nobody calls).
    pub phone: Option<(std::net::SocketAddr, String)>,
}

/// Counters printed in the demo's status line.
#[derive(Debug, Default)]
pub struct Stats {
    pub chats_opened: AtomicU64,
    pub chats_answered: AtomicU64,
    pub chats_finished: AtomicU64,
    pub abandoned: AtomicU64,
    pub customer_messages: AtomicU64,
    /// Chats the answer bot answered without a person (the customer thanked it and left).
    pub self_served: AtomicU64,
    /// Customers who texted (SMS, WhatsApp, Messenger) or mailed instead of chatting.
    pub texters: AtomicU64,
    /// Customers who phoned, and those of them who hung up before anyone ended the call.
    pub calls: AtomicU64,
    pub calls_hung_up: AtomicU64,
    pub agent_messages: AtomicU64,
    pub ratings: AtomicU64,
    pub errors: AtomicU64,
}

impl Stats {
    pub fn line(&self) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "simulation: {} calls ({} hung up by the caller), {} chats opened ({} by SMS, WhatsApp, Messenger or email), {} answered by the bot alone, {} by agents, {} finished, {} abandoned, {} ratings; messages {} from customers, {} from simulated agents{}",
            g(&self.calls),
            g(&self.calls_hung_up),
            g(&self.chats_opened),
            g(&self.texters),
            g(&self.self_served),
            g(&self.chats_answered),
            g(&self.chats_finished),
            g(&self.abandoned),
            g(&self.ratings),
            g(&self.customer_messages),
            g(&self.agent_messages),
            match g(&self.errors) {
                0 => String::new(),
                n => format!(", {n} errors (see the log)"),
            }
        )
    }
}

fn bump(a: &AtomicU64) {
    a.fetch_add(1, Ordering::Relaxed);
}

/// A pause drawn uniformly between `lo` and `hi` seconds, scaled by `speed` (1 = real time).
fn pause(rng: &mut StdRng, lo: f64, hi: f64) -> Duration {
    Duration::from_secs_f64(rng.random_range(lo..hi))
}

/// Starts every simulated agent and the customer arrival process; returns at once.
pub fn spawn(cfg: Config, stats: Arc<Stats>) {
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    for (email, password) in cfg.agents.clone() {
        let seed = rng.random();
        let (cfg, stats) = (cfg.clone(), stats.clone());
        tokio::spawn(async move {
            // Agents log in over the first half-minute, as a shift starts.
            let mut rng = StdRng::seed_from_u64(seed);
            sleep(pause(&mut rng, 0.5, 20.0)).await;
            loop {
                match run_agent(&cfg, &email, &password, &mut rng, &stats).await {
                    Ok(()) => return,
                    Err(e) => {
                        bump(&stats.errors);
                        tracing::warn!(agent = %email, "simulated agent stopped: {e:#}; restarting in 10 s");
                        sleep(Duration::from_secs(10)).await;
                    }
                }
            }
        });
    }
    let seed = rng.random();
    tokio::spawn(arrivals(cfg, stats, seed));
}

async fn arrivals(cfg: Config, stats: Arc<Stats>, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let http = match client::http_client() {
        Ok(h) => h,
        Err(e) => {
            tracing::error!("customer simulation cannot start: {e:#}");
            return;
        }
    };
    let rate_per_s = (cfg.customers_per_minute / 60.0).max(1e-6);
    // The first customer comes soon, so a newcomer sees something happen.
    sleep(Duration::from_secs(5)).await;
    loop {
        let seed = rng.random();
        let (cfg2, stats2, http2) = (cfg.clone(), stats.clone(), http.clone());
        // About a third of customers text or mail instead (SMS, WhatsApp, Messenger or
        // email).
        let texter = cfg.carrier.clone().filter(|_| rng.random_bool(0.3));
        // Some phone instead (the demo's simulated agents take no calls: they are for
        // whoever signs in as a free agent).
        let caller = cfg.phone.clone().filter(|_| rng.random_bool(0.15));
        tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed);
            if let Some((center, number)) = caller {
                bump(&stats2.calls);
                match super::caller::call(center, &number, &mut rng).await {
                    Ok(true) => bump(&stats2.calls_hung_up),
                    Ok(false) => {}
                    Err(e) => {
                        bump(&stats2.errors);
                        tracing::warn!("simulated caller: {e:#}");
                    }
                }
                return;
            }
            if let Some(carrier) = texter {
                if let Err(e) = run_texter(&carrier, &mut rng, &stats2).await {
                    bump(&stats2.errors);
                    tracing::warn!("simulated texter: {e:#}");
                }
                return;
            }
            if let Err(e) = run_customer(&cfg2, &http2, &mut rng, &stats2).await {
                bump(&stats2.errors);
                tracing::warn!("simulated customer: {e:#}");
            }
        });
        // Exponential gaps: a Poisson process of arrivals.
        let u: f64 = rng.random_range(f64::EPSILON..1.0);
        let gap = (-u.ln() / rate_per_s).min(600.0);
        sleep(Duration::from_secs_f64(gap)).await;
    }
}

/// Picks a queue with realistic weights: most people ask about orders.
fn pick_script(rng: &mut StdRng) -> &'static Script {
    let queue = match rng.random_range(0..100) {
        0..40 => "Orders",
        40..65 => "Returns",
        65..85 => "Billing",
        _ => "Spanish",
    };
    let scripts: Vec<&Script> = seed::SCRIPTS.iter().filter(|s| s.queue == queue).collect();
    scripts.choose(rng).copied().unwrap_or(&seed::SCRIPTS[0])
}

/// A customer who texts (by SMS, WhatsApp or Messenger) or mails through the demo's
/// carrier: their question, then an answer to each of the agent's messages after a
/// pause, then thanks. A mailing customer answers the agent's last mail, so the reply
/// threads.
async fn run_texter(
    carrier: &super::carrier::Carrier,
    rng: &mut StdRng,
    stats: &Stats,
) -> anyhow::Result<()> {
    let script = pick_script(rng);
    let first = seed::FIRST_NAMES.choose(rng).copied().unwrap_or("Sam");
    let last = seed::LAST_NAMES.choose(rng).copied().unwrap_or("Lee");
    let name = format!("{first} {last}");
    let phone = format!("+1555{:07}", rng.random_range(0..10_000_000));
    let channel = ["sms", "whatsapp", "messenger", "email"]
        .choose(rng)
        .copied()
        .unwrap_or("sms");
    let whatsapp = channel == "whatsapp";
    let address = format!(
        "{}.{}{}@customers.example",
        first.to_lowercase(),
        last.to_lowercase(),
        rng.random_range(0..10_000)
    );
    // Messenger knows the customer by a page-scoped id.
    let psid = format!("{:016}", rng.random_range(0..10_000_000_000_000_000u64));
    let reached_at = match channel {
        "email" => address.clone(),
        "messenger" => psid.clone(),
        _ => phone.clone(),
    };
    let mut inbox = carrier.inbox(&reached_at);
    let subject = format!("A question about {}", script.queue.to_lowercase());
    let mut n = 0u32;
    // The Message-ID of the center's last mail to this customer.
    let mut answering: Option<String> = None;
    let mut say = async |text: &str, answers: Option<&str>| {
        n += 1;
        let id = format!("demo-{}-{n}", phone.trim_start_matches('+'));
        if channel == "email" {
            let subject = match answers {
                Some(_) => format!("Re: {subject}"),
                None => subject.clone(),
            };
            carrier
                .email(
                    &address,
                    &name,
                    &format!("{id}@customers.example"),
                    answers,
                    &subject,
                    text,
                )
                .await;
        } else if channel == "messenger" {
            carrier.messenger(&psid, &format!("m_{id}"), text).await;
        } else if whatsapp {
            carrier
                .whatsapp(&phone, &name, &format!("wamid.{id}"), text)
                .await;
        } else {
            carrier.text(&phone, &format!("SM{id}"), text).await;
        }
        bump(&stats.customer_messages);
    };
    bump(&stats.chats_opened);
    bump(&stats.texters);
    tracing::info!(phone, channel, "simulated customer {name} is writing");
    say(script.opening, None).await;
    let mut lines = script.replies.iter();
    let message_id = |raw: &str| {
        server::channels::email::parse(raw.as_bytes())
            .ok()
            .map(|m| m.message_id)
    };
    // Each agent message gets an answer, until the script runs out; then thanks.
    while let Ok(Some(got)) = tokio::time::timeout(Duration::from_secs(600), inbox.recv()).await {
        answering = message_id(&got).or(answering);
        // Let a burst of agent messages arrive before answering.
        sleep(pause(rng, 4.0, 12.0)).await;
        while let Ok(more) = inbox.try_recv() {
            answering = message_id(&more).or(answering);
        }
        let answers = answering.as_deref().filter(|_| channel == "email");
        match lines.next() {
            Some(line) => say(line, answers).await,
            None => {
                say(script.thanks, answers).await;
                break;
            }
        }
    }
    carrier.hang_up(&reached_at);
    Ok(())
}

async fn run_customer(
    cfg: &Config,
    http: &reqwest::Client,
    rng: &mut StdRng,
    stats: &Stats,
) -> anyhow::Result<()> {
    let script = pick_script(rng);
    let config = client::widget_config(http, &cfg.base, &cfg.org).await?;
    let topic = config
        .topics
        .iter()
        .find(|t| t.name == script.queue)
        .or_else(|| config.topics.first())
        .map(|t| t.id.clone())
        .ok_or_else(|| anyhow::anyhow!("the widget offers no topics"))?;
    let first = if script.queue == "Spanish" {
        seed::SPANISH_FIRST_NAMES.choose(rng)
    } else {
        seed::FIRST_NAMES.choose(rng)
    }
    .copied()
    .unwrap_or("Alex");
    let last = seed::LAST_NAMES.choose(rng).copied().unwrap_or("Doe");
    let name = format!("{first} {last}");
    let email = rng.random_bool(0.7).then(|| {
        let local: String = format!("{first}.{last}")
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
            .collect();
        format!("{local}{}@example.com", rng.random_range(1..100))
    });
    let chat =
        CustomerChat::open(http, &cfg.base, &cfg.org, &name, email.as_deref(), &topic).await?;
    bump(&stats.chats_opened);
    tracing::info!(contact = %chat.contact_id, queue = script.queue, "simulated customer {name} opened a chat");

    // People write their question while they wait.
    sleep(pause(rng, 1.0, 4.0)).await;
    let mut sent = 0u32;
    let say = async |text: &str, rng: &mut StdRng, sent: &mut u32| -> anyhow::Result<()> {
        let _ = chat.typing(true).await;
        sleep(Duration::from_millis(
            40 * text.len().min(120) as u64 + rng.random_range(0..1500),
        ))
        .await;
        *sent += 1;
        chat.send(&format!("sim-{}-{}", chat.contact_id, sent), text)
            .await?;
        bump(&stats.customer_messages);
        Ok(())
    };
    // Some ask where their order is: the answer bot's guided action answers them.
    let opening = if script.queue == "Orders" && rng.random_bool(0.3) {
        "Hi, where is my order?"
    } else {
        script.opening
    };
    say(opening, rng, &mut sent).await?;

    let patience = Instant::now() + pause(rng, 180.0, 480.0);
    let mut last_seq = 0u64;
    let mut answered = false;
    let mut next_reply = 0usize;
    let mut reply_at: Option<Instant> = None;
    let mut idle_until = Instant::now() + Duration::from_secs(600);
    let mut ws = chat.connect(0).await?;
    loop {
        let deadline = match (answered, reply_at) {
            (false, _) => patience,
            (true, Some(at)) => at,
            (true, None) => idle_until,
        };
        tokio::select! {
            ev = ws.next() => {
                let ev = match ev {
                    Some(Ok(ev)) => ev,
                    // A dropped connection: come back and resume after the last message seen.
                    Some(Err(_)) | None => {
                        sleep(Duration::from_secs(1)).await;
                        ws = chat.connect(last_seq).await?;
                        continue;
                    }
                };
                match ev.kind.as_str() {
                    "message" => {
                        let Ok(msg) = serde_json::from_value::<Message>(ev.data) else { continue };
                        if msg.seq <= last_seq && msg.seq != 0 {
                            continue;
                        }
                        last_seq = last_seq.max(msg.seq);
                        // The answer bot quoted an article (or its guided action found
                        // the order): half the customers are satisfied and leave; the
                        // others ask for a person.
                        let bot = msg.author_name.as_deref() == Some(server::bot::BOT_NAME);
                        let quoted = msg.text.as_deref().is_some_and(|t| {
                            t.starts_with("From our help center") || t.starts_with("Your order")
                        });
                        // A guided action asks for the order number: give one.
                        if bot && !answered && msg.text.as_deref().is_some_and(|t| t.contains("order number?")) {
                            let order = format!("HS-{:05}", rng.random_range(10_000..100_000));
                            say(&order, rng, &mut sent).await?;
                        }
                        if bot && quoted && !answered {
                            if rng.random_bool(0.5) {
                                say("Thanks, that answers it!", rng, &mut sent).await?;
                                bump(&stats.self_served);
                                sleep(pause(rng, 1.0, 3.0)).await;
                                chat.end().await?;
                                if rng.random_bool(0.6) {
                                    chat.csat(*[5u8, 5, 4].choose(rng).unwrap_or(&5), None).await?;
                                    bump(&stats.ratings);
                                }
                                ws.close().await;
                                return Ok(());
                            }
                            say("Thanks, but I'd like to talk to a person, please.", rng, &mut sent).await?;
                        }
                        if msg.from == "agent" && !msg.internal {
                            if !answered {
                                answered = true;
                            }
                            let _ = chat.read(msg.seq).await;
                            if next_reply <= script.replies.len() && reply_at.is_none() {
                                reply_at = Some(Instant::now() + pause(rng, 4.0, 14.0));
                            }
                            idle_until = Instant::now() + Duration::from_secs(240);
                        }
                    }
                    "agent_joined" => answered = true,
                    "state" if ev.data["status"] == "active" => answered = true,
                    "ended" => break,
                    _ => {}
                }
            }
            _ = sleep_until(deadline) => {
                if !answered {
                    // Waited too long: give up, as real customers do.
                    bump(&stats.abandoned);
                    chat.end().await?;
                    ws.close().await;
                    return Ok(());
                }
                if reply_at.take().is_some() {
                    if next_reply < script.replies.len() {
                        say(script.replies[next_reply], rng, &mut sent).await?;
                    } else if next_reply == script.replies.len() {
                        say(script.thanks, rng, &mut sent).await?;
                    }
                    next_reply += 1;
                    // Now and then a phone loses its network mid-chat and comes back.
                    if rng.random_bool(0.05) {
                        ws.drop_abruptly();
                        sleep(pause(rng, 1.0, 5.0)).await;
                        ws = chat.connect(last_seq).await?;
                    }
                } else {
                    // The agent went quiet after we said thanks: leave.
                    chat.end().await?;
                    break;
                }
            }
        }
    }
    bump(&stats.chats_finished);
    if rng.random_bool(0.8) {
        let rating = *[5u8, 5, 5, 4, 4, 4, 3, 2].choose(rng).unwrap_or(&5);
        let comment = match rating {
            5 => Some("Quick and friendly, thanks!"),
            4 => Some("Good help."),
            1..=2 => Some("Took a while to get an answer."),
            _ => None,
        };
        sleep(pause(rng, 2.0, 8.0)).await;
        chat.csat(rating, comment).await?;
        bump(&stats.ratings);
    }
    ws.close().await;
    Ok(())
}

/// What a simulated agent remembers about one of its chats.
struct Handled {
    first_name: String,
    spanish: bool,
    queue: String,
    next_line: usize,
    reply_due: bool,
    closed: bool,
    customer_seen_seq: u64,
    /// The hand raised about this chat, if any.
    help: Option<String>,
}

/// Things an agent's task schedules for itself.
enum Todo {
    Accept {
        offer_id: String,
        contact_id: String,
    },
    Reply {
        contact_id: String,
    },
    WrapUp {
        contact_id: String,
    },
    Break,
    Back,
}

async fn run_agent(
    cfg: &Config,
    email: &str,
    password: &str,
    rng: &mut StdRng,
    stats: &Stats,
) -> anyhow::Result<()> {
    let me = StaffSession::login(&cfg.base, &cfg.org, email, password).await?;
    let agent_first = me
        .name
        .split_whitespace()
        .next()
        .unwrap_or("your agent")
        .to_string();
    let queues: HashMap<String, String> = me
        .list("/api/queues")
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|q| {
            Some((
                client::id_str(q.get("id")?)?,
                q.get("name")?.as_str()?.to_string(),
            ))
        })
        .collect();
    let mut ws: Events = me.connect(0).await?;
    let mut last_seq = 0u64;
    me.set_state("available", None).await?;
    tracing::info!(agent = %me.name, "simulated agent is available");

    let (tx, mut rx) = mpsc::unbounded_channel::<Todo>();
    let later = |todo: Todo, after: Duration| {
        let tx = tx.clone();
        tokio::spawn(async move {
            sleep(after).await;
            let _ = tx.send(todo);
        });
    };
    let mut chats: HashMap<String, Handled> = HashMap::new();
    let mut on_break = false;
    later(Todo::Break, pause(rng, 300.0, 1200.0));

    loop {
        tokio::select! {
            ev = ws.next() => {
                let ev = match ev {
                    Some(Ok(ev)) => ev,
                    Some(Err(_)) | None => {
                        sleep(Duration::from_secs(1)).await;
                        ws = me.connect(last_seq).await?;
                        continue;
                    }
                };
                if let Some(seq) = ev.seq {
                    if seq <= last_seq { continue; }
                    last_seq = seq;
                }
                match ev.kind.as_str() {
                    "offer" => {
                        if let Some((offer_id, contact_id)) = client::offer_ids(&ev.data) {
                            // Let it ring once or twice.
                            later(Todo::Accept { offer_id, contact_id }, pause(rng, 1.5, 5.0));
                        }
                    }
                    "message" => {
                        let Ok(msg) = serde_json::from_value::<Message>(ev.data) else { continue };
                        let Some(contact_id) = msg.contact() else { continue };
                        if msg.from != "customer" { continue; }
                        if let Some(h) = chats.get_mut(&contact_id)
                            && msg.seq > h.customer_seen_seq
                            && !h.closed
                        {
                            h.customer_seen_seq = msg.seq;
                            if !h.reply_due {
                                h.reply_due = true;
                                later(Todo::Reply { contact_id }, pause(rng, 5.0, 15.0));
                            }
                        }
                    }
                    "contact" => {
                        // The customer ended the chat: wrap it up.
                        let status = ev.data.get("status").and_then(Value::as_str).unwrap_or("");
                        let id = ev.data.get("id").and_then(client::id_str);
                        if let Some(id) = id
                            && matches!(status, "ended" | "wrapup" | "closed")
                            && let Some(h) = chats.get_mut(&id)
                            && !h.closed
                        {
                            h.closed = true;
                            later(Todo::WrapUp { contact_id: id }, pause(rng, 3.0, 10.0));
                        }
                    }
                    _ => {}
                }
            }
            Some(todo) = rx.recv() => match todo {
                Todo::Accept { offer_id, contact_id } => {
                    match me.accept(&offer_id).await {
                        Ok(contact) => {
                            bump(&stats.chats_answered);
                            let queue = contact.get("queue_id").and_then(client::id_str)
                                .and_then(|q| queues.get(&q).cloned())
                                .unwrap_or_default();
                            let first_name = customer_first_name(&me, &contact).await;
                            chats.insert(contact_id.clone(), Handled {
                                first_name,
                                spanish: queue == "Spanish",
                                queue,
                                next_line: 0,
                                reply_due: true,
                                closed: false,
                                customer_seen_seq: 0,
                                help: None,
                            });
                            // Now and then an agent asks a supervisor for help.
                            if rng.random_bool(0.06) {
                                let text = ["Customer wants a refund over my limit", "Angry customer, could you listen in?", "Not sure about this warranty case"]
                                    .choose(rng).copied().unwrap_or("Could you help?");
                                match me.raise_hand(&contact_id, text).await {
                                    Ok(id) => if let Some(h) = chats.get_mut(&contact_id) { h.help = Some(id) },
                                    Err(e) => tracing::info!(agent = %me.name, "raising a hand: {e:#}"),
                                }
                            }
                            // Greet now; the first answer follows.
                            let h = &chats[&contact_id];
                            let lines = lines_for(h.spanish);
                            let text = lines.greeting.replace("{first}", &h.first_name).replace("{agent}", &agent_first);
                            send(&me, &contact_id, &text, stats).await;
                            later(Todo::Reply { contact_id }, pause(rng, 6.0, 14.0));
                        }
                        Err(e) => tracing::info!(agent = %me.name, "offer gone before accepting: {e:#}"),
                    }
                }
                Todo::Reply { contact_id } => {
                    let Some(h) = chats.get_mut(&contact_id) else { continue };
                    h.reply_due = false;
                    if h.closed { continue; }
                    let lines = lines_for(h.spanish);
                    if h.next_line < lines.replies.len() {
                        let text = lines.replies[h.next_line];
                        h.next_line += 1;
                        send(&me, &contact_id, text, stats).await;
                    } else {
                        let text = lines.closing.replace("{first}", &h.first_name);
                        h.closed = true;
                        send(&me, &contact_id, &text, stats).await;
                        sleep(pause(rng, 2.0, 5.0)).await;
                        if let Err(e) = me.end(&contact_id).await {
                            tracing::info!(agent = %me.name, "ending a chat: {e:#}");
                        }
                        later(Todo::WrapUp { contact_id }, pause(rng, 4.0, 12.0));
                    }
                }
                Todo::WrapUp { contact_id } => {
                    if let Some(h) = chats.remove(&contact_id) {
                        if let Some(id) = &h.help {
                            // A supervisor may have closed it already.
                            let _ = me.lower_hand(id).await;
                        }
                        let code = seed::wrapup_for(&h.queue);
                        if let Err(e) = me.wrapup(&contact_id, code, None).await {
                            tracing::info!(agent = %me.name, "wrap-up: {e:#}");
                        }
                    }
                }
                Todo::Break => {
                    if chats.is_empty() && !on_break {
                        let reason = ["Coffee", "Lunch", "Training"].choose(rng).copied().unwrap_or("Coffee");
                        if me.set_state("break", Some(reason)).await.is_ok() {
                            on_break = true;
                            later(Todo::Back, pause(rng, 90.0, 300.0));
                        }
                    } else {
                        later(Todo::Break, pause(rng, 60.0, 180.0));
                    }
                }
                Todo::Back => {
                    on_break = false;
                    me.set_state("available", None).await?;
                    later(Todo::Break, pause(rng, 600.0, 1500.0));
                }
            }
        }
    }
}

fn lines_for(spanish: bool) -> &'static AgentLines {
    if spanish {
        &seed::AGENT_LINES_ES
    } else {
        &seed::AGENT_LINES_EN
    }
}

static CLIENT_IDS: AtomicU64 = AtomicU64::new(0);

async fn send(me: &StaffSession, contact_id: &str, text: &str, stats: &Stats) {
    let n = CLIENT_IDS.fetch_add(1, Ordering::Relaxed);
    let client_id = format!("sim-agent-{}-{n}", me.user_id);
    match me.send(contact_id, &client_id, text).await {
        Ok(_) => bump(&stats.agent_messages),
        Err(e) => {
            bump(&stats.errors);
            tracing::warn!(agent = %me.name, "sending a message: {e:#}");
        }
    }
}

/// The customer's first name, from the contact or its customer record.
async fn customer_first_name(me: &StaffSession, contact: &Value) -> String {
    let direct = contact
        .get("customer")
        .and_then(|c| c.get("name"))
        .or_else(|| contact.get("customer_name"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let name = match direct {
        Some(n) => Some(n),
        None => match contact.get("customer_id").and_then(client::id_str) {
            Some(id) => me
                .get_json(&format!("/api/customers/{id}"))
                .await
                .ok()
                .and_then(|v| v.get("customer")?.get("name")?.as_str().map(str::to_string)),
            None => None,
        },
    };
    // A texter known only by their number is greeted without a name.
    name.and_then(|n| n.split_whitespace().next().map(str::to_string))
        .filter(|n| !n.starts_with('+'))
        .unwrap_or_else(|| "there".to_string())
}
