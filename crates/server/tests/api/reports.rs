//! Historical reports over real HTTP, on SQLite and PostgreSQL: a month of contacts
//! driven through the API with a seeded generator (arrivals, waits, abandons,
//! transfers, handle and after-contact times, wrap-up codes, ratings), and the report
//! compared with a count the test keeps itself, day by day, in exact values. Then the
//! wallboard's today, drill-downs (paged, audited), both CSVs, a restart, and refusals
//! (agents, another organisation's supervisor, bad input).

use std::collections::BTreeSet;

use serde_json::{Value, json};
use store::{Role, Store};
use uuid::Uuid;

use crate::common::*;
use crate::routing_live::{accept, advance, agent, contact, offered_to, queue, quiet_org};

/// A small seeded generator (SplitMix64): the same month on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// In `[lo, hi]`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn one_in(&mut self, n: u64) -> bool {
        self.next().is_multiple_of(n)
    }
}

const CODES: [&str; 3] = ["billing", "returns", "shipping"];
/// New York in December: five hours behind UTC all month.
const NY_OFFSET_MS: i64 = 5 * 3600 * 1000;
const DAY_MS: i64 = 86_400_000;

/// What the test saw happen, each at its own time.
#[derive(Clone, Debug)]
enum Seen {
    Offered,
    Answered { wait_s: u64, in_sl: bool },
    Abandoned { wait_s: u64 },
    Handled { handle_s: u64 },
    Transferred,
    Wrapped { acw_s: u64 },
    Rated { rating: i64 },
}

#[derive(Clone, Debug)]
struct Record {
    at: i64,
    contact: Uuid,
    queue: Uuid,
    seen: Seen,
    code: Option<&'static str>,
}

/// The figures of a set of records, computed here with the definitions the report
/// documents: service level is answered within the threshold of answered and
/// abandoned; averages are whole milliseconds, shown in seconds to a tenth.
#[derive(Default, Debug, Clone, PartialEq)]
struct Expected {
    offered: u64,
    answered: u64,
    in_sl: u64,
    wait_ms: u64,
    abandoned: u64,
    abandon_ms: u64,
    handled: u64,
    handle_ms: u64,
    transferred: u64,
    wrapped: u64,
    acw_ms: u64,
    ratings: Vec<i64>,
}

impl Expected {
    fn of<'a>(records: impl Iterator<Item = &'a Record>) -> Expected {
        let mut e = Expected::default();
        for r in records {
            match r.seen {
                Seen::Offered => e.offered += 1,
                Seen::Answered { wait_s, in_sl } => {
                    e.answered += 1;
                    e.wait_ms += wait_s * 1000;
                    e.in_sl += u64::from(in_sl);
                }
                Seen::Abandoned { wait_s } => {
                    e.abandoned += 1;
                    e.abandon_ms += wait_s * 1000;
                }
                Seen::Handled { handle_s } => {
                    e.handled += 1;
                    e.handle_ms += handle_s * 1000;
                }
                Seen::Transferred => e.transferred += 1,
                Seen::Wrapped { acw_s } => {
                    e.wrapped += 1;
                    e.acw_ms += acw_s * 1000;
                }
                Seen::Rated { rating } => e.ratings.push(rating),
            }
        }
        e
    }

    fn check(&self, v: &Value, what: &str) {
        let avg = |sum: u64, n: u64| -> Value {
            match sum.checked_div(n) {
                None => Value::Null,
                Some(a) => json!((a as f64 / 100.0).round() / 10.0),
            }
        };
        let pct = |a: u64, b: u64| -> Value {
            if b == 0 {
                Value::Null
            } else {
                json!(((100.0 * a as f64 / b as f64) * 10.0).round() / 10.0)
            }
        };
        let csat = if self.ratings.is_empty() {
            Value::Null
        } else {
            let s: i64 = self.ratings.iter().sum();
            json!(((s as f64 / self.ratings.len() as f64) * 100.0).round() / 100.0)
        };
        let want = json!({
            "offered": self.offered,
            "answered": self.answered,
            "answered_in_sl": self.in_sl,
            "abandoned": self.abandoned,
            "handled": self.handled,
            "transferred": self.transferred,
            "wrapped": self.wrapped,
            "asa_s": avg(self.wait_ms, self.answered),
            "aht_s": avg(self.handle_ms, self.handled),
            "acw_s": avg(self.acw_ms, self.wrapped),
            "abandon_wait_s": avg(self.abandon_ms, self.abandoned),
            "service_level_percent": pct(self.in_sl, self.answered + self.abandoned),
            "abandon_percent": pct(self.abandoned, self.answered + self.abandoned),
            "csat_count": self.ratings.len(),
            "csat_avg": csat,
        });
        for (k, w) in want.as_object().unwrap() {
            assert_eq!(&v[k], w, "{what}: {k} in {v}");
        }
    }
}

