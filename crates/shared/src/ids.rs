//! Typed ids, so a user id can never be passed where a merchant id is expected.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type, utoipa::ToSchema)]
        #[schema(value_type = uuid::Uuid)]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }
    };
}

id_type!(
    /// A merchant: the tenant every row belongs to.
    MerchantId
);
id_type!(UserId);
id_type!(SessionId);
id_type!(ApiKeyId);
id_type!(CustomerId);
id_type!(IntegrationId);
id_type!(EventId);
id_type!(ImportId);

/// A Shopify shop's permanent domain, `your-store.myshopify.com`, lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopDomain(pub String);

impl ShopDomain {
    pub fn parse(raw: &str) -> Option<Self> {
        let d = raw.trim().to_ascii_lowercase();
        let d = d.strip_prefix("https://").unwrap_or(&d).trim_end_matches('/');
        let name = d.strip_suffix(".myshopify.com")?;
        let ok = (1..=60).contains(&name.len())
            && !name.starts_with('-')
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        ok.then(|| ShopDomain(d.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::ShopDomain;

    #[test]
    fn shop_domains() {
        assert_eq!(
            ShopDomain::parse(" My-Store.myshopify.com ").map(|d| d.0).as_deref(),
            Some("my-store.myshopify.com")
        );
        assert!(ShopDomain::parse("https://x1.myshopify.com/").is_some());
        assert!(ShopDomain::parse("my-store.myshopify.com.evil.test").is_none());
        assert!(ShopDomain::parse("-x.myshopify.com").is_none());
        assert!(ShopDomain::parse(".myshopify.com").is_none());
        assert!(ShopDomain::parse("a_b.myshopify.com").is_none());
        assert!(ShopDomain::parse("shop.example.com").is_none());
    }
}
