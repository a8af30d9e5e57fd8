"""The demo's people: fictional staff of the partner organisations, with clearances.

The mix is deliberate, so every screen has something to show: dual nationals (for the
releasability rule), clearances from each nation's own scheme and NATO's, some lapsed,
some expiring within 30 / 60 / 90 days, one suspended and one revoked, and briefings
(an export-control notice acknowledged, compartment briefings) for the caveats rule.
"""

from __future__ import annotations

from coalition.demo.specs import BriefingSpec, ClearanceSpec, Days, PersonSpec
from coalition.registry.models import BriefingKind, ClearanceStatus

C = ClearanceSpec
P = PersonSpec

#: Compartment briefings named as restrictive caveats on labels of two demo projects.
AURORA = "AURORA"
NEPTUNE = "NEPTUNE"
EXPORT_CONTROL_NOTICE = "EXPORT-CONTROL-NOTICE"


def export_notice(given_on: Days) -> BriefingSpec:
    """The yearly acknowledgement that controlled technical data must not be re-exported."""
    return BriefingSpec(
        BriefingKind.ACKNOWLEDGEMENT,
        EXPORT_CONTROL_NOTICE,
        given_on,
        given_on + 365,
        "Acknowledged the export-control notice for controlled technical data.",
    )


def compartment(name: str, given_on: Days) -> BriefingSpec:
    return BriefingSpec(
        BriefingKind.BRIEFING,
        name,
        given_on,
        given_on + 730,
        f"Read into the {name} programme compartment.",
    )


def suspended(spec: ClearanceSpec, reason: str) -> ClearanceSpec:
    return ClearanceSpec(
        spec.issuer,
        spec.level_name,
        spec.valid_from,
        spec.valid_until,
        ClearanceStatus.SUSPENDED,
        reason,
    )


def revoked(spec: ClearanceSpec, reason: str) -> ClearanceSpec:
    return ClearanceSpec(
        spec.issuer,
        spec.level_name,
        spec.valid_from,
        spec.valid_until,
        ClearanceStatus.REVOKED,
        reason,
    )


