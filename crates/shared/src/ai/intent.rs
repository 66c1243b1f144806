//! What a customer's message is about: the labels the conversation manager branches on, and the
//! local lexical classifier used when no model is configured.
//!
//! The classifier sums the weights of the phrases of each intent found in the folded message (see
//! [`super::lexicon`]) and picks the highest. It is meant to be right on the short, plain messages
//! most customers send, in the languages the merchants' customers write in, and to say when it is
//! unsure: the confidence lets the caller ask a model, or a person, instead.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::lexicon;
use super::text::{Phrase, fold, words};

/// The intent labels; their snake_case names are the API's and the stored values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    ProductQuestion,
    OrderStatus,
    Complaint,
    ReturnRefund,
    ReviewFeedback,
    Reorder,
    Thanks,
    Smalltalk,
    HumanRequest,
    Other,
}

impl Intent {
    /// Every label, for API docs and exhaustive tests.
    pub const ALL: [Intent; 10] = [
        Intent::ProductQuestion,
        Intent::OrderStatus,
        Intent::Complaint,
        Intent::ReturnRefund,
        Intent::ReviewFeedback,
        Intent::Reorder,
        Intent::Thanks,
        Intent::Smalltalk,
        Intent::HumanRequest,
        Intent::Other,
    ];

    /// The label as stored and sent over the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::ProductQuestion => "product_question",
            Intent::OrderStatus => "order_status",
            Intent::Complaint => "complaint",
            Intent::ReturnRefund => "return_refund",
            Intent::ReviewFeedback => "review_feedback",
            Intent::Reorder => "reorder",
            Intent::Thanks => "thanks",
            Intent::Smalltalk => "smalltalk",
            Intent::HumanRequest => "human_request",
            Intent::Other => "other",
        }
    }
}

/// Confidence reported for `Other` when no phrase matched at all.
const NO_MATCH_CONFIDENCE: f32 = 0.1;

/// A [`negative_sentiment`] at or above this is strong enough to hand the conversation to a person.
pub const STRONG_NEGATIVE: f32 = 0.6;

type Weighted = Vec<(Phrase, f32)>;

/// Parses `weight: phrase | phrase` lines; returns the lines it could not read beside the rest, so
/// a typo in a list shows up in a test rather than as a silently shorter list.
fn parse(src: &str) -> (Weighted, Vec<&str>) {
    let mut entries: Weighted = Vec::new();
    let mut bad = Vec::new();
    for line in src.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let parsed = line.split_once(':').and_then(|(w, rest)| Some((w.trim().parse::<f32>().ok()?, rest)));
        let Some((weight, rest)) = parsed else {
            bad.push(line);
            continue;
        };
        for pattern in rest.split('|').map(str::trim).filter(|p| !p.is_empty()) {
            let phrase = Phrase::new(pattern);
            // The same phrase listed twice (a word shared by two languages) counts once.
            match entries.iter_mut().find(|(p, _)| *p == phrase) {
                Some(entry) => entry.1 = entry.1.max(weight),
                None => entries.push((phrase, weight)),
            }
        }
    }
    (entries, bad)
}

/// Intents in tie-break order: on equal scores the label whose miss costs more (a person should
/// have seen it) wins.
const SOURCES: [(Intent, &str); 9] = [
    (Intent::HumanRequest, lexicon::HUMAN_REQUEST),
    (Intent::ReturnRefund, lexicon::RETURN_REFUND),
    (Intent::Complaint, lexicon::COMPLAINT),
    (Intent::OrderStatus, lexicon::ORDER_STATUS),
    (Intent::Reorder, lexicon::REORDER),
    (Intent::ProductQuestion, lexicon::PRODUCT_QUESTION),
    (Intent::ReviewFeedback, lexicon::REVIEW_FEEDBACK),
    (Intent::Thanks, lexicon::THANKS),
    (Intent::Smalltalk, lexicon::SMALLTALK),
];

static INTENTS: LazyLock<Vec<(Intent, Weighted)>> =
    LazyLock::new(|| SOURCES.iter().map(|(intent, src)| (*intent, parse(src).0)).collect());

