"""Import-linter contracts of Kirim's own (see pyproject.toml).

A slice is a package directly under the container (chalicelib.accounts, chalicelib.sending...).
- public_names: inside a slice anything goes; from another slice, a module or a name that starts
  with "_" is private and may not be imported.
- only_slices: a slice imports no slice but the ones listed (providers: core alone, so an adapter
  can never reach a table through another slice; a slice added later is refused too).
"""
from __future__ import annotations

import re

from importlinter import Contract, ContractCheck, fields, output

_NAMES = re.compile(r"import\s+\(?([^)#]*)")


def _slice(module: str, container: str) -> str | None:
    parts = module[len(container) + 1:].split(".")
    return parts[0] if module.startswith(container + ".") and len(parts) > 1 else None


def _private_names(line: str) -> list[str]:
    match = _NAMES.search(line)
    names = [part.split(" as ")[0].strip() for part in match.group(1).split(",")] if match else []
    return [name for name in names if name.startswith("_")]


def _imports_across(graph, container: str, *, top_level: bool = False):
    """(importer, its slice, imported, the imported module's slice, import details) of each import from
    one slice into another; with top_level, a module right under the container (chalicelib.workers)
    counts as a slice of its own."""
    for importer in sorted(graph.modules):
        home = _slice(importer, container)
        if home is None:
            continue
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            other = _slice(imported, container)
            if other is None and top_level and imported.startswith(container + "."):
                other = imported[len(container) + 1:]
            if other is None or other == home:
                continue
            for detail in graph.get_import_details(importer=importer, imported=imported):
                yield importer, home, imported, other, detail


class _SliceContract(Contract):
    container = fields.StringField()

    def render_broken_contract(self, check: ContractCheck) -> None:
        for violation in check.metadata["violations"]:
            output.print_error(violation)


class PublicNamesContract(_SliceContract):
    type_name = "public_names"

    def check(self, graph, verbose: bool) -> ContractCheck:
        violations = []
        for importer, _, imported, _, detail in _imports_across(graph, str(self.container)):
            line = detail["line_contents"]
            private = [part for part in imported.split(".") if part.startswith("_")] + _private_names(line)
            if private:
                violations.append(f"{importer}:{detail['line_number']} imports {', '.join(private)} "
                                  f"of another slice: {line}")
        return ContractCheck(kept=not violations, metadata={"violations": violations})


class OnlySlicesContract(_SliceContract):
    type_name = "only_slices"
    source = fields.StringField()
    allowed = fields.ListField(subfield=fields.StringField())

    def check(self, graph, verbose: bool) -> ContractCheck:
        source, allowed = str(self.source), sorted(str(name) for name in self.allowed)
        violations = [f"{importer}:{detail['line_number']} imports {imported}, outside {', '.join(allowed)}: "
                      f"{detail['line_contents']}"
                      for importer, home, imported, other, detail in _imports_across(graph, str(self.container),
                                                                                      top_level=True)
                      if home == source and other not in allowed]
        return ContractCheck(kept=not violations, metadata={"violations": violations})
