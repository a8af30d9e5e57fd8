"""API routes of expertise profiles, their search and the partner finder."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from coalition.expertise import services
from coalition.expertise.models import ProfileKind
from coalition.expertise.schemas import PartnerOut, ProfileIn, ProfileOut, ProfileUpdate, SearchOut
from coalition.web.deps import ApiPrincipal, UowDep

router = APIRouter(tags=["expertise"])


@router.get("/expertise/profiles")
def search_profiles(
    actor: ApiPrincipal,
    uow: UowDep,
    q: Annotated[str | None, Query(max_length=200, description="Words, all required.")] = None,
    capability: Annotated[
        str | None, Query(max_length=80, description="A code or a branch, e.g. aero.")
    ] = None,
    nation: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
    kind: ProfileKind | None = None,
    trl_min: Annotated[int | None, Query(ge=1, le=9)] = None,
    limit: Annotated[int, Query(ge=1, le=services.MAX_PAGE)] = 20,
    offset: Annotated[int, Query(ge=0, le=services.MAX_OFFSET)] = 0,
    mode: Annotated[
        Literal["text", "semantic"],
        Query(description="semantic: by meaning (needs the semantic extra on the node)."),
    ] = "text",
) -> SearchOut:
    """Profiles ranked by relevance to ``q`` (every word, as a prefix), filtered; only
    those the caller may see are returned or counted."""
    return services.search(
        uow,
        actor,
        q=q,
        capability=capability,
        nation=nation,
        kind=kind,
        trl_min=trl_min,
        limit=limit,
        offset=offset,
        mode=mode,
    )


@router.post("/expertise/profiles", status_code=status.HTTP_201_CREATED)
def create_profile(actor: ApiPrincipal, uow: UowDep, data: ProfileIn) -> ProfileOut:
    """A profile of an organisation (its managers) or of a person (the person, or the
    organisation's managers)."""
    return services.create_profile(uow, actor, data)


@router.get("/expertise/profiles/{profile_id}")
def get_profile(profile_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep) -> ProfileOut:
    return services.get_profile(uow, actor, profile_id)


@router.patch("/expertise/profiles/{profile_id}")
def update_profile(
    profile_id: uuid.UUID, actor: ApiPrincipal, uow: UowDep, data: ProfileUpdate
) -> ProfileOut:
    return services.update_profile(uow, actor, profile_id, data)


@router.get("/expertise/partners")
def find_partners(
    actor: ApiPrincipal,
    uow: UowDep,
    capability: Annotated[str, Query(min_length=1, max_length=80)],
    agreement: Annotated[str | None, Query(max_length=80)] = None,
    level: Annotated[
        str | None, Query(max_length=20, description="SECRET, or 0 to 4 on the common ladder.")
    ] = None,
    trl_min: Annotated[int | None, Query(ge=1, le=9)] = None,
) -> list[PartnerOut]:
    """Organisations with the capability, in nations party to the agreement, owning a
    facility labelled at the level or above, with the evidence the caller may see."""
    return services.find_partners(
        uow, actor, capability=capability, agreement=agreement, level=level, trl_min=trl_min
    )
