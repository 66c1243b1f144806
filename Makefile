# The two commands of the README. Both are idempotent.
.PHONY: run test sqlx-prepare

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

# Regenerate .sqlx/ after changing a query or a migration.
sqlx-prepare:
	bash scripts/sqlx-prepare.sh