fn now_ms(s: &Server) -> i64 {
    (s.state.now().unix_timestamp_nanos() / 1_000_000) as i64
}

/// The New York day (days since 1970-01-01 on its wall clock) of a UTC time.
fn ny_day(ms: i64) -> i64 {
    (ms - NY_OFFSET_MS).div_euclid(DAY_MS)
}

async fn report(c: &Client, query: &str) -> Value {
    c.ok(&format!("/api/reports?{query}")).await
}

/// A month of contacts for one agent, one at a time. Returns what happened, and the
/// agent's time with contacts (on them or wrapping up), in milliseconds.
async fn a_month(s: &Server, o: &Org, sales: Uuid, care: Uuid, ana: &Client) -> (Vec<Record>, u64) {
    let admin = o.client(s, Role::Admin);
    let threshold = |q: Uuid| if q == sales { 20 } else { 30 };
    let mut rng = Rng(20261201);
    let mut records = Vec::new();
    let mut busy_ms = 0;
    for i in 0..120 {
        advance(s, rng.range(2 * 3600, 9 * 3600)).await;
        let mut q = if rng.one_in(2) { sales } else { care };
        let c = if rng.one_in(3) {
            contact(
                s,
                o,
                q,
                "sms",
                json!({"name": format!("C{i}"), "phone": format!("+1312555{:04}", i)}),
            )
            .await
        } else {
            contact(s, o, q, "chat", json!({"name": format!("C{i}")})).await
        };
        let mut mine = vec![Record {
            at: now_ms(s),
            contact: c,
            queue: q,
            seen: Seen::Offered,
            code: None,
        }];
        let wait = rng.range(1, 60);
        advance(s, wait).await;
        if rng.one_in(5) {
            let r = admin
                .post(&format!("/api/contacts/{c}/end"), &json!({}))
                .await;
            assert_eq!(r.status, 200, "abandon: {}", r.text);
            mine.push(Record {
                at: now_ms(s),
                contact: c,
                queue: q,
                seen: Seen::Abandoned { wait_s: wait },
                code: None,
            });
            records.extend(mine);
            continue;
        }
        accept(ana, offered_to(ana, c).await.expect("offered").0).await;
        mine.push(Record {
            at: now_ms(s),
            contact: c,
            queue: q,
            seen: Seen::Answered {
                wait_s: wait,
                in_sl: wait <= threshold(q),
            },
            code: None,
        });
        let handle = rng.range(30, 900);
        advance(s, handle).await;
        busy_ms += handle * 1000;
        let mut handle_s = handle;
        if rng.one_in(6) {
            // Transferred to the other queue, answered there again.
            let other = if q == sales { care } else { sales };
            let r = ana
                .post(
                    &format!("/api/contacts/{c}/transfer"),
                    &json!({"queue_id": other}),
                )
                .await;
            assert_eq!(r.status, 200, "transfer: {}", r.text);
            mine.push(Record {
                at: now_ms(s),
                contact: c,
                queue: q,
                seen: Seen::Transferred,
                code: None,
            });
            q = other;
            mine.push(Record {
                at: now_ms(s),
                contact: c,
                queue: q,
                seen: Seen::Offered,
                code: None,
            });
            let wait = rng.range(1, 60);
            advance(s, wait).await;
            accept(ana, offered_to(ana, c).await.expect("offered again").0).await;
            mine.push(Record {
                at: now_ms(s),
                contact: c,
                queue: q,
                seen: Seen::Answered {
                    wait_s: wait,
                    in_sl: wait <= threshold(q),
                },
                code: None,
            });
            handle_s = rng.range(30, 900);
            advance(s, handle_s).await;
            busy_ms += handle_s * 1000;
        }
        let r = ana
            .post(&format!("/api/contacts/{c}/end"), &json!({}))
            .await;
        assert_eq!(r.status, 200, "end: {}", r.text);
        mine.push(Record {
            at: now_ms(s),
            contact: c,
            queue: q,
            seen: Seen::Handled { handle_s },
            code: None,
        });
        // After-contact work lasts until the wrap-up: in Care the agent takes a while,
        // in Sales they wrap up at once.
        let acw = if q == care { rng.range(5, 120) } else { 0 };
        advance(s, acw).await;
        busy_ms += acw * 1000;
        mine.push(Record {
            at: now_ms(s),
            contact: c,
            queue: q,
            seen: Seen::Wrapped { acw_s: acw },
            code: None,
        });
        let code = CODES[rng.range(0, 2) as usize];
        let r = ana
            .post(&format!("/api/contacts/{c}/wrapup"), &json!({"code": code}))
            .await;
        assert_eq!(r.status, 200, "wrapup: {}", r.text);
        if rng.one_in(3) {
            advance(s, rng.range(10, 600)).await;
            let rating = rng.range(1, 5) as i64;
            crate::insight::rate(s, o, c, q, rating).await;
            mine.push(Record {
                at: now_ms(s),
                contact: c,
                queue: q,
                seen: Seen::Rated { rating },
                code: None,
            });
        }
        for r in &mut mine {
            r.code = Some(code);
        }
        records.extend(mine);
    }
    (records, busy_ms)
}

