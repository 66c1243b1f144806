//! Knowledge sources through the embedding job to search, per merchant; and the intent endpoint.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};

const FAQ: &str = "Our lavender soap is made with cold-pressed olive oil and lavender essential oil. \
It contains no parabens and no synthetic fragrance. One bar lasts about six weeks of daily use. \
Keep it on a draining soap dish between uses so it stays firm.";

const SHIPPING: &str = "# Shipping\n\nOrders ship within **two working days** from our workshop.\n\n\
## Returns\n\nUnused items can be returned within 30 days for a full refund. \
Write to us with your order number and we send a return label.";

/// Adds a source and waits for its embedding job to finish it.
async fn add_source(owner: &Account, kind: &str, title: &str, format: &str, content: &str) -> Value {
    let res = owner
        .post(
            "/api/v1/knowledge/sources",
            json!({"kind": kind, "title": title, "format": format, "content": content}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["status"], "pending");
    let id = created["id"].as_str().unwrap().to_owned();
    eventually(20, "the source to be embedded", || async {
        let s: Value = owner.get(&format!("/api/v1/knowledge/sources/{id}")).await.json().await.unwrap();
        (s["status"] == "ready").then_some(s)
    })
    .await
}

async fn search(owner: &Account, query: &str, k: i64) -> Vec<Value> {
    let res = owner.post("/api/v1/knowledge/search", json!({"query": query, "k": k})).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["results"].as_array().unwrap().clone()
}

#[tokio::test]
async fn sources_are_embedded_searched_kept_when_unchanged_and_deleted_with_their_chunks() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let faq = add_source(&owner, "faq", "Lavender soap FAQ", "text", FAQ).await;
    assert_eq!(faq["chunks_done"], faq["chunks_total"]);
    assert_eq!(faq["embedding_model"], "local-hash-ngram-v1");
    let shipping = add_source(&owner, "document", "Shipping and returns", "markdown", SHIPPING).await;

    let hits = search(&owner, "does the lavender soap contain parabens?", 3).await;
    assert_eq!(hits[0]["source_id"], faq["id"], "{hits:?}");
    assert!(hits[0]["content"].as_str().unwrap().contains("parabens"));
    let scores: Vec<f64> = hits.iter().map(|h| h["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "best first: {scores:?}");
    let hits = search(&owner, "how many days do I have to return an item?", 3).await;
    assert_eq!(hits[0]["source_id"], shipping["id"], "{hits:?}");
    assert!(!hits[0]["content"].as_str().unwrap().contains("**"), "markdown is stripped");

    // The same text again: no new job, the same chunks.
    let before = search(&owner, "lavender soap parabens", 1).await[0]["chunk_id"].clone();
    let id = faq["id"].as_str().unwrap();
    let res = owner
        .put(
            &format!("/api/v1/knowledge/sources/{id}"),
            json!({"kind": "faq", "title": "Lavender soap: questions", "content": FAQ}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let kept: Value = res.json().await.unwrap();
    assert_eq!(kept["status"], "ready");
    assert_eq!(kept["title"], "Lavender soap: questions");
    assert_eq!(search(&owner, "lavender soap parabens", 1).await[0]["chunk_id"], before);

    // Changed text is embedded again.
    let res = owner
        .put(
            &format!("/api/v1/knowledge/sources/{id}"),
            json!({"kind": "faq", "title": "Lavender soap", "content": "The lavender soap bar weighs 120 grams."}),
        )
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "pending");
    eventually(20, "the new text to be searchable", || async {
        let hits = search(&owner, "how much does the lavender soap weigh", 1).await;
        hits[0]["content"].as_str().unwrap().contains("120 grams").then_some(())
    })
    .await;

    assert_eq!(owner.delete(&format!("/api/v1/knowledge/sources/{id}")).await.status(), 204);
    let left = search(&owner, "lavender soap", 10).await;
    assert!(left.iter().all(|h| h["source_id"] == shipping["id"]), "{left:?}");
    assert_eq!(owner.get(&format!("/api/v1/knowledge/sources/{id}")).await.status(), 404);
}

#[tokio::test]
async fn near_identical_catalogs_never_mix() {
    let app = spawn_app().await;
    let a = app.signup().await;
    let b = app.signup().await;
    let a_src =
        add_source(&a, "product", "Lavender soap", "text", "Lavender soap from Store A is paraben-free.")
            .await;
    let b_src =
        add_source(&b, "product", "Lavender soap", "text", "Lavender soap from Store B contains parabens.")
            .await;
    for (who, own) in [(&a, &a_src), (&b, &b_src)] {
        let hits = search(who, "lavender soap parabens", 10).await;
        assert!(!hits.is_empty());
        assert!(hits.iter().all(|h| h["source_id"] == own["id"]), "{hits:?}");
    }
    let other = format!("/api/v1/knowledge/sources/{}", b_src["id"].as_str().unwrap());
    assert_eq!(a.get(&other).await.status(), 404);
    assert_eq!(a.delete(&other).await.status(), 404);
    assert_eq!(b.get(&other).await.status(), 200, "B's source is untouched");
}

#[tokio::test]
async fn bad_sources_and_queries_are_refused_with_the_field() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let res =
        owner.post("/api/v1/knowledge/sources", json!({"kind": "poem", "title": " ", "content": ""})).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    for field in ["kind", "title", "content"] {
        assert!(body["error"]["fields"][field].is_array(), "{field}: {body}");
    }
    let res = owner.post("/api/v1/knowledge/search", json!({"query": "soap", "k": 500})).await;
    assert_eq!(res.status(), 422);
}

#[tokio::test]
async fn messages_are_classified_in_many_languages() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    for (text, expected) in [
        ("where is my order?", "order_status"),
        ("¿dónde está mi pedido?", "order_status"),
        ("kargom nerede", "order_status"),
        ("I want a refund", "return_refund"),
        ("this is broken and terrible", "complaint"),
        ("can I talk to a human", "human_request"),
        ("does the lavender soap contain parabens?", "product_question"),
        ("teşekkürler", "thanks"),
    ] {
        let res = owner.post("/api/v1/conversation/classify", json!({"text": text})).await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["intent"], expected, "{text}: {body}");
        let confidence = body["confidence"].as_f64().unwrap();
        assert!(confidence > 0.0 && confidence <= 1.0, "{text}: {body}");
    }
    let res = owner.post("/api/v1/conversation/classify", json!({"text": ""})).await;
    assert_eq!(res.status(), 422);
}

