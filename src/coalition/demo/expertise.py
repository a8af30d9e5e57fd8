"""The demo's expertise profiles: what the partner laboratories and some of their people
know, labelled so that the finder shows each reader only what their nations may know (the
hypersonics work of WHFL and SHL is AUKUS-only; the rest is open to the partners)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import select

from coalition.accounts.permissions import Principal
from coalition.expertise import services
from coalition.expertise.models import ExpertiseProfile
from coalition.expertise.schemas import ProfileIn, PublicationIn
from coalition.store.uow import UnitOfWork
from coalition.techdata.schemas import LabelIn

PARTNERS = ["FVEY", "DEU", "FRA", "NOR"]


def _open(nation: str, classification: str = "UNCLASSIFIED") -> LabelIn:
    return LabelIn(
        scheme=nation,
        originator=nation,
        classification=classification,
        releasable_to=[nation, *PARTNERS],
    )


def _profiles(people: dict[str, uuid.UUID]) -> list[ProfileIn]:
    return [
        ProfileIn(
            organisation="WHFL",
            headline="Hypersonic flight testing and scramjet propulsion",
            summary="Free-piston shock-tunnel campaigns from Mach 6 to 12, scramjet combustor "
            "development and aerothermal loads on sub-scale vehicles.",
            capabilities=["aero.hypersonic", "aero.thermal", "propulsion.scramjet"],
            keywords=["shock tunnel", "combustor", "thermal protection"],
            trl=6,
            publications=[PublicationIn(title="Scramjet inlet starting at Mach 8", year=2024)],
            label=LabelIn(
                scheme="AUS",
                originator="AUS",
                classification="SECRET",
                releasable_to=["AUKUS"],
            ),
        ),
        ProfileIn(
            organisation="SHL",
            headline="Hypersonic aerothermodynamics and materials",
            summary="Arc-jet testing of ceramic matrix composites; boundary-layer transition.",
            capabilities=["aero.hypersonic", "materials.ceramics"],
            keywords=["arc jet", "transition"],
            trl=5,
            label=LabelIn(
                scheme="USA", originator="USA", classification="SECRET", releasable_to=["AUKUS"]
            ),
        ),
        ProfileIn(
            organisation="CNSL",
            headline="Undersea sensor fusion and distributed sonar networks",
            summary="Multi-static active sonar, data fusion of seabed nodes and towed arrays, "
            "and the computing cluster to run it.",
            capabilities=["acoustics.underwater", "data.fusion", "computing.hpc"],
            keywords=["multistatic sonar", "tracking", "seabed nodes"],
            trl=7,
            label=_open("USA"),
        ),
        ProfileIn(
            organisation="WMSL",
            headline="Maritime autonomy and uncrewed surface vessels",
            summary="Collaborative autonomy for swarms of small uncrewed vessels; collision "
            "regulations compliance; at-sea trials in the Solent.",
            capabilities=["maritime.autonomy", "autonomy.swarming"],
            keywords=["USV", "COLREGs", "swarm"],
            trl=6,
            label=_open("GBR", "OFFICIAL"),
        ),
        ProfileIn(
            organisation="HOSL",
            headline="Ocean acoustics and array calibration",
            summary="Acoustic range operations, hydrophone array calibration and propagation "
            "modelling in coastal waters.",
            capabilities=["acoustics.underwater", "maritime.autonomy"],
            keywords=["hydrophones", "propagation", "calibration"],
            trl=7,
            label=_open("CAN"),
        ),
        ProfileIn(
            organisation="AUAL",
            headline="Under-ice acoustics",
            summary="Acoustic propagation under level and rafted ice; ice-tank trials of hull "
            "sensors.",
            capabilities=["acoustics.underwater", "maritime.ice"],
            keywords=["ice", "Arctic", "sonar"],
            trl=5,
            label=LabelIn(
                scheme="NOR",
                originator="NOR",
                classification="BEGRENSET",
                releasable_to=["NOR", "NATO"],
            ),
        ),
        ProfileIn(
            organisation="IRF",
            headline="Radar signal processing for small maritime targets",
            summary="Sea-clutter modelling and detection of small boats by coherent radar.",
            capabilities=["sensors.radar", "data.fusion"],
            keywords=["sea clutter", "coherent radar"],
            trl=4,
            label=_open("DEU", "VS-NUR FUER DEN DIENSTGEBRAUCH"),
        ),
        ProfileIn(
            organisation="WMSL",
            person_id=people["Fiona Ashcroft"],
            headline="Maritime autonomy programme lead",
            summary="Leads the swarm proposal; trials design for mixed crewed and uncrewed fleets.",
            capabilities=["maritime.autonomy", "autonomy.swarming"],
            keywords=["trials design", "swarm"],
            trl=6,
            label=_open("GBR", "OFFICIAL"),
        ),
        ProfileIn(
            organisation="HOSL",
            person_id=people["Mathieu Tremblay"],
            headline="Ocean acoustician: towed and seabed arrays",
            summary="Array calibration and matched-field processing.",
            capabilities=["acoustics.underwater"],
            keywords=["matched-field processing", "towed arrays"],
            trl=6,
            label=_open("CAN"),
        ),
        ProfileIn(
            organisation="CNSL",
            person_id=people["Priya Raman"],
            headline="Sensor fusion algorithms",
            summary="Multi-target tracking and track-to-track fusion across nations' sensors.",
            capabilities=["data.fusion"],
            keywords=["multi-target tracking", "Kalman filters"],
            trl=5,
            label=_open("USA"),
        ),
    ]


def load_expertise(
    uow: Callable[[], UnitOfWork], actor: Principal, people: dict[str, uuid.UUID]
) -> int:
    with uow() as unit:
        if unit.session.scalar(select(ExpertiseProfile.id).limit(1)) is not None:
            return 0
    profiles = _profiles(people)
    for profile in profiles:
        services.create_profile(uow(), actor, profile)
    return len(profiles)
