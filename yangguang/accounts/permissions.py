"""What each role may do. Data, not code spread through views: every check asks
``accounts.selectors.can`` or filters with ``accounts.selectors.scope_q``.

Following 三权分立 (GB/T 22239 level 3), the administrator manages accounts and
roles but sees no personal data, and only auditors read the audit log.
"""

from __future__ import annotations

from yangguang.accounts.models import Role


class Capability:
    VIEW_PERSON = "view_person"  # search, person page, API reads
    EDIT_PERSON = "edit_person"  # create, update, import
    CHANGE_CERTIFICATE = "change_certificate"  # cancel, freeze, restore, record death
    REVEAL_ID = "reveal_id"  # show a full ID number (with a reason; audited)
    EXPORT = "export"  # export persons to a file (audited)
    VIEW_STATISTICS = "view_statistics"  # counts by region, no persons
    VIEW_AUDIT = "view_audit"  # browse and export the audit log
    MANAGE_USERS = "manage_users"  # accounts, roles, tokens
    # The background jobs page in the menu: one's own jobs (administrators: those of
    # their regions and the periodic ones). The page answers every signed-in user.
    VIEW_JOBS = "view_jobs"
    # Certificate cases (certificates app): receive an application and take it through
    # acceptance, assessment, publication and disputes; the county review's decision
    # (issue, complete, refuse at review) is a reviewer's, apart from who prepared it.
    HANDLE_CASE = "handle_case"
    DECIDE_CASE = "decide_case"
    # Benefit applications (benefits app): the county civil-affairs bureau's 审定, the
    # publication and the grant, apart from the federation that reviews and checks the
    # level (handle_case, decide_case).
    DECIDE_BENEFIT = "decide_benefit"
    # The plans: their indicators (baseline, target) and task trees (plans app).
    VIEW_PLANS = "view_plans"
    # Report the progress of a plan's task for a region (for the unit in charge of it).
    REPORT_PROGRESS = "report_progress"
    # Data comparison: import department lists, run matches, read the candidates and
    # discrepancies of one's regions; confirming or rejecting a candidate (which can
    # record a death and cancel a certificate) is a reviewer's.
    MATCH_LISTS = "match_lists"
    REVIEW_MATCHES = "review_matches"
    # The service loop (``services``): needs, referrals, service records and providers.
    VIEW_SERVICES = "view_services"  # needs and their loop, providers (names persons)
    RECORD_SERVICES = "record_services"  # open, refer, record services, re-open, withdraw
    MANAGE_PROVIDERS = "manage_providers"  # register, change and import providers


ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.REGISTRAR: frozenset({
        Capability.VIEW_PERSON, Capability.EDIT_PERSON, Capability.REVEAL_ID,
        Capability.EXPORT, Capability.VIEW_STATISTICS, Capability.VIEW_JOBS,
        Capability.HANDLE_CASE, Capability.MATCH_LISTS,
        Capability.VIEW_SERVICES, Capability.RECORD_SERVICES, Capability.MANAGE_PROVIDERS,
    }),
    Role.REVIEWER: frozenset({
        Capability.VIEW_PERSON, Capability.CHANGE_CERTIFICATE, Capability.REVEAL_ID,
        Capability.EXPORT, Capability.VIEW_STATISTICS, Capability.DECIDE_CASE,
        Capability.MATCH_LISTS, Capability.REVIEW_MATCHES,
        Capability.VIEW_SERVICES,
    }),
    # 县民政局: decides the benefit applications the federation has checked.
    Role.CIVIL_AFFAIRS: frozenset({
        Capability.VIEW_PERSON, Capability.DECIDE_BENEFIT, Capability.VIEW_STATISTICS,
    }),
    Role.ANALYST: frozenset({Capability.VIEW_STATISTICS, Capability.VIEW_PLANS}),
    # 残工委办公室: watches the plans' indicators and tasks; sees no person.
    Role.MONITOR: frozenset({Capability.VIEW_PLANS, Capability.REPORT_PROGRESS, Capability.VIEW_STATISTICS}),
    Role.AUDITOR: frozenset({Capability.VIEW_AUDIT}),
    Role.ADMINISTRATOR: frozenset({Capability.MANAGE_USERS, Capability.VIEW_JOBS}),
}


def roles_with(capability: str) -> list[str]:
    return [str(role) for role, caps in ROLE_CAPABILITIES.items() if capability in caps]
