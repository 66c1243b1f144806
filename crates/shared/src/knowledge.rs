//! Turning a knowledge source into what retrieval searches: its plain text, the chunks cut from
//! it and their embeddings. The embedding model is the built-in hashing embedder
//! (`ai::embed`); every chunk records the model, so a query is only compared with chunks of
//! its own model.

use crate::ai::{chunk, embed};

/// Longest chunk, in characters: a few sentences, enough to answer one question.
pub const CHUNK_CHARS: usize = 700;
/// Sentences repeated at the start of the next chunk, so an answer split across a boundary is
/// still found whole in one of them.
pub const OVERLAP_SENTENCES: usize = 1;

/// The model this build embeds with.
pub fn model() -> &'static str {
    embed::LOCAL_MODEL
}

/// The plain text of a source's content in `format` (text, markdown or html).
pub fn plain_text(format: &str, content: &str) -> String {
    match format {
        "markdown" => chunk::markdown_to_text(content),
        "html" => chunk::html_to_text(content),
        _ => content.trim().to_owned(),
    }
}

/// The chunks of a source's plain text.
pub fn chunks(text: &str) -> Vec<String> {
    chunk::chunk(text, CHUNK_CHARS, OVERLAP_SENTENCES)
}

/// Embeds texts (chunks) with [`model`].
pub fn embed(texts: &[String]) -> Vec<Vec<f32>> {
    texts.iter().map(|t| embed::hash_embed(t)).collect()
}

/// Embeds one text (a question) with [`model`].
pub fn embed_one(text: &str) -> Vec<f32> {
    embed::hash_embed(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_become_plain_text_and_chunks_carry_one_sentence_over() {
        assert_eq!(plain_text("html", "<p>Soap&amp;water</p>").trim(), "Soap&water");
        assert!(!plain_text("markdown", "# Title\n\n**Bold** text").contains('#'));
        let text = (0..40)
            .map(|i| format!("Sentence number {i} says something useful."))
            .collect::<Vec<_>>()
            .join(" ");
        let parts = chunks(&text);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|c| c.chars().count() <= CHUNK_CHARS));
        let last_of_first = parts[0].rsplit(". ").next().unwrap_or_default().trim_end_matches('.');
        assert!(parts[1].contains(last_of_first), "{:?}", &parts[..2]);
        assert_eq!(embed(&parts[..1])[0].len(), embed::DIMENSIONS);
    }
}
