//! `GET /api/v1/live`: the dashboard's server-sent events. One stream per open dashboard, with
//! only its own merchant's events (see `crate::live`); the browser's `EventSource` reconnects by
//! itself, and a `resync` event asks it to refetch after anything may have been missed.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use revive_shared::crypto::Scope;
use revive_shared::role::Role;
use tokio::sync::broadcast::error::RecvError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::Principal;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(live))
}

/// Server-sent events for this merchant: `message` {conversation_id, message_id, direction,
/// sent_by, status}, `conversation` {conversation_id, state, needs_attention}, `activity` {id,
/// action, object_type, object_id, actor, created_at}, and `resync`.
#[utoipa::path(get, path = "/api/v1/live", tag = "conversations", security(("session" = []), ("api_key" = [])),
    responses((status = 200, content_type = "text/event-stream", description = "the event stream"),
              (status = 401, body = ErrorBody)))]
async fn live(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    principal.require(Scope::ConversationsRead, Role::Viewer)?;
    let merchant = principal.merchant();
    let receiver = state.live.subscribe();
    let events = futures_util::stream::unfold(receiver, move |mut receiver| async move {
        loop {
            let event = match receiver.recv().await {
                Ok(e) if e.merchant.is_none_or(|m| m == merchant) => {
                    Event::default().event(e.event).data(e.data)
                }
                Ok(_) => continue,
                // Too slow to keep up: what was dropped must be refetched.
                Err(RecvError::Lagged(_)) => Event::default().event("resync").data("{}"),
                Err(RecvError::Closed) => return None,
            };
            return Some((Ok(event), receiver));
        }
    });
    // A new stream starts by fetching what it shows, like one that reconnects.
    let start = futures_util::stream::iter([Ok(Event::default().event("resync").data("{}"))]);
    let stream = start.chain(events).take_until(state.live.closing());
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
