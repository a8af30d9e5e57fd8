"""The demo's log-ins: one account per kind of user in the design notes.

The password is published on purpose (it is printed by ``coalition demo load`` and in the
docs): these accounts exist only to let a visitor explore a demo node. Never load the
demo on a node that holds real data.
"""

from __future__ import annotations

from coalition.accounts.permissions import Role, ScopeKind
from coalition.demo.specs import GrantSpec, LoginSpec

DEMO_PASSWORD = "coalition-demo"

ORGANISATION = ScopeKind.ORGANISATION
# Reading the directory (`any:directory:read`) comes with every role in any scope, so an
# organisation-scoped officer needs no extra node-wide grant.

LOGINS: tuple[LoginSpec, ...] = (
    LoginSpec("admin", "Node administrator", "node administrator", (GrantSpec(Role.NODE_ADMIN),)),
    LoginSpec(
        "oliver.pennington",
        "Oliver Pennington",
        "security officer, WMSL (GBR)",
        (GrantSpec(Role.SECURITY_OFFICER, ORGANISATION, "WMSL"),),
        person="Oliver Pennington",
    ),
    LoginSpec(
        "marcus.bell",
        "Marcus Bell",
        "facility security officer, CNSL (USA): decides visits to CNSL's facilities",
        (GrantSpec(Role.SECURITY_OFFICER, ORGANISATION, "CNSL"),),
        person="Marcus Bell",
    ),
    LoginSpec(
        "dana.whitfield",
        "Dana Whitfield",
        "programme manager, CNSL (USA), lead lab of CSAR-MAS",
        (GrantSpec(Role.PROGRAMME_MANAGER, ORGANISATION, "CNSL"),),
        person="Dana Whitfield",
    ),
    LoginSpec(
        "katrin.vogel",
        "Katrin Vogel",
        "programme manager, IRF (DEU), lead lab of CSAR-MSR",
        (GrantSpec(Role.PROGRAMME_MANAGER, ORGANISATION, "IRF"),),
        person="Katrin Vogel",
    ),
    LoginSpec(
        "sophie.tremaine",
        "Sophie Tremaine",
        "researcher, WMSL (GBR), dual GBR/CAN national on CSAR-MAS",
        (GrantSpec(Role.RESEARCHER),),
        person="Sophie Tremaine",
    ),
    LoginSpec(
        "priya.raman",
        "Priya Raman",
        "researcher, CNSL (USA), on CSAR-MAS",
        (GrantSpec(Role.RESEARCHER),),
        person="Priya Raman",
    ),
    LoginSpec(
        "leon.castellanos",
        "Leon Castellanos",
        "export-control officer, CNSL (USA)",
        (GrantSpec(Role.EXPORT_CONTROL_OFFICER, ORGANISATION, "CNSL"),),
        person="Leon Castellanos",
    ),
    LoginSpec(
        "victor.ramsey",
        "Victor Ramsey",
        "IP / legal officer, ODRE (USA), keeps the node's IP register",
        (GrantSpec(Role.IP_OFFICER),),
        person="Victor Ramsey",
    ),
    LoginSpec(
        "samuel.ortiz",
        "Samuel Ortiz",
        "finance officer, ODRE (USA)",
        (GrantSpec(Role.FINANCE_OFFICER, ORGANISATION, "ODRE"),),
        person="Samuel Ortiz",
    ),
    LoginSpec(
        "daniel.nguyen",
        "Daniel Nguyen",
        "facility manager, WHFL (AUS): the Woomera shock tunnel",
        (GrantSpec(Role.FACILITY_MANAGER, ORGANISATION, "WHFL"),),
        person="Daniel Nguyen",
    ),
    LoginSpec(
        "auditor",
        "Partner audit office",
        "auditor (whole node, read-only)",
        (GrantSpec(Role.AUDITOR),),
    ),
)
