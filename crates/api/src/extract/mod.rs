//! Request extractors: who is calling ([`auth::Principal`]) and validated JSON bodies.

pub mod auth;
pub mod json;
pub mod params;

pub use auth::{Principal, SessionUser};
pub use json::ValidJson;
pub use params::{IdPath, QueryParams};
