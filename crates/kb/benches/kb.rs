//! Search latency over a large knowledge base and the time to rebuild its index, on one
//! thread: `cargo bench -p homeshore-kb [-- ARTICLES QUERIES]` (default 100,000 and
//! 2,000). Articles are generated from the demo articles' vocabulary with a fixed seed,
//! so runs compare; questions are the demo question set's kind of phrasing.

use std::time::Instant;

use kb::{Article, BotConfig, KbIndex, decide, demo};

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
        let _ = decide(q, &hits, &config);
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
        "search + bot decision: p50 {:.2} ms, p99 {:.2} ms",
        pct(&mut bot_us, 0.50),
        pct(&mut bot_us, 0.99)
    );
}
