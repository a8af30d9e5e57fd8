"""Use cases of the export records the `export` rule reads."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from coalition.accounts.permissions import Permission, Principal, Target
from coalition.common.access import require
from coalition.common.events import record_event
from coalition.errors import Conflict, NotFound, Problems, ValidationFailed
from coalition.exportcontrol.models import (
    AuthorisationAmendment,
    AuthorisationDrawdown,
    AuthorisationStatus,
    Exemption,
    ExportAuthorisation,
)
from coalition.exportcontrol.rules import WARNING_DAYS, expiry_warning, overdraws, remaining
from coalition.exportcontrol.schemas import (
    AmendmentIn,
    AmendmentOut,
    AuthorisationDetail,
    AuthorisationIn,
    AuthorisationOut,
    AuthorisationStatusIn,
    DrawdownIn,
    DrawdownOut,
    ExemptionIn,
    ExemptionOut,
    ImportResult,
)
from coalition.projects.models import Project
from coalition.registry.models import Nation, Organisation
from coalition.store.uow import UnitOfWork


def create_authorisation(
    uow: UnitOfWork, actor: Principal, data: AuthorisationIn
) -> AuthorisationOut:
    require(actor, Permission.EXPORT_RECORD_MANAGE, Target.node())
    with uow:
        uow.for_writing()
        problems = Problems()
        row = _new_authorisation(uow.session, data, problems)
        problems.raise_if_any()
        if _exists(uow.session, data.reference):
            raise Conflict(f"reference: an authorisation '{data.reference}' already exists")
        uow.add(row)
        uow.flush()
        record_event(uow, actor, "exportcontrol:authorisation:create", row, data.model_dump())
        uow.commit()
        return _out(row)


def _new_authorisation(
    session: Session, data: AuthorisationIn, problems: Problems, where: str = ""
) -> ExportAuthorisation:
    """The row for ``data``, its problems added (fields prefixed by ``where``)."""
    nations = {data.issuing_nation, *data.recipient_nations}
    known = set(session.scalars(select(Nation.code).where(Nation.code.in_(nations))))
    if data.issuing_nation not in known:
        problems.add(f"{where}issuing_nation", f"unknown nation {data.issuing_nation}")
    unknown = sorted(set(data.recipient_nations) - known)
    if unknown:
        problems.add(f"{where}recipient_nations", f"unknown nation(s): {', '.join(unknown)}")
    _check_ids(session, Organisation, data.end_user_ids, f"{where}end_user_ids", problems)
    _check_ids(session, Project, data.project_ids, f"{where}project_ids", problems)
    row = ExportAuthorisation(
        **data.model_dump(exclude={"end_user_ids", "project_ids", "purposes", "categories"}),
        categories=_categories(data.categories),
        end_user_ids=sorted(str(u) for u in data.end_user_ids),
        project_ids=sorted(str(p) for p in data.project_ids),
        purposes=sorted(str(p) for p in data.purposes),
    )
    row.recipient_nations = sorted(set(data.recipient_nations))
    return row


def _exists(session: Session, reference: str) -> bool:
    found = select(ExportAuthorisation.id).where(ExportAuthorisation.reference == reference)
    return session.scalar(found) is not None


def _categories(values: list[str]) -> list[str]:
    return sorted({" ".join(c.split()) for c in values})


def _out(row: ExportAuthorisation, day: date | None = None) -> AuthorisationOut:
    today = day or date.today()
    out = AuthorisationOut.model_validate(row)
    out.value_remaining = remaining(row.value_limit, row.value_used)  # type: ignore[assignment]
    out.quantity_remaining = remaining(row.quantity_limit, row.quantity_used)  # type: ignore[assignment]
    out.expired = row.valid_until <= today
    out.expiry_warning = (
        expiry_warning(row.valid_until, today) if row.status is AuthorisationStatus.ACTIVE else None
    )
    return out


def get_authorisation(
    uow: UnitOfWork, actor: Principal, authorisation_id: uuid.UUID
) -> AuthorisationDetail:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        session = uow.session
        row = session.get(ExportAuthorisation, authorisation_id)
        if row is None:
            raise NotFound("no export authorisation with this id")
        detail = AuthorisationDetail.model_validate(_out(row).model_dump())
        detail.amendments = [
            AmendmentOut.model_validate(a)
            for a in session.scalars(
                select(AuthorisationAmendment)
                .where(AuthorisationAmendment.authorisation_id == row.id)
                .order_by(AuthorisationAmendment.number)
            )
        ]
        detail.drawdowns = [
            DrawdownOut.model_validate(d)
            for d in session.scalars(
                select(AuthorisationDrawdown)
                .where(AuthorisationDrawdown.authorisation_id == row.id)
                .order_by(AuthorisationDrawdown.created_at)
            )
        ]
        return detail


def amend_authorisation(
    uow: UnitOfWork, actor: Principal, authorisation_id: uuid.UUID, data: AmendmentIn
) -> AuthorisationDetail:
    """Change the amendable fields given, keeping the old and new values and the reason
    as the next amendment. Limits may not fall below what is already used."""
    require(actor, Permission.EXPORT_RECORD_MANAGE, Target.node())
    with uow:
        uow.for_writing()
        session = uow.session
        row = session.get(ExportAuthorisation, authorisation_id, with_for_update=True)
        if row is None:
            raise NotFound("no export authorisation with this id")
        if row.status is AuthorisationStatus.REVOKED:
            raise ValidationFailed.of("status", "a revoked authorisation cannot be amended")
        given = data.model_dump(exclude_unset=True, exclude={"reason"})
        _amendment_problems(session, row, data, given).raise_if_any()
        new = {name: _kept(name, value) for name, value in given.items()}
        changes = {
            name: [_plain(getattr(row, name)), _plain(value)]
            for name, value in new.items()
            if _plain(getattr(row, name)) != _plain(value)
        }
        if not changes:
            raise ValidationFailed.of("body", "the amendment changes nothing")
        for name, value in new.items():
            setattr(row, name, value)
        number = (
            session.scalar(
                select(func.max(AuthorisationAmendment.number)).where(
                    AuthorisationAmendment.authorisation_id == row.id
                )
            )
            or 0
        ) + 1
        session.add(
            AuthorisationAmendment(
                authorisation_id=row.id,
                number=number,
                changes=changes,
                reason=data.reason,
                created_by=actor.name,
            )
        )
        record_event(
            uow,
            actor,
            "exportcontrol:authorisation:amend",
            row,
            {"amendment": number, "changes": changes, "reason": data.reason},
        )
        uow.commit()
    return get_authorisation(uow, actor, authorisation_id)


def _kept(name: str, value: object) -> object:
    """An amended field's value as the row keeps it."""
    if name in ("end_user_ids", "project_ids", "purposes"):
        return sorted(str(v) for v in value or [])  # type: ignore[attr-defined]
    if name == "categories":
        return _categories(value or [])  # type: ignore[arg-type]
    if name == "recipient_nations":
        return sorted(set(value or []))  # type: ignore[call-overload]
    return value


