"""Monitor conditions: checked and compiled once per definition or override, never per report.

A condition is a Python expression over a few names (``value``, ``prev``, ``age``, the axon's
other widget ids) and a short list of safe functions. ``check_condition`` refuses, with a
sentence, what could stall the hub: oversize text, too many AST nodes, deep nesting
(RecursionError), ``**`` with a non-literal or large exponent and string repetition.

``compile_group`` turns what passes into one code object per widget: the tuple of all its
monitors' conditions (and recover expressions), so a report costs one ``eval`` however many
monitors the widget has. The tree is rewritten first: ``*``, ``**`` and ``%`` become calls to
guards that refuse, at run time, repetition of text, powers that would explode and
printf-style formatting. The code object runs with empty builtins and only the safe functions
as globals; the names passed in are plain numbers, strings and booleans. Why not simpleeval at
run time: see docs/alerts.md (it walks the tree in Python, ~25x slower per monitor).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import CodeType
from typing import Any

from hub.errors import ExpressionError, ValidationError

MAX_LENGTH = 512
MAX_NODES = 200
MAX_DEPTH = 20
MAX_POWER_EXPONENT = 64
#: the largest integer a guarded ``**`` or ``*`` may produce, in bits (about 1,200 digits)
MAX_INT_BITS = 4096
MAX_ROUND_DIGITS = 15
SAFE_FUNCTIONS = frozenset({"abs", "min", "max", "round", "len", "int", "float", "str", "bool"})
BASE_NAMES = frozenset({"value", "prev", "age", "True", "False", "None"})

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Tuple,
    ast.List,
    ast.And,
    ast.Or,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Pow,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
)


@dataclass(frozen=True)
class CheckedExpression:
    text: str
    names: frozenset[str]
    tree: ast.Expression | None = None


def check_condition(
    text: str, *, widget_ids: frozenset[str] = frozenset(), what: str = "the condition"
) -> CheckedExpression:
    """Parse and bound a condition; raise ``ValidationError`` with a sentence if it is unsafe."""
    if not text.strip():
        raise ValidationError(f"{what} is empty")
    if len(text) > MAX_LENGTH:
        raise ValidationError(f"{what} is too long (max {MAX_LENGTH} characters)")
    if text.count("(") + text.count("[") > MAX_DEPTH:
        raise ValidationError(f"{what} nests too deeply (max {MAX_DEPTH} levels)")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        reason = getattr(exc, "msg", None) or exc.__class__.__name__
        raise ValidationError(f"{what} is not a valid expression ({reason})") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise ValidationError(f"{what} is too complex (max {MAX_NODES} parts)")
    if _depth(tree) > MAX_DEPTH:
        raise ValidationError(f"{what} nests too deeply (max {MAX_DEPTH} levels)")
    names: set[str] = set()
    for node in nodes:
        if not isinstance(node, _ALLOWED_NODES):
            raise ValidationError(f"{what} uses {type(node).__name__}, which is not allowed")
        if isinstance(node, ast.Name):
            # ``widget_ids`` may be a stand-in that accepts any name: ask it, never copy it
            if not (node.id in BASE_NAMES or node.id in SAFE_FUNCTIONS or node.id in widget_ids):
                raise ValidationError(f"{what} uses the unknown name {node.id!r}")
            names.add(node.id)
        elif isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id in SAFE_FUNCTIONS):
                raise ValidationError(f"{what} calls something that is not a safe function")
            if node.keywords:
                raise ValidationError(f"{what} passes keyword arguments, which is not allowed")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            exponent = node.right
            if not (
                isinstance(exponent, ast.Constant)
                and isinstance(exponent.value, int | float)
                and abs(exponent.value) <= MAX_POWER_EXPONENT
            ):
                raise ValidationError(
                    f"{what} raises to a power that could explode (max {MAX_POWER_EXPONENT})"
                )
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            if _is_text(node.left) or _is_text(node.right):
                raise ValidationError(f"{what} repeats a string, which is not allowed")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            if _is_text(node.left):
                raise ValidationError(f"{what} formats a string with %, which is not allowed")
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) > 256
        ):
            raise ValidationError(f"{what} holds a string that is too long (max 256)")
    return CheckedExpression(text=text, names=frozenset(names), tree=tree)


def numeric_recover(condition: str, recover: str) -> str | None:
    """A bare-number ``recover`` is a threshold: ``value > 90`` with ``80`` resolves when
    ``value < 80``. Returns the expression, or None when ``recover`` is not a bare number."""
    try:
        threshold = float(recover)
    except ValueError:
        return None
    if not math.isfinite(threshold):
        raise ValidationError("recover must be a finite number or an expression")
    tree = ast.parse(condition.strip(), mode="eval").body
    if (
        isinstance(tree, ast.Compare)
        and len(tree.ops) == 1
        and isinstance(tree.left, ast.Name)
        and tree.left.id == "value"
    ):
        op = tree.ops[0]
        if isinstance(op, ast.Gt | ast.GtE):
            return f"value < {threshold!r}"
        if isinstance(op, ast.Lt | ast.LtE):
            return f"value > {threshold!r}"
    raise ValidationError(
        "a numeric recover needs a condition of the form 'value > N' or 'value < N'"
    )


# -- run-time guards -----------------------------------------------------------------------
def _mul(a: Any, b: Any) -> Any:
    if isinstance(a, str | bytes | list | tuple) or isinstance(b, str | bytes | list | tuple):
        raise ExpressionError("repeating text or a list is not allowed")
    result = a * b
    if isinstance(result, int) and result.bit_length() > MAX_INT_BITS:
        raise ExpressionError(f"a product is too large (max {MAX_INT_BITS} bits)")
    return result


def _pow(a: Any, b: Any) -> Any:
    if isinstance(b, int | float) and abs(b) > MAX_POWER_EXPONENT:
        raise ExpressionError(f"an exponent is too large (max {MAX_POWER_EXPONENT})")
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() * abs(b) > MAX_INT_BITS:
        raise ExpressionError(f"a power is too large (max {MAX_INT_BITS} bits)")
    return a**b


def _mod(a: Any, b: Any) -> Any:
    if isinstance(a, str | bytes):
        raise ExpressionError("formatting text with % is not allowed")
    return a % b


def _round(number: Any, digits: Any = None) -> Any:
    if digits is None:
        return round(number)
    if not isinstance(digits, int) or abs(digits) > MAX_ROUND_DIGITS:
        raise ExpressionError(f"round() takes at most {MAX_ROUND_DIGITS} digits")
    return round(number, digits)


_GUARDS: dict[type[ast.operator], str] = {ast.Mult: "_mul", ast.Pow: "_pow", ast.Mod: "_mod"}
#: ``value * 2`` needs no guard: one side a plain name (a reported value, at most 1 KiB of
#: text), the other a small number, so the worst case is a 64 KiB string
_UNGUARDED_FACTOR = 64

#: the only globals a condition sees; builtins are empty
SAFE_GLOBALS: dict[str, Any] = {
    "__builtins__": {},
    "abs": abs,
    "min": min,
    "max": max,
    "round": round,
    "len": len,
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "_mul": _mul,
    "_pow": _pow,
    "_mod": _mod,
    "_round": _round,
}


def _small_number(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
        and abs(node.value) <= _UNGUARDED_FACTOR
    )


class _Guard(ast.NodeTransformer):
    """Route the operations that could explode through the run-time guards."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:  # noqa: N802 (ast's naming)
        self.generic_visit(node)
        guard = _GUARDS.get(type(node.op))
        if guard is None:
            return node
        if isinstance(node.op, ast.Mult) and (
            (isinstance(node.left, ast.Name) and _small_number(node.right))
            or (isinstance(node.right, ast.Name) and _small_number(node.left))
        ):
            return node
        name = ast.Name(id=guard, ctx=ast.Load())
        call = ast.Call(func=name, args=[node.left, node.right], keywords=[])
        return ast.copy_location(call, node)

    def visit_Call(self, node: ast.Call) -> ast.AST:  # noqa: N802 (ast's naming)
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "round" and len(node.args) > 1:
            digits = node.args[1]
            if not (
                isinstance(digits, ast.Constant)
                and type(digits.value) is int
                and abs(digits.value) <= MAX_ROUND_DIGITS
            ):
                node.func = ast.copy_location(ast.Name(id="_round", ctx=ast.Load()), node.func)
        return node


