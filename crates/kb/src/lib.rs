//! The knowledge base's search and the answer bot's decision.
//!
//! Why a crate of its own: search and the bot's "answer or hand over" are rules with
//! figures to meet (the right article in the top three for nine questions in ten; a
//! question the knowledge base cannot answer answered at most 2 % of the time), so they
//! are tested here against a fixed question set over the demo articles
//! (`data/demo_articles.toml`, also what the demo organisation is seeded with).
//!
//! **Invariants:** no tokio, sqlx, axum or clock. [`KbIndex`] holds one organisation's
//! published articles (tantivy, BM25, per-language analyzers, synonyms applied to the
//! question), in RAM or in a directory its caller names; [`bot::decide`] is a pure
//! function of the question and the hits. The bot answers only from an article.
//! [`semantic`] optionally re-ranks hits with a sentence-embedding model read from local
//! files (off unless a model directory is given).

#![forbid(unsafe_code)]

pub mod bot;
pub mod demo;
pub mod import;
mod index;
pub mod lang;
pub mod render;
pub mod semantic;
pub mod synonyms;

use serde::{Deserialize, Serialize};

pub use bot::{BotConfig, Decision, HandoverReason, asks_for_person, decide};
pub use index::KbIndex;
pub use synonyms::Synonyms;

/// What the index needs of an article: its published version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    pub id: String,
    pub title: String,
    /// Markdown.
    pub body: String,
    pub category: String,
    /// A locale such as `en` or `fr-CA`; its language picks the analyzer.
    pub locale: String,
}

/// One search result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub id: String,
    pub title: String,
    pub category: String,
    pub locale: String,
    /// BM25 (with title and synonym boosts); comparable within one search only.
    pub score: f32,
    /// The share of the question's terms, weighted by rarity, that the article holds.
    pub coverage: f32,
    /// How many terms the question had after its question words were dropped.
    pub terms: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum KbError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Io(String),
    #[error("knowledge-base data: {0}")]
    Data(String),
    #[error("sentence-embedding model: {0}")]
    Model(String),
}
