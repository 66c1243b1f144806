//! The dashboard's event stream (`GET /api/v1/live`): a merchant sees its own messages,
//! conversation changes and activity as they happen, and never another merchant's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

/// One open event stream, read event by event.
struct Stream {
    res: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(account: &Account) -> Self {
        let res = account.get("/api/v1/live").await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/event-stream");
        Stream { res, buffer: String::new() }
    }

    /// The next event (name, JSON data), keep-alive comments skipped; panics after `secs`.
    async fn next(&mut self, secs: u64) -> (String, Value) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut name = String::from("message");
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if data.is_empty() {
                    continue; // a keep-alive comment
                }
                return (name, serde_json::from_str(&data).unwrap());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no event within {secs} s; buffered: {:?}", self.buffer);
            let chunk =
                tokio::time::timeout(left, self.res.chunk()).await.expect("an event in time").unwrap();
            self.buffer.push_str(&String::from_utf8_lossy(&chunk.expect("the stream stays open")));
        }
    }

    /// Events until one matches `until`; returns all of them (the match last).
    async fn until(&mut self, secs: u64, until: impl Fn(&str, &Value) -> bool) -> Vec<(String, Value)> {
        let mut seen = Vec::new();
        loop {
            let (name, data) = self.next(secs).await;
            let done = until(&name, &data);
            seen.push((name, data));
            if done {
                return seen;
            }
        }
    }
}

#[tokio::test]
async fn a_merchant_sees_its_own_events_live_and_never_another_merchants() {
    let app = spawn_app_with(&[("KNOWLEDGE_REEMBED", "false")]).await;
    let a = app.signup().await;
    let b = app.signup().await;
    let mut stream = Stream::open(&a).await;
    assert_eq!(stream.next(10).await.0, "resync", "a new stream starts by (re)fetching");

    // Activity: A's own action arrives; B's, made in between, does not.
    let source = |title: &str| json!({"kind": "faq", "title": title, "content": "Our soap has no parabens."});
    let first: Value = a.post("/api/v1/knowledge/sources", source("A one")).await.json().await.unwrap();
    let theirs: Value = b.post("/api/v1/knowledge/sources", source("B secret")).await.json().await.unwrap();
    let second: Value = a.post("/api/v1/knowledge/sources", source("A two")).await.json().await.unwrap();
    let seen = stream.until(10, |name, data| name == "activity" && data["object_id"] == second["id"]).await;
    assert!(seen.iter().any(|(n, d)| n == "activity"
        && d["object_id"] == first["id"]
        && d["action"] == "knowledge_source.create"));
    let text = format!("{seen:?}");
    assert!(!text.contains(theirs["id"].as_str().unwrap()), "B's activity reached A: {text}");

    // A customer writes (the simulator): the inbound message, then the bot's reply, arrive live.
    let res = a.post("/api/v1/simulator/messages", json!({"text": "Hello there!"})).await;
    assert_eq!(res.status(), 202);
    let conversation = res.json::<Value>().await.unwrap()["conversation_id"].clone();
    let seen = stream
        .until(20, |name, data| {
            name == "message" && data["sent_by"] == "bot" && data["status"] == "delivered"
        })
        .await;
    assert!(
        seen.iter().any(|(n, d)| n == "message"
            && d["direction"] == "inbound"
            && d["conversation_id"] == conversation)
    );
    assert!(seen.iter().all(|(_, d)| d.get("body").is_none()), "no message text travels on the stream");

    // A complaint hands off: the conversation's change arrives.
    a.post("/api/v1/simulator/messages", json!({"text": "The soap arrived broken, this is terrible"})).await;
    stream
        .until(20, |name, data| {
            name == "conversation" && data["state"] == "human" && data["needs_attention"] == true
        })
        .await;

    // Without a session: no stream.
    let res = reqwest::get(app.url("/api/v1/live")).await.unwrap();
    assert_eq!(res.status(), 401);
}
