-- Live updates for the dashboard: new and changed messages, conversation hand-offs and every
-- audit entry are announced on the `revive_live` channel, whichever process wrote them (API or
-- worker). revive-api listens and forwards each to that merchant's event streams only. The
-- payload carries ids and states, never a message body or a phone number.
create function revive_private.notify_live() returns trigger
language plpgsql
set search_path = ''
as $$
declare
    event text;
    data jsonb;
begin
    if tg_table_name = 'messages' then
        event := 'message';
        data := jsonb_build_object('conversation_id', new.conversation_id, 'message_id', new.id,
                                   'direction', new.direction, 'sent_by', new.sent_by, 'status', new.status);
    elsif tg_table_name = 'conversations' then
        event := 'conversation';
        data := jsonb_build_object('conversation_id', new.id, 'state', new.state,
                                   'needs_attention', new.needs_attention);
    else
        event := 'activity';
        data := jsonb_build_object('id', new.id, 'action', new.action, 'object_type', new.target_type,
                                   'object_id', new.target_id, 'actor', new.actor_type, 'created_at', new.at);
    end if;
    perform pg_notify('revive_live',
        jsonb_build_object('merchant_id', new.merchant_id, 'event', event, 'data', data)::text);
    return null;
end
$$;

create trigger messages_live after insert or update of status on messages
    for each row execute function revive_private.notify_live();
create trigger conversations_live after insert or update of state, needs_attention on conversations
    for each row execute function revive_private.notify_live();
create trigger audit_log_live after insert on audit_log
    for each row execute function revive_private.notify_live();
