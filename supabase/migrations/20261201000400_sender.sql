-- The sender: one outbound message row per scheduled message, and look-ups for the dispatcher
-- (due rows) and the reconciler (sends whose worker stopped mid-way), across tenants.
create unique index messages_scheduled_message_key on messages (scheduled_message_id)
    where scheduled_message_id is not null;
create index messages_customer_flow_idx on messages (customer_id, created_at) where sent_by = 'flow';
create index scheduled_messages_sending_idx on scheduled_messages (updated_at) where status = 'sending';

grant select (id, merchant_id, status, due_at, updated_at) on scheduled_messages to revive_lookup;

-- Scheduled messages due by p_now. Ids only, bounded; each is then read inside its tenant.
create function revive_private.messages_due(p_now timestamptz, p_limit integer)
returns table (merchant_id uuid, scheduled_id uuid, due_at timestamptz)
language sql stable security definer
set search_path = ''
as $$
    select s.merchant_id, s.id, s.due_at from public.scheduled_messages s
    where s.status = 'scheduled' and s.due_at <= p_now
    order by s.due_at limit p_limit
$$;

-- Sends left in 'sending' since before p_before: their worker stopped between recording the
-- intent and recording the outcome.
create function revive_private.sends_stuck(p_before timestamptz, p_limit integer)
returns table (merchant_id uuid, scheduled_id uuid)
language sql stable security definer
set search_path = ''
as $$
    select s.merchant_id, s.id from public.scheduled_messages s
    where s.status = 'sending' and s.updated_at < p_before
    order by s.updated_at limit p_limit
$$;

grant create on schema revive_private to revive_lookup;
alter function revive_private.messages_due(timestamptz, integer) owner to revive_lookup;
alter function revive_private.sends_stuck(timestamptz, integer) owner to revive_lookup;
revoke create on schema revive_private from revive_lookup;
revoke all on function revive_private.messages_due(timestamptz, integer) from public;
revoke all on function revive_private.sends_stuck(timestamptz, integer) from public;
grant execute on function revive_private.messages_due(timestamptz, integer) to revive_app;
grant execute on function revive_private.sends_stuck(timestamptz, integer) to revive_app;
