"""schemathesis against /openapi.json: no 5xx, no response the document does not describe.

Every operation of the document gets a bounded number of generated requests (valid and
invalid, hypothesis through schemathesis's strategies), sent to the app in process (ASGI)
with a token, so the auth path runs too; each response is checked for a server error, an
undocumented status code or content type, and a body that breaks its schema.
``TROUPE_LONG=1`` runs many more examples. (schemathesis's own pytest plugin does not run
on this pytest, so the test walks the operations itself.)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from runtime import Engine
from runtime.server import create_app
from runtime.server.openapi import DOCUMENT

from .conftest import settings_for

pytestmark = pytest.mark.timeout(300)

TOKEN = "schemathesis-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EXAMPLES = 200 if os.environ.get("TROUPE_LONG") == "1" else 8
CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance, checks.response_schema_conformance]


def test_the_api_keeps_to_its_document(engine: Engine, workflows_dir: Path,
                                       tmp_path: Path) -> None:
    app = create_app(engine, settings_for(workflows_dir, tmp_path, token=TOKEN))
    app.state.troupe.ready = True
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, headers=AUTH)
    operations = [result.ok() for result in schema.get_all_operations()]
    described = {f"{method.upper()} {path}" for path, item in DOCUMENT["paths"].items()
                 for method in item}
    assert {o.label for o in operations} == described - {"GET /openapi.json"}  # its own

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            case.call_and_validate(headers=AUTH, checks=CHECKS)

        check()
