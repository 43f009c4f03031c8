//! The knowledge base for staff (`/api/kb/…`): articles (read by every role; written,
//! published and imported by admins and the editors they authorise), search with the
//! answer bot's decision, and who may edit. The rules live in `crate::knowledge` and the
//! `kb` crate; these handlers check roles and translate.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::{Change, ObjectKind, Role, Store as _};
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{Stored, idempotent, parse};
use crate::auth::Auth;
use crate::error::{Json, Path, Query};
use crate::events::{Actor, LiveEvent};
use crate::knowledge::{
    self, Article, ArticleData, FlagReason, KbSettings, Suggestion, Version, Votes,
};
use crate::{ApiError, ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_articles, create_article))
        .routes(routes!(get_article, update_article, delete_article))
        .routes(routes!(publish_article))
        .routes(routes!(unpublish_article))
        .routes(routes!(search_articles))
        .routes(routes!(import_articles))
        .routes(routes!(get_kb_settings, put_kb_settings))
        .routes(routes!(contact_suggestions))
        .routes(routes!(list_flags, create_flag))
}

const ALL: &[Role] = &[Role::Admin, Role::Supervisor, Role::Agent, Role::Analyst];

/// An article with its draft and published versions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ArticleOut {
    pub id: Uuid,
    pub slug: String,
    pub draft: Version,
    /// The draft's number: each save adds one.
    pub revision: u32,
    pub published: Option<Version>,
    pub published_revision: Option<u32>,
    /// The draft differs from what is published (or nothing is).
    pub unpublished_changes: bool,
    pub edited_by: Option<Uuid>,
    pub published_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub published_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// The help center's votes (only on a single article's read).
    pub votes: Option<Votes>,
}

fn out(a: &Article) -> ArticleOut {
    let d = &a.data;
    ArticleOut {
        id: a.id(),
        slug: a.slug().to_string(),
        draft: d.draft.clone(),
        revision: d.revision,
        published: d.published.clone(),
        published_revision: d.published_revision,
        unpublished_changes: d.published.as_ref() != Some(&d.draft),
        edited_by: d.edited_by,
        published_by: d.published_by,
        published_at: d.published_at,
        created_at: a.object.created_at,
        updated_at: a.object.updated_at,
        votes: None,
    }
}

/// Every article of the organisation, drafts included (every role).
#[utoipa::path(get, path = "/api/kb/articles", tag = "kb",
    responses((status = 200, description = "`{items: [ArticleOut]}`")))]
async fn list_articles(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require(ALL)?;
    let items: Vec<ArticleOut> = knowledge::all(&state, auth.org_id())
        .await?
        .iter()
        .map(out)
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// A new article.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleIn {
    /// Its address in the help center; made from the title when absent. Fixed once set.
    pub slug: Option<String>,
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub category: String,
    pub locale: Option<String>,
    /// Publish at once (default: a draft).
    #[serde(default)]
    pub publish: bool,
}

/// A free slug: `wanted`, or the title's, with `-2`, `-3`… when taken.
async fn free_slug(
    state: &AppState,
    org: Uuid,
    wanted: Option<&str>,
    title: &str,
) -> ApiResult<String> {
    if let Some(s) = wanted {
        if !knowledge::valid_slug(s) {
            return Err(ApiError::invalid(
                "slug: 2 to 64 lowercase letters, digits or dashes",
            ));
        }
        if knowledge::by_slug(state, org, s).await?.is_some() {
            return Err(ApiError::conflict(format!("an article has the slug {s}")));
        }
        return Ok(s.to_string());
    }
    let mut base: String = crate::seed::slugify(title).chars().take(56).collect();
    base = base.trim_end_matches('-').to_string();
    if base.len() < 2 {
        base = "article".into();
    }
    let mut slug = base.clone();
    let mut n = 1;
    while knowledge::by_slug(state, org, &slug).await?.is_some() {
        n += 1;
        slug = format!("{base}-{n}");
    }
    Ok(slug)
}

/// Creates one article from its input, as `actor`.
async fn create(state: &AppState, org: Uuid, actor: Actor, body: ArticleIn) -> ApiResult<Article> {
    let version = Version {
        title: body.title.trim().to_string(),
        body: body.body,
        category: body.category.trim().to_string(),
        locale: body.locale.unwrap_or_else(|| "en".into()),
    };
    version.validate()?;
    let slug = free_slug(state, org, body.slug.as_deref(), &version.title).await?;
    let lock = knowledge::article_lock(org, &slug);
    let _one = lock.lock().await;
    let now = state.now();
    let mut data = ArticleData {
        draft: version,
        revision: 1,
        published: None,
        published_revision: None,
        edited_by: actor.user_id(),
        published_by: None,
        published_at: None,
    };
    let publish = body.publish;
    if publish {
        publish_draft(&mut data, actor, now);
    }
    knowledge::put(state, org, actor, None, &slug, &data, |id| {
        if publish {
            vec![LiveEvent::KbPublished {
                article_id: id,
                revision: 1,
            }]
        } else {
            vec![]
        }
    })
    .await
}

