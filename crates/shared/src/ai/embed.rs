//! The local embedder: a hashing n-gram vector with the same dimension as the hosted model, so
//! knowledge search works with no API key and the schema does not change when one is added.
//!
//! Vectors are stored, so the output must never drift: FNV-1a instead of std's randomly seeded
//! hasher, features summed in sorted order, and only `sqrt` (correctly rounded everywhere, unlike
//! `ln`) in the arithmetic, so the same text gives the same bits on every machine and release.
//! Changing anything here means a new [`LOCAL_MODEL`] name and a re-embed.

use super::text::{fold, words};

/// Dimension of every embedding, local or hosted (the `vector(1536)` column).
pub const DIMENSIONS: usize = 1536;

/// The model name stored beside vectors made by [`hash_embed`]; search compares like with like.
pub const LOCAL_MODEL: &str = "local-hash-ngram-v1";

/// Whole words say the most; bigrams keep some word order; character 3-grams let "siparişim"
/// meet "sipariş" and survive typos, but are many per word, so they weigh less each.
const WORD_WEIGHT: f32 = 1.0;
const BIGRAM_WEIGHT: f32 = 0.7;
const TRIGRAM_WEIGHT: f32 = 0.25;

/// 64-bit FNV-1a over a feature kind tag and its bytes.
fn fnv1a(kind: u8, parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    };
    eat(kind);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            eat(b' ');
        }
        part.bytes().for_each(&mut eat);
    }
    h
}

/// Embeds `text` into a unit-length vector of [`DIMENSIONS`] floats; empty text gives zeros.
pub fn hash_embed(text: &str) -> Vec<f32> {
    let folded = fold(text);
    let words = words(&folded);
    let mut features: Vec<(u64, f32)> = Vec::with_capacity(words.len() * 8);
    for (i, word) in words.iter().enumerate() {
        features.push((fnv1a(b'w', &[word]), WORD_WEIGHT));
        if let Some(next) = words.get(i + 1) {
            features.push((fnv1a(b'b', &[word, next]), BIGRAM_WEIGHT));
        }
        let padded: Vec<char> =
            std::iter::once('<').chain(word.chars()).chain(std::iter::once('>')).collect();
        for gram in padded.windows(3) {
            let gram: String = gram.iter().collect();
            features.push((fnv1a(b'c', &[&gram]), TRIGRAM_WEIGHT));
        }
    }
    features.sort_by_key(|(h, _)| *h);

    let mut vector = vec![0.0f32; DIMENSIONS];
    let mut i = 0;
    while i < features.len() {
        let (hash, weight) = features[i];
        let tf = features[i..].iter().take_while(|(h, _)| *h == hash).count();
        // Sublinear term frequency: a word said five times is not five times the topic.
        let value = weight * (tf as f32).sqrt();
        let bucket = (hash % DIMENSIONS as u64) as usize;
        // The top bit picks a sign, so colliding features cancel out on average instead of piling up.
        if hash >> 63 == 1 {
            vector[bucket] -= value;
        } else {
            vector[bucket] += value;
        }
        i += tf;
    }

    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        vector.iter_mut().for_each(|x| *x /= norm);
    }
    vector
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn fnv1a_matches_the_reference_values() {
        // Reference FNV-1a 64 of "a" and "foobar", with our kind tag byte in front stripped by
        // hashing the same bytes through the same loop.
        let plain = |s: &str| {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for b in s.bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
            h
        };
        assert_eq!(plain("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(plain("foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(fnv1a(b'w', &["foobar"]), plain("wfoobar"));
        assert_eq!(fnv1a(b'b', &["a", "b"]), plain("ba b"));
    }

    #[test]
    fn is_deterministic_and_stable() {
        let a = hash_embed("Lavender soap, 250 ml, no parabens.");
        assert_eq!(a, hash_embed("Lavender soap, 250 ml, no parabens."));
        // Pinned so a change to the features or the hash is noticed: stored vectors depend on it.
        // "soap" is one word (weight 1) and four 3-grams "<so" "soa" "oap" "ap>" (0.25 each).
        let nonzero: Vec<(usize, f32)> =
            hash_embed("soap").into_iter().enumerate().filter(|(_, x)| *x != 0.0).collect();
        let (w, g) = (1.0 / 1.25f32.sqrt(), 0.25 / 1.25f32.sqrt());
        let want = [(156, -g), (415, -g), (527, g), (617, -w), (1414, g)];
        assert_eq!(nonzero.len(), want.len(), "{nonzero:?}");
        for ((i, x), (j, y)) in nonzero.iter().zip(want) {
            assert!(*i == j && (x - y).abs() < 1e-6, "{nonzero:?}");
        }
        assert_eq!((fnv1a(b'w', &["soap"]) % DIMENSIONS as u64) as usize, 617);
    }

    #[test]
    fn has_unit_norm_and_the_right_dimension() {
        for text in ["hello", "Where is my order? ¿Dónde está mi pedido?", "kargom nerede 📦"] {
            let v = hash_embed(text);
            assert_eq!(v.len(), DIMENSIONS);
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-5, "{text}: {norm}");
        }
    }

    #[test]
    fn paraphrases_are_closer_than_unrelated_text() {
        let doc = hash_embed("Shipping to Germany takes 3 to 5 business days.");
        let paraphrase = hash_embed("How many days does shipping to Germany take?");
        let unrelated = hash_embed("Our lavender soap is made with organic olive oil.");
        assert!(cosine(&doc, &paraphrase) > cosine(&doc, &unrelated) + 0.1);
    }

    #[test]
    fn case_and_accents_do_not_matter() {
        let a = hash_embed("Crème hydratante");
        let b = hash_embed("creme HYDRATANTE");
        assert!((cosine(&a, &b) - 1.0).abs() < 1e-5);
    }

    #[test]
    fn empty_text_is_a_zero_vector() {
        for text in ["", "   ", "!!! 🙂"] {
            let v = hash_embed(text);
            assert_eq!(v.len(), DIMENSIONS);
            assert!(v.iter().all(|x| *x == 0.0), "{text}");
        }
    }
}
