-- Deleting a user finds the conversations they hold (the `taken_over_by` foreign key) without a
-- scan.
create index conversations_taken_over_by_idx on conversations (merchant_id, taken_over_by)
    where taken_over_by is not null;
