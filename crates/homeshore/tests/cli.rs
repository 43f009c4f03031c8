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
        let http = reqwest::Client::new();
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
