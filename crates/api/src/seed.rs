//! The demo merchant that `make run` logs into. Created once; later starts leave it alone.

use revive_shared::config::DemoSeed;
use revive_shared::crypto::password;
use revive_shared::db::audit::{self, Actor};
use revive_shared::db::{Db, merchants, users};
use revive_shared::ids::MerchantId;
use revive_shared::role::Role;
use secrecy::ExposeSecret;
use serde_json::json;

pub async fn demo_merchant(db: &Db, demo: &DemoSeed) -> anyhow::Result<()> {
    if users::find_for_login(db.pool(), &demo.email).await?.is_some() {
        return Ok(());
    }
    let plain = demo.password.expose_secret().to_owned();
    let hash = tokio::task::spawn_blocking(move || password::hash_password(&plain)).await??;
    let mut tx = db.begin(MerchantId::new()).await?;
    merchants::create(&mut tx, "Demo Store").await?;
    match users::create(&mut tx, &demo.email, &hash, Role::Owner, Some("Demo Owner")).await {
        Ok(user) => {
            audit::record(
                &mut tx,
                &Actor::System,
                "merchant.demo_seed",
                Some(("user", user.id.to_string())),
                json!({}),
            )
            .await?;
            tx.commit().await?;
            tracing::info!("demo merchant created");
        }
        // Another process seeded it between our check and insert.
        Err(revive_shared::Error::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
