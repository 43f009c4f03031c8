//! The browser apps (`web/dist`, built by `bash scripts/web.sh`) served from the binary.
//!
//! Release builds embed the folder with `rust-embed`; debug builds read it from disk at
//! run time, so a UI rebuild needs no Rust rebuild. A binary built without the folder
//! answers every page with a short HTML page that says how to build it.
//!
//! Rules:
//! - an existing file is served as is; `dir/` serves `dir/index.html`, `dir` redirects to
//!   `dir/` when that index exists;
//! - any other path without a file extension inside an app's folder is a client route: it
//!   gets that app's `index.html` (`/agent/chats/7` → `agent/index.html`);
//! - every other path (`/reports/`, `/reports/x`, `/nope.js`) is a 404: the built `404.html`
//!   page (links back to the apps) for paths without an extension, plain text otherwise;
//! - `/api/…` never falls back to a page: it answers the API's JSON 404;
//! - hashed assets (`assets/…`) are cached for a year, everything else revalidates (ETag);
//! - HTML carries a strict Content-Security-Policy (no inline scripts or styles);
//! - `widget.js` may be loaded by any site (`Access-Control-Allow-Origin: *`);
//! - every other answer (the API's JSON, `/metrics`, errors) is `no-store`, `nosniff`,
//!   framed by no one and sends no referrer ([`security_headers`]): a shared or personal
//!   browser keeps no customer data in its cache.
//!
//! It also answers `GET /api/ws/echo`, an unauthenticated WebSocket that echoes short
//! text frames, for the device check page (WebSocket reachability, round-trip time).

use std::borrow::Cow;

use axum::{
    Router,
    body::Body,
    extract::ws::{Message, WebSocket, WebSocketUpgrade},
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::get,
};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../../web/dist"]
#[allow_missing = true]
struct Dist;

/// The Content-Security-Policy sent with every HTML page.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; \
    font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
    frame-ancestors 'self'";

const NOT_BUILT: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Homeshore: UI not built</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem; line-height: 1.5; color: #1f2937">
<h1>UI not built</h1>
<p>This Homeshore binary was built without its browser apps. The API works, but there is
no page to show.</p>
<p>Build the apps, then restart (release builds) or just reload (debug builds):</p>
<pre style="background: #f3f4f6; padding: .75rem 1rem; border-radius: 6px">bash scripts/web.sh</pre>
</body></html>
"#;

/// One file of the built UI.
struct Asset {
    data: Cow<'static, [u8]>,
    hash: [u8; 32],
}

fn embedded(path: &str) -> Option<Asset> {
    Dist::get(path).map(|f| Asset {
        hash: f.metadata.sha256_hash(),
        data: f.data,
    })
}

/// The router that serves the browser apps. Mount it as the server's fallback
/// (`app.fallback_service(web::router())` or `.merge(web::router())` on a router without
/// a fallback of its own): it answers every path the API routes did not match.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new().route("/api/ws/echo", get(echo)).fallback(
        |uri: Uri, headers: HeaderMap| async move { respond(&embedded, uri.path(), &headers) },
    )
}

/// Echo WebSocket for the device check: short text frames come back as they are; the
/// connection closes after 100 frames or 60 seconds, whichever comes first.
pub async fn echo(ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(1024).on_upgrade(|socket| async move {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(60), echo_loop(socket)).await;
    })
}

async fn echo_loop(mut socket: WebSocket) {
    for _ in 0..100 {
        match socket.recv().await {
            Some(Ok(Message::Text(t))) => {
                if socket.send(Message::Text(t)).await.is_err() {
                    return;
                }
            }
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
            Some(Ok(_)) => {}
        }
    }
    let _ = socket.send(Message::Close(None)).await;
}

fn respond(lookup: &dyn Fn(&str) -> Option<Asset>, path: &str, headers: &HeaderMap) -> Response {
    if path == "/api" || path.starts_with("/api/") {
        return api_not_found(path);
    }
    if lookup("index.html").is_none() {
        return not_built();
    }
    let rel = path.trim_start_matches('/');
    if rel.split('/').any(|seg| seg == ".." || seg == ".") {
        return StatusCode::NOT_FOUND.into_response();
    }
    // 1. The file itself, or the folder's index.
    let direct = if rel.is_empty() || rel.ends_with('/') {
        format!("{rel}index.html")
    } else {
        rel.to_string()
    };
    if let Some(asset) = lookup(&direct) {
        return file(&direct, asset, headers);
    }
    if !rel.is_empty() && !rel.ends_with('/') && lookup(&format!("{rel}/index.html")).is_some() {
        return redirect(&format!("/{rel}/"));
    }
    // 2. A missing file with an extension is a 404, not a page.
    let last = rel.rsplit('/').next().unwrap_or("");
    if last.contains('.') {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    // 3. A client route: the nearest app's index.html (never the home page's).
    let segments: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
    for n in (1..segments.len()).rev() {
        let candidate = format!("{}/index.html", segments[..n].join("/"));
        if let Some(asset) = lookup(&candidate) {
            return file(&candidate, asset, headers);
        }
    }
    // 4. Nothing here: the 404 page.
    not_found_page(lookup)
}

fn not_found_page(lookup: &dyn Fn(&str) -> Option<Asset>) -> Response {
    match lookup("404.html") {
        Some(asset) => {
            let mut r = file("404.html", asset, &HeaderMap::new());
            *r.status_mut() = StatusCode::NOT_FOUND;
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r.headers_mut().remove(header::ETAG);
            r
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

fn file(path: &str, asset: Asset, headers: &HeaderMap) -> Response {
    let etag = format!("\"{}\"", hex16(&asset.hash));
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let is_html = mime.essence_str() == "text/html";
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else if path == "widget.js" || path == "widget.css" {
        "public, max-age=300, must-revalidate"
    } else {
        "no-cache"
    };
    let mut builder = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::CACHE_CONTROL, cache)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if is_html {
        builder = builder
            .header(header::CONTENT_SECURITY_POLICY, CSP)
            .header(header::REFERRER_POLICY, "same-origin");
    } else {
        // Scripts and styles may be loaded by customers' sites (the chat widget).
        builder = builder
            .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
            .header("cross-origin-resource-policy", "cross-origin");
    }
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }
    let content_type = if mime.type_() == "text" || mime.subtype() == "javascript" {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.essence_str().to_string()
    };
    builder
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(asset.data.into_owned()))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

fn hex16(hash: &[u8; 32]) -> String {
    hash[..16].iter().map(|b| format!("{b:02x}")).collect()
}

fn redirect(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(loc) => (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, loc)]).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

fn not_built() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            // The page's own inline style is all it needs.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
        ],
        NOT_BUILT,
    )
        .into_response()
}

