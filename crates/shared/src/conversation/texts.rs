//! The fixed sentences the bot says, in the customer's language where it can tell (English
//! otherwise). Short: WhatsApp is read on a phone.

/// A language the fixed texts exist in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Es,
    Pt,
    Tr,
    De,
    Fr,
}

impl Lang {
    /// The language of the customer's words, when it is one of ours and clear enough.
    pub fn of(text: &str) -> Self {
        match crate::ai::guard::language_of(text) {
            Some("es") => Lang::Es,
            Some("pt") => Lang::Pt,
            Some("tr") => Lang::Tr,
            Some("de") => Lang::De,
            Some("fr") => Lang::Fr,
            _ => Lang::En,
        }
    }

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        self.pick(["en", "es", "pt", "tr", "de", "fr"])
    }

    fn pick(self, [en, es, pt, tr, de, fr]: [&'static str; 6]) -> &'static str {
        match self {
            Lang::En => en,
            Lang::Es => es,
            Lang::Pt => pt,
            Lang::Tr => tr,
            Lang::De => de,
            Lang::Fr => fr,
        }
    }

    pub fn unsubscribed(self) -> &'static str {
        self.pick([
            "You're unsubscribed: we won't send you any more messages. Reply START to subscribe again.",
            "Te has dado de baja: no te enviaremos más mensajes. Responde START para volver a suscribirte.",
            "Você cancelou a inscrição: não enviaremos mais mensagens. Responda START para voltar.",
            "Abonelikten çıktınız: size artık mesaj göndermeyeceğiz. Tekrar abone olmak için START yazın.",
            "Sie sind abgemeldet: Wir senden Ihnen keine Nachrichten mehr. Antworten Sie START, um sich wieder anzumelden.",
            "Vous êtes désabonné : nous ne vous enverrons plus de messages. Répondez START pour vous réabonner.",
        ])
    }

    pub fn resubscribed(self) -> &'static str {
        self.pick([
            "Welcome back! You'll get our messages again. Reply STOP at any time to unsubscribe.",
            "¡Bienvenido de nuevo! Volverás a recibir nuestros mensajes. Responde STOP para darte de baja.",
            "Bem-vindo de volta! Você voltará a receber nossas mensagens. Responda STOP para sair.",
            "Tekrar hoş geldiniz! Mesajlarımızı yeniden alacaksınız. Çıkmak için STOP yazın.",
            "Willkommen zurück! Sie erhalten wieder unsere Nachrichten. Antworten Sie STOP zum Abmelden.",
            "Bon retour ! Vous recevrez à nouveau nos messages. Répondez STOP pour vous désabonner.",
        ])
    }

    pub fn handing_over(self) -> &'static str {
        self.pick([
            "Thanks for letting us know. A member of our team will reply to you here shortly.",
            "Gracias por avisarnos. Una persona de nuestro equipo te responderá aquí en breve.",
            "Obrigado por nos avisar. Uma pessoa da nossa equipe responderá aqui em breve.",
            "Bildirdiğiniz için teşekkürler. Ekibimizden biri size kısa süre içinde buradan yanıt verecek.",
            "Danke für Ihre Nachricht. Jemand aus unserem Team antwortet Ihnen hier in Kürze.",
            "Merci de nous l'avoir signalé. Une personne de notre équipe vous répondra ici très vite.",
        ])
    }

    pub fn dont_know(self) -> &'static str {
        self.pick([
            "I'm not sure about that, and I'd rather not guess. Would you like me to ask a member of our team?",
            "No estoy seguro de eso y prefiero no adivinar. ¿Quieres que se lo pregunte a alguien del equipo?",
            "Não tenho certeza e prefiro não adivinhar. Quer que eu pergunte a alguém da equipe?",
            "Bundan emin değilim ve tahmin etmek istemem. Ekibimizden birine sormamı ister misiniz?",
            "Da bin ich nicht sicher und möchte nicht raten. Soll ich jemanden aus unserem Team fragen?",
            "Je n'en suis pas sûr et je préfère ne pas deviner. Voulez-vous que je demande à notre équipe ?",
        ])
    }

    pub fn welcome(self) -> &'static str {
        self.pick([
            "You're welcome! Just write here if you have any question about your order.",
            "¡De nada! Escríbenos aquí si tienes alguna pregunta sobre tu pedido.",
            "De nada! Escreva aqui se tiver alguma dúvida sobre o seu pedido.",
            "Rica ederiz! Siparişinizle ilgili bir sorunuz olursa buraya yazabilirsiniz.",
            "Gern geschehen! Schreiben Sie uns hier, wenn Sie Fragen zu Ihrer Bestellung haben.",
            "Avec plaisir ! Écrivez-nous ici si vous avez une question sur votre commande.",
        ])
    }

    pub fn thanks_for_media(self) -> &'static str {
        self.pick([
            "Thanks for the picture! A member of our team will look at it and reply here.",
            "¡Gracias por la foto! Una persona de nuestro equipo la revisará y te responderá aquí.",
            "Obrigado pela foto! Uma pessoa da nossa equipe vai olhar e responder aqui.",
            "Fotoğraf için teşekkürler! Ekibimizden biri inceleyip buradan yanıt verecek.",
            "Danke für das Bild! Jemand aus unserem Team sieht es sich an und antwortet hier.",
            "Merci pour la photo ! Une personne de notre équipe va la regarder et vous répondre ici.",
        ])
    }

    pub fn text_only(self) -> &'static str {
        self.pick([
            "Sorry, I can only read text messages. Could you write your question?",
            "Lo siento, solo puedo leer mensajes de texto. ¿Puedes escribir tu pregunta?",
            "Desculpe, só consigo ler mensagens de texto. Pode escrever sua pergunta?",
            "Üzgünüm, yalnızca yazılı mesajları okuyabiliyorum. Sorunuzu yazabilir misiniz?",
            "Entschuldigung, ich kann nur Textnachrichten lesen. Können Sie Ihre Frage schreiben?",
            "Désolé, je ne peux lire que les messages texte. Pouvez-vous écrire votre question ?",
        ])
    }
}
