//! The harness: a real server on a loopback port (SQLite in a temp dir, or a PostgreSQL
//! schema of its own), two organisations with one user of each role, and a small HTTP
//! client that speaks the API with bearer tokens.

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use server::AppState;
use store::Role;
use tokio::time::timeout;
use uuid::Uuid;

pub const PASSWORD: &str = "correct-horse-battery";
/// The request body limit the test servers run with (small, so 413 is cheap to reach).
pub const BODY_LIMIT: usize = 64 * 1024;

/// The bearer token the test servers ask `/metrics` for.
pub const METRICS_TOKEN: &str = "test-metrics-token";

/// `GET /metrics` with the token.
pub async fn metrics_text(s: &Server) -> String {
    server::http_client()
        .get(format!("{}/metrics", s.base))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

pub fn pg_url() -> String {
    std::env::var("HOMESHORE_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

pub struct Server {
    pub base: String,
    pub state: AppState,
    pub backend: &'static str,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    dir: PathBuf,
    /// The PostgreSQL schema, for a restart on the same data.
    pub schema: Option<String>,
    pub clock: server::Clock,
}

/// Where a server keeps its data, so that a second one can start on it.
#[derive(Clone)]
pub enum Data {
    Sqlite(PathBuf),
    Postgres(String),
}

/// A PostgreSQL run's data directory (its key file), the same across its restarts.
fn pg_dir(schema: &str) -> PathBuf {
    std::env::temp_dir().join(format!("homeshore-api-test-{schema}"))
}

impl Server {
    /// The data this server runs on.
    pub fn data(&self) -> Data {
        match &self.schema {
            Some(s) => Data::Postgres(s.clone()),
            None => Data::Sqlite(self.dir.clone()),
        }
    }

    /// Start a server on existing (or new) data with the given clock.
    pub async fn start_with(data: Data, clock: server::Clock) -> Server {
        match data {
            Data::Sqlite(dir) => Server::start_on(None, dir, clock).await,
            Data::Postgres(schema) => {
                let pg = store::PgStore::connect(&pg_url(), Some(&schema))
                    .await
                    .expect("PostgreSQL reachable");
                let mut s =
                    Server::start_on(Some(store::Db::Postgres(pg)), pg_dir(&schema), clock).await;
                s.schema = Some(schema);
                s
            }
        }
    }

    /// Stop, keeping the data for a restart.
    pub async fn halt(mut self) -> Data {
        let data = self.data();
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = timeout(Duration::from_secs(10), t).await;
        }
        data
    }

    /// A server on a fresh SQLite database with settings of the test's choosing.
    pub async fn start_sqlite_with(tweak: impl FnOnce(&mut server::Config)) -> Server {
        let dir =
            std::env::temp_dir().join(format!("homeshore-api-test-{}", Uuid::new_v4().simple()));
        Server::start_tweaked(None, dir, server::Clock::System, tweak).await
    }

    /// A server on an existing SQLite directory with settings of the test's choosing.
    pub async fn restart_sqlite_with(
        dir: PathBuf,
        tweak: impl FnOnce(&mut server::Config),
    ) -> Server {
        Server::start_tweaked(None, dir, server::Clock::System, tweak).await
    }

    async fn start_on(db: Option<store::Db>, dir: PathBuf, clock: server::Clock) -> Server {
        Server::start_tweaked(db, dir, clock, |_| {}).await
    }

    async fn start_tweaked(
        db: Option<store::Db>,
        dir: PathBuf,
        clock: server::Clock,
        tweak: impl FnOnce(&mut server::Config),
    ) -> Server {
        let mut config = server::Config {
            data_dir: dir.clone(),
            // The same key across a restart, as a real center keeps it.
            secret_key: server::secrets::load_or_create_key(&dir).expect("the key file"),
            argon2_m_kib: 1024,
            login_burst: 10_000,
            body_limit_bytes: BODY_LIMIT,
            metrics_token: METRICS_TOKEN.into(),
            ..Default::default()
        };
        tweak(&mut config);
        let backend = if db.is_some() { "postgres" } else { "sqlite" };
        let state = match db {
            None => AppState::open_with_clock(config, clock.clone())
                .await
                .expect("server starts on SQLite"),
            Some(db) => AppState::with_store(db, config, clock.clone())
                .await
                .expect("server starts on PostgreSQL"),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server::serve(listener, state.clone(), async move {
            let _ = stopped.await;
        }));
        Server {
            base,
            state,
            backend,
            stop: Some(stop),
            task: Some(task),
            dir,
            schema: None,
            clock,
        }
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = timeout(Duration::from_secs(10), t).await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `f` against a server on SQLite, then on PostgreSQL (skipped loudly when
/// PostgreSQL is unreachable, except when `CI` is set).
pub async fn each_backend<F, Fut>(f: F)
where
    F: Fn(Server) -> Fut,
    Fut: Future<Output = Server>,
{
    each_backend_with(server::Clock::System, f).await
}

/// A clock tests move by hand, starting at a fixed moment.
pub fn manual_clock() -> server::Clock {
    server::Clock::Manual(std::sync::Arc::new(std::sync::Mutex::new(
        time::macros::datetime!(2026-12-01 15:00 UTC),
    )))
}

/// [`each_backend`] with a clock of the test's choosing (a fresh one per backend).
pub async fn each_backend_with<F, Fut>(clock: server::Clock, f: F)
where
    F: Fn(Server) -> Fut,
    Fut: Future<Output = Server>,
{
    let fresh = |c: &server::Clock| match c {
        server::Clock::System => server::Clock::System,
        server::Clock::Manual(_) => manual_clock(),
    };
    let dir = std::env::temp_dir().join(format!("homeshore-api-test-{}", Uuid::new_v4().simple()));
    let s = Server::start_on(None, dir, fresh(&clock)).await;
    f(s).await.stop().await;

    let schema = format!("api_{}", Uuid::new_v4().simple());
    match store::PgStore::connect(&pg_url(), Some(&schema)).await {
        Ok(pg) => {
            let mut s = Server::start_on(
                Some(store::Db::Postgres(pg)),
                pg_dir(&schema),
                fresh(&clock),
            )
            .await;
            s.schema = Some(schema.clone());
            f(s).await.stop().await;
            let _ = store::PgStore::drop_schema(&pg_url(), &schema).await;
        }
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "PostgreSQL unreachable in CI: {e}"
            );
            eprintln!(
                "\n!!!!!!!! SKIPPING the PostgreSQL run: {e}\n!!!!!!!! start it with `bash scripts/services.sh`\n"
            );
        }
    }
}

/// An answer: status and body (JSON when it parses, else a string).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub text: String,
}

impl Answer {
    /// Asserts the one error shape `{"error":{"code","message","details"}}`.
    pub fn assert_error_shape(&self, what: &str) {
        let e = &self.body["error"];
        assert!(
            e["code"].is_string()
                && e["message"].is_string()
                && e.as_object().is_some_and(|o| o.contains_key("details")),
            "{what}: {} is not in the error shape: {}",
            self.status,
            self.text
        );
    }
}

/// A caller: a bearer token (or none).
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
}

impl Client {
    pub fn new(base: &str, token: Option<String>) -> Client {
        Client {
            // Redirects are answers to check (single sign-on's), not to follow.
            http: server::http_client_builder()
                .timeout(Duration::from_secs(30))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_string(),
            token,
        }
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let mut rb = self.http.request(m, format!("{}{}", self.base, path));
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        if let Some(b) = body {
            rb = rb.json(b);
        }
        answer(rb).await
    }

    pub async fn raw(&self, method: &str, path: &str, content_type: &str, body: Vec<u8>) -> Answer {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = self
            .http
            .request(m, format!("{}{}", self.base, path))
            .header("content-type", content_type)
            .body(body);
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        answer(rb).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send("GET", path, None, &[]).await
    }
    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.send("POST", path, Some(body), &[]).await
    }
    pub async fn put(&self, path: &str, body: &Value) -> Answer {
        self.send("PUT", path, Some(body), &[]).await
    }

    /// GET that must answer 200.
    pub async fn ok(&self, path: &str) -> Value {
        let a = self.get(path).await;
        assert_eq!(a.status, 200, "GET {path}: {}", a.text);
        a.body
    }
}

