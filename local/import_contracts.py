"""An import-linter contract of Kirim's own (see pyproject.toml): across slices, public names only.

A slice is a package directly under the container (chalicelib.accounts, chalicelib.sending...).
Inside a slice anything goes; from another slice, a module or a name that starts with "_" is
private and may not be imported.
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


class PublicNamesContract(Contract):
    type_name = "public_names"
    container = fields.StringField()

    def check(self, graph, verbose: bool) -> ContractCheck:
        container = str(self.container)
        violations = []
        for importer in sorted(graph.modules):
            home = _slice(importer, container)
            if home is None:
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                other = _slice(imported, container)
                if other is None or other == home:
                    continue
                for detail in graph.get_import_details(importer=importer, imported=imported):
                    line = detail["line_contents"]
                    private = [part for part in imported.split(".") if part.startswith("_")] + _private_names(line)
                    if private:
                        violations.append(f"{importer}:{detail['line_number']} imports {', '.join(private)} "
                                          f"of another slice: {line}")
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for violation in check.metadata["violations"]:
            output.print_error(violation)
