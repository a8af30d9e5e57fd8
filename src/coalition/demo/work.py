"""The demo's agreements and projects: two MoUs, three project arrangements, four projects.

Dates are offsets from the load date. Each child lies inside its parent: a project
arrangement inside its MoU, a project inside its arrangement, a milestone inside its
project. Project members join a day after their organisation does, because membership is
checked against participation on the member's first day.
"""

from __future__ import annotations

from decimal import Decimal

from coalition.agreements.models import (
    AgreementKind,
    AgreementStatus,
    CostShareRule,
    DecisionRule,
    IpRegime,
)
from coalition.agreements.schemas import DisputeStep, Terms
from coalition.demo.specs import (
    AgreementSpec,
    AmendmentSpec,
    DeliverableSpec,
    MemberSpec,
    MilestoneSpec,
    ParticipantSpec,
    ProjectSpec,
    WorkPackageSpec,
)
from coalition.projects.models import DeliverableStatus, MemberRole, ParticipantRole

SECRET = 3
DISPUTE_LADDER = [
    DisputeStep(level="Project officers", days=30),
    DisputeStep(level="Steering committee", days=60),
    DisputeStep(level="National directors of defence research", days=90),
]

CSAR_MOU = "CSAR-MOU-01"
THC_MOU = "THC-MOU-01"
MARITIME_PA = "CSAR-PA-01"
RADAR_PA = "CSAR-PA-02"
HYPERSONICS_PA = "THC-PA-01"

AGREEMENTS: tuple[AgreementSpec, ...] = (
    AgreementSpec(
        CSAR_MOU,
        "Coalition Sensor and Autonomy Research Memorandum of Understanding",
        AgreementKind.MOU,
        ("ODRE", "MOD-SD", "DED", "BWF", "CDSA", "ADSA", "NDTA"),
        signed_on=-1930,
        effective_from=-1900,
        expires_on=2150,
        terms=Terms(
            classification_ceiling=SECRET,
            default_releasability=["NATO", "AUS"],
            decision_rule=DecisionRule.CONSENSUS,
            dispute_ladder=DISPUTE_LADDER,
            ip_regime=IpRegime.OWNER_KEEPS_RESULTS_ROYALTY_FREE_PROJECT_USE,
            cost_share_rule=CostShareRule.EACH_BEARS_OWN,
        ),
        summary="Framework for cooperative research on sensors, data fusion and autonomous "
        "systems among seven defence science organisations. Work is carried out under "
        "project arrangements.",
        amendments=(
            AmendmentSpec(
                "Inclusion of counter-uncrewed-systems research",
                "Extends the scope of cooperation to detection and defeat of small "
                "uncrewed air and surface systems.",
                signed_on=-400,
                effective_from=-380,
            ),
        ),
    ),
    AgreementSpec(
        THC_MOU,
        "Trilateral Hypersonics Cooperation Memorandum of Understanding",
        AgreementKind.MOU,
        ("ODRE", "MOD-SD", "ADSA"),
        signed_on=-1020,
        effective_from=-1000,
        expires_on=2600,
        terms=Terms(
            classification_ceiling=SECRET,
            default_releasability=["AUKUS"],
            decision_rule=DecisionRule.UNANIMITY,
            dispute_ladder=DISPUTE_LADDER,
            ip_regime=IpRegime.GOVERNMENT_PURPOSE_RIGHTS,
            cost_share_rule=CostShareRule.EQUAL,
        ),
        summary="Framework for trilateral research on hypersonic flight, materials, "
        "propulsion and test infrastructure.",
    ),
    AgreementSpec(
        MARITIME_PA,
        "Project Arrangement on Maritime Autonomy and Sensing",
        AgreementKind.PROJECT_ARRANGEMENT,
        ("ODRE", "MOD-SD", "CDSA", "NDTA"),
        signed_on=-1870,
        effective_from=-1850,
        expires_on=1800,
        parent=CSAR_MOU,
        terms=Terms(
            classification_ceiling=SECRET,
            default_releasability=["NATO"],
            decision_rule=DecisionRule.QUALIFIED_MAJORITY,
            qualified_majority_percent=75,
            dispute_ladder=DISPUTE_LADDER,
            ip_regime=IpRegime.OWNER_KEEPS_RESULTS_ROYALTY_FREE_PROJECT_USE,
            # Amended to USA 40, NOR 20 when Norway took on the Arctic trials
            # (coalition.demo.funding).
            cost_share_rule=CostShareRule.FIXED_SHARES,
            cost_shares={
                "USA": Decimal(45),
                "GBR": Decimal(25),
                "CAN": Decimal(15),
                "NOR": Decimal(15),
            },
        ),
        summary="Distributed undersea and surface sensing with autonomous vessels, including "
        "Arctic trials.",
        amendments=(
            AmendmentSpec(
                "Revised trial schedule",
                "Moves the Arctic sea trial by one season "
                "after ice conditions prevented the first attempt.",
                signed_on=-120,
                effective_from=-110,
            ),
        ),
    ),
    AgreementSpec(
        RADAR_PA,
        "Project Arrangement on Multi-Static Radar",
        AgreementKind.PROJECT_ARRANGEMENT,
        ("MOD-SD", "DED", "BWF"),
        signed_on=-620,
        effective_from=-600,
        expires_on=1500,
        parent=CSAR_MOU,
        terms=Terms(
            classification_ceiling=SECRET,
            default_releasability=["NATO"],
            decision_rule=DecisionRule.CONSENSUS,
            dispute_ladder=DISPUTE_LADDER,
            ip_regime=IpRegime.JOINT_OWNERSHIP,
            cost_share_rule=CostShareRule.PROPORTIONAL_TO_WORKSHARE,
        ),
        summary="Multi-static and passive radar for detecting low-observable air targets.",
    ),
    AgreementSpec(
        HYPERSONICS_PA,
        "Project Arrangement on Hypersonic Materials and Propulsion",
        AgreementKind.PROJECT_ARRANGEMENT,
        ("ODRE", "MOD-SD", "ADSA"),
        signed_on=-470,
        effective_from=-450,
        expires_on=1600,
        parent=THC_MOU,
        terms=Terms(
            classification_ceiling=SECRET,
            default_releasability=["AUKUS"],
            decision_rule=DecisionRule.UNANIMITY,
            dispute_ladder=DISPUTE_LADDER,
            ip_regime=IpRegime.JOINT_OWNERSHIP,
            cost_share_rule=CostShareRule.EQUAL,
        ),
        summary="Ultra-high-temperature materials, scramjet combustor testing and "
        "aerothermal modelling.",
    ),
    # Still being negotiated: shows a draft beside the agreements in force.
    AgreementSpec(
        "NDA-TFP-WHFL-01",
        "Non-Disclosure Agreement on Hypersonic Window Materials",
        AgreementKind.NDA,
        ("TFP", "WHFL"),
        signed_on=None,
        effective_from=14,
        expires_on=1110,
        status=AgreementStatus.DRAFT,
        terms=Terms(classification_ceiling=0, default_releasability=["AUS", "GBR"]),
        summary="Exchange of proprietary data on optical window materials ahead of a "
        "possible subcontract.",
    ),
)