fn publish_draft(data: &mut ArticleData, actor: Actor, now: OffsetDateTime) {
    data.published = Some(data.draft.clone());
    data.published_revision = Some(data.revision);
    data.published_by = actor.user_id();
    data.published_at = Some(now);
}

/// Write an article (admins and authorised editors); a draft unless `publish`.
#[utoipa::path(post, path = "/api/kb/articles", tag = "kb", request_body = ArticleIn,
    responses((status = 201, body = ArticleOut), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_article(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> ApiResult<(StatusCode, axum::Json<Value>)> {
    knowledge::require_editor(&state, &auth).await?;
    let input: ArticleIn = parse(&body)?;
    let org = auth.org_id();
    let actor = Actor::from(&auth);
    let st = state.clone();
    idempotent(
        &state,
        &auth,
        &headers,
        "kb.article",
        &body,
        |_| async move {
            let a = create(&st, org, actor, input).await?;
            Ok((
                serde_json::to_value(out(&a)).unwrap_or_default(),
                Stored::No,
            ))
        },
    )
    .await
}

/// One article, with its help-center votes (every role).
#[utoipa::path(get, path = "/api/kb/articles/{id}", tag = "kb", params(("id" = Uuid, Path)),
    responses((status = 200, body = ArticleOut), (status = 404, body = crate::error::ErrorBody)))]
async fn get_article(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ArticleOut>> {
    auth.require(ALL)?;
    let a = knowledge::by_id(&state, auth.org_id(), id).await?;
    let mut o = out(&a);
    o.votes = Some(knowledge::votes(&state, auth.org_id(), id).await?.0);
    Ok(Json(o))
}

/// A new draft of an article.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftIn {
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub category: String,
    pub locale: Option<String>,
    /// The revision this draft was edited from: when someone saved since, 409 (their
    /// changes would be lost).
    pub base_revision: Option<u32>,
}

/// Save an article's draft (admins and authorised editors). The published version is
/// unchanged until the draft is published.
#[utoipa::path(put, path = "/api/kb/articles/{id}", tag = "kb", params(("id" = Uuid, Path)),
    request_body = DraftIn,
    responses((status = 200, body = ArticleOut), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn update_article(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Json(body): Json<DraftIn>,
) -> ApiResult<Json<ArticleOut>> {
    knowledge::require_editor(&state, &auth).await?;
    let org = auth.org_id();
    let version = Version {
        title: body.title.trim().to_string(),
        body: body.body,
        category: body.category.trim().to_string(),
        locale: body.locale.unwrap_or_else(|| "en".into()),
    };
    version.validate()?;
    let slug = knowledge::by_id(&state, org, id).await?.slug().to_string();
    let lock = knowledge::article_lock(org, &slug);
    let _one = lock.lock().await;
    let a = knowledge::by_id(&state, org, id).await?;
    if let Some(base) = body.base_revision
        && base != a.data.revision
    {
        return Err(ApiError::conflict(format!(
            "the article was saved since revision {base} (now {}): reload it",
            a.data.revision
        )));
    }
    let mut data = a.data.clone();
    data.draft = version;
    data.revision += 1;
    data.edited_by = Actor::from(&auth).user_id();
    let a = knowledge::put(
        &state,
        org,
        Actor::from(&auth),
        Some(&a.object),
        &slug,
        &data,
        |_| vec![],
    )
    .await?;
    Ok(Json(out(&a)))
}

/// Delete an article and its votes (admins and authorised editors).
#[utoipa::path(delete, path = "/api/kb/articles/{id}", tag = "kb", params(("id" = Uuid, Path)),
    responses((status = 204, description = "deleted"), (status = 404, body = crate::error::ErrorBody)))]
