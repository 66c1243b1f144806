//! STOP and START, recognised before anything else looks at a message, without a model.
//!
//! The rule: after folding (see [`super::text::fold`]), the message must consist of a command
//! phrase and nothing else but filler (please, thanks, now, ok, "lütfen", "bitte", "por favor",
//! ...) or more phrases of the same command ("STOP STOP", "stop, unsubscribe"). One extra word
//! that is not filler ("the pump won't stop leaking", "cancel my order") makes it an ordinary
//! message. A wrongly missed STOP is answered by the conversation and the customer can say it
//! again; a wrongly taken STOP silently loses a customer, so the rule errs towards "not a command".

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::text::{Phrase, fold, phrases, words};

/// What a customer's message asks of their messaging consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentCommand {
    /// Revoke consent: send nothing more except one confirmation.
    Stop,
    /// Give consent again after a Stop.
    Start,
}

/// Messages longer than this are conversation, never a bare command.
const MAX_COMMAND_CHARS: usize = 80;

// Lines by language: English, Spanish, Portuguese, Turkish, German, French, Hindi in Latin script.
// English "cancel" alone is the carriers' standard keyword; "cancel my order" is not matched.
const STOP: &str = "
stop | stop it | stop this | stop all | unsubscribe | stop sending | stop sending me messages
stop messaging | stop messaging me | stop texting | stop texting me | opt out | optout | cancel | end
quit | remove me
remove me from your list | remove me from the list | remove me from this list | no more messages
baja | dar de baja | darme de baja | parar | para | no más mensajes | cancelar suscripción | detener
no quiero más mensajes | deja de enviarme mensajes | dejen de enviarme mensajes | no me envíen más mensajes
sair | cancelar | pare | não quero mais mensagens | não quero mais receber mensagens | descadastrar | parem
pare de me mandar mensagens | pare de enviar mensagens
dur | iptal | mesaj gönderme | mesaj göndermeyin | mesaj atma | abonelikten çık | abonelikten çıkar
istemiyorum | mesaj istemiyorum | mesaj atmayın | bana mesaj atmayın | mesaj göndermeyi bırakın
stopp | abmelden | abbestellen | keine nachrichten mehr | keine nachrichten | hör auf | hören sie auf
nicht mehr schreiben
arrêt | arrête | arrêter | désabonner | se désabonner | désinscrire | se désinscrire | plus de messages
je ne veux plus de messages | arrêtez | arrêtez de m envoyer des messages | ne m envoyez plus de messages
band karo | band kar do | band kardo | mat bhejo | message mat bhejo | messages mat bhejo | msg mat bhejo
nahi chahiye | nahin chahiye | message band karo | msg band karo | mat bhejna
";

const START: &str = "
start | start again | subscribe | resubscribe | resume | unstop | opt in
alta | dar de alta | darme de alta | reanudar | suscribir
voltar | retomar | assinar
başla | tekrar başla | abone ol
anmelden | wieder anmelden | fortsetzen
reprendre | réabonner | se réabonner
shuru karo | shuru kar do | phir se shuru karo | fir se shuru karo
";

/// Words that may surround a command without changing what it means.
const FILLER: &str = "
please | pls | plz | plzz | pleaseee | kindly | thanks | thank you | thx | ok | okay | yes | now | right now
immediately | asap | already | hi | hello | hey | me | all | messages
por favor | gracias | ya | ahora | todo | obrigado | obrigada | agora
lütfen | artık | teşekkürler | yeter | bitte | danke | sofort | jetzt | alles
s il vous plaît | svp | merci | maintenant | tout | ab | ji | bhai | yaar
";

struct Tables {
    commands: Vec<(Phrase, ConsentCommand)>,
    filler: Vec<Phrase>,
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let stop = phrases(STOP).into_iter().map(|p| (p, ConsentCommand::Stop));
    let start = phrases(START).into_iter().map(|p| (p, ConsentCommand::Start));
    let mut commands: Vec<(Phrase, ConsentCommand)> = stop.chain(start).collect();
    // Longest first, so "stop sending me messages" is one phrase rather than "stop" + leftovers.
    commands.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    let mut filler = phrases(FILLER);
    filler.sort_by_key(|p| std::cmp::Reverse(p.len()));
    Tables { commands, filler }
});

