"""Monitor expressions: compiled once, bounded, and hostile input refused with a sentence."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from simpleeval import EvalWithCompoundTypes

from hub.errors import ExpressionError, ValidationError
from hub.expressions import SAFE_GLOBALS, check_condition, compile_expression
from hub.hub import Hub
from tests.alerts.conftest import cpu_widget, register, report
from tests.factories import registration, send

#: (expression, a fragment of the sentence that refuses it)
HOSTILE = [
    ("9**3999999", "power that could explode"),
    ("value ** value", "power that could explode"),
    ("2 ** (2 ** 64)", "power that could explode"),
    ("'a' * 1000000000", "repeats a string"),
    ("1000000000 * 'a'", "repeats a string"),
    ("'%0999999999d' % 1", "formats a string"),
    ("(" * 30 + "1" + ")" * 30, "nests too deeply"),
    ("[" * 30 + "]" * 30, "nests too deeply"),
    ("not " * 60 + "value", "nests too deeply"),
    ("-" * 60 + "1", "nests too deeply"),
    ("+".join(["value"] * 80), "too complex"),
    ("-" * 400 + "1", "too complex"),
    ("value > 1" + " " * 600, "too long"),
    ("__import__('os').system('id')", "not a safe function"),
    ("value.__class__.__mro__", "Attribute"),
    ("().__class__", "Attribute"),
    ("[x for x in 'abc']", "ListComp"),
    ("(lambda: 1)()", "not a safe function"),
    ("lambda: 1", "Lambda"),
    ("value[0]", "Subscript"),
    ("open('/etc/passwd')", "not a safe function"),
    ("eval('1')", "not a safe function"),
    ("max(value, key=abs)", "keyword arguments"),
    ("f'{value}'", "JoinedStr"),
    ("{1: 2}", "Dict"),
    ("value := 3", "not a valid expression"),
    ("value >", "not a valid expression"),
    ("", "is empty"),
    ("secret > 1", "unknown name 'secret'"),
    ("'x' * 3", "repeats a string"),
    ("'" + "a" * 300 + "'", "string that is too long"),
]


@pytest.mark.parametrize(("text", "reason"), HOSTILE)
def test_a_hostile_condition_is_refused_quickly_with_a_sentence(text: str, reason: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ValidationError) as caught:
        check_condition(text, widget_ids=frozenset({"cpu", "disk"}))
    assert reason in caught.value.message
    assert time.perf_counter() - started < 0.1


def test_a_registration_with_a_bad_monitor_is_refused_naming_the_monitor(
    make_hub: Callable[..., Hub],
) -> None:
    hub = make_hub()
    bad = cpu_widget({"condition": "value > 1"}, {"condition": "valu > 90"})
    send(hub, "synapse/register/nas-01", registration(widgets=bad))
    hub.flush()
    [error] = hub.errors("nas-01")
    assert "widget 'cpu' monitor 2's condition uses the unknown name 'valu'" in error.error


def test_a_condition_may_read_the_axons_other_widgets_by_id(
    make_hub: Callable[..., Hub],
) -> None:
    hub = make_hub(alert_group_window=0)
    register(hub, widgets=cpu_widget({"condition": "value > 50 and disk > 90"}))
    report(hub, {"cpu": 60})  # disk has not reported: nothing to decide yet
    assert hub.alerts.list() == []
    report(hub, {"disk": 95})
    report(hub, {"cpu": 61})
    [alert] = hub.alerts.list()
    assert alert.state == "firing"


def test_an_override_with_a_bad_monitor_is_refused_naming_the_monitor(
    make_hub: Callable[..., Hub],
) -> None:
    hub = make_hub()
    register(hub, widgets=cpu_widget({"condition": "value > 90"}))
    patch = {"widgets": {"cpu": {"monitors": [{"condition": "9**3999999"}]}}}
    with pytest.raises(ValidationError) as caught:
        hub.patch_overrides("nas-01", patch)
    assert "power that could explode" in caught.value.message
    patch = {"widgets": {"cpu": {"monitors": [{"condition": "nope > 1"}]}}}
    with pytest.raises(ValidationError) as caught:
        hub.patch_overrides("nas-01", patch)
    assert "widget 'cpu' monitor 1's condition uses the unknown name 'nope'" in (
        caught.value.message
    )


def test_conditions_are_compiled_once_per_definition_or_override_not_per_report(
    make_hub: Callable[..., Hub],
) -> None:
    hub = make_hub()
    register(hub, widgets=cpu_widget({"condition": "value > 90"}))
    report(hub, {"cpu": 10})
    code = hub.monitors._axons["nas-01"].widgets["cpu"].code
    for v in range(20):
        report(hub, {"cpu": v})
    assert hub.monitors._axons["nas-01"].widgets["cpu"].code is code
    hub.patch_overrides("nas-01", {"widgets": {"cpu": {"monitors": [{"condition": "value > 5"}]}}})
    report(hub, {"cpu": 10})
    assert hub.monitors._axons["nas-01"].widgets["cpu"].code is not code
    [alert] = hub.alerts.list()
    assert alert.condition == "value > 5"  # the user's override of the monitor applies


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("(value ** 64) ** 64 > 0", {"value": 9}),
        ("((value ** 64) ** 64) ** 64 > 0", {"value": 3}),
        ("value * 100000000 == ''", {"value": "abc"}),
        ("value % 1 == ''", {"value": "%0999999999d"}),
        ("round(value, 1000000000) > 0", {"value": 1.5}),
        ("value > 90", {"value": "high"}),
        ("len(value) > 3", {"value": 12}),
        ("value / prev > 1", {"value": 1, "prev": 0}),
        ("int(value) > 0", {"value": "9" * 5000}),
    ],
)
def test_a_run_time_failure_is_an_expression_error_not_a_crash_nor_a_stall(
    text: str, values: dict[str, object]
) -> None:
    compiled = compile_expression(check_condition(text))
    names = {"value": 0, "prev": 0, "age": 0.0} | values
    started = time.perf_counter()
    with pytest.raises(ExpressionError):
        compiled.evaluate(names)
    assert time.perf_counter() - started < 0.1


BENIGN = [
    "value > 90",
    "value >= 90 and prev < 90",
    "abs(value - prev) > 10",
    "max(value, prev) > 50 or min(value, prev) < 5",
    "round(value / 3, 2) == 33.33",
    "value in ('down', 'failed')",
    "value not in ['ok']",
    "len(str(value)) > 2",
    "value * 2 ** 3 > 700",
    "not (value > 10) if prev else age > 60",
    "-value < -90",
    "value % 7 == 2",
    "value // 10 == 9",
    "float(value) > 89.5 and int(value) == 100",
    "bool(value) and True",
]


@pytest.mark.parametrize("text", BENIGN)
@pytest.mark.parametrize("value", [100, 3, 0, 91.5, "down", "ok", True])
def test_accepted_expressions_agree_with_simpleeval(text: str, value: object) -> None:
    names = {"value": value, "prev": 95, "age": 12.0}
    functions = {k: v for k, v in SAFE_GLOBALS.items() if not k.startswith("_")}
    reference = EvalWithCompoundTypes(names=names, functions=functions)
    try:
        expected: object = reference.eval(text)
    except Exception:
        expected = ExpressionError
    compiled = compile_expression(check_condition(text))
    try:
        got: object = compiled.evaluate(dict(names))
    except ExpressionError:
        got = ExpressionError
    assert got == expected


def test_a_numeric_recover_needs_a_simple_threshold_condition(
    make_hub: Callable[..., Hub],
) -> None:
    hub = make_hub()
    bad = cpu_widget({"condition": "abs(value) > 90", "recover": "80"})
    send(hub, "synapse/register/nas-01", registration(widgets=bad))
    hub.flush()
    [error] = hub.errors("nas-01")
    assert error.error == (
        "widget 'cpu' monitor 1: a numeric recover needs a condition of the form "
        "'value > N' or 'value < N'"
    )
