//! The `homeshore` binary as an operator and a planner use it: set up a center from the
//! shell, serve it, and the fixed JSON forms of the WFM commands that scripts rely on.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn homeshore() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_homeshore"));
    c.env_remove("RUST_BACKTRACE")
        .env_remove("HOMESHORE_DATA_DIR")
        .env_remove("HOMESHORE_DATABASE_URL")
        .env_remove("HOMESHORE_LISTEN");
    c
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = homeshore();
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("the binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn operator_sets_up_a_center_and_serves_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();

    let out = run(&["migrate", "--data-dir", data], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("up to date"));

    let out = run(
        &[
            "org",
            "create",
            "--data-dir",
            data,
            "--slug",
            "acme",
            "--name",
            "Acme Retail",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    // The same slug again is refused in plain words, and changes nothing.
    let out = run(
        &[
            "org",
            "create",
            "--data-dir",
            data,
            "--slug",
            "acme",
            "--name",
            "Other",
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("acme exists"),
        "{}",
        text(&out.stderr)
    );

    let out = run(
        &[
            "user",
            "add",
            "--data-dir",
            data,
            "--org",
            "acme",
            "--role",
            "admin",
            "--email",
            "ana@acme.example",
        ],
        &[("HOMESHORE_NEW_PASSWORD", "correct-horse-battery-9")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("password (shown once)"));

    // Without a password given, one is generated and shown once.
    let out = run(
        &[
            "user",
            "add",
            "--data-dir",
            data,
            "--org",
            "acme",
            "--role",
            "agent",
            "--email",
            "bo@acme.example",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("password (shown once): "));

    let out = run(
        &[
            "user",
            "add",
            "--data-dir",
            data,
            "--org",
            "nowhere",
            "--role",
            "agent",
            "--email",
            "x@y.example",
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no organisation nowhere"));

    let out = run(&["org", "list", "--data-dir", data], &[]);
    let listing = text(&out.stdout);
    assert_eq!(
        listing.lines().filter(|l| l.starts_with("acme ")).count(),
        1,
        "{listing}"
    );

    // Serve on a free port, the data dir given by environment this time.
    let mut child = homeshore()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("HOMESHORE_DATA_DIR", data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let http = server::http_client();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match http.get(format!("{base}/healthz")).send().await {
                Ok(r) if r.status() == 200 => break,
                _ if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
                other => panic!("never healthy: {other:?}"),
            }
        }
        let login = |password: &'static str| {
            http.post(format!("{base}/api/auth/login"))
                .json(&serde_json::json!({"org": "acme", "email": "ana@acme.example", "password": password}))
                .send()
        };
        assert_eq!(login("correct-horse-battery-9").await.unwrap().status(), 200);
        assert_eq!(login("wrong-horse-battery-9").await.unwrap().status(), 401);
        let doc: Value = http.get(format!("{base}/api/openapi.json")).send().await.unwrap().json().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap_or("").starts_with("3."));
    });
    drop(server);
}

#[test]
fn the_audit_chain_finds_an_event_edited_in_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    for args in [
        &[
            "org",
            "create",
            "--data-dir",
            data,
            "--slug",
            "acme",
            "--name",
            "Acme",
        ][..],
        &[
            "user",
            "add",
            "--data-dir",
            data,
            "--org",
            "acme",
            "--role",
            "admin",
            "--email",
            "ana@acme.example",
        ][..],
    ] {
        let out = run(args, &[("HOMESHORE_NEW_PASSWORD", "correct-horse-battery")]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let out = run(&["audit", "verify", "--data-dir", data], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("acme: "),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stdout).contains("chain unbroken"),
        "{}",
        text(&out.stdout)
    );

    // Someone with access to the database file changes who created the user.
    let db = dir.path().join("homeshore.db");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let changed = sqlx::query(
            "UPDATE events SET data = json_set(data, '$.role', 'agent') WHERE kind = 'user.created'",
        )
        .execute(&pool)
        .await
        .unwrap()
        .rows_affected();
        assert_eq!(changed, 1);
        pool.close().await;
    });
    let out = run(&["audit", "verify", "--data-dir", data], &[]);
    assert!(!out.status.success(), "a broken chain exits non-zero");
    let said = text(&out.stdout);
    assert!(said.contains("acme: BROKEN at event "), "{said}");
    assert!(
        text(&out.stderr).contains("broken audit chain"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_settings_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("homeshore.toml");
    std::fs::write(&file, "session_idle_secs = \"soon\"\n").unwrap();
    let out = run(&["migrate", "--config", file.to_str().unwrap()], &[]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("session_idle_secs"),
        "{}",
        text(&out.stderr)
    );

    let out = run(&["migrate", "--database-url", "mysql://nope"], &[]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("unsupported database URL"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn staff_json_has_the_fields_planners_rely_on() {
    let out = run(
        &[
            "staff",
            "--contacts",
            "100",
            "--interval-min",
            "30",
            "--aht-s",
            "180",
            "--sl",
            "0.8",
            "--answer-s",
            "20",
            "--shrinkage",
            "0.3",
            "--patience-s",
            "120",
            "--json",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let raw = v["agents_raw"].as_u64().expect("agents_raw");
    // 100 contacts of 180 s in 30 min is 10 Erlangs: more than 10 agents are needed.
    assert!(raw > 10 && raw < 20, "{v}");
    assert!(
        v["agents"].as_u64().unwrap() > raw,
        "shrinkage adds agents: {v}"
    );
    for key in [
        "service_level",
        "occupancy",
        "p_wait",
        "asa_s",
        "abandon_rate",
    ] {
        assert!(v[key].is_number(), "{key} missing in {v}");
    }
    assert!(v["service_level"].as_f64().unwrap() >= 0.8);
}

/// The planner's whole chain from the shell: a history CSV becomes a forecast, the
/// forecast a requirement, the requirement and the agents' hours a schedule, and the
/// schedule a simulated service level through the routing engine.
#[test]
fn a_history_becomes_a_schedule_and_a_simulated_service_level() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    // Eight weeks before Monday 2026-11-30: open Monday to Saturday 08:00–20:00, busier
    // around midday, 240 s handle time.
    let mut csv = String::from("timestamp,queue,offered,aht_s\n");
    let first = wfm::time::days_from_civil(2026, 10, 5);
    for day in first..first + 56 {
        // 0 is Monday.
        if wfm::time::weekday(day) == 6 {
            continue;
        }
        let (y, m, d) = wfm::time::civil_from_days(day);
        let date = format!("{y}-{m:02}-{d:02}");
        for half in 16..40 {
            let hour = f64::from(half) / 2.0;
            let offered = (24.0 + 16.0 * (-(hour - 13.0).powi(2) / 8.0).exp()).round();
            csv.push_str(&format!(
                "{date}T{:02}:{:02},support,{offered},240\n",
                half / 2,
                (half % 2) * 30
            ));
        }
    }
    std::fs::write(path("history.csv"), csv).unwrap();

    let out = run(
        &[
            "forecast",
            "--history",
            &path("history.csv"),
            "--interval-min",
            "30",
            "--start",
            "2026-11-30",
            "--days",
            "7",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let forecast = text(&out.stdout);
    // Six open days of 24 half-hours each: closed Sunday and nights stay out.
    assert_eq!(forecast.lines().count(), 1 + 6 * 24, "{forecast}");
    std::fs::write(path("forecast.csv"), &forecast).unwrap();

    let out = run(
        &[
            "staff",
            "--forecast",
            &path("forecast.csv"),
            "--interval-min",
            "30",
            "--sl",
            "0.8",
            "--answer-s",
            "20",
            "--week-start",
            "2026-11-30T00:00",
            "--requirement-out",
            &path("requirement.csv"),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    // 60 agents, each free Monday to Saturday 08:00–20:00, up to 30 hours.
    let windows: Vec<Value> = (0..6)
        .map(|d| serde_json::json!({"weekday": d, "start_min": 480, "end_min": 1200}))
        .collect();
    let agents: Vec<Value> = (0..60)
        .map(|i| serde_json::json!({"id": format!("agent-{i}"), "windows": windows}))
        .collect();
    std::fs::write(path("agents.json"), Value::from(agents).to_string()).unwrap();
    let out = run(
        &[
            "schedule",
            "--agents",
            &path("agents.json"),
            "--requirement",
            &path("requirement.csv"),
            "--requirement-interval-min",
            "30",
            "--start",
            "2026-11-30T00:00",
            "--json",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(path("schedule.json"), &out.stdout).unwrap();
    let schedule: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        !schedule["schedule"]["shifts"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{schedule}"
    );

    let simulate = |threads: &str| {
        let out = run(
            &[
                "simulate",
                "--forecast",
                &path("forecast.csv"),
                "--schedule",
                &path("schedule.json"),
                "--patience-s",
                "180",
                "--runs",
                "4",
                "--threads",
                threads,
                "--json",
            ],
            &[],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let sim = simulate("1");
    // About a week of forecast contacts, four times over.
    let offered = sim["offered"].as_u64().unwrap() as f64;
    let forecast_total: f64 = forecast
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().parse::<f64>().unwrap())
        .sum();
    assert!(
        (offered / 4.0 - forecast_total).abs() < 0.05 * forecast_total,
        "{offered} offered vs {forecast_total} forecast"
    );
    // Staffed for 80 % in 20 s; the schedule meets the requirement nearly everywhere.
    let sl = sim["service_level"].as_f64().unwrap();
    eprintln!(
        "simulated: {offered} contacts, service level {sl:.3} ± {:.3}, schedule gap {}",
        sim["service_level_ci95"], schedule["gap"]
    );
    assert!(sl > 0.7, "service level {sl}");
    assert!(sim["service_level_ci95"].as_f64().unwrap() > 0.0);
    assert_eq!(sim["runs"].as_array().unwrap().len(), 4);
    // Same seeds, two threads: the same figures.
    let two = simulate("2");
    assert_eq!(sim["service_level"], two["service_level"]);
    assert_eq!(sim["runs"], two["runs"]);
}

async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

/// The demo as a newcomer starts it: simulated customers text by SMS and WhatsApp
/// through the stand-in carrier, simulated agents answer, and the replies come back
/// delivered (SMS) and read (WhatsApp) by the carrier's signed receipts.
#[test]
fn the_demo_simulates_texting_customers_with_receipts() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = homeshore()
        .args([
            "demo",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir.path())
        .args(["--customers-per-minute", "150", "--seed", "7"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Server(child);
    let base = format!("http://127.0.0.1:{port}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let http = server::http_client_builder().cookie_store(true).build().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match http.get(format!("{base}/healthz")).send().await {
                Ok(r) if r.status() == 200 => break,
                _ if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(200)).await,
                other => panic!("the demo never became healthy: {other:?}"),
            }
        }
        let r = http
            .post(format!("{base}/api/auth/login"))
            .json(&serde_json::json!({"org": "demo-retail", "email": "admin@demo-retail.example", "password": "demo-retail-2026"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // Wait (two minutes at most) for an SMS reply the carrier reported delivered
        // and a WhatsApp reply it reported read.
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut seen = (false, false);
        while !(seen.0 && seen.1) {
            assert!(Instant::now() < deadline, "no delivered SMS or read WhatsApp reply in time: {seen:?}");
            tokio::time::sleep(Duration::from_secs(2)).await;
            let v = get_json(&http, &format!("{base}/api/contacts?status=active&limit=500")).await;
            for c in v["items"].as_array().unwrap() {
                let channel = c["channel"].as_str().unwrap_or("");
                if !matches!(channel, "sms" | "whatsapp") {
                    continue;
                }
                let id = c["id"].as_str().unwrap();
                let ms = get_json(&http, &format!("{base}/api/contacts/{id}/messages")).await;
                for m in ms["items"].as_array().unwrap() {
                    match (channel, m["delivery"]["status"].as_str()) {
                        ("sms", Some("delivered")) => seen.0 = true,
                        ("whatsapp", Some("read")) => seen.1 = true,
                        _ => {}
                    }
                }
            }
        }
    });
}

/// An operator moves the data keys from the local master key to a key-management
/// service reached through a command, and the center keeps working with it; without the
/// command, the keys do not open and the error says why.
#[test]
fn data_keys_move_to_a_kms_command() {
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("openssl is not installed: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    // A stand-in KMS: its own secret, bound to the organisation and key number.
    let script = dir.path().join("kms.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\n\
         pass=\"kms-test:$HOMESHORE_KMS_ORG:$HOMESHORE_KMS_KEY_ID\"\n\
         case \"$1\" in\n\
         wrap) exec openssl enc -aes-256-cbc -pbkdf2 -a -A -pass pass:\"$pass\" ;;\n\
         unwrap) exec openssl enc -d -aes-256-cbc -pbkdf2 -a -A -pass pass:\"$pass\" ;;\n\
         esac\n\
         exit 2\n",
    )
    .unwrap();
    let kms = format!("sh {}", script.display());
    let out = run(
        &[
            "org",
            "create",
            "--data-dir",
            data,
            "--slug",
            "acme",
            "--name",
            "Acme",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(
        &["keys", "rotate", "--data-dir", data, "--org", "acme"],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = run(&["keys", "rewrap", "--data-dir", data, "--kms"], &[]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("set kms_command"),
        "{}",
        text(&out.stderr)
    );
    let with_kms = [("HOMESHORE_KMS_COMMAND", kms.as_str())];
    let out = run(&["keys", "rewrap", "--data-dir", data, "--kms"], &with_kms);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("acme: 2 data keys rewrapped"),
        "{}",
        text(&out.stdout)
    );

    let db = dir.path().join("homeshore.db");
    let wrapped: Vec<String> = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let rows = sqlx::query_scalar("SELECT wrapped FROM data_keys ORDER BY key_id")
            .fetch_all(&pool)
            .await
            .unwrap();
        pool.close().await;
        rows
    });
    assert_eq!(wrapped.len(), 2);
    assert!(wrapped.iter().all(|w| w.starts_with("kms:")), "{wrapped:?}");

    // With the command, every key opens (a new one is wrapped by the KMS too).
    let out = run(
        &["keys", "rotate", "--data-dir", data, "--org", "acme"],
        &with_kms,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(&["keys", "reencrypt", "--data-dir", data], &with_kms);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Without it they do not, and the operator is told why.
    let out = run(&["keys", "reencrypt", "--data-dir", data], &[]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no kms_command is set"),
        "{}",
        text(&out.stderr)
    );
}
