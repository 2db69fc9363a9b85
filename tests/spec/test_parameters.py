"""Attune parameter schemas: checked at load time, every given value validated at start."""

from __future__ import annotations

import textwrap

import pytest

from runtime import ParameterError, start_workflow
from runtime.errors import ParameterProblem
from runtime.machine import check_parameters as machine_check_parameters
from runtime.parameters import check_parameters
from runtime.spec import load_workflow, validate

pytestmark = pytest.mark.timeout(30)

WORKFLOW = textwrap.dedent("""\
    version: "1.0.0"
    parameters:
      env: {type: string, enum: [dev, prod], default: dev}
      port: {type: integer, minimum: 1, default: 80}
      name: {type: string, pattern: "^[a-z]+$", default: x}
      servers:
        type: array
        default: []
        items:
          type: object
          properties:
            host: {type: string}
            port: {type: integer, maximum: 65535}
          required: [host]
      token: {type: string, secret: true, minLength: 12, default: a-long-enough-token}
    tasks:
      - name: a
        action: core.noop
    """)


def problems(params: dict[str, object]) -> list[tuple[str, tuple[str | int, ...], str]]:
    """(parameter, path, validator) of every problem start_workflow raises for ``params``."""
    with pytest.raises(ParameterError) as caught:
        start_workflow(WORKFLOW, params)
    return [(p.parameter, p.path, p.validator) for p in caught.value.problems]


@pytest.mark.parametrize(("params", "expected"), [
    ({"env": "staging"}, [("env", (), "enum")]),
    ({"port": 0}, [("port", (), "minimum")]),
    ({"port": "80"}, [("port", (), "type")]),
    ({"name": "Bad1"}, [("name", (), "pattern")]),
    ({"servers": [{"host": "a"}, {"host": "b", "port": 70000}]},
     [("servers", (1, "port"), "maximum")]),
    ({"servers": [{"port": 1}]}, [("servers", (0,), "required")]),
    ({"servers": {"host": "a"}}, [("servers", (), "type")]),
])
def test_values_a_schema_refuses_raise_located_problems(
        params: dict[str, object], expected: list[tuple[str, tuple[str | int, ...], str]]) -> None:
    """enum, minimum, type, pattern, nested properties, required and items are all enforced."""
    assert problems(params) == expected


def test_values_the_schemas_accept_start() -> None:
    """Valid values (and no values: the defaults) run."""
    params = {"env": "prod", "port": 8080, "name": "web",
              "servers": [{"host": "a", "port": 22}], "token": "a-token-of-length"}
    assert start_workflow(WORKFLOW, params).wait(timeout=20).status == "succeeded"
    assert start_workflow(WORKFLOW).wait(timeout=20).status == "succeeded"


def test_problem_location_and_message_name_the_path() -> None:
    """A nested problem reads `servers[1].port: ...`; the enum one quotes the allowed values."""
    with pytest.raises(ParameterError) as caught:
        start_workflow(WORKFLOW, {"env": "staging",
                                  "servers": [{"host": "a"}, {"host": "b", "port": "x"}]})
    env, port = caught.value.problems
    assert env.location == "env"
    assert str(env) == "env: 'staging' is not one of ['dev', 'prod']"
    assert port.location == "servers[1].port"


def test_a_secret_value_never_appears_in_a_problem() -> None:
    """The secret's problem names the keyword only; the value is in no message."""
    secret = "short-pw"
    with pytest.raises(ParameterError) as caught:
        start_workflow(WORKFLOW, {"token": secret, "name": f"x{secret}"})
    assert [(p.parameter, p.validator) for p in caught.value.problems] == [
        ("name", "pattern"), ("token", "minLength")]
    assert secret not in str(caught.value)
    assert all(secret not in p.message for p in caught.value.problems)


def test_the_check_lives_in_runtime_parameters_and_the_machine_reexports_it() -> None:
    """Existing imports from runtime.machine keep working."""
    assert machine_check_parameters is check_parameters
    defn = load_workflow(WORKFLOW)
    with pytest.raises(ParameterError) as caught:
        check_parameters(defn, {"env": "qa"})
    assert caught.value.problems == (
        ParameterProblem(parameter="env", path=(), validator="enum",
                         message="'qa' is not one of ['dev', 'prod']"),)


def test_orquesta_input_types_are_checked_as_before() -> None:
    """Orquesta inputs have no schema: only their declared type is checked."""
    flow = "input:\n  - n: {required: true, type: integer}\ntasks:\n  t:\n    action: core.noop\n"
    with pytest.raises(ParameterError) as caught:
        start_workflow(flow, {"n": "three"})
    assert [(p.parameter, p.validator) for p in caught.value.problems] == [("n", "type")]


def test_a_bad_schema_is_a_located_diagnostic() -> None:
    """A declaration that is not a valid JSON-schema is T403 at the offending key."""
    defn, diagnostics = validate(textwrap.dedent("""\
        version: "1.0.0"
        parameters:
          env: {type: strin}
          items:
            type: array
            items: {type: integer, minimum: "one"}
          token: {type: string, secret: true, default: hunter2-secret, pattern: 5}
        tasks:
          - {name: a, action: core.noop}
        """))
    assert defn is None
    assert [(d.code, d.line, d.column, d.path) for d in diagnostics] == [
        ("T403", 3, 15, "parameters.env.type"),
        ("T403", 6, 37, "parameters.items.items.minimum"),
        ("T403", 7, 73, "parameters.token.pattern"),
    ]
    assert "hunter2-secret" not in diagnostics[2].message


def test_the_json_schema_object_form_keeps_schemas_per_property() -> None:
    """In the object form each property's schema is validated on its own."""
    flow = textwrap.dedent("""\
        version: "1.0.0"
        parameters:
          type: object
          properties:
            env: {type: string, enum: [dev, prod]}
          required: [env]
        tasks:
          - {name: a, action: core.noop}
        """)
    with pytest.raises(ParameterError) as caught:
        start_workflow(flow, {"env": "staging"})
    assert [(p.parameter, p.validator) for p in caught.value.problems] == [("env", "enum")]
    with pytest.raises(ParameterError) as missing:
        start_workflow(flow, {})
    assert missing.value.missing == ("env",)
