//! The public help center of each organisation, `/help/{org}/`: server-rendered pages
//! (no script needed; the chat widget's script is the one on them), with the categories,
//! a search, each published article rendered from Markdown (safely: `kb::render`) and a
//! "was this helpful?" form. Only published versions are ever shown; drafts stay inside.
//! Pages carry the same strict Content-Security-Policy as the browser apps, and may be
//! cached for a minute: they hold nothing personal.

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use store::Store as _;
use uuid::Uuid;

use crate::knowledge::{self, Article, Version};
use crate::{ApiResult, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/help/assets/help.css", get(css))
        .route("/help/{org}", get(home))
        .route("/help/{org}/", get(home))
        .route("/help/{org}/search", get(search))
        .route("/help/{org}/category/{category}", get(category))
        .route("/help/{org}/a/{slug}", get(article))
        .route("/help/{org}/a/{slug}/vote", post(vote))
}

const CSS: &str = include_str!("help.css");

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

/// Text for HTML: element content and quoted attribute values alike.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(
    status: StatusCode,
    org: Option<&store::Org>,
    title: &str,
    main: &str,
    cache: bool,
) -> Response {
    let (brand, home, widget) = match org {
        Some(o) => (
            esc(&o.name),
            format!("/help/{}/", esc(&o.slug)),
            format!(
                r#"<script src="/widget.js" data-org="{}" defer></script>"#,
                esc(&o.slug)
            ),
        ),
        None => ("Help center".into(), "/".into(), String::new()),
    };
    let search = match org {
        Some(o) => format!(
            r#"<form class="search" role="search" action="/help/{slug}/search" method="get">
<label for="q">Search the help center</label>
<div class="row"><input id="q" name="q" type="search" maxlength="300" required>
<button type="submit">Search</button></div></form>"#,
            slug = esc(&o.slug)
        ),
        None => String::new(),
    };
    let html = format!(
        r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · {brand}</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/help/assets/help.css">
</head><body>
<a class="skip" href="#main">Skip to content</a>
<header><a class="brand" href="{home}">{brand} help center</a>{search}</header>
<main id="main">
{main}
</main>
<footer><p>Can't find an answer? Start a chat and a person will help.</p></footer>
{widget}
</body></html>"##,
        title = esc(title),
    );
    let mut resp = (status, html).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(crate::web::CSP),
    );
    if cache {
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=60"),
        );
    }
    resp
}

fn not_found(org: Option<&store::Org>) -> Response {
    page(
        StatusCode::NOT_FOUND,
        org,
        "Not found",
        "<h1>Not found</h1><p>There is no such page in this help center.</p>",
        false,
    )
}

async fn find_org(state: &AppState, slug: &str) -> ApiResult<Option<store::Org>> {
    if !crate::seed::valid_slug(slug) {
        return Ok(None);
    }
    Ok(state.store().get_org_by_slug(slug).await?)
}

/// The published articles, by category (categories in order of first article).
async fn published(
    state: &AppState,
    org: Uuid,
) -> ApiResult<Vec<(String, Vec<(Article, Version)>)>> {
    let mut groups: Vec<(String, Vec<(Article, Version)>)> = Vec::new();
    for a in knowledge::all(state, org).await? {
        let Some(p) = a.data.published.clone() else {
            continue;
        };
        let cat = if p.category.is_empty() {
            "General".to_string()
        } else {
            p.category.clone()
        };
        match groups.iter_mut().find(|(c, _)| *c == cat) {
            Some((_, list)) => list.push((a, p)),
            None => groups.push((cat, vec![(a, p)])),
        }
    }
    Ok(groups)
}

fn link(org: &store::Org, a: &Article, p: &Version) -> String {
    format!(
        r#"<a href="/help/{}/a/{}">{}</a>"#,
        esc(&org.slug),
        esc(a.slug()),
        esc(&p.title)
    )
}

