"""A deliberately naive second reading of DESIGN.md section 5, written apart from the engine.

It shares only the fact types. It answers which rules fail, nothing more; the tests check
that it and the engine agree on every generated request.
"""

from __future__ import annotations

from datetime import date

from coalition.policy.facts import Action, Request, World

ROLE_MAY = {
    "project_manager": {"view_metadata", "read", "download", "release_to", "use_for"},
    "technical_lead": {"view_metadata", "read", "download", "release_to", "use_for"},
    "researcher": {"view_metadata", "read", "download", "use_for"},
    "observer": {"view_metadata", "read"},
}


def inside(day: date, start: date, end: date | None) -> bool:
    if day < start:
        return False
    return end is None or day < end


def failing_rules(req: Request, world: World) -> set[str]:
    s, a, day, label = req.subject, req.artifact, req.on, req.artifact.label
    is_person = s.person_id is not None
    fails: set[str] = set()

    if not s.active:
        fails.add("account")

    project = world.projects.get(a.project_id) if a.project_id is not None else None
    participating = False
    if project is not None:
        for p in project.participants:
            if p.organisation_id == s.organisation_id and inside(day, p.joined_on, p.withdrew_on):
                participating = True
    owner = s.organisation_id == a.owner_organisation_id
    if not owner:
        ok = False
        if project is not None:
            ag = world.agreements.get(project.agreement_id)
            if ag is not None and ag.in_force and inside(day, ag.effective_from, ag.expires_on):
                ok = participating
        if not ok:
            fails.add("agreement")

    if not owner:
        ok = False
        if not is_person and participating:
            ok = True
        for m in s.memberships:
            if m.project_id == a.project_id and inside(day, m.joined_on, m.left_on):
                ok = ok or str(req.action) in ROLE_MAY.get(m.role, set())
        if not ok:
            for g in s.grants:
                if g.artifact_id == a.id and (g.expires_on is None or day < g.expires_on):
                    ok = True
        if not ok:
            fails.add("need_to_know")

    level, needs = world.levels.get((label.scheme, label.classification), (4, True))

    def recognised(issuer: str) -> int:
        if issuer == label.originator:
            return 4
        best = -1
        for sa in world.security_agreements:
            nato_or_eu = {x for x in sa.parties if x in ("NATO", "EU")}
            if nato_or_eu and issuer not in nato_or_eu and label.scheme not in nato_or_eu:
                continue
            if issuer in sa.parties and label.originator in sa.parties:
                if inside(day, sa.in_force_from, sa.in_force_until):
                    best = max(best, sa.max_level)
        return best

    if needs:
        if is_person:
            ok = any(
                c.active
                and inside(day, c.valid_from, c.valid_until)
                and min(c.level, recognised(c.issuer)) >= level
                for c in s.clearances
            )
        else:
            ok = recognised(s.organisation_nation) >= level
        if not ok:
            fails.add("clearance")

    if str(req.action) == "view_metadata":
        relevant = {"account", "agreement", "need_to_know", "releasability"}
    else:
        relevant = None

    nations = set(s.citizenships) if is_person else {s.organisation_nation}
    audience = {label.originator}
    if not label.noforn:
        when = label.pinned_on or day
        for code in label.releasable_to:
            if len(code) == 3:
                audience.add(code)
            else:
                for member in world.groups.get(code, ()):
                    if inside(when, member.joined_on, member.left_on):
                        audience.add(member.nation)
    outside = nations - audience
    if outside and not (s.dual_national_exemption and nations & audience):
        fails.add("releasability")

    held = {
        b.name
        for b in s.briefings
        if b.given_on <= day and (b.expires_on is None or day < b.expires_on)
    }
    if not set(label.caveats) <= held:
        fails.add("caveats")

    for mk in label.export:
        for nation in nations:
            if nation == mk.exporting_nation:
                continue
            ok = False
            for au in world.authorisations:
                if (
                    not au.active
                    or au.issuing_nation != mk.exporting_nation
                    or au.regime != mk.regime
                ):
                    continue
                if not (au.valid_from <= day < au.valid_until):
                    continue
                if au.categories and mk.category not in au.categories:
                    continue
                if au.recipient_nations and nation not in au.recipient_nations:
                    continue
                if au.end_users and s.organisation_id not in au.end_users:
                    continue
                if au.projects and a.project_id not in au.projects:
                    continue
                if au.purposes and req.purpose not in au.purposes:
                    continue
                if req.action is Action.RELEASE_TO:
                    if au.remaining_value is not None and (req.value or 0) > au.remaining_value:
                        continue
                    if (
                        au.remaining_quantity is not None
                        and (req.quantity or 0) > au.remaining_quantity
                    ):
                        continue
                ok = True
            for ex in world.exemptions:
                conditions = [
                    ex.regime == mk.regime,
                    ex.exporting_nation == mk.exporting_nation,
                    not ex.recipient_nations or nation in ex.recipient_nations,
                    not ex.categories or mk.category in ex.categories,
                    mk.category not in ex.excluded_categories,
                    not ex.projects or a.project_id in ex.projects,
                    not ex.purposes or req.purpose in ex.purposes,
                    not ex.actions or str(req.action) in ex.actions,
                    ex.valid_from is None or ex.valid_from <= day,
                    ex.valid_until is None or day < ex.valid_until,
                ]
                if all(conditions):
                    ok = True
            if not ok:
                fails.add("export")

    if (
        str(req.action) in ("release_to", "use_for")
        and a.ip_owners
        and s.organisation_id not in a.ip_owners
    ):
        ok = False
        if project is not None:
            ag = world.agreements.get(project.agreement_id)
            if ag is not None and (req.purpose or "") in ag.result_access and participating:
                ok = True
        for lic in world.licences:
            if (
                lic.active
                and lic.licensee == s.organisation_id
                and (lic.asset == a.ip_asset if lic.asset else lic.licensors & a.ip_owners)
                and (req.purpose or "") in lic.purposes
                and inside(day, lic.valid_from, lic.valid_until)
                and (not lic.territory or s.organisation_nation in lic.territory)
            ):
                ok = True
        if not ok:
            fails.add("ip_use")

    if label.embargo_until is not None and day < label.embargo_until:
        fails.add("embargo")

    return fails if relevant is None else fails & relevant