def _amendment_problems(
    session: Session, row: ExportAuthorisation, data: AmendmentIn, given: dict[str, object]
) -> Problems:
    problems = Problems()
    if "recipient_nations" in given:
        wanted = set(data.recipient_nations or [])
        known = set(session.scalars(select(Nation.code).where(Nation.code.in_(wanted))))
        if wanted - known:
            unknown = ", ".join(sorted(wanted - known))
            problems.add("recipient_nations", f"unknown nation(s): {unknown}")
    _check_ids(session, Organisation, data.end_user_ids or [], "end_user_ids", problems)
    _check_ids(session, Project, data.project_ids or [], "project_ids", problems)
    if "valid_until" in given and (data.valid_until is None or data.valid_until <= row.valid_from):
        problems.add("valid_until", "must be after valid_from")
    value_limit, quantity_limit = data.value_limit, data.quantity_limit
    if "value_limit" in given and value_limit is not None and value_limit < row.value_used:
        problems.add("value_limit", f"is below what is already used ({row.value_used})")
    if (
        "quantity_limit" in given
        and quantity_limit is not None
        and quantity_limit < row.quantity_used
    ):
        problems.add("quantity_limit", f"is below what is already used ({row.quantity_used})")
    return problems


def _plain(value: object) -> object:
    """A value as it is kept in an amendment's JSON."""
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, date):
        return value.isoformat()
    return value


