//! Each organisation's knowledge base: articles with a draft and a published version,
//! the search index over the published ones, and who may edit them.
//!
//! Why objects: an article is configuration an organisation owns, like a queue; the
//! store's generic objects (`kb_article`, named by its slug) give it scoping, caching and
//! parity on both databases for free. Every change is an event with its actor
//! (`object.put`, `object.deleted`, `kb.published`, `kb.unpublished`), so who changed
//! what is in the hash-chained log. The search index ([`kb::KbIndex`], in RAM) is built
//! from the published versions at first use and updated by each publish, withdrawal and
//! deletion in this process; another node's edits reach it when it restarts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use store::{Change, Object, ObjectKind, PageRequest, Role, Store as _};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::auth::Auth;
use crate::events::{Actor, LiveEvent};
use crate::{ApiError, ApiResult, AppState};

/// One version of an article: what editors write and the help center shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Version {
    /// 1 to 200 characters.
    pub title: String,
    /// Markdown, at most 100,000 characters.
    pub body: String,
    /// The help center groups articles by it; at most 100 characters.
    #[serde(default)]
    pub category: String,
    /// `en`, `fr-CA`…: picks the search's language. Default `en`.
    #[serde(default = "default_locale")]
    pub locale: String,
}

fn default_locale() -> String {
    "en".into()
}

impl Version {
    pub fn validate(&self) -> Result<(), ApiError> {
        let t = self.title.trim();
        if t.is_empty() || t.chars().count() > 200 {
            return Err(ApiError::invalid("title: 1 to 200 characters"));
        }
        if self.body.chars().count() > 100_000 {
            return Err(ApiError::invalid("body: at most 100,000 characters"));
        }
        if self.category.chars().count() > 100 {
            return Err(ApiError::invalid("category: at most 100 characters"));
        }
        let l = &self.locale;
        if l.len() < 2
            || l.len() > 20
            || !l
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ApiError::invalid(
                "locale: a language tag such as en or fr-CA",
            ));
        }
        Ok(())
    }
}

/// An article as stored (the object's JSON).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ArticleData {
    pub draft: Version,
    /// Counts every saved draft, from 1.
    pub revision: u32,
    pub published: Option<Version>,
    /// The draft revision that was published.
    pub published_revision: Option<u32>,
    pub edited_by: Option<Uuid>,
    pub published_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub published_at: Option<OffsetDateTime>,
}

/// An article with its id and slug.
#[derive(Clone, Debug)]
pub struct Article {
    pub object: Object,
    pub data: ArticleData,
}

impl Article {
    pub fn id(&self) -> Uuid {
        self.object.id
    }
    pub fn slug(&self) -> &str {
        &self.object.name
    }
    pub fn from_object(object: Object) -> Option<Article> {
        let data = serde_json::from_value(object.data.clone()).ok()?;
        Some(Article { object, data })
    }
    /// The published version as the search index takes it (its id is the slug).
    pub fn indexed(&self) -> Option<kb::Article> {
        self.data.published.as_ref().map(|p| kb::Article {
            id: self.slug().to_string(),
            title: p.title.clone(),
            body: p.body.clone(),
            category: p.category.clone(),
            locale: p.locale.clone(),
        })
    }
}

/// A slug: lowercase letters, digits and dashes, 2 to 64 (the organisations' rule).
pub fn valid_slug(s: &str) -> bool {
    crate::seed::valid_slug(s)
}

/// Every article of an organisation, in creation order.
pub async fn all(state: &AppState, org: Uuid) -> ApiResult<Vec<Article>> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = state
            .store()
            .list_objects(
                org,
                ObjectKind::KbArticle,
                PageRequest { after, limit: 500 },
            )
            .await?;
        out.extend(page.items.into_iter().filter_map(Article::from_object));
        match page.next_cursor {
            Some(c) => after = Some(c),
            None => return Ok(out),
        }
    }
}

pub async fn by_id(state: &AppState, org: Uuid, id: Uuid) -> ApiResult<Article> {
    state
        .store()
        .get_object(org, ObjectKind::KbArticle, id)
        .await?
        .and_then(Article::from_object)
        .ok_or_else(|| ApiError::not_found("article"))
}

