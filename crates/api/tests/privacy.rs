//! Phone numbers never reach a table in plaintext.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::spawn_app;
use revive_shared::db::customers;
use revive_shared::phone::PhoneE164;
use sqlx::PgConnection;

/// Counts rows of every table in which `needle` appears in the row's text form (all columns,
/// bytea as hex), within the transaction's tenant.
async fn rows_containing(conn: &mut PgConnection, needle: &str) -> Vec<(String, i64)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "select table_name::text from information_schema.tables
         where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let hex: String = needle.bytes().map(|b| format!("{b:02x}")).collect();
    let mut hits = Vec::new();
    for table in tables {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "select count(*) from {table} t where t::text like '%' || $1 || '%' or t::text like '%' || $2 || '%'"
        )))
        .bind(needle)
        .bind(&hex)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        if n > 0 {
            hits.push((table, n));
        }
    }
    hits
}

#[tokio::test]
async fn phones_are_encrypted_and_found_by_blind_index() {
    let app = spawn_app().await;
    let owner = app.signup().await;
    let raw = ["+49 151 23456789", "+90 532 765 43 21", "+1 (415) 555-2671"];
    let mut tx = app.db.begin(owner.merchant_id.into()).await.unwrap();
    let mut phones = Vec::new();
    for r in raw {
        let phone = PhoneE164::parse(r, None).unwrap();
        let id = customers::upsert_by_phone(
            &mut tx,
            &app.config.cipher,
            &app.config.blind_index,
            &phone,
            Some("Grace Hopper"),
        )
        .await
        .unwrap();
        // Upserting again finds the same customer through the blind index.
        let again =
            customers::upsert_by_phone(&mut tx, &app.config.cipher, &app.config.blind_index, &phone, None)
                .await
                .unwrap();
        assert_eq!(id, again);
        assert_eq!(
            customers::find_by_phone(&mut tx, &app.config.blind_index, &phone).await.unwrap(),
            Some(id)
        );
        assert_eq!(customers::phone_of(&mut tx, &app.config.cipher, id).await.unwrap(), phone);
        phones.push(phone);
    }
    tx.commit().await.unwrap();

    let mut tx = app.db.begin(owner.merchant_id.into()).await.unwrap();
    // The scan does find what is stored in plaintext (a name), so an empty result means something.
    assert_eq!(rows_containing(tx.conn(), "Grace Hopper").await, vec![("customers".to_owned(), 3)]);
    for phone in &phones {
        let e164 = phone.expose();
        let national_digits = &e164[3..];
        assert!(rows_containing(tx.conn(), e164).await.is_empty(), "{phone:?} found in plaintext");
        assert!(rows_containing(tx.conn(), national_digits).await.is_empty(), "{phone:?} digits found");
    }
}
