//! CSV order imports: messy files, row reports, re-uploads, large-file polling.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::Value;

/// Good rows, bad phones, a short row, a duplicate order, BOM, CRLF, quoted commas, non-Latin
/// names: what real exports look like.
const MESSY: &str = "\u{feff}Order ID,Event,Date,Phone Number,Country,Customer Name,Product,Qty,Price,Currency\r\n\
1001,delivered,2026-11-20,+90 532 123 12 34,TR,Çağla Öztürk,\"Soap, lavender\",2,12.50,TRY\r\n\
1002,delivered,2026-11-21,0151 23456789,DE,Jürgen Groß,Shampoo,1,8.00,EUR\r\n\
1003,delivered,2026-11-21,555-555-SHIP,US,Steve Shipper,Hat,1,20,USD\r\n\
1004,delivered,2026-11-22\r\n\
1005,delivered,2026-11-22,+81 90 1234 5678,JP,山田太郎,\"Tea, \"\"green\"\"\",3,1200,JPY\r\n\
1001,delivered,2026-11-20,+90 532 123 12 34,TR,Çağla Öztürk,\"Soap, lavender\",2,12.50,TRY\r\n\
1006,delivered,2026-11-23,+971 50 123 4567,AE,محمد العلي,Oud,1,99,AED\r\n\
1007,exploded,2026-11-23,+4915123456780,DE,Bad Event,Soap,1,1,EUR\r\n";

async fn upload(owner: &Account, body: &'static str, query: &str) -> reqwest::Response {
    owner
        .client
        .post(owner.url(&format!("/api/v1/imports/orders{query}")))
        .header("x-csrf-token", &owner.csrf)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_messy_file_imports_every_good_row_and_reports_every_bad_one() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let res = upload(&owner, MESSY, "?filename=orders.csv").await;
    assert_eq!(res.status(), 201);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["status"], "completed", "{report}");
    assert_eq!(report["rows_total"], 8);
    assert_eq!(report["accepted"], 4, "{report}");
    assert_eq!(report["duplicates"], 1, "{report}");
    assert_eq!(report["rejected"], 3, "{report}");
    let errors = report["errors"].as_array().unwrap();
    let lines: Vec<u64> = errors.iter().map(|e| e["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, vec![4, 5, 9], "{report}");
    assert!(errors[0]["reason"].as_str().unwrap().contains("phone"));
    assert!(errors[2]["reason"].as_str().unwrap().contains("event"));
    assert!(!report.to_string().contains("555-555"), "reasons never echo phones");

    let rows = eventually(15, "imported events processed", || async {
        let rows = event_rows(&app, owner.merchant_id).await;
        (rows.len() == 4 && rows.iter().all(|r| r.1 == "processed")).then_some(rows)
    })
    .await;
    assert!(rows.iter().all(|r| r.0 == "order.delivered"));
    let listed: Value = owner.get("/api/v1/events?source=csv").await.json().await.unwrap();
    let names: Vec<&str> =
        listed.as_array().unwrap().iter().map(|e| e["external_id"].as_str().unwrap()).collect();
    assert!(names.contains(&"1005:order.delivered"), "{names:?}");
    let detail: Value = owner
        .get(&format!("/api/v1/events/{}", listed[0]["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert!(detail["normalized"]["customer"]["name"].is_string());

    // The same file again: nothing new.
    let again: Value = upload(&owner, MESSY, "").await.json().await.unwrap();
    assert_eq!(
        (again["accepted"].as_u64(), again["duplicates"].as_u64(), again["rejected"].as_u64()),
        (Some(0), Some(5), Some(3))
    );
    assert_eq!(event_rows(&app, owner.merchant_id).await.len(), 4);
    let list: Value = owner.get("/api/v1/imports").await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_file_without_required_columns_is_refused_whole() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let res = upload(&owner, "order,name\n1,Ann\n", "").await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["error"]["fields"]["file"][0].as_str().unwrap().contains("phone"), "{body}");
    assert_eq!(upload(&owner, "", "").await.status(), 422);
    assert_eq!(upload(&owner, MESSY, "?default_country=Germany").await.status(), 422);
    assert!(owner.get("/api/v1/imports").await.json::<Value>().await.unwrap().as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_sample_file_imports_by_multipart_and_long_imports_can_be_polled() {
    let app = spawn_app_with(&[("IMPORT_WAIT_SECS", "0")]).await;
    let owner = app.signup().await;
    let sample =
        reqwest::get(app.url("/api/v1/imports/orders/sample.csv")).await.unwrap().text().await.unwrap();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::text(sample).file_name("sample.csv").mime_str("text/csv").unwrap(),
    );
    let res = owner
        .client
        .post(owner.url("/api/v1/imports/orders"))
        .header("x-csrf-token", &owner.csrf)
        .multipart(form)
        .send()
        .await
        .unwrap();
    // With no wait allowed the answer is 202 and the import is polled.
    assert_eq!(res.status(), 202);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let report = eventually(15, "the import to finish", || async {
        let r: Value = owner.get(&location).await.json().await.unwrap();
        (r["status"] == "completed").then_some(r)
    })
    .await;
    assert_eq!(report["filename"], "sample.csv");
    assert_eq!(report["rejected"], 0, "{report}");
    assert_eq!(report["accepted"], report["rows_total"]);
    assert!(report["accepted"].as_u64().unwrap() >= 3);
    // An API key needs imports:write; a viewer cannot upload.
    let (_, key) = owner.create_key(&["events:write"]).await;
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/imports/orders"))
        .header("x-api-key", key)
        .body(MESSY)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let viewer = app.login(&owner.add_member("viewer").await, PASSWORD).await;
    assert_eq!(upload(&viewer, MESSY, "").await.status(), 403);
    let other = app.signup().await;
    assert_eq!(other.get(&location).await.status(), 404);
}
