//! Optional semantic re-ranking: a small sentence-embedding model (a BERT encoder such
//! as all-MiniLM-L6-v2) read from local files, run on the CPU with `candle`, that
//! re-orders the search's best hits by meaning as well as by words. Off unless an
//! operator points the server at a model directory; the bot works fully without it.
//!
//! The directory holds what such a model ships with: `config.json` (hidden size, layers,
//! heads…), `vocab.txt` (WordPiece, lowercase) and `model.safetensors` (BERT's tensor
//! names, with or without a `bert.` prefix). Nothing is downloaded. An embedding is the
//! mean of the last layer over the text's tokens, scaled to length 1, so the cosine of
//! two texts is their dot product.
//!
//! Pure apart from reading the files once: the same text gives the same embedding, and
//! [`rerank`] is a function of the hits, their similarities and the weight.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{D, DType, Device, Tensor};
use serde::Deserialize;

use crate::{Hit, KbError};

/// Longest input in tokens (the question, or an article's title and start).
pub const MAX_TOKENS: usize = 128;

#[derive(Debug, Clone, Deserialize)]
struct Config {
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    #[serde(default = "default_eps")]
    layer_norm_eps: f64,
}

fn default_eps() -> f64 {
    1e-12
}

struct Layer {
    q: (Tensor, Tensor),
    k: (Tensor, Tensor),
    v: (Tensor, Tensor),
    out: (Tensor, Tensor),
    norm1: (Tensor, Tensor),
    up: (Tensor, Tensor),
    down: (Tensor, Tensor),
    norm2: (Tensor, Tensor),
}

/// A sentence-embedding model loaded from a directory (see the module docs).
pub struct Encoder {
    config: Config,
    vocab: HashMap<String, u32>,
    cls: u32,
    sep: u32,
    unk: u32,
    words: Tensor,
    positions: Tensor,
    types: Tensor,
    norm: (Tensor, Tensor),
    layers: Vec<Layer>,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("hidden_size", &self.config.hidden_size)
            .field("layers", &self.layers.len())
            .field("vocab", &self.vocab.len())
            .finish()
    }
}

fn model_err(what: impl std::fmt::Display) -> KbError {
    KbError::Model(what.to_string())
}