def draw(session: Session, authorisation_id: uuid.UUID, value: Decimal, quantity: int) -> None:
    """Use ``value`` and ``quantity`` of an authorisation, atomically: one guarded UPDATE,
    so two draws at the same moment can never together pass a limit. Raises Conflict,
    naming the limit, when it would."""
    table = ExportAuthorisation.__table__
    result = session.execute(
        update(ExportAuthorisation)
        .where(
            ExportAuthorisation.id == authorisation_id,
            (ExportAuthorisation.value_limit.is_(None))
            | (ExportAuthorisation.value_used + value <= ExportAuthorisation.value_limit),
            (ExportAuthorisation.quantity_limit.is_(None))
            | (ExportAuthorisation.quantity_used + quantity <= ExportAuthorisation.quantity_limit),
        )
        .values(
            value_used=ExportAuthorisation.value_used + value,
            quantity_used=ExportAuthorisation.quantity_used + quantity,
            version=ExportAuthorisation.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return
    row = session.execute(
        select(
            table.c.value_limit, table.c.value_used, table.c.quantity_limit, table.c.quantity_used
        ).where(table.c.id == authorisation_id)
    ).first()
    if row is None:
        raise NotFound("no export authorisation with this id")
    why = overdraws(*row, value, quantity) or "the limits changed meanwhile"
    raise Conflict(f"draw-down refused: {why}")


def draw_down(
    uow: UnitOfWork, actor: Principal, authorisation_id: uuid.UUID, data: DrawdownIn
) -> AuthorisationDetail:
    """Record value or quantity used under an authorisation (a shipment outside Coalition,
    say); releases draw down the same way."""
    require(actor, Permission.EXPORT_RECORD_MANAGE, Target.node())
    if data.value == 0 and data.quantity == 0:
        raise ValidationFailed.of("value", "draw down a value or a quantity")
    with uow:
        uow.for_writing()
        session = uow.session
        row = session.get(ExportAuthorisation, authorisation_id)
        if row is None:
            raise NotFound("no export authorisation with this id")
        state = "expired" if row.valid_until <= date.today() else row.status.value
        if row.status is not AuthorisationStatus.ACTIVE or state == "expired":
            raise ValidationFailed.of("authorisation", f"is {state}: nothing can be drawn under it")
        draw(session, authorisation_id, data.value, data.quantity)
        drawdown = AuthorisationDrawdown(
            authorisation_id=authorisation_id,
            value=data.value,
            quantity=data.quantity,
            reference=data.reference,
            created_by=actor.name,
        )
        session.add(drawdown)
        record_event(
            uow,
            actor,
            "exportcontrol:authorisation:draw_down",
            row,
            {"value": data.value, "quantity": data.quantity, "reference": data.reference},
        )
        uow.commit()
    return get_authorisation(uow, actor, authorisation_id)


def change_authorisation_status(
    uow: UnitOfWork, actor: Principal, authorisation_id: uuid.UUID, data: AuthorisationStatusIn
) -> AuthorisationOut:
    require(actor, Permission.EXPORT_RECORD_MANAGE, Target.node())
    with uow:
        uow.for_writing()
        row = uow.session.get(ExportAuthorisation, authorisation_id, with_for_update=True)
        if row is None:
            raise NotFound("no export authorisation with this id")
        old = row.status
        if data.status is old:
            raise ValidationFailed.of("status", f"is already {old}")
        if old is AuthorisationStatus.REVOKED:
            raise ValidationFailed.of(
                "status", "a revoked authorisation stays revoked; record a new one"
            )
        row.status = data.status
        out = _out(row)
        record_event(
            uow,
            actor,
            "exportcontrol:authorisation:status",
            row,
            {"from": old, "to": data.status, "reason": data.reason},
        )
        uow.commit()
        return out


def list_authorisations(uow: UnitOfWork, actor: Principal) -> list[AuthorisationOut]:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        rows = uow.session.scalars(
            select(ExportAuthorisation).order_by(ExportAuthorisation.reference)
        )
        return [_out(r) for r in rows]


def create_exemption(uow: UnitOfWork, actor: Principal, data: ExemptionIn) -> ExemptionOut:
    require(actor, Permission.EXPORT_RECORD_MANAGE, Target.node())
    with uow:
        uow.for_writing()
        session = uow.session
        problems = Problems()
        _check_ids(session, Project, data.conditions.projects, "conditions.projects", problems)
        problems.raise_if_any()
        if session.scalar(select(Exemption.id).where(Exemption.name == data.name)):
            raise Conflict(f"name: an exemption '{data.name}' already exists")
        row = Exemption(
            **data.model_dump(exclude={"conditions"}),
            conditions={
                key: sorted(str(v) for v in values)
                for key, values in data.conditions.model_dump().items()
                if values
            },
        )
        uow.add(row)
        uow.flush()
        record_event(uow, actor, "exportcontrol:exemption:create", row, data.model_dump())
        uow.commit()
        return ExemptionOut.model_validate(row)


def list_exemptions(uow: UnitOfWork, actor: Principal) -> list[ExemptionOut]:
    require(actor, Permission.DIRECTORY_READ, Target.node())
    with uow:
        rows = uow.session.scalars(select(Exemption).order_by(Exemption.name))
        return [ExemptionOut.model_validate(r) for r in rows]


def _check_ids(
    session: Session,
    model: type[Organisation] | type[Project],
    ids: list[uuid.UUID],
    field: str,
    problems: Problems,
) -> None:
    if not ids:
        return
    found = set(session.scalars(select(model.id).where(model.id.in_(ids))))
    missing = [str(i) for i in ids if i not in found]
    if missing:
        problems.add(field, f"unknown id(s): {', '.join(missing)}")


CSV_COLUMNS = (
    "reference",
    "kind",
    "issuing_nation",
    "regime",
    "categories",
    "recipient_nations",
    "end_users",
    "projects",
    "purposes",
    "value_limit",
    "quantity_limit",
    "provisos",
    "valid_from",
    "valid_until",
)
#: Lists inside a cell are separated by semicolons.
LIST_COLUMNS = ("categories", "recipient_nations", "end_users", "projects", "purposes")
MAX_CSV_ROWS = 5000


def import_authorisations(uow: UnitOfWork, actor: Principal, text: str) -> ImportResult:
    """Authorisations from CSV (docs/cli.md, `coalition export import`): every row is
    checked, every problem reported with its row and column, and nothing is recorded
    unless every row is right. End users are organisations' short names, projects their
    codes."""
    require(actor, Permission.EXPORT_RECORD_MANAGE, Target.node())
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    required = ("reference", "kind", "issuing_nation", "regime", "valid_from", "valid_until")
    missing = [c for c in required if c not in header]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if missing or unknown:
        header_problems = Problems()
        if missing:
            header_problems.add("header", f"missing column(s): {', '.join(missing)}")
        if unknown:
            header_problems.add("header", f"unknown column(s): {', '.join(unknown)}")
        header_problems.raise_if_any()
    with uow:
        uow.for_writing()
        session = uow.session
        problems = Problems()
        rows: list[tuple[ExportAuthorisation, AuthorisationIn]] = []
        references: set[str] = set()
        for number, raw in enumerate(reader, start=2):  # row 1 is the header
            if number - 1 > MAX_CSV_ROWS:
                raise ValidationFailed.of("file", f"more than {MAX_CSV_ROWS} rows")
            where = f"row {number}."
            data = _csv_row(session, raw, where, problems)
            if data is None:
                continue
            if data.reference in references:
                problems.add(f"{where}reference", f"'{data.reference}' is twice in the file")
            elif _exists(session, data.reference):
                problems.add(f"{where}reference", f"'{data.reference}' is recorded already")
            references.add(data.reference)
            rows.append((_new_authorisation(session, data, problems, where), data))
        if not rows and not problems.items:
            raise ValidationFailed.of("file", "holds no authorisation")
        problems.raise_if_any()
        for row, data in rows:
            uow.add(row)
            uow.flush()
            record_event(
                uow,
                actor,
                "exportcontrol:authorisation:create",
                row,
                {**data.model_dump(), "source": "csv import"},
            )
        uow.commit()
        return ImportResult(created=len(rows), references=[r.reference for r, _ in rows])


def _csv_row(
    session: Session, raw: dict[str, str | None], where: str, problems: Problems
) -> AuthorisationIn | None:
    cells = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
    values: dict[str, object] = {}
    for column in CSV_COLUMNS:
        cell = cells.get(column, "")
        if column in LIST_COLUMNS:
            values[column] = [item.strip() for item in cell.split(";") if item.strip()]
        elif cell:
            values[column] = cell
    end_users: list[str] = values.pop("end_users")  # type: ignore[assignment]
    projects: list[str] = values.pop("projects")  # type: ignore[assignment]
    values["end_user_ids"] = _ids_by(
        session, Organisation, Organisation.short_name, end_users, where + "end_users", problems
    )
    values["project_ids"] = _ids_by(
        session, Project, Project.code, projects, where + "projects", problems
    )
    try:
        return AuthorisationIn.model_validate(values)
    except PydanticValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"][:1]) or "row"
            problems.add(f"{where}{field}", error["msg"])
        return None


def _ids_by(
    session: Session,
    model: type[Organisation] | type[Project],
    column: Any,
    names: list[str],
    field: str,
    problems: Problems,
) -> list[uuid.UUID]:
    if not names:
        return []
    rows = session.execute(select(column, model.id).where(column.in_(names)))
    found: dict[str, uuid.UUID] = {row[0]: row[1] for row in rows}
    unknown = [n for n in names if n not in found]
    if unknown:
        problems.add(field, f"unknown: {', '.join(unknown)}")
    return [found[n] for n in names if n in found]


def expiring(
    uow: UnitOfWork, actor: Principal, today: date | None = None
) -> list[AuthorisationOut]:
    """Active authorisations that lapse within 90 days, soonest first (the dashboard's
    warnings at 90, 60 and 30 days)."""
    require(actor, Permission.DIRECTORY_READ, Target.node())
    day = today or date.today()
    with uow:
        rows = uow.session.scalars(
            select(ExportAuthorisation)
            .where(
                ExportAuthorisation.status == AuthorisationStatus.ACTIVE,
                ExportAuthorisation.valid_until > day,
                ExportAuthorisation.valid_until <= day + timedelta(days=max(WARNING_DAYS)),
            )
            .order_by(ExportAuthorisation.valid_until)
        )
        return [_out(r, day) for r in rows]
