//! The job queues (apalis-redis storages) and pushing to them.
//!
//! Each job carries its own task id (see [`ProcessEvent::task_id`]); apalis stores task data
//! with `HSETNX`, so a push is a no-op for as long as Redis holds that task's data (queued,
//! running, or finished and not yet vacuumed). That makes re-pushing from the sweeper safe
//! without apalis's idempotency keys (which need a TTL to work at all, STACK.md pitfall 4); the
//! sweeper vacuums finished tasks after an hour so an id can be pushed again if its event still
//! needs it.
//!
//! apalis-redis puts every push, immediate ones too, in the queue's scheduled set, and its
//! `fetch_next` script moves *all* due tasks to the active list with one `unpack`, which Redis's
//! Lua refuses beyond about 8,000 values ("too many results to unpack"): a backlog that large
//! (workers down during a big import, a burst after an outage) makes every fetch fail and kills
//! the workers for good. So pushes go in chunks, each followed by our own bounded promotion, and
//! the sweeper promotes whatever is left: the due part of the scheduled set stays small.

use std::time::{Duration, SystemTime};

use apalis::prelude::{TaskBuilder, TaskId, TaskSink};
use apalis_redis::{ConnectionManager, RedisStorage};
use futures_util::stream;
use revive_shared::jobs::{Converse, EmbedSource, ProcessEvent, SendMessage};

/// Queue names under the configured prefix.
pub const PROCESS_EVENT: &str = "process_event";
pub const SEND_MESSAGE: &str = "send_message";
pub const EMBED_SOURCE: &str = "embed_source";
pub const CONVERSE: &str = "converse";

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("redis is unreachable or too slow")]
    Timeout,
    #[error("could not push to the queue: {0}")]
    Push(String),
}

#[derive(Clone)]
pub struct Queues {
    pub events: RedisStorage<ProcessEvent>,
    pub messages: RedisStorage<SendMessage>,
    pub knowledge: RedisStorage<EmbedSource>,
    pub turns: RedisStorage<Converse>,
}

/// Heartbeats every 5 s, orphans re-queued after 3 missed ones: a worker killed mid-job has its
/// job picked up again ~15 s later (the default would be 300 s, STACK.md §1).
pub fn storage_config(prefix: &str, queue: &str) -> apalis_redis::Config {
    apalis_redis::Config::default()
        .queue(format!("{prefix}:{queue}"))
        .heartbeat_interval(Duration::from_secs(5))
        .missed_heartbeats(3)
        .batch_size(20)
}

/// Tasks one push or one promotion handles at most; far below Lua's unpack limit.
const CHUNK: usize = 500;

static PROMOTE_DUE: std::sync::LazyLock<redis::Script> =
    std::sync::LazyLock::new(|| redis::Script::new(include_str!("lua/promote_due.lua")));

/// Moves every due task of one queue from its scheduled set to its active list, `CHUNK` at a
/// time. Returns how many moved.
async fn promote_due<Args>(storage: &mut RedisStorage<Args>) -> Result<usize, QueueError> {
    let cfg = storage.get_config().clone();
    let conn = storage.get_connection();
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let mut total = 0;
    loop {
        let moved: usize = PROMOTE_DUE
            .key(cfg.scheduled_jobs_set())
            .key(cfg.active_jobs_list())
            .key(cfg.signal_list())
            .arg(now)
            .arg(CHUNK)
            .invoke_async(conn)
            .await
            .map_err(|e| QueueError::Push(e.to_string()))?;
        total += moved;
        if moved < CHUNK {
            return Ok(total);
        }
    }
}

impl Queues {
    pub fn new(redis: ConnectionManager, prefix: &str) -> Self {
        let events = RedisStorage::new(redis.clone()).with_config(storage_config(prefix, PROCESS_EVENT));
        let messages = RedisStorage::new(redis.clone()).with_config(storage_config(prefix, SEND_MESSAGE));
        let knowledge = RedisStorage::new(redis.clone()).with_config(storage_config(prefix, EMBED_SOURCE));
        let turns = RedisStorage::new(redis).with_config(storage_config(prefix, CONVERSE));
        Queues { events, messages, knowledge, turns }
    }

    /// Pushes event jobs, giving up after `within`: a request that must answer Shopify within
    /// seconds cannot wait on a Redis that is down. The events stay `pending` then, and the
    /// sweeper pushes them later.
    pub async fn push_events(&self, jobs: &[ProcessEvent], within: Duration) -> Result<(), QueueError> {
        let tasks = jobs.iter().map(|job| (job.task_id(), *job)).collect();
        push(self.events.clone(), tasks, Duration::ZERO, within).await?;
        metrics::counter!("revive_jobs_pushed_total", "queue" => PROCESS_EVENT).increment(jobs.len() as u64);
        Ok(())
    }

    /// Promotes every due task of every queue (the sweeper calls this every round).
    pub async fn promote_due(&self) -> Result<usize, QueueError> {
        Ok(promote_due(&mut self.events.clone()).await?
            + promote_due(&mut self.messages.clone()).await?
            + promote_due(&mut self.knowledge.clone()).await?
            + promote_due(&mut self.turns.clone()).await?)
    }

    /// Pushes conversation turns, each to run `after` from now (the quiet period in which more
    /// messages from the same customer join the turn).
    pub async fn push_turns(
        &self,
        jobs: &[Converse],
        after: Duration,
        within: Duration,
    ) -> Result<(), QueueError> {
        let tasks = jobs.iter().map(|job| (job.task_id(), *job)).collect();
        push(self.turns.clone(), tasks, after, within).await
    }

