//! Retrieval at scale: `CHUNKS` knowledge chunks spread over `MERCHANTS` merchants (the built-in
//! 1536-dimension embedder), searched through the HNSW index as the conversation does, against an
//! exact search of the same merchant's chunks; and the time of a whole conversation turn's
//! decision with the local providers, and with a hosted model behind a mock of fixed latency
//! (what Revive adds to the model's own time).

use std::time::{Duration, Instant};

use revive_shared::conversation::{self, Plan};
use revive_shared::db::conversations::{Conversation, Unhandled};
use revive_shared::db::{Db, knowledge, merchants};
use revive_shared::ids::{CustomerId, MerchantId};
use sqlx::QueryBuilder;

pub const MERCHANTS: usize = 20;
pub const CHUNKS: usize = 100_000;
pub const QUERIES_PER_MERCHANT: usize = 10;

pub struct Retrieval {
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub exact_p50_ms: f64,
    pub recall_at_10: f64,
    pub load_secs: f64,
    pub turn_p50_ms: f64,
    pub turn_p95_ms: f64,
    /// Hosted turns: their time minus the mock's fixed latencies.
    pub hosted_overhead_p50_ms: f64,
    pub hosted_overhead_p95_ms: f64,
}

/// The mock model's fixed latency per chat completion (a turn makes two: intent and reply) and
/// per embedding request (one: the question).
pub const MOCK_CHAT: Duration = Duration::from_millis(150);
pub const MOCK_EMBED: Duration = Duration::from_millis(50);
/// Hosted turns measured (each takes at least the mock's 350 ms).
pub const HOSTED_TURNS: usize = 40;

/// An OpenAI-compatible mock with fixed latency: embeddings by the built-in embedder (so the
/// bench's chunks are found), intents `product_question`, replies quoting the first passage.
struct FixedModel;

impl wiremock::Respond for FixedModel {
    fn respond(&self, req: &wiremock::Request) -> wiremock::ResponseTemplate {
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        if req.url.path().ends_with("/embeddings") {
            let data: Vec<serde_json::Value> = body["input"]
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    serde_json::json!({"object": "embedding", "index": i,
                        "embedding": revive_shared::ai::embed::hash_embed(t.as_str().unwrap())})
                })
                .collect();
            return wiremock::ResponseTemplate::new(200)
                .set_delay(MOCK_EMBED)
                .set_body_json(serde_json::json!({"object": "list", "data": data, "model": body["model"],
                    "usage": {"prompt_tokens": 10, "total_tokens": 10}}));
        }
        let content = if body["response_format"]["json_schema"]["name"] == "classify" {
            serde_json::json!({"intent": "product_question", "confidence": 0.9})
        } else {
            let context = body["messages"][1]["content"].as_str().unwrap_or_default();
            let first =
                context.lines().find_map(|l| l.split_once("]: ").map(|(_, t)| t)).unwrap_or("Not sure.");
            serde_json::json!({"reply": first, "action": "continue", "cited_chunk_ids": [], "summary": "A question."})
        };
        wiremock::ResponseTemplate::new(200).set_delay(MOCK_CHAT).set_body_json(serde_json::json!({
            "id": "chatcmpl-bench", "object": "chat.completion", "created": 1, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content.to_string()}}],
            "usage": {"prompt_tokens": 300, "completion_tokens": 40, "total_tokens": 340}}))
    }
}

/// The hosted providers against [`FixedModel`]; the embedding model keeps the built-in one's name
/// because the mock embeds with it.
async fn hosted_ai() -> (revive_shared::providers::Ai, wiremock::MockServer) {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST")).respond_with(FixedModel).mount(&server).await;
    let settings = revive_shared::config::AiSettings {
        api_key: Some("sk-bench".to_owned().into()),
        base_url: format!("{}/v1", server.uri()),
        chat_model: "bench-chat".into(),
        embedding_model: revive_shared::ai::embed::LOCAL_MODEL.into(),
        timeout_secs: 30,
        reembed: false,
    };
    (revive_shared::providers::Ai::from_settings(&settings).unwrap(), server)
}

