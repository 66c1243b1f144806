//! The dashboard's static files. Unknown paths fall back to index.html so the single-page app
//! can route on the client.

use std::path::Path;

use tower_http::services::{ServeDir, ServeFile};

pub fn service(dist: &Path) -> ServeDir<tower_http::set_status::SetStatus<ServeFile>> {
    ServeDir::new(dist).not_found_service(ServeFile::new(dist.join("index.html")))
}
