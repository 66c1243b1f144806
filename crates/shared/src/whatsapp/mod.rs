//! Sending WhatsApp messages: one small trait, two transports. `Meta` talks to the Graph API
//! (PROTOCOLS.md §2.5, version pinned by `META_GRAPH_VERSION`, base URL a setting so tests and
//! proxies can stand in); `Sandbox` sends nothing and reports the message delivered, for
//! merchants without WhatsApp credentials (the dashboard's phone simulator reads it).

pub mod inbound;
pub mod webhook;

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

/// A template message to one customer.
pub struct TemplateMessage<'a> {
    /// E.164 with the `+`; the wire form drops it.
    pub to: &'a crate::phone::PhoneE164,
    pub template: &'a str,
    pub language: &'a str,
    /// The body's `{{variables}}`, in order.
    pub params: &'a [String],
    /// Echoed by Meta in status webhooks (`biz_opaque_callback_data`): the scheduled message id.
    pub callback: &'a str,
}

/// A free-form text to one customer: allowed only inside the 24-hour customer-service window
/// (PROTOCOLS.md §2.7), used when a flow has no approved template but the customer wrote lately.
pub struct TextMessage<'a> {
    pub to: &'a crate::phone::PhoneE164,
    pub body: &'a str,
    /// Echoed by Meta in status webhooks, like a template's.
    pub callback: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub wa_message_id: String,
    /// True when the transport already knows it was delivered (the sandbox).
    pub delivered: bool,
}

/// What went wrong, sorted by what to do about it (PROTOCOLS.md §2.6).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Rate limits, Meta outages, connections refused: try again later.
    #[error("temporary failure ({code}): {detail}")]
    Retry { code: String, detail: String },
    /// The recipient, the template or the account: retrying cannot help.
    #[error("failed ({code}): {detail}")]
    Permanent { code: String, detail: String },
    /// 131047: the customer last wrote more than 24 hours ago, so only a template may go.
    #[error("outside the 24-hour window (131047): {detail}")]
    OutsideWindow { detail: String },
    /// The request went out but no answer came back in time: WhatsApp may have taken the
    /// message. Sending it again could reach the customer twice, so the outcome is left to a
    /// status webhook (which names the message by its callback) or to the stuck-send
    /// reconciliation.
    #[error("outcome unknown: {detail}")]
    Unknown { detail: String },
}

pub trait WhatsApp: Send + Sync {
    fn send_template(
        &self,
        msg: &TemplateMessage<'_>,
    ) -> impl std::future::Future<Output = Result<Sent, SendError>> + Send;

    fn send_text(
        &self,
        msg: &TextMessage<'_>,
    ) -> impl std::future::Future<Output = Result<Sent, SendError>> + Send;
}

pub struct Sandbox;

impl Sandbox {
    fn accept() -> Sent {
        Sent { wa_message_id: format!("sandbox.{}", uuid::Uuid::new_v4().simple()), delivered: true }
    }
}

impl WhatsApp for Sandbox {
    async fn send_template(&self, _msg: &TemplateMessage<'_>) -> Result<Sent, SendError> {
        Ok(Self::accept())
    }

    async fn send_text(&self, _msg: &TextMessage<'_>) -> Result<Sent, SendError> {
        Ok(Self::accept())
    }
}

pub struct Meta {
    pub http: reqwest::Client,
    /// e.g. `https://graph.facebook.com` (no trailing slash).
    pub base_url: String,
    /// e.g. `v23.0`.
    pub version: String,
    pub phone_number_id: String,
    pub token: SecretString,
}

impl Meta {
    /// An HTTP client with the time-outs a send job needs (reqwest has none by default).
    pub fn http_client() -> reqwest::Client {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new())
    }
}

/// The Graph API body of a template send.
pub fn template_body(msg: &TemplateMessage<'_>) -> Value {
    let params: Vec<Value> = msg.params.iter().map(|p| json!({"type": "text", "text": p})).collect();
    let mut components = Vec::new();
    if !params.is_empty() {
        components.push(json!({"type": "body", "parameters": params}));
    }
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": msg.to.expose().trim_start_matches('+'),
        "type": "template",
        "template": {"name": msg.template, "language": {"policy": "deterministic", "code": msg.language}, "components": components},
        "biz_opaque_callback_data": msg.callback,
    })
}