async fn delete_article(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    knowledge::require_editor(&state, &auth).await?;
    let org = auth.org_id();
    let a = knowledge::by_id(&state, org, id).await?;
    let lock = knowledge::article_lock(org, a.slug());
    let _one = lock.lock().await;
    let mut changes = vec![
        Change::DeleteObject {
            org_id: org,
            kind: ObjectKind::KbArticle,
            id,
        },
        LiveEvent::ObjectDeleted {
            kind: ObjectKind::KbArticle.as_str().into(),
            id,
        }
        .change(org, state.now(), Actor::from(&auth)),
    ];
    if let (_, Some(v)) = knowledge::votes(&state, org, id).await? {
        changes.push(Change::DeleteObject {
            org_id: org,
            kind: ObjectKind::KbVotes,
            id: v.id,
        });
    }
    state.write(changes, vec![]).await?;
    knowledge::unindex(&state, org, a.slug()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_published(
    state: &AppState,
    auth: &Auth,
    id: Uuid,
    publish: bool,
) -> ApiResult<Article> {
    knowledge::require_editor(state, auth).await?;
    let org = auth.org_id();
    let slug = knowledge::by_id(state, org, id).await?.slug().to_string();
    let lock = knowledge::article_lock(org, &slug);
    let _one = lock.lock().await;
    let a = knowledge::by_id(state, org, id).await?;
    let actor = Actor::from(auth);
    let mut data = a.data.clone();
    let event = if publish {
        publish_draft(&mut data, actor, state.now());
        LiveEvent::KbPublished {
            article_id: id,
            revision: data.revision,
        }
    } else {
        data.published = None;
        data.published_revision = None;
        LiveEvent::KbUnpublished { article_id: id }
    };
    knowledge::put(state, org, actor, Some(&a.object), &slug, &data, |_| {
        vec![event]
    })
    .await
}

/// Publish the article's draft: the help center and the answer bot use it from now on.
#[utoipa::path(post, path = "/api/kb/articles/{id}/publish", tag = "kb", params(("id" = Uuid, Path)),
    responses((status = 200, body = ArticleOut), (status = 404, body = crate::error::ErrorBody)))]
async fn publish_article(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ArticleOut>> {
    Ok(Json(out(&set_published(&state, &auth, id, true).await?)))
}

/// Withdraw the article from the help center and the answer bot; its draft stays.
#[utoipa::path(post, path = "/api/kb/articles/{id}/unpublish", tag = "kb", params(("id" = Uuid, Path)),
    responses((status = 200, body = ArticleOut), (status = 404, body = crate::error::ErrorBody)))]