impl Encoder {
    /// Loads `config.json`, `vocab.txt` and `model.safetensors` from `dir`; the error
    /// names the file and what is wrong with it.
    pub fn load(dir: &Path) -> Result<Encoder, KbError> {
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name))
                .map_err(|e| model_err(format!("{}: {e}", dir.join(name).display())))
        };
        let config: Config = serde_json::from_str(&read("config.json")?)
            .map_err(|e| model_err(format!("config.json: {e}")))?;
        if config.hidden_size == 0
            || config.num_attention_heads == 0
            || !config
                .hidden_size
                .is_multiple_of(config.num_attention_heads)
        {
            return Err(model_err(
                "config.json: hidden_size must be a multiple of num_attention_heads",
            ));
        }
        let vocab: HashMap<String, u32> = read("vocab.txt")?
            .lines()
            .enumerate()
            .map(|(i, w)| (w.to_string(), i as u32))
            .collect();
        let special = |t: &str| {
            vocab
                .get(t)
                .copied()
                .ok_or_else(|| model_err(format!("vocab.txt: no {t} token")))
        };
        let (cls, sep, unk) = (special("[CLS]")?, special("[SEP]")?, special("[UNK]")?);
        let path = dir.join("model.safetensors");
        let mut tensors = candle_core::safetensors::load(&path, &Device::Cpu)
            .map_err(|e| model_err(format!("{}: {e}", path.display())))?;
        let mut take = |name: &str| -> Result<Tensor, KbError> {
            tensors
                .remove(name)
                .or_else(|| tensors.remove(&format!("bert.{name}")))
                .ok_or_else(|| model_err(format!("model.safetensors: no tensor {name}")))
                .and_then(|t| t.to_dtype(DType::F32).map_err(model_err))
        };
        let words = take("embeddings.word_embeddings.weight")?;
        let positions = take("embeddings.position_embeddings.weight")?;
        let types = take("embeddings.token_type_embeddings.weight")?;
        let norm = (
            take("embeddings.LayerNorm.weight")?,
            take("embeddings.LayerNorm.bias")?,
        );
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            let mut lin = |name: &str| -> Result<(Tensor, Tensor), KbError> {
                Ok((
                    take(&format!("{p}.{name}.weight"))?,
                    take(&format!("{p}.{name}.bias"))?,
                ))
            };
            layers.push(Layer {
                q: lin("attention.self.query")?,
                k: lin("attention.self.key")?,
                v: lin("attention.self.value")?,
                out: lin("attention.output.dense")?,
                norm1: lin("attention.output.LayerNorm")?,
                up: lin("intermediate.dense")?,
                down: lin("output.dense")?,
                norm2: lin("output.LayerNorm")?,
            });
        }
        Ok(Encoder {
            config,
            vocab,
            cls,
            sep,
            unk,
            words,
            positions,
            types,
            norm,
            layers,
        })
    }

    /// BERT's uncased tokenization: lowercase, split at spaces and punctuation (each
    /// punctuation mark a token), then WordPiece's longest match first (`##` inside a
    /// word; a word with no match is `[UNK]`), between `[CLS]` and `[SEP]`, at most
    /// [`MAX_TOKENS`].
    pub fn tokenize(&self, text: &str) -> Vec<u32> {
        let mut ids = vec![self.cls];
        let lower = text.to_lowercase();
        let mut words: Vec<String> = Vec::new();
        let mut cur = String::new();
        for ch in lower.chars() {
            if ch.is_whitespace() || ch.is_control() {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            } else if ch.is_ascii_punctuation() || (!ch.is_alphanumeric() && !ch.is_whitespace()) {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
                words.push(ch.to_string());
            } else {
                cur.push(ch);
            }
        }
        if !cur.is_empty() {
            words.push(cur);
        }
        'words: for w in words {
            let chars: Vec<char> = w.chars().collect();
            if chars.len() > 100 {
                ids.push(self.unk);
                continue;
            }
            let mut pieces = Vec::new();
            let mut start = 0;
            while start < chars.len() {
                let mut end = chars.len();
                let mut found = None;
                while end > start {
                    let piece: String = chars[start..end].iter().collect();
                    let piece = if start > 0 {
                        format!("##{piece}")
                    } else {
                        piece
                    };
                    if let Some(id) = self.vocab.get(&piece) {
                        found = Some(*id);
                        break;
                    }
                    end -= 1;
                }
                match found {
                    Some(id) => pieces.push(id),
                    None => {
                        ids.push(self.unk);
                        continue 'words;
                    }
                }
                start = end;
            }
            ids.extend(pieces);
        }
        ids.truncate(MAX_TOKENS - 1);
        ids.push(self.sep);
        ids
    }

    /// The text's embedding: unit length, `hidden_size` long.
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, KbError> {
        self.forward(&self.tokenize(text)).map_err(model_err)
    }

    fn forward(&self, ids: &[u32]) -> candle_core::Result<Vec<f32>> {
        let n = ids.len();
        let dev = Device::Cpu;
        let idx = Tensor::new(ids, &dev)?;
        let pos = Tensor::arange(0u32, n as u32, &dev)?;
        let zeros = Tensor::zeros(n, DType::U32, &dev)?;
        let x = self
            .words
            .index_select(&idx, 0)?
            .add(&self.positions.index_select(&pos, 0)?)?
            .add(&self.types.index_select(&zeros, 0)?)?;
        let eps = self.config.layer_norm_eps;
        let mut x = layer_norm(&x, &self.norm, eps)?;
        let heads = self.config.num_attention_heads;
        let dh = self.config.hidden_size / heads;
        let scale = 1.0 / (dh as f64).sqrt();
        for l in &self.layers {
            // [n, h] → [heads, n, dh]
            let split = |t: Tensor| t.reshape((n, heads, dh))?.transpose(0, 1)?.contiguous();
            let q = split(linear(&x, &l.q)?)?;
            let k = split(linear(&x, &l.k)?)?;
            let v = split(linear(&x, &l.v)?)?;
            let att = (q.matmul(&k.transpose(1, 2)?.contiguous()?)? * scale)?;
            let att = softmax(&att)?;
            let ctx = att
                .matmul(&v)?
                .transpose(0, 1)?
                .contiguous()?
                .reshape((n, heads * dh))?;
            let a = layer_norm(&linear(&ctx, &l.out)?.add(&x)?, &l.norm1, eps)?;
            let h = linear(&a, &l.up)?.gelu_erf()?;
            x = layer_norm(&linear(&h, &l.down)?.add(&a)?, &l.norm2, eps)?;
        }
        let mean = x.mean(0)?;
        let len = mean.sqr()?.sum_all()?.sqrt()?.to_scalar::<f32>()?;
        let mean = if len > 0.0 {
            (mean / len as f64)?
        } else {
            mean
        };
        mean.to_vec1::<f32>()
    }
}

