//! One organisation's search index over its published articles: BM25 over title and body,
//! each language in its own fields with its own analyzer, in RAM or in a directory.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, RwLock};

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::lang::{Lang, terms};
use crate::synonyms::Synonyms;
use crate::{Article, Hit, KbError};

/// A title word counts this much more than a body word.
const TITLE_BOOST: f32 = 2.5;
/// A synonym the question did not use counts this much of a word it did.
const SYNONYM_BOOST: f32 = 0.6;
/// The writer's memory budget: tantivy's minimum is 15 MB per thread.
const WRITER_BUDGET: usize = 50_000_000;

#[derive(Clone, Copy)]
struct LangFields {
    title: Field,
    body: Field,
}

struct Fields {
    id: Field,
    title: Field,
    body: Field,
    category: Field,
    locale: Field,
    by_lang: HashMap<Lang, LangFields>,
}

/// The search index of one organisation. Share it behind an `Arc`: reads take `&self`,
/// and so do writes, which are serialised by the writer's own lock.
pub struct KbIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    synonyms: RwLock<Synonyms>,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let id = b.add_text_field("id", STRING | STORED);
    let title = b.add_text_field("title", STORED);
    let body = b.add_text_field("body", STORED);
    let category = b.add_text_field("category", STRING | STORED);
    let locale = b.add_text_field("locale", STRING | STORED);
    let mut by_lang = HashMap::new();
    for lang in Lang::ALL {
        let opts = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(&lang.tokenizer_name())
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let t = b.add_text_field(&format!("title_{}", lang.code()), opts.clone());
        let d = b.add_text_field(&format!("body_{}", lang.code()), opts);
        by_lang.insert(lang, LangFields { title: t, body: d });
    }
    (
        b.build(),
        Fields {
            id,
            title,
            body,
            category,
            locale,
            by_lang,
        },
    )
}

impl KbIndex {
    /// An index held in memory, rebuilt from the articles at start.
    pub fn in_ram() -> Result<KbIndex, KbError> {
        let (schema, fields) = schema();
        KbIndex::with_index(Index::create_in_ram(schema), fields)
    }

    /// An index kept in `dir` (created if absent), which survives a restart.
    pub fn in_dir(dir: &Path) -> Result<KbIndex, KbError> {
        let (schema, fields) = schema();
        std::fs::create_dir_all(dir).map_err(|e| KbError::Io(e.to_string()))?;
        let directory =
            tantivy::directory::MmapDirectory::open(dir).map_err(|e| KbError::Io(e.to_string()))?;
        let index = Index::open_or_create(directory, schema)?;
        KbIndex::with_index(index, fields)
    }

    fn with_index(index: Index, fields: Fields) -> Result<KbIndex, KbError> {
        for lang in Lang::ALL {
            index
                .tokenizers()
                .register(&lang.tokenizer_name(), lang.analyzer());
        }
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let writer = index.writer_with_num_threads(1, WRITER_BUDGET)?;
        Ok(KbIndex {
            reader,
            writer: Mutex::new(writer),
            fields,
            synonyms: RwLock::new(Synonyms::retail_en()),
        })
    }

    /// Replaces the synonyms questions are expanded with.
    pub fn set_synonyms(&self, synonyms: Synonyms) {
        *self.synonyms.write().unwrap_or_else(|e| e.into_inner()) = synonyms;
    }

