//! Search latency over a large knowledge base and the time to rebuild its index, on one
//! thread: `cargo bench -p homeshore-kb [-- ARTICLES QUERIES]` (default 100,000 and
//! 2,000). Articles are generated from the demo articles' vocabulary with a fixed seed,
//! so runs compare; questions are the demo question set's kind of phrasing. "Bot reply"
//! is search, decision and the answer's excerpt; with re-ranking, also the question's
//! embedding by a model of all-MiniLM-L6-v2's size (random weights: the cost is the
//! same) and the re-ordering of the best 10 hits, the articles' embeddings cached as the
//! server keeps them.

use std::time::Instant;

use std::collections::HashMap;

use kb::{Article, BotConfig, Decision, KbIndex, decide, demo, semantic};

/// A small deterministic generator (xorshift), so the corpus is the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, v: &'a [String]) -> &'a str {
        &v[(self.next() % v.len() as u64) as usize]
    }
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with('-'));
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let queries: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);

    let demo = demo::articles().expect("demo data");
    let mut words: Vec<String> = demo
        .iter()
        .flat_map(|a| {
            format!("{} {}", a.title, a.body)
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.len() > 2)
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        })
        .collect();
    words.sort();
    words.dedup();
    // Rarer made-up words too, like product names.
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for i in 0..5_000 {
        words.push(format!("item{i}x{}", rng.next() % 1000));
    }

    let t = Instant::now();
    let articles: Vec<Article> = (0..n)
        .map(|i| {
            let title: Vec<&str> = (0..6).map(|_| rng.pick(&words)).collect();
            let body: Vec<&str> = (0..120).map(|_| rng.pick(&words)).collect();
            Article {
                id: format!("a{i}"),
                title: title.join(" "),
                body: body.join(" "),
                category: demo[i % demo.len()].category.clone(),
                locale: "en".into(),
            }
        })
        .collect();
    println!(
        "generated {n} articles in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let index = KbIndex::in_ram().expect("index");
    let t = Instant::now();
    index.rebuild(&articles).expect("rebuild");
    println!(
        "index rebuild: {n} articles in {:.1} s (one writer thread)",
        t.elapsed().as_secs_f64()
    );

    let questions = [
        "where is my order",
        "how do I return an item",
        "when will I get my refund",
        "my card was declined",
        "I forgot my password",
        "do you deliver to Canada",
        "can I change my delivery address",
        "the item arrived broken",
        "how do I cancel my order",
        "do you take PayPal",
    ];
    let config = BotConfig::default();
    let mut search_us = Vec::with_capacity(queries);
    let mut bot_us = Vec::with_capacity(queries);
    for i in 0..queries {
        let q = questions[i % questions.len()];
        let t = Instant::now();
        let hits = index.search(q, "en", 5).expect("search");
        search_us.push(t.elapsed().as_micros() as u64);
        answer(&articles, decide(q, &hits, &config));
        bot_us.push(t.elapsed().as_micros() as u64);
    }
    let pct = |v: &mut Vec<u64>, p: f64| {
        v.sort_unstable();
        v[((v.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0
    };
    println!(
        "search over {n} articles, {queries} questions: p50 {:.2} ms, p99 {:.2} ms",
        pct(&mut search_us, 0.50),
        pct(&mut search_us, 0.99)
    );
    println!(
        "bot reply (search, decision, answer): p50 {:.2} ms, p99 {:.2} ms",
        pct(&mut bot_us, 0.50),
        pct(&mut bot_us, 0.99)
    );

    // With semantic re-ranking by a MiniLM-sized model.
    let dir = std::env::temp_dir().join(format!("homeshore-kb-bench-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("model dir");
    let vocab: Vec<&str> = words.iter().map(String::as_str).take(30_000).collect();
    semantic::write_random_model(&dir, &vocab, (384, 6, 12, 1536)).expect("model");
    let encoder = semantic::Encoder::load(&dir).expect("load");
    let _ = std::fs::remove_dir_all(&dir);
    let text = |id: &str| {
        let a = &articles[id[1..].parse::<usize>().unwrap_or(0)];
        format!("{}. {}", a.title, kb::render::excerpt(&a.body, 400))
    };
    let mut cache: HashMap<String, Vec<f32>> = HashMap::new();
    let reranked = |q: &str, cache: &mut HashMap<String, Vec<f32>>| {
        let hits = index.search(q, "en", 10).expect("search");
        let e = encoder.embed(q).expect("embed");
        let sims: Vec<f32> = hits
            .iter()
            .map(|h| {
                let a = cache
                    .entry(h.id.clone())
                    .or_insert_with(|| encoder.embed(&text(&h.id)).expect("embed"));
                semantic::cosine(&e, a)
            })
            .collect();
        let mut hits = semantic::rerank(hits, &sims, 0.5);
        hits.truncate(5);
        answer(&articles, decide(q, &hits, &config));
    };
    for q in questions {
        reranked(q, &mut cache);
    }
    let rounds = (queries / 10).max(50);
    let mut rerank_us = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let t = Instant::now();
        reranked(questions[i % questions.len()], &mut cache);
        rerank_us.push(t.elapsed().as_micros() as u64);
    }
    println!(
        "bot reply with re-ranking (384-wide, 6 layers, best 10 re-ordered), {rounds} questions: p50 {:.2} ms, p99 {:.2} ms",
        pct(&mut rerank_us, 0.50),
        pct(&mut rerank_us, 0.99)
    );
}

/// The answer the bot writes: the top article's excerpt (nothing on a handover).
fn answer(articles: &[Article], d: Decision) {
    if let Decision::Answer { article_id, .. } = d {
        let a = &articles[article_id[1..].parse::<usize>().unwrap_or(0)];
        std::hint::black_box(kb::render::excerpt(&a.body, 280));
    }
}
