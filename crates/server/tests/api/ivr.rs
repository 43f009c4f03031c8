//! Contact flows (the IVR) end to end: admins write a flow and every mistake is pointed
//! at; a caller keys through a menu and an order number and is queued with them; a
//! waiting caller asks to be called back and keeps their place; a caller leaves a
//! voicemail that becomes a contact; sipp keys through the same flow with the DTMF
//! recordings Debian ships.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use store::Role;
use voice::rtp::RtpSender;

use crate::common::*;
use crate::voice::*;

/// A menu (1: orders, 2: a message), an order number, a queue that offers callbacks.
fn flow() -> Value {
    json!({
        "start": "welcome",
        "steps": {
            "welcome": {"type": "menu", "prompt": "For orders press 1. To leave a message press 2.",
                "options": {"1": "order", "2": "message"}, "timeout_s": 5},
            "order": {"type": "collect", "prompt": "Key in your order number, then hash.",
                "into": "order", "min_digits": 4, "max_digits": 8, "next": "queue", "failed": "queue"},
            "queue": {"type": "queue", "priority": 40, "attributes": {"topic": "orders"},
                "callback": true, "announce_every_s": 15},
            "message": {"type": "voicemail", "prompt": "Leave a message after the tone.", "max_s": 10}
        }
    })
}

