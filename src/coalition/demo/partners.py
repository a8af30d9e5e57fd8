"""The demo's nations, organisations and security agreements.

Every organisation is fictional; the names are meant to sound like the national labs and
agencies a real coalition programme brings together. Mail and web domains use the reserved
``.example`` top-level domain so no demo address can reach a real mailbox.
"""

from __future__ import annotations

from datetime import date

from coalition.demo.specs import NationSpec, OrganisationSpec, SecurityAgreementSpec
from coalition.registry.models import OrganisationKind

AGENCY = OrganisationKind.AGENCY
LAB = OrganisationKind.LAB
COMPANY = OrganisationKind.COMPANY
UNIVERSITY = OrganisationKind.UNIVERSITY

NATIONS: tuple[NationSpec, ...] = (
    NationSpec("USA", "USA", 10, 1, "USD"),
    NationSpec("GBR", "GBR", 4, 1, "GBP"),
    NationSpec("FRA", "FRA", 1, 1, "EUR"),
    NationSpec("DEU", "DEU", 1, 1, "EUR"),
    NationSpec("CAN", "CAN", 4, 1, "CAD"),
    NationSpec("AUS", "AUS", 7, 1, "AUD"),
    NationSpec("NOR", "NOR", 1, 1, "NOK"),
)

# Agencies come first: labs name them as parents, and agreements are signed by them.
ORGANISATIONS: tuple[OrganisationSpec, ...] = (
    # --- defence science agencies: the signatories of MoUs and project arrangements
    OrganisationSpec(
        "ODRE",
        "Office of Defense Research and Engineering",
        AGENCY,
        "USA",
        "Arlington, VA",
        domain="odre.example",
    ),
    OrganisationSpec(
        "MOD-SD",
        "Ministry of Defence Science Directorate",
        AGENCY,
        "GBR",
        "London",
        domain="mod-sd.example",
    ),
    OrganisationSpec(
        "DED", "Direction des études de défense", AGENCY, "FRA", "Paris", domain="ded.example"
    ),
    OrganisationSpec(
        "BWF",
        "Bundesamt für wehrtechnische Forschung",
        AGENCY,
        "DEU",
        "Koblenz",
        domain="bwf.example",
    ),
    OrganisationSpec(
        "CDSA", "Canadian Defence Science Agency", AGENCY, "CAN", "Ottawa", domain="cdsa.example"
    ),
    OrganisationSpec(
        "ADSA",
        "Australian Defence Science Agency",
        AGENCY,
        "AUS",
        "Canberra",
        domain="adsa.example",
    ),
    OrganisationSpec(
        "NDTA",
        "Norwegian Defence Technology Agency",
        AGENCY,
        "NOR",
        "Kjeller",
        domain="ndta.example",
    ),
    # --- national laboratories
    OrganisationSpec(
        "CNSL",
        "Chesapeake Naval Sensing Laboratory",
        LAB,
        "USA",
        "Annapolis, MD",
        parent="ODRE",
        domain="cnsl.example",
    ),
    OrganisationSpec(
        "SHL",
        "Sandhill Hypersonics Laboratory",
        LAB,
        "USA",
        "Albuquerque, NM",
        parent="ODRE",
        domain="shl.example",
    ),
    OrganisationSpec(
        "WMSL",
        "Wessex Maritime Systems Laboratory",
        LAB,
        "GBR",
        "Portsmouth",
        parent="MOD-SD",
        domain="wmsl.example",
    ),
    OrganisationSpec(
        "MHRE",
        "Malvern Hills Radar Establishment",
        LAB,
        "GBR",
        "Malvern",
        parent="MOD-SD",
        domain="mhre.example",
    ),
    OrganisationSpec(
        "LRDA",
        "Laboratoire de recherche en détection avancée",
        LAB,
        "FRA",
        "Toulouse",
        parent="DED",
        domain="lrda.example",
    ),
    OrganisationSpec(
        "IRF",
        "Institut für Radar und Funksensorik",
        LAB,
        "DEU",
        "Bonn",
        parent="BWF",
        domain="irf.example",
    ),
    # An independent institute, funded by the ministry but outside the agency's line.
    OrganisationSpec(
        "ZAS", "Zentrum für autonome Systeme", LAB, "DEU", "Munich", domain="zas.example"
    ),
    OrganisationSpec(
        "HOSL",
        "Halifax Ocean Sensing Laboratory",
        LAB,
        "CAN",
        "Halifax, NS",
        parent="CDSA",
        domain="hosl.example",
    ),
    OrganisationSpec(
        "WHFL",
        "Woomera High-Speed Flight Laboratory",
        LAB,
        "AUS",
        "Adelaide, SA",
        parent="ADSA",
        domain="whfl.example",
    ),
    OrganisationSpec(
        "AUAL",
        "Arctic Underwater Acoustics Laboratory",
        LAB,
        "NOR",
        "Horten",
        parent="NDTA",
        domain="aual.example",
    ),
    # --- industry and academia
    OrganisationSpec(
        "BWA",
        "Brightwater Autonomy Inc.",
        COMPANY,
        "USA",
        "Pittsburgh, PA",
        domain="brightwater.example",
    ),
    OrganisationSpec(
        "TFP", "Thamesford Photonics Ltd", COMPANY, "GBR", "Reading", domain="thamesford.example"
    ),
    OrganisationSpec(
        "PIT",
        "Pennine Institute of Technology",
        UNIVERSITY,
        "GBR",
        "Leeds",
        domain="pennine-tech.example",
    ),
)

