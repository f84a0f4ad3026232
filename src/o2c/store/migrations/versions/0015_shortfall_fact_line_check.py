"""shortfall fact line check

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 23:40:00

On PostgreSQL, replaces the foreign key of ``shortfall_outcomes.order_line_id`` with two checks of
whole statements. The key checked each fact as it went in, locking its order line (``FOR KEY SHARE``):
a WAL record per fact and the line's page written once more, some 50,000 of them when a batch of
receipts fills 50,000 backorders (a third of that insert's time). Instead:

- after every INSERT or UPDATE of facts, one query looks for a line that is not in ``order_lines``
  among all the statement's new rows (its transition table), and fails the statement as the key would
  (SQLSTATE 23503, ``foreign_key_violation``, the key's name);
- after every DELETE of order lines, likewise for a fact still referring to one of them.

What the check does not take is the key's lock on the line, which keeps a concurrent transaction from
deleting it before the fact commits. Every use case writes a fact's line in the fact's own transaction
(it is inserted at entry, or changed by the fill, substitution or cancellation the fact records), so
that transaction holds the line's row lock anyway: a DELETE waits for it, then, in a new snapshot,
sees the committed fact and fails. Order line ids never change (they are identities): an UPDATE of
one is refused. SQLite keeps the foreign key (its check is an index look-up, no lock).
Hand-written to match ``store.supply_tables`` (``only_on("sqlite", ForeignKeyConstraint(...))``).
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_KEY = "fk_shortfall_outcomes_order_line_id_order_lines"
_MISSING_LINE = f"""
CREATE FUNCTION o2c_shortfall_outcomes_line_exists() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
BEGIN
    SELECT a.order_line_id INTO missing FROM added a
    WHERE NOT EXISTS (SELECT FROM order_lines l WHERE l.id = a.order_line_id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "shortfall_outcomes" violates foreign key constraint "{_KEY}"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{_KEY}', TABLE = 'shortfall_outcomes',
                  DETAIL = format('Key (order_line_id)=(%s) is not present in table "order_lines".', missing);
    END IF;
    RETURN NULL;
END $$
"""
_REFERRED_LINE = f"""
CREATE FUNCTION o2c_order_lines_keep_facts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    referred bigint;
BEGIN
    SELECT g.id INTO referred FROM gone g
    WHERE EXISTS (SELECT FROM shortfall_outcomes s WHERE s.order_line_id = g.id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'update or delete on table "order_lines" violates foreign key constraint "{_KEY}" on table "shortfall_outcomes"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{_KEY}', TABLE = 'order_lines',
                  DETAIL = format('Key (id)=(%s) is still referenced from table "shortfall_outcomes".', referred);
    END IF;
    RETURN NULL;
END $$
"""
_FIXED_ID = """
CREATE FUNCTION o2c_order_lines_fixed_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'order line ids never change (line %)', OLD.id USING ERRCODE = 'restrict_violation';
END $$
"""
_TRIGGERS = {
    "shortfall_outcomes_line_inserted": "AFTER INSERT ON shortfall_outcomes REFERENCING NEW TABLE AS added"
    " FOR EACH STATEMENT EXECUTE FUNCTION o2c_shortfall_outcomes_line_exists()",
    "shortfall_outcomes_line_updated": "AFTER UPDATE ON shortfall_outcomes REFERENCING NEW TABLE AS added"
    " FOR EACH STATEMENT EXECUTE FUNCTION o2c_shortfall_outcomes_line_exists()",
    "order_lines_keep_facts": "AFTER DELETE ON order_lines REFERENCING OLD TABLE AS gone"
    " FOR EACH STATEMENT EXECUTE FUNCTION o2c_order_lines_keep_facts()",
    # A row trigger on the id alone, and AFTER: a statement that leaves the id out of its SET queues
    # nothing, where any BEFORE row trigger would lock every row it updates (a WAL record each).
    "order_lines_fixed_id": "AFTER UPDATE OF id ON order_lines FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)"
    " EXECUTE FUNCTION o2c_order_lines_fixed_id()",
}
_TABLE_OF = {name: spec.split(" ON ")[1].split()[0] for name, spec in _TRIGGERS.items()}
_FUNCTIONS = ("o2c_shortfall_outcomes_line_exists", "o2c_order_lines_keep_facts", "o2c_order_lines_fixed_id")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint(_KEY, "shortfall_outcomes", type_="foreignkey")
    for function in (_MISSING_LINE, _REFERRED_LINE, _FIXED_ID):
        op.execute(function)
    for name, spec in _TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {spec}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table in _TABLE_OF.items():
        op.execute(f"DROP TRIGGER {name} ON {table}")
    for function in _FUNCTIONS:
        op.execute(f"DROP FUNCTION {function}()")
    op.create_foreign_key(_KEY, "shortfall_outcomes", "order_lines", ["order_line_id"], ["id"])
