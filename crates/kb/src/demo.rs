//! The demo knowledge base: realistic articles of an online shop, one data file that the
//! demo organisation is seeded with and the recall test searches.

use serde::Deserialize;

use crate::{Article, KbError};

const DEMO: &str = include_str!("../data/demo_articles.toml");

#[derive(Clone, Debug, Deserialize)]
pub struct DemoArticle {
    /// Stable name; the test's expected answers refer to it.
    pub slug: String,
    pub title: String,
    pub category: String,
    /// Markdown.
    pub body: String,
}

#[derive(Deserialize)]
struct File {
    article: Vec<DemoArticle>,
}

/// The demo articles, in the file's order (all English).
pub fn articles() -> Result<Vec<DemoArticle>, KbError> {
    let file: File = toml::from_str(DEMO).map_err(|e| KbError::Data(e.to_string()))?;
    Ok(file.article)
}

impl DemoArticle {
    /// The article as the index takes it, with its slug as id.
    pub fn to_article(&self) -> Article {
        Article {
            id: self.slug.clone(),
            title: self.title.clone(),
            body: self.body.clone(),
            category: self.category.clone(),
            locale: "en".into(),
        }
    }
}
