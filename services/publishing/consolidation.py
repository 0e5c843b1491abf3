"""A consolidated text of a legal act: the act as it stands on a day, with the amendments
in effect by then applied to its text.

It is an edition of the act like any other (one in progress at a time, published along
a route, superseding the one before), with three differences a lawyer expects: it is
made only here, from the act's published text and the published acts that changed it;
its route is a legal review of its own (the `consolidation` route), not the act's; and
it is not signed again, so it keeps the act's register number and the day it was signed.
"""

from __future__ import annotations

from meria.auth import User
from meria.db import Database
from meria.problems import Problem
from services.publishing import acts
from services.publishing.documents import load, next_edition, now, working_edition
from services.publishing.models import AuditEntry, Document
from services.publishing.schemas import CONSOLIDATION, ConsolidationCreate
from services.publishing.states import State


async def consolidate(
    database: Database, document_id: int, data: ConsolidationCreate, author: User
) -> Document:
    moment = now()
    async with database.transaction() as session:
        document = await load(session, document_id, lock=True)
        if not acts.is_legal_act(document):
            raise Problem(
                409,
                "Not a legal act",
                f"Only a legal act has a consolidated text; document {document_id} is a "
                f"{document.document_type}.",
            )
        base = acts.in_currency(document)
        if base is None:
            raise Problem(
                409,
                "Nothing published",
                f"Document {document_id} has no published edition in force to consolidate.",
            )
        if working_edition(document) is not None:
            raise Problem(
                409,
                "An edition is already in progress",
                f"Document {document_id} already has an unpublished edition; finish or "
                "withdraw it first.",
            )
        earlier = acts.published_consolidations(document)
        latest = max((e.consolidated_as_of for e in earlier if e.consolidated_as_of), default=None)
        if latest is not None and data.as_of < latest:
            raise Problem(
                409,
                "Earlier than the last consolidated text",
                f"The act's latest published consolidated text is as of {latest.isoformat()}; "
                f"a new one is as of that day or later, not {data.as_of.isoformat()}.",
                latest=latest.isoformat(),
            )
        changes = (await acts.changed_by(session, [document.id])).get(document.id, [])
        applying = acts.to_incorporate(changes, acts.applied_changes(earlier), data.as_of)
        incorporates = list(dict.fromkeys(change.document_id for change in applying))
        if not incorporates:
            raise Problem(
                409,
                "Nothing to incorporate",
                f"No published act changes document {document_id} with effect on or before "
                f"{data.as_of.isoformat()} that a consolidated text has not applied already.",
            )
        edition = next_edition(document, base, author, moment)
        edition.change_note = data.change_note
        edition.change_kind = CONSOLIDATION
        edition.consolidated_as_of = data.as_of
        edition.incorporates = incorporates
        edition.incorporated_changes = [list(acts.change_key(change)) for change in applying]
        # Not signed again: the act keeps the day it was signed, and its number.
        edition.date_signed = base.date_signed
        await session.flush()
        session.add(
            AuditEntry(
                document_id=document.id,
                edition_number=edition.number,
                at=moment,
                actor=author.id,
                action="consolidate",
                from_state="",
                to_state=State.DRAFT.value,
                comment=data.change_note,
                details={
                    "change_kind": CONSOLIDATION,
                    "consolidated_as_of": data.as_of.isoformat(),
                    "incorporates": incorporates,
                },
            )
        )
    return document
