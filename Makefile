# The two commands of the README. Both are idempotent.
.PHONY: run test bench sqlx-prepare

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

# Benchmarks; rewrites docs/benchmarks.md.
bench:
	bash scripts/bench.sh

# Regenerate .sqlx/ after changing a query or a migration.
sqlx-prepare:
	bash scripts/sqlx-prepare.sh
