//! The demo shop's own order-status endpoint, on loopback: what the answer bot's guided
//! action "Where is my order" calls. It checks the request's signature as a real shop
//! would (`X-Homeshore-Signature`, HMAC-SHA256 of "<t>.<body>" with the shared secret)
//! and answers from a made-up order book: most orders are on their way, a few are held
//! (the bot hands those to a person), and numbers it does not know are refused.

use serde_json::{Value, json};

/// The guided action's signing secret (stand-in).
pub const SECRET: &str = "demo-shop-order-hook-secret-0000";

/// Starts the endpoint on a free loopback port; answers its URL.
pub async fn start() -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hooks/order-status", listener.local_addr()?);
    let app = axum::Router::new().route(
        "/hooks/order-status",
        axum::routing::post(
            |headers: axum::http::HeaderMap, body: axum::body::Bytes| async move {
                answer(&headers, &body)
            },
        ),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

fn answer(headers: &axum::http::HeaderMap, body: &[u8]) -> (axum::http::StatusCode, String) {
    use axum::http::StatusCode;
    let sig = headers
        .get("x-homeshore-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let t = sig
        .split(',')
        .find_map(|p| p.strip_prefix("t="))
        .and_then(|t| t.parse::<i64>().ok());
    let expected = t.map(|t| server::channels::outbound::sign(SECRET, t, body));
    if expected.as_deref() != Some(sig) {
        return (StatusCode::UNAUTHORIZED, "bad signature".into());
    }
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let order = v["values"]["order_number"].as_str().unwrap_or("");
    let Some(n) = order
        .strip_prefix("HS-")
        .and_then(|d| d.parse::<u32>().ok())
    else {
        return (StatusCode::NOT_FOUND, "no such order".into());
    };
    let reply = match n % 10 {
        0 => {
            json!({"status": "held at the warehouse for a payment check", "eta": "once the check is done", "handover": true})
        }
        1..=3 => json!({"status": "out for delivery", "eta": "today"}),
        _ => json!({"status": "on its way", "eta": match 1 + n % 4 {
            1 => "tomorrow".to_string(),
            d => format!("in {d} days"),
        }}),
    };
    (StatusCode::OK, reply.to_string())
}