#[tokio::test]
async fn sources_made_by_another_embedding_model_are_embedded_again() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let faq = add_source(&owner, "faq", "Lavender soap FAQ", "text", FAQ).await;
    let id = faq["id"].as_str().unwrap().to_owned();
    // As if an earlier deployment had embedded it with another model.
    let mut tx = app.db.begin(owner.merchant_id.into()).await.unwrap();
    sqlx::query("update knowledge_sources set embedding_model = 'retired-model' where id = $1::uuid")
        .bind(&id)
        .execute(tx.conn())
        .await
        .unwrap();
    sqlx::query("update knowledge_chunks set embedding_model = 'retired-model'")
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(
        search(&owner, "does the lavender soap contain parabens?", 3).await.is_empty(),
        "like with like only"
    );

    let source = eventually(30, "the sweeper to embed it again", || async {
        let s: Value = owner.get(&format!("/api/v1/knowledge/sources/{id}")).await.json().await.unwrap();
        (s["status"] == "ready" && s["embedding_model"] == "local-hash-ngram-v1").then_some(s)
    })
    .await;
    assert_eq!(source["chunks_done"], source["chunks_total"]);
    let hits = search(&owner, "does the lavender soap contain parabens?", 3).await;
    assert_eq!(hits[0]["source_id"], json!(id), "{hits:?}");
    let mut tx = app.db.begin(owner.merchant_id.into()).await.unwrap();
    let old: i64 = sqlx::query_scalar(
        "select count(*) from knowledge_chunks where embedding_model <> 'local-hash-ngram-v1'",
    )
    .fetch_one(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(old, 0, "the old model's chunks are gone");
}

/// A product as Shopify's `products/create` webhook sends it (REST Admin API product resource,
/// trimmed to the fields Revive reads plus some it does not).
fn shopify_product(id: u64, price: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": id, "title": "Lavender Soap Bar", "handle": "lavender-soap-bar",
        "body_html": "<p>Cold-pressed with <strong>olive oil</strong>. Free of parabens.</p><p>One bar lasts six weeks.</p>",
        "vendor": "Revive Test", "product_type": "Soap", "status": "active",
        "created_at": "2026-11-01T10:00:00-05:00", "updated_at": "2026-11-02T10:00:00-05:00",
        "tags": "soap, lavender, vegan",
        "variants": [{"id": 1, "product_id": id, "title": "Default Title", "price": price, "sku": "LAV-1"}],
        "options": [{"name": "Title", "values": ["Default Title"]}], "images": []
    }))
    .unwrap()
}