def _guarded(tree: ast.Expression) -> ast.expr:
    body = _Guard().visit(ast.parse(ast.unparse(tree), mode="eval")).body
    return body  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Compiled:
    """One checked expression and its own code object (for finding the one that failed)."""

    text: str
    names: frozenset[str]
    code: CodeType

    def evaluate(self, names: dict[str, Any]) -> Any:
        """Evaluate; any failure becomes ``ExpressionError`` with a sentence."""
        try:
            return eval(self.code, SAFE_GLOBALS, names)  # noqa: S307 (whitelisted AST, no builtins)
        except ExpressionError:
            raise
        except Exception as exc:  # TypeError, ZeroDivisionError, OverflowError, ValueError...
            raise ExpressionError(f"{self.text!r} failed: {_explain(exc)}") from None


def compile_expression(checked: CheckedExpression) -> Compiled:
    assert checked.tree is not None  # noqa: S101 (check_condition always sets it)
    body = _guarded(checked.tree)
    code = compile(ast.fix_missing_locations(ast.Expression(body=body)), "<monitor>", "eval")
    return Compiled(text=checked.text, names=checked.names, code=code)


#: the parameters every group function takes: the other widgets' values come as one dict
PARAMETERS = ("value", "prev", "age", "_values")

Group = Callable[..., tuple[Any, ...]]


