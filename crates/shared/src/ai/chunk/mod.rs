//! Knowledge documents to chunks: plain text out of HTML and Markdown, sentence-aware packing
//! with overlap, and the content hash that makes re-ingesting unchanged content free.
//!
//! Chunks are what retrieval returns and the reply cites, so they end on sentence boundaries:
//! a chunk cut mid-sentence answers half a question. The overlap carries the last sentences of a
//! chunk into the next, so a fact stated across the cut is still found whole in one of them.

mod markup;

pub use markup::{html_to_text, markdown_to_text};

/// Words before a full stop that do not end a sentence ("e.g. soap", "Dr. Ayşe", "z.B. Seife").
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "eg", "ie", "dr", "mr", "mrs", "ms", "prof", "st", "vs", "approx", "incl", "ca", "cf",
    "fig", "jr", "sr", "sra", "dra", "z.b", "bzw", "d.h", "p.ex", "nr", "vol",
];

fn is_terminal(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…' | '。' | '！' | '？' | '।' | '؟')
}

fn is_closing(c: char) -> bool {
    matches!(c, '"' | '\'' | '”' | '’' | '»' | ')' | ']' | '」' | '』')
}

/// Whether the text before a full stop ends with an abbreviation or an initial.
fn ends_with_abbreviation(before: &str) -> bool {
    let word = before.rsplit(char::is_whitespace).next().unwrap_or("");
    let word = word.trim_start_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    let single_letter = word.chars().count() == 1 && word.chars().all(char::is_alphabetic);
    single_letter || ABBREVIATIONS.contains(&word.as_str())
}

/// Splits one line into sentences.
fn split_line(line: &str, out: &mut Vec<String>) {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut start = 0;
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        if !is_terminal(c) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < chars.len() && (is_terminal(chars[j].1) || is_closing(chars[j].1)) {
            j += 1;
        }
        let end = chars.get(j).map_or(line.len(), |(p, _)| *p);
        let boundary = match chars.get(j) {
            None => true,
            // CJK full stops are not followed by a space.
            Some(_) if matches!(c, '。' | '！' | '？') => true,
            // "4.5", "example.com", "e.g" mid-word.
            Some((_, next)) if !next.is_whitespace() => false,
            Some(_) if c == '.' && j == i + 1 && ends_with_abbreviation(&line[start..pos]) => false,
            // A lower-case word after a stop is a continuation ("approx. ten days").
            Some(_) => !chars[j..]
                .iter()
                .map(|(_, c)| *c)
                .find(|c| !c.is_whitespace())
                .is_some_and(char::is_lowercase),
        };
        if boundary {
            push_trimmed(&line[start..end], out);
            start = end;
        }
        i = j;
    }
    push_trimmed(&line[start..], out);
}

fn push_trimmed(s: &str, out: &mut Vec<String>) {
    let s = s.trim();
    if !s.is_empty() {
        out.push(s.to_owned());
    }
}

/// Sentences of `text`. Every line break ends a sentence too: ingested lists and spec tables
/// ("Size: 250 ml") rarely end in punctuation.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        split_line(line, &mut out);
    }
    out
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Cuts a sentence longer than `max` at spaces (and a word longer than `max` anywhere).
fn split_long(sentence: &str, max: usize, out: &mut Vec<String>) {
    let mut current = String::new();
    let mut len = 0;
    for word in sentence.split_whitespace() {
        let wlen = char_len(word);
        if len > 0 && len + 1 + wlen > max {
            out.push(std::mem::take(&mut current));
            len = 0;
        }
        if wlen > max {
            let chars: Vec<char> = word.chars().collect();
            for piece in chars.chunks(max) {
                out.push(piece.iter().collect());
            }
            continue;
        }
        if len > 0 {
            current.push(' ');
            len += 1;
        }
        current.push_str(word);
        len += wlen;
    }
    if len > 0 {
        out.push(current);
    }
}