#[tokio::test]
async fn products_come_from_shopify_webhooks_and_the_api_and_become_knowledge() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let (integration, secret) = owner.connect_shopify().await;
    let shop = owner.shop_of(integration).await;

    // Shopify: created, sent again unchanged (no new work), then deleted.
    let res = post_shopify(
        &app.base,
        integration,
        &shop,
        "products/create",
        &shopify_product(632910392, "12.50"),
        &secret,
        "p-1",
    )
    .await;
    assert_eq!(res.status(), 200);
    let product = eventually(20, "the product to be saved and embedded", || async {
        let list: Value = owner.get("/api/v1/products").await.json().await.unwrap();
        list.as_array().unwrap().first().filter(|p| p["source_status"] == "ready").cloned()
    })
    .await;
    assert_eq!(product["external_id"], "632910392");
    assert_eq!(product["price_cents"], 1250);
    assert_eq!(product["url"], json!(format!("https://{shop}/products/lavender-soap-bar")));
    assert_eq!(product["tags"], json!(["soap", "lavender", "vegan"]));
    let hits = search(&owner, "is the lavender soap bar free of parabens?", 1).await;
    assert_eq!(hits[0]["source_id"], product["source_id"], "{hits:?}");
    assert_eq!(hits[0]["source_kind"], "product");
    assert!(hits[0]["content"].as_str().unwrap().contains("Price: 12.50."), "{hits:?}");

    let res = post_shopify(
        &app.base,
        integration,
        &shop,
        "products/update",
        &shopify_product(632910392, "12.50"),
        &secret,
        "p-2",
    )
    .await;
    assert_eq!(res.status(), 200);
    eventually(20, "the update to be processed", || async {
        let events: Value = owner.get("/api/v1/events?limit=5").await.json().await.unwrap();
        let text = events.to_string();
        text.contains("product unchanged").then_some(())
    })
    .await;

    let gone = json!({"id": 632910392}).to_string();
    let res =
        post_shopify(&app.base, integration, &shop, "products/delete", gone.as_bytes(), &secret, "p-3").await;
    assert_eq!(res.status(), 200);
    eventually(20, "the product and its knowledge to go", || async {
        let list: Value = owner.get("/api/v1/products").await.json().await.unwrap();
        let sources: Value = owner.get("/api/v1/knowledge/sources").await.json().await.unwrap();
        (list.as_array().unwrap().is_empty() && sources.as_array().unwrap().is_empty()).then_some(())
    })
    .await;

    // The API: created (201), re-sent (200, no work), changed (embedded again), deleted.
    let body = json!({"external_id": "rose-1", "title": "Rose Hand Cream", "description": "# Rich\n\nShea butter and **rose** oil.",
                      "description_format": "markdown", "price": "18.00", "currency": "eur",
                      "url": "https://shop.example/products/rose", "tags": ["cream"]});
    let res = owner.post("/api/v1/products", body.clone()).await;
    assert_eq!(res.status(), 201);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["embedding"], true);
    let res = owner.post("/api/v1/products", body.clone()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["embedding"], false);
    let mut changed = body.clone();
    changed["price"] = json!("21.00");
    let again: Value = owner.post("/api/v1/products", changed).await.json().await.unwrap();
    assert_eq!(again["embedding"], true);
    assert_eq!(again["source_id"], saved["source_id"], "one source per product");
    eventually(60, "the new price to be searchable", || async {
        let hits = search(&owner, "how much is the rose hand cream?", 1).await;
        hits.first().filter(|h| h["content"].as_str().unwrap().contains("21.00 EUR")).map(|_| ())
    })
    .await;
    let list: Value = owner.get("/api/v1/products").await.json().await.unwrap();
    assert_eq!(list[0]["description"], "Rich\nShea butter and rose oil.", "markdown kept as text: {list}");

    // Bad input names the field; a viewer reads but cannot write; another merchant sees nothing.
    let res =
        owner.post("/api/v1/products", json!({"external_id": "x", "title": "X", "price": "3.00"})).await;
    assert_eq!(res.status(), 422);
    assert!(res.json::<Value>().await.unwrap()["error"]["fields"]["currency"].is_array());
    let res = owner
        .post("/api/v1/products", json!({"external_id": "x", "title": "X", "url": "javascript:alert(1)"}))
        .await;
    assert_eq!(res.status(), 422);
    let viewer = app.login(&owner.add_member("viewer").await, PASSWORD).await;
    assert_eq!(viewer.get("/api/v1/products").await.status(), 200);
    assert_eq!(viewer.post("/api/v1/products", body.clone()).await.status(), 403);
    let other = app.signup().await;
    let theirs: Value = other.get("/api/v1/products").await.json().await.unwrap();
    assert!(theirs.as_array().unwrap().is_empty());
    let id = saved["product_id"].as_str().unwrap();
    assert_eq!(other.delete(&format!("/api/v1/products/{id}")).await.status(), 404);
    assert_eq!(owner.delete(&format!("/api/v1/products/{id}")).await.status(), 204);
    assert!(search(&owner, "how much is the rose hand cream?", 3).await.is_empty());
}
