//! Guardrails: checks on the customer's message before a reply is generated and on the reply
//! before it is sent. Each is pure and returns why it objects, so the verdict can be stored on
//! the message and the reply regenerated, replaced by a safe fallback or handed to a person.
//!
//! The lists err towards letting ordinary messages through: a false alarm costs a regeneration
//! or a hand-off, and the model's own instructions are the first line of defence, not these.

mod advice;
mod claims;
mod injection;

use std::sync::LazyLock;

use regex::Regex;

pub use advice::medical_or_legal;
pub use claims::{Allowed, prices_in, unbacked_claims, urls_in};
pub use injection::injection;

/// WhatsApp refuses text bodies longer than this.
pub const WHATSAPP_TEXT_LIMIT: usize = 4096;

/// The house limit for bot replies, far under WhatsApp's: a wall of text on a phone reads as a
/// form letter, and a long answer is usually one that the knowledge did not really back.
pub const MAX_REPLY_CHARS: usize = 1000;

/// Whether a reply is over the house length limit for bot replies ([`MAX_REPLY_CHARS`]).
pub fn too_long(reply: &str) -> bool {
    reply.chars().count() > MAX_REPLY_CHARS
}

/// Below this many letters language detection is a guess ("ok", "kargom nerede").
const MIN_LANGUAGE_LETTERS: usize = 20;
/// whatlang's own "reliable" bar (0.9) turns down plain Spanish next to Portuguese; below 0.4 its
/// answers are noise (Hindi in Latin script comes out as Indonesian or Afrikaans at under 0.1).
const MIN_LANGUAGE_CONFIDENCE: f64 = 0.4;

/// whatlang's ISO 639-3 codes with their ISO 639-1 equivalents.
const ISO_639_3_TO_1: &str = "eng:en spa:es por:pt tur:tr deu:de fra:fr hin:hi ita:it nld:nl rus:ru ukr:uk \
    pol:pl ara:ar heb:he cmn:zh jpn:ja kor:ko ind:id vie:vi tha:th ben:bn urd:ur pes:fa ell:el ces:cs slk:sk \
    hun:hu ron:ro bul:bg hrv:hr srp:sr slv:sl dan:da swe:sv nob:nb fin:fi est:et lav:lv lit:lt cat:ca aze:az \
    uzb:uz tam:ta tel:te mar:mr guj:gu pan:pa kan:kn mal:ml afr:af tgl:tl epo:eo lat:la kat:ka hye:hy bel:be \
    mkd:mk cym:cy zul:zu jav:jv nep:ne sin:si khm:km mya:my amh:am yid:yi ori:or tuk:tk aka:ak sna:sn";

fn iso639_1(code3: &str) -> Option<&'static str> {
    ISO_639_3_TO_1
        .split_whitespace()
        .filter_map(|pair| pair.split_once(':'))
        .find(|(three, _)| *three == code3)
        .map(|(_, two)| two)
}

/// The language of `text` as an ISO 639-1 code, when the text is long enough to tell reliably.
pub fn language_of(text: &str) -> Option<&'static str> {
    if text.chars().filter(|c| c.is_alphabetic()).count() < MIN_LANGUAGE_LETTERS {
        return None;
    }
    let info = whatlang::detect(text)?;
    if info.confidence() < MIN_LANGUAGE_CONFIDENCE {
        return None;
    }
    iso639_1(info.lang().code())
}

