//! The audit log: who did what. Append-only for the application role.

use serde_json::Value;

use super::TenantTx;
use crate::Result;

/// Who acted.
#[derive(Debug, Clone)]
pub enum Actor {
    User(crate::ids::UserId),
    ApiKey(crate::ids::ApiKeyId),
    Worker(&'static str),
    /// A signed delivery from outside (`shopify`; WhatsApp deliveries are recorded as messages).
    Webhook(&'static str),
    System,
}

impl Actor {
    fn parts(&self) -> (&'static str, Option<String>) {
        match self {
            Actor::User(id) => ("user", Some(id.to_string())),
            Actor::ApiKey(id) => ("api_key", Some(id.to_string())),
            Actor::Worker(name) => ("worker", Some((*name).to_owned())),
            Actor::Webhook(name) => ("webhook", Some((*name).to_owned())),
            Actor::System => ("system", None),
        }
    }
}

pub async fn record(
    tx: &mut TenantTx,
    actor: &Actor,
    action: &str,
    target: Option<(&str, String)>,
    details: Value,
) -> Result<()> {
    let merchant = tx.merchant();
    let (actor_type, actor_id) = actor.parts();
    let (target_type, target_id) = target.map_or((None, None), |(t, id)| (Some(t), Some(id)));
    sqlx::query!(
        "insert into audit_log (merchant_id, actor_type, actor_id, action, target_type, target_id, details)
         values ($1, $2, $3, $4, $5, $6, $7)",
        merchant.0,
        actor_type,
        actor_id,
        action,
        target_type,
        target_id,
        details
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub details: Value,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// The newest entries first.
pub async fn list(tx: &mut TenantTx, limit: i64) -> Result<Vec<AuditEntry>> {
    let entries = sqlx::query_as!(
        AuditEntry,
        "select id, actor_type, actor_id, action, target_type, target_id, details, at
         from audit_log order by at desc, id desc limit $1",
        limit
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(entries)
}
