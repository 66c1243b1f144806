-- Analytics: a hold-out control group per flow (customers hashed into it get no message, so
-- merchants see lift, not just attribution), a 7-day attribution window by default, and an
-- optional retention period for message bodies.
alter table retention_settings alter column attribution_window_days set default 7;
alter table retention_settings add column holdout_percent integer not null default 0
    check (holdout_percent between 0 and 50);
alter table retention_settings add column message_retention_days integer
    check (message_retention_days > 0);

-- A schedule made for a customer in the control group: kept (status `skipped`) so the group's
-- own repeat orders can be counted.
alter table scheduled_messages add column held_out boolean not null default false;

create index messages_scheduled_idx on messages (scheduled_message_id) where scheduled_message_id is not null;
create index orders_customer_placed_idx on orders (customer_id, placed_at);
create index messages_customer_created_idx on messages (customer_id, created_at);
