"""The SSD tables and the only columns the engine reads from them (SQLAlchemy Core).

Names and free text (forenames, surnames, comments, team and worker names) are never listed
here, so they can never be selected. Each table says which column identifies its row (for
problem records) and which links it to a child (for batched reads).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Column, MetaData, String, Table
from sqlalchemy.types import TypeEngine


@dataclass(frozen=True)
class Spec:
    """One SSD table as the engine uses it."""

    name: str
    key: str                     # the row's own id (problem records point at it)
    person: str | None           # the column linking a row to ssd_person, if any
    columns: tuple[str, ...]     # every column read, key and person included
    required: bool = False
    dates: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    json: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()  # fact types (or type.field) that come only from this table


def _spec(name: str, key: str, person: str | None, columns: str, *, required: bool = False,
          dates: str = "", flags: str = "", json: str = "", facts: str = "") -> Spec:
    cols = tuple(c for c in columns.split())
    return Spec(name, key, person, cols, required, tuple(dates.split()), tuple(flags.split()),
                tuple(json.split()), tuple(facts.split()))


SPECS: tuple[Spec, ...] = (
    _spec("ssd_person", "pers_person_id", "pers_person_id",
          "pers_person_id pers_dob pers_expected_dob", required=True,
          dates="pers_dob pers_expected_dob"),
    _spec("ssd_family", "fami_table_id", "fami_person_id",
          "fami_table_id fami_family_id fami_person_id"),
    _spec("ssd_contacts", "cont_contact_id", "cont_person_id",
          "cont_contact_id cont_person_id cont_contact_date cont_contact_source_code",
          dates="cont_contact_date", facts="concern"),
    _spec("ssd_early_help_episodes", "earl_episode_id", "earl_person_id",
          "earl_episode_id earl_person_id earl_episode_start_date earl_episode_end_date "
          "earl_episode_end_reason earl_episode_worker_id",
          dates="earl_episode_start_date earl_episode_end_date",
          facts="early_help_offered early_help_consent early_help_started early_help_closed"),
    _spec("ssd_cin_episodes", "cine_referral_id", "cine_person_id",
          "cine_referral_id cine_person_id cine_referral_date cine_referral_source_code "
          "cine_referral_outcome_json cine_referral_nfa cine_close_reason cine_close_date "
          "cine_referral_team cine_referral_worker_id", required=True,
          dates="cine_referral_date cine_close_date", flags="cine_referral_nfa",
          json="cine_referral_outcome_json"),
    _spec("ssd_cin_assessments", "cina_assessment_id", "cina_person_id",
          "cina_assessment_id cina_person_id cina_referral_id cina_assessment_start_date "
          "cina_assessment_child_seen cina_assessment_auth_date cina_assessment_outcome_json "
          "cina_assessment_outcome_nfa",
          dates="cina_assessment_start_date cina_assessment_auth_date",
          flags="cina_assessment_child_seen cina_assessment_outcome_nfa",
          json="cina_assessment_outcome_json",
          facts="assessment_started assessment_completed"),
    _spec("ssd_assessment_factors", "cinf_table_id", None,
          "cinf_table_id cinf_assessment_id cinf_assessment_factors_json",
          json="cinf_assessment_factors_json", facts="assessment_completed.factors"),
    _spec("ssd_cin_plans", "cinp_cin_plan_id", "cinp_person_id",
          "cinp_cin_plan_id cinp_referral_id cinp_person_id cinp_cin_plan_start_date "
          "cinp_cin_plan_end_date", dates="cinp_cin_plan_start_date cinp_cin_plan_end_date",
          facts="child_in_need_plan_started child_in_need_plan_ended"),
    _spec("ssd_cin_visits", "cinv_cin_visit_id", "cinv_person_id",
          "cinv_cin_visit_id cinv_person_id cinv_cin_visit_date cinv_cin_visit_seen "
          "cinv_cin_visit_seen_alone", dates="cinv_cin_visit_date",
          flags="cinv_cin_visit_seen cinv_cin_visit_seen_alone", facts="child_in_need_visit"),
    _spec("ssd_s47_enquiry", "s47e_s47_enquiry_id", "s47e_person_id",
          "s47e_s47_enquiry_id s47e_referral_id s47e_person_id s47e_s47_start_date "
          "s47e_s47_end_date s47e_s47_nfa s47e_s47_outcome_json",
          dates="s47e_s47_start_date s47e_s47_end_date", flags="s47e_s47_nfa",
          json="s47e_s47_outcome_json",
          facts="strategy_discussion section_47_started section_47_completed"),
    _spec("ssd_initial_cp_conference", "icpc_icpc_id", "icpc_person_id",
          "icpc_icpc_id icpc_s47_enquiry_id icpc_person_id icpc_cp_plan_id icpc_referral_id "
          "icpc_icpc_transfer_in icpc_icpc_target_date icpc_icpc_date icpc_icpc_outcome_cp_flag "
          "icpc_icpc_outcome_json", dates="icpc_icpc_target_date icpc_icpc_date",
          flags="icpc_icpc_transfer_in icpc_icpc_outcome_cp_flag", json="icpc_icpc_outcome_json",
          facts="initial_conference"),
    _spec("ssd_cp_plans", "cppl_cp_plan_id", "cppl_person_id",
          "cppl_cp_plan_id cppl_referral_id cppl_icpc_id cppl_person_id cppl_cp_plan_start_date "
          "cppl_cp_plan_end_date cppl_cp_plan_initial_category",
          dates="cppl_cp_plan_start_date cppl_cp_plan_end_date",
          facts="child_protection_plan_started child_protection_plan_ended"),
    _spec("ssd_cp_visits", "cppv_cp_visit_id", "cppv_person_id",
          "cppv_cp_visit_id cppv_person_id cppv_cp_plan_id cppv_cp_visit_date "
          "cppv_cp_visit_seen cppv_cp_visit_seen_alone",
          dates="cppv_cp_visit_date", flags="cppv_cp_visit_seen cppv_cp_visit_seen_alone",
          facts="child_protection_visit"),
    _spec("ssd_cp_reviews", "cppr_cp_review_id", "cppr_person_id",
          "cppr_cp_review_id cppr_person_id cppr_cp_plan_id cppr_cp_review_due "
          "cppr_cp_review_date cppr_cp_review_outcome_continue_cp",
          dates="cppr_cp_review_due cppr_cp_review_date",
          flags="cppr_cp_review_outcome_continue_cp", facts="review_conference"),
    _spec("ssd_involvements", "invo_involvements_id", "invo_person_id",
          "invo_involvements_id invo_professional_id invo_professional_role_id "
          "invo_professional_team invo_involvement_start_date invo_involvement_end_date "
          "invo_person_id invo_referral_id",
          dates="invo_involvement_start_date invo_involvement_end_date"),
    _spec("ssd_missing", "miss_table_id", "miss_la_person_id",
          "miss_table_id miss_la_person_id miss_mis_epi_start miss_mis_epi_end",
          dates="miss_mis_epi_start miss_mis_epi_end", facts="missing_episode"),
    _spec("ssd_professionals", "prof_professional_id", None,
          "prof_professional_id prof_staff_id"),
    _spec("ssd_department", "dept_team_id", None, "dept_team_id dept_team_parent_id"),
)

BY_NAME: dict[str, Spec] = {s.name: s for s in SPECS}
CHILD_TABLES: tuple[Spec, ...] = tuple(s for s in SPECS if s.person and s.name != "ssd_person")


def id_columns(spec: Spec) -> tuple[str, ...]:
    """The columns of a table that hold ids: its key, its person, references and teams."""
    return tuple(c for c in spec.columns if c in (spec.key, spec.person)
                 or c.endswith(("_id", "_team")))


def table(spec: Spec, schema: str | None = None,
          types: Mapping[str, type[TypeEngine]] | None = None) -> Table:
    """A Core Table of just the columns read: text, unless `types` says a column holds
    numbers (an id column typed INTEGER or NUMERIC, looked up with numbers)."""
    kinds = types or {}
    return Table(spec.name, MetaData(), *(Column(c, kinds.get(c, String)) for c in spec.columns),
                 schema=schema)
