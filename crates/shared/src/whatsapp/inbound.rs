//! A customer's message as the conversation needs it, read from one raw `messages[]` item of a
//! webhook (PROTOCOLS.md §2.3): who, which wamid, when, what kind, and the words in it if any.

use chrono::{DateTime, Utc};
use serde_json::Value;

#[derive(Clone, PartialEq, Eq)]
pub struct Inbound {
    /// The WhatsApp message id; the dedupe key.
    pub wamid: String,
    /// The sender's number as WhatsApp gives it (`wa_id`: digits, no `+`); masked in `Debug`.
    /// Parsed where it is used, so a number the phone library doubts is counted, not hidden.
    pub from: String,
    pub at: DateTime<Utc>,
    /// text, image, interactive, button, reaction, order, unsupported, ...
    pub kind: String,
    /// The words: a text's body, a tapped button's or list row's title, an order's note, a
    /// media caption.
    pub text: Option<String>,
}

impl std::fmt::Debug for Inbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tail: String = self.from.chars().rev().take(2).collect::<Vec<_>>().into_iter().rev().collect();
        f.debug_struct("Inbound")
            .field("wamid", &self.wamid)
            .field("from", &format!("***{tail}"))
            .field("at", &self.at)
            .field("kind", &self.kind)
            .field("text", &self.text.as_ref().map(|t| t.chars().count()))
            .finish()
    }
}

/// Reads one message item; `None` when it lacks an id or a sender.
pub fn read(item: &Value) -> Option<Inbound> {
    let wamid = item["id"].as_str().filter(|s| !s.is_empty())?.to_owned();
    let from = item["from"].as_str().filter(|s| !s.is_empty())?.to_owned();
    let at = item["timestamp"]
        .as_str()
        .and_then(|t| t.parse::<i64>().ok())
        .and_then(|t| DateTime::from_timestamp(t, 0))
        .unwrap_or_else(Utc::now);
    let kind = item["type"].as_str().unwrap_or("unsupported").to_owned();
    let text = match kind.as_str() {
        "text" => item["text"]["body"].as_str(),
        "button" => item["button"]["text"].as_str(),
        "interactive" => item["interactive"]["button_reply"]["title"]
            .as_str()
            .or_else(|| item["interactive"]["list_reply"]["title"].as_str()),
        "order" => item["order"]["text"].as_str(),
        "image" | "video" | "document" => item[kind.as_str()]["caption"].as_str(),
        _ => None,
    }
    .map(str::trim)
    .filter(|t| !t.is_empty())
    .map(ToOwned::to_owned);
    Some(Inbound { wamid, from, at, kind, text })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn first_message(name: &str) -> Value {
        let raw = std::fs::read(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let body: Value = serde_json::from_slice(&raw).unwrap();
        body["entry"][0]["changes"][0]["value"]["messages"][0].clone()
    }

    #[test]
    fn every_inbound_fixture_is_read() {
        let cases = [
            ("whatsapp_inbound_text.json", "text", Some("Body Text")),
            ("whatsapp_inbound_text_reply_context.json", "text", Some("replied text")),
            ("whatsapp_inbound_referral_ctwa.json", "text", Some("BODY")),
            ("whatsapp_interactive_button_reply.json", "interactive", Some("title")),
            ("whatsapp_interactive_list_reply.json", "interactive", Some("title")),
            ("whatsapp_template_quick_reply_button.json", "button", Some("title")),
            ("whatsapp_inbound_image.json", "image", None),
            ("whatsapp_inbound_order.json", "order", None),
            ("whatsapp_inbound_reaction.json", "reaction", None),
            ("whatsapp_inbound_unsupported.json", "unsupported", None),
        ];
        for (file, kind, text) in cases {
            let m = read(&first_message(file)).unwrap();
            assert_eq!(m.kind, kind, "{file}");
            assert_eq!(m.text.as_deref(), text, "{file}");
            assert_eq!(m.from, "972987654321", "{file}");
            assert!(!format!("{m:?}").contains("987654321"), "the number is masked in Debug: {file}");
            assert!(m.at.timestamp() > 1_600_000_000, "{file}");
        }
        assert!(read(&serde_json::json!({"type": "text"})).is_none());
    }
}
