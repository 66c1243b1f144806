//! Message templates: what each retention flow says. `body` uses `{{variable}}` placeholders;
//! with the Meta transport a template must also be approved in Meta's tools under
//! `meta_template_name`, and its variables are sent as the body parameters in order.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::TenantTx;
use crate::{Error, Result};

/// The variables a body may use, filled in at send time.
pub const VARIABLES: &[&str] = &["first_name", "name", "order_number", "product", "store"];

/// The `{{variable}}` names of a body, in order of appearance, or the first unknown or malformed
/// one as the error.
pub fn variables(body: &str) -> std::result::Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| "a {{ is not closed by }}".to_owned())?;
        let name = after[..end].trim();
        if !VARIABLES.contains(&name) {
            let shown: String = name.chars().take(30).collect();
            return Err(format!("unknown variable {{{{{shown}}}}}; use {}", VARIABLES.join(", ")));
        }
        out.push(name.to_owned());
        rest = &after[end + 2..];
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Template {
    pub id: uuid::Uuid,
    /// checkin, review, replenishment or upsell.
    pub flow: String,
    pub name: String,
    pub language: String,
    /// utility or marketing (Meta's categories).
    pub category: String,
    pub body: String,
    /// The variables `body` uses, in order.
    pub variables: Vec<String>,
    pub meta_template_name: Option<String>,
    /// draft, approved or rejected.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

struct Row {
    id: uuid::Uuid,
    flow: String,
    name: String,
    language: String,
    category: String,
    body: String,
    meta_template_name: Option<String>,
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for Template {
    fn from(r: Row) -> Self {
        Template {
            variables: variables(&r.body).unwrap_or_default(),
            id: r.id,
            flow: r.flow,
            name: r.name,
            language: r.language,
            category: r.category,
            body: r.body,
            meta_template_name: r.meta_template_name,
            status: r.status,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub struct NewTemplate<'a> {
    pub flow: &'a str,
    pub name: &'a str,
    pub language: &'a str,
    pub category: &'a str,
    pub body: &'a str,
    pub meta_template_name: Option<&'a str>,
}

pub async fn create(tx: &mut TenantTx, t: &NewTemplate<'_>) -> Result<Template> {
    let merchant = tx.merchant();
    let row = sqlx::query_as!(
        Row,
        r#"insert into message_templates (merchant_id, flow, name, language, category, body, meta_template_name)
           values ($1, $2, $3, $4, $5, $6, $7)
           returning id, flow, name, language, category, body, meta_template_name, status, created_at, updated_at"#,
        merchant.0,
        t.flow,
        t.name,
        t.language,
        t.category,
        t.body,
        t.meta_template_name
    )
    .fetch_one(tx.conn())
    .await
    .map_err(|e| Error::on_unique_violation(e, "a template with this name and language exists"))?;
    Ok(row.into())
}

pub async fn list(tx: &mut TenantTx) -> Result<Vec<Template>> {
    let rows = sqlx::query_as!(
        Row,
        "select id, flow, name, language, category, body, meta_template_name, status, created_at, updated_at
         from message_templates order by flow, name, language"
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn get(tx: &mut TenantTx, id: uuid::Uuid) -> Result<Template> {
    let row = sqlx::query_as!(
        Row,
        "select id, flow, name, language, category, body, meta_template_name, status, created_at, updated_at
         from message_templates where id = $1",
        id
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or(Error::NotFound)?;
    Ok(row.into())
}

#[derive(Debug, Default)]
pub struct TemplateChange<'a> {
    pub name: Option<&'a str>,
    pub language: Option<&'a str>,
    pub category: Option<&'a str>,
    pub body: Option<&'a str>,
    pub meta_template_name: Option<&'a str>,
    pub status: Option<&'a str>,
}

/// Changes a template. A changed body goes back to `draft`: Meta must approve the new text.
pub async fn update(tx: &mut TenantTx, id: uuid::Uuid, c: &TemplateChange<'_>) -> Result<Template> {
    let row = sqlx::query_as!(
        Row,
        r#"update message_templates set
             name = coalesce($2, name), language = coalesce($3, language), category = coalesce($4, category),
             status = case when $5::text is not null and $5 <> body then 'draft' else coalesce($7, status) end,
             body = coalesce($5, body), meta_template_name = coalesce($6, meta_template_name), updated_at = now()
           where id = $1
           returning id, flow, name, language, category, body, meta_template_name, status, created_at, updated_at"#,
        id,
        c.name,
        c.language,
        c.category,
        c.body,
        c.meta_template_name,
        c.status
    )
    .fetch_optional(tx.conn())
    .await
    .map_err(|e| Error::on_unique_violation(e, "a template with this name and language exists"))?
    .ok_or(Error::NotFound)?;
    Ok(row.into())
}

pub async fn delete(tx: &mut TenantTx, id: uuid::Uuid) -> Result<()> {
    let found = sqlx::query_scalar!("delete from message_templates where id = $1 returning id", id)
        .fetch_optional(tx.conn())
        .await?;
    found.map(|_| ()).ok_or(Error::NotFound)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::variables;

    #[test]
    fn variables_are_read_in_order_and_checked() {
        assert_eq!(
            variables("Hi {{first_name}}, how is {{ product }}?"),
            Ok(vec!["first_name".into(), "product".into()])
        );
        assert_eq!(variables("no variables"), Ok(vec![]));
        assert!(variables("Hi {{phone}}").unwrap_err().contains("unknown variable {{phone}}"));
        assert!(variables("Hi {{first_name").is_err());
    }
}