pub async fn by_slug(state: &AppState, org: Uuid, slug: &str) -> ApiResult<Option<Article>> {
    if !valid_slug(slug) {
        return Ok(None);
    }
    Ok(state
        .store()
        .get_object_by_name(org, ObjectKind::KbArticle, slug)
        .await?
        .and_then(Article::from_object))
}

/// Who besides admins may edit the knowledge base, and where the answer bot meets
/// customers first (an admin-only object).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KbSettings {
    /// Users (agents, supervisors, analysts) allowed to write and publish articles.
    #[serde(default)]
    pub editors: Vec<Uuid>,
    /// Queues whose new conversations meet the answer bot before they are queued: it
    /// answers from published articles and hands over to a person when unsure or asked.
    #[serde(default)]
    pub bot_queues: Vec<Uuid>,
    /// The channels it does so on (written channels only). Default: all of them.
    #[serde(default = "written_channels")]
    #[schema(value_type = Vec<String>)]
    pub bot_channels: Vec<store::Channel>,
    /// Whether the time a customer spent with the bot counts toward their wait when it
    /// hands them over (their place in line counts from their first message). Default:
    /// no, the wait starts at the handover.
    #[serde(default)]
    pub bot_time_counts: bool,
    /// Seconds of silence after which a conversation with the bot closes (60 to
    /// 86,400; default 1,800).
    #[serde(default = "default_bot_idle_s")]
    pub bot_idle_s: i64,
}

impl Default for KbSettings {
    fn default() -> Self {
        KbSettings {
            editors: Vec::new(),
            bot_queues: Vec::new(),
            bot_channels: written_channels(),
            bot_time_counts: false,
            bot_idle_s: default_bot_idle_s(),
        }
    }
}

/// The channels the answer bot can speak on: every written one.
pub fn written_channels() -> Vec<store::Channel> {
    use store::Channel::*;
    vec![Chat, Sms, Whatsapp, Messenger, Email]
}

fn default_bot_idle_s() -> i64 {
    1800
}

impl KbSettings {
    pub fn validate(&self) -> Result<(), ApiError> {
        if self.bot_channels.contains(&store::Channel::Voice) {
            return Err(ApiError::invalid(
                "bot_channels: the answer bot writes; voice is not one of its channels",
            ));
        }
        if !(60..=86_400).contains(&self.bot_idle_s) {
            return Err(ApiError::invalid("bot_idle_s: 60 to 86,400 seconds"));
        }
        Ok(())
    }

    /// Whether a new conversation on `channel` in `queue` meets the bot first.
    pub fn bot_first(&self, queue: Uuid, channel: store::Channel) -> bool {
        self.bot_queues.contains(&queue) && self.bot_channels.contains(&channel)
    }
}

pub const SETTINGS_NAME: &str = "kb";

pub async fn settings(state: &AppState, org: Uuid) -> ApiResult<(KbSettings, Option<Object>)> {
    crate::org_settings::load(state, org, ObjectKind::KbSettings, SETTINGS_NAME).await
}

/// 403 unless the caller may edit articles: an admin, or a user the admins authorised.
pub async fn require_editor(state: &AppState, auth: &Auth) -> ApiResult<()> {
    if auth.role() == Role::Admin {
        return Ok(());
    }
    let (s, _) = settings(state, auth.org_id()).await?;
    if s.editors.contains(&auth.user.id) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "only admins and the knowledge base's authorised editors may edit articles",
        ))
    }
}

/// Writes an article (new or the next version of `existing`) with `object.put` and the
/// events `more` makes of its id, in one commit, then updates the search index.
pub async fn put(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    existing: Option<&Object>,
    slug: &str,
    data: &ArticleData,
    more: impl FnOnce(Uuid) -> Vec<LiveEvent>,
) -> ApiResult<Article> {
    let now = state.now();
    let object = Object::next_version(
        existing,
        org,
        ObjectKind::KbArticle,
        slug,
        serde_json::to_value(data).map_err(|e| ApiError::internal(e.to_string()))?,
        now,
    );
    let mut events = vec![LiveEvent::ObjectPut {
        kind: ObjectKind::KbArticle.as_str().into(),
        id: object.id,
    }];
    events.extend(more(object.id));
    let mut changes = vec![Change::PutObject(object.clone())];
    changes.extend(events.into_iter().map(|e| e.change(org, now, actor)));
    state.write(changes, vec![]).await?;
    let article = Article {
        object,
        data: data.clone(),
    };
    reindex(state, org, &article).await?;
    Ok(article)
}