PEOPLE: tuple[PersonSpec, ...] = (
    # --- CNSL (USA): leads the maritime autonomous sensing project
    # The host security office of CNSL's facilities: decides requests for visit.
    P(
        "Marcus",
        "Bell",
        "CNSL",
        ("USA",),
        "Facility Security Officer",
        (C("USA", "TOP SECRET", -2000, 1200),),
    ),
    P(
        "Dana",
        "Whitfield",
        "CNSL",
        ("USA",),
        "Programme Manager, Undersea Sensing",
        (C("USA", "TOP SECRET", -1500, 300),),
        (export_notice(-120), compartment(NEPTUNE, -600)),
    ),
    P(
        "Marcus",
        "Oyelaran",
        "CNSL",
        ("USA",),
        "Senior Research Engineer, Acoustics",
        (C("USA", "SECRET", -1800, 25),),
        (compartment(NEPTUNE, -580),),
    ),
    P(
        "Priya",
        "Raman",
        "CNSL",
        ("USA",),
        "Research Scientist, Machine Learning",
        (C("USA", "SECRET", -700, 2900),),
        (export_notice(-90),),
    ),
    P(
        "Thomas",
        "Kettering",
        "CNSL",
        ("USA", "GBR"),
        "Systems Engineer",
        (C("USA", "SECRET", -600, 3000), C("GBR", "SC", -300, 1500)),
        (export_notice(-300),),
    ),
    P(
        "Grace",
        "Albright",
        "CNSL",
        ("USA",),
        "Facility Security Officer",
        (C("USA", "TOP SECRET", -2000, 800),),
    ),
    P(
        "Leon",
        "Castellanos",
        "CNSL",
        ("USA",),
        "Export Compliance Manager",
        (C("USA", "SECRET", -1200, 2000),),
        (export_notice(-30),),
    ),
    # --- SHL (USA): materials and propulsion for the hypersonics project
    P(
        "Rebecca",
        "Sorensen",
        "SHL",
        ("USA",),
        "Principal Investigator, Thermal Protection",
        (C("USA", "TOP SECRET", -500, 3100),),
        (compartment(AURORA, -380), export_notice(-200)),
    ),
    P(
        "Jonah",
        "Pike",
        "SHL",
        ("USA",),
        "Propulsion Test Engineer",
        # Lapsed while the periodic reinvestigation is pending.
        (C("USA", "SECRET", -3650, -20),),
        (compartment(AURORA, -360),),
    ),
    P(
        "Hannah",
        "Li",
        "SHL",
        ("USA",),
        "Computational Fluid Dynamics Lead",
        (C("USA", "SECRET", -300, 3300),),
        (compartment(AURORA, -290),),
    ),
    # --- ODRE (USA agency)
    P(
        "Elaine",
        "Marsh",
        "ODRE",
        ("USA",),
        "Director, International Programs",
        (C("USA", "TOP SECRET", -1000, 2000),),
    ),
    P(
        "Victor",
        "Ramsey",
        "ODRE",
        ("USA",),
        "Counsel, International Agreements and IP",
        (C("USA", "SECRET", -800, 2800),),
    ),
    P("Samuel", "Ortiz", "ODRE", ("USA",), "Finance Officer, International Cooperative Programs"),
    # --- BWA (USA company)
    P(
        "Kyle",
        "Brennan",
        "BWA",
        ("USA",),
        "Autonomy Software Lead",
        (
            revoked(
                C("USA", "TOP SECRET", -900, 900),
                "No longer needed after leaving the "
                "special access programme; replaced by a SECRET clearance.",
            ),
            C("USA", "SECRET", -400, 3200),
        ),
        (export_notice(-60),),
    ),
    # --- WMSL (GBR): partner in maritime sensing, lead of the swarm proposal
    P(
        "Fiona",
        "Ashcroft",
        "WMSL",
        ("GBR",),
        "Head of Maritime Autonomy",
        (C("GBR", "DV", -900, 1500), C("NATO", "NATO SECRET", -500, 800)),
        (compartment(NEPTUNE, -550), export_notice(-150)),
    ),
    P(
        "Oliver",
        "Pennington",
        "WMSL",
        ("GBR",),
        "Security Controller",
        (C("GBR", "DV", -1200, 600),),
    ),
    P(
        "Amara",
        "Okafor",
        "WMSL",
        ("GBR",),
        "Research Scientist, Sonar Signal Processing",
        (C("GBR", "SC", -1700, 58),),
        (export_notice(-150),),
    ),
    P(
        "James",
        "Hollis",
        "WMSL",
        ("GBR",),
        "Principal Engineer, Uncrewed Surface Vessels",
        (C("GBR", "SC", -1900, -45),),
    ),
    P(
        "Sophie",
        "Tremaine",
        "WMSL",
        ("GBR", "CAN"),
        "Data Scientist",
        (C("GBR", "SC", -600, 1200), C("CAN", "SECRET", -2200, -100)),
        (export_notice(-150),),
    ),
    P(
        "Ravi",
        "Chandrasekar",
        "WMSL",
        ("GBR",),
        "Test and Evaluation Lead",
        (
            suspended(
                C("GBR", "SC", -800, 1000),
                "Suspended pending review of an undeclared "
                "foreign contact; access withdrawn until the review concludes.",
            ),
        ),
    ),
    # --- MHRE (GBR): partner in multi-static radar
    P(
        "Eleanor",
        "Vaughan",
        "MHRE",
        ("GBR",),
        "Chief Scientist, Radar",
        (C("GBR", "DV", -500, 2200), C("NATO", "NATO SECRET", -480, 1300)),
    ),
    P("Gareth", "Price", "MHRE", ("GBR",), "Radar Systems Engineer", (C("GBR", "SC", -1500, 88),)),
    P(
        "Isla",
        "McLeod",
        "MHRE",
        ("GBR",),
        "Research Fellow, Passive Radar",
        (C("GBR", "SC", -300, 3300), C("NATO", "NATO SECRET", -200, 1600)),
    ),
    # --- PIT (GBR university), TFP (GBR company), MOD-SD (GBR agency)
    P(
        "Alan",
        "Hughes",
        "PIT",
        ("GBR",),
        "Professor of Hypersonic Aerothermodynamics",
        (C("GBR", "SC", -400, 1400),),
        (compartment(AURORA, -370), export_notice(-200)),
    ),
    P(
        "Mei Lin",
        "Chua",
        "PIT",
        ("GBR",),
        "Doctoral Researcher, Aerothermal Modelling",
        (C("GBR", "BPSS", -200, 3400),),
        (export_notice(-180),),
    ),
    P("Nathan", "Ellery", "TFP", ("GBR",), "Photonics Engineer", (C("GBR", "SC", -250, 1600),)),
    P(
        "Catherine",
        "Doyle",
        "MOD-SD",
        ("GBR",),
        "Head of International Research Collaboration",
        (C("GBR", "DV", -700, 1800),),
    ),
    # --- LRDA (FRA) and DED (FRA agency)
    P(
        "Élodie",
        "Marchand",
        "LRDA",
        ("FRA",),
        "Directrice de programme, radar multistatique",
        (C("FRA", "HABILITATION SECRET", -800, 1600), C("NATO", "NATO SECRET", -700, 1100)),
    ),
    P(
        "Julien",
        "Fabre",
        "LRDA",
        ("FRA",),
        "Ingénieur de recherche, traitement du signal",
        (C("FRA", "HABILITATION SECRET", -1400, 41),),
    ),
    P(
        "Camille",
        "Besson",
        "LRDA",
        ("FRA", "DEU"),
        "Chercheuse, fusion de données",
        (C("FRA", "HABILITATION SECRET", -300, 2200), C("DEU", "UE2", -900, 600)),
    ),
    P(
        "Antoine",
        "Giraud",
        "LRDA",
        ("FRA",),
        "Officier de sécurité",
        (C("FRA", "HABILITATION TRES SECRET", -1000, 1200),),
    ),
    P(
        "Nathalie",
        "Roussel",
        "DED",
        ("FRA",),
        "Chargée de coopération internationale",
        (C("FRA", "HABILITATION SECRET", -600, 1900),),
    ),
    # --- IRF and ZAS (DEU), BWF (DEU agency)
    P(
        "Katrin",
        "Vogel",
        "IRF",
        ("DEU",),
        "Head of Radar Systems",
        (C("DEU", "UE3", -1000, 800), C("NATO", "NATO SECRET", -900, 900)),
    ),
    P(
        "Matthias",
        "Brandt",
        "IRF",
        ("DEU",),
        "Research Engineer, Antenna Arrays",
        (C("DEU", "UE2", -1800, -200),),
    ),
    P(
        "Lena",
        "Hoffmann",
        "IRF",
        ("DEU",),
        "Signal Processing Scientist",
        (C("DEU", "UE2", -500, 1900), C("NATO", "NATO SECRET", -1400, 12)),
    ),
    P("Felix", "Wagner", "ZAS", ("DEU",), "Autonomy Researcher", (C("DEU", "UE1", -300, 1500),)),
    P(
        "Sabine",
        "Krüger",
        "BWF",
        ("DEU",),
        "Desk Officer, International Research Cooperation",
        (C("DEU", "UE2", -650, 1700),),
    ),
    # --- HOSL (CAN) and CDSA (CAN agency)
    P(
        "Mathieu",
        "Tremblay",
        "HOSL",
        ("CAN",),
        "Defence Scientist, Ocean Acoustics",
        (C("CAN", "SECRET", -900, 1800),),
        (compartment(NEPTUNE, -500), export_notice(-100)),
    ),
    P(
        "Aisha",
        "Rahman",
        "HOSL",
        ("CAN",),
        "Defence Scientist, Autonomy",
        (C("CAN", "SECRET", -1100, 77),),
        (export_notice(-100),),
    ),
    # A dual national of a nation outside the partnership: releasable-to lists matter.
    P(
        "Liam",
        "O'Connell",
        "HOSL",
        ("CAN", "IRL"),
        "Research Technologist",
        (C("CAN", "SECRET", -400, 3000),),
    ),
    P(
        "Geneviève",
        "Lapointe",
        "CDSA",
        ("CAN",),
        "Director General, Science and Technology Partnerships",
        (C("CAN", "TOP SECRET", -1300, 1100),),
    ),
    # --- WHFL (AUS): leads the hypersonics project; ADSA (AUS agency)
    P(
        "Bronwyn",
        "Keating",
        "WHFL",
        ("AUS",),
        "Program Leader, Hypersonic Flight",
        (C("AUS", "NV2", -700, 2500),),
        (compartment(AURORA, -390), export_notice(-210)),
    ),
    P(
        "Daniel",
        "Nguyen",
        "WHFL",
        ("AUS",),
        "Aerothermal Research Scientist",
        (C("AUS", "NV1", -1000, 1500),),
        (compartment(AURORA, -350),),
    ),
    P(
        "Tessa",
        "Walsh",
        "WHFL",
        ("AUS", "GBR"),
        "Propulsion Scientist",
        (C("AUS", "NV1", -600, 2600),),
        (export_notice(-210),),
    ),
    P(
        "Craig",
        "Hollingsworth",
        "ADSA",
        ("AUS",),
        "Counsellor, Defence Science Cooperation",
        (C("AUS", "NV2", -1100, 1400),),
    ),
    # --- AUAL (NOR) and NDTA (NOR agency). The Norwegian vetting names are not in the
    # reference data, so Norwegian staff hold NATO clearances.
    P(
        "Ingrid",
        "Solberg",
        "AUAL",
        ("NOR",),
        "Research Director, Underwater Acoustics",
        (C("NATO", "NATO SECRET", -600, 1400),),
        (compartment(NEPTUNE, -520),),
    ),
    P(
        "Henrik",
        "Dahl",
        "AUAL",
        ("NOR",),
        "Senior Scientist, Ice-Covered Acoustics",
        (C("NATO", "NATO SECRET", -1400, 30),),
    ),
    P(
        "Kari",
        "Nilsen",
        "AUAL",
        ("NOR",),
        "Research Engineer",
        (C("NATO", "NATO CONFIDENTIAL", -500, 2000),),
    ),
    P(
        "Erik",
        "Haugen",
        "NDTA",
        ("NOR",),
        "Head of International Cooperation",
        (C("NATO", "NATO SECRET", -800, 2100),),
    ),
)