/// Recognises a message that is only an opt-out (STOP) or opt-in (START) command, in any of the
/// supported languages; `None` for everything else, including sentences that merely use the word.
pub fn consent_command(text: &str) -> Option<ConsentCommand> {
    if text.chars().count() > MAX_COMMAND_CHARS {
        return None;
    }
    let folded = fold(text);
    let words = words(&folded);
    let tables = &*TABLES;
    let mut found: Option<ConsentCommand> = None;
    let mut at = 0;
    while at < words.len() {
        if let Some((phrase, command)) = tables.commands.iter().find(|(p, _)| p.matches_at(&words, at)) {
            if found.is_some_and(|f| f != *command) {
                // "stop start" asks for both; better to let a person read it.
                return None;
            }
            found = Some(*command);
            at += phrase.len();
        } else if let Some(phrase) = tables.filler.iter().find(|p| p.matches_at(&words, at)) {
            at += phrase.len();
        } else {
            return None;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::ConsentCommand::{Start, Stop};
    use super::*;

    #[test]
    fn bare_stop_words_in_every_language() {
        let cases = [
            "STOP",
            "stop.",
            "Stop!!! 🛑",
            "UNSUBSCRIBE",
            "stop sending",
            "Stop messaging me please",
            "opt-out",
            "Cancel",
            "remove me",
            "BAJA",
            "parar",
            "No más mensajes, por favor",
            "cancelar suscripción",
            "detener",
            "PARAR",
            "sair",
            "não quero mais mensagens",
            "DUR",
            "mesaj gönderme",
            "abonelikten çık",
            "istemiyorum",
            "STOPP",
            "abmelden bitte",
            "keine Nachrichten mehr",
            "ARRÊT",
            "ARRET",
            "désabonner",
            "se désinscrire",
            "plus de messages svp",
            "band karo",
            "mat bhejo",
            "message mat bhejo bhai",
            "band kar do",
            "nahi chahiye",
            "stop stop stop",
            "Deja de enviarme mensajes",
            "Pare de me mandar mensagens!",
            "Bana mesaj atmayın",
            "Hör auf!",
            "Arrêtez de m'envoyer des messages",
            "message band karo",
            "Stop, unsubscribe",
        ];
        for text in cases {
            assert_eq!(consent_command(text), Some(Stop), "{text}");
        }
    }

    #[test]
    fn turkish_i_in_any_case_is_the_same_letter() {
        for text in ["İPTAL", "IPTAL", "iptal", "ıptal", "İptal lütfen", "ABONELİKTEN ÇIK", "abonelikten cik"]
        {
            assert_eq!(consent_command(text), Some(Stop), "{text}");
        }
        assert_eq!(consent_command("BAŞLA"), Some(Start));
        assert_eq!(consent_command("basla"), Some(Start));
    }

    #[test]
    fn start_words_in_every_language() {
        let cases = [
            "START",
            "subscribe",
            "Resume",
            "start again please",
            "alta",
            "voltar",
            "başla",
            "anmelden",
            "reprendre",
            "shuru karo",
        ];
        for text in cases {
            assert_eq!(consent_command(text), Some(Start), "{text}");
        }
    }

    #[test]
    fn sentences_that_only_contain_a_command_word_are_not_commands() {
        let cases = [
            "the pump won't stop leaking, can you help?",
            "cancel my order",
            "can I cancel?",
            "don't stop",
            "when does the sale start",
            "kargo ne zaman başla",
            "para qué sirve este jabón",
            "I want to stop using the cream because of a rash",
            "Stop by our store any time, it is open until 8pm and we would love to see you there!",
            "",
            "   ",
            "please",
            "stop start",
            "stop by tomorrow",
        ];
        for text in cases {
            assert_eq!(consent_command(text), None, "{text}");
        }
    }

    #[test]
    fn long_messages_are_never_commands() {
        let padded = format!("stop {}", "please ".repeat(20));
        assert_eq!(consent_command(&padded), None);
    }
}