/// Serialises the writes to one article in this process (read, change, write).
pub fn article_lock(org: Uuid, slug: &str) -> Arc<tokio::sync::Mutex<()>> {
    crate::api::key_lock(&format!("kb:{org}:{slug}"))
}

// ---------- the search index ----------

/// The organisations' search indexes, built at first use, and the optional
/// sentence-embedding model that re-ranks their hits.
#[derive(Default)]
pub struct Indexes {
    map: Mutex<HashMap<Uuid, Arc<kb::KbIndex>>>,
    semantic: std::sync::OnceLock<Option<Arc<Semantic>>>,
}

/// Semantic re-ranking ([`kb::semantic`]): the model, its weight, and the embeddings of
/// the articles' texts it has seen (title and start; recomputed when the text changes).
pub struct Semantic {
    encoder: kb::semantic::Encoder,
    weight: f32,
    cache: Mutex<HashMap<String, Arc<Vec<f32>>>>,
}

/// Hits re-ranked by meaning (the search's best, at most).
pub const RERANKED: usize = 10;
/// Article texts whose embeddings are kept.
const EMBEDDINGS_KEPT: usize = 20_000;

impl Semantic {
    fn embedding(&self, text: &str) -> Result<Arc<Vec<f32>>, kb::KbError> {
        if let Some(e) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(text)
        {
            return Ok(e.clone());
        }
        let e = Arc::new(self.encoder.embed(text)?);
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= EMBEDDINGS_KEPT {
            cache.clear();
        }
        cache.insert(text.to_string(), e.clone());
        Ok(e)
    }

    /// Re-orders `hits` (with their articles' texts) by meaning as well as words.
    fn rerank(
        &self,
        question: &str,
        hits: Vec<kb::Hit>,
        texts: &[String],
    ) -> Result<Vec<kb::Hit>, kb::KbError> {
        let q = self.encoder.embed(question)?;
        let sims = texts
            .iter()
            .map(|t| self.embedding(t).map(|e| kb::semantic::cosine(&q, &e)))
            .collect::<Result<Vec<f32>, _>>()?;
        Ok(kb::semantic::rerank(hits, &sims, self.weight))
    }
}

impl Indexes {
    /// The re-ranking model, loaded at first use where `kb_model_dir` names one; one
    /// that does not load is logged and left off (search goes on by words alone).
    pub fn semantic(&self, config: &crate::Config) -> Option<Arc<Semantic>> {
        self.semantic
            .get_or_init(|| {
                let dir = config.kb_model_dir.trim();
                if dir.is_empty() {
                    return None;
                }
                match kb::semantic::Encoder::load(std::path::Path::new(dir)) {
                    Ok(encoder) => {
                        tracing::info!(dir, ?encoder, "semantic re-ranking on");
                        Some(Arc::new(Semantic {
                            encoder,
                            weight: config.kb_rerank_weight.clamp(0.0, 1.0),
                            cache: Mutex::new(HashMap::new()),
                        }))
                    }
                    Err(e) => {
                        tracing::error!(dir, error = %e, "semantic re-ranking off: the model does not load");
                        None
                    }
                }
            })
            .clone()
    }

    fn get(&self, org: Uuid) -> Option<Arc<kb::KbIndex>> {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&org)
            .cloned()
    }
    /// Keeps the first index inserted: one built from older rows never replaces one
    /// that publishes have since updated.
    fn insert(&self, org: Uuid, index: Arc<kb::KbIndex>) -> Arc<kb::KbIndex> {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(org)
            .or_insert(index)
            .clone()
    }
}

