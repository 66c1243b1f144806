//! One folded form of text for every keyword list in [`crate::ai`].
//!
//! Customers type "İPTAL", "iptal", "IPTAL" and "ıptal" for the same word, with or without accents,
//! emoji and punctuation. Folding both the message and the keyword lists the same way lets the
//! lists be written naturally ("no más mensajes") and still match whatever the keyboard produced.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lowercases, strips Latin diacritics and reduces everything that is not a letter or digit to
/// single spaces, so keyword matching ignores case, accents, punctuation and emoji.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    for c in text.nfkd() {
        // Only the Latin combining block is dropped: marks of other scripts (Devanagari vowel
        // signs, for instance) are part of the letters and must stay.
        if ('\u{300}'..='\u{36f}').contains(&c) {
            continue;
        }
        let spelled = match c {
            // Dotless ı has no decomposition; folding it to i makes Turkish I/ı/İ/i one letter.
            'ı' => "i",
            'ß' => "ss",
            'æ' | 'Æ' => "ae",
            'œ' | 'Œ' => "oe",
            'ø' | 'Ø' => "o",
            'ł' | 'Ł' => "l",
            'đ' | 'Đ' => "d",
            _ => "",
        };
        if spelled.is_empty() && !c.is_alphanumeric() && !is_combining_mark(c) {
            gap = true;
            continue;
        }
        if gap && !out.is_empty() {
            out.push(' ');
        }
        gap = false;
        if spelled.is_empty() {
            out.extend(c.to_lowercase());
        } else {
            out.push_str(spelled);
        }
    }
    out
}

/// The words of a folded string.
pub fn words(folded: &str) -> Vec<&str> {
    folded.split(' ').filter(|w| !w.is_empty()).collect()
}

#[derive(Debug, Clone, PartialEq)]
enum Word {
    Exact(String),
    Prefix(String),
}

/// A keyword or phrase compiled for whole-word matching against folded words.
///
/// Written as plain text; a trailing `*` on a word matches any word starting with it (Turkish and
/// German glue suffixes on: "sipariş*" finds "siparişim"), and a leading `^` only matches at the
/// start of the message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Phrase {
    words: Vec<Word>,
    anchored: bool,
}

impl Phrase {
    pub(crate) fn new(pattern: &str) -> Phrase {
        let (anchored, pattern) = match pattern.strip_prefix('^') {
            Some(rest) => (true, rest),
            None => (false, pattern),
        };
        let mut words = Vec::new();
        for raw in pattern.split_whitespace() {
            let (stem, prefix) = match raw.strip_suffix('*') {
                Some(stem) => (stem, true),
                None => (raw, false),
            };
            let folded = fold(stem);
            let parts = self::words(&folded);
            let last = parts.len().saturating_sub(1);
            for (i, part) in parts.iter().enumerate() {
                words.push(if prefix && i == last {
                    Word::Prefix((*part).to_owned())
                } else {
                    Word::Exact((*part).to_owned())
                });
            }
        }
        Phrase { words, anchored }
    }

    pub(crate) fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether the phrase occurs in `words` starting exactly at `at`.
    pub(crate) fn matches_at(&self, words: &[&str], at: usize) -> bool {
        if self.words.is_empty() || (self.anchored && at != 0) || at + self.words.len() > words.len() {
            return false;
        }
        self.words.iter().zip(&words[at..]).all(|(want, got)| match want {
            Word::Exact(w) => w == got,
            Word::Prefix(p) => got.starts_with(p.as_str()),
        })
    }

    /// The first position where the phrase occurs in `words`.
    pub(crate) fn find(&self, words: &[&str]) -> Option<usize> {
        (0..words.len()).find(|&at| self.matches_at(words, at))
    }
}

/// Compiles a list of phrases written one after another, separated by `|` or line breaks.
pub(crate) fn phrases(list: &str) -> Vec<Phrase> {
    list.split(['|', '\n']).map(str::trim).filter(|p| !p.is_empty()).map(Phrase::new).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_accents_punctuation_and_emoji() {
        assert_eq!(fold("¡No MÁS mensajes, por favor! 🙏"), "no mas mensajes por favor");
        assert_eq!(fold("Arrêt."), "arret");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("  don't\tstop  "), "don t stop");
    }

    #[test]
    fn turkish_dotted_and_dotless_i_fold_together() {
        for word in ["İPTAL", "IPTAL", "ıptal", "iptal", "İptal"] {
            assert_eq!(fold(word), "iptal", "{word}");
        }
        assert_eq!(fold("ABONELİKTEN ÇIK"), "abonelikten cik");
    }

    #[test]
    fn keeps_non_latin_letters_with_their_marks() {
        assert_eq!(fold("बंद करो!"), "बंद करो");
    }

    #[test]
    fn phrases_match_whole_words_prefixes_and_anchors() {
        let text = fold("Hello, where is siparişim?");
        let w = words(&text);
        assert_eq!(Phrase::new("where is").find(&w), Some(1));
        assert_eq!(Phrase::new("sipariş*").find(&w), Some(3));
        assert_eq!(Phrase::new("sipariş").find(&w), None);
        assert_eq!(Phrase::new("here").find(&w), None);
        assert_eq!(Phrase::new("^hello").find(&w), Some(0));
        assert_eq!(Phrase::new("^where").find(&w), None);
        assert_eq!(phrases(" a b |c\n d* |\n").len(), 3);
    }
}
