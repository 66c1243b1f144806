//! `revive-api`: reads the configuration, builds the application, serves until SIGTERM.

use std::process::ExitCode;
use std::time::Duration;

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
    let grace = Duration::from_secs(config.shutdown_grace_secs);
    let listener = tokio::net::TcpListener::bind(config.bind_addr).await?;
    let application = app::Application::build(config, listener).await?;
    tracing::info!(addr = %application.local_addr()?, "revive-api listening");

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut server = tokio::spawn(application.serve(async {
        let _ = stopped.await;
    }));
    tokio::select! {
        joined = &mut server => return Ok(joined??),
        () = revive_shared::shutdown::signal() => {}
    }
    let _ = stop.send(());
    // In-flight requests get SHUTDOWN_GRACE_SECS to finish; then the process exits anyway.
    match tokio::time::timeout(grace, server).await {
        Ok(joined) => joined??,
        Err(_) => tracing::warn!(grace_secs = grace.as_secs(), "shutdown grace period over; exiting"),
    }
    Ok(())
}
