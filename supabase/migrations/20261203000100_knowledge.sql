-- Product knowledge: a source keeps its text (so it can be re-embedded when the model changes),
-- its format, and the progress of its embedding job; chunks are compared only with a query
-- embedded by the same model.
alter table knowledge_sources add column content text not null default '';
alter table knowledge_sources add column format text not null default 'text'
    check (format in ('text', 'markdown', 'html'));
alter table knowledge_sources add column chunks_total integer not null default 0;
alter table knowledge_sources add column chunks_done integer not null default 0;
alter table knowledge_sources add column embedding_model text;
alter table knowledge_sources add column embedded_at timestamptz;
create index knowledge_sources_waiting_idx on knowledge_sources (updated_at)
    where status in ('pending', 'embedding');
create index knowledge_chunks_tenant_model_idx on knowledge_chunks (merchant_id, embedding_model);

grant select (id, merchant_id, status, updated_at) on knowledge_sources to revive_lookup;

-- Sources whose embedding job Redis may have lost: waiting since before p_before. Ids only.
create function revive_private.sources_to_embed(p_before timestamptz, p_limit integer)
returns table (merchant_id uuid, source_id uuid)
language sql stable security definer
set search_path = ''
as $$
    select s.merchant_id, s.id from public.knowledge_sources s
    where s.status in ('pending', 'embedding') and s.updated_at < p_before
    order by s.updated_at limit p_limit
$$;

grant create on schema revive_private to revive_lookup;
alter function revive_private.sources_to_embed(timestamptz, integer) owner to revive_lookup;
revoke create on schema revive_private from revive_lookup;
revoke all on function revive_private.sources_to_embed(timestamptz, integer) from public;
grant execute on function revive_private.sources_to_embed(timestamptz, integer) to revive_app;
