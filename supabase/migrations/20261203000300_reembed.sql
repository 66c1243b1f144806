-- Changing the embedding model: sources embedded by another model than the one configured are
-- found by the sweeper and embedded again (chunks are only ever compared within one model).
grant select (embedding_model) on knowledge_sources to revive_lookup;

-- Ready sources whose chunks another model made. Ids only.
create function revive_private.sources_of_other_model(p_model text, p_limit integer)
returns table (merchant_id uuid, source_id uuid)
language sql stable security definer
set search_path = ''
as $$
    select s.merchant_id, s.id from public.knowledge_sources s
    where s.status = 'ready' and s.embedding_model is distinct from p_model
    order by s.updated_at limit p_limit
$$;

grant create on schema revive_private to revive_lookup;
alter function revive_private.sources_of_other_model(text, integer) owner to revive_lookup;
revoke create on schema revive_private from revive_lookup;
revoke all on function revive_private.sources_of_other_model(text, integer) from public;
grant execute on function revive_private.sources_of_other_model(text, integer) to revive_app;
