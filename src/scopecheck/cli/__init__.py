"""The command line: the only place that prints, reads flags, or chooses an exit code.

One module per command family; this one is the group they hang on.

Exit codes are the same for every command (``cli.common``, README "Exit codes").
"""

from __future__ import annotations

import json

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="scopecheck", prog_name="scopecheck")
def main() -> None:
    """scopecheck: is this ticket covered by the client's agreement, or billable?

    \b
    Examples:
      scopecheck classify examples/harbor-vale/agreement.yaml examples/harbor-vale/tickets.csv
      scopecheck schema agreement
    """


@main.command()
@click.argument("which", type=click.Choice(["agreement", "ticket"]))
def schema(which: str) -> None:
    """Print the JSON Schema of agreement files or of tickets.

    \b
    Examples:
      scopecheck schema agreement > agreement.schema.json
      scopecheck schema ticket
    """
    if which == "agreement":
        from scopecheck.agreement.model import agreement_schema

        document = agreement_schema()
    else:
        from scopecheck.tickets.schema import ticket_json_schema

        document = ticket_json_schema()
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


def _register() -> None:
    from scopecheck.cli.check import check
    from scopecheck.cli.classify import classify
    from scopecheck.cli.fmt import fmt
    from scopecheck.cli.ledger import balance, history
    from scopecheck.cli.testing import rule_tests

    for command in (classify, history, balance, check, rule_tests, fmt):
        main.add_command(command)


_register()