static NEGATIVE: LazyLock<Weighted> = LazyLock::new(|| parse(lexicon::NEGATIVE).0);

fn score(entries: &Weighted, words: &[&str]) -> f32 {
    entries.iter().filter(|(p, _)| p.find(words).is_some()).map(|(_, w)| w).sum()
}

/// Classifies a message without a model; returns the intent and a confidence in `0..=1`.
///
/// Confidence grows with the winning score (one weak word is not much evidence) and with its
/// margin over the runner-up (two intents scoring alike means the message is mixed). A message
/// with no known phrase is `Other` at 0.1.
pub fn classify_local(text: &str) -> (Intent, f32) {
    let folded = fold(text);
    let words = words(&folded);
    let (mut best, mut top, mut second) = (Intent::Other, 0.0f32, 0.0f32);
    for (intent, entries) in INTENTS.iter() {
        let s = score(entries, &words);
        if s > top {
            (best, top, second) = (*intent, s, top);
        } else if s > second {
            second = s;
        }
    }
    if top <= 0.0 {
        return (Intent::Other, NO_MATCH_CONFIDENCE);
    }
    let strength = top / (top + 2.0);
    let margin = (top - second) / top;
    (best, (strength * (0.5 + 0.5 * margin)).clamp(0.0, 1.0))
}

/// Words that turn the next one around: "not bad" is no complaint.
const NEGATORS: &[&str] = &["not", "no", "t", "nicht", "nao", "kein", "never"];

/// How upset a message sounds, from 0 (calm) to 1, from a small multilingual lexicon; see
/// [`STRONG_NEGATIVE`] for the hand-off threshold.
pub fn negative_sentiment(text: &str) -> f32 {
    let folded = fold(text);
    let words = words(&folded);
    let mut sum = 0.0f32;
    for (phrase, weight) in NEGATIVE.iter() {
        let Some(at) = phrase.find(&words) else { continue };
        let before = at.checked_sub(1).and_then(|i| words.get(i));
        let after = words.get(at + phrase.len());
        // Turkish negates after the word: "kötü değil" is "not bad".
        if before.is_some_and(|w| NEGATORS.contains(w)) || after.is_some_and(|w| *w == "degil") {
            continue;
        }
        sum += weight;
    }
    if sum > 0.0 {
        // Shouting and "!!" make the same words angrier, but are no complaint on their own.
        let letters = text.chars().filter(|c| c.is_alphabetic()).count();
        let upper = text.chars().filter(|c| c.is_uppercase()).count();
        if letters >= 8 && upper * 10 >= letters * 7 {
            sum += 0.5;
        }
        if text.contains("!!") || text.contains("?!") {
            sum += 0.25;
        }
    }
    sum / (sum + 1.0)
}

#[cfg(test)]
mod tests {
    use super::Intent::*;
    use super::*;

    #[test]
    fn every_lexicon_line_parses() {
        for (intent, src) in SOURCES.iter() {
            let (entries, bad) = parse(src);
            assert!(bad.is_empty(), "{intent:?}: {bad:?}");
            assert!(entries.len() >= 20, "{intent:?} has only {} phrases", entries.len());
        }
        assert!(parse(lexicon::NEGATIVE).1.is_empty());
        assert_eq!(parse("x: a\n2: b | c").1, vec!["x: a"]);
    }

    #[test]
    fn labels_serialize_as_snake_case() {
        for intent in Intent::ALL {
            assert_eq!(serde_json::to_value(intent).ok(), Some(serde_json::json!(intent.as_str())));
        }
        assert_eq!(serde_json::from_str::<Intent>("\"human_request\"").ok(), Some(HumanRequest));
    }

