"""Invariants of the probabilistic pass's model (data/model.json) that its blocking
rules rely on."""

import math

from yangguang.matching import linking


def _weight(level):
    return 0.0 if level.get("is_null_level") else math.log2(level["m_probability"] / level["u_probability"])


def test_a_pair_whose_names_differ_never_reaches_review():
    """The birth-date blocking rule leaves out pairs whose names are at the name's
    last level ("姓名不同"): that is only safe while such a pair stays below the review
    threshold even when everything else agrees."""
    config = linking.model()
    splink = config["splink"]
    prior = math.log2(splink["probability_two_random_records_match"]
                      / (1 - splink["probability_two_random_records_match"]))
    comparisons = {c["output_column_name"]: c["comparison_levels"] for c in splink["comparisons"]}
    names_differ = next(lv for lv in comparisons["name"] if lv["sql_condition"] == "ELSE")
    best_of_the_rest = sum(max(_weight(lv) for lv in levels)
                           for column, levels in comparisons.items() if column != "name")
    assert prior + _weight(names_differ) + best_of_the_rest < config["review_weight"]
    birth_rule = splink["blocking_rules_to_generate_predictions"][0]
    last_but_one = [lv for lv in comparisons["name"] if lv["sql_condition"] != "ELSE"][-1]
    assert last_but_one["sql_condition"].replace("_l", "").replace("_r", "") in birth_rule.replace(
        "l.", "").replace("r.", "")
