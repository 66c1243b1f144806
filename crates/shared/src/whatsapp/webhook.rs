//! Reading Meta's webhook envelope (PROTOCOLS.md §2.3): `entry[]`, `changes[]`, `statuses[]` and
//! `user_preferences[]` are all arrays and every field but `object` and `entry` can be absent.
//!
//! Parsing is per item: one status Revive cannot read is counted and skipped, and the rest of the
//! delivery is still applied (Meta does not resend a delivery we answered 200).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

/// What one signed delivery holds, flattened: each item carries the phone number it came to.
#[derive(Debug, Default)]
pub struct Delivery {
    pub statuses: Vec<Routed<Status>>,
    pub preferences: Vec<Routed<UserPreference>>,
    /// Inbound customer messages, kept raw for the conversation worker.
    pub messages: Vec<Routed<Value>>,
    /// Items that are not statuses, preferences or messages, or that could not be read.
    pub skipped: usize,
}

/// An item and the business phone number (`metadata.phone_number_id`) it is addressed to.
#[derive(Debug)]
pub struct Routed<T> {
    pub phone_number_id: Option<String>,
    pub item: T,
}

/// A message status (`sent`, `delivered`, `read`, `played`, `failed`).
#[derive(Debug, Clone, Deserialize)]
pub struct Status {
    /// The wamid of the message we sent.
    pub id: String,
    pub status: String,
    #[serde(deserialize_with = "unix_time")]
    pub timestamp: DateTime<Utc>,
    #[serde(default)]
    pub recipient_id: Option<String>,
    /// The business-scoped user id, present when the recipient uses a username (and maybe no phone).
    #[serde(default)]
    pub recipient_user_id: Option<String>,
    /// Echoed from the send: the scheduled message id.
    #[serde(default)]
    pub biz_opaque_callback_data: Option<String>,
    #[serde(default)]
    pub errors: Vec<StatusError>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StatusError {
    pub code: i64,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub error_data: Option<ErrorData>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ErrorData {
    #[serde(default)]
    pub details: Option<String>,
}

impl Status {
    /// Our name for the status, or `None` for one we do not track.
    pub fn normalized(&self) -> Option<&'static str> {
        match self.status.as_str() {
            "sent" => Some("sent"),
            "delivered" => Some("delivered"),
            "read" | "played" => Some("read"),
            "failed" => Some("failed"),
            _ => None,
        }
    }

    /// The first error's code and its most specific text (`error_data.details`, then the title).
    pub fn error(&self) -> Option<(String, String)> {
        self.errors.first().map(|e| {
            let text = e
                .error_data
                .as_ref()
                .and_then(|d| d.details.clone())
                .or_else(|| e.title.clone())
                .or_else(|| e.message.clone())
                .unwrap_or_else(|| "no detail".into());
            (e.code.to_string(), super::without_long_numbers(&text))
        })
    }
}

/// A user stopping or resuming marketing messages (`field: "user_preferences"`).
#[derive(Debug, Clone, Deserialize)]
pub struct UserPreference {
    #[serde(default)]
    pub wa_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    /// `stop`, `resume` or `signup`.
    pub value: String,
    #[serde(deserialize_with = "unix_time")]
    pub timestamp: DateTime<Utc>,
}

impl UserPreference {
    /// `Some(granted)` for a marketing preference Revive acts on.
    pub fn marketing_consent(&self) -> Option<bool> {
        if self.category.as_deref().is_some_and(|c| c != "marketing_messages") {
            return None;
        }
        match self.value.as_str() {
            "stop" => Some(false),
            "resume" | "signup" => Some(true),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("the body is not a JSON object: {0}")]
    NotJson(String),
    #[error("not a WhatsApp Business Account webhook (object is {0:?})")]
    WrongObject(String),
}

#[derive(Deserialize)]
struct Envelope {
    object: String,
    #[serde(default)]
    entry: Vec<Value>,
}

/// Reads a delivery's body (the signature already checked).
pub fn parse(body: &[u8]) -> Result<Delivery, WebhookError> {
    let envelope: Envelope = serde_json::from_slice(body)
        .map_err(|e| WebhookError::NotJson(crate::redact::redact_quoted(&e.to_string())))?;
    if envelope.object != "whatsapp_business_account" {
        return Err(WebhookError::WrongObject(envelope.object.chars().take(60).collect()));
    }
    let mut out = Delivery::default();
    for entry in &envelope.entry {
        let Some(changes) = entry["changes"].as_array() else {
            out.skipped += 1;
            continue;
        };
        for change in changes {
            let value = &change["value"];
            let phone_number_id = value["metadata"]["phone_number_id"].as_str().map(ToOwned::to_owned);
            collect(&mut out.statuses, &mut out.skipped, &phone_number_id, &value["statuses"]);
            collect(&mut out.preferences, &mut out.skipped, &phone_number_id, &value["user_preferences"]);
            for message in value["messages"].as_array().into_iter().flatten() {
                out.messages.push(Routed { phone_number_id: phone_number_id.clone(), item: message.clone() });
            }
            // System-level errors (`value.errors[]`, e.g. 130429) concern no one message.
            if let Some(errors) = value["errors"].as_array() {
                out.skipped += errors.len();
            }
        }
    }
    Ok(out)
}

fn collect<T: for<'de> Deserialize<'de>>(
    into: &mut Vec<Routed<T>>,
    skipped: &mut usize,
    phone_number_id: &Option<String>,
    items: &Value,
) {
    for item in items.as_array().into_iter().flatten() {
        match T::deserialize(item) {
            Ok(item) => into.push(Routed { phone_number_id: phone_number_id.clone(), item }),
            Err(_) => *skipped += 1,
        }
    }
}

/// Meta sends Unix seconds as a string in statuses and as a number in preferences.
fn unix_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    use serde::de::Error;
    let secs = match Value::deserialize(d)? {
        Value::String(s) => s.trim().parse::<i64>().map_err(D::Error::custom)?,
        Value::Number(n) => n.as_i64().ok_or_else(|| D::Error::custom("timestamp is not an integer"))?,
        _ => return Err(D::Error::custom("timestamp is neither a string nor a number")),
    };
    DateTime::from_timestamp(secs, 0).ok_or_else(|| D::Error::custom("timestamp out of range"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn status_fixtures_are_read() {
        for (file, status) in [
            ("whatsapp_status_sent.json", "sent"),
            ("whatsapp_status_delivered.json", "delivered"),
            ("whatsapp_status_read.json", "read"),
            ("whatsapp_status_failed_130472.json", "failed"),
        ] {
            let d = parse(&fixture(file)).unwrap();
            assert_eq!(d.statuses.len(), 1, "{file}");
            assert_eq!(d.statuses[0].item.normalized(), Some(status), "{file}");
            assert!(d.statuses[0].phone_number_id.is_some(), "{file}");
        }
        let failed = parse(&fixture("whatsapp_status_failed_130472.json")).unwrap();
        let (code, text) = failed.statuses[0].item.error().unwrap();
        assert_eq!(code, "130472");
        assert!(text.contains("experiment"), "{text}");
    }

    #[test]
    fn preferences_and_messages_are_read() {
        let d = parse(&fixture("whatsapp_user_marketing_preferences_resume.json")).unwrap();
        assert_eq!(d.preferences.len(), 1);
        assert_eq!(d.preferences[0].item.marketing_consent(), Some(true));
        assert_eq!(d.preferences[0].item.timestamp.timestamp(), 1_731_705_721);
        let d = parse(&fixture("whatsapp_inbound_text.json")).unwrap();
        assert_eq!((d.messages.len(), d.statuses.len()), (1, 0));
    }

    #[test]
    fn a_bad_item_is_skipped_and_the_rest_kept() {
        let body = br#"{"object":"whatsapp_business_account","entry":[
            {"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"p1"},
              "statuses":[{"id":"wamid.A","status":"delivered","timestamp":"1700000000"},
                          {"id":"wamid.B","status":"read","timestamp":"soon"}]}}]},
            {"id":"2","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"p2"},
              "statuses":[{"id":"wamid.C","status":"read","timestamp":1700000001,
                           "recipient_user_id":"US.1"}]}}]},
            {"id":"3"}]}"#;
        let d = parse(body).unwrap();
        let ids: Vec<_> = d.statuses.iter().map(|s| s.item.id.as_str()).collect();
        assert_eq!(ids, ["wamid.A", "wamid.C"]);
        assert_eq!(d.statuses[1].phone_number_id.as_deref(), Some("p2"));
        assert_eq!(d.skipped, 2);
    }

    #[test]
    fn not_a_waba_webhook_is_an_error() {
        assert!(matches!(parse(b"{\"object\":\"page\",\"entry\":[]}"), Err(WebhookError::WrongObject(_))));
        assert!(matches!(parse(b"[1,2"), Err(WebhookError::NotJson(_))));
    }
}
