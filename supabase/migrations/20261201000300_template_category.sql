-- Templates carry Meta's category: utility (order-related) or marketing.
alter table message_templates add column category text not null default 'utility'
    check (category in ('utility', 'marketing'));
