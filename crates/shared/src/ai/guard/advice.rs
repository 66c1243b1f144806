//! Medical, regulatory and legal claims in a reply: a shop assistant must not make them, and a
//! cosmetics or food merchant can be fined for a bot saying "cures" or "clinically proven".

use std::sync::LazyLock;

use crate::ai::text::{Phrase, fold, phrases, words};

const MEDICAL: &str = "
cures | cure for | will cure | can cure | heals | will heal | can heal | treats | can treat | will treat
treatment for | prevents cancer | prevent cancer | fights cancer | anti cancer | medical advice | diagnos*
cura | curar | previene el cáncer | tratamiento para | consejo médico | previne o câncer | previne câncer
tedavi eder | tedavi edi* | iyileştirir | kanseri önler | tıbbi tavsiye | heilt | heilen | beugt krebs vor
gegen krebs | guérit | guérir | prévient le cancer | contre le cancer | conseil médical | ilaj karta
ilaaj karta | theek kar deta
";

const REGULATORY: &str = "
clinically proven | fda approved | fda cleared | approved by the fda | clínicamente probado
clínicamente comprobado | aprobado por la fda | clinicamente comprovado | klinik olarak kanıtlan*
klinisch erwiesen | klinisch bewiesen | cliniquement prouvé
";

const LEGAL: &str = "
legal advice | you should sue | sue them | sue the | file a lawsuit | take legal action | asesoría legal
asesoramiento legal | deberías demandar | hukuki tavsiye | dava açın | dava açmalısınız | rechtsberatung
sie sollten klagen | verklagen sie | conseil juridique | vous devriez porter plainte
aconselhamento jurídico | você deve processar
";

static RULES: LazyLock<Vec<(&'static str, Vec<Phrase>)>> = LazyLock::new(|| {
    vec![
        ("medical claim", phrases(MEDICAL)),
        ("regulatory claim", phrases(REGULATORY)),
        ("legal advice", phrases(LEGAL)),
    ]
});

/// Words that turn a claim into a refusal: "I can't give medical advice" is what we want said.
const REFUSALS: &[&str] =
    &["not", "t", "cannot", "cant", "no", "unable", "never", "nicht", "kein", "keine", "pas", "nao"];
/// Turkish refuses after the phrase ("tıbbi tavsiye veremem").
const REFUSALS_AFTER: &[&str] = &["veremem", "veremeyiz", "veremiyorum", "veremiyoruz", "degil", "degildir"];
/// "dog treats" are a product, not a treatment.
const TREAT_NOUNS: &[&str] =
    &["dog", "cat", "pet", "puppy", "kitten", "horse", "bird", "training", "tasty", "sweet"];

/// A medical, regulatory or legal claim in a reply, with its kind; the bot must not make these.
pub fn medical_or_legal(reply: &str) -> Option<&'static str> {
    let folded = fold(reply);
    let words = words(&folded);
    for (reason, phrases) in RULES.iter() {
        for phrase in phrases {
            for at in (0..words.len()).filter(|&at| phrase.matches_at(&words, at)) {
                let before = &words[at.saturating_sub(4)..at];
                let after = words.get(at + phrase.len());
                let refused = before.iter().any(|w| REFUSALS.contains(w))
                    || after.is_some_and(|w| REFUSALS_AFTER.contains(w));
                let pet_treats = words[at] == "treats" && at > 0 && TREAT_NOUNS.contains(&words[at - 1]);
                if !refused && !pet_treats {
                    return Some(*reason);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_medical_regulatory_and_legal_claims() {
        assert_eq!(medical_or_legal("This balm cures eczema."), Some("medical claim"));
        assert_eq!(medical_or_legal("It treats acne overnight"), Some("medical claim"));
        assert_eq!(medical_or_legal("Our tea prevents cancer"), Some("medical claim"));
        assert_eq!(medical_or_legal("Clinically proven to work"), Some("regulatory claim"));
        assert_eq!(medical_or_legal("It is FDA-approved"), Some("regulatory claim"));
        assert_eq!(medical_or_legal("You should sue the courier"), Some("legal advice"));
        assert_eq!(medical_or_legal("Este té cura la gripe"), Some("medical claim"));
        assert_eq!(medical_or_legal("Diese Creme heilt Ekzeme"), Some("medical claim"));
        assert_eq!(medical_or_legal("Klinik olarak kanıtlanmıştır"), Some("regulatory claim"));
        assert_eq!(medical_or_legal("Cette crème guérit l'acné"), Some("medical claim"));
    }

    #[test]
    fn refusals_and_ordinary_words_are_not_claims() {
        for text in [
            "I can't give medical advice; please ask your doctor.",
            "We are not able to offer legal advice.",
            "Tıbbi tavsiye veremem, lütfen doktorunuza danışın.",
            "Our dog treats are made with chicken.",
            "The soap is gentle and smells of lavender.",
        ] {
            assert_eq!(medical_or_legal(text), None, "{text}");
        }
    }
}
