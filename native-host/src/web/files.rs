//! Static files at `/`: a directory (the built page, `www/dist`), or — when none is given — a
//! small built-in page that says what this listener is and lists the bridge's targets.

use axum::Router;
use axum::response::Html;
use std::path::Path;
use tower_http::services::ServeDir;

/// The page served when there is no static directory.
const PLACEHOLDER: &str = include_str!("placeholder.html");

/// Adds the static files (or the placeholder page) as `router`'s fallback.
pub fn with_static(router: Router, dir: Option<&Path>) -> Router {
    match dir {
        Some(d) => router.fallback_service(ServeDir::new(d).append_index_html_on_directories(true)),
        None => router.route("/", axum::routing::get(|| async { Html(PLACEHOLDER) })),
    }
}

/// Checks that a static directory exists (a typo would otherwise serve 404s silently).
pub fn check_dir(dir: &Path) -> anyhow::Result<()> {
    if !dir.is_dir() {
        anyhow::bail!("static directory {} does not exist", dir.display());
    }
    Ok(())
}
