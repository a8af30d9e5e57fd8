"""The benchmark workload as Casbin: an ABAC model whose matcher expression holds the rules.

No policy lines and no registered functions: the matcher reads the request's subject,
object, action and environment objects (plain Python objects with attributes, as Casbin's
ABAC documents) with operators only: comparisons, ``in``, ``and`` / ``or`` / ``not``,
subscripts and, where a rule needs "some" or "every", list comprehensions (pycasbin's
evaluator, simpleeval's ``EvalWithCompoundTypes``, supports them). Deny overrides because
the matcher is the conjunction of the rules; Casbin returns only allow or deny.

Covered as the engine decides, for the shapes this workload generates: the same nine rules
and scope as the Cedar peer (see peer_cedar.py), with two differences that follow the
engine more closely: security agreements per pair of nations are a list (any number), and
group memberships are looked up by key rather than unrolled. The same joins are made when
loading: authorisations and exemptions are attached to the marking they cover.

pycasbin parses the matcher (Python's ``ast.parse``) on every ``enforce`` call; that is how
the library works and it is measured as such.
"""

from __future__ import annotations

import casbin

from generate import OPEN, RequestSpec, Workload

D = "r.env.day"
GROUP_DAY = "(r.obj.label.pinned if r.obj.label.pinned else r.env.day)"


class Obj:
    """A bag of attributes for the matcher (slots keep a million of them small)."""

    __slots__ = ()

    def __init__(self, **values: object) -> None:
        for key, value in values.items():
            setattr(self, key, value)


def _cls(name: str, fields: str) -> type[Obj]:
    return type(name, (Obj,), {"__slots__": tuple(fields.split())})


Nation = _cls("Nation", "code groups sa")
Org = _cls("Org", "id nation licences")
Lic = _cls("Lic", "active licensors purposes start end territory")
Agr = _cls("Agr", "in_force start end use_rights")
Proj = _cls("Proj", "id agreement participants")
Person = _cls("Person", "active org cits dual_ex clearances briefings roles grants")
Clr = _cls("Clr", "issuer level start end active")
Label = _cls("Label", "level needs originator orig audience groups pinned caveats export embargo")
Export = _cls("Export", "exporter auths exemptions")
Auth = _cls("Auth", "active start end recipients end_users projects purposes qty")
Exm = _cls("Exm", "start end recipients")
Art = _cls("Art", "id label project owner ip_owner")
Env = _cls("Env", "day purpose quantity")

ALLOWED = (
    "(n.code in r.obj.label.audience or "
    f"[g for g in r.obj.label.groups if g in n.groups and "
    f"n.groups[g][0] <= {GROUP_DAY} < n.groups[g][1]] != [])"
)
AUTHORISED = (
    f"[a for a in r.obj.label.export.auths if a.active and a.start <= {D} < a.end "
    "and (not a.recipients or n.code in a.recipients) "
    "and (not a.end_users or r.sub.org.id in a.end_users) "
    "and (not a.projects or r.obj.project.id in a.projects) "
    "and (not a.purposes or r.env.purpose in a.purposes) "
    "and (r.act != 'release_to' or a.qty is None or r.env.quantity <= a.qty)] != []"
)
EXEMPT = (
    f"[e for e in r.obj.label.export.exemptions if e.start <= {D} < e.end "
    "and (not e.recipients or n.code in e.recipients)] != []"
)
RULES = {
    "account": "r.sub.active",
    "agreement": (
        "(r.sub.org.id == r.obj.owner or (r.obj.project.agreement.in_force "
        f"and r.obj.project.agreement.start <= {D} < r.obj.project.agreement.end "
        "and r.sub.org.id in r.obj.project.participants))"
    ),
    "need_to_know": (
        "(r.sub.org.id == r.obj.owner or r.obj.id in r.sub.grants "
        "or (r.obj.project.id in r.sub.roles "
        "and (r.sub.roles[r.obj.project.id] in ('project_manager', 'technical_lead') "
        "or (r.sub.roles[r.obj.project.id] == 'researcher' and r.act != 'release_to') "
        "or (r.sub.roles[r.obj.project.id] == 'observer' "
        "and r.act in ('view_metadata', 'read')))))"
    ),
    "clearance": (
        "(r.act == 'view_metadata' or not r.obj.label.needs or "
        f"[c for c in r.sub.clearances if c.active and c.start <= {D} < c.end "
        "and c.level >= r.obj.label.level and (c.issuer == r.obj.label.originator "
        "or (c.issuer in r.obj.label.orig.sa and [s for s in r.obj.label.orig.sa[c.issuer] "
        f"if s[0] >= r.obj.label.level and s[1] <= {D} < s[2]] != []))] != [])"
    ),
    "releasability": (
        f"([n for n in r.sub.cits if not {ALLOWED}] == [] "
        f"or (r.sub.dual_ex and [n for n in r.sub.cits if {ALLOWED}] != []))"
    ),
    "caveats": (
        "(r.act == 'view_metadata' or [k for k in r.obj.label.caveats if not "
        f"(k in r.sub.briefings and r.sub.briefings[k][0] <= {D} < r.sub.briefings[k][1])]"
        " == [])"
    ),
    "export": (
        "(r.act == 'view_metadata' or r.obj.label.export is None or "
        "[n for n in r.sub.cits if n.code != r.obj.label.export.exporter "
        f"and not ({AUTHORISED}) and not ({EXEMPT})] == [])"
    ),
    "ip_use": (
        "(r.act not in ('use_for', 'release_to') or r.obj.ip_owner is None "
        "or r.sub.org.id == r.obj.ip_owner or (r.env.purpose == 'carrying_out_the_project' "
        "and r.obj.project.agreement.use_rights and r.sub.org.id in r.obj.project.participants)"
        " or [lc for lc in r.sub.org.licences if lc.active and r.obj.ip_owner in lc.licensors "
        f"and r.env.purpose in lc.purposes and lc.start <= {D} < lc.end "
        "and (not lc.territory or r.sub.org.nation in lc.territory)] != [])"
    ),
    "embargo": (
        f"(r.act == 'view_metadata' or r.obj.label.embargo is None or {D} >= r.obj.label.embargo)"
    ),
}