class _Others(ast.NodeTransformer):
    """``disk`` (another widget) → ``_values['disk']``: one dict read, no keyword lookups."""

    def __init__(self, others: frozenset[str]) -> None:
        self.others = others

    def visit_Name(self, node: ast.Name) -> ast.AST:  # noqa: N802 (ast's naming)
        if node.id not in self.others:
            return node
        read = ast.Subscript(
            value=ast.Name(id="_values", ctx=ast.Load()),
            slice=ast.Constant(value=node.id),
            ctx=ast.Load(),
        )
        return ast.copy_location(read, node)


def compile_group(expressions: Sequence[Compiled], others: Sequence[str] = ()) -> Group:
    """One function ``(value, prev, age, values) -> tuple`` computing all ``expressions``.

    A function, not an ``eval`` per report: ``value``, ``prev`` and ``age`` are fast locals,
    the safe functions cached globals, and ``others`` (names of other widgets) are read from
    the axon's current values; one that has not reported raises ``KeyError`` (the caller then
    settles the monitors one by one and skips those that cannot be decided yet).
    """
    rewrite = _Others(frozenset(others))
    elts = [rewrite.visit(_guarded(ast.parse(e.text.strip(), mode="eval"))) for e in expressions]
    params = [ast.arg(arg=name) for name in PARAMETERS]
    lambda_ = ast.Lambda(
        args=ast.arguments(posonlyargs=[], args=params, kwonlyargs=[], kw_defaults=[], defaults=[]),
        body=ast.Tuple(elts=elts, ctx=ast.Load()),
    )
    code = compile(ast.fix_missing_locations(ast.Expression(body=lambda_)), "<monitors>", "eval")
    group: Group = eval(code, SAFE_GLOBALS)  # noqa: S307 (builds the lambda from checked trees)
    return group


def _explain(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return text[:200]


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str | bytes)


def _depth(node: ast.AST, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    children = list(ast.iter_child_nodes(node))
    return max((_depth(child, level + 1) for child in children), default=level)


__all__ = [
    "MAX_LENGTH",
    "SAFE_FUNCTIONS",
    "CheckedExpression",
    "Compiled",
    "check_condition",
    "compile_expression",
    "compile_group",
    "numeric_recover",
]