/// Splits `text` into chunks of at most `max_chars` characters on sentence boundaries, each chunk
/// starting with the last `overlap_sentences` sentences of the one before (as far as they fit).
pub fn chunk(text: &str, max_chars: usize, overlap_sentences: usize) -> Vec<String> {
    let max = max_chars.max(1);
    let mut units = Vec::new();
    for sentence in sentences(text) {
        if char_len(&sentence) > max {
            split_long(&sentence, max, &mut units);
        } else {
            units.push(sentence);
        }
    }
    let joined_len =
        |parts: &[&str]| parts.iter().map(|p| char_len(p)).sum::<usize>() + parts.len().saturating_sub(1);

    let mut chunks = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for unit in &units {
        let ulen = char_len(unit);
        if !current.is_empty() && joined_len(&current) + 1 + ulen > max {
            chunks.push(current.join(" "));
            let keep = overlap_sentences.min(current.len());
            current.drain(..current.len() - keep);
            // Overlap is a nicety; the size limit is not.
            while !current.is_empty() && joined_len(&current) + 1 + ulen > max {
                current.remove(0);
            }
        }
        current.push(unit);
    }
    if !current.is_empty() {
        chunks.push(current.join(" "));
    }
    chunks
}

/// SHA-256 of the text a source was chunked from; equal hashes mean re-ingesting can be skipped.
pub fn content_hash(text: &str) -> [u8; 32] {
    crate::crypto::sha256(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sentences_but_not_abbreviations_or_decimals() {
        let text = "Use a small amount, e.g. one pump. Rated 4.5 by Dr. Smith! Is it vegan? Yes.\n\
                    Ships in approx. ten days. See shop.example.com for more";
        assert_eq!(
            sentences(text),
            vec![
                "Use a small amount, e.g. one pump.",
                "Rated 4.5 by Dr. Smith!",
                "Is it vegan?",
                "Yes.",
                "Ships in approx. ten days.",
                "See shop.example.com for more",
            ]
        );
        assert_eq!(sentences("他说：“好。”然后走了。再见！"), vec!["他说：“好。”", "然后走了。", "再见！"]);
        assert_eq!(sentences("Size: 250 ml\n\nPrice: 12 EUR"), vec!["Size: 250 ml", "Price: 12 EUR"]);
    }

    #[test]
    fn packs_sentences_with_overlap_and_respects_the_limit() {
        let text = "One is first. Two is second. Three is third. Four is fourth.";
        let chunks = chunk(text, 31, 1);
        assert_eq!(
            chunks,
            vec![
                "One is first. Two is second.",
                "Two is second. Three is third.",
                "Three is third. Four is fourth."
            ]
        );
        assert_eq!(
            chunk(text, 31, 0),
            vec!["One is first. Two is second.", "Three is third. Four is fourth."]
        );
        assert_eq!(chunk(text, 1000, 2), vec![text]);
    }

    #[test]
    fn overlap_is_dropped_before_the_limit_is_broken() {
        let text = "Short one. This second sentence is much longer than the first.";
        for c in chunk(text, 50, 3) {
            assert!(c.chars().count() <= 50, "{c}");
        }
    }

    #[test]
    fn long_sentences_are_cut_at_spaces_and_nothing_is_lost() {
        let long = "word ".repeat(40);
        let chunks = chunk(&format!("{long}. Tail."), 24, 0);
        assert!(chunks.iter().all(|c| c.chars().count() <= 24), "{chunks:?}");
        let words: usize = chunks.iter().map(|c| c.matches("word").count()).sum();
        assert_eq!(words, 40);
        assert_eq!(chunk(&"x".repeat(10), 4, 0), vec!["xxxx", "xxxx", "xx"]);
        assert!(chunk("", 100, 1).is_empty());
        assert!(chunk(" \n\n ", 100, 1).is_empty());
    }

    #[test]
    fn content_hash_is_sha256_of_the_text() {
        assert_eq!(
            hex::encode(content_hash("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(content_hash("a"), content_hash("a "));
    }
}
