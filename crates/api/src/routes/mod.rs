//! One router per feature, merged here. Public routes carry the per-IP limit; authenticated
//! ones are limited per key / merchant in the auth extractor.

pub mod analytics;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod conversation;
pub mod customers;
pub mod dashboard;
pub mod events;
pub mod health;
pub mod imports;
pub mod integrations;
pub mod knowledge;
pub mod live;
pub mod merchant;
pub mod openapi;
pub mod products;
pub mod scheduled;
pub mod settings;
pub mod shopify_webhook;
pub mod simulator;
pub mod templates;
pub mod users;
pub mod whatsapp_account;
pub mod whatsapp_webhook;

use axum::Router;
use axum::middleware;
use axum::routing::any;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::error::ApiError;
use crate::rate_limit;
use crate::state::AppState;

/// All routes, and the OpenAPI document describing them.
pub fn router(state: &AppState) -> Router<AppState> {
    let public = OpenApiRouter::new()
        .merge(auth::public_router())
        .route_layer(middleware::from_fn_with_state(state.clone(), rate_limit::per_ip));
    let api = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(public)
        .merge(auth::router())
        .merge(merchant::router())
        .merge(users::router())
        .merge(api_keys::router())
        .merge(audit::router())
        .merge(integrations::router())
        .merge(events::router(state))
        .merge(imports::router())
        .merge(templates::router())
        .merge(settings::router())
        .merge(scheduled::router())
        .merge(whatsapp_account::router())
        .merge(knowledge::router())
        .merge(conversation::router())
        .merge(simulator::router())
        .merge(products::router())
        .merge(live::router())
        .merge(customers::router())
        .merge(analytics::router());
    let (api, doc) = api.split_for_parts();

    Router::new()
        .merge(health::router())
        .merge(shopify_webhook::router(state))
        .merge(whatsapp_webhook::router())
        .merge(api)
        .merge(openapi::router(doc))
        // Unknown API paths are JSON 404s, not the dashboard's index page.
        .route("/api/{*rest}", any(|| async { ApiError::NotFound }))
        .fallback_service(dashboard::service(&state.config.web_dist_dir))
}
