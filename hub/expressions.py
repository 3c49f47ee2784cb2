"""Monitor conditions: checked once when a definition or override arrives, never per report.

A condition is a Python expression over a few names (``value``, ``prev``, ``age``, the axon's
other widget ids) and a short list of safe functions. This module refuses, with a sentence, what
could stall the hub: oversize text, too many AST nodes, deep nesting (RecursionError), ``**`` with a
non-literal or large exponent and string repetition. The alert engine evaluates what passes.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from hub.errors import ValidationError

MAX_LENGTH = 512
MAX_NODES = 200
MAX_DEPTH = 20
MAX_POWER_EXPONENT = 64
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


def check_condition(text: str, *, widget_ids: frozenset[str] = frozenset()) -> CheckedExpression:
    """Parse and bound a condition; raise ``ValidationError`` with a sentence if it is unsafe."""
    if not text.strip():
        raise ValidationError("the condition is empty")
    if len(text) > MAX_LENGTH:
        raise ValidationError(f"the condition is too long (max {MAX_LENGTH} characters)")
    if text.count("(") + text.count("[") > MAX_DEPTH:
        raise ValidationError(f"the condition nests too deeply (max {MAX_DEPTH} levels)")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        reason = getattr(exc, "msg", None) or exc.__class__.__name__
        raise ValidationError(f"the condition is not a valid expression ({reason})") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise ValidationError(f"the condition is too complex (max {MAX_NODES} parts)")
    if _depth(tree) > MAX_DEPTH:
        raise ValidationError(f"the condition nests too deeply (max {MAX_DEPTH} levels)")
    allowed_names = BASE_NAMES | widget_ids | SAFE_FUNCTIONS
    names: set[str] = set()
    for node in nodes:
        if not isinstance(node, _ALLOWED_NODES):
            raise ValidationError(f"the condition uses {type(node).__name__}, which is not allowed")
        if isinstance(node, ast.Name):
            if node.id not in allowed_names:
                raise ValidationError(f"the condition uses the unknown name {node.id!r}")
            names.add(node.id)
        elif isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id in SAFE_FUNCTIONS):
                raise ValidationError("the condition calls something that is not a safe function")
            if node.keywords:
                raise ValidationError(
                    "the condition passes keyword arguments, which is not allowed"
                )
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            exponent = node.right
            if not (
                isinstance(exponent, ast.Constant)
                and isinstance(exponent.value, int | float)
                and abs(exponent.value) <= MAX_POWER_EXPONENT
            ):
                raise ValidationError(
                    f"the condition raises to a power that could explode (max {MAX_POWER_EXPONENT})"
                )
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            if _is_text(node.left) or _is_text(node.right):
                raise ValidationError("the condition repeats a string, which is not allowed")
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) > 256
        ):
            raise ValidationError("the condition holds a string that is too long (max 256)")
    return CheckedExpression(text=text, names=frozenset(names))


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str | bytes)


def _depth(node: ast.AST, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    children = list(ast.iter_child_nodes(node))
    return max((_depth(child, level + 1) for child in children), default=level)