async fn with_flow(s: &Server, slug: &str) -> Org {
    let o = seed_org(s, slug).await;
    let admin = o.client(s, Role::Admin);
    let a = admin
        .put("/api/voice/flows/main-menu", &json!({"flow": flow()}))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = put_trunk(
        s,
        &o,
        "carrier",
        json!({"numbers": [{"number": NUMBER, "queue_id": o.queue, "flow": "main-menu"}],
               "allow": ["127.0.0.1/32"]}),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    o
}

async fn waiting_contacts(s: &Server, o: &Org) -> Vec<Value> {
    o.client(s, Role::Admin)
        .ok("/api/contacts?status=waiting")
        .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn flows_are_for_admins_and_every_problem_points_at_its_place() {
    each_backend(|s| async move {
        let o = seed_org(&s, "ivr").await;
        let admin = o.client(&s, Role::Admin);
        let a = o
            .client(&s, Role::Supervisor)
            .put("/api/voice/flows/main", &json!({"flow": flow()}))
            .await;
        assert_eq!(a.status, 403, "{}", a.text);

        // The list offers an example that names one of the organisation's queues and
        // is itself valid.
        let list = admin.ok("/api/voice/flows").await;
        assert!(list["items"].as_array().unwrap().is_empty());
        assert!(list["example"].to_string().contains("\"Help\""), "{list}");
        let check = admin
            .post("/api/voice/flows/check", &json!({"flow": list["example"]}))
            .await;
        assert_eq!(check.status, 200, "{}", check.text);
        assert_eq!(check.body["errors"], json!([]), "{}", check.text);

        // Mistakes: each with its pointer, all at once.
        let mut bad = flow();
        bad["steps"]["welcome"]["options"]["3"] = json!("nowhere");
        bad["steps"]["queue"]["queue"] = json!("Sales");
        bad["steps"]["order"]["max_digits"] = json!(99);
        let a = admin
            .put("/api/voice/flows/main", &json!({"flow": bad}))
            .await;
        assert_eq!(a.status, 422, "{}", a.text);
        a.assert_error_shape("an invalid flow");
        let paths: Vec<&str> = a.body["error"]["details"]["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["path"].as_str().unwrap())
            .collect();
        assert_eq!(
            paths,
            [
                "/steps/order/max_digits",
                "/steps/queue/queue",
                "/steps/welcome/options/3"
            ],
            "{}",
            a.text
        );
        // A shape error names its place too.
        let a = admin
            .post(
                "/api/voice/flows/check",
                &json!({"flow": {"start": "a", "steps": {"a": {"type": "menu", "prompt": "x", "options": {"1": "a"}, "retries": "two"}}}}),
            )
            .await;
        assert_eq!(a.body["errors"][0]["path"], "/steps/a/retries", "{}", a.text);

        // A number cannot name a flow that does not exist.
        let a = put_trunk(
            &s,
            &o,
            "carrier",
            json!({"numbers": [{"number": NUMBER, "queue_id": o.queue, "flow": "main"}], "allow": ["127.0.0.1"]}),
        )
        .await;
        assert_eq!(a.status, 422, "{}", a.text);
        assert!(a.text.contains("numbers[0].flow"), "{}", a.text);

        let a = admin
            .put("/api/voice/flows/main", &json!({"flow": flow()}))
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        let a = put_trunk(
            &s,
            &o,
            "carrier",
            json!({"numbers": [{"number": NUMBER, "queue_id": o.queue, "flow": "main"}], "allow": ["127.0.0.1"]}),
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(a.body["numbers"][0]["flow"], "main");
        let list = admin.ok("/api/voice/flows").await;
        assert_eq!(list["items"][0]["numbers"], json!([NUMBER]), "{list}");

        // In use: not deleted.
        let a = admin.send("DELETE", "/api/voice/flows/main", None, &[]).await;
        assert_eq!(a.status, 409, "{}", a.text);
        assert!(a.text.contains(NUMBER), "{}", a.text);
        // Another organisation sees none of it.
        let other = seed_org(&s, "ivr-other").await;
        let theirs = other.client(&s, Role::Admin).ok("/api/voice/flows").await;
        assert!(theirs["items"].as_array().unwrap().is_empty());
        let a = other
            .client(&s, Role::Admin)
            .send("DELETE", "/api/voice/flows/main", None, &[])
            .await;
        assert_eq!(a.status, 404, "{}", a.text);
        s
    })
    .await;
}

#[tokio::test]
async fn a_caller_keys_through_the_menu_is_queued_with_their_order_and_asks_for_a_callback() {
    let s = telephony_server().await;
    let o = with_flow(&s, "ivr").await;
    set_state(&s, &o, "offline").await;

    let mut phone = Phone::dial(sip_addr(&s), NUMBER, None).await;
    phone.until("the answer", |p| p.confirmed).await;
    // In the flow, at its first step, and no contact yet.
    let live = call_where(&s, &o, |c| c["flow_step"] == "welcome").await;
    assert_eq!(live["flow"], "main-menu", "{live}");
    assert!(live["contact_id"].is_null(), "{live}");
    // The caller hears the prompt (speech or chime: not silence, not the music).
    let heard = phone.listen(800).await;
    assert!(
        heard.iter().any(|s| s.abs() > 500),
        "the prompt is heard while the menu waits"
    );

    // 1 (over the prompt), then the order number and #.
    phone.keys("1").await;
    call_where(&s, &o, |c| c["flow_step"] == "order").await;
    phone.keys("4217#").await;
    let live = call_where(&s, &o, |c| c["contact_id"].is_string()).await;
    let id = live["contact_id"].as_str().unwrap().to_string();
    let c = contact(&s, &o, &id).await;
    assert_eq!(c["status"], "waiting", "{c}");
    assert_eq!(c["priority"], 40, "{c}");
    assert_eq!(c["flow"]["name"], "main-menu", "{c}");
    assert_eq!(c["flow"]["keyed"]["order"], "4217", "{c}");
    assert_eq!(
        c["flow"]["path"],
        json!(["welcome:1", "order:collected"]),
        "{c}"
    );

    // Waiting, the caller is told their place and offered a callback; they press 1.
    // The contact keeps its place in line; the call ends.
    phone.keys("1").await;
    phone.until("the goodbye", |p| p.ended.is_some()).await;
    let c = contact_until(&s, &o, &id, |c| c["callback"].is_object()).await;
    assert_eq!(c["callback"]["number"], "+15550001", "{c}");
    assert_eq!(c["status"], "waiting", "still in line: {c}");
    let st = status(&s, &o).await;
    assert!(st["calls"].as_array().unwrap().is_empty(), "{st}");
    // Still waiting after a restart: a callback has no call to lose.
    let Data::Sqlite(dir) = s.halt().await else {
        unreachable!()
    };
    let s = Server::restart_sqlite_with(dir, |c| c.sip_bind = "127.0.0.1:0".into()).await;
    let c = contact(&s, &o, &id).await;
    assert_eq!(c["status"], "waiting", "after a restart: {c}");
    s.stop().await;
}

/// A caller on the menu line keys through to the queue and presses 1 for a callback:
/// their contact's id, once the callback is on it.
async fn callback_requested(s: &Server, o: &Org) -> String {
    let mut phone = Phone::dial(sip_addr(s), NUMBER, None).await;
    phone.until("the answer", |p| p.confirmed).await;
    call_where(s, o, |c| c["flow_step"] == "welcome").await;
    phone.keys("1").await;
    call_where(s, o, |c| c["flow_step"] == "order").await;
    phone.keys("4217#").await;
    let live = call_where(s, o, |c| c["contact_id"].is_string()).await;
    let id = live["contact_id"].as_str().unwrap().to_string();
    phone.keys("1").await;
    phone.until("the goodbye", |p| p.ended.is_some()).await;
    contact_until(s, o, &id, |c| c["callback"].is_object()).await;
    id
}

/// Runs sipp as the carrier, answering the call out with `scenario` (a file here, or
/// sipp's own `uas`), on `port`.
fn carrier(
    bin: &std::path::PathBuf,
    scenario_file: Option<&str>,
    port: u16,
) -> tokio::process::Child {
    let mut cmd = tokio::process::Command::new(bin);
    match scenario_file {
        Some(f) => cmd.args(["-sf", &scenario(f)]),
        None => cmd.args(["-sn", "uas"]),
    };
    cmd.args(["-m", "1", "-i", "127.0.0.1", "-mi", "127.0.0.1", "-nostdin"])
        .args(["-p", &port.to_string(), "-mp", &free_udp_port().to_string()])
        .args(["-timeout", "60", "-timeout_error"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("sipp starts")
}

#[tokio::test]
async fn the_agent_calls_back_through_the_carrier_and_a_busy_line_leaves_the_contact_open() {
    let Some(bin) = sipp() else { return };
    let s = telephony_server().await;
    let o = with_flow(&s, "ivr").await;
    set_state(&s, &o, "offline").await;
    let id = callback_requested(&s, &o).await;
    let agent = o.client(&s, Role::Agent);
    let dial = format!("/api/voice/calls/{id}/dial");
    // Before the agent holds it, nobody dials it.
    let a = agent.post(&dial, &json!({})).await;
    assert_eq!(a.status, 403, "{}", a.text);
    set_state(&s, &o, "available").await;
    accept_call(&s, &o, &id).await;
    // No phone line places calls yet.
    let a = agent.post(&dial, &json!({})).await;
    assert_eq!(a.status, 409, "{}", a.text);
    assert!(a.text.contains("outbound"), "{}", a.text);

    // The carrier (sipp) takes calls out on its own port; the callee is busy first.
    let port = free_udp_port();
    let a = put_trunk(
        &s,
        &o,
        "carrier",
        json!({"numbers": [{"number": NUMBER, "queue_id": o.queue, "flow": "main-menu"}],
               "allow": ["127.0.0.1/32"], "outbound": format!("127.0.0.1:{port}")}),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let busy = carrier(&bin, Some("busy.xml"), port);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let a = agent.post(&dial, &json!({})).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["number"], "+15550001", "{}", a.text);
    sipp_passes(busy, "a busy callee").await;
    let c = contact_until(&s, &o, &id, |c| c["callback"]["attempts"] == 1).await;
    assert_eq!(c["callback"]["last"]["outcome"], "busy", "{c}");
    assert_eq!(c["status"], "active", "still the agent's to try again: {c}");

    // Again: answered. The call is the contact's; the agent ending it hangs up.
    let answers = carrier(&bin, None, port);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let a = agent.post(&dial, &json!({})).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let live = call_where(&s, &o, |c| {
        c["contact_id"] == id.as_str() && c["state"] == "confirmed"
    })
    .await;
    assert_eq!(live["trunk"], "carrier", "{live}");
    let a = agent.post(&dial, &json!({})).await;
    assert_eq!(a.status, 409, "one live call per contact: {}", a.text);
    let a = agent
        .post(&format!("/api/contacts/{id}/end"), &json!({}))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    sipp_passes(answers, "an answered callback").await;
    s.stop().await;
}

#[tokio::test]
async fn an_agent_dials_a_number_and_the_call_is_a_new_contact_of_theirs() {
    let Some(bin) = sipp() else { return };
    let s = telephony_server().await;
    let o = seed_org(&s, "dial").await;
    let agent = o.client(&s, Role::Agent);
    let body = json!({"number": "+1 (555) 000-1234", "queue_id": o.queue, "name": "Dana Dialled"});
    // No phone line places calls: refused, and no contact is left behind.
    let admin = o.client(&s, Role::Admin);
    let open = || async {
        admin.ok("/api/contacts?limit=100").await["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] != "closed")
            .count()
    };
    let before = open().await;
    let a = agent.post("/api/voice/calls", &body).await;
    assert_eq!(a.status, 409, "{}", a.text);
    let a = agent
        .post(
            "/api/voice/calls",
            &json!({"number": "call me", "queue_id": o.queue}),
        )
        .await;
    assert_eq!(a.status, 422, "{}", a.text);
    assert!(a.text.contains("number"), "{}", a.text);

    let port = free_udp_port();
    let a = put_trunk(
        &s,
        &o,
        "carrier",
        json!({"numbers": [{"number": NUMBER, "queue_id": o.queue}],
               "allow": ["127.0.0.1/32"], "outbound": format!("127.0.0.1:{port}")}),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    // An agent who is not available places no call.
    set_state(&s, &o, "offline").await;
    let a = agent.post("/api/voice/calls", &body).await;
    assert_eq!(a.status, 409, "{}", a.text);
    assert_eq!(open().await, before, "refused calls leave no open contact");

    set_state(&s, &o, "available").await;
    // The line is busy first: the contact stays the agent's, the attempt on it.
    let busy = carrier(&bin, Some("busy.xml"), port);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let a = agent.post("/api/voice/calls", &body).await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.body["number"], "+15550001234", "{}", a.text);
    let c = &a.body["contact"];
    assert_eq!(c["channel"], "voice", "{c}");
    assert_eq!(c["status"], "active", "{c}");
    assert_eq!(c["agent_id"], json!(o.user(Role::Agent)), "{c}");
    let id = c["id"].as_str().unwrap().to_string();
    sipp_passes(busy, "a busy callee").await;
    let c = contact_until(&s, &o, &id, |c| c["outbound"]["attempts"] == 1).await;
    assert_eq!(c["outbound"]["last"]["outcome"], "busy", "{c}");
    assert_eq!(c["outbound"]["number"], "+15550001234", "{c}");
    assert_eq!(c["status"], "active", "{c}");
    // Again, from the contact: answered.
    let answers = carrier(&bin, None, port);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let a = agent
        .post(&format!("/api/voice/calls/{id}/dial"), &json!({}))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["number"], "+15550001234", "{}", a.text);
    let live = call_where(&s, &o, |c| {
        c["contact_id"] == id.as_str() && c["state"] == "confirmed"
    })
    .await;
    assert_eq!(live["trunk"], "carrier", "{live}");
    // The customer is the number's, named as given.
    let customer = o
        .client(&s, Role::Admin)
        .ok(&format!(
            "/api/customers/{}",
            contact(&s, &o, &id).await["customer_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(customer["customer"]["name"], "Dana Dialled", "{customer}");
    assert_eq!(
        customer["identities"][0]["value"], "+15550001234",
        "{customer}"
    );
    let a = agent
        .post(&format!("/api/contacts/{id}/end"), &json!({}))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    sipp_passes(answers, "a call placed from the desktop").await;
    s.stop().await;
}

#[tokio::test]
async fn an_admins_recording_of_a_sentence_plays_in_place_of_speech() {
    let s = telephony_server().await;
    let o = with_flow(&s, "ivr").await;
    set_state(&s, &o, "offline").await;
    let admin = o.client(&s, Role::Admin);
    // The flow's sentences, none recorded yet.
    let list = admin.ok("/api/voice/prompts").await;
    let items = list["items"].as_array().unwrap();
    let welcome = items
        .iter()
        .find(|p| p["text"] == "For orders press 1. To leave a message press 2.")
        .unwrap_or_else(|| panic!("{list}"));
    assert!(welcome["seconds"].is_null(), "{welcome}");
    assert_eq!(welcome["flows"], json!(["main-menu"]), "{welcome}");
    assert_eq!(items.len(), 3, "{list}");

    // A recording of it (a 1 kHz tone at 16 kHz, its text spaced and cased otherwise).
    let tone = voice::tone::tone(1000.0, 16_000, 32_000, 8000.0);
    let wav = voice::wav::mono(16_000, &tone);
    let path = "/api/voice/prompts?text=for%20ORDERS%20press%201.%20%20To%20leave%20a%20message%20press%202.";
    let a = o
        .client(&s, Role::Agent)
        .raw("PUT", path, "audio/wav", wav.clone())
        .await;
    assert_eq!(a.status, 403, "{}", a.text);
    let a = admin
        .raw("PUT", path, "audio/wav", b"not a wav".to_vec())
        .await;
    assert_eq!(a.status, 422, "{}", a.text);
    a.assert_error_shape("not a WAV");
    let a = admin.raw("PUT", path, "audio/wav", wav).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["seconds"], 2.0, "{}", a.text);
    let key = a.body["key"].as_str().unwrap().to_string();
    let list = admin.ok("/api/voice/prompts").await;
    let welcome = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == key.as_str())
        .unwrap_or_else(|| panic!("{list}"))
        .clone();
    assert_eq!(welcome["seconds"], 2.0, "{welcome}");
    assert_eq!(welcome["flows"], json!(["main-menu"]), "{welcome}");
    let audio = admin
        .http
        .get(format!("{}/api/voice/prompts/{key}/audio", admin.base))
        .bearer_auth(admin.token.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(audio.status(), 200);
    let (rate, pcm) = voice::wav::read(&audio.bytes().await.unwrap()).unwrap();
    assert_eq!((rate, pcm.len()), (8000, 16_000));

    // A caller hears the recording where the flow says the sentence.
    let mut phone = Phone::dial(sip_addr(&s), NUMBER, None).await;
    phone.until("the answer", |p| p.confirmed).await;
    call_where(&s, &o, |c| c["flow_step"] == "welcome").await;
    let heard = phone.listen(1000).await;
    assert_eq!(
        voice::tone::dominant(&heard, 8000, &[1000.0, 440.0, 300.0, 523.25]),
        Some(1000.0),
        "the recording, not speech"
    );
    drop(phone);

    // Deleted: spoken again.
    let a = admin
        .send("DELETE", &format!("/api/voice/prompts/{key}"), None, &[])
        .await;
    assert_eq!(a.status, 204, "{}", a.text);
    let a = admin
        .send("DELETE", &format!("/api/voice/prompts/{key}"), None, &[])
        .await;
    assert_eq!(a.status, 404, "{}", a.text);
    s.stop().await;
}

#[tokio::test]
async fn a_caller_leaves_a_voicemail_that_becomes_a_contact() {
    let s = telephony_server().await;
    let o = with_flow(&s, "ivr").await;
    set_state(&s, &o, "offline").await;
    let mut phone = Phone::dial(sip_addr(&s), NUMBER, None).await;
    phone.until("the answer", |p| p.confirmed).await;
    call_where(&s, &o, |c| c["flow_step"] == "welcome").await;
    phone.keys("2").await;
    call_where(&s, &o, |c| c["flow_step"] == "message").await;
    // The greeting, then the beep: the recording starts once both are over.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let pcm = phone.listen(200).await;
        if voice::tone::dominant(&pcm, 8000, &[1000.0, 440.0, 300.0]) == Some(1000.0) {
            break;
        }
        assert!(Instant::now() < deadline, "no beep");
    }
    phone.listen(500).await;
    let n = phone.media.clone().unwrap();
    let mut tx = RtpSender::new(5, 100, 1000, &n);
    phone.say(440.0, 2000, &mut tx).await;
    let pressed = Instant::now();
    phone.keys("#").await;
    phone.until("the hang-up", |p| p.ended.is_some()).await;
    assert!(
        pressed.elapsed() < Duration::from_secs(4),
        "# ends the message, long before its longest (10 s): {:?}",
        pressed.elapsed()
    );

    let deadline = Instant::now() + Duration::from_secs(20);
    let vm = loop {
        let found = waiting_contacts(&s, &o)
            .await
            .into_iter()
            .find(|c| c["voicemail"]["attachment"].is_object());
        if let Some(c) = found {
            break c;
        }
        assert!(Instant::now() < deadline, "no voicemail contact");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(vm["channel"], "voice", "{vm}");
    let secs = vm["voicemail"]["seconds"].as_u64().unwrap();
    assert!((1..=3).contains(&secs), "{vm}");
    // The message is the caller's tone.
    let url = vm["voicemail"]["attachment"]["url"].as_str().unwrap();
    let r = server::http_client()
        .get(format!("{}{url}", s.base))
        .bearer_auth(o.token(Role::Admin))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let wav = r.bytes().await.unwrap().to_vec();
    let (rate, pcm) = voice::wav::read(&wav).expect("a WAV");
    assert_eq!(rate, 8000);
    assert_eq!(
        voice::tone::dominant(&pcm, 8000, &[440.0, 1000.0, 523.25]),
        Some(440.0)
    );
    s.stop().await;
}

#[tokio::test]
async fn sipp_keys_through_the_flow_with_debians_dtmf_recordings() {
    let Some(bin) = sipp() else { return };
    let s = telephony_server().await;
    let o = with_flow(&s, "ivr").await;
    set_state(&s, &o, "offline").await;
    let child = run_sipp(&bin, "ivr_keys.xml", Some(sip_addr(&s)), free_udp_port());
    let live = call_where(&s, &o, |c| c["contact_id"].is_string()).await;
    let id = live["contact_id"].as_str().unwrap().to_string();
    let c = contact(&s, &o, &id).await;
    assert_eq!(c["flow"]["keyed"]["order"], "2479", "{c}");
    assert_eq!(c["flow"]["path"][0], "welcome:1", "{c}");
    sipp_passes(child, "ivr keys").await;
    // sipp hung up while waiting: the contact is abandoned.
    contact_until(&s, &o, &id, |c| c["status"] == "closed").await;
    s.stop().await;
}