async fn unpublish_article(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ArticleOut>> {
    Ok(Json(out(&set_published(&state, &auth, id, false).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SearchQuery {
    /// The question (none: no hits).
    #[serde(default)]
    pub q: String,
    /// Default `en`.
    pub locale: Option<String>,
    /// 1 to 50, default 5.
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HitOut {
    pub slug: String,
    pub title: String,
    pub category: String,
    pub locale: String,
    pub score: f32,
    /// The share of the question's words (rare ones weigh more) the article holds.
    pub coverage: f32,
}

/// What the answer bot would do with the question.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DecisionOut {
    /// `answer` or `handover`.
    pub decision: String,
    /// The article it would answer with.
    pub slug: Option<String>,
    pub confidence: Option<f32>,
    /// Why it would hand over: `asked_for_person`, `no_match`, `low_confidence`.
    pub reason: Option<String>,
}

impl DecisionOut {
    pub fn of(d: &kb::Decision) -> DecisionOut {
        match d {
            kb::Decision::Answer {
                article_id,
                confidence,
            } => DecisionOut {
                decision: "answer".into(),
                slug: Some(article_id.clone()),
                confidence: Some(*confidence),
                reason: None,
            },
            kb::Decision::Handover { reason } => DecisionOut {
                decision: "handover".into(),
                slug: None,
                confidence: None,
                reason: serde_json::to_value(reason)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string)),
            },
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchOut {
    pub hits: Vec<HitOut>,
    pub bot: DecisionOut,
    /// Whether a sentence-embedding model re-ranked the hits by meaning (`kb_model_dir`).
    pub reranked: bool,
}

/// Search the published articles, and see what the answer bot would do (every role).
#[utoipa::path(get, path = "/api/kb/search", tag = "kb", params(SearchQuery),
    responses((status = 200, body = SearchOut), (status = 422, body = crate::error::ErrorBody)))]
async fn search_articles(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Json<SearchOut>> {
    auth.require(ALL)?;
    if q.q.chars().count() > 1000 {
        return Err(ApiError::invalid("q: at most 1,000 characters"));
    }
    let locale = q.locale.unwrap_or_else(|| "en".into());
    let hits =
        knowledge::search(&state, auth.org_id(), &q.q, &locale, q.limit.unwrap_or(5)).await?;
    let decision = kb::decide(&q.q, &hits, &kb::BotConfig::default());
    Ok(Json(SearchOut {
        bot: DecisionOut::of(&decision),
        reranked: state.kb_indexes().semantic(state.config()).is_some(),
        hits: hits
            .into_iter()
            .map(|h| HitOut {
                slug: h.id,
                title: h.title,
                category: h.category,
                locale: h.locale,
                score: h.score,
                coverage: h.coverage,
            })
            .collect(),
    }))
}

/// Articles to import.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportIn {
    /// `csv` (a header with `title` and `body`, optionally `category`, `locale`, `slug`)
    /// or `html` (one page: its `<h1>` is the title).
    pub format: String,
    pub content: String,
    /// For HTML, and CSV rows without one.
    #[serde(default)]
    pub category: String,
    pub locale: Option<String>,
    #[serde(default)]
    pub publish: bool,
}

/// Import articles from CSV or HTML (admins and authorised editors): all or nothing is
/// checked first, then each becomes an article (a draft unless `publish`).
#[utoipa::path(post, path = "/api/kb/import", tag = "kb", request_body = ImportIn,
    responses((status = 201, description = "`{items: [ArticleOut]}`"), (status = 422, body = crate::error::ErrorBody)))]
async fn import_articles(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<ImportIn>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    knowledge::require_editor(&state, &auth).await?;
    let locale = body.locale.clone().unwrap_or_else(|| "en".into());
    let rows = match body.format.as_str() {
        "csv" => kb::import::from_csv(&body.content, &locale),
        "html" => kb::import::from_html(&body.content, &body.category, &locale).map(|a| vec![a]),
        _ => return Err(ApiError::invalid("format: csv or html")),
    }
    .map_err(|e| ApiError::invalid(e.to_string()))?;
    if rows.is_empty() || rows.len() > 1000 {
        return Err(ApiError::invalid("1 to 1,000 articles per import"));
    }
    let inputs: Vec<ArticleIn> = rows
        .into_iter()
        .map(|r| ArticleIn {
            slug: r.slug,
            title: r.title,
            body: r.body,
            category: if r.category.is_empty() {
                body.category.clone()
            } else {
                r.category
            },
            locale: Some(r.locale),
            publish: body.publish,
        })
        .collect();
    for (i, a) in inputs.iter().enumerate() {
        Version {
            title: a.title.trim().to_string(),
            body: a.body.clone(),
            category: a.category.clone(),
            locale: a.locale.clone().unwrap_or_default(),
        }
        .validate()
        .map_err(|e| ApiError::invalid(format!("article {}: {}", i + 1, e.message)))?;
    }
    let org = auth.org_id();
    let actor = Actor::from(&auth);
    let mut out_items = Vec::with_capacity(inputs.len());
    for a in inputs {
        out_items.push(out(&create(&state, org, actor, a).await?));
    }
    Ok((StatusCode::CREATED, Json(json!({ "items": out_items }))))
}

/// Who besides admins may edit the knowledge base (admins).
#[utoipa::path(get, path = "/api/kb/settings", tag = "kb",
    responses((status = 200, body = KbSettings)))]
async fn get_kb_settings(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<KbSettings>> {
    auth.require_admin()?;
    Ok(Json(knowledge::settings(&state, auth.org_id()).await?.0))
}

/// Set who besides admins may edit the knowledge base, and where the answer bot meets
/// customers first (admins). Audited as `object.put`.
#[utoipa::path(put, path = "/api/kb/settings", tag = "kb", request_body = KbSettings,
    responses((status = 200, body = KbSettings), (status = 422, body = crate::error::ErrorBody)))]
async fn put_kb_settings(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<KbSettings>,
) -> ApiResult<Json<KbSettings>> {
    auth.require_admin()?;
    let org = auth.org_id();
    body.validate()?;
    for q in &body.bot_queues {
        if state.with_org(org, |o| o.queue(*q).is_none()) {
            return Err(ApiError::invalid(format!("bot_queues: no queue {q}")));
        }
    }
    for u in &body.editors {
        if state.store().get_user(org, *u).await?.is_none() {
            return Err(ApiError::invalid(format!("editors: no user {u}")));
        }
    }
    let (_, existing) = knowledge::settings(&state, org).await?;
    crate::org_settings::save(
        &state,
        org,
        Actor::from(&auth),
        ObjectKind::KbSettings,
        knowledge::SETTINGS_NAME,
        &body,
        existing.as_ref(),
    )
    .await?;
    Ok(Json(body))
}

// ---------- agent assist ----------

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SuggestionsOut {
    pub items: Vec<Suggestion>,
}

