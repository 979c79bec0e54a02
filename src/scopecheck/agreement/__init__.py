"""The agreement stage: a client's agreement YAML in, a validated, typed ``Agreement`` out.

``load_agreement(path)`` reads and checks a file and raises ``DiagnosticError`` with every
problem; ``agreement_field_type`` and ``agreement_field_names`` tell the rule checker what
``agreement.<path>`` and ``client.<path>`` mean. See docs/agreement.md for the file format.
"""

from scopecheck.agreement.load import load_agreement, parse_agreement
from scopecheck.agreement.model import (
    PRICING_MODELS,
    Agreement,
    Client,
    Coverage,
    CoveredDevice,
    Fees,
    ParamOverride,
    Plan,
    Premiums,
    Prepaid,
    PrepaidBlock,
    Rates,
    RuleFileRef,
    Term,
    agreement_field_names,
    agreement_field_type,
    agreement_schema,
    agreement_schema_text,
)

__all__ = [
    "PRICING_MODELS",
    "Agreement",
    "Client",
    "Coverage",
    "CoveredDevice",
    "Fees",
    "ParamOverride",
    "Plan",
    "Premiums",
    "Prepaid",
    "PrepaidBlock",
    "Rates",
    "RuleFileRef",
    "Term",
    "agreement_field_names",
    "agreement_field_type",
    "agreement_schema",
    "agreement_schema_text",
    "load_agreement",
    "parse_agreement",
]
