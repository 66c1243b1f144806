//! Turning a knowledge source into what retrieval searches: its plain text, the chunks cut from
//! it. Embedding is the provider's (`providers::Embedder`); every chunk records the model, so a
//! query is only compared with chunks of its own model.

use crate::ai::chunk;
use crate::db::knowledge::{Candidate, Hit};

/// Longest chunk, in characters: a few sentences, enough to answer one question.
pub const CHUNK_CHARS: usize = 700;
/// Sentences repeated at the start of the next chunk, so an answer split across a boundary is
/// still found whole in one of them.
pub const OVERLAP_SENTENCES: usize = 1;

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

/// Similarity added to the chunks of a product the customer bought: "how do I use it?" is
/// most likely about what they have.
pub const PURCHASE_BOOST: f64 = 0.08;
/// Relevance against novelty in [`rerank`]: 1 is plain similarity order.
pub const MMR_LAMBDA: f64 = 0.7;

/// Picks `k` of `candidates` by maximal marginal relevance: each next chunk is the one most
/// similar to the question (plus [`PURCHASE_BOOST`] for products the customer bought) and least
/// similar to those already picked, so five near-copies of one paragraph do not crowd out the
/// second fact a reply needs. Scores stay the raw cosine similarity (the threshold reads them).
pub fn rerank(candidates: Vec<Candidate>, bought: &[uuid::Uuid], k: usize) -> Vec<Hit> {
    let relevance = |c: &Candidate| {
        let boost = c.product_id.is_some_and(|p| bought.contains(&p));
        c.hit.score + if boost { PURCHASE_BOOST } else { 0.0 }
    };
    let mut left = candidates;
    let mut picked: Vec<Candidate> = Vec::with_capacity(k);
    while picked.len() < k && !left.is_empty() {
        let value = |c: &Candidate| {
            let redundancy = picked.iter().map(|p| cosine(&c.embedding, &p.embedding)).fold(0.0, f64::max);
            MMR_LAMBDA * relevance(c) - (1.0 - MMR_LAMBDA) * redundancy
        };
        let best = left
            .iter()
            .enumerate()
            .max_by(|(_, a), (_, b)| value(a).total_cmp(&value(b)))
            .map(|(i, _)| i)
            .unwrap_or(0);
        picked.push(left.swap_remove(best));
    }
    picked.into_iter().map(|c| c.hit).collect()
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let (mut dot, mut na, mut nb) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 { 0.0 } else { dot / (na.sqrt() * nb.sqrt()) }
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
    }

    fn candidate(text: &str, score: f64, product: Option<uuid::Uuid>) -> Candidate {
        Candidate {
            hit: Hit {
                chunk_id: uuid::Uuid::new_v4(),
                source_id: uuid::Uuid::new_v4(),
                source_title: "t".into(),
                source_kind: "faq".into(),
                content: text.into(),
                score,
            },
            embedding: crate::ai::embed::hash_embed(text),
            product_id: product,
        }
    }

    #[test]
    fn reranking_prefers_a_new_fact_to_a_near_copy() {
        let soap = "Our lavender soap contains no parabens and lasts six weeks.";
        let copy = "Our lavender soap contains no parabens and lasts six weeks!";
        let shipping = "Orders ship within two days from Lisbon.";
        let picked = rerank(
            vec![candidate(soap, 0.80, None), candidate(copy, 0.79, None), candidate(shipping, 0.60, None)],
            &[],
            2,
        );
        let texts: Vec<&str> = picked.iter().map(|h| h.content.as_str()).collect();
        assert_eq!(texts, [soap, shipping]);
        // Plain similarity order when only one is asked for.
        assert_eq!(
            rerank(vec![candidate(shipping, 0.6, None), candidate(soap, 0.8, None)], &[], 1)[0].content,
            soap
        );
    }

    #[test]
    fn a_product_the_customer_bought_comes_first_among_equals() {
        let bought = uuid::Uuid::new_v4();
        let other = candidate("The rose soap lasts five weeks.", 0.70, Some(uuid::Uuid::new_v4()));
        let theirs = candidate("The lavender soap lasts six weeks.", 0.66, Some(bought));
        let picked = rerank(vec![other, theirs], &[bought], 2);
        assert_eq!(picked[0].content, "The lavender soap lasts six weeks.");
        assert!((picked[0].score - 0.66).abs() < 1e-9, "the stored score stays the raw similarity");
    }
}