/// Articles that fit what the customer of a conversation asks now, best first (the
/// conversation's agent, supervisors and admins). Reads the customer's last messages
/// to search, and returns only articles.
#[utoipa::path(get, path = "/api/contacts/{id}/suggestions", tag = "kb", params(("id" = Uuid, Path)),
    responses((status = 200, body = SuggestionsOut), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
async fn contact_suggestions(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<SuggestionsOut>> {
    auth.require(&[Role::Admin, Role::Supervisor, Role::Agent])?;
    let contact = crate::contacts::visible(&state, &auth, id).await?;
    let (_, items) = knowledge::suggestions(&state, &contact, 3).await?;
    Ok(Json(SuggestionsOut { items }))
}

/// A flag on an article, or on a question no article answers.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagIn {
    /// The article (left out for `missing`).
    pub article_id: Option<Uuid>,
    pub reason: FlagReason,
    /// What is wrong, or what the customer asked (required for `missing`); personal
    /// data is masked before it is kept.
    #[serde(default)]
    pub note: String,
    /// The conversation it came up in (one the caller may see).
    pub contact_id: Option<Uuid>,
}

/// Flag an article as wrong or outdated, or say that no article answers a question
/// (every staff role). Logged as `kb.flagged` with who; the editors see the list.
#[utoipa::path(post, path = "/api/kb/flags", tag = "kb", request_body = FlagIn,
    responses((status = 201, description = "`{id}`"), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
async fn create_flag(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> ApiResult<(StatusCode, axum::Json<Value>)> {
    auth.require(ALL)?;
    let input: FlagIn = parse(&body)?;
    if let Some(c) = input.contact_id {
        crate::contacts::visible(&state, &auth, c).await?;
    }
    let org = auth.org_id();
    let actor = Actor::from(&auth);
    let st = state.clone();
    idempotent(&state, &auth, &headers, "kb.flag", &body, |_| async move {
        let id = knowledge::flag(
            &st,
            org,
            actor,
            input.article_id,
            input.reason,
            &input.note,
            input.contact_id,
        )
        .await?;
        Ok((json!({ "id": id }), Stored::No))
    })
    .await
}

/// One flag, as the editors see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FlagOut {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub reason: String,
    pub article_id: Option<Uuid>,
    /// The article's title now (none for `missing`, or once it is deleted).
    pub article_title: Option<String>,
    pub note: String,
    pub contact_id: Option<Uuid>,
    /// Who flagged it.
    pub by: Option<Uuid>,
    pub by_name: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FlagsOut {
    pub items: Vec<FlagOut>,
}

/// The latest 200 flags, newest first (admins and authorised editors): the articles to
/// fix and the ones to write.
#[utoipa::path(get, path = "/api/kb/flags", tag = "kb",
    responses((status = 200, body = FlagsOut), (status = 403, body = crate::error::ErrorBody)))]
async fn list_flags(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<FlagsOut>> {
    knowledge::require_editor(&state, &auth).await?;
    let org = auth.org_id();
    let events = state
        .store()
        .read_org_events_of_kind(org, "kb.flagged", i64::MAX, 200)
        .await?;
    let mut titles: std::collections::HashMap<Uuid, Option<String>> = Default::default();
    let mut names: std::collections::HashMap<Uuid, Option<String>> = Default::default();
    let mut items = Vec::with_capacity(events.len());
    for e in &events {
        let Some((
            actor,
            LiveEvent::KbFlagged {
                flag_id,
                article_id,
                reason,
                note,
                contact_id,
            },
        )) = LiveEvent::parse(e)
        else {
            continue;
        };
        let article_title = match article_id {
            Some(a) => match titles.get(&a) {
                Some(t) => t.clone(),
                None => {
                    let t = state
                        .store()
                        .get_object(org, ObjectKind::KbArticle, a)
                        .await?
                        .and_then(Article::from_object)
                        .map(|x| x.data.draft.title);
                    titles.insert(a, t.clone());
                    t
                }
            },
            None => None,
        };
        let by = actor.user_id();
        let by_name = match by {
            Some(u) => match names.get(&u) {
                Some(n) => n.clone(),
                None => {
                    let n = state.store().get_user(org, u).await?.map(|x| x.name);
                    names.insert(u, n.clone());
                    n
                }
            },
            None => None,
        };
        items.push(FlagOut {
            id: flag_id,
            at: e.at,
            reason,
            article_id,
            article_title,
            note,
            contact_id,
            by,
            by_name,
        });
    }
    Ok(Json(FlagsOut { items }))
}
