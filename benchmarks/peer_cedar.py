"""The benchmark workload as Cedar: a schema, one policy per rule, and the entity store.

One ``permit`` for everything and one ``forbid ... unless { <rule holds> }`` per rule, each
annotated ``@id("<rule id>")``, so deny overrides as in the engine and Cedar's diagnostics
name the failing rules. Cedar has no loops, no let-bindings and no dynamic record keys, so
the policy text is generated from the reference vocabularies (nations, groups, caveats) and
from the few bounded "slots" the workload uses (at most two clearances and two citizenships
a person, three authorisations and two exemptions a marking, one licence an organisation).

Covered as the engine decides, for the shapes this workload generates:
  account; agreement (owner organisation, agreement in force on the day, participation);
  need_to_know (owner organisation, project role allowing the action, explicit grant);
  clearance (needs-clearance flag and common level of the label's marking, current and
  active clearances, the originator's recognition of the issuer through a bilateral security
  agreement in force on the day); releasability (REL TO nations, groups expanded with dated
  membership on the day or the label's pinned date, NOFORN, dual nationals and their
  exemption); caveats (current briefings); export (authorisations: validity, recipient
  nation, end user, project, purpose, remaining quantity; exemptions: recipient nation and
  validity); ip_use (owner, project purpose under the agreement's use rights, licences with
  purpose, validity and territory); embargo. ``view_metadata`` applies the first four rules.
Simplified, and said so in docs/benchmarks.md: the match of an authorisation or exemption to
a marking (issuing nation, regime, category, excluded categories) is joined when the
entities are loaded; memberships, participations and grants are undated in this workload
(Cedar sees a role only while it is held); one security agreement per pair of nations.
Reasons, remedies and obligations are not produced.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import cedarpy

from generate import CAVEATS, GROUPS, NATIONS, OPEN, ROLES, RequestSpec, Workload

ROLE_ATTR = dict(zip(ROLES, ("pm", "tl", "res", "obs"), strict=True))
D = "context.day"
GROUP_DAY = "(if resource.label has pinned then resource.label.pinned else context.day)"
AUTH_SLOTS = ("a0", "a1", "a2")
EXEMPTION_SLOTS = ("e0", "e1")
CLEARANCE_SLOTS = ("c1", "c2")
ACTIONS = ["view_metadata", "read", "download", "use_for", "release_to"]
NOT_METADATA = "[" + ", ".join(f'Action::"{a}"' for a in ACTIONS[1:]) + "]"


def schema() -> str:
    span = "{ start: Long, end: Long }"
    groups = ", ".join(f"{g}?: Span" for g in GROUPS)
    partners = ", ".join(f"{n}?: SA" for n in NATIONS)
    briefings = ", ".join(f"{c}?: Span" for c in CAVEATS)
    auths = ", ".join(f"{s}?: Auth" for s in AUTH_SLOTS)
    exemptions = ", ".join(f"{s}?: Exemption" for s in EXEMPTION_SLOTS)
    clearances = ", ".join(f"{s}?: Clearance" for s in CLEARANCE_SLOTS)
    roles = ", ".join(f"{a}: Role" for a in ROLE_ATTR.values())
    return f"""
type Span = {span};
type SA = {{ level: Long, start: Long, end: Long }};
type Clearance = {{ issuer: String, level: Long, start: Long, end: Long, active: Bool }};
type Licence = {{ active: Bool, licensors: Set<Org>, purposes: Set<String>, start: Long,
                  end: Long, territory: Set<String> }};
type Auth = {{ active: Bool, start: Long, end: Long, recipients: Set<String>,
               end_users: Set<Org>, projects: Set<Project>, purposes: Set<String>,
               qty?: Long }};
type Exemption = {{ start: Long, end: Long, recipients: Set<String> }};
entity Nation {{ code: String, groups: {{ {groups} }}, sa: {{ {partners} }} }};
entity Org {{ nation: String, l0?: Licence, l1?: Licence }};
entity Role;
entity Person in [Role] {{ active: Bool, org: Org, cit1: Nation, cit2?: Nation,
                           dual_ex: Bool, {clearances}, briefings: {{ {briefings} }},
                           grants: Set<Artifact> }};
entity Agreement {{ in_force: Bool, start: Long, end: Long, use_rights: Bool }};
entity Project {{ agreement: Agreement, participants: Set<Org>, {roles} }};
entity ExportCat {{ exporter: String, {auths}, {exemptions} }};
entity Label {{ level: Long, needs: Bool, originator: String, orig: Nation,
                audience: Set<String>, groups: Set<String>, pinned?: Long,
                caveats: Set<String>, export?: ExportCat, embargo?: Long }};
