//! An unknown email costs the same argon2 verification as a wrong password, so response time
//! does not reveal which emails have accounts. Alone in its binary: the counter is per process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{spawn_app, unique_email};
use revive_shared::crypto::password::verification_count;
use serde_json::json;

#[tokio::test]
async fn unknown_email_runs_the_same_verification_as_a_wrong_password() {
    let app = spawn_app().await;
    let owner = app.signup().await;

    for email in [owner.email.clone(), unique_email("nobody")] {
        let before = verification_count();
        let res = common::client()
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": "definitely wrong"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        assert_eq!(verification_count() - before, 1, "one argon2 verification per attempt");
    }
}