fn linear(x: &Tensor, (w, b): &(Tensor, Tensor)) -> candle_core::Result<Tensor> {
    x.matmul(&w.t()?)?.broadcast_add(b)
}

fn layer_norm(x: &Tensor, (w, b): &(Tensor, Tensor), eps: f64) -> candle_core::Result<Tensor> {
    let mean = x.mean_keepdim(D::Minus1)?;
    let centred = x.broadcast_sub(&mean)?;
    let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
    centred
        .broadcast_div(&(var + eps)?.sqrt()?)?
        .broadcast_mul(w)?
        .broadcast_add(b)
}

fn softmax(x: &Tensor) -> candle_core::Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?;
    let e = x.broadcast_sub(&max)?.exp()?;
    e.broadcast_div(&e.sum_keepdim(D::Minus1)?)
}

/// The dot product of two unit vectors: their cosine.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Re-orders hits by `(1 - weight) × their BM25 score scaled to the best one + weight ×
/// their similarity to the question` (`similarity[i]` belongs to `hits[i]`), best first;
/// ties keep the search's order. `weight` is clamped to 0..=1 (0: the search's order).
pub fn rerank(hits: Vec<Hit>, similarity: &[f32], weight: f32) -> Vec<Hit> {
    let w = weight.clamp(0.0, 1.0);
    let top = hits.iter().map(|h| h.score).fold(0.0f32, f32::max);
    let mut scored: Vec<(f32, usize, Hit)> = hits
        .into_iter()
        .enumerate()
        .map(|(i, h)| {
            let lexical = if top > 0.0 { h.score / top } else { 0.0 };
            let s = similarity.get(i).copied().unwrap_or(0.0);
            ((1.0 - w) * lexical + w * s, i, h)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, _, h)| h).collect()
}