entity Artifact {{ label: Label, project: Project, owner: Org, ip_owner?: Org }};
action {", ".join(ACTIONS)} appliesTo {{
  principal: Person, resource: Artifact,
  context: {{ day: Long, purpose: String, quantity: Long }}
}};
"""


def _allowed(n: str) -> str:
    """Citizenship ``n`` (a Nation expression) is in the label's audience."""
    parts = [f"resource.label.audience.contains({n}.code)"]
    for g in GROUPS:
        m = f"{n}.groups.{g}"
        parts.append(
            f'(resource.label.groups.contains("{g}") && {n}.groups has {g} && '
            f"{m}.start <= {GROUP_DAY} && {GROUP_DAY} < {m}.end)"
        )
    return "(" + " || ".join(parts) + ")"


def _clearance(slot: str) -> str:
    c = f"principal.{slot}"
    recognised = " || ".join(
        f'({c}.issuer == "{n}" && resource.label.orig.sa has {n} && '
        f"resource.label.orig.sa.{n}.level >= resource.label.level && "
        f"resource.label.orig.sa.{n}.start <= {D} && {D} < resource.label.orig.sa.{n}.end)"
        for n in NATIONS
    )
    return (
        f"(principal has {slot} && {c}.active && {c}.start <= {D} && {D} < {c}.end && "
        f"{c}.level >= resource.label.level && "
        f"({c}.issuer == resource.label.originator || {recognised}))"
    )


def _exportable(n: str) -> str:
    x = "resource.label.export"
    parts = [f"{n}.code == {x}.exporter"]
    for s in AUTH_SLOTS:
        a = f"{x}.{s}"
        parts.append(
            f"({x} has {s} && {a}.active && {a}.start <= {D} && {D} < {a}.end && "
            f"({a}.recipients.isEmpty() || {a}.recipients.contains({n}.code)) && "
            f"({a}.end_users.isEmpty() || {a}.end_users.contains(principal.org)) && "
            f"({a}.projects.isEmpty() || {a}.projects.contains(resource.project)) && "
            f"({a}.purposes.isEmpty() || {a}.purposes.contains(context.purpose)) && "
            f'(if {a} has qty then (action != Action::"release_to" || context.quantity <= {a}.qty) '
            "else true))"
        )
    for s in EXEMPTION_SLOTS:
        e = f"{x}.{s}"
        parts.append(
            f"({x} has {s} && {e}.start <= {D} && {D} < {e}.end && "
            f"({e}.recipients.isEmpty() || {e}.recipients.contains({n}.code)))"
        )
    return "(" + " || ".join(parts) + ")"


def _licensed(slot: str) -> str:
    lc = f"principal.org.{slot}"
    return (
        f"(principal.org has {slot} && {lc}.active && "
        f"{lc}.licensors.contains(resource.ip_owner) && {lc}.purposes.contains(context.purpose) "
        f"&& {lc}.start <= {D} && {D} < {lc}.end && "
        f"({lc}.territory.isEmpty() || {lc}.territory.contains(principal.org.nation)))"
    )


def policies() -> str:
    project = "resource.project"
    roles = {a: f"principal in {project}.{a}" for a in ROLE_ATTR.values()}
    a1, a2 = _allowed("principal.cit1"), _allowed("principal.cit2")
    e1, e2 = _exportable("principal.cit1"), _exportable("principal.cit2")
    briefed = " && ".join(
        f'(!resource.label.caveats.contains("{c}") || (principal.briefings has {c} && '
        f"principal.briefings.{c}.start <= {D} && {D} < principal.briefings.{c}.end))"
        for c in CAVEATS
    )
    return f"""
@id("permit") permit(principal, action, resource);

@id("account") forbid(principal, action, resource) unless {{ principal.active }};

@id("agreement") forbid(principal, action, resource) unless {{
  principal.org == resource.owner ||
  ({project}.agreement.in_force && {project}.agreement.start <= {D} &&
   {D} < {project}.agreement.end && {project}.participants.contains(principal.org))
}};

@id("need_to_know") forbid(principal, action, resource) unless {{
  principal.org == resource.owner || principal.grants.contains(resource) ||
  {roles["pm"]} || {roles["tl"]} ||
  (action != Action::"release_to" && {roles["res"]}) ||
  (action in [Action::"view_metadata", Action::"read"] && {roles["obs"]})
}};

@id("clearance") forbid(principal, action in {NOT_METADATA}, resource) unless {{
  !resource.label.needs || {_clearance("c1")} || {_clearance("c2")}
}};

@id("releasability") forbid(principal, action, resource) unless {{
  ({a1} && (if principal has cit2 then {a2} else true)) ||
  (principal.dual_ex && ({a1} || (principal has cit2 && {a2})))
}};

@id("caveats") forbid(principal, action in {NOT_METADATA}, resource) unless {{
  {briefed}
}};

@id("export") forbid(principal, action in {NOT_METADATA}, resource) unless {{
  if resource.label has export
  then {e1} && (if principal has cit2 then {e2} else true)
  else true
}};

@id("ip_use") forbid(principal, action in [Action::"use_for", Action::"release_to"], resource)
unless {{
  if resource has ip_owner
  then principal.org == resource.ip_owner ||
    (context.purpose == "carrying_out_the_project" && {project}.agreement.use_rights &&
     {project}.participants.contains(principal.org)) ||
    {_licensed("l0")} || {_licensed("l1")}
  else true
}};

@id("embargo") forbid(principal, action in {NOT_METADATA}, resource) when {{
  resource.label has embargo && {D} < resource.label.embargo
}};
"""