const PRODUCTS: &[&str] = &[
    "lavender soap",
    "olive oil shampoo",
    "argan hair mask",
    "rose face cream",
    "cedar beard oil",
    "mint toothpaste",
    "oat body lotion",
    "citrus hand wash",
    "charcoal face mask",
    "coconut lip balm",
    "tea tree deodorant",
    "honey conditioner",
    "sea salt scrub",
    "aloe after-sun gel",
    "vanilla candle",
    "eucalyptus bath salts",
];
const FACTS: &[&str] = &[
    "contains no parabens",
    "is made with cold-pressed oils",
    "lasts about six weeks of daily use",
    "is safe for sensitive skin",
    "comes in a recyclable glass jar",
    "ships within two working days",
    "can be returned within thirty days",
    "is vegan and cruelty free",
    "should be stored in a cool dry place",
    "has a shelf life of eighteen months",
    "is produced in small batches",
    "uses a refill pouch",
];

fn sentence(merchant: usize, i: usize) -> String {
    let product = PRODUCTS[(i + merchant) % PRODUCTS.len()];
    let fact = FACTS[(i / PRODUCTS.len() + merchant * 7) % FACTS.len()];
    format!("Store {merchant} note {i}: our {product} {fact}, batch {}.", i % 97)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

pub async fn run(db: &Db) -> Retrieval {
    let model = revive_shared::ai::embed::LOCAL_MODEL;
    let per = CHUNKS / MERCHANTS;
    let ai = revive_shared::providers::Ai::local();
    let started = Instant::now();
    let mut tenants = Vec::new();
    for m in 0..MERCHANTS {
        let merchant = MerchantId::new();
        let mut tx = db.begin(merchant).await.unwrap();
        merchants::create(&mut tx, &format!("Retrieval bench {m}")).await.unwrap();
        let source: uuid::Uuid = sqlx::query_scalar(
            "insert into knowledge_sources (merchant_id, kind, title, status) values ($1, 'faq', 'bench', 'ready') returning id",
        )
        .bind(merchant.0)
        .fetch_one(tx.conn())
        .await
        .unwrap();
        for start in (0..per).step_by(250) {
            let rows: Vec<(usize, String)> =
                (start..(start + 250).min(per)).map(|i| (i, sentence(m, i))).collect();
            let texts: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
            let vectors: Vec<Vec<f32>> =
                texts.iter().map(|t| revive_shared::ai::embed::hash_embed(t)).collect();
            let mut insert = QueryBuilder::new(
                "insert into knowledge_chunks (merchant_id, source_id, ordinal, content, embedding, embedding_model) ",
            );
            insert.push_values(rows.iter().zip(vectors), |mut b, ((i, text), v)| {
                b.push_bind(merchant.0)
                    .push_bind(source)
                    .push_bind(*i as i32)
                    .push_bind(text.clone())
                    .push_bind(pgvector::Vector::from(v))
                    .push_bind(model);
            });
            insert.build().execute(tx.conn()).await.unwrap();
        }
        tx.commit().await.unwrap();
        tenants.push(merchant);
    }
    let load_secs = started.elapsed().as_secs_f64();

    let (mut hnsw, mut exact, mut turns) = (Vec::new(), Vec::new(), Vec::new());
    let mut found = 0usize;
    for (m, merchant) in tenants.iter().enumerate() {
        for q in 0..QUERIES_PER_MERCHANT {
            let question = format!(
                "does the {} {}?",
                PRODUCTS[(q * 3 + m) % PRODUCTS.len()],
                FACTS[(q * 5 + m) % FACTS.len()].replacen("is ", "", 1)
            );
            let query = revive_shared::ai::embed::hash_embed(&question);
            let mut tx = db.begin(*merchant).await.unwrap();
            let t = Instant::now();
            let hits = knowledge::search(&mut tx, &query, model, 10).await.unwrap();
            hnsw.push(t.elapsed());
            // Exact: the same ordering without the index.
            sqlx::raw_sql("set local enable_indexscan = off; set local enable_bitmapscan = off")
                .execute(tx.conn())
                .await
                .unwrap();
            let t = Instant::now();
            let truth: Vec<uuid::Uuid> = sqlx::query_scalar(
                "select id from knowledge_chunks where merchant_id = $1 and embedding_model = $2
                 order by embedding <=> $3 limit 10",
            )
            .bind(merchant.0)
            .bind(model)
            .bind(pgvector::Vector::from(query))
            .fetch_all(tx.conn())
            .await
            .unwrap();
            exact.push(t.elapsed());
            found += hits.iter().filter(|h| truth.contains(&h.chunk_id)).count();
            drop(tx); // not committed: rolled back

            // A whole turn's decision, as the conversation job makes it (rolled back).
            let mut tx = db.begin(*merchant).await.unwrap();
            let conversation = Conversation {
                id: uuid::Uuid::nil(),
                customer_id: CustomerId::new(),
                state: "bot".into(),
                summary: None,
            };
            let message = Unhandled {
                id: uuid::Uuid::nil(),
                kind: "text".into(),
                body: Some(question.clone()),
                waited_secs: 10.0,
            };
            let t = Instant::now();
            let plan = conversation::plan(&mut tx, &ai, &conversation, &[message], chrono::Utc::now())
                .await
                .unwrap();
            turns.push(t.elapsed());
            assert!(matches!(plan, Plan::Reply(_)));
            drop(tx); // not committed: rolled back
        }
    }
    // The same decisions with a hosted model of fixed latency: the overhead is the rest.
    let (hosted, _server) = hosted_ai().await;
    let fixed = MOCK_CHAT * 2 + MOCK_EMBED;
    let mut overhead = Vec::new();
    for n in 0..HOSTED_TURNS {
        let (m, merchant) = (n % tenants.len(), tenants[n % tenants.len()]);
        let question =
            format!("does the {} {}?", PRODUCTS[(n * 7 + m) % PRODUCTS.len()], FACTS[n % FACTS.len()]);
        let mut tx = db.begin(merchant).await.unwrap();
        let conversation = Conversation {
            id: uuid::Uuid::nil(),
            customer_id: CustomerId::new(),
            state: "bot".into(),
            summary: None,
        };
        let message =
            Unhandled { id: uuid::Uuid::nil(), kind: "text".into(), body: Some(question), waited_secs: 10.0 };
        let t = Instant::now();
        let plan = conversation::plan(&mut tx, &hosted, &conversation, &[message], chrono::Utc::now())
            .await
            .unwrap();
        overhead.push(t.elapsed().saturating_sub(fixed));
        assert!(matches!(plan, Plan::Reply(_)));
        drop(tx); // not committed: rolled back
    }
    for v in [&mut hnsw, &mut exact, &mut turns, &mut overhead] {
        v.sort();
    }
    // The bench merchants go (their chunks with them): the test database stays small.
    for merchant in &tenants {
        let mut tx = db.begin(*merchant).await.unwrap();
        sqlx::query("delete from knowledge_sources").execute(tx.conn()).await.unwrap();
        tx.commit().await.unwrap();
    }
    let queries = (MERCHANTS * QUERIES_PER_MERCHANT) as f64;
    Retrieval {
        p50_ms: pct(&hnsw, 0.5),
        p95_ms: pct(&hnsw, 0.95),
        exact_p50_ms: pct(&exact, 0.5),
        recall_at_10: found as f64 / (queries * 10.0),
        load_secs,
        turn_p50_ms: pct(&turns, 0.5),
        turn_p95_ms: pct(&turns, 0.95),
        hosted_overhead_p50_ms: pct(&overhead, 0.5),
        hosted_overhead_p95_ms: pct(&overhead, 0.95),
    }
}
