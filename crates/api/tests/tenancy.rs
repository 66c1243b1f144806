//! Merchants are kept apart by row-level security, tested as the application role.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{PASSWORD, TestApp, spawn_app};
use revive_shared::db::customers;
use revive_shared::phone::PhoneE164;
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

/// Every table with a merchant_id column (and merchants itself): the tenant tables.
async fn tenant_tables(conn: &mut PgConnection) -> Vec<String> {
    sqlx::query_scalar(
        "select c.table_name::text from information_schema.columns c
         join information_schema.tables t using (table_schema, table_name)
         where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
           and c.column_name = 'merchant_id'
         union select 'merchants' order by 1",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

async fn seed_customer(app: &TestApp, merchant: Uuid, phone: &str) {
    let mut tx = app.db.begin(merchant.into()).await.unwrap();
    let phone = PhoneE164::parse(phone, None).unwrap();
    customers::upsert_by_phone(&mut tx, &app.config.cipher, &app.config.blind_index, &phone, Some("Ada"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn every_tenant_table_forces_row_level_security() {
    let mut conn = PgConnection::connect(&common::app_db_url()).await.unwrap();
    // Make sure the schema exists (the first app start migrates).
    let _app = spawn_app().await;
    let tables = tenant_tables(&mut conn).await;
    assert!(tables.len() >= 20, "{tables:?}");
    for table in tables {
        let (enabled, forced): (bool, bool) = sqlx::query_as(
            "select relrowsecurity, relforcerowsecurity from pg_class where oid = $1::regclass",
        )
        .bind(&table)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert!(enabled && forced, "{table}: rls enabled={enabled} forced={forced}");
    }
}

#[tokio::test]
async fn without_a_tenant_the_application_role_sees_nothing() {
    let app = spawn_app().await;
    let a = app.signup().await;
    seed_customer(&app, a.merchant_id, "+4915112345678").await;
    a.create_key(&["events:write"]).await;

    let mut conn = PgConnection::connect(&common::app_db_url()).await.unwrap();
    for table in tenant_tables(&mut conn).await {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("select count(*) from {table}")))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(n, 0, "{table} visible without a tenant");
    }
    // The rows exist: with the tenant set they are there.
    let mut tx = app.db.begin(a.merchant_id.into()).await.unwrap();
    let n: i64 = sqlx::query_scalar("select count(*) from customers").fetch_one(tx.conn()).await.unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn the_application_role_cannot_turn_rls_off() {
    let mut conn = PgConnection::connect(&common::app_db_url()).await.unwrap();
    let _app = spawn_app().await;
    let (superuser, bypass): (bool, bool) =
        sqlx::query_as("select rolsuper, rolbypassrls from pg_roles where rolname = current_user")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(!superuser && !bypass);
    for stmt in [
        "alter table customers disable row level security",
        "alter table customers no force row level security",
        "drop policy tenant_isolation on customers",
        "create policy open_door on customers using (true)",
        "set role revive_owner",
        "set role revive_lookup",
    ] {
        let res = sqlx::query(sqlx::AssertSqlSafe(stmt)).execute(&mut conn).await;
        assert_eq!(sqlstate(res.err()), Some("42501".into()), "{stmt} was not refused for lack of privilege");
    }
    // row_security = off makes a query fail rather than bypass the policies.
    sqlx::query("set row_security = off").execute(&mut conn).await.unwrap();
    let res = sqlx::query("select count(*) from customers").fetch_one(&mut conn).await;
    assert_eq!(sqlstate(res.err()), Some("42501".into()));
}

fn sqlstate(err: Option<sqlx::Error>) -> Option<String> {
    match err? {
        sqlx::Error::Database(db) => db.code().map(|c| c.into_owned()),
        _ => None,
    }
}

#[tokio::test]
async fn sql_under_one_tenant_cannot_touch_another() {
    let app = spawn_app().await;
    let a = app.signup().await;
    let b = app.signup().await;
    seed_customer(&app, b.merchant_id, "+4915187654321").await;

    let mut tx = app.db.begin(a.merchant_id.into()).await.unwrap();
    let read: i64 = sqlx::query_scalar("select count(*) from customers where merchant_id = $1")
        .bind(b.merchant_id)
        .fetch_one(tx.conn())
        .await
        .unwrap();
    assert_eq!(read, 0);
    let updated = sqlx::query("update merchant_users set role = 'viewer' where merchant_id = $1")
        .bind(b.merchant_id)
        .execute(tx.conn())
        .await
        .unwrap();
    assert_eq!(updated.rows_affected(), 0);
    let deleted = sqlx::query("delete from merchants where id = $1")
        .bind(b.merchant_id)
        .execute(tx.conn())
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected(), 0);
    // Writing a row into B's tenant is refused by the policy's WITH CHECK.
    let insert =
        sqlx::query("insert into audit_log (merchant_id, actor_type, action) values ($1, 'system', 'x')")
            .bind(b.merchant_id)
            .execute(tx.conn())
            .await;
    assert_eq!(sqlstate(insert.err()), Some("42501".into()), "RLS WITH CHECK refuses the row");
    drop(tx);

    // B is intact.
    let mut tx = app.db.begin(b.merchant_id.into()).await.unwrap();
    let (role,): (String,) = sqlx::query_as("select role from merchant_users where id = $1")
        .bind(b.user_id)
        .fetch_one(tx.conn())
        .await
        .unwrap();
    assert_eq!(role, "owner");
}

#[tokio::test]
async fn the_api_with_one_merchants_credentials_cannot_reach_another() {
    let app = spawn_app().await;
    let a = app.signup().await;
    let b = app.signup().await;
    let (b_key_id, b_key) = b.create_key(&["events:write"]).await;
    let b_agent_email = b.add_member("agent").await;
    let b_members: Value = b.get("/api/v1/users").await.json().await.unwrap();
    let b_agent =
        b_members.as_array().unwrap().iter().find(|u| u["email"] == b_agent_email.as_str()).unwrap();
    let b_agent_id = b_agent["id"].as_str().unwrap();

    // Lists show only A's rows.
    let users: Value = a.get("/api/v1/users").await.json().await.unwrap();
    assert_eq!(users.as_array().unwrap().len(), 1);
    let keys: Value = a.get("/api/v1/api-keys").await.json().await.unwrap();
    assert!(keys.as_array().unwrap().is_empty());
    let log: Value = a.get("/api/v1/audit-log").await.json().await.unwrap();
    assert!(!log.to_string().contains(&b.user_id.to_string()));

    // Updates and deletes of B's ids are 404s that change nothing.
    assert_eq!(a.delete(&format!("/api/v1/api-keys/{b_key_id}")).await.status(), 404);
    assert_eq!(a.patch(&format!("/api/v1/users/{b_agent_id}"), json!({"role": "owner"})).await.status(), 404);
    assert_eq!(a.delete(&format!("/api/v1/users/{b_agent_id}")).await.status(), 404);
    assert_eq!(a.delete(&format!("/api/v1/users/{}", b.user_id)).await.status(), 404);

    let res =
        common::client().get(app.url("/api/v1/merchant")).header("x-api-key", &b_key).send().await.unwrap();
    assert_eq!(res.status(), 200, "B's key still works");
    let members: Value = b.get("/api/v1/users").await.json().await.unwrap();
    assert_eq!(members.as_array().unwrap().len(), 2);
    assert!(members.to_string().contains("\"agent\""));
    // B's agent can still log in.
    app.login(&b_agent_email, PASSWORD).await;

    // A's API key reads A's merchant, never B's.
    let (_, a_key) = a.create_key(&["events:write"]).await;
    let m: Value = common::client()
        .get(app.url("/api/v1/merchant"))
        .header("x-api-key", &a_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(m["id"], a.merchant_id.to_string());
}