ORGANISATION_BY_SHORT_NAME = {o.short_name: o for o in ORGANISATIONS}

# Levels on the common scale: 3 = SECRET, 4 = TOP SECRET. The references and dates are
# illustrative, not those of the real instruments.
SECURITY_AGREEMENTS: tuple[SecurityAgreementSpec, ...] = (
    SecurityAgreementSpec(
        "NATO-SOI-1997",
        "Agreement between the Parties to the North Atlantic Treaty for the "
        "Security of Information",
        ("NATO", "USA", "GBR", "FRA", "DEU", "CAN", "NOR"),
        4,
        date(1997, 8, 26),
    ),
    SecurityAgreementSpec(
        "GSA-GBR-USA",
        "General Security Agreement, United States - United Kingdom",
        ("USA", "GBR"),
        4,
        date(1961, 1, 27),
    ),
    SecurityAgreementSpec(
        "GSA-CAN-USA",
        "General Security Agreement, United States - Canada",
        ("USA", "CAN"),
        4,
        date(1962, 8, 30),
    ),
    SecurityAgreementSpec(
        "GSA-AUS-USA",
        "General Security Agreement, United States - Australia",
        ("USA", "AUS"),
        4,
        date(2002, 6, 25),
    ),
    SecurityAgreementSpec(
        "GSA-FRA-USA",
        "General Security of Information Agreement, United States - France",
        ("USA", "FRA"),
        3,
        date(1977, 9, 7),
    ),
    SecurityAgreementSpec(
        "GSA-DEU-USA",
        "General Security of Military Information Agreement, United States - Germany",
        ("USA", "DEU"),
        3,
        date(1987, 3, 2),
    ),
    SecurityAgreementSpec(
        "GSA-NOR-USA",
        "General Security of Military Information Agreement, United States - Norway",
        ("USA", "NOR"),
        3,
        date(1984, 4, 10),
    ),
    SecurityAgreementSpec(
        "GSA-AUS-GBR",
        "Security Agreement, United Kingdom - Australia",
        ("GBR", "AUS"),
        4,
        date(1993, 2, 1),
    ),
    SecurityAgreementSpec(
        "GSA-CAN-GBR",
        "Security Agreement, United Kingdom - Canada",
        ("GBR", "CAN"),
        4,
        date(1994, 11, 14),
    ),
    SecurityAgreementSpec(
        "GSA-FRA-GBR",
        "Security Agreement, United Kingdom - France",
        ("GBR", "FRA"),
        3,
        date(2008, 3, 27),
    ),
    SecurityAgreementSpec(
        "GSA-DEU-GBR",
        "Security Agreement, United Kingdom - Germany",
        ("GBR", "DEU"),
        3,
        date(2003, 10, 30),
    ),
    SecurityAgreementSpec(
        "GSA-GBR-NOR",
        "Security Agreement, United Kingdom - Norway",
        ("GBR", "NOR"),
        3,
        date(2011, 5, 12),
    ),
    # The Franco-German agreement was renewed: the superseded one stays on record so that
    # decisions about old releases can still be explained against the text then in force.
    SecurityAgreementSpec(
        "GSA-DEU-FRA-1961",
        "Security Agreement, France - Germany (1961)",
        ("FRA", "DEU"),
        3,
        date(1961, 6, 1),
        date(2005, 1, 1),
    ),
    SecurityAgreementSpec(
        "GSA-DEU-FRA-2005",
        "Security Agreement, France - Germany (2005)",
        ("FRA", "DEU"),
        3,
        date(2005, 1, 1),
    ),
)
