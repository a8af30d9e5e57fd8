"""Errors a use case may raise. Edges translate them: problem+json in the API,
a message and a non-zero exit in the CLI, a flash message in the web UI."""

from __future__ import annotations

from dataclasses import dataclass, field


class CoalitionError(Exception):
    """Base of every expected failure; its message is safe to show the caller."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(CoalitionError):
    status = 404
    title = "Not found"


class Conflict(CoalitionError):
    status = 409
    title = "Conflict"


class PermissionDenied(CoalitionError):
    status = 403
    title = "Forbidden"


class AuthenticationFailed(CoalitionError):
    status = 401
    title = "Unauthorized"


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str


@dataclass
class ValidationFailed(CoalitionError):
    """One or more fields are wrong; each problem names its field."""

    problems: list[FieldProblem] = field(default_factory=list)
    status = 422
    title = "Unprocessable content"

    def __post_init__(self) -> None:
        detail = "; ".join(f"{p.field}: {p.message}" for p in self.problems)
        CoalitionError.__init__(self, detail)

    @classmethod
    def of(cls, field_name: str, message: str) -> ValidationFailed:
        return cls([FieldProblem(field_name, message)])

    @classmethod
    def of_many(cls, problems: list[tuple[str, str]]) -> ValidationFailed:
        return cls([FieldProblem(f, m) for f, m in problems])


class Problems:
    """Collects field problems so a use case can report all of them at once."""

    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def add(self, field_name: str, message: str) -> None:
        self.items.append(FieldProblem(field_name, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationFailed(list(self.items))