fn api_not_found(path: &str) -> Response {
    let body = serde_json::json!({
        "error": {"code": "not_found", "message": format!("no API route for {path}")}
    });
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Headers every answer carries unless its handler chose its own: nothing is cached
/// (answers hold customer data and may be read on a shared computer), no content-type
/// sniffing, no framing, no referrer, and for answers that are not pages a policy that
/// lets them load nothing.
pub async fn security_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    h.entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    h.entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("no-referrer"));
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'",
        ));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(files: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<Asset> {
        move |path| {
            files
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(p, body)| Asset {
                    data: Cow::Borrowed(body.as_bytes()),
                    hash: [p.len() as u8; 32],
                })
        }
    }

    const SITE: &[(&str, &str)] = &[
        ("index.html", "<p>home</p>"),
        ("agent/index.html", "<p>agent</p>"),
        ("device-check/index.html", "<p>check</p>"),
        ("404.html", "<p>no such page</p>"),
        ("assets/app-abc123.js", "console.log(1)"),
        ("widget.js", "/* widget */"),
    ];

    fn get(lookup: &dyn Fn(&str) -> Option<Asset>, path: &str) -> Response {
        respond(lookup, path, &HeaderMap::new())
    }

    fn header<'a>(r: &'a Response, name: &str) -> &'a str {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    #[test]
    fn missing_ui_says_how_to_build_it() {
        let lookup = fake(&[]);
        let r = get(&lookup, "/");
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(NOT_BUILT.contains("bash scripts/web.sh"));
        assert!(header(&r, "content-type").starts_with("text/html"));
    }

    #[test]
    fn files_indexes_and_client_routes() {
        let lookup = fake(SITE);
        assert_eq!(get(&lookup, "/").status(), StatusCode::OK);
        assert_eq!(get(&lookup, "/agent/").status(), StatusCode::OK);
        let r = get(&lookup, "/agent");
        assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(header(&r, "location"), "/agent/");
        // A client route inside the agent app gets the agent app.
        let r = get(&lookup, "/agent/chats/42");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(header(&r, "etag"), format!("\"{}\"", hex16(&[16u8; 32])));
        // Missing files with an extension are 404s, never a page.
        assert_eq!(
            get(&lookup, "/assets/gone-1.js").status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(&lookup, "/../etc/passwd").status(),
            StatusCode::NOT_FOUND
        );
        // Unknown paths outside the apps are the 404 page, never the home page.
        for path in ["/reports/", "/admin/", "/admin/users", "/nope"] {
            let r = get(&lookup, path);
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
            assert_eq!(header(&r, "content-type"), "text/html; charset=utf-8");
            assert_eq!(header(&r, "content-security-policy"), CSP);
        }
        let r = get(&lookup, "/device-check/anything");
        assert_eq!(r.status(), StatusCode::OK);
        // The API never falls back to a page.
        let r = get(&lookup, "/api/nope");
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(header(&r, "content-type"), "application/json");
    }

    #[test]
    fn headers_cache_and_csp() {
        let lookup = fake(SITE);
        let html = get(&lookup, "/");
        assert_eq!(header(&html, "content-security-policy"), CSP);
        assert_eq!(header(&html, "cache-control"), "no-cache");
        assert_eq!(header(&html, "content-type"), "text/html; charset=utf-8");
        let js = get(&lookup, "/assets/app-abc123.js");
        assert!(header(&js, "cache-control").contains("immutable"));
        assert_eq!(header(&js, "content-security-policy"), "");
        let widget = get(&lookup, "/widget.js");
        assert_eq!(header(&widget, "access-control-allow-origin"), "*");
        assert!(header(&widget, "content-type").contains("javascript"));
    }

    #[test]
    fn etag_revalidation() {
        let lookup = fake(SITE);
        let etag = header(&get(&lookup, "/widget.js"), "etag").to_string();
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(&etag).unwrap());
        let r = respond(&lookup, "/widget.js", &headers);
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    }
}