LEAD = ParticipantRole.LEAD
PARTNER = ParticipantRole.PARTNER
SUBCONTRACTOR = ParticipantRole.SUBCONTRACTOR
OBSERVER = ParticipantRole.OBSERVER
PM = MemberRole.PROJECT_MANAGER
TECH = MemberRole.TECHNICAL_LEAD
RESEARCHER = MemberRole.RESEARCHER
ACCEPTED = DeliverableStatus.ACCEPTED
SUBMITTED = DeliverableStatus.SUBMITTED
IN_PROGRESS = DeliverableStatus.IN_PROGRESS

D = DeliverableSpec
M = MilestoneSpec

PROJECTS: tuple[ProjectSpec, ...] = (
    ProjectSpec(
        "CSAR-MAS",
        "Maritime Autonomous Sensing",
        MARITIME_PA,
        "CNSL",
        start_on=-700,
        end_on=800,
        classification_ceiling=SECRET,
        active=True,
        description="Networks of autonomous surface and undersea vessels carrying acoustic "
        "sensors, with shared classification of contacts across the partner navies' data.",
        partners=(
            ParticipantSpec("WMSL", PARTNER, -700),
            ParticipantSpec("HOSL", PARTNER, -700),
            ParticipantSpec("AUAL", PARTNER, -650),
            ParticipantSpec("BWA", SUBCONTRACTOR, -500),
        ),
        members=(
            MemberSpec("Dana Whitfield", PM, -699),
            MemberSpec("Marcus Oyelaran", TECH, -699),
            MemberSpec("Priya Raman", RESEARCHER, -600),
            MemberSpec("Thomas Kettering", RESEARCHER, -550),
            MemberSpec("Fiona Ashcroft", TECH, -699),
            MemberSpec("Amara Okafor", RESEARCHER, -690),
            MemberSpec("Sophie Tremaine", RESEARCHER, -400),
            MemberSpec("Mathieu Tremblay", TECH, -699),
            MemberSpec("Aisha Rahman", RESEARCHER, -690),
            MemberSpec("Ingrid Solberg", TECH, -649),
            MemberSpec("Henrik Dahl", RESEARCHER, -640),
            MemberSpec("Kyle Brennan", RESEARCHER, -499),
        ),
        work_packages=(
            WorkPackageSpec(
                "WP1",
                "Distributed acoustic sensing",
                "CNSL",
                "Low-power sensor nodes and their acoustic processing chain.",
                (
                    D("D1.1", "Sensor node design review report", -500, ACCEPTED),
                    D("D1.2", "Acoustic processing chain, release 1", -150, SUBMITTED),
                    D("D1.3", "Acoustic processing chain, release 2", 200),
                ),
            ),
            WorkPackageSpec(
                "WP2",
                "Uncrewed surface vessel integration",
                "WMSL",
                "Integration of the sensor payload on two surface vessels.",
                (
                    D("D2.1", "Payload interface control document", -420, ACCEPTED),
                    D("D2.2", "Integrated vessel trial report", 120, IN_PROGRESS),
                ),
            ),
            WorkPackageSpec(
                "WP3",
                "Arctic trials",
                "AUAL",
                "Sea trials under ice-edge conditions in the Barents Sea.",
                (
                    D("D3.1", "Arctic trial plan", -60, SUBMITTED),
                    D("D3.2", "Arctic trial data set and report", 400),
                ),
            ),
            WorkPackageSpec(
                "WP4",
                "Contact classification and data fusion",
                "HOSL",
                "Machine-learning classification of contacts across partners' data.",
                (
                    D("D4.1", "Labelled contact data set", -200, ACCEPTED),
                    D("D4.2", "Fused contact picture demonstrator", 500),
                ),
            ),
        ),
        milestones=(
            M("M1", "Kick-off meeting", -690, achieved_on=-690),
            M("M2", "Sensor node design frozen", -300, achieved_on=-310),
            M("M3", "Harbour trial in Halifax", -20),
            M("M4", "Arctic sea trial readiness review", 35),
            M("M5", "Final demonstration", 700),
        ),
    ),
    ProjectSpec(
        "CSAR-SWC",
        "Swarm Command and Control for Uncrewed Surface Vessels",
        MARITIME_PA,
        "WMSL",
        start_on=45,
        end_on=1000,
        classification_ceiling=SECRET,
        active=False,
        description="Proposed follow-on: mission planning and command of vessel swarms "
        "across national command-and-control systems.",
        partners=(
            ParticipantSpec("HOSL", PARTNER, 45),
            ParticipantSpec("BWA", PARTNER, 45),
        ),
        members=(
            MemberSpec("Fiona Ashcroft", PM, 46),
            MemberSpec("James Hollis", TECH, 46),
            MemberSpec("Aisha Rahman", RESEARCHER, 46),
            MemberSpec("Kyle Brennan", TECH, 46),
        ),
        work_packages=(
            WorkPackageSpec(
                "WP1",
                "Swarm mission planning",
                "WMSL",
                "Planning tools that respect each nation's rules of engagement.",
                (D("D1.1", "Concept of operations", 120),),
            ),
            WorkPackageSpec(
                "WP2",
                "Interoperable command links",
                "BWA",
                "Command links between national command-and-control systems.",
                (D("D2.1", "Interface specification", 200),),
            ),
        ),
        milestones=(
            M("M1", "Kick-off meeting", 50),
            M("M2", "Concept of operations agreed", 130),
            M("M3", "Swarm demonstration", 900),
        ),
    ),
    ProjectSpec(
        "CSAR-MSR",
        "Multi-Static Radar for Low-Observable Air Targets",
        RADAR_PA,
        "IRF",
        start_on=-500,
        end_on=600,
        classification_ceiling=SECRET,
        active=True,
        description="A network of passive and multi-static radar receivers using transmitters "
        "of opportunity, with synchronised processing across three nations.",
        partners=(
            ParticipantSpec("LRDA", PARTNER, -500),
            ParticipantSpec("MHRE", PARTNER, -500),
        ),
        members=(
            MemberSpec("Katrin Vogel", PM, -499),
            MemberSpec("Lena Hoffmann", RESEARCHER, -499),
            MemberSpec("Matthias Brandt", RESEARCHER, -480),
            MemberSpec("Élodie Marchand", TECH, -499),
            MemberSpec("Julien Fabre", RESEARCHER, -499),
            MemberSpec("Camille Besson", RESEARCHER, -300),
            MemberSpec("Eleanor Vaughan", TECH, -499),
            MemberSpec("Gareth Price", RESEARCHER, -499),
            MemberSpec("Isla McLeod", RESEARCHER, -250),
        ),
        work_packages=(
            WorkPackageSpec(
                "WP1",
                "Transmitters of opportunity",
                "LRDA",
                "Characterisation of broadcast and cellular transmitters.",
                (
                    D("D1.1", "Transmitter survey", -350, ACCEPTED),
                    D("D1.2", "Waveform ambiguity analysis", 90, IN_PROGRESS),
                ),
            ),
            WorkPackageSpec(
                "WP2",
                "Receiver network and synchronisation",
                "IRF",
                "Time and phase synchronisation of distributed receivers.",
                (
                    D("D2.1", "Synchronisation design", -200, ACCEPTED),
                    D("D2.2", "Receiver network field report", 300),
                ),
            ),
            WorkPackageSpec(
                "WP3",
                "Tracking and fusion",
                "MHRE",
                "Multi-hypothesis tracking across bistatic pairs.",
                (D("D3.1", "Tracker performance report", 400),),
            ),
        ),
        milestones=(
            M("M1", "Kick-off meeting", -490, achieved_on=-490),
            M("M2", "Bistatic geometry trials", -60, achieved_on=-52),
            M("M3", "Network synchronisation demonstration", -10),
            M("M4", "Live air trial", 55),
            M("M5", "Final review", 550),
        ),
    ),
    ProjectSpec(
        "THC-HMP",
        "Hypersonic Materials and Propulsion Testbed",
        HYPERSONICS_PA,
        "WHFL",
        start_on=-400,
        end_on=1100,
        classification_ceiling=SECRET,
        active=True,
        description="Ultra-high-temperature ceramics and scramjet combustors tested in shared "
        "arc-jet and shock-tunnel facilities.",
        partners=(
            ParticipantSpec("SHL", PARTNER, -400),
            ParticipantSpec("PIT", PARTNER, -380),
            ParticipantSpec("TFP", OBSERVER, -100),
        ),
        members=(
            MemberSpec("Bronwyn Keating", PM, -399),
            MemberSpec("Daniel Nguyen", RESEARCHER, -399),
            MemberSpec("Tessa Walsh", RESEARCHER, -300),
            MemberSpec("Rebecca Sorensen", TECH, -399),
            MemberSpec("Jonah Pike", RESEARCHER, -399),
            MemberSpec("Hannah Li", RESEARCHER, -280),
            MemberSpec("Alan Hughes", TECH, -379),
            MemberSpec("Mei Lin Chua", RESEARCHER, -200),
        ),
        work_packages=(
            WorkPackageSpec(
                "WP1",
                "Ultra-high-temperature ceramics",
                "SHL",
                "Coupon manufacture and arc-jet testing of UHTC composites.",
                (
                    D("D1.1", "Material down-select report", -95, ACCEPTED),
                    D("D1.2", "Arc-jet test report", 60, IN_PROGRESS),
                ),
            ),
            WorkPackageSpec(
                "WP2",
                "Scramjet combustor testing",
                "WHFL",
                "Hot-fire tests of a modular combustor in the shock tunnel.",
                (
                    D("D2.1", "Combustor test plan", -30, SUBMITTED),
                    D("D2.2", "Hot-fire test data set", 400),
                ),
            ),
            WorkPackageSpec(
                "WP3",
                "Aerothermal modelling",
                "PIT",
                "Validated aerothermal models from the test campaign.",
                (D("D3.1", "Model validation report", 700),),
            ),
        ),
        milestones=(
            M("M1", "Kick-off meeting", -390, achieved_on=-390),
            M("M2", "Material coupon down-select", -100, achieved_on=-95),
            M("M3", "Arc-jet test campaign complete", -5),
            M("M4", "Combustor hot-fire readiness review", 20),
            M("M5", "Flight test readiness review", 900),
        ),
    ),
)
