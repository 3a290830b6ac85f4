"""Why an audience spec cannot run: shared by the parser and the complexity budget."""

from __future__ import annotations

from dataclasses import dataclass

from ducky.errors import UserError


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class SpecError(UserError):
    """An audience spec that cannot be run; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "; ".join(f"{p.path or '(payload)'}: {p.message}" for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"invalid audience spec: {shown}{more}")
