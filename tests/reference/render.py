"""Print an abstract :class:`~tests.reference.model.Workflow` as YAML text of its dialect.

Sub-workflows become files next to the root (``<dir>/<task>.yaml``), referenced by path.

Misuse: the text is for the engine only; the reference reads the model, never this text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.reference.model import Cond, Pub, Retry, Task, Trans, Workflow

ACTION = "mock.act"


def _cond(cond: Cond, dialect: str) -> str:
    """The expression text of a condition (without ``{{ }}``)."""
    var = f'ctx("{cond.var}")' if dialect == "orquesta" else f"workflow.{cond.var}"
    if cond.kind == "and":
        return " and ".join(f"({_cond(p, dialect)})" for p in cond.parts)
    return {"ok": "succeeded()", "fail": "failed()",
            "done": "completed()" if dialect == "orquesta" else "true",
            "lt": f"{var} < {cond.k}", "ge": f"{var} >= {cond.k}"}[cond.kind]


def _pub(pub: Pub, dialect: str) -> dict[str, Any]:
    var = f'ctx("{pub.var}")' if dialect == "orquesta" else f"workflow.{pub.var}"
    text = {"const": json.dumps(pub.value), "result": "result()", "incr": f"{var} + 1",
            "copy": var}[pub.kind]
    return {pub.name: "{{ " + text + " }}"}


def _trans(trans: Trans, dialect: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if trans.when is not None:
        out["when"] = "{{ " + _cond(trans.when, dialect) + " }}"
    if trans.publish:
        pubs = [_pub(p, dialect) for p in trans.publish]
        out["publish"] = pubs if dialect == "orquesta" else {k: v for p in pubs
                                                               for k, v in p.items()}
    if trans.do:
        out["do"] = list(trans.do)
    return out


def _retry(retry: Retry, dialect: str) -> dict[str, Any]:
    out: dict[str, Any] = {"count": retry.count, "delay": retry.delay}
    if dialect == "orquesta" and retry.when is not None:
        out["when"] = "{{ " + _cond(retry.when, dialect) + " }}"
    if dialect == "attune" and retry.backoff != "constant":
        out["backoff"] = retry.backoff
    return out


def _task(task: Task, dialect: str, subdir: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"action": ACTION}
    if task.sub is not None:
        path = subdir / f"{task.name}.yaml"
        path.write_text(to_yaml(task.sub, subdir), encoding="utf-8")
        out["action"] = str(path)
    if task.items is not None:
        listed = " | list" if dialect == "orquesta" else ""
        items = "{{ " + f"range({task.items}){listed}" + " }}"
        if dialect == "orquesta":
            out["with"] = {"items": items}
            if task.concurrency is not None:
                out["with"]["concurrency"] = task.concurrency
        else:
            out["with_items"] = items
            if task.concurrency is not None:
                out["concurrency"] = task.concurrency
            if task.batch is not None:
                out["batch_size"] = task.batch
    if task.join is not None:
        out["join"] = task.join
    if task.retry is not None:
        out["retry"] = _retry(task.retry, dialect)
    if task.next:
        out["next"] = [_trans(t, dialect) for t in task.next]
    return out


def to_yaml(wf: Workflow, subdir: Path) -> str:
    """The workflow's YAML text; sub-workflow files are written into ``subdir``."""
    doc: dict[str, Any]
    if wf.dialect == "orquesta":
        doc = {"version": 1.0, "tasks": {t.name: _task(t, "orquesta", subdir)
                                         for t in wf.tasks}}
        if wf.vars:
            doc["vars"] = [{k: v} for k, v in wf.vars]
        if wf.output:
            doc["output"] = [{k: '{{ ctx("' + k + '") }}'} for k in wf.output]
    else:
        doc = {"version": "1.0.0",
               "tasks": [{"name": t.name, **_task(t, "attune", subdir)} for t in wf.tasks]}
        if wf.vars:
            doc["vars"] = dict(wf.vars)
        if wf.output:
            doc["output_map"] = {k: "{{ workflow." + k + " }}" for k in wf.output}
    return yaml.safe_dump(doc, sort_keys=False)
