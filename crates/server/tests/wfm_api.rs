//! Workforce management over real HTTP against the real server, on SQLite and then on
//! a PostgreSQL schema of its own, with the clock held on Wednesday 2026-12-02 10:05 UTC: agents offer hours, a supervisor enters
//! a requirement, generates and publishes a schedule, agents see their shifts, pick up
//! an open shift and accept extra hours, and the adherence view lists who is scheduled
//! but offline. Roles and organisations are kept apart.

use std::sync::{Arc, Mutex};

use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use server::AppState;
use store::Role;
use time::macros::datetime;

const PASSWORD: &str = "correct-horse-battery";
const WEEK: &str = "2026-11-30";
/// Intervals of 30 minutes from Monday 00:00 UTC.
const PER_DAY: usize = 48;

struct Server {
    base: String,
    state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

/// A clock held at Wednesday 10:05 UTC, and the hand that moves it.
fn clock() -> (server::Clock, Arc<Mutex<time::OffsetDateTime>>) {
    let hand = Arc::new(Mutex::new(datetime!(2026-12-02 10:05 UTC)));
    (server::Clock::Manual(hand.clone()), hand)
}

fn config(dir: &tempfile::TempDir) -> server::Config {
    server::Config {
        data_dir: dir.path().to_path_buf(),
        argon2_m_kib: 4096,
        login_burst: 100,
        ..Default::default()
    }
}

async fn listen(state: AppState, dir: tempfile::TempDir) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::serve(listener, state.clone(), async move {
        let _ = stopped.await;
    }));
    Server {
        base,
        state,
        stop: Some(stop),
        _dir: dir,
    }
}

type Hand = Arc<Mutex<time::OffsetDateTime>>;

/// A server on SQLite in a temporary directory.
async fn on_sqlite() -> (Server, Hand) {
    let dir = tempfile::tempdir().unwrap();
    let (clock, hand) = clock();
    let state = AppState::open_with_clock(config(&dir), clock)
        .await
        .unwrap();
    (listen(state, dir).await, hand)
}