    fn document(&self, a: &Article) -> TantivyDocument {
        let f = &self.fields;
        let lf = f.by_lang[&Lang::of_locale(&a.locale)];
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &a.id);
        doc.add_text(f.title, &a.title);
        doc.add_text(f.body, &a.body);
        doc.add_text(f.category, &a.category);
        doc.add_text(f.locale, &a.locale);
        doc.add_text(lf.title, &a.title);
        doc.add_text(lf.body, &a.body);
        doc
    }

    fn commit(&self, writer: &mut IndexWriter) -> Result<(), KbError> {
        writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, IndexWriter> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds an article, or replaces the one with its id; searchable when this returns.
    pub fn upsert(&self, article: &Article) -> Result<(), KbError> {
        let mut w = self.lock();
        w.delete_term(Term::from_field_text(self.fields.id, &article.id));
        w.add_document(self.document(article))?;
        self.commit(&mut w)
    }

    /// Removes an article (unpublished or deleted); absent ids are fine.
    pub fn remove(&self, id: &str) -> Result<(), KbError> {
        let mut w = self.lock();
        w.delete_term(Term::from_field_text(self.fields.id, id));
        self.commit(&mut w)
    }

    /// Replaces the whole index with these articles, in one commit.
    pub fn rebuild<'a>(
        &self,
        articles: impl IntoIterator<Item = &'a Article>,
    ) -> Result<usize, KbError> {
        let mut w = self.lock();
        w.delete_all_documents()?;
        let mut n = 0;
        for a in articles {
            w.add_document(self.document(a))?;
            n += 1;
        }
        self.commit(&mut w)?;
        Ok(n)
    }

    /// How many articles are searchable.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The best `limit` articles for a question in a locale, best first. Each hit carries
    /// its BM25 score and its coverage: the share of the question's terms (weighted by how
    /// rare they are) that the article contains, a synonym standing for its word.
    pub fn search(&self, question: &str, locale: &str, limit: usize) -> Result<Vec<Hit>, KbError> {
        let lang = Lang::of_locale(locale);
        let lf = self.fields.by_lang[&lang];
        let mut qa = lang.question_analyzer();
        let words = terms(&mut qa, question);
        // Each question term with the terms of its synonyms.
        let mut alternatives: Vec<(String, Vec<String>)> =
            words.iter().map(|w| (w.clone(), Vec::new())).collect();
        let expansions = self
            .synonyms
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .expand(question);
        // Synonyms a question word did not bring (its phrase was all question words,
        // like "where is"): searched, but not part of what the answer must cover.
        let mut extras: Vec<String> = Vec::new();
        for (member, others) in expansions {
            let member_terms = terms(&mut qa, &member);
            let other_terms: Vec<String> = others
                .iter()
                .flat_map(|o| terms(&mut qa, o))
                .filter(|t| !member_terms.contains(t))
                .collect();
            if member_terms.is_empty() {
                extras.extend(other_terms);
                continue;
            }
            for (w, alts) in alternatives.iter_mut() {
                if member_terms.contains(w) {
                    for t in &other_terms {
                        if !alts.contains(t) && t != w {
                            alts.push(t.clone());
                        }
                    }
                }
            }
        }
        if (alternatives.is_empty() && extras.is_empty()) || limit == 0 {
            return Ok(Vec::new());
        }

        let searcher = self.reader.searcher();
        let total = searcher.num_docs().max(1) as f32;
        let idf = |t: &str| -> Result<f32, KbError> {
            let df = searcher
                .doc_freq(&Term::from_field_text(lf.title, t))?
                .max(searcher.doc_freq(&Term::from_field_text(lf.body, t))?)
                as f32;
            Ok((1.0 + (total - df + 0.5) / (df + 0.5)).ln())
        };

        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        let add = |t: &str, boost: f32, clauses: &mut Vec<(Occur, Box<dyn Query>)>| {
            for (field, b) in [(lf.title, TITLE_BOOST * boost), (lf.body, boost)] {
                let q = TermQuery::new(
                    Term::from_field_text(field, t),
                    IndexRecordOption::WithFreqs,
                );
                clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), b))));
            }
        };
        for (w, alts) in &alternatives {
            if !seen.contains(&w.as_str()) {
                seen.push(w);
                add(w, 1.0, &mut clauses);
            }
            for a in alts {
                if !seen.contains(&a.as_str()) {
                    seen.push(a);
                    add(a, SYNONYM_BOOST, &mut clauses);
                }
            }
        }
        for e in &extras {
            if !seen.contains(&e.as_str()) {
                seen.push(e);
                add(e, SYNONYM_BOOST, &mut clauses);
            }
        }
        let query = BooleanQuery::new(clauses);
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;

        let weights: Vec<f32> = alternatives
            .iter()
            .map(|(w, _)| idf(w))
            .collect::<Result<_, _>>()?;
        let weight_sum: f32 = weights.iter().sum::<f32>().max(f32::EPSILON);
        let mut analyzer: TextAnalyzer = lang.analyzer();
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |f: Field| -> String {
                doc.get_first(f)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let (title, body) = (text(self.fields.title), text(self.fields.body));
            let mut doc_terms = terms(&mut analyzer, &title);
            doc_terms.extend(terms(&mut analyzer, &body));
            let covered: f32 = alternatives
                .iter()
                .zip(&weights)
                .filter(|((w, alts), _)| {
                    doc_terms.contains(w) || alts.iter().any(|a| doc_terms.contains(a))
                })
                .map(|(_, wt)| *wt)
                .sum();
            hits.push(Hit {
                id: text(self.fields.id),
                title,
                category: text(self.fields.category),
                locale: text(self.fields.locale),
                score,
                coverage: covered / weight_sum,
                terms: alternatives.len(),
            });
        }
        Ok(hits)
    }
}