    /// Pushes one embedding job.
    pub async fn push_embed(
        &self,
        job: EmbedSource,
        content_hash: &[u8],
        within: Duration,
    ) -> Result<(), QueueError> {
        push(self.knowledge.clone(), vec![(job.task_id(content_hash), job)], Duration::ZERO, within).await
    }

    /// Pushes send jobs for messages that are due, each with its due time in its task id.
    pub async fn push_sends(
        &self,
        jobs: &[(SendMessage, chrono::DateTime<chrono::Utc>)],
        within: Duration,
    ) -> Result<(), QueueError> {
        let tasks = jobs.iter().map(|(job, due)| (job.task_id(*due), *job)).collect();
        push(self.messages.clone(), tasks, Duration::ZERO, within).await
    }
}

/// Pushes `(task id, job)` pairs to run `after` from now, giving up after `within`. In chunks,
/// each promoted at once when due (see the module comment).
async fn push<Args, Kind>(
    mut storage: RedisStorage<Args>,
    jobs: Vec<(String, Args)>,
    after: Duration,
    within: Duration,
) -> Result<(), QueueError>
where
    RedisStorage<Args>: TaskSink<Args, Kind>,
    <RedisStorage<Args> as apalis_core::backend::Backend>::Error: std::fmt::Display,
    Args: Send,
{
    let push = async {
        let mut jobs = jobs.into_iter().peekable();
        while jobs.peek().is_some() {
            let tasks: Vec<_> = jobs
                .by_ref()
                .take(CHUNK)
                .map(|(id, job)| {
                    TaskBuilder::new(job)
                        .task_id(TaskId::from_string(id))
                        .run_at_time(SystemTime::now() + after)
                        .build()
                })
                .collect();
            storage.push_all(stream::iter(tasks)).await.map_err(|e| QueueError::Push(e.to_string()))?;
            promote_due(&mut storage).await?;
        }
        Ok(())
    };
    match tokio::time::timeout(within, push).await {
        Ok(result) => result,
        Err(_) => Err(QueueError::Timeout),
    }
}

/// A Redis connection manager with time-outs longer than redis-rs's 500 ms default, which turns
/// a busy moment into errors that stop apalis workers (STACK.md pitfall 7).
pub async fn connect(url: &str) -> anyhow::Result<ConnectionManager> {
    use anyhow::Context;
    let client = redis::Client::open(url).context("REDIS_URL is not a valid Redis URL")?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(5)))
        .set_response_timeout(Some(Duration::from_secs(5)));
    ConnectionManager::new_with_config(client, config).await.context("connecting to Redis (REDIS_URL)")
}

/// A queue's depth, computed from apalis-redis's keys directly: its own stats calls are broken in
/// 1.0.0 (STACK.md pitfall 5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct QueueStats {
    /// Due now and waiting for a worker.
    pub pending: u64,
    /// Due later (delayed jobs and retries).
    pub scheduled: u64,
    /// Held by a worker.
    pub running: u64,
    pub done: u64,
    pub dead: u64,
    /// Seconds the oldest due job has waited, 0 when none is waiting.
    pub oldest_pending_secs: u64,
}

/// ZCOUNT due, ZCOUNT later, LLEN active, SCARD done, SCARD dead, worker names, oldest due.
type StatsReply = (u64, u64, u64, u64, u64, Vec<String>, Vec<(String, f64)>);

impl Queues {
    /// Every queue's depth, by queue name.
    pub async fn stats(&self) -> Result<[(&'static str, QueueStats); 4], QueueError> {
        Ok([
            (PROCESS_EVENT, stats_for(self.events.clone()).await?),
            (SEND_MESSAGE, stats_for(self.messages.clone()).await?),
            (EMBED_SOURCE, stats_for(self.knowledge.clone()).await?),
            (CONVERSE, stats_for(self.turns.clone()).await?),
        ])
    }
}

async fn stats_for<Args>(mut storage: RedisStorage<Args>) -> Result<QueueStats, QueueError> {
    let cfg = storage.get_config().clone();
    let conn = storage.get_connection();
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let err = |e: redis::RedisError| QueueError::Push(e.to_string());
    let (due, later, active, done, dead, workers, oldest): StatsReply = redis::pipe()
        .cmd("ZCOUNT")
        .arg(cfg.scheduled_jobs_set())
        .arg("-inf")
        .arg(now)
        .cmd("ZCOUNT")
        .arg(cfg.scheduled_jobs_set())
        .arg(format!("({now}"))
        .arg("+inf")
        .cmd("LLEN")
        .arg(cfg.active_jobs_list())
        .cmd("SCARD")
        .arg(cfg.done_jobs_set())
        .cmd("SCARD")
        .arg(cfg.dead_jobs_set())
        .cmd("ZRANGE")
        .arg(cfg.workers_set())
        .arg(0)
        .arg(-1)
        .cmd("ZRANGE")
        .arg(cfg.scheduled_jobs_set())
        .arg(0)
        .arg(0)
        .arg("WITHSCORES")
        .query_async(conn)
        .await
        .map_err(err)?;
    let mut running = 0;
    if !workers.is_empty() {
        let mut pipe = redis::pipe();
        for w in &workers {
            pipe.cmd("SCARD").arg(format!("{}:{w}", cfg.inflight_jobs_set()));
        }
        let counts: Vec<u64> = pipe.query_async(conn).await.map_err(err)?;
        running = counts.iter().sum();
    }
    let oldest_pending_secs = oldest.first().map_or(0, |(_, score)| now.saturating_sub(*score as u64));
    Ok(QueueStats {
        pending: due + active,
        scheduled: later,
        running,
        done,
        dead,
        oldest_pending_secs: if due > 0 { oldest_pending_secs } else { 0 },
    })
}