    #[test]
    fn classifies_examples_in_many_languages() {
        let cases = [
            ("does the lavender soap contain parabens?", ProductQuestion),
            ("¿Cómo se usa el sérum?", ProductQuestion),
            ("bu krem hassas cilt için uygun mu?", ProductQuestion),
            ("Welche Inhaltsstoffe hat die Seife?", ProductQuestion),
            ("c'est quoi la composition ?", ProductQuestion),
            ("is it in stock in size M", ProductQuestion),
            ("where is my order?", OrderStatus),
            ("¿dónde está mi pedido?", OrderStatus),
            ("kargom nerede", OrderStatus),
            ("Où est ma commande ?", OrderStatus),
            ("mera order kab aayega", OrderStatus),
            ("this is broken and terrible", Complaint),
            ("el producto llegó roto", Complaint),
            ("ürün bozuk geldi, rezalet", Complaint),
            ("Die Flasche war kaputt", Complaint),
            ("este es el peor servicio, es una estafa", Complaint),
            ("I want a refund", ReturnRefund),
            ("quiero un reembolso", ReturnRefund),
            ("iade etmek istiyorum", ReturnRefund),
            ("je veux être remboursé", ReturnRefund),
            ("paise wapas chahiye", ReturnRefund),
            ("Siparişimi iptal etmek istiyorum", ReturnRefund),
            ("loved it, 5 stars", ReviewFeedback),
            ("me encantó, lo recomiendo", ReviewFeedback),
            ("çok beğendim, harika", ReviewFeedback),
            ("bahut accha product, pasand aaya", ReviewFeedback),
            ("I'd like to order again", Reorder),
            ("quero pedir de novo", Reorder),
            ("tekrar sipariş vermek istiyorum", Reorder),
            ("ich möchte nachbestellen", Reorder),
            ("thank you!", Thanks),
            ("teşekkürler", Thanks),
            ("gracias", Thanks),
            ("merci beaucoup", Thanks),
            ("hi how are you", Smalltalk),
            ("hola, ¿qué tal?", Smalltalk),
            ("merhaba nasılsın", Smalltalk),
            ("can I talk to a human", HumanRequest),
            ("insan ile görüşmek istiyorum", HumanRequest),
            ("quiero hablar con alguien, una persona real", HumanRequest),
            ("je veux parler à quelqu'un", HumanRequest),
            ("kisi se baat karni hai", HumanRequest),
        ];
        for (text, want) in cases {
            let (got, confidence) = classify_local(text);
            assert_eq!(got, want, "{text}");
            assert!((0.3..=1.0).contains(&confidence), "{text}: {confidence}");
        }
    }

    #[test]
    fn stronger_intent_wins_over_greetings_and_thanks() {
        assert_eq!(classify_local("Hi! Where is my order? Thanks").0, OrderStatus);
        assert_eq!(classify_local("hello, the cream is broken").0, Complaint);
    }

    #[test]
    fn nothing_known_is_other_with_low_confidence() {
        assert_eq!(classify_local("asdf qwerty"), (Other, NO_MATCH_CONFIDENCE));
        assert_eq!(classify_local(""), (Other, NO_MATCH_CONFIDENCE));
        assert_eq!(classify_local("🙂🙂"), (Other, NO_MATCH_CONFIDENCE));
    }

    #[test]
    fn confidence_falls_when_the_message_is_mixed() {
        let (_, clear) = classify_local("where is my order");
        let (_, mixed) = classify_local("where is my order, I want a refund");
        assert!(mixed < clear, "{mixed} < {clear}");
    }

    #[test]
    fn negative_sentiment_separates_anger_from_calm() {
        for text in
            ["this is a scam, worst shop ever", "REZALET, berbat bir ürün", "¡Estafa! nunca más compro aquí"]
        {
            let s = negative_sentiment(text);
            assert!(s >= STRONG_NEGATIVE, "{text}: {s}");
        }
        for text in ["where is my order?", "thanks, lovely soap", "not bad at all", "kötü değil"] {
            let s = negative_sentiment(text);
            assert!(s < 0.3, "{text}: {s}");
        }
        assert!(negative_sentiment("this is terrible") < negative_sentiment("THIS IS TERRIBLE!!"));
        assert!((0.0..=1.0).contains(&negative_sentiment("scam scam fraud worst furious!!! ANGRY")));
    }
}
