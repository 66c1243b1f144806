//! The built-in providers, used when no model API key is set: the lexical intent classifier, the
//! hashing n-gram embedder and an extractive composer. The composer never writes a sentence of
//! its own: it quotes the sentences of the best chunk that share the most words with the
//! question, so a reply says nothing the merchant's texts do not.

use super::{Action, Brief, Classifier, Composer, Draft, Embedder};
use crate::Result;
use crate::ai::intent::{self, Intent};
use crate::ai::{embed, text};

pub struct LexicalClassifier;

#[async_trait::async_trait]
impl Classifier for LexicalClassifier {
    async fn classify(&self, text: &str) -> Result<(Intent, f32)> {
        Ok(intent::classify_local(text))
    }
}

pub struct HashEmbedder;

#[async_trait::async_trait]
impl Embedder for HashEmbedder {
    fn model(&self) -> &str {
        embed::LOCAL_MODEL
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        Ok(texts.iter().map(|t| embed::hash_embed(t)).collect())
    }
}

pub struct ExtractiveComposer;

#[async_trait::async_trait]
impl Composer for ExtractiveComposer {
    async fn compose(&self, brief: &Brief<'_>) -> Result<Draft> {
        // The caller only asks with at least one chunk; without one there is nothing to quote.
        let Some(best) = brief.chunks.first() else {
            return Ok(Draft {
                reply: String::new(),
                action: Action::Handoff,
                cited: Vec::new(),
                summary: None,
            });
        };
        Ok(Draft {
            reply: compose(brief.question, &best.content),
            action: Action::Continue,
            cited: vec![best.chunk_id],
            summary: None,
        })
    }
}

/// A word without a plural or third-person `s`, so "contain" meets "contains".
fn stem(word: &str) -> &str {
    if word.chars().count() > 4 { word.strip_suffix('s').unwrap_or(word) } else { word }
}

/// The sentences of `chunk` that share the most words with `question`, at most two, in their
/// original order: an answer made only of the merchant's own words.
pub fn compose(question: &str, chunk: &str) -> String {
    let folded_question = text::fold(question);
    let asked: std::collections::HashSet<&str> =
        text::words(&folded_question).into_iter().filter(|w| w.chars().count() > 2).map(stem).collect();
    let sentences = crate::ai::chunk::sentences(chunk);
    let mut scored: Vec<(usize, usize)> = sentences
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let folded = text::fold(s);
            (i, text::words(&folded).into_iter().filter(|w| asked.contains(stem(w))).count())
        })
        .collect();
    scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut chosen: Vec<usize> = scored.iter().take(2).filter(|(_, n)| *n > 0).map(|(i, _)| *i).collect();
    if chosen.is_empty() {
        chosen.push(0);
    }
    chosen.sort_unstable();
    chosen.iter().filter_map(|i| sentences.get(*i)).cloned().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_composer_keeps_the_sentences_that_answer() {
        let chunk =
            "Our lavender soap is made with olive oil. It contains no parabens. One bar lasts six weeks.";
        assert_eq!(compose("Do you use parabens?", chunk), "It contains no parabens.");
        assert_eq!(
            compose("Does the soap contain parabens?", chunk),
            "Our lavender soap is made with olive oil. It contains no parabens."
        );
        assert_eq!(
            compose("how long does one bar of lavender soap last", chunk),
            "Our lavender soap is made with olive oil. One bar lasts six weeks."
        );
        assert_eq!(compose("xyz", chunk), "Our lavender soap is made with olive oil.");
    }
}