pub async fn answer(rb: reqwest::RequestBuilder) -> Answer {
    let r = rb.send().await.expect("the server answers");
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()));
    Answer { status, body, text }
}

/// One organisation with a user of each role, an API token for each (all scopes: the
/// role is what limits them), a queue and an agent ready to take contacts.
pub struct Org {
    pub id: Uuid,
    pub slug: String,
    pub queue: Uuid,
    pub users: Vec<(Role, Uuid, String)>,
    pub tokens: Vec<(Role, String)>,
}

impl Org {
    pub fn user(&self, role: Role) -> Uuid {
        self.users.iter().find(|(r, _, _)| *r == role).unwrap().1
    }
    pub fn email(&self, role: Role) -> String {
        self.users
            .iter()
            .find(|(r, _, _)| *r == role)
            .unwrap()
            .2
            .clone()
    }
    pub fn token(&self, role: Role) -> String {
        self.tokens
            .iter()
            .find(|(r, _)| *r == role)
            .unwrap()
            .1
            .clone()
    }
    pub fn client(&self, s: &Server, role: Role) -> Client {
        Client::new(&s.base, Some(self.token(role)))
    }
}

pub async fn seed_org(s: &Server, slug: &str) -> Org {
    let state = &s.state;
    let org = server::seed::create_org(state, slug, &format!("Org {slug}"))
        .await
        .unwrap();
    let queue = server::seed::create_queue(
        state,
        org.id,
        "Help",
        json!({"required_skills": [], "public": true, "offer_timeout_s": 3600}),
    )
    .await
    .unwrap();
    let mut users = Vec::new();
    let mut tokens = Vec::new();
    for role in Role::ALL {
        let email = format!("{}@{slug}.example", role.as_str());
        let u = server::seed::create_user(
            state,
            org.id,
            &email,
            &format!("{} of {slug}", role.as_str()),
            role,
            PASSWORD,
        )
        .await
        .unwrap();
        let (secret, _) = server::seed::create_api_token(
            state,
            org.id,
            u.id,
            &format!("{} token", role.as_str()),
            vec!["read".into(), "write".into(), "admin".into()],
        )
        .await
        .unwrap();
        users.push((role, u.id, email));
        tokens.push((role, secret));
    }
    let o = Org {
        id: org.id,
        slug: slug.to_string(),
        queue: queue.id,
        users,
        tokens,
    };
    // The agent takes many chats at once and is available.
    let admin = o.client(s, Role::Admin);
    let a = admin
        .put(
            &format!("/api/agents/{}", o.user(Role::Agent)),
            &json!({"skills": [], "capacity": 50}),
        )
        .await;
    assert_eq!(a.status, 200, "agent profile: {}", a.text);
    let a = o
        .client(s, Role::Agent)
        .put("/api/agent/state", &json!({"state": "available"}))
        .await;
    assert_eq!(a.status, 200, "agent state: {}", a.text);
    o
}

