//! Starts the apalis workers and the sweeper, and stops them gracefully.

use std::time::Duration;

use apalis::prelude::*;
use tokio::sync::watch;

use crate::{Deps, converse, embed_source, process_event, send_message, sweeper};

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
/// Each queue has its own apalis monitor and supervisor. A worker whose backend fails (Redis
/// gone: apalis-redis marks the backend dead, STACK.md pitfall 7) is restarted by apalis a few
/// times at once; when that does not help its monitor ends, and the supervisor waits (1 s,
/// doubling up to 30 s) and starts it afresh, so an outage neither kills the process nor spins
/// it. (With one monitor for both queues, a dead worker waited for the other queue's worker to
/// die too, which a healthy one never does.)
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
    let events = supervise(crate::queue::PROCESS_EVENT, stop_rx.clone(), {
        let deps = deps.clone();
        move |run| events_monitor(&deps, run, grace)
    });
    let sends = supervise(crate::queue::SEND_MESSAGE, stop_rx.clone(), {
        let deps = deps.clone();
        move |run| sends_monitor(&deps, run, grace)
    });
    let knowledge = supervise(crate::queue::EMBED_SOURCE, stop_rx.clone(), {
        let deps = deps.clone();
        move |run| knowledge_monitor(&deps, run, grace)
    });
    let turns =
        supervise(crate::queue::CONVERSE, stop_rx.clone(), move |run| turns_monitor(&deps, run, grace));
    let (events, sends, knowledge, turns) = tokio::join!(events, sends, knowledge, turns);
    let _ = sweeper.await;
    events.and(sends).and(knowledge).and(turns)
}

/// Runs the monitors `build` makes, one after another, until the stop signal.
async fn supervise(
    queue: &'static str,
    stop_rx: watch::Receiver<bool>,
    build: impl Fn(u32) -> Monitor,
) -> anyhow::Result<()> {
    let mut backoff = Duration::from_secs(1);
    for run in 0u32.. {
        let started = tokio::time::Instant::now();
        let result = build(run).run_with_signal(stopped_ok(stop_rx.clone())).await;
        if *stop_rx.borrow() {
            return result.map_err(|e| anyhow::anyhow!("{queue} workers stopped: {e}"));
        }
        match &result {
            Ok(()) => tracing::warn!(queue, run, "workers stopped by themselves; starting them again"),
            Err(e) => tracing::warn!(queue, run, error = %e, "workers failed; starting them again"),
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

fn events_monitor(deps: &Deps, run: u32, grace: Duration) -> Monitor {
    let concurrency = deps.config.jobs.concurrency as usize;
    let events = deps.queues.events.clone();
    let data = deps.clone();
    Monitor::new()
        .register(move |restarts| {
            WorkerBuilder::new(worker_name(crate::queue::PROCESS_EVENT, run, restarts))
                // An idle worker otherwise only polls on its heartbeat (STACK.md pitfall 2).
                .backend(events.clone().poll_with_interval(Duration::from_millis(200)))
                .concurrency(concurrency)
                .timeout(Duration::from_secs(60))
                .enable_tracing()
                .catch_panic()
                .data(data.clone())
                .build(process_event::handle)
        })
        .should_restart(|ctx, _err| ctx.restarts() < QUICK_RESTARTS)
        .shutdown_timeout(grace)
}

fn sends_monitor(deps: &Deps, run: u32, grace: Duration) -> Monitor {
    let concurrency = deps.config.jobs.concurrency as usize;
    let messages = deps.queues.messages.clone();
    let data = deps.clone();
    Monitor::new()
        .register(move |restarts| {
            WorkerBuilder::new(worker_name(crate::queue::SEND_MESSAGE, run, restarts))
                .backend(messages.clone().poll_with_interval(Duration::from_millis(200)))
                .concurrency(concurrency)
                .timeout(Duration::from_secs(60))
                .enable_tracing()
                .catch_panic()
                .data(data.clone())
                .build(send_message::handle)
        })
        .should_restart(|ctx, _err| ctx.restarts() < QUICK_RESTARTS)
        .shutdown_timeout(grace)
}

fn knowledge_monitor(deps: &Deps, run: u32, grace: Duration) -> Monitor {
    let sources = deps.queues.knowledge.clone();
    let data = deps.clone();
    Monitor::new()
        .register(move |restarts| {
            WorkerBuilder::new(worker_name(crate::queue::EMBED_SOURCE, run, restarts))
                .backend(sources.clone().poll_with_interval(Duration::from_millis(200)))
                // Embedding is CPU work: two at a time leave room for the other queues.
                .concurrency(2)
                .timeout(Duration::from_secs(300))
                .enable_tracing()
                .catch_panic()
                .data(data.clone())
                .build(embed_source::handle)
        })
        .should_restart(|ctx, _err| ctx.restarts() < QUICK_RESTARTS)
        .shutdown_timeout(grace)
}

fn turns_monitor(deps: &Deps, run: u32, grace: Duration) -> Monitor {
    let concurrency = deps.config.jobs.concurrency as usize;
    let turns = deps.queues.turns.clone();
    let data = deps.clone();
    Monitor::new()
        .register(move |restarts| {
            WorkerBuilder::new(worker_name(crate::queue::CONVERSE, run, restarts))
                .backend(turns.clone().poll_with_interval(Duration::from_millis(200)))
                .concurrency(concurrency)
                .timeout(Duration::from_secs(120))
                .enable_tracing()
                .catch_panic()
                .data(data.clone())
                .build(converse::handle)
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