/// The Graph API body of a free-form text send.
pub fn text_body(msg: &TextMessage<'_>) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": msg.to.expose().trim_start_matches('+'),
        "type": "text",
        "text": {"body": msg.body, "preview_url": false},
        "biz_opaque_callback_data": msg.callback,
    })
}

impl WhatsApp for Meta {
    async fn send_template(&self, msg: &TemplateMessage<'_>) -> Result<Sent, SendError> {
        self.post_message(&template_body(msg)).await
    }

    async fn send_text(&self, msg: &TextMessage<'_>) -> Result<Sent, SendError> {
        self.post_message(&text_body(msg)).await
    }
}

impl Meta {
    /// `POST /{version}/{phone_number_id}/messages`, with Meta's answer sorted into an outcome.
    async fn post_message(&self, body: &Value) -> Result<Sent, SendError> {
        let url = format!("{}/{}/{}/messages", self.base_url, self.version, self.phone_number_id);
        let res =
            self.http.post(url).bearer_auth(self.token.expose_secret()).json(body).send().await.map_err(
                |e| {
                    // A connect failure never reached Meta; a time-out after connecting may have.
                    if e.is_timeout() && !e.is_connect() {
                        SendError::Unknown { detail: without_url(&e) }
                    } else {
                        SendError::Retry { code: "network".into(), detail: without_url(&e) }
                    }
                },
            )?;
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            let id = body["messages"][0]["id"].as_str().unwrap_or_default();
            if id.is_empty() {
                return Err(SendError::Retry {
                    code: "no_message_id".into(),
                    detail: "Meta accepted the request without a message id".into(),
                });
            }
            return Ok(Sent { wa_message_id: id.to_owned(), delivered: false });
        }
        Err(classify(status, &body))
    }
}

/// reqwest's errors name the URL; keep only what happened.
fn without_url(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        "request failed".into()
    }
}

/// Meta's detail text is stored as the message's reason; a phone number quoted in it (some
/// errors name the recipient) must not be. Runs of 7 or more digits are blanked, and the text cut
/// to 300 characters.
pub(crate) fn without_long_numbers(text: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    for c in text.chars().take(300).chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        out.push_str(if digits.len() >= 7 { "…" } else { &digits });
        digits.clear();
        out.push(c);
    }
    out.pop();
    out
}

/// Sorts a Graph API error response (PROTOCOLS.md §2.6).
pub fn classify(status: u16, body: &Value) -> SendError {
    let code = body["error"]["code"].as_i64();
    let detail = body["error"]["error_data"]["details"]
        .as_str()
        .or_else(|| body["error"]["message"].as_str())
        .unwrap_or("no detail");
    let detail = without_long_numbers(detail);
    if code == Some(131047) {
        return SendError::OutsideWindow { detail };
    }
    let code_str = code.map_or_else(|| format!("http_{status}"), |c| c.to_string());
    let retry = match code {
        // Throughput, pair rate, spam rate, account and app rate limits; maintenance; unknown errors.
        Some(130429 | 131056 | 131048 | 80007 | 4 | 131057 | 131000 | 131016 | 1 | 2) => true,
        Some(_) => false,
        None => status == 429 || status >= 500,
    } || (code.is_none() && status == 408);
    if retry {
        SendError::Retry { code: code_str, detail }
    } else {
        SendError::Permanent { code: code_str, detail }
    }
}

/// The transports as one type, so the sender can hold whichever a merchant uses.
pub enum Transport {
    Sandbox(Sandbox),
    Meta(Meta),
}

