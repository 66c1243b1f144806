//! The conversation manager's pure parts: consent commands, intent, embeddings, chunking and
//! guardrails. No database, no network and no clock in here, so every decision the manager takes
//! from text can be replayed and tested on its own. The local intent classifier and embedder here
//! are what runs when no model API key is set; clients for a hosted model do not belong here.

pub mod chunk;
pub mod embed;
pub mod guard;
pub mod intent;
mod lexicon;
pub mod optout;
pub mod text;

#[cfg(test)]
mod tests {
    use super::*;

    /// Customer text is arbitrary: none of the pure parts may panic on it.
    #[test]
    fn odd_input_never_panics() {
        let long_digits = "9".repeat(400);
        let odd = [
            "",
            "\0",
            "<",
            "&",
            "&#xFFFFFFFF;",
            "&#0;",
            "<!--",
            "<script>",
            "</",
            "<a href='",
            "₺",
            "%",
            "$",
            "%%",
            "İ\u{307}\u{307}",
            "\u{301}",
            "👨‍👩‍👧‍👦",
            "مرحبا بك",
            "日本語のテキスト。",
            &long_digits,
            "1.2.3.4.5.6.7.8",
            "http://",
            "www.",
            "\"\"",
            "“",
            "a\r\nb\r\n",
            "e.g.",
            "...",
            "。。。",
        ];
        let allowed = guard::Allowed::default();
        for text in odd {
            let _ = optout::consent_command(text);
            let (_, confidence) = intent::classify_local(text);
            assert!((0.0..=1.0).contains(&confidence));
            assert!((0.0..=1.0).contains(&intent::negative_sentiment(text)));
            assert_eq!(embed::hash_embed(text).len(), embed::DIMENSIONS);
            for piece in chunk::chunk(text, 5, 2) {
                assert!(piece.chars().count() <= 5, "{text:?} -> {piece:?}");
            }
            let _ = chunk::html_to_text(text);
            let _ = chunk::markdown_to_text(text);
            let _ = guard::injection(text);
            let _ = guard::unbacked_claims(text, &allowed);
            let _ = guard::medical_or_legal(text);
            let _ = guard::same_language(text, text);
            let _ = guard::mentions_other_phone(text, "");
        }
    }
}