/// A server on a PostgreSQL schema of its own (dropped by `done`); None, loudly, when
/// PostgreSQL is unreachable outside CI.
async fn on_postgres() -> Option<(Server, Hand, impl AsyncFnOnce())> {
    let url = std::env::var("HOMESHORE_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
    let schema = format!("wfm_{}", uuid::Uuid::new_v4().simple());
    let pg = match store::PgStore::connect(&url, Some(&schema)).await {
        Ok(pg) => pg,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "PostgreSQL unreachable in CI: {e}"
            );
            eprintln!("\n!!!!!!!! SKIPPING the PostgreSQL run: {e}\n");
            return None;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let (clock, hand) = clock();
    let state = AppState::with_store(store::Db::Postgres(pg), config(&dir), clock)
        .await
        .unwrap();
    let done = async move || {
        let _ = store::PgStore::drop_schema(&url, &schema).await;
    };
    Some((listen(state, dir).await, hand, done))
}

#[tokio::test]
async fn wfm_end_to_end_sqlite() {
    let (srv, hand) = on_sqlite().await;
    wfm_end_to_end(srv, hand).await;
}

#[tokio::test]
async fn wfm_end_to_end_postgres() {
    if let Some((srv, hand, done)) = on_postgres().await {
        wfm_end_to_end(srv, hand).await;
        done().await;
    }
}

#[tokio::test]
async fn forecast_from_history_sqlite() {
    forecast_from_history(on_sqlite().await.0).await;
}

#[tokio::test]
async fn forecast_from_history_postgres() {
    if let Some((srv, _, done)) = on_postgres().await {
        forecast_from_history(srv).await;
        done().await;
    }
}

/// Eight weeks of chats before the planning week become a forecast, a requirement and
/// the forecast's accuracy on the last open days.
async fn forecast_from_history(mut srv: Server) {
    let s = &srv.state;
    let org = server::seed::create_org(s, "hist", "History")
        .await
        .unwrap();
    server::seed::create_user(
        s,
        org.id,
        "sue@hist.example",
        "Sue",
        Role::Supervisor,
        PASSWORD,
    )
    .await
    .unwrap();
    let queue = server::seed::create_queue(s, org.id, "Orders", json!({}))
        .await
        .unwrap();
    // Four agents, three chats each: nobody waits long.
    let agents: Vec<uuid::Uuid> = (0..4).map(|_| uuid::Uuid::now_v7()).collect();
    let history = server::seed::History {
        org: org.id,
        queues: &[queue.id],
        agents: &agents,
        first_day: datetime!(2026-10-05 00:00 UTC),
        days: 56,
        per_day: 200.0,
        aht_s: 240.0,
        codes: &[],
        openings: &[],
        recent: &[],
        seed: 7,
    };
    let n = history.write(s).await.unwrap();
    assert!(n > 8_000, "{n} contacts");
    let sue = Client::login(&srv.base, "hist", "sue@hist.example").await;
    let (st, plan) = sue
        .post(
            "/api/wfm/forecasts",
            json!({"week": WEEK, "service_level": 0.8, "answer_s": 20}),
        )
        .await;
    assert_eq!(st, 201, "{plan}");
    assert_eq!(plan["source"], "forecast");
    let day = |d: usize, what: &str| -> f64 {
        plan[what].as_array().unwrap()[d * PER_DAY..(d + 1) * PER_DAY]
            .iter()
            .map(|x| x.as_f64().unwrap())
            .sum()
    };
    // Sunday is closed; a Monday is a quarter busier than the 200 of a Tuesday.
    assert_eq!(day(6, "forecast"), 0.0, "{plan}");
    assert_eq!(day(6, "requirement"), 0.0);
    let (mon, tue) = (day(0, "forecast"), day(1, "forecast"));
    assert!((mon - 250.0).abs() < 40.0, "Monday {mon}");
    assert!((tue - 200.0).abs() < 35.0, "Tuesday {tue}");
    // Nights stay closed, the late morning is staffed.
    let fc = plan["forecast"].as_array().unwrap();
    assert_eq!(fc[PER_DAY + 6], 0.0, "Tuesday 03:00");
    assert!(
        plan["requirement"][PER_DAY + 22].as_f64().unwrap() >= 1.0,
        "Tuesday 11:00"
    );
    // Handle times come from the history (about 240 s).
    let aht = plan["aht_s"][PER_DAY + 22].as_f64().unwrap();
    assert!((aht - 240.0).abs() < 40.0, "AHT {aht}");
    // The backtest on the last 14 open days: far better than nothing, and said.
    let acc = &plan["accuracy"];
    eprintln!("forecast accuracy over the last open days: {acc}");
    assert_eq!(acc["days"], 14, "{acc}");
    let wape = acc["wape"].as_f64().unwrap();
    assert!(wape > 0.0 && wape < 0.4, "WAPE {wape}");
    let baseline = acc["baseline_wape"].as_f64().unwrap();
    assert!(
        wape < baseline,
        "the method beats the seasonal-naive baseline: {acc}"
    );
    // The same history gives the same forecast.
    let (_, again) = sue
        .post(
            "/api/wfm/forecasts",
            json!({"week": WEEK, "service_level": 0.8, "answer_s": 20}),
        )
        .await;
    assert_eq!(again["forecast"], plan["forecast"]);
    if let Some(stop) = srv.stop.take() {
        let _ = stop.send(());
    }
}

struct Client {
    http: reqwest::Client,
    base: String,
    id: String,
}

impl Client {
    async fn login(base: &str, org: &str, email: &str) -> Client {
        let resp = server::http_client()
            .post(format!("{base}/api/auth/login"))
            .header("origin", base)
            .json(&json!({"org": org, "email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "login {email}");
        let cookie = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .collect::<Vec<_>>()
            .join("; ");
        let v: Value = resp.json().await.unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("cookie", HeaderValue::from_str(&cookie).unwrap());
        headers.insert(
            "x-csrf-token",
            HeaderValue::from_str(v["csrf_token"].as_str().unwrap()).unwrap(),
        );
        headers.insert("origin", HeaderValue::from_str(base).unwrap());
        Client {
            http: server::http_client_builder()
                .default_headers(headers)
                .build()
                .unwrap(),
            base: base.to_string(),
            id: v["user"]["id"].as_str().unwrap().to_string(),
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }
    async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }
}

fn every_day(start: &str, end: &str) -> Value {
    Value::Array(
        (0..7)
            .map(|d| json!({"weekday": d, "start": start, "end": end}))
            .collect(),
    )
}

/// `agents` needed on `day` (0 = Monday) from `from` to `to` o'clock UTC.
fn need(req: &mut [f64], day: usize, from: usize, to: usize, agents: f64) {
    for r in &mut req[day * PER_DAY + from * 2..day * PER_DAY + to * 2] {
        *r = agents;
    }
}

fn assert_error(v: &Value, code: &str) {
    assert_eq!(v["error"]["code"], code, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{v}"
    );
}

async fn wfm_end_to_end(mut srv: Server, hand: Arc<Mutex<time::OffsetDateTime>>) {
    let s = &srv.state;
    let org = server::seed::create_org(s, "acme", "Acme").await.unwrap();
    let other = server::seed::create_org(s, "other", "Other").await.unwrap();
    for (email, name, role) in [
        ("ada@acme.example", "Ada Lovelace", Role::Agent),
        ("bob@acme.example", "Bob Stone", Role::Agent),
        ("cy@acme.example", "Cy Young", Role::Agent),
        ("sue@acme.example", "Sue Visor", Role::Supervisor),
        ("ann@acme.example", "Ann Alyst", Role::Analyst),
    ] {
        server::seed::create_user(s, org.id, email, name, role, PASSWORD)
            .await
            .unwrap();
    }
    server::seed::create_user(
        s,
        other.id,
        "oz@other.example",
        "Oz",
        Role::Supervisor,
        PASSWORD,
    )
    .await
    .unwrap();
    let base = srv.base.as_str();
    let ada = Client::login(base, "acme", "ada@acme.example").await;
    let bob = Client::login(base, "acme", "bob@acme.example").await;
    let sue = Client::login(base, "acme", "sue@acme.example").await;
    let ann = Client::login(base, "acme", "ann@acme.example").await;
    let oz = Client::login(base, "other", "oz@other.example").await;

    // Not signed in: 401 in the one error shape.
    let r = server::http_client()
        .get(format!("{base}/api/wfm/me/preferences"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_error(&r.json().await.unwrap(), "unauthorized");

    // Preferences: defaults until saved; bad hours are refused with a clear error.
    let (st, p) = ada.get("/api/wfm/me/preferences").await;
    assert_eq!(st, 200, "{p}");
    assert_eq!(p["saved"], false);
    assert_eq!(p["min_week_hours"], 1.0);
    assert_eq!(p["max_week_hours"], 30.0);
    let (st, e) = ada
        .put(
            "/api/wfm/me/preferences",
            json!({"windows": every_day("08:00", "18:00"), "max_week_hours": 40}),
        )
        .await;
    assert_eq!(st, 422);
    assert_error(&e, "invalid");
    let (st, e) = ada
        .put(
            "/api/wfm/me/preferences",
            json!({"windows": every_day("08:00", "18:00"), "peak_max_week_hours": 70}),
        )
        .await;
    assert_eq!(st, 422, "{e}");
    let (st, e) = ada
        .put(
            "/api/wfm/me/preferences",
            json!({"windows": [{"weekday": 2, "start": "18:00", "end": "08:00"}]}),
        )
        .await;
    assert_eq!(st, 422, "{e}");
    let (st, p) = ada
        .put(
            "/api/wfm/me/preferences",
            json!({"windows": every_day("08:00", "18:00"), "min_week_hours": 1, "max_week_hours": 20,
                   "peak_max_week_hours": 45, "time_zone": "UTC", "utc_offset_min": 0}),
        )
        .await;
    assert_eq!(st, 200, "{p}");
    assert_eq!(p["saved"], true);
    assert_eq!(p["max_week_hours"], 20.0);
    assert_eq!(p["peak_max_week_hours"], 45.0);
    let (_, p) = ada.get("/api/wfm/me/preferences").await;
    assert_eq!(p["windows"].as_array().unwrap().len(), 7);
    let (st, _) = bob
        .put(
            "/api/wfm/me/preferences",
            json!({"windows": [{"weekday": 2, "start": "09:00", "end": "13:00"}], "max_week_hours": 30}),
        )
        .await;
    assert_eq!(st, 200);
    // Analysts have no hours to offer.
    let (st, e) = ann.get("/api/wfm/me/preferences").await;
    assert_eq!(st, 403);
    assert_error(&e, "forbidden");

    // The requirement: Wednesday 10–14 one agent, Thursday 10–12 two, Friday 08–18 one.
    let mut req = vec![0.0; 7 * PER_DAY];
    need(&mut req, 2, 10, 14, 1.0);
    need(&mut req, 3, 10, 12, 2.0);
    need(&mut req, 4, 8, 18, 1.0);
    for who in [&ada, &ann] {
        let (st, e) = who
            .post(
                "/api/wfm/requirements",
                json!({"week": WEEK, "requirement": req}),
            )
            .await;
        assert_eq!(st, 403, "{e}");
    }
    let (st, e) = sue
        .post(
            "/api/wfm/requirements",
            json!({"week": WEEK, "requirement": [1.0, 2.0]}),
        )
        .await;
    assert_eq!(st, 422);
    assert_error(&e, "invalid");
    let (st, e) = sue
        .post(
            "/api/wfm/requirements",
            json!({"week": "2026-12-01", "requirement": req}),
        )
        .await;
    assert_eq!(st, 422, "not a Monday: {e}");
    let (st, e) = sue.post("/api/wfm/schedules", json!({"week": WEEK})).await;
    assert_eq!(st, 422, "no requirement yet: {e}");
    let (st, r) = sue
        .post(
            "/api/wfm/requirements",
            json!({"week": WEEK, "requirement": req}),
        )
        .await;
    assert_eq!(st, 201, "{r}");
    assert_eq!(r["source"], "entered");
    let (st, r) = ann.get(&format!("/api/wfm/requirements?week={WEEK}")).await;
    assert_eq!(st, 200);
    assert_eq!(r["requirement"].as_array().unwrap().len(), 336);

    // No contact history: no forecast, said clearly.
    let (st, e) = sue.post("/api/wfm/forecasts", json!({"week": WEEK})).await;
    assert_eq!(st, 422, "{e}");
    assert_error(&e, "invalid");

    // Generate a draft: agents without preferences are named; coverage, shortfall and
    // the lower bound come with it.
    let (st, e) = ada.post("/api/wfm/schedules", json!({"week": WEEK})).await;
    assert_eq!(st, 403, "{e}");
    let (st, sched) = sue.post("/api/wfm/schedules", json!({"week": WEEK})).await;
    assert_eq!(st, 201, "{sched}");
    assert_eq!(sched["status"], "draft");
    assert_eq!(sched["coverage"].as_array().unwrap().len(), 336);
    assert_eq!(sched["without_preferences"], json!(["Cy Young"]));
    let shortfall = sched["shortfall"].as_f64().unwrap();
    let bound = sched["lower_bound"].as_f64().unwrap();
    assert!(
        shortfall + 1e-9 >= bound && bound >= 0.0,
        "{shortfall} vs {bound}"
    );
    // Thursday needs two and only Ada can work it: at least 4 intervals short.
    assert!(bound >= 4.0 - 1e-9, "lower bound {bound}");
    let shifts = sched["shifts"].as_array().unwrap();
    assert!(!shifts.is_empty());
    for sh in shifts {
        assert!(
            sh["agent_id"] == json!(ada.id) || sh["agent_id"] == json!(bob.id),
            "{sh}"
        );
    }
    let id = sched["id"].as_str().unwrap().to_string();

    // Drafts are not shown to agents.
    let (st, mine) = ada.get("/api/wfm/me/shifts").await;
    assert_eq!(st, 200);
    assert_eq!(mine["items"], json!([]));
    // Another organisation sees nothing of it.
    let (st, e) = oz.get(&format!("/api/wfm/schedules/{id}")).await;
    assert_eq!(st, 404, "{e}");
    let (st, e) = oz
        .post(&format!("/api/wfm/schedules/{id}/publish"), json!({}))
        .await;
    assert_eq!(st, 404, "{e}");
    let (_, list) = oz.get("/api/wfm/schedules").await;
    assert_eq!(list["items"], json!([]));

    // Publish.
    let (st, e) = ada
        .post(&format!("/api/wfm/schedules/{id}/publish"), json!({}))
        .await;
    assert_eq!(st, 403, "{e}");
    let (st, p) = sue
        .post(&format!("/api/wfm/schedules/{id}/publish"), json!({}))
        .await;
    assert_eq!(st, 200, "{p}");
    assert_eq!(p["status"], "published");
    let (_, list) = ann.get(&format!("/api/wfm/schedules?week={WEEK}")).await;
    assert_eq!(list["items"][0]["status"], "published");

    // Simulating the schedule needs the week's expected contacts.
    let (st, e) = ann
        .post(&format!("/api/wfm/schedules/{id}/simulate"), json!({}))
        .await;
    assert_eq!(st, 422, "{e}");
    assert_error(&e, "invalid");
    // Four contacts a half-hour on Wednesday 10–14, which is staffed, and on Sunday
    // 12–14, which nobody works.
    let mut contacts = vec![0.0; 7 * PER_DAY];
    need(&mut contacts, 2, 10, 14, 4.0);
    need(&mut contacts, 6, 12, 14, 4.0);
    let (st, r) = sue
        .post(
            "/api/wfm/requirements",
            json!({"week": WEEK, "requirement": req, "contacts": contacts, "aht_s": vec![180.0; 7 * PER_DAY]}),
        )
        .await;
    assert_eq!(st, 201, "{r}");
    let (st, e) = ada
        .post(&format!("/api/wfm/schedules/{id}/simulate"), json!({}))
        .await;
    assert_eq!(st, 403, "{e}");
    let (st, e) = sue
        .post(
            &format!("/api/wfm/schedules/{id}/simulate"),
            json!({"runs": 0}),
        )
        .await;
    assert_eq!(st, 422, "{e}");
    let (st, sim) = ann
        .post(
            &format!("/api/wfm/schedules/{id}/simulate"),
            json!({"runs": 20, "patience_s": 60}),
        )
        .await;
    assert_eq!(st, 200, "{sim}");
    let iv = sim["intervals"].as_array().unwrap();
    assert_eq!(iv.len(), 7 * PER_DAY);
    // 48 contacts a week expected, twenty times over (Poisson: loosely).
    let offered = sim["offered"].as_f64().unwrap();
    assert!((600.0..1400.0).contains(&offered), "{offered}");
    // Nobody works Sunday: nobody there is answered, everyone hangs up.
    for x in &iv[6 * PER_DAY + 24..6 * PER_DAY + 28] {
        assert_eq!(x["service_level"], 0.0, "{x}");
        assert_eq!(x["abandon_rate"], 1.0, "{x}");
    }
    // Wednesday's agent answers most of its contacts in time (0.4 Erlang on one agent).
    let wed: Vec<f64> = (2 * PER_DAY + 20..2 * PER_DAY + 28)
        .map(|i| iv[i]["service_level"].as_f64().unwrap())
        .collect();
    let wed = wed.iter().sum::<f64>() / wed.len() as f64;
    assert!(wed > 0.4, "Wednesday service level {wed}");
    let sl = sim["service_level"].as_f64().unwrap();
    assert!(sl > 0.0 && sl < wed, "{sl} for the week");
    assert!(sim["service_level_ci95"].as_f64().unwrap() > 0.0);
    // Another organisation cannot simulate it.
    let (st, _) = oz
        .post(&format!("/api/wfm/schedules/{id}/simulate"), json!({}))
        .await;
    assert_eq!(st, 404);

    // Peak planning: Thursday needs two and only Ada can work it, Friday needs ten
    // hours: hires of the standard patterns close the gap. Nothing is changed.
    let (st, e) = ann.post("/api/wfm/hire-plans", json!({"week": WEEK})).await;
    assert_eq!(st, 403, "{e}");
    let (st, e) = sue
        .post(
            "/api/wfm/hire-plans",
            json!({"week": WEEK, "utc_offset_min": 2000}),
        )
        .await;
    assert_eq!(st, 422, "{e}");
    let (st, hp) = sue.post("/api/wfm/hire-plans", json!({"week": WEEK})).await;
    assert_eq!(st, 200, "{hp}");
    let total = hp["total_hires"].as_u64().unwrap();
    assert!(total >= 1, "{hp}");
    let listed: u64 = hp["hires"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["hires"].as_u64().unwrap())
        .sum();
    assert_eq!(listed, total, "{hp}");
    let before = hp["shortfall_before"].as_f64().unwrap();
    assert!(before + 1e-9 >= bound, "{before} vs the bound {bound}");
    assert!(hp["shortfall_after"].as_f64().unwrap() < before, "{hp}");
    assert!(hp["hours_added"].as_f64().unwrap() > 0.0, "{hp}");
    let (_, list) = sue.get(&format!("/api/wfm/schedules?week={WEEK}")).await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "no schedule added"
    );

    // Ada sees her shifts, inside her availability (08–18 UTC).
    let (_, mine) = ada.get("/api/wfm/me/shifts").await;
    let mine = mine["items"].as_array().unwrap().clone();
    assert!(!mine.is_empty());
    for sh in &mine {
        let start = sh["start"].as_str().unwrap();
        let end = sh["end"].as_str().unwrap();
        assert!(start[11..16] >= *"08:00" && end[11..16] <= *"18:00", "{sh}");
        assert_eq!(sh["schedule_id"], json!(id));
    }
    // Thursday is hers alone.
    assert!(
        mine.iter()
            .any(|s| s["start"].as_str().unwrap().starts_with("2026-12-03"))
    );

    // The same shifts as a calendar file: one event per shift, in UTC.
    let r = ada
        .http
        .get(format!("{}/api/wfm/me/shifts.ics", ada.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let ics = r.text().await.unwrap();
    assert!(
        ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"),
        "{ics}"
    );
    assert!(ics.ends_with("END:VCALENDAR\r\n"), "{ics}");
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), mine.len(), "{ics}");
    for sh in &mine {
        let start = sh["start"].as_str().unwrap().replace(['-', ':'], "");
        let stamp = format!("DTSTART:{}Z", &start[..15]);
        assert!(ics.contains(&stamp), "{stamp} in {ics}");
        assert!(ics.contains(&format!("UID:{}@homeshore", sh["id"].as_str().unwrap())));
    }
    assert!(ics.split("\r\n").all(|l| l.len() <= 75), "{ics}");
    let r = ann
        .http
        .get(format!("{}/api/wfm/me/shifts.ics", ann.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "analysts have no shifts");

    // Adherence: whoever works Wednesday 10:05 is offline, hence out of adherence.
    let (st, e) = ada.get("/api/wfm/adherence").await;
    assert_eq!(st, 403, "{e}");
    let (st, adh) = sue.get("/api/wfm/adherence").await;
    assert_eq!(st, 200, "{adh}");
    assert_eq!(adh["schedule_id"], json!(id));
    let working: Vec<&Value> = adh["agents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["scheduled"] == "work")
        .collect();
    assert!(!working.is_empty(), "{adh}");
    let out = adh["items"].as_array().unwrap();
    for w in &working {
        let o = out
            .iter()
            .find(|o| o["agent_id"] == w["agent_id"])
            .unwrap_or_else(|| panic!("{w} should be out of adherence: {adh}"));
        assert_eq!(o["actual"], "offline");
        assert!(o["since"].as_str().unwrap() <= "2026-12-02T10:05:00Z");
    }
    // So far today the working agent has been offline all of its scheduled time.
    let today = &working[0]["today"];
    assert_eq!(today["adherence"], 0.0, "{adh}");
    assert_eq!(today["conformance"], 0.0, "{adh}");
    let scheduled_before = today["scheduled_s"].as_f64().unwrap();
    assert!(scheduled_before > 0.0, "{adh}");
    assert_eq!(adh["team_today"]["adherence"], 0.0, "{adh}");
    // The working agent goes available: back in adherence.
    let worker = working[0]["agent_id"].as_str().unwrap();
    let who = if worker == ada.id { &ada } else { &bob };
    let (st, e) = who
        .put("/api/agent/state", json!({"state": "available"}))
        .await;
    assert_eq!(st, 200, "{e}");
    // Ten minutes on (within the sessions' idle limit), today's adherence counts the
    // ten minutes worked as scheduled.
    *hand.lock().unwrap() += time::Duration::minutes(10);
    let (st, adh) = sue.get("/api/wfm/adherence").await;
    assert_eq!(st, 200, "{adh}");
    let mine = adh["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agent_id"] == worker)
        .unwrap();
    let expected = 600.0 / (scheduled_before + 600.0);
    let got = mine["today"]["adherence"].as_f64().unwrap();
    assert!((got - expected).abs() < 1e-9, "{got} vs {expected}: {mine}");
    assert_eq!(
        mine["week"]["adherence"], mine["today"]["adherence"],
        "{mine}"
    );
    assert!(
        !adh["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["agent_id"] == worker),
        "{adh}"
    );
    // The other organisation has no published schedule.
    let (_, adh) = oz.get("/api/wfm/adherence").await;
    assert_eq!(adh["schedule_id"], Value::Null);

    // Open shifts: Thursday still needs a second agent; Bob picks it up, once.
    let (st, open) = bob.get("/api/wfm/me/open-shifts").await;
    assert_eq!(st, 200, "{open}");
    let thursday = open["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["start"].as_str().unwrap().starts_with("2026-12-03"))
        .cloned()
        .unwrap_or_else(|| panic!("a Thursday open shift: {open}"));
    let take =
        json!({"schedule_id": id, "start_index": thursday["start_index"], "len": thursday["len"]});
    let (st, sh) = bob.post("/api/wfm/me/open-shifts", take.clone()).await;
    assert_eq!(st, 201, "{sh}");
    assert_eq!(sh["source"], "open_shift");
    let (st, e) = bob.post("/api/wfm/me/open-shifts", take).await;
    assert_eq!(st, 409, "{e}");
    assert_error(&e, "conflict");
    let (_, mine) = bob.get("/api/wfm/me/shifts").await;
    assert!(
        mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["source"] == "open_shift")
    );

    // Extra hours: Friday needs 10 hours, a shift is at most 8; Ada may extend hers.
    let (st, extra) = ada.get("/api/wfm/me/extra-hours").await;
    assert_eq!(st, 200, "{extra}");
    let offer = extra["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["start"].as_str().unwrap().starts_with("2026-12-04"))
        .cloned()
        .unwrap_or_else(|| panic!("a Friday extra-hours offer: {extra}"));
    let (_, before) = sue.get(&format!("/api/wfm/schedules/{id}")).await;
    let accept = json!({"schedule_id": id, "shift_id": offer["shift_id"], "start_index": offer["start_index"], "len": offer["len"]});
    let (st, sh) = ada.post("/api/wfm/me/extra-hours", accept.clone()).await;
    assert_eq!(st, 200, "{sh}");
    assert_eq!(sh["id"], offer["shift_id"]);
    let (_, after) = sue.get(&format!("/api/wfm/schedules/{id}")).await;
    assert!(after["shortfall"].as_f64().unwrap() < before["shortfall"].as_f64().unwrap());
    let (st, e) = ada.post("/api/wfm/me/extra-hours", accept).await;
    assert_eq!(st, 409, "{e}");

    // Shift swaps: Ada puts her Friday shift up; only a colleague whose hours allow it
    // may take it, and then it is theirs.
    let (_, mine) = ada.get("/api/wfm/me/shifts").await;
    let friday = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["start"].as_str().unwrap().starts_with("2026-12-04"))
        .cloned()
        .unwrap_or_else(|| panic!("Ada's Friday shift: {mine}"));
    let fid = friday["id"].as_str().unwrap().to_string();
    let (st, e) = bob
        .post("/api/wfm/me/swaps", json!({"shift_id": fid}))
        .await;
    assert_eq!(st, 404, "not Bob's shift to offer: {e}");
    let (st, e) = bob
        .post(&format!("/api/wfm/me/swaps/{fid}/take"), json!({}))
        .await;
    assert_eq!(st, 409, "not up for swap yet: {e}");
    let (st, up) = ada
        .post("/api/wfm/me/swaps", json!({"shift_id": fid}))
        .await;
    assert_eq!(st, 200, "{up}");
    assert_eq!(up["up_for_swap"], true);
    let (st, e) = ada
        .post(&format!("/api/wfm/me/swaps/{fid}/take"), json!({}))
        .await;
    assert_eq!(st, 409, "her own: {e}");
    // Bob offers Wednesday mornings only: Friday is not for him.
    let (st, list) = bob.get("/api/wfm/me/swaps").await;
    assert_eq!(st, 200, "{list}");
    assert_eq!(list["items"], json!([]));
    let (st, e) = bob
        .post(&format!("/api/wfm/me/swaps/{fid}/take"), json!({}))
        .await;
    assert_eq!(st, 409, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("outside the hours you offer"),
        "{e}"
    );
    // Another organisation neither sees nor takes it.
    let (_, list) = oz.get("/api/wfm/me/swaps").await;
    assert_eq!(list["items"], json!([]));
    let (st, _) = oz
        .post(&format!("/api/wfm/me/swaps/{fid}/take"), json!({}))
        .await;
    assert_eq!(st, 404);
    // Bob offers Fridays too: now he sees it and takes it, breaks and all.
    let (st, _) = bob
        .put(
            "/api/wfm/me/preferences",
            json!({"windows": [{"weekday": 2, "start": "09:00", "end": "13:00"},
                               {"weekday": 4, "start": "06:00", "end": "22:00"}],
                   "max_week_hours": 30}),
        )
        .await;
    assert_eq!(st, 200);
    let (_, list) = bob.get("/api/wfm/me/swaps").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["items"][0]["id"], json!(fid));
    let (_, before) = sue.get(&format!("/api/wfm/schedules/{id}")).await;
    let (st, taken) = bob
        .post(&format!("/api/wfm/me/swaps/{fid}/take"), json!({}))
        .await;
    assert_eq!(st, 200, "{taken}");
    assert_eq!(taken["agent_id"], json!(bob.id));
    assert_eq!(taken["source"], "swap");
    assert_eq!(taken["up_for_swap"], false);
    assert_eq!(taken["breaks"], friday["breaks"]);
    let (_, after) = sue.get(&format!("/api/wfm/schedules/{id}")).await;
    assert_eq!(
        after["coverage"], before["coverage"],
        "a swap keeps coverage"
    );
    let (_, mine) = ada.get("/api/wfm/me/shifts").await;
    assert!(
        !mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == json!(fid))
    );
    let (st, e) = bob
        .post(&format!("/api/wfm/me/swaps/{fid}/take"), json!({}))
        .await;
    assert_eq!(st, 409, "taken already: {e}");
    // Put up, then taken back.
    let thursday = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["start"].as_str().unwrap().starts_with("2026-12-03"))
        .cloned()
        .unwrap();
    let tid = thursday["id"].as_str().unwrap();
    let (st, _) = ada
        .post("/api/wfm/me/swaps", json!({"shift_id": tid}))
        .await;
    assert_eq!(st, 200);
    let (st, e) = bob
        .send(
            reqwest::Method::DELETE,
            &format!("/api/wfm/me/swaps/{tid}"),
            None,
        )
        .await;
    assert_eq!(st, 404, "only its agent withdraws it: {e}");
    let (st, back) = ada
        .send(
            reqwest::Method::DELETE,
            &format!("/api/wfm/me/swaps/{tid}"),
            None,
        )
        .await;
    assert_eq!(st, 200, "{back}");
    assert_eq!(back["up_for_swap"], false);

    // Forecast vs actual: the requirement and the schedule's coverage, actuals so far.
    let (st, f) = ann.get(&format!("/api/wfm/forecast?week={WEEK}")).await;
    assert_eq!(st, 200, "{f}");
    assert_eq!(f["requirement"].as_array().unwrap().len(), 336);
    assert_eq!(f["scheduled"].as_array().unwrap().len(), 336);
    assert_eq!(f["actual"][0], 0.0);
    assert_eq!(f["actual"][335], Value::Null);

    // A second schedule published supersedes the first.
    let (_, second) = sue.post("/api/wfm/schedules", json!({"week": WEEK})).await;
    let id2 = second["id"].as_str().unwrap();
    let (st, _) = sue
        .post(&format!("/api/wfm/schedules/{id2}/publish"), json!({}))
        .await;
    assert_eq!(st, 200);
    let (_, first) = sue.get(&format!("/api/wfm/schedules/{id}")).await;
    assert_eq!(first["status"], "superseded");

    // The endpoints are in the OpenAPI document.
    let doc = server::http_client()
        .get(format!("{base}/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for path in [
        "/api/wfm/me/preferences",
        "/api/wfm/me/swaps/{id}/take",
        "/api/wfm/schedules/{id}/publish",
        "/api/wfm/adherence",
    ] {
        assert!(doc.contains(path), "{path} in the OpenAPI document");
    }

    if let Some(stop) = srv.stop.take() {
        let _ = stop.send(());
    }
}

/// An hour under-staffed across UTC midnight (Tuesday 23:30 – Wednesday 00:30, at
/// Tuesday 23:02) is one open shift that an agent can pick up, not two half hours too
/// short to be offered.
#[tokio::test]
async fn open_shift_across_utc_midnight() {
    let (mut srv, hand) = on_sqlite().await;
    *hand.lock().unwrap() = datetime!(2026-12-01 23:02 UTC);
    let s = &srv.state;
    let org = server::seed::create_org(s, "acme", "Acme").await.unwrap();
    for (email, name, role) in [
        ("ada@acme.example", "Ada Lovelace", Role::Agent),
        ("bob@acme.example", "Bob Stone", Role::Agent),
        ("sue@acme.example", "Sue Visor", Role::Supervisor),
    ] {
        server::seed::create_user(s, org.id, email, name, role, PASSWORD)
            .await
            .unwrap();
    }
    let base = srv.base.as_str();
    let ada = Client::login(base, "acme", "ada@acme.example").await;
    let bob = Client::login(base, "acme", "bob@acme.example").await;
    let sue = Client::login(base, "acme", "sue@acme.example").await;

    // One agent needed Tuesday 22:00 – Wednesday 00:30; only Ada has offered hours, on
    // Monday mornings.
    let (st, p) = ada
        .put(
            "/api/wfm/me/preferences",
            json!({"windows": [{"weekday": 0, "start": "08:00", "end": "12:00"}]}),
        )
        .await;
    assert_eq!(st, 200, "{p}");
    let mut req = vec![0.0; 7 * PER_DAY];
    req[PER_DAY + 44..2 * PER_DAY + 1].fill(1.0);
    let (st, r) = sue
        .post(
            "/api/wfm/requirements",
            json!({"week": WEEK, "requirement": req}),
        )
        .await;
    assert_eq!(st, 201, "{r}");
    let (st, sched) = sue.post("/api/wfm/schedules", json!({"week": WEEK})).await;
    assert_eq!(st, 201, "{sched}");
    let id = sched["id"].as_str().unwrap().to_string();
    let (st, p) = sue
        .post(&format!("/api/wfm/schedules/{id}/publish"), json!({}))
        .await;
    assert_eq!(st, 200, "{p}");
    // The planner sees what is left from the current half hour: 23:00 – 00:30.
    let open = &p["open_shifts"];
    assert_eq!(open.as_array().unwrap().len(), 1, "{open}");
    assert_eq!(open[0]["start"], "2026-12-01T23:00:00Z", "{open}");
    assert_eq!(open[0]["end"], "2026-12-02T00:30:00Z", "{open}");

    // Bob is offered what has not begun: 23:30 – 00:30, and picks it up.
    let (st, open) = bob.get("/api/wfm/me/open-shifts").await;
    assert_eq!(st, 200, "{open}");
    let items = open["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{open}");
    assert_eq!(items[0]["start"], "2026-12-01T23:30:00Z", "{open}");
    assert_eq!(items[0]["end"], "2026-12-02T00:30:00Z", "{open}");
    assert_eq!(items[0]["hours"], 1.0, "{open}");
    let take =
        json!({"schedule_id": id, "start_index": items[0]["start_index"], "len": items[0]["len"]});
    let (st, sh) = bob.post("/api/wfm/me/open-shifts", take).await;
    assert_eq!(st, 201, "{sh}");
    let (_, open) = bob.get("/api/wfm/me/open-shifts").await;
    assert_eq!(open["items"], json!([]), "{open}");
    if let Some(stop) = srv.stop.take() {
        let _ = stop.send(());
    }
}

/// Agents in Phoenix (no daylight saving) and New York offer "09:00–17:00" on their own
/// wall clocks; the weeks before and after the November change are scheduled. Each sees
/// their shifts at 09:00–17:00 local (MST; EDT then EST), the New York shifts move an
/// hour in UTC, the planner reads them in the planning zone, the calendar file names
/// the zone, and invalid zones are refused naming the field. Preferences saved before
/// zones (a fixed offset and a free label) read as that fixed offset.
#[tokio::test]
async fn time_zones_across_the_november_change() {
    let (mut srv, hand) = on_sqlite().await;
    *hand.lock().unwrap() = datetime!(2026-10-20 12:00 UTC);
    let s = &srv.state;
    let org = server::seed::create_org(s, "acme", "Acme").await.unwrap();
    let mut ids = Vec::new();
    for (email, name, role) in [
        ("pat@acme.example", "Pat Phoenix", Role::Agent),
        ("nia@acme.example", "Nia York", Role::Agent),
        ("old@acme.example", "Olde Offset", Role::Agent),
        ("sue@acme.example", "Sue Visor", Role::Supervisor),
    ] {
        let u = server::seed::create_user(s, org.id, email, name, role, PASSWORD)
            .await
            .unwrap();
        ids.push(u.id);
    }
    let base = srv.base.as_str();
    let pat = Client::login(base, "acme", "pat@acme.example").await;
    let nia = Client::login(base, "acme", "nia@acme.example").await;
    let old = Client::login(base, "acme", "old@acme.example").await;
    let sue = Client::login(base, "acme", "sue@acme.example").await;

    // An invalid zone is refused, naming the field; nothing is saved.
    for bad in ["Mars/Olympus_Mons", "EST+5", "../../etc/passwd", ""] {
        let (st, e) = pat
            .put(
                "/api/wfm/me/preferences",
                json!({"windows": every_day("09:00", "17:00"), "time_zone": bad}),
            )
            .await;
        assert_eq!(st, 422, "{bad}: {e}");
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("time_zone:"),
            "{e}"
        );
    }
    let (_, p) = pat.get("/api/wfm/me/preferences").await;
    assert_eq!(p["saved"], false);

    for (c, tz) in [(&pat, "America/Phoenix"), (&nia, "america/new_york")] {
        let (st, p) = c
            .put(
                "/api/wfm/me/preferences",
                json!({"windows": every_day("09:00", "17:00"), "min_week_hours": 1,
                       "max_week_hours": 30, "time_zone": tz}),
            )
            .await;
        assert_eq!(st, 200, "{p}");
    }
    let (_, p) = nia.get("/api/wfm/me/preferences").await;
    assert_eq!(
        p["time_zone"], "America/New_York",
        "the name as the database spells it"
    );
    assert_eq!(p["time_zone_abbreviation"], "EDT");
    assert_eq!(p["utc_offset_min"], -240);

    // Saved before zones: a fixed offset and a label that is no zone.
    let legacy = store::Object {
        id: uuid::Uuid::from_u128(ids[2].as_u128() ^ 0x5746_4d5f_7072_6566_7300_0000_0000_0000),
        org_id: org.id,
        kind: store::ObjectKind::WfmPreferences,
        name: ids[2].to_string(),
        data: json!({"utc_offset_min": -300, "time_zone": "UTC−05:00",
                     "windows": [], "min_week_hours": 0, "max_week_hours": 10}),
        created_at: datetime!(2026-01-01 0:00 UTC),
        updated_at: datetime!(2026-01-01 0:00 UTC),
    };
    s.write(vec![store::Change::PutObject(legacy)], vec![])
        .await
        .unwrap();
    let (_, p) = old.get("/api/wfm/me/preferences").await;
    assert_eq!(p["time_zone"], "UTC-05:00", "{p}");

    // The planning zone: refused when invalid, else saved.
    let (st, e) = sue
        .put("/api/wfm/settings", json!({"planning_zone": "Mars/Base"}))
        .await;
    assert_eq!(st, 422, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("planning_zone:")
    );
    let (st, e) = pat
        .put(
            "/api/wfm/settings",
            json!({"planning_zone": "America/Chicago"}),
        )
        .await;
    assert_eq!(st, 403, "{e}");
    let (st, z) = sue
        .put(
            "/api/wfm/settings",
            json!({"planning_zone": "America/Chicago"}),
        )
        .await;
    assert_eq!(st, 200, "{z}");
    let (_, z) = pat.get("/api/wfm/settings").await;
    assert_eq!(z["planning_zone"], "America/Chicago");

    // Two weeks, before and after Sunday 1 November: two agents wanted all day.
    for week in ["2026-10-26", "2026-11-02"] {
        let (st, r) = sue
            .post(
                "/api/wfm/requirements",
                json!({"week": week, "requirement": vec![2.0; 7 * PER_DAY]}),
            )
            .await;
        assert_eq!(st, 201, "{r}");
        let (st, sched) = sue.post("/api/wfm/schedules", json!({"week": week})).await;
        assert_eq!(st, 201, "{sched}");
        assert_eq!(sched["planning_zone"], "America/Chicago");
        for sh in sched["shifts"].as_array().unwrap() {
            assert_eq!(sh["time_zone"], "America/Chicago", "{sh}");
            let own = if sh["agent_id"] == json!(pat.id) {
                "America/Phoenix"
            } else {
                "America/New_York"
            };
            assert_eq!(sh["agent_time_zone"], own, "{sh}");
        }
        // Two planners had the draft open; the first publishes it, the second's publish
        // names the version it saw and is refused, saying what to do.
        let id = sched["id"].as_str().unwrap();
        let seen = sched["version"].as_u64().unwrap();
        let (st, e) = sue
            .post(
                &format!("/api/wfm/schedules/{id}/publish?version={seen}"),
                json!({}),
            )
            .await;
        assert_eq!(st, 200, "{e}");
        assert_eq!(e["version"].as_u64(), Some(seen + 1));
        let (st, e) = sue
            .post(
                &format!("/api/wfm/schedules/{id}/publish?version={seen}"),
                json!({}),
            )
            .await;
        assert_eq!(st, 409, "{e}");
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("changed since you opened it"),
            "{e}"
        );
    }

    // Each agent's shifts on their own wall clock.
    let hour = |s: &Value, k: &str| s[k].as_str().unwrap()[11..13].parse::<u32>().unwrap();
    for (c, zone, utc_start_before, utc_start_after, abbr_before, abbr_after) in [
        (&pat, "America/Phoenix", 16, 16, "MST", "MST"),
        (&nia, "America/New_York", 13, 14, "EDT", "EST"),
    ] {
        let (st, mine) = c.get("/api/wfm/me/shifts").await;
        assert_eq!(st, 200, "{mine}");
        let mine = mine["items"].as_array().unwrap();
        assert!(mine.len() >= 4, "{zone}: {mine:?}");
        let mut seen = (false, false);
        for sh in mine {
            assert_eq!(sh["time_zone"], zone, "{sh}");
            let (ls, le) = (hour(sh, "local_start"), hour(sh, "local_end"));
            assert!((9..17).contains(&ls) && le <= 17 && le > ls, "{zone}: {sh}");
            // Before Sunday 1 November (local) or after.
            let after = sh["local_start"].as_str().unwrap() >= "2026-11-01";
            let (abbr, utc_nine) = if after {
                seen.1 = true;
                (abbr_after, utc_start_after)
            } else {
                seen.0 = true;
                (abbr_before, utc_start_before)
            };
            assert_eq!(sh["zone_abbreviation"], abbr, "{sh}");
            // UTC hour = local hour + the zone's distance from UTC on that date.
            assert_eq!(hour(sh, "start"), (ls + utc_nine - 9) % 24, "{zone}: {sh}");
        }
        assert!(
            seen.0 && seen.1,
            "{zone}: shifts on both sides of the change"
        );
    }

    // The calendar names New York and carries its rules, both offsets included.
    let r = nia
        .http
        .get(format!("{}/api/wfm/me/shifts.ics", nia.base))
        .send()
        .await
        .unwrap();
    let ics = r.text().await.unwrap();
    assert!(
        ics.contains("BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n"),
        "{ics}"
    );
    assert!(
        ics.contains("TZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST"),
        "{ics}"
    );
    assert!(
        ics.contains("DTSTART;TZID=America/New_York:20261102T"),
        "{ics}"
    );
    assert!(
        !ics.split("\r\n")
            .any(|l| l.starts_with("DTSTART:") && l.ends_with('Z')),
        "no UTC times for a named zone: {ics}"
    );

    if let Some(stop) = srv.stop.take() {
        let _ = stop.send(());
    }
}