fn index_error(e: kb::KbError) -> ApiError {
    ApiError::internal(format!("knowledge base: {e}"))
}

/// The organisation's index of published articles.
pub async fn index(state: &AppState, org: Uuid) -> ApiResult<Arc<kb::KbIndex>> {
    if let Some(i) = state.kb_indexes().get(org) {
        return Ok(i);
    }
    let published: Vec<kb::Article> = all(state, org)
        .await?
        .iter()
        .filter_map(Article::indexed)
        .collect();
    let built = tokio::task::spawn_blocking(move || -> Result<kb::KbIndex, kb::KbError> {
        let index = kb::KbIndex::in_ram()?;
        index.rebuild(&published)?;
        Ok(index)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
    .map_err(index_error)?;
    Ok(state.kb_indexes().insert(org, Arc::new(built)))
}

/// Brings the index in line with the article as just committed.
async fn reindex(state: &AppState, org: Uuid, article: &Article) -> ApiResult<()> {
    let index = index(state, org).await?;
    match article.indexed() {
        Some(a) => index.upsert(&a),
        None => index.remove(article.slug()),
    }
    .map_err(index_error)
}

/// Drops a deleted article from the index.
pub async fn unindex(state: &AppState, org: Uuid, slug: &str) -> ApiResult<()> {
    index(state, org).await?.remove(slug).map_err(index_error)
}

/// The best published articles for a question.
pub async fn search(
    state: &AppState,
    org: Uuid,
    question: &str,
    locale: &str,
    limit: usize,
) -> ApiResult<Vec<kb::Hit>> {
    let index = index(state, org).await?;
    let limit = limit.clamp(1, 50);
    let Some(semantic) = state.kb_indexes().semantic(state.config()) else {
        return index.search(question, locale, limit).map_err(index_error);
    };
    let hits = index
        .search(question, locale, limit.max(RERANKED))
        .map_err(index_error)?;
    if hits.len() < 2 {
        return Ok(hits);
    }
    // Each hit's article as the model reads it: its title and start.
    let mut texts = Vec::with_capacity(hits.len());
    for h in &hits {
        let text = match by_slug(state, org, &h.id).await? {
            Some(a) => a
                .data
                .published
                .as_ref()
                .map(|p| format!("{}. {}", p.title, kb::render::excerpt(&p.body, 400))),
            None => None,
        };
        texts.push(text.unwrap_or_else(|| h.title.clone()));
    }
    let question = question.to_string();
    let mut hits = tokio::task::spawn_blocking(move || semantic.rerank(&question, hits, &texts))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(index_error)?;
    hits.truncate(limit);
    Ok(hits)
}

/// Search hits with their articles' published versions (hits whose article is gone
/// or withdrawn since are left out).
pub async fn with_articles(
    state: &AppState,
    org: Uuid,
    hits: Vec<kb::Hit>,
) -> ApiResult<Vec<(kb::Hit, Article, Version)>> {
    let mut out = Vec::with_capacity(hits.len());
    for h in hits {
        let Some(article) = by_slug(state, org, &h.id).await? else {
            continue;
        };
        let Some(published) = article.data.published.clone() else {
            continue;
        };
        out.push((h, article, published));
    }
    Ok(out)
}

// ---------- agent assist ----------

/// Messages a suggestion reads back: the customer's last few.
const ASSIST_MESSAGES: usize = 3;
/// Longest question a suggestion searches with, in characters.
const ASSIST_CHARS: usize = 1000;

/// What the customer is asking now: their last few messages (not staff's, not the
/// bot's), newest last, at most [`ASSIST_CHARS`] characters from the end.
pub fn question_of(messages: &[store::Message]) -> String {
    let mut texts: Vec<&str> = messages
        .iter()
        .rev()
        .filter(|m| m.sender == store::Sender::Customer && !m.internal)
        .filter_map(|m| m.text.as_deref())
        .filter(|t| !t.trim().is_empty())
        .take(ASSIST_MESSAGES)
        .collect();
    texts.reverse();
    let joined = texts.join("\n");
    let n = joined.chars().count();
    joined
        .chars()
        .skip(n.saturating_sub(ASSIST_CHARS))
        .collect()
}

/// An article suggested to the agent of a conversation, ready to quote or link.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    pub article_id: Uuid,
    pub slug: String,
    pub title: String,
    pub category: String,
    /// The start of the article as plain text, to insert as a passage.
    pub excerpt: String,
    /// The article on the public help center, to send as a link.
    pub url: String,
    /// The share of the question's terms the article holds (0–1).
    pub coverage: f32,
    /// The answer bot would answer with this article on its own.
    pub confident: bool,
}

/// The published articles that fit what the customer of `contact` asks now, best
/// first (at most `limit`). Nothing when the customer has written nothing yet.
pub async fn suggestions(
    state: &AppState,
    contact: &store::Contact,
    limit: usize,
) -> ApiResult<(String, Vec<Suggestion>)> {
    let org_id = contact.org_id;
    let messages = state.messages(org_id, contact.id, 0, 1000).await?;
    let question = question_of(&messages);
    if question.trim().is_empty() {
        return Ok((question, Vec::new()));
    }
    let hits = search(state, org_id, &question, "en", limit).await?;
    let confident = match kb::decide(&question, &hits, &kb::BotConfig::default()) {
        kb::Decision::Answer { article_id, .. } => Some(article_id),
        _ => None,
    };
    let org = state
        .store()
        .get_org(org_id)
        .await?
        .ok_or_else(|| ApiError::not_found("organisation"))?;
    let base = state.config().public_url.trim_end_matches('/').to_string();
    let mut out = Vec::with_capacity(hits.len());
    for (h, article, published) in with_articles(state, org_id, hits).await? {
        out.push(Suggestion {
            article_id: article.id(),
            slug: h.id.clone(),
            title: published.title.clone(),
            category: published.category.clone(),
            excerpt: kb::render::excerpt(&published.body, 400),
            url: format!("{base}/help/{}/a/{}", org.slug, h.id),
            coverage: h.coverage,
            confident: confident.as_deref() == Some(h.id.as_str()),
        });
    }
    Ok((question, out))
}

/// Why an article was flagged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlagReason {
    /// It says something that is not so.
    Wrong,
    /// It was right once.
    Outdated,
    /// No article answers the customer's question.
    Missing,
}

