//! `revive-api`: reads the configuration, builds the application, serves until SIGTERM.

use std::process::ExitCode;

use revive_api::{app, telemetry};
use revive_shared::config::Config;

fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("revive-api: {e}");
            return ExitCode::from(2);
        }
    };
    // Sentry must be initialised before the runtime starts its threads.
    let _telemetry = telemetry::init(&config);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("revive-api: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "revive-api stopped");
            eprintln!("revive-api: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.bind_addr).await?;
    let application = app::Application::build(config, listener).await?;
    tracing::info!(addr = %application.local_addr()?, "revive-api listening");
    application.serve(revive_shared::shutdown::signal()).await?;
    Ok(())
}
