"""Distribution list members kept as rows

Who is on each list (named by a static list's `member_ids`, or matching a rule list's
rule) becomes rows with whether a release reaches them, and each list keeps its counts;
the rows are filled here from the lists and journalists as they stand.

Revision ID: 95ff770babee
Revises: a0dae3d4daa4
Create Date: 2026-12-07 05:23:16.502130
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "95ff770babee"
down_revision: str | None = "a0dae3d4daa4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The lists are rebuilt (SQLite) before any table refers to them; their members are
    # worked out first, from `member_ids` and the rules, and written once the table exists.
    with op.batch_alter_table("distribution_lists", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("member_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("recipient_count", sa.Integer(), nullable=False, server_default="0")
        )
    members = _members(op.get_bind())
    with op.batch_alter_table("distribution_lists", schema=None) as batch_op:
        batch_op.drop_column("member_ids")

    op.create_table(
        "distribution_list_members",
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("journalist_id", sa.Integer(), nullable=False),
        sa.Column("reached", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["journalist_id"],
            ["journalists.id"],
            name=op.f("fk_distribution_list_members_journalist_id_journalists"),
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["distribution_lists.id"],
            name=op.f("fk_distribution_list_members_list_id_distribution_lists"),
        ),
        sa.PrimaryKeyConstraint(
            "list_id", "journalist_id", name=op.f("pk_distribution_list_members")
        ),
    )
    with op.batch_alter_table("distribution_list_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_distribution_list_members_journalist_id"),
            ["journalist_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_distribution_list_members_reached",
            ["list_id", "reached", "journalist_id"],
            unique=False,
        )
    _write_members(op.get_bind(), members)

    with op.batch_alter_table("journalists", schema=None) as batch_op:
        batch_op.create_index("ix_journalists_by_name", ["full_name", "id"], unique=False)
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deliveries_mailing_status", ["mailing_id", "status"], unique=False
        )
    with op.batch_alter_table("monitoring_items", schema=None) as batch_op:
        batch_op.create_index("ix_monitoring_items_newest", ["published_on", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("monitoring_items", schema=None) as batch_op:
        batch_op.drop_index("ix_monitoring_items_newest")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_mailing_status")
    with op.batch_alter_table("journalists", schema=None) as batch_op:
        batch_op.drop_index("ix_journalists_by_name")

    named = _static_members(op.get_bind())
    with op.batch_alter_table("distribution_list_members", schema=None) as batch_op:
        batch_op.drop_index("ix_distribution_list_members_reached")
        batch_op.drop_index(batch_op.f("ix_distribution_list_members_journalist_id"))
    op.drop_table("distribution_list_members")

    with op.batch_alter_table("distribution_lists", schema=None) as batch_op:
        batch_op.add_column(sa.Column("member_ids", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.drop_column("recipient_count")
        batch_op.drop_column("member_count")
    for list_id, ids in named.items():
        op.get_bind().execute(sa.update(LISTS).where(LISTS.c.id == list_id).values(member_ids=ids))


# The data, as the tables stand at this revision (the service's code may move on).
LISTS = sa.table(
    "distribution_lists",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("rule", sa.JSON),
    sa.column("member_ids", sa.JSON),
    sa.column("member_count", sa.Integer),
    sa.column("recipient_count", sa.Integer),
)
MEMBERS = sa.table(
    "distribution_list_members",
    sa.column("list_id", sa.Integer),
    sa.column("journalist_id", sa.Integer),
    sa.column("reached", sa.Boolean),
)
JOURNALISTS = sa.table(
    "journalists",
    sa.column("id", sa.Integer),
    sa.column("outlet_id", sa.Integer),
    sa.column("beats", sa.JSON),
    sa.column("languages", sa.JSON),
    sa.column("email", sa.String),
    sa.column("unsubscribed_at", sa.DateTime),
    sa.column("email_bounced_at", sa.DateTime),
)
OUTLETS = sa.table(
    "outlets", sa.column("id", sa.Integer), sa.column("medium", sa.String),
    sa.column("region", sa.String),
)  # fmt: skip
CONSENTS = sa.table(
    "consents", sa.column("journalist_id", sa.Integer), sa.column("purpose", sa.String),
    sa.column("withdrawn_at", sa.DateTime),
)  # fmt: skip


def _matches(rule: dict[str, Any], journalist: Any, outlet: tuple[Any, Any] | None) -> bool:
    medium, region = outlet or (None, None)
    if rule.get("media") and medium not in rule["media"]:
        return False
    if rule.get("beats") and not set(rule["beats"]) & set(journalist.beats or ()):
        return False
    if rule.get("languages") and not set(rule["languages"]) & set(journalist.languages or ()):
        return False
    if rule.get("regions") and region not in rule["regions"]:
        return False
    return not (rule.get("outlet_ids") and journalist.outlet_id not in rule["outlet_ids"])


def _members(connection: sa.Connection) -> dict[int, dict[int, bool]]:
    """Each list's members, and whether a release reaches each."""
    lists = connection.execute(
        sa.select(LISTS.c.id, LISTS.c.kind, LISTS.c.rule, LISTS.c.member_ids)
    ).all()
    if not lists:
        return {}
    outlets = {
        row.id: (row.medium, row.region)
        for row in connection.execute(sa.select(OUTLETS.c.id, OUTLETS.c.medium, OUTLETS.c.region))
    }
    consented = set(
        connection.scalars(
            sa.select(CONSENTS.c.journalist_id).where(
                CONSENTS.c.purpose == "press_distribution", CONSENTS.c.withdrawn_at.is_(None)
            )
        )
    )
    journalists = connection.execute(sa.select(JOURNALISTS)).all()
    reached = {
        j.id: bool(j.email) and j.unsubscribed_at is None and j.email_bounced_at is None
        and j.id in consented
        for j in journalists
    }  # fmt: skip
    members: dict[int, dict[int, bool]] = {}
    for found in lists:
        if found.kind == "static":
            ids = sorted(set(found.member_ids or ()) & reached.keys())
        else:
            ids = [
                j.id for j in journalists if _matches(found.rule or {}, j, outlets.get(j.outlet_id))
            ]
        members[found.id] = {j: reached[j] for j in ids}
    return members


def _write_members(connection: sa.Connection, members: dict[int, dict[int, bool]]) -> None:
    for list_id, reached in members.items():
        if reached:
            connection.execute(
                sa.insert(MEMBERS),
                [
                    {"list_id": list_id, "journalist_id": j, "reached": r}
                    for j, r in reached.items()
                ],
            )
        connection.execute(
            sa.update(LISTS)
            .where(LISTS.c.id == list_id)
            .values(member_count=len(reached), recipient_count=sum(reached.values()))
        )


def _static_members(connection: sa.Connection) -> dict[int, list[int]]:
    rows = connection.execute(
        sa.select(MEMBERS.c.list_id, MEMBERS.c.journalist_id)
        .join(LISTS, LISTS.c.id == MEMBERS.c.list_id)
        .where(LISTS.c.kind == "static")
        .order_by(MEMBERS.c.list_id, MEMBERS.c.journalist_id)
    )
    named: dict[int, list[int]] = {}
    for list_id, journalist_id in rows:
        named.setdefault(list_id, []).append(journalist_id)
    return named