def _ref(kind: str, ident: str) -> dict[str, dict[str, str]]:
    return {"__entity": {"type": kind, "id": ident}}


def _end(day: int | None) -> int:
    return OPEN if day is None else day


def entities(w: Workload) -> Iterator[str]:
    """The entity store as Cedar JSON, one entity a string (the artifacts last)."""
    dumps = json.dumps
    for n in NATIONS:
        groups = {
            g: {"start": joined, "end": _end(left)}
            for g, members in w.groups.items()
            for nation, joined, left in members
            if nation == n
        }
        sa = {}
        for a, b, level, since, until in w.security_agreements:
            if n in (a, b):
                partner = b if a == n else a
                assert partner not in sa, "one security agreement per pair"
                sa[partner] = {"level": level, "start": since, "end": _end(until)}
        yield dumps(
            {
                "uid": {"type": "Nation", "id": n},
                "attrs": {"code": n, "groups": groups, "sa": sa},
                "parents": [],
            }
        )
    licences: dict[int, list[dict[str, object]]] = {}
    for lc in w.licences:
        licences.setdefault(lc.licensee, []).append(
            {
                "active": lc.active,
                "licensors": [_ref("Org", f"o{o}") for o in lc.licensors],
                "purposes": list(lc.purposes),
                "start": lc.valid_from,
                "end": _end(lc.valid_until),
                "territory": list(lc.territory),
            }
        )
    for o, nation in enumerate(w.orgs):
        attrs: dict[str, object] = {"nation": nation}
        mine = licences.get(o, [])
        assert len(mine) <= 2, "two licence slots an organisation"
        attrs.update(zip(("l0", "l1"), mine, strict=False))
        yield dumps({"uid": {"type": "Org", "id": f"o{o}"}, "attrs": attrs, "parents": []})
    for i, (in_force, since, until, rights) in enumerate(w.agreements):
        attrs = {"in_force": in_force, "start": since, "end": _end(until), "use_rights": rights}
        yield dumps({"uid": {"type": "Agreement", "id": f"g{i}"}, "attrs": attrs, "parents": []})
    for p, (agreement, participants) in enumerate(w.projects):
        attrs = {
            "agreement": _ref("Agreement", f"g{agreement}"),
            "participants": [_ref("Org", f"o{o}") for o in participants],
        }
        for role, short in ROLE_ATTR.items():
            attrs[short] = _ref("Role", f"p{p}/{role}")
            yield dumps({"uid": {"type": "Role", "id": f"p{p}/{role}"}, "attrs": {}, "parents": []})
        yield dumps({"uid": {"type": "Project", "id": f"p{p}"}, "attrs": attrs, "parents": []})
    for i, person in enumerate(w.people):
        attrs = {
            "active": person.active,
            "org": _ref("Org", f"o{person.org}"),
            "cit1": _ref("Nation", person.citizenships[0]),
            "dual_ex": person.dual_exemption,
            "briefings": {
                c: {"start": given, "end": _end(expires)}
                for c, (given, expires) in person.briefings.items()
            },
            "grants": [_ref("Artifact", f"a{a}") for a in person.grants],
        }
        assert len(person.citizenships) <= 2 and len(person.clearances) <= 2
        if len(person.citizenships) == 2:
            attrs["cit2"] = _ref("Nation", person.citizenships[1])
        for slot, (issuer, level, since, until, active) in zip(
            CLEARANCE_SLOTS, person.clearances, strict=False
        ):
            attrs[slot] = {
                "issuer": issuer,
                "level": level,
                "start": since,
                "end": until,
                "active": active,
            }
        parents = [{"type": "Role", "id": f"p{p}/{role}"} for p, role in person.roles.items()]
        yield dumps({"uid": {"type": "Person", "id": f"u{i}"}, "attrs": attrs, "parents": parents})
    by_marking: dict[int, list[dict[str, object]]] = {}
    for auth in w.authorisations:
        entry: dict[str, object] = {
            "active": auth.active,
            "start": auth.valid_from,
            "end": auth.valid_until,
            "recipients": list(auth.recipient_nations),
            "end_users": [_ref("Org", f"o{o}") for o in auth.end_users],
            "projects": [_ref("Project", f"p{p}") for p in auth.projects],
            "purposes": list(auth.purposes),
        }
        if auth.remaining_quantity is not None:
            entry["qty"] = auth.remaining_quantity
        by_marking.setdefault(auth.marking, []).append(entry)
    for m, (regime, category, exporter) in enumerate(w.markings):
        attrs = {"exporter": exporter}
        auths = by_marking.get(m, [])
        exemptions = [
            {"start": e.valid_from or 0, "end": OPEN, "recipients": list(e.recipient_nations)}
            for e in w.exemptions
            if e.regime == regime
            and e.exporting_nation == exporter
            and (not e.categories or category in e.categories)
            and category not in e.excluded_categories
        ]
        assert len(auths) <= len(AUTH_SLOTS) and len(exemptions) <= len(EXEMPTION_SLOTS)
        attrs.update(zip(AUTH_SLOTS, auths, strict=False))
        attrs.update(zip(EXEMPTION_SLOTS, exemptions, strict=False))
        yield dumps({"uid": {"type": "ExportCat", "id": f"m{m}"}, "attrs": attrs, "parents": []})
    group_set = set(GROUPS)
    for i, lb in enumerate(w.labels):
        audience = (
            [lb.originator]
            if lb.noforn or not lb.releasable_to
            else [c for c in lb.releasable_to if c not in group_set]
        )
        attrs = {
            "level": lb.level,
            "needs": lb.needs_clearance,
            "originator": lb.originator,
            "orig": _ref("Nation", lb.originator),
            "audience": sorted({lb.originator, *audience}),
            "groups": [] if lb.noforn else [c for c in lb.releasable_to if c in group_set],
            "caveats": list(lb.caveats),
        }
        if lb.pinned_on is not None:
            attrs["pinned"] = lb.pinned_on
        if lb.export is not None:
            attrs["export"] = _ref("ExportCat", f"m{lb.export}")
        if lb.embargo_until is not None:
            attrs["embargo"] = lb.embargo_until
        yield dumps({"uid": {"type": "Label", "id": f"l{i}"}, "attrs": attrs, "parents": []})
    head = '{"uid":{"type":"Artifact","id":"a'
    for i in range(len(w.art_label)):
        owner = w.art_owner[i]
        ip = f',"ip_owner":{{"__entity":{{"type":"Org","id":"o{owner}"}}}}' if w.art_ip[i] else ""
        yield (
            f'{head}{i}"}},"attrs":{{"label":{{"__entity":{{"type":"Label","id":"l{w.art_label[i]}"}}}},'
            f'"project":{{"__entity":{{"type":"Project","id":"p{w.art_project[i]}"}}}},'
            f'"owner":{{"__entity":{{"type":"Org","id":"o{owner}"}}}}{ip}}},"parents":[]}}'
        )