async fn home(State(state): State<AppState>, Path(slug): Path<String>) -> ApiResult<Response> {
    let Some(org) = find_org(&state, &slug).await? else {
        return Ok(not_found(None));
    };
    let groups = published(&state, org.id).await?;
    let mut main = String::from("<h1>How can we help?</h1>\n");
    if groups.is_empty() {
        main.push_str("<p>No articles yet.</p>");
    }
    main.push_str(r#"<div class="categories">"#);
    for (cat, list) in &groups {
        main.push_str(&format!(
            r#"<section><h2><a href="/help/{}/category/{}">{}</a></h2><ul>"#,
            esc(&org.slug),
            esc(&crate::seed::slugify(cat)),
            esc(cat)
        ));
        for (a, p) in list.iter().take(6) {
            main.push_str(&format!("<li>{}</li>", link(&org, a, p)));
        }
        main.push_str("</ul></section>");
    }
    main.push_str("</div>");
    Ok(page(StatusCode::OK, Some(&org), "Help center", &main, true))
}

async fn category(
    State(state): State<AppState>,
    Path((slug, cat)): Path<(String, String)>,
) -> ApiResult<Response> {
    let Some(org) = find_org(&state, &slug).await? else {
        return Ok(not_found(None));
    };
    let groups = published(&state, org.id).await?;
    let Some((name, list)) = groups.iter().find(|(c, _)| crate::seed::slugify(c) == cat) else {
        return Ok(not_found(Some(&org)));
    };
    let mut main = format!("<h1>{}</h1><ul class=\"list\">", esc(name));
    for (a, p) in list {
        main.push_str(&format!(
            "<li>{}<p>{}</p></li>",
            link(&org, a, p),
            esc(&kb::render::excerpt(&p.body, 160))
        ));
    }
    main.push_str("</ul>");
    Ok(page(StatusCode::OK, Some(&org), name, &main, true))
}

#[derive(Deserialize)]
struct SearchParams {
    #[serde(default)]
    q: String,
    hl: Option<String>,
}

async fn search(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(p): Query<SearchParams>,
) -> ApiResult<Response> {
    let Some(org) = find_org(&state, &slug).await? else {
        return Ok(not_found(None));
    };
    let q: String = p.q.trim().chars().take(300).collect();
    let locale = p.hl.unwrap_or_else(|| "en".into());
    let hits = if q.is_empty() {
        Vec::new()
    } else {
        knowledge::search(&state, org.id, &q, &locale, 10).await?
    };
    let found = knowledge::with_articles(&state, org.id, hits).await?;
    let mut main = format!(
        r#"<h1>Results for “{}”</h1><p class="count" role="status">{} article{} found</p><ul class="list results">"#,
        esc(&q),
        found.len(),
        if found.len() == 1 { "" } else { "s" }
    );
    for (_, a, p) in &found {
        main.push_str(&format!(
            r#"<li>{}<p>{}</p></li>"#,
            link(&org, a, p),
            esc(&kb::render::excerpt(&p.body, 160))
        ));
    }
    main.push_str("</ul>");
    if found.is_empty() {
        main.push_str("<p>Nothing matched. Try other words, or start a chat.</p>");
    }
    Ok(page(StatusCode::OK, Some(&org), "Search", &main, false))
}

#[derive(Deserialize)]
struct ArticleParams {
    voted: Option<String>,
}

async fn article(
    State(state): State<AppState>,
    Path((slug, article)): Path<(String, String)>,
    Query(params): Query<ArticleParams>,
) -> ApiResult<Response> {
    let Some(org) = find_org(&state, &slug).await? else {
        return Ok(not_found(None));
    };
    let Some(a) = knowledge::by_slug(&state, org.id, &article).await? else {
        return Ok(not_found(Some(&org)));
    };
    let Some(p) = a.data.published.clone() else {
        return Ok(not_found(Some(&org)));
    };
    let feedback = if params.voted.is_some() {
        r#"<p class="thanks" role="status">Thank you for your feedback.</p>"#.to_string()
    } else {
        format!(
            r#"<form class="vote" method="post" action="/help/{}/a/{}/vote">
<fieldset><legend>Was this helpful?</legend>
<button type="submit" name="helpful" value="yes">Yes</button>
<button type="submit" name="helpful" value="no">No</button>
</fieldset></form>"#,
            esc(&org.slug),
            esc(a.slug())
        )
    };
    let cat = if p.category.is_empty() {
        "General"
    } else {
        &p.category
    };
    let main = format!(
        r#"<nav aria-label="Breadcrumb"><a href="/help/{org}/">Help center</a> › <a href="/help/{org}/category/{cat_slug}">{cat}</a></nav>
<article><h1>{title}</h1>
<div class="body">{body}</div></article>
{feedback}"#,
        org = esc(&org.slug),
        cat_slug = esc(&crate::seed::slugify(cat)),
        cat = esc(cat),
        title = esc(&p.title),
        body = kb::render::to_html(&p.body),
    );
    Ok(page(
        StatusCode::OK,
        Some(&org),
        &p.title,
        &main,
        params.voted.is_none(),
    ))
}

#[derive(Deserialize)]
struct VoteForm {
    helpful: String,
}

async fn vote(
    State(state): State<AppState>,
    Path((slug, article)): Path<(String, String)>,
    Form(form): Form<VoteForm>,
) -> ApiResult<Response> {
    let Some(org) = find_org(&state, &slug).await? else {
        return Ok(not_found(None));
    };
    let Some(a) = knowledge::by_slug(&state, org.id, &article).await? else {
        return Ok(not_found(Some(&org)));
    };
    if a.data.published.is_none() {
        return Ok(not_found(Some(&org)));
    }
    let helpful = match form.helpful.as_str() {
        "yes" => true,
        "no" => false,
        _ => {
            return Ok(page(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&org),
                "Feedback",
                "<h1>Feedback</h1><p>Choose yes or no.</p>",
                false,
            ));
        }
    };
    knowledge::vote(&state, org.id, a.id(), helpful).await?;
    let to = format!("/help/{}/a/{}?voted=1", org.slug, a.slug());
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response())
}
