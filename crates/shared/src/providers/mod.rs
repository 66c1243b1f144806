//! The model providers the conversation manager and the knowledge base call, behind three small
//! traits: a [`Classifier`] (intent), an [`Embedder`] (vectors for retrieval) and a [`Composer`]
//! (the reply). Two implementations: the built-in [`local`] ones, deterministic and offline, and
//! [`openai`], for any OpenAI-compatible endpoint. [`Ai::from_settings`] picks by whether
//! `OPENAI_API_KEY` is set.
//!
//! Whatever a composer writes goes through the same output guardrails
//! (`conversation::check_reply`); a provider is trusted with wording, never with facts.

pub mod local;
pub mod openai;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::ai::intent::Intent;
use crate::config::AiSettings;
use crate::db::knowledge::Hit;

/// Labels a customer's message with an intent and a confidence in 0..=1.
#[async_trait::async_trait]
pub trait Classifier: Send + Sync {
    async fn classify(&self, text: &str) -> Result<(Intent, f32)>;
}

/// Turns texts into vectors of `ai::embed::DIMENSIONS`, one per text, in order.
#[async_trait::async_trait]
pub trait Embedder: Send + Sync {
    /// Recorded on every chunk: a query is only compared with chunks of the same model.
    fn model(&self) -> &str;
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>>;
}

/// Writes the reply to one turn.
#[async_trait::async_trait]
pub trait Composer: Send + Sync {
    async fn compose(&self, brief: &Brief<'_>) -> Result<Draft>;
}

/// Everything a composer may use to write one reply.
#[derive(Debug)]
pub struct Brief<'a> {
    /// The customer's messages of this turn, joined.
    pub question: &'a str,
    /// The customer's language (an ISO 639-1 code), which the reply must be in.
    pub language: &'a str,
    pub store_name: &'a str,
    /// Earlier messages of the conversation, oldest first.
    pub history: &'a [Line],
    /// The rolling summary of what came before `history`.
    pub summary: Option<&'a str>,
    /// What the customer bought and when it arrived, in a sentence or two.
    pub order: Option<&'a str>,
    /// Retrieved knowledge above the similarity threshold, best first: the only facts allowed.
    pub chunks: &'a [Hit],
    /// Set on the one regeneration: what the guardrails rejected in the first draft.
    pub rejected: &'a [String],
}

/// One earlier message.
#[derive(Debug, Clone)]
pub struct Line {
    /// `customer`, `bot` or `agent`.
    pub from: &'static str,
    pub text: String,
}

/// What to do with the conversation after the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Continue,
    Handoff,
    Resolve,
}

/// A composer's structured answer: the action never travels inside the reply text.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub reply: String,
    pub action: Action,
    /// The chunks the reply relies on (only ids that were in the brief are kept).
    pub cited: Vec<uuid::Uuid>,
    /// The rolling summary updated with this turn, when the composer keeps one.
    pub summary: Option<String>,
}

/// The providers one process uses.
#[derive(Clone)]
pub struct Ai {
    pub classifier: Arc<dyn Classifier>,
    pub embedder: Arc<dyn Embedder>,
    pub composer: Arc<dyn Composer>,
}

impl Ai {
    /// The built-in providers: no network, same answers every time.
    pub fn local() -> Self {
        Ai {
            classifier: Arc::new(local::LexicalClassifier),
            embedder: Arc::new(local::HashEmbedder),
            composer: Arc::new(local::ExtractiveComposer),
        }
    }

    /// The hosted model when an API key is set, the local providers otherwise.
    pub fn from_settings(settings: &AiSettings) -> Result<Self> {
        match &settings.api_key {
            None => Ok(Self::local()),
            Some(key) => {
                let hosted = Arc::new(openai::OpenAi::new(settings, key)?);
                Ok(Ai { classifier: hosted.clone(), embedder: hosted.clone(), composer: hosted })
            }
        }
    }

    /// Embeds one text (a question).
    pub async fn embed_one(&self, text: &str) -> Result<Vec<f32>> {
        let mut vectors = self.embedder.embed(&[text.to_owned()]).await?;
        vectors.pop().ok_or_else(|| crate::Error::Provider("the embedder returned no vector".into()))
    }
}

impl std::fmt::Debug for Ai {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ai").field("embedding_model", &self.embedder.model()).finish_non_exhaustive()
    }
}