impl Transport {
    /// The transport of a merchant's account (`whatsapp_accounts::current`). Callers that send
    /// in bulk wait for the number's token bucket first.
    pub fn for_account(
        account: crate::db::whatsapp_accounts::Account,
        http: &reqwest::Client,
        settings: &crate::config::WhatsAppSettings,
    ) -> Transport {
        match account {
            crate::db::whatsapp_accounts::Account::Sandbox => Transport::Sandbox(Sandbox),
            crate::db::whatsapp_accounts::Account::Meta { phone_number_id, token, .. } => {
                Transport::Meta(Meta {
                    http: http.clone(),
                    base_url: settings.graph_base_url.clone(),
                    version: settings.graph_version.clone(),
                    phone_number_id,
                    token,
                })
            }
        }
    }
}

impl WhatsApp for Transport {
    async fn send_template(&self, msg: &TemplateMessage<'_>) -> Result<Sent, SendError> {
        match self {
            Transport::Sandbox(s) => s.send_template(msg).await,
            Transport::Meta(m) => m.send_template(msg).await,
        }
    }

    async fn send_text(&self, msg: &TextMessage<'_>) -> Result<Sent, SendError> {
        match self {
            Transport::Sandbox(s) => s.send_text(msg).await,
            Transport::Meta(m) => m.send_text(msg).await,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        serde_json::from_slice(
            &std::fs::read(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn the_body_matches_the_documented_template_request() {
        let phone = crate::phone::PhoneE164::parse("+1 415 555 2671", None).unwrap();
        let params = vec!["newsletter".to_owned()];
        let msg = TemplateMessage {
            to: &phone,
            template: "Subscribe",
            language: "en_US",
            params: &params,
            callback: "sm-1",
        };
        let mut body = template_body(&msg);
        assert_eq!(body["biz_opaque_callback_data"], "sm-1");
        body.as_object_mut().unwrap().remove("biz_opaque_callback_data");
        let mut expected = fixture("whatsapp_send_template_request.ASSEMBLED.json");
        expected["to"] = json!("14155552671");
        assert_eq!(body, expected);
    }

    #[test]
    fn a_text_body_matches_the_documented_text_request() {
        let phone = crate::phone::PhoneE164::parse("+1 415 555 2671", None).unwrap();
        let msg = TextMessage { to: &phone, body: "MESSAGE_CONTENT", callback: "sm-2" };
        let mut body = text_body(&msg);
        assert_eq!(body["biz_opaque_callback_data"], "sm-2");
        body.as_object_mut().unwrap().remove("biz_opaque_callback_data");
        let mut expected = fixture("whatsapp_send_text_request.ASSEMBLED.json");
        expected["to"] = json!("14155552671");
        assert_eq!(body, expected);
    }

    #[test]
    fn error_codes_sort_into_retry_and_permanent() {
        assert!(
            matches!(classify(400, &fixture("whatsapp_error_response_132001.json")), SendError::Permanent { code, .. } if code == "132001")
        );
        assert!(matches!(
            classify(401, &fixture("whatsapp_error_response_190_oauth.json")),
            SendError::Permanent { .. }
        ));
        for code in [130429, 131056, 131000] {
            assert!(
                matches!(classify(400, &json!({"error": {"code": code}})), SendError::Retry { .. }),
                "{code}"
            );
        }
        assert!(matches!(
            classify(400, &json!({"error": fixture("whatsapp_error_131047.json")})),
            SendError::OutsideWindow { .. }
        ));
        for code in [131026, 131050, 130472, 132000] {
            assert!(
                matches!(classify(400, &json!({"error": {"code": code}})), SendError::Permanent { .. }),
                "{code}"
            );
        }
        assert!(matches!(classify(429, &Value::Null), SendError::Retry { code, .. } if code == "http_429"));
        assert!(matches!(classify(503, &json!("oops")), SendError::Retry { .. }));
        assert!(matches!(classify(404, &Value::Null), SendError::Permanent { .. }));
        let quoted = classify(
            400,
            &json!({"error": {"code": 131030, "error_data": {"details": "Recipient 905321231234 not in allowed list (code 131030)"}}}),
        );
        assert_eq!(
            quoted,
            SendError::Permanent {
                code: "131030".into(),
                detail: "Recipient … not in allowed list (code 131030)".into()
            }
        );
    }
}