/// Whether a reply is in the customer's language; true when either is too short to tell.
pub fn same_language(customer: &str, reply: &str) -> bool {
    match (language_of(customer), language_of(reply)) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

static PHONE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\+?\(?\d(?:[\s.\-()]{0,2}\d){6,}").ok());
static DATE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$").ok());

/// Whether a reply contains a phone number (7 to 15 digits) other than the customer's own, which
/// would be someone else's data or an invented contact.
pub fn mentions_other_phone(reply: &str, customer_phone_e164_digits: &str) -> bool {
    let Some(phone) = PHONE.as_ref() else { return true };
    let own: String = customer_phone_e164_digits.chars().filter(char::is_ascii_digit).collect();
    let prices = claims::price_spans(reply);
    phone.find_iter(reply).any(|m| {
        let digits: String = m.as_str().chars().filter(char::is_ascii_digit).collect();
        let glued = reply[..m.start()].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '#')
            || reply[m.end()..].chars().next().is_some_and(char::is_alphanumeric);
        let is_date = DATE.as_ref().is_some_and(|d| d.is_match(m.as_str().trim()));
        let is_price = prices.iter().any(|p| p.start < m.end() && m.start() < p.end);
        // Local forms of the customer's number ("0532 ...", "00 90 532 ...") end the E.164 digits.
        let local = digits.trim_start_matches('0');
        let is_own = local.len() >= 7 && own.ends_with(local);
        (7..=15).contains(&digits.len()) && !glued && !is_date && !is_price && !is_own
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_limit_is_the_house_one() {
        assert!(!too_long(&"a".repeat(MAX_REPLY_CHARS)));
        assert!(too_long(&"a".repeat(MAX_REPLY_CHARS + 1)));
        assert!(!too_long(&"ş".repeat(MAX_REPLY_CHARS)), "counts characters, not bytes");
        const { assert!(MAX_REPLY_CHARS < WHATSAPP_TEXT_LIMIT) };
    }

    #[test]
    fn detects_languages_of_long_enough_texts() {
        assert_eq!(
            language_of("Your order has been shipped and should arrive within three days."),
            Some("en")
        );
        assert_eq!(language_of("Tu pedido ha sido enviado y debería llegar en tres días."), Some("es"));
        assert_eq!(
            language_of("Siparişiniz kargoya verildi ve üç gün içinde ulaşması bekleniyor."),
            Some("tr")
        );
        assert_eq!(
            language_of("Ihre Bestellung wurde versandt und sollte in drei Tagen ankommen."),
            Some("de")
        );
        assert_eq!(language_of("bhai mujhe refund chahiye, product bilkul bekar nikla hai yaar"), None);
        assert_eq!(language_of("ok"), None);
        assert_eq!(language_of(""), None);
    }

    #[test]
    fn every_whatlang_language_has_a_two_letter_code() {
        for lang in whatlang::Lang::all() {
            assert!(iso639_1(lang.code()).is_some_and(|c| c.len() == 2), "{lang:?}");
        }
    }

    #[test]
    fn same_language_is_lenient_on_short_texts() {
        let en = "Your order has been shipped and should arrive within three days.";
        let es = "Tu pedido ha sido enviado y debería llegar en tres días.";
        assert!(!same_language("¿Dónde está mi pedido? Lo compré hace dos semanas.", en));
        assert!(same_language("¿Dónde está mi pedido? Lo compré hace dos semanas.", es));
        assert!(same_language("kargom nerede", en));
        assert!(same_language("hi", es));
        assert!(same_language("mera order kab aayega, bahut din ho gaye, jaldi batao please", en));
    }

    #[test]
    fn phone_numbers_other_than_the_customers_are_flagged() {
        let own = "905321234567";
        assert!(mentions_other_phone("Call us at +90 212 555 12 34.", own));
        assert!(mentions_other_phone("Her number is (415) 555-0123", own));
        assert!(!mentions_other_phone("We will call you on +90 532 123 45 67.", own));
        assert!(!mentions_other_phone("We will call you on 0532 123 45 67.", own));
        for text in [
            "Your order #100234567 shipped on 2024-05-12.",
            "Delivered 12.05.2024, total 1.299.000 TL",
            "Tracking code AB1234567890TR",
            "Only 250 ml, 4.5 stars, 3-5 days",
        ] {
            assert!(!mentions_other_phone(text, own), "{text}");
        }
    }
}