def model_text() -> str:
    matcher = " and ".join(RULES.values())
    assert "#" not in matcher and "!" not in matcher.replace("!=", "")
    return (
        "[request_definition]\nr = sub, obj, act, env\n\n"
        "[policy_definition]\np = sub, obj, act\n\n"
        "[policy_effect]\ne = some(where (p.eft == allow))\n\n"
        f"[matchers]\nm = {matcher}\n"
    )


def _end(day: int | None) -> int:
    return OPEN if day is None else day


class CasbinPeer:
    def __init__(self, w: Workload) -> None:
        model = casbin.Model()
        model.load_model_from_text(model_text())
        self.enforcer = casbin.Enforcer(model)
        nations: dict[str, Obj] = {}
        for code in {n for p in w.people for n in p.citizenships} | {
            lb.originator for lb in w.labels
        }:
            groups = {
                g: (joined, _end(left))
                for g, members in w.groups.items()
                for nation, joined, left in members
                if nation == code
            }
            sa: dict[str, list[tuple[int, int, int]]] = {}
            for a, b, level, since, until in w.security_agreements:
                if code in (a, b):
                    sa.setdefault(b if a == code else a, []).append((level, since, _end(until)))
            nations[code] = Nation(
                code=code, groups=groups, sa={k: tuple(v) for k, v in sa.items()}
            )
        licences: dict[int, list[Obj]] = {}
        for lc in w.licences:
            licences.setdefault(lc.licensee, []).append(
                Lic(
                    active=lc.active,
                    licensors=frozenset(lc.licensors),
                    purposes=frozenset(lc.purposes),
                    start=lc.valid_from,
                    end=_end(lc.valid_until),
                    territory=frozenset(lc.territory),
                )
            )
        self.orgs = [
            Org(id=o, nation=n, licences=tuple(licences.get(o, ()))) for o, n in enumerate(w.orgs)
        ]
        agreements = [
            Agr(in_force=f, start=s, end=_end(u), use_rights=rights)
            for f, s, u, rights in w.agreements
        ]
        self.projects = [
            Proj(id=p, agreement=agreements[a], participants=frozenset(parts))
            for p, (a, parts) in enumerate(w.projects)
        ]
        self.people = [
            Person(
                active=p.active,
                org=self.orgs[p.org],
                cits=tuple(nations[n] for n in p.citizenships),
                dual_ex=p.dual_exemption,
                clearances=tuple(
                    Clr(issuer=i, level=lv, start=s, end=u, active=a)
                    for i, lv, s, u, a in p.clearances
                ),
                briefings={c: (g, _end(x)) for c, (g, x) in p.briefings.items()},
                roles=dict(p.roles),
                grants=frozenset(p.grants),
            )
            for p in w.people
        ]
        auths: dict[int, list[Obj]] = {}
        for auth in w.authorisations:
            auths.setdefault(auth.marking, []).append(
                Auth(
                    active=auth.active,
                    start=auth.valid_from,
                    end=auth.valid_until,
                    recipients=frozenset(auth.recipient_nations),
                    end_users=frozenset(auth.end_users),
                    projects=frozenset(auth.projects),
                    purposes=frozenset(auth.purposes),
                    qty=auth.remaining_quantity,
                )
            )
        exports = [
            Export(
                exporter=exporter,
                auths=tuple(auths.get(m, ())),
                exemptions=tuple(
                    Exm(
                        start=e.valid_from or 0, end=OPEN, recipients=frozenset(e.recipient_nations)
                    )
                    for e in w.exemptions
                    if e.regime == regime
                    and e.exporting_nation == exporter
                    and (not e.categories or category in e.categories)
                    and category not in e.excluded_categories
                ),
            )
            for m, (regime, category, exporter) in enumerate(w.markings)
        ]
        group_codes = set(w.groups)
        self.labels = [
            Label(
                level=lb.level,
                needs=lb.needs_clearance,
                originator=lb.originator,
                orig=nations[lb.originator],
                audience=frozenset(
                    [lb.originator]
                    if lb.noforn or not lb.releasable_to
                    else [lb.originator, *(c for c in lb.releasable_to if c not in group_codes)]
                ),
                groups=() if lb.noforn else tuple(c for c in lb.releasable_to if c in group_codes),
                pinned=lb.pinned_on,
                caveats=lb.caveats,
                export=None if lb.export is None else exports[lb.export],
                embargo=lb.embargo_until,
            )
            for lb in w.labels
        ]
        labels, projects = self.labels, self.projects
        self.artifacts = [
            Art(
                id=i,
                label=labels[w.art_label[i]],
                project=projects[w.art_project[i]],
                owner=w.art_owner[i],
                ip_owner=w.art_owner[i] if w.art_ip[i] else None,
            )
            for i in range(len(w.art_label))
        ]

    def request(self, r: RequestSpec) -> tuple[object, ...]:
        return (
            self.people[r.person],
            self.artifacts[r.artifact],
            r.action,
            Env(day=r.day, purpose=r.purpose or "", quantity=r.quantity or 0),
        )

    def decide(self, request: tuple[object, ...]) -> bool:
        return bool(self.enforcer.enforce(*request))

    def decide_batch(self, requests: list[tuple[object, ...]]) -> list[bool]:
        return [bool(x) for x in self.enforcer.batch_enforce(requests)]