class CedarPeer:
    def __init__(self, w: Workload, validate: bool = False) -> None:
        self.schema_text = schema()
        self.policy_text = policies()
        self.schema = cedarpy.Schema.from_str(self.schema_text)
        check = cedarpy.validate_policies(self.policy_text, self.schema)
        if not check.validation_passed:
            raise SystemExit(f"Cedar policies do not validate: {check.errors}")
        self.policies = cedarpy.PolicySet.from_str(self.policy_text)
        document = "[" + ",".join(entities(w)) + "]"
        self.entities = cedarpy.Entities.from_json_str(document, self.schema if validate else None)
        del document

    @staticmethod
    def request(r: RequestSpec) -> dict[str, object]:
        """The structured uid form (faster through cedarpy than the string form), with the
        context as JSON text (cedarpy would otherwise serialise a dict on every call)."""
        return {
            "principal": {"type": "Person", "id": f"u{r.person}"},
            "action": {"type": "Action", "id": r.action},
            "resource": {"type": "Artifact", "id": f"a{r.artifact}"},
            "context": (
                f'{{"day":{r.day},"purpose":"{r.purpose or ""}","quantity":{r.quantity or 0}}}'
            ),
        }

    def decide(self, request: dict[str, object]) -> cedarpy.AuthzResult:
        return cedarpy.is_authorized(request, self.policies, self.entities)

    def decide_batch(self, requests: list[dict[str, object]]) -> list[cedarpy.AuthzResult]:
        results: list[cedarpy.AuthzResult] = cedarpy.is_authorized_batch(
            requests, self.policies, self.entities
        )
        return results

    @staticmethod
    def failed_rules(result: cedarpy.AuthzResult) -> tuple[str, ...]:
        """The rules whose forbid policy decided a denial (none for a permit)."""
        if result.allowed:
            return ()
        names = result.diagnostics.id_annotations_by_reason
        return tuple(sorted(names[p] for p in result.diagnostics.reasons))
