"""personal data: outbox payloads and idea texts encrypted at rest; a DELETE's last reply

Outbox payloads (the text sent, an idea's reference or an answer among them) and idea texts
were stored in clear. They become Vault ciphertexts (``bot/app/personal_data.py``), converted both
ways with the configured ``HANYA_SECRET_KEY``. ``outbox.forget_after_send`` marks the reply
to a DELETE: the sender deletes that row once it is sent.

Revision ID: 0010c
Revises: 0008, 0004 (the ideas table)
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010c"
down_revision: str | Sequence[str] | None = ("0008", "0004")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _vault() -> Any:
    """The runtime's vault, made only when there are rows to convert (a fresh store has none)."""
    from bot.core.crypto import vault_from_settings
    from bot.core.settings import get_settings

    return vault_from_settings(get_settings())


def _convert(table: str, source: str, target: str, change: Any,
             target_type: Any = None) -> None:
    """Fill ``target`` from ``source`` row by row with ``change(vault, value)``."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT id, {source} FROM {table}")).all()  # noqa: S608
    if not rows:
        return
    vault = _vault()
    update = sa.text(f"UPDATE {table} SET {target} = :value WHERE id = :id")  # noqa: S608
    if target_type is not None:
        update = update.bindparams(sa.bindparam("value", type_=target_type))
    bind.execute(update, [{"id": row[0], "value": change(vault, row[1])} for row in rows])


def _seal_payload(vault: Any, payload: Any) -> str:
    value = json.loads(payload) if isinstance(payload, str) else payload
    return str(vault.seal(json.dumps(value, ensure_ascii=False, separators=(",", ":"))))


def _open_payload(vault: Any, token: str) -> Any:
    return json.loads(vault.decrypt(token))


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("payload_enc", sa.Text(), nullable=True))
        batch.add_column(sa.Column("forget_after_send", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    _convert("outbox", "payload", "payload_enc", _seal_payload)
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("payload")
        batch.alter_column("payload_enc", existing_type=sa.Text(), nullable=False)
    with op.batch_alter_table("ideas") as batch:
        batch.add_column(sa.Column("text_enc", sa.Text(), nullable=True))
    _convert("ideas", "text", "text_enc", lambda vault, text: vault.encrypt(text or ""))
    with op.batch_alter_table("ideas") as batch:
        batch.drop_column("text")
        batch.alter_column("text_enc", existing_type=sa.Text(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("ideas") as batch:
        batch.add_column(sa.Column("text", sa.Text(), nullable=True))
    _convert("ideas", "text_enc", "text", lambda vault, token: vault.decrypt(token))
    with op.batch_alter_table("ideas") as batch:
        batch.drop_column("text_enc")
        batch.alter_column("text", existing_type=sa.Text(), nullable=False)
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("payload", sa.JSON(), nullable=True))
    _convert("outbox", "payload_enc", "payload", _open_payload, sa.JSON())
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("payload_enc")
        batch.drop_column("forget_after_send")
        batch.alter_column("payload", existing_type=sa.JSON(), nullable=False)