/// Writes a model with random weights of the given shape to `dir` (real files in the
/// real format, meaningless numbers), its vocabulary `words` after BERT's special
/// tokens: for tests, and for measuring what re-ranking costs at a real model's size
/// (all-MiniLM-L6-v2: hidden 384, 6 layers, 12 heads, intermediate 1536).
pub fn write_random_model(
    dir: &Path,
    words: &[&str],
    (hidden, layers, heads, intermediate): (usize, usize, usize, usize),
) -> Result<(), KbError> {
    let io = |e: std::io::Error| model_err(e);
    let vocab: Vec<&str> = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
        .into_iter()
        .chain(words.iter().copied())
        .collect();
    std::fs::write(dir.join("vocab.txt"), vocab.join("\n")).map_err(io)?;
    let config = serde_json::json!({
        "hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
        "intermediate_size": intermediate, "max_position_embeddings": MAX_TOKENS,
        "vocab_size": vocab.len(), "type_vocab_size": 2, "layer_norm_eps": 1e-12
    });
    std::fs::write(dir.join("config.json"), config.to_string()).map_err(io)?;
    let dev = Device::Cpu;
    let mut t: HashMap<String, Tensor> = HashMap::new();
    let std = (1.0 / hidden as f64).sqrt() as f32;
    let mut rnd = |name: String, shape: &[usize]| -> candle_core::Result<()> {
        t.insert(name, Tensor::randn(0f32, std, shape, &dev)?);
        Ok(())
    };
    let mut build = || -> candle_core::Result<()> {
        rnd(
            "bert.embeddings.word_embeddings.weight".into(),
            &[vocab.len(), hidden],
        )?;
        rnd(
            "bert.embeddings.position_embeddings.weight".into(),
            &[MAX_TOKENS, hidden],
        )?;
        rnd(
            "bert.embeddings.token_type_embeddings.weight".into(),
            &[2, hidden],
        )?;
        for i in 0..layers {
            for (name, out, inp) in [
                ("attention.self.query", hidden, hidden),
                ("attention.self.key", hidden, hidden),
                ("attention.self.value", hidden, hidden),
                ("attention.output.dense", hidden, hidden),
                ("intermediate.dense", intermediate, hidden),
                ("output.dense", hidden, intermediate),
            ] {
                rnd(format!("bert.encoder.layer.{i}.{name}.weight"), &[out, inp])?;
                rnd(format!("bert.encoder.layer.{i}.{name}.bias"), &[out])?;
            }
        }
        Ok(())
    };
    build().map_err(model_err)?;
    let mut norms = vec!["bert.embeddings.LayerNorm".to_string()];
    for i in 0..layers {
        norms.push(format!("bert.encoder.layer.{i}.attention.output.LayerNorm"));
        norms.push(format!("bert.encoder.layer.{i}.output.LayerNorm"));
    }
    for n in norms {
        t.insert(
            format!("{n}.weight"),
            Tensor::ones(hidden, DType::F32, &dev).map_err(model_err)?,
        );
        t.insert(
            format!("{n}.bias"),
            Tensor::zeros(hidden, DType::F32, &dev).map_err(model_err)?,
        );
    }
    candle_core::safetensors::save(&t, dir.join("model.safetensors")).map_err(model_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VOCAB: &[&str] = &[
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "when", "will", "i", "get", "my", "refund", "?",
        "return", "an", "item", "how", "do", "parcel", "track", "##ing", "##s", "!", ",",
    ];

    fn tiny_model(dir: &Path) {
        write_random_model(dir, &VOCAB[4..], (16, 2, 4, 32)).unwrap();
    }

    #[test]
    fn wordpiece_splits_words_and_marks_the_unknown() {
        let dir = tempfile::tempdir().unwrap();
        tiny_model(dir.path());
        let e = Encoder::load(dir.path()).unwrap();
        let id = |w: &str| VOCAB.iter().position(|v| *v == w).unwrap() as u32;
        assert_eq!(
            e.tokenize("Tracking my parcels, WHEN?"),
            vec![
                id("[CLS]"),
                id("track"),
                id("##ing"),
                id("my"),
                id("parcel"),
                id("##s"),
                id(","),
                id("when"),
                id("?"),
                id("[SEP]")
            ]
        );
        assert_eq!(
            e.tokenize("zebra"),
            vec![id("[CLS]"), id("[UNK]"), id("[SEP]")]
        );
        assert_eq!(e.tokenize(&"refund ".repeat(500)).len(), MAX_TOKENS);
    }

    #[test]
    fn embeddings_are_unit_length_and_the_same_text_is_the_closest() {
        let dir = tempfile::tempdir().unwrap();
        tiny_model(dir.path());
        let e = Encoder::load(dir.path()).unwrap();
        let q = e.embed("When will I get my refund?").unwrap();
        assert_eq!(q.len(), 16);
        assert!((cosine(&q, &q) - 1.0).abs() < 1e-4);
        assert_eq!(
            q,
            e.embed("When will I get my refund?").unwrap(),
            "deterministic"
        );
        let other = e.embed("how do i return an item").unwrap();
        assert!(cosine(&q, &other) < 0.9999);
    }

    #[test]
    fn rerank_blends_words_and_meaning() {
        let hit = |id: &str, score: f32| Hit {
            id: id.into(),
            title: id.into(),
            category: String::new(),
            locale: "en".into(),
            score,
            coverage: 1.0,
            terms: 2,
        };
        let hits = vec![hit("a", 10.0), hit("b", 8.0), hit("c", 1.0)];
        let ids = |h: Vec<Hit>| h.into_iter().map(|h| h.id).collect::<Vec<_>>();
        assert_eq!(
            ids(rerank(hits.clone(), &[0.1, 0.9, 0.2], 0.0)),
            ["a", "b", "c"]
        );
        assert_eq!(
            ids(rerank(hits.clone(), &[0.1, 0.9, 0.2], 0.5)),
            ["b", "a", "c"]
        );
        assert_eq!(
            ids(rerank(hits.clone(), &[0.1, 0.9, 0.95], 1.0)),
            ["c", "b", "a"]
        );
        assert_eq!(
            ids(rerank(hits, &[], 0.5)),
            ["a", "b", "c"],
            "no similarities: words only"
        );
    }

    #[test]
    fn a_missing_or_broken_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let e = Encoder::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("config.json"), "{e}");
        tiny_model(dir.path());
        std::fs::write(dir.path().join("vocab.txt"), "[PAD]\n[CLS]").unwrap();
        let e = Encoder::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("vocab.txt") && e.contains("[SEP]"), "{e}");
    }
}
