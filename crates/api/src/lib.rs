//! `revive-api`: the HTTP side of Revive. `main.rs` only reads the configuration and calls
//! [`app::Application::build`]; tests build the same application on port 0.

pub mod app;
pub mod error;
pub mod extract;
pub mod ingest;
pub mod live;
pub mod rate_limit;
pub mod routes;
pub mod seed;
pub mod state;
pub mod telemetry;