impl FlagReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FlagReason::Wrong => "wrong",
            FlagReason::Outdated => "outdated",
            FlagReason::Missing => "missing",
        }
    }
}

/// Logs a flag (`kb.flagged`), the note's personal data masked. A missing article
/// names none; the others name one that exists.
pub async fn flag(
    state: &AppState,
    org: Uuid,
    actor: Actor,
    article: Option<Uuid>,
    reason: FlagReason,
    note: &str,
    contact: Option<Uuid>,
) -> ApiResult<Uuid> {
    match (reason, article) {
        (FlagReason::Missing, Some(_)) => {
            return Err(ApiError::invalid(
                "article_id: leave it out when no article answers the question",
            ));
        }
        (FlagReason::Wrong | FlagReason::Outdated, None) => {
            return Err(ApiError::invalid(
                "article_id: which article is wrong or outdated",
            ));
        }
        (_, Some(id)) => {
            let found = state
                .store()
                .get_object(org, ObjectKind::KbArticle, id)
                .await?
                .is_some();
            if !found {
                return Err(ApiError::not_found("article"));
            }
        }
        (FlagReason::Missing, None) => {}
    }
    let note = note.trim();
    if note.chars().count() > 1000 {
        return Err(ApiError::invalid("note: at most 1,000 characters"));
    }
    if reason == FlagReason::Missing && note.is_empty() {
        return Err(ApiError::invalid("note: say what the customer asked"));
    }
    let note = crate::pii::mask(note)
        .map(|m| m.text)
        .unwrap_or_else(|| note.to_string());
    let flag_id = store::new_id();
    let event = LiveEvent::KbFlagged {
        flag_id,
        article_id: article,
        reason: reason.as_str().to_string(),
        note,
        contact_id: contact,
    };
    state
        .write(vec![event.change(org, state.now(), actor)], vec![])
        .await?;
    Ok(flag_id)
}

