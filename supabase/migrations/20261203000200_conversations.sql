-- Customer replies: one conversation per customer; inbound messages are marked when a turn has
-- answered them, so a turn takes every message that arrived since the last one, once.
alter table conversations add constraint conversations_customer_key unique (merchant_id, customer_id);
alter table conversations add column handoff_reason text;
alter table messages add column handled_at timestamptz;
create index messages_unhandled_idx on messages (conversation_id, created_at)
    where direction = 'inbound' and handled_at is null;

grant select (merchant_id, conversation_id, direction, handled_at, created_at) on messages to revive_lookup;

-- Conversations with inbound messages unanswered since before p_before. Ids only.
create function revive_private.turns_waiting(p_before timestamptz, p_limit integer)
returns table (merchant_id uuid, conversation_id uuid)
language sql stable security definer
set search_path = ''
as $$
    select m.merchant_id, m.conversation_id from public.messages m
    where m.direction = 'inbound' and m.handled_at is null and m.created_at < p_before
      and m.conversation_id is not null
    group by m.merchant_id, m.conversation_id
    order by min(m.created_at) limit p_limit
$$;

grant create on schema revive_private to revive_lookup;
alter function revive_private.turns_waiting(timestamptz, integer) owner to revive_lookup;
revoke create on schema revive_private from revive_lookup;
revoke all on function revive_private.turns_waiting(timestamptz, integer) from public;
grant execute on function revive_private.turns_waiting(timestamptz, integer) to revive_app;
