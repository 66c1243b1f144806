//! Starts the apalis workers and the sweeper, and stops them gracefully.

use std::time::Duration;

use apalis::prelude::*;
use tokio::sync::watch;

use crate::{Deps, process_event, send_message, sweeper};

/// Quick restarts apalis may make of a failed worker before the runner backs off.
const QUICK_RESTARTS: usize = 3;
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// A name unique to this process, run and restart. apalis refuses a name whose heartbeat is
/// recent, and a graceful stop does not clear it, so a reused name kills the worker on restart
/// (STACK.md pitfall 1).
fn worker_name(queue: &str, run: u32, restarts: usize) -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_owned());
    format!("{queue}-{host}-{}-{run}-{restarts}", std::process::id())
}

/// Runs every worker until `shutdown` resolves; in-flight jobs then get `grace` to finish, and
/// jobs fetched but not started go back to the queue.
///
/// A worker whose backend fails (Redis gone: apalis-redis marks the backend dead, STACK.md
/// pitfall 7) is restarted by apalis a few times at once; when that does not help, the runner
/// waits (1 s, doubling up to 30 s) and starts the workers afresh, so an outage neither kills the
/// process nor spins it.
pub async fn run(
    deps: Deps,
    grace: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let sweeper = tokio::spawn(sweeper::run(deps.clone(), stopped(stop_rx.clone())));

    let mut backoff = Duration::from_secs(1);
    for run in 0u32.. {
        let started = tokio::time::Instant::now();
        let result = monitor(&deps, run, grace).run_with_signal(stopped_ok(stop_rx.clone())).await;
        if *stop_rx.borrow() {
            let _ = sweeper.await;
            return result.map_err(|e| anyhow::anyhow!("workers stopped: {e}"));
        }
        match &result {
            Ok(()) => tracing::warn!(run, "workers stopped by themselves; starting them again"),
            Err(e) => tracing::warn!(run, error = %e, "workers failed; starting them again"),
        }
        // A run that lasted a while was healthy: start the next one at once.
        if started.elapsed() > MAX_BACKOFF {
            backoff = Duration::from_secs(1);
        }
        let mut rx = stop_rx.clone();
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            _ = rx.wait_for(|s| *s) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
    Ok(())
}

fn monitor(deps: &Deps, run: u32, grace: Duration) -> Monitor {
    let concurrency = deps.config.jobs.concurrency as usize;
    let events = deps.queues.events.clone();
    let messages = deps.queues.messages.clone();
    let data = deps.clone();
    let send_data = deps.clone();
    Monitor::new()
        .register(move |restarts| {
            WorkerBuilder::new(worker_name(crate::queue::PROCESS_EVENT, run, restarts))
                // An idle worker otherwise only polls on its heartbeat (STACK.md pitfall 2).
                .backend(events.clone().poll_with_interval(Duration::from_millis(200)))
                .enable_tracing()
                .catch_panic()
                .timeout(Duration::from_secs(60))
                .concurrency(concurrency)
                .data(data.clone())
                .build(process_event::handle)
        })
        .register(move |restarts| {
            WorkerBuilder::new(worker_name(crate::queue::SEND_MESSAGE, run, restarts))
                .backend(messages.clone().poll_with_interval(Duration::from_millis(200)))
                .enable_tracing()
                .catch_panic()
                .timeout(Duration::from_secs(60))
                .concurrency(concurrency)
                .data(send_data.clone())
                .build(send_message::handle)
        })
        .should_restart(|ctx, _err| ctx.restarts() < QUICK_RESTARTS)
        .shutdown_timeout(grace)
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

async fn stopped_ok(rx: watch::Receiver<bool>) -> std::io::Result<()> {
    stopped(rx).await;
    Ok(())
}