/// Create a contact as the org's admin; answers its JSON. Its first message holds a
/// phone number (masked, so that a reveal has something to show).
pub async fn create_contact(s: &Server, o: &Org, name: &str) -> Value {
    let a = o
        .client(s, Role::Admin)
        .post(
            "/api/contacts",
            &json!({"channel": "chat", "queue_id": o.queue, "customer": {"name": name}, "text": "hello, call me on +1 312 555 0199"}),
        )
        .await;
    assert_eq!(a.status, 201, "create contact: {}", a.text);
    a.body
}

/// The agent's pending offers: (offer id, contact id).
pub async fn offers(s: &Server, o: &Org) -> Vec<(Uuid, Uuid)> {
    let v = o.client(s, Role::Agent).ok("/api/offers").await;
    v["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["offer"]["id"].as_str().unwrap().parse().unwrap(),
                x["offer"]["contact_id"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

/// A new contact offered to the org's agent, and the offer. Older contacts offered
/// first are accepted out of the way.
pub async fn fresh_offer(s: &Server, o: &Org) -> (Uuid, Uuid) {
    let c = create_contact(s, o, "Olive Offer").await;
    let cid: Uuid = c["id"].as_str().unwrap().parse().unwrap();
    let agent = o.client(s, Role::Agent);
    for _ in 0..150 {
        let pending = offers(s, o).await;
        if let Some(found) = pending.iter().find(|(_, c)| *c == cid) {
            return *found;
        }
        for (offer, _) in pending {
            let a = agent
                .post(&format!("/api/offers/{offer}/accept"), &json!({}))
                .await;
            assert_eq!(a.status, 200, "accept: {}", a.text);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the new contact {cid} is never offered to the agent");
}

/// A new contact, active with the org's agent.
pub async fn active_contact(s: &Server, o: &Org) -> Uuid {
    let (offer, contact) = fresh_offer(s, o).await;
    let a = o
        .client(s, Role::Agent)
        .post(&format!("/api/offers/{offer}/accept"), &json!({}))
        .await;
    assert_eq!(a.status, 200, "accept: {}", a.text);
    contact
}

/// A new contact the agent has ended (waiting for its wrap-up).
pub async fn ended_contact(s: &Server, o: &Org) -> Uuid {
    let c = active_contact(s, o).await;
    let a = o
        .client(s, Role::Agent)
        .post(&format!("/api/contacts/{c}/end"), &json!({}))
        .await;
    assert_eq!(a.status, 200, "end: {}", a.text);
    c
}

/// Every item of a paginated list, walking `next_cursor` with `limit`.
pub async fn walk(c: &Client, path: &str, limit: u32) -> (Vec<Value>, usize) {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(cur) => format!("{path}{sep}limit={limit}&cursor={cur}"),
            None => format!("{path}{sep}limit={limit}"),
        };
        let v = c.ok(&url).await;
        let items = v["items"].as_array().unwrap();
        assert!(
            items.len() <= limit as usize,
            "{url}: a page larger than its limit"
        );
        out.extend(items.iter().cloned());
        pages += 1;
        assert!(pages < 1000, "{path}: pagination does not end");
        match v["next_cursor"].as_str() {
            Some(n) => cursor = Some(n.to_string()),
            None => return (out, pages),
        }
    }
}

/// `path` with every `{…}` replaced by `id`.
pub fn fill(path: &str, id: Option<Uuid>) -> String {
    let Some(id) = id else {
        return path.to_string();
    };
    let mut out = String::new();
    let mut rest = path;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let j = rest[i..].find('}').map(|j| i + j + 1).unwrap_or(rest.len());
        // A message's place in its contact is a number: the first message.
        if &rest[i..j] == "{seq}" {
            out.push('1');
        } else {
            out.push_str(&id.to_string());
        }
        rest = &rest[j..];
    }
    out.push_str(rest);
    out
}

/// The `delivery` of message `id` as the contact's message list gives it (null when it
/// has none).
pub async fn delivery_of(c: &Client, contact: &str, id: &str) -> Value {
    c.ok(&format!("/api/contacts/{contact}/messages")).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .map(|m| m["delivery"].clone())
        .unwrap_or(Value::Null)
}

/// Poll until the delivery of message `id` satisfies `ok` (6 s at most).
pub async fn delivery_until(
    c: &Client,
    contact: &str,
    id: &str,
    ok: impl Fn(&Value) -> bool,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..300 {
        last = delivery_of(c, contact, id).await;
        if ok(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("delivery of {id} never got there; last: {last}");
}

/// A small picture: what sniffing takes for a PNG.
pub fn png() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&[7u8; 64]);
    png
}

/// A file uploaded to a contact by staff, as the desktop sends it (multipart).
pub async fn upload_file(c: &Client, contact: &str, name: &str, bytes: &[u8]) -> Answer {
    let boundary = "homeshore-test-boundary-7MA4YWxk";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    c.raw(
        "POST",
        &format!("/api/contacts/{contact}/attachments"),
        &format!("multipart/form-data; boundary={boundary}"),
        body,
    )
    .await
}

/// An agent's file sent to the customer with `text`: the message's id.
pub async fn send_file(c: &Client, contact: &str, client_id: &str, text: &str) -> String {
    let up = upload_file(c, contact, "label.png", &png()).await;
    assert_eq!(up.status, 201, "{}", up.text);
    let r = c
        .post(
            &format!("/api/contacts/{contact}/messages"),
            &json!({"client_id": client_id, "text": text, "attachment_id": up.body["id"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["attachment"]["name"], "label.png", "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

/// A browser signing in to `org`: a cookie jar (the session's cookie and the device
/// cookie) and the CSRF token of its session.
pub struct Browser {
    http: reqwest::Client,
    base: String,
    org: String,
    csrf: String,
}

impl Browser {
    pub fn new(s: &Server, org: &str) -> Browser {
        Browser {
            http: server::http_client_builder()
                .cookie_store(true)
                .build()
                .unwrap(),
            base: s.base.clone(),
            org: org.to_string(),
            csrf: String::new(),
        }
    }

    pub async fn login(&mut self, email: &str, password: &str, code: Option<&str>) -> (u16, Value) {
        let mut body = json!({"org": self.org, "email": email, "password": password});
        if let Some(c) = code {
            body["totp_code"] = json!(c);
        }
        let r = self
            .http
            .post(format!("{}/api/auth/login", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        if status == 200 {
            self.csrf = v["csrf_token"].as_str().unwrap_or_default().to_string();
        }
        (status, v)
    }

    pub async fn get(&self, path: &str) -> u16 {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    pub async fn get_json(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or(Value::Null)
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("X-CSRF-Token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

/// `table.column` of every cell in the server's database that holds `needle` (as text,
/// or as bytes: PostgreSQL's `bytea` shows as hex).
pub async fn cells_holding(s: &Server, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    match s.data() {
        Data::Sqlite(dir) => {
            let url = format!("sqlite://{}", dir.join("homeshore.db").display());
            let pool = sqlx::SqlitePool::connect(&url).await.expect("the database");
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            for t in tables {
                let cols: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT name FROM pragma_table_info('{t}')"
                )))
                .fetch_all(&pool)
                .await
                .unwrap();
                for c in cols {
                    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT count(*) FROM \"{t}\" WHERE instr(CAST(\"{c}\" AS BLOB), CAST($1 AS BLOB)) > 0"
                    )))
                    .bind(needle)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                    if n > 0 {
                        hits.push(format!("{t}.{c}"));
                    }
                }
            }
            pool.close().await;
        }
        Data::Postgres(schema) => {
            let pool = sqlx::PgPool::connect(&pg_url()).await.expect("PostgreSQL");
            let cols: Vec<(String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = $1",
            )
            .bind(&schema)
            .fetch_all(&pool)
            .await
            .unwrap();
            let hex = hex::encode(needle.as_bytes());
            for (t, c) in cols {
                let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT count(*) FROM \"{schema}\".\"{t}\" WHERE \"{c}\"::text LIKE $1 OR \"{c}\"::text LIKE $2"
                )))
                .bind(format!("%{needle}%"))
                .bind(format!("%{hex}%"))
                .fetch_one(&pool)
                .await
                .unwrap();
                if n > 0 {
                    hits.push(format!("{t}.{c}"));
                }
            }
            pool.close().await;
        }
    }
    hits
}