// ---------- votes ----------

/// The help center's "was this helpful?" counts of one article.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Votes {
    pub helpful: u64,
    pub not_helpful: u64,
}

pub async fn votes(
    state: &AppState,
    org: Uuid,
    article: Uuid,
) -> ApiResult<(Votes, Option<Object>)> {
    let o = state
        .store()
        .get_object_by_name(org, ObjectKind::KbVotes, &article.to_string())
        .await?;
    let v = o
        .as_ref()
        .and_then(|o| serde_json::from_value(o.data.clone()).ok())
        .unwrap_or_default();
    Ok((v, o))
}

/// Counts one vote (a customer's, from the help center: no event, no personal data).
pub async fn vote(state: &AppState, org: Uuid, article: Uuid, helpful: bool) -> ApiResult<Votes> {
    let lock = crate::api::key_lock(&format!("kb-votes:{org}:{article}"));
    let _one = lock.lock().await;
    let (mut v, existing) = votes(state, org, article).await?;
    if helpful {
        v.helpful += 1;
    } else {
        v.not_helpful += 1;
    }
    let o = Object::next_version(
        existing.as_ref(),
        org,
        ObjectKind::KbVotes,
        article.to_string(),
        serde_json::to_value(v).unwrap_or_default(),
        state.now(),
    );
    state.write(vec![Change::PutObject(o)], vec![]).await?;
    Ok(v)
}

/// Seeds the demo articles into an organisation, published, unless it has articles.
pub async fn seed_demo(state: &AppState, org: Uuid) -> ApiResult<usize> {
    if !all(state, org).await?.is_empty() {
        return Ok(0);
    }
    let demo = kb::demo::articles().map_err(index_error)?;
    let now = state.now();
    let mut changes = Vec::with_capacity(demo.len() * 2);
    for a in &demo {
        let v = Version {
            title: a.title.clone(),
            body: a.body.clone(),
            category: a.category.clone(),
            locale: "en".into(),
        };
        let data = ArticleData {
            draft: v.clone(),
            revision: 1,
            published: Some(v),
            published_revision: Some(1),
            edited_by: None,
            published_by: None,
            published_at: Some(now),
        };
        let o = Object::next_version(
            None,
            org,
            ObjectKind::KbArticle,
            a.slug.clone(),
            serde_json::to_value(&data).unwrap_or_default(),
            now,
        );
        changes.push(
            LiveEvent::KbPublished {
                article_id: o.id,
                revision: 1,
            }
            .change(org, now, Actor::System),
        );
        changes.push(Change::PutObject(o));
    }
    state.write(changes, vec![]).await?;
    // Rebuilt from the rows at the next search.
    state
        .kb_indexes()
        .map
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&org);
    Ok(demo.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(seq: i64, sender: store::Sender, internal: bool, text: &str) -> store::Message {
        store::Message {
            id: Uuid::now_v7(),
            org_id: Uuid::nil(),
            contact_id: Uuid::nil(),
            seq,
            sender,
            author_id: None,
            author_name: None,
            text: Some(text.into()),
            attachment: None,
            internal,
            client_id: None,
            at: OffsetDateTime::UNIX_EPOCH,
            template: None,
            pii: Vec::new(),
        }
    }

    #[test]
    fn the_question_is_the_customers_last_few_messages() {
        use store::Sender::*;
        let ms = vec![
            msg(1, Customer, false, "hello"),
            msg(2, Customer, false, "my parcel is late"),
            msg(3, Agent, false, "Let me check the tracking."),
            msg(4, Agent, true, "courier strike"),
            msg(5, System, false, "From our help center…"),
            msg(6, Customer, false, "it says delivered"),
            msg(7, Customer, false, "   "),
            msg(8, Customer, false, "but nothing came"),
        ];
        assert_eq!(
            question_of(&ms),
            "my parcel is late\nit says delivered\nbut nothing came"
        );
        assert_eq!(question_of(&ms[2..5]), "");
        let long = vec![msg(1, Customer, false, &"é".repeat(3000))];
        assert_eq!(question_of(&long).chars().count(), ASSIST_CHARS);
    }
}
