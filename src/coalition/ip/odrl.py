"""Licences and access rights as ODRL 2.2 policies (JSON-LD), under Coalition's profile
(docs/odrl-profile.md).

A licence becomes an ``Agreement`` between its licensor (assigner) and licensee
(assignee) over the IP asset (target):

- a **permission** to ``use`` it, constrained by purpose (``isAnyOf`` the licensed
  purposes), territory (``spatial`` ``isAnyOf`` the nations; absent means worldwide) and
  validity (``dateTime`` from ``gteq`` to ``lt``);
- a **prohibition** of ``use`` for the other purposes (``isAnyOf`` them);
- a **duty** to ``compensate``, when the licence has royalty or other terms, carrying them.

The context is inline (no remote document to fetch): it maps the same terms to the same
ODRL IRIs as the W3C context, so the policy expands identically anywhere.
"""

from __future__ import annotations

from datetime import date
from typing import Any

ODRL = "http://www.w3.org/ns/odrl/2/"
PROFILE = "https://coalition.example/odrl/profile/1.0"
PURPOSES = (
    "carrying_out_the_project",
    "government_purposes",
    "commercial_exploitation",
    "sale_to_third_parties",
)

CONTEXT: dict[str, Any] = {
    "@vocab": ODRL,
    "odrl": ODRL,
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "coalition": "https://coalition.example/odrl/profile#",
    "uid": "@id",
    "type": "@type",
    "profile": {"@id": "odrl:profile", "@type": "@id"},
    "target": {"@id": "odrl:target", "@type": "@id"},
    "assigner": {"@id": "odrl:assigner", "@type": "@id"},
    "assignee": {"@id": "odrl:assignee", "@type": "@id"},
    "action": {"@id": "odrl:action", "@type": "@vocab"},
    "leftOperand": {"@id": "odrl:leftOperand", "@type": "@vocab"},
    "operator": {"@id": "odrl:operator", "@type": "@vocab"},
    "rightOperand": {"@id": "odrl:rightOperand"},
    "comment": "rdfs:comment",
}


def _uri(kind: str, value: str) -> str:
    return f"urn:coalition:{kind}:{value.replace(' ', '-')}"


def _date(value: date) -> dict[str, str]:
    return {"@value": value.isoformat(), "@type": "xsd:date"}


def licence_policy(
    *,
    reference: str,
    asset: str,
    licensor: str,
    licensee: str,
    purposes: list[str],
    territory: list[str],
    valid_from: date,
    valid_until: date | None,
    terms: str | None,
    active: bool,
) -> dict[str, Any]:
    """One licence as an ODRL Agreement. A terminated licence permits nothing: its
    permission's validity ends where it began."""
    target = _uri("ip-asset", asset)
    parties = {
        "assigner": _uri("organisation", licensor),
        "assignee": _uri("organisation", licensee),
    }
    constraints: list[dict[str, Any]] = [
        {
            "leftOperand": "purpose",
            "operator": "isAnyOf",
            "rightOperand": [f"coalition:{p}" for p in purposes],
        },
        {"leftOperand": "dateTime", "operator": "gteq", "rightOperand": _date(valid_from)},
    ]
    end = valid_until if active else valid_from
    if end is not None:
        constraints.append(
            {"leftOperand": "dateTime", "operator": "lt", "rightOperand": _date(end)}
        )
    if territory:
        constraints.append(
            {
                "leftOperand": "spatial",
                "operator": "isAnyOf",
                "rightOperand": [f"urn:iso:std:3166:{n}" for n in territory],
            }
        )
    permission: dict[str, Any] = {
        "target": target,
        **parties,
        "action": "use",
        "constraint": constraints,
    }
    if terms:
        permission["duty"] = [
            {"action": "compensate", "assigner": parties["assigner"], "comment": terms}
        ]
    others = [p for p in PURPOSES if p not in purposes]
    policy: dict[str, Any] = {
        "@context": CONTEXT,
        "uid": _uri("licence", reference),
        "type": "Agreement",
        "profile": PROFILE,
        "permission": [permission],
    }
    if others:
        policy["prohibition"] = [
            {
                "target": target,
                **parties,
                "action": "use",
                "constraint": [
                    {
                        "leftOperand": "purpose",
                        "operator": "isAnyOf",
                        "rightOperand": [f"coalition:{p}" for p in others],
                    }
                ],
            }
        ]
    return policy
