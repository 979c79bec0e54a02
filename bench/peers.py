"""The peer engines: the benchmark's five rules in the languages a user could pick instead.

In: the workload's peer view (``workload.peer_view``): one flat dict per ticket with the
requester's earlier moves this contract year already counted, and the weekday (0 is Monday) and
hour of ``opened_at`` already worked out. Out: the same ``(outcome, deciding rule, premium
multiplier)`` as the baseline, per ticket.

Each peer is compiled once by ``Peer.prepare`` and then decides every ticket through its own
Python API; only deciding is timed. The rules are the ones in ``bench/rules/bench.scope``:
project (over 4h, installing software, a second move) before billable (third-party damage,
acts of God) before in plan, and a 1.5 premium when the ticket was opened outside Monday to
Friday 08:00-18:00 UTC, unless waived. The peers come from the optional ``bench`` extra
(``pip install -e '.[bench]'``); one that is not installed is skipped with a note.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Result = tuple[str, str, float]
Runner = Callable[[list], list[Result]]

OUTCOME_OF = {
    "over_project_threshold": "project",
    "software_install": "project",
    "second_move": "project",
    "excluded_cause": "billable",
    "covered": "in_plan",
}
HANDED = "flat dicts + earlier_moves, weekday, hour, estimate_minutes"


@dataclass(frozen=True)
class Peer:
    key: str  # as --only names it
    name: str
    module: str  # what must be importable for the peer to run
    package: str  # the distribution the bench extra installs
    handed: str
    # The view in, a runner out; whatever it does before returning the runner is not timed.
    prepare: Callable[[list[dict]], tuple[list, Runner]]

    def available(self) -> bool:
        return importlib.util.find_spec(self.module) is not None


# --- zen-engine ---------------------------------------------------------------------------------

# A ternary chain in the rules' precedence; zen's comparison refuses null, so the estimate is
# tested for presence first, as scopecheck's unknown would leave the rule unfired.
ZEN_EXPRESSION = """[
  estimate_minutes != null and estimate_minutes > 240 ? "over_project_threshold"
  : category == "install_software" ? "software_install"
  : category == "move" and earlier_moves >= 1 ? "second_move"
  : cause in ["third_party_damage", "act_of_god"] ? "excluded_cause"
  : "covered",
  (weekday >= 5 or hour < 8 or hour >= 18) and premium_waived != "yes" ? 1.5 : 1
]"""


def _zen_expression(view: list[dict]) -> tuple[list, Runner]:
    import zen

    return view, _rule_and_premium(zen.compile_expression(ZEN_EXPRESSION).evaluate)


def _rule_and_premium(evaluate: Callable[[dict], Sequence]) -> Runner:
    """The runner of an engine whose compiled expression gives ``[deciding rule, premium]``
    for a ticket."""

    def run(tickets: list) -> list[Result]:
        results = []
        for ticket in tickets:
            rule, premium = evaluate(ticket)
            results.append((OUTCOME_OF[rule], rule, float(premium)))
        return results

    return run


def _table(name: str, inputs: list[tuple[str, str]], outputs: list[str], rows: list[tuple[list[str], list[str]]]) -> dict:
    """A JDM decision table node with hit policy "first": rows are (input tests, output values)."""
    return {
        "id": name, "type": "decisionTableNode", "name": name, "position": {"x": 300, "y": 0},
        "content": {
            "hitPolicy": "first",
            "inputs": [{"id": f"{name}-in-{field}", "name": label, "field": field} for field, label in inputs],
            "outputs": [{"id": f"{name}-out-{field}", "name": field, "field": field} for field in outputs],
            "rules": [
                {"_id": f"{name}-{index}",
                 **{f"{name}-in-{field}": test for (field, _), test in zip(inputs, tests)},
                 **{f"{name}-out-{field}": value for field, value in zip(outputs, values)}}
                for index, (tests, values) in enumerate(rows)
            ],
        },
    }


def zen_decision_graph() -> dict:
    """Two decision tables side by side, one for the outcome and one for the premium; the
    output node merges what both give."""
    rules = _table(
        "rules",
        [("estimate_minutes", "Estimate (minutes)"), ("category", "Category"), ("earlier_moves", "Earlier moves"), ("cause", "Cause")],
        ["outcome", "rule"],
        [
            (["$ != null and $ > 240", "", "", ""], ['"project"', '"over_project_threshold"']),
            (["", '"install_software"', "", ""], ['"project"', '"software_install"']),
            (["", '"move"', ">= 1", ""], ['"project"', '"second_move"']),
            (["", "", "", '"third_party_damage", "act_of_god"'], ['"billable"', '"excluded_cause"']),
            (["", "", "", ""], ['"in_plan"', '"covered"']),
        ],
    )
    premium = _table(
        "premium",
        [("premium_waived", "Premium waived"), ("weekday", "Weekday"), ("hour", "Hour")],
        ["premium"],
        [
            (['"yes"', "", ""], ["1"]),
            (["", ">= 5", ""], ["1.5"]),
            (["", "", "< 8"], ["1.5"]),
            (["", "", ">= 18"], ["1.5"]),
            (["", "", ""], ["1"]),
        ],
    )
    premium["position"] = {"x": 300, "y": 200}
    nodes = [
        {"id": "request", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 100}},
        rules, premium,
        {"id": "response", "type": "outputNode", "name": "Response", "position": {"x": 600, "y": 100}},
    ]
    edges = [
        {"id": f"{source}-{target}", "sourceId": source, "targetId": target, "type": "edge"}
        for source, target in (("request", "rules"), ("request", "premium"), ("rules", "response"), ("premium", "response"))
    ]
    return {"contentType": "application/vnd.gorules.decision", "nodes": nodes, "edges": edges}


def _zen_tables(view: list[dict]) -> tuple[list, Runner]:
    import zen

    # Through the engine by key: a decision made with ``create_decision`` evaluates over ten
    # times slower per call in zen-engine 2.1, and the engine's way is what its documents show.
    engine = zen.ZenEngine({"loader": {"type": "static", "content": {"bench": zen_decision_graph()}}})

    def run(tickets: list) -> list[Result]:
        evaluate = engine.evaluate
        results = []
        for ticket in tickets:
            out = evaluate("bench", ticket)["result"]
            results.append((out["outcome"], out["rule"], float(out["premium"])))
        return results

    return view, run


# --- rule-engine -----------------------------------------------------------------------------

RULE_ENGINE_EXPRESSION = """[
  (estimate_minutes != null and estimate_minutes > 240) ? "over_project_threshold"
  : (category == "install_software" ? "software_install"
  : ((category == "move" and earlier_moves >= 1) ? "second_move"
  : (cause in ["third_party_damage", "act_of_god"] ? "excluded_cause"
  : "covered"))),
  ((weekday >= 5 or hour < 8 or hour >= 18) and premium_waived != "yes") ? 1.5 : 1
]"""


def _rule_engine(view: list[dict]) -> tuple[list, Runner]:
    import rule_engine

    return view, _rule_and_premium(rule_engine.Rule(RULE_ENGINE_EXPRESSION).evaluate)


# --- CEL (common-expression-language, in Rust) -----------------------------------------------

CEL_EXPRESSION = """[
  estimate_minutes != null && estimate_minutes > 240 ? "over_project_threshold"
  : category == "install_software" ? "software_install"
  : category == "move" && earlier_moves >= 1 ? "second_move"
  : cause != null && cause in ["third_party_damage", "act_of_god"] ? "excluded_cause"
  : "covered",
  (weekday >= 5 || hour < 8 || hour >= 18) && premium_waived != "yes" ? 1.5 : 1.0
]"""


def _cel(view: list[dict]) -> tuple[list, Runner]:
    import cel

    return view, _rule_and_premium(cel.compile(CEL_EXPRESSION).execute)


# --- Cedar (cedarpy) ---------------------------------------------------------------------------

# Cedar answers allow or deny and which policies said so; each rule is a policy, and the
# precedence is the order below, applied to the policies that were satisfied. Cedar has no
# null: a missing value is a context attribute left out, tested with ``has``.
CEDAR_POLICIES = (
    ("over_project_threshold", "context has estimate_minutes && context.estimate_minutes > 240"),
    ("software_install", 'context.category == "install_software"'),
    ("second_move", 'context.category == "move" && context.earlier_moves >= 1'),
    ("excluded_cause", 'context has cause && ["third_party_damage", "act_of_god"].contains(context.cause)'),
    ("after_hours_premium",
     '(context.weekday >= 5 || context.hour < 8 || context.hour >= 18) && context.premium_waived != "yes"'),
)


def cedar_policy_text() -> str:
    return "\n".join(
        f'@id("{rule}")\npermit(principal, action == Action::"decide", resource)\nwhen {{ {condition} }};\n'
        for rule, condition in CEDAR_POLICIES
    )


def _cedar(view: list[dict]) -> tuple[list, Runner]:
    import cedarpy

    policies = cedarpy.PolicySet.from_str(cedar_policy_text())
    entities = cedarpy.Entities.from_json_str("[]")
    # cedarpy names policies policy0, policy1, ... in the order written.
    rule_of = {f"policy{index}": rule for index, (rule, _) in enumerate(CEDAR_POLICIES)}
    deciding = [rule for rule, _ in CEDAR_POLICIES if rule in OUTCOME_OF]
    requests = [
        {
            "principal": 'Client::"bench"',
            "action": 'Action::"decide"',
            "resource": f'Ticket::"{ticket["id"]}"',
            "context": {key: value for key, value in ticket.items() if value is not None and key != "id"},
        }
        for ticket in view
    ]

    def run(batch: list) -> list[Result]:
        results = []
        for answer in cedarpy.is_authorized_batch(batch, policies, entities):
            fired = {rule_of[policy] for policy in answer.diagnostics.reasons}
            rule = next((rule for rule in deciding if rule in fired), "covered")
            results.append((OUTCOME_OF[rule], rule, 1.5 if "after_hours_premium" in fired else 1.0))
        return results

    return requests, run


PEERS = (
    Peer("zen-expression", "zen-engine expression", "zen", "zen-engine", HANDED, _zen_expression),
    Peer("zen-tables", "zen-engine decision tables", "zen", "zen-engine", HANDED, _zen_tables),
    Peer("cel", "CEL (Rust)", "cel", "common-expression-language", HANDED, _cel),
    Peer("cedarpy", "cedarpy", "cedarpy", "cedarpy", HANDED + " [precedence applied in Python to the policies satisfied]", _cedar),
    Peer("rule-engine", "rule-engine", "rule_engine", "rule-engine", HANDED, _rule_engine),
)