#[tokio::test]
async fn a_month_of_contacts_reports_what_an_independent_count_says() {
    each_backend_with(manual_clock(), |s| async move {
        let o = quiet_org(&s, "reports").await;
        let sales = queue(
            &s,
            &o,
            "Sales",
            json!({"service_level_s": 20, "service_level_percent": 80, "offer_timeout_s": 3600}),
        )
        .await;
        let care = queue(
            &s,
            &o,
            "Care",
            json!({"service_level_s": 30, "service_level_percent": 80, "offer_timeout_s": 3600, "after_contact_work_s": 300}),
        )
        .await;
        let ana = agent(&s, &o, Role::Agent, json!({"skills": {}, "capacity": 5})).await;
        let available_since = now_ms(&s);
        let (records, busy_ms) = a_month(&s, &o, sales, care, &ana).await;
        let sup = o.client(&s, Role::Supervisor);
        let range = "from=2026-12-01&to=2027-01-10&tz=America/New_York";

        // Day by day, every figure.
        let v = report(&sup, &format!("{range}&interval=day")).await;
        let series = v["series"].as_array().expect("series");
        assert_eq!(series.len(), 41, "{v}");
        let first_day = ny_day(
            time::macros::datetime!(2026-12-01 05:00 UTC).unix_timestamp() * 1000,
        );
        for (i, day) in series.iter().enumerate() {
            let d = first_day + i as i64;
            let want = Expected::of(records.iter().filter(|r| ny_day(r.at) == d));
            want.check(day, &format!("day {i}"));
        }
        let all = Expected::of(records.iter());
        assert!(all.offered >= 130 && all.abandoned > 10 && all.transferred > 5, "{all:?}");
        assert!(all.ratings.len() > 15, "{all:?}");
        all.check(&v["totals"], "totals");

        // By queue, by code (the contact reasons), by channel and one filter.
        let by_queue = report(&sup, &format!("{range}&interval=total&group_by=queue")).await;
        for (q, name) in [(sales, "Sales"), (care, "Care")] {
            let g = by_queue["groups"]
                .as_array()
                .unwrap()
                .iter()
                .find(|g| g["key"] == q.to_string())
                .unwrap_or_else(|| panic!("{name} in {by_queue}"));
            assert_eq!(g["label"], name);
            Expected::of(records.iter().filter(|r| r.queue == q)).check(g, name);
        }
        let by_code = report(&sup, &format!("{range}&interval=week&group_by=code")).await;
        for code in CODES {
            let g = by_code["groups"]
                .as_array()
                .unwrap()
                .iter()
                .find(|g| g["key"] == code)
                .unwrap_or_else(|| panic!("{code} in {by_code}"));
            Expected::of(records.iter().filter(|r| r.code == Some(code))).check(g, code);
            let reason = by_code["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .find(|g| g["code"] == code)
                .unwrap();
            let want = Expected::of(records.iter().filter(|r| r.code == Some(code)));
            // The reasons: handled, handle time and ratings per code.
            assert_eq!(reason["handled"], want.handled, "{reason}");
            assert_eq!(reason["aht_s"], json!(((want.handle_ms / want.handled) as f64 / 100.0).round() / 10.0), "{reason}");
            assert_eq!(reason["csat_count"], want.ratings.len(), "{reason}");
        }
        let no_code = by_code["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"] == "")
            .expect("the abandoned have no code");
        Expected::of(records.iter().filter(|r| r.code.is_none())).check(no_code, "no code");
        let reasons = by_queue["reasons"].as_array().unwrap();
        for code in CODES {
            let r = reasons.iter().find(|g| g["code"] == code).unwrap();
            let want = Expected::of(records.iter().filter(|x| x.code == Some(code)));
            assert_eq!(r["handled"], want.handled, "{r}");
            assert_eq!(r["csat_count"], want.ratings.len(), "{r}");
        }
        let sales_only = report(&sup, &format!("{range}&interval=total&queue_id={sales}")).await;
        Expected::of(records.iter().filter(|r| r.queue == sales)).check(&sales_only["totals"], "sales filter");

        // The agent's occupancy: time with contacts of time ready for them, from when
        // they became available until now.
        let by_agent = report(&sup, &format!("{range}&interval=total&group_by=agent")).await;
        let row = by_agent["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"] == o.user(Role::Agent).to_string())
            .unwrap_or_else(|| panic!("agent in {by_agent}"));
        let ready = (now_ms(&s) - available_since) as f64;
        let want = ((100.0 * busy_ms as f64 / ready) * 10.0).round() / 10.0;
        assert_eq!(row["occupancy_percent"], json!(want), "{row}");

        // Today agrees with the wallboard.
        let board = sup.ok("/api/wallboard?tz=America/New_York").await;
        let today_date = {
            let d = ny_day(now_ms(&s));
            let (y, m, dd) = wfm::time::civil_from_days(d);
            format!("{y:04}-{m:02}-{dd:02}")
        };
        let today = report(
            &sup,
            &format!("from={today_date}&to={today_date}&tz=America/New_York&interval=total"),
        )
        .await;
        for k in ["offered", "answered", "answered_in_sl", "abandoned", "handled"] {
            assert_eq!(
                today["totals"][k], board["totals"]["today"][k],
                "{k}: report {today} wallboard {board}"
            );
        }

        // 15-minute intervals over one day: the day's figures, spread over 96.
        let one = report(
            &sup,
            "from=2026-12-10&to=2026-12-10&tz=America/New_York&interval=15m",
        )
        .await;
        assert_eq!(one["series"].as_array().unwrap().len(), 96);

        // Drill-down: the abandoned are the contacts the test abandoned, page by page,
        // and each is audited as read.
        let abandoned: BTreeSet<Uuid> = records
            .iter()
            .filter(|r| matches!(r.seen, Seen::Abandoned { .. }))
            .map(|r| r.contact)
            .collect();
        let reads_before = audit_reads(&s, &o).await;
        let mut seen = BTreeSet::new();
        let mut cursor = String::new();
        let mut pages = 0;
        loop {
            let page = sup
                .ok(&format!(
                    "/api/reports/contacts?{range}&figure=abandoned&limit=7&cursor={cursor}"
                ))
                .await;
            pages += 1;
            for it in page["items"].as_array().unwrap() {
                assert_eq!(it["outcome"], "abandoned", "{it}");
                assert!(seen.insert(it["contact_id"].as_str().unwrap().parse::<Uuid>().unwrap()));
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = c.to_string(),
                None => break,
            }
        }
        assert_eq!(seen, abandoned);
        assert!(pages > 1);
        assert_eq!(audit_reads(&s, &o).await - reads_before, abandoned.len());
        // One day's answered in Sales: the cell's figure and its contacts agree.
        let d = &series[9];
        let cell = sup
            .ok(&format!(
                "/api/reports/contacts?{range}&figure=answered&start={}&end={}&limit=500",
                d["start"].as_str().unwrap().replace('+', "%2B"),
                d["end"].as_str().unwrap().replace('+', "%2B"),
            ))
            .await;
        assert_eq!(
            cell["items"].as_array().unwrap().len() as u64,
            d["answered"].as_u64().unwrap(),
            "{cell}"
        );

        // CSV: one line per stay, streamed; and the aggregates.
        let csv = sup
            .get(&format!("/api/reports/contacts.csv?{range}"))
            .await;
        assert_eq!(csv.status, 200, "{}", csv.text);
        let lines: Vec<&str> = csv.text.lines().collect();
        assert!(lines[0].starts_with("contact_id,stay,queue_id,queue,channel"), "{}", lines[0]);
        assert_eq!(lines.len() as u64 - 1, all.offered);
        assert!(lines.iter().any(|l| l.contains(",Care,sms,")), "{}", csv.text);
        let exports = s
            .state
            .store()
            .read_org_events_of_kind(o.id, "audit.export", i64::MAX, 10)
            .await
            .unwrap();
        assert_eq!(exports.len(), 1);
        let agg = sup
            .get(&format!("{}&group_by=queue&interval=total", format_args!("/api/reports.csv?{range}")))
            .await;
        assert_eq!(agg.status, 200, "{}", agg.text);
        let header: Vec<&str> = agg.text.lines().next().unwrap().split(',').collect();
        let offered_col = header.iter().position(|h| *h == "offered").unwrap();
        let sales_line: Vec<&str> = agg
            .text
            .lines()
            .find(|l| l.contains(",Sales,"))
            .unwrap()
            .split(',')
            .collect();
        assert_eq!(
            sales_line[offered_col].parse::<u64>().unwrap(),
            Expected::of(records.iter().filter(|r| r.queue == sales)).offered
        );

        // Refusals: agents; bad input; another organisation sees none of it.
        for path in [
            format!("/api/reports?{range}"),
            format!("/api/reports.csv?{range}"),
            format!("/api/reports/contacts?{range}"),
            format!("/api/reports/contacts.csv?{range}"),
        ] {
            assert_eq!(ana.get(&path).await.status, 403, "{path}");
        }
        for bad in [
            "from=2026-12-01&to=2026-12-02&tz=Mars/Olympus",
            "from=2026-12-05&to=2026-12-01",
            "from=2026-12-01&to=2026-12-02&group_by=planet",
            "from=2026-12-01&to=2026-12-02&channel=pigeon",
            "from=yesterday&to=2026-12-02",
        ] {
            let r = sup.get(&format!("/api/reports?{bad}")).await;
            assert!(r.status == 422 || r.status == 400, "{bad}: {} {}", r.status, r.text);
        }
        let other = seed_org(&s, "elsewhere").await;
        let theirs = other.client(&s, Role::Supervisor);
        let v = report(&theirs, range).await;
        assert_eq!(v["totals"]["offered"], 0, "{v}");
        let v = theirs
            .ok(&format!("/api/reports/contacts?{range}&queue_id={sales}"))
            .await;
        assert_eq!(v["items"], json!([]));

        // A restart resumes from the stored watermark: the same report.
        let clock = s.clock.clone();
        let before = report(&sup, &format!("{range}&interval=day")).await;
        let data = s.halt().await;
        let s = Server::start_with(data, clock).await;
        let sup = o.client(&s, Role::Supervisor);
        let after = report(&sup, &format!("{range}&interval=day")).await;
        assert_eq!(before["series"], after["series"]);
        assert_eq!(before["totals"]["offered"], after["totals"]["offered"]);
        s
    })
    .await;
}

