"""scopecheck: IT service agreements as executable rules.

Pipeline: rule text --parse--> RuleFile (syntax) --check--> CheckedRuleSet (check)
--compile--> Program (evaluate); agreement YAML --load--> Agreement; ticket files --read-->
Ticket; Program + Agreement + Ticket --evaluate--> Decision.
"""

__version__ = "0.1.0"