async fn audit_reads(s: &Server, o: &Org) -> usize {
    let mut n = 0;
    let mut before = i64::MAX;
    loop {
        let evs = s
            .state
            .store()
            .read_org_events_of_kind(o.id, "audit.read", before, 1000)
            .await
            .unwrap();
        n += evs.len();
        match evs.last() {
            Some(e) if evs.len() == 1000 => before = e.seq,
            _ => return n,
        }
    }
}

/// The demo's history: a week routed by the engine in simulated time, imported into the
/// reports through the projection, reads back as exactly the contacts it wrote.
#[tokio::test]
async fn a_simulated_history_reads_in_the_reports_as_the_contacts_it_wrote() {
    each_backend(|s| async move {
        let o = quiet_org(&s, "history").await;
        let ana = o.user(Role::Agent);
        agent(&s, &o, Role::Agent, json!({"skills": {}, "capacity": 2})).await;
        let history = server::seed::History {
            org: o.id,
            queues: &[o.queue],
            agents: &[ana],
            first_day: time::macros::datetime!(2026-11-02 00:00 UTC),
            days: 7,
            per_day: 60.0,
            aht_s: 240.0,
            codes: &["billing"],
            openings: &[&["Where is my parcel?"]],
            recent: &[],
            seed: 11,
        };
        let n = history.write(&s.state).await.unwrap();
        let stored: Vec<store::Contact> = s
            .state
            .store()
            .list_contacts(
                o.id,
                &Default::default(),
                store::PageRequest {
                    after: None,
                    limit: 1000,
                },
            )
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|c| c.data["history"] == true)
            .collect();
        assert_eq!(stored.len(), n);
        assert!(
            stored
                .iter()
                .all(|c| c.status == store::ContactStatus::Closed)
        );
        let answered = stored.iter().filter(|c| c.accepted_at.is_some()).count();
        // One agent with two chats at a time: some customers give up, most are answered.
        assert!(answered > n / 2 && answered < n, "{answered} of {n}");

        let sup = o.client(&s, Role::Supervisor);
        let v = report(
            &sup,
            "from=2026-11-02&to=2026-11-09&tz=UTC&interval=total&group_by=code",
        )
        .await;
        let totals = &v["totals"];
        assert_eq!(totals["offered"], n, "{v}");
        assert_eq!(totals["answered"], answered, "{v}");
        assert_eq!(totals["abandoned"], n - answered, "{v}");
        assert_eq!(totals["handled"], answered, "{v}");
        assert!(totals["csat_count"].as_u64().unwrap() > 0, "{v}");
        let billing = v["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"] == "billing")
            .unwrap_or_else(|| panic!("billing in {v}"));
        assert_eq!(billing["handled"], answered);
        // The agent's day: signed in, on chats, at lunch.
        let by_agent = report(
            &sup,
            "from=2026-11-02&to=2026-11-09&tz=UTC&interval=total&group_by=agent",
        )
        .await;
        let row = by_agent["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"] == ana.to_string())
            .unwrap_or_else(|| panic!("the agent in {by_agent}"));
        assert!(row["occupancy_percent"].as_f64().unwrap() > 10.0, "{row}");
        s
    })
    .await;
}
