"""The crash harness's workflow files (both dialects), written into the workdir by
:func:`tests.crash.workload.write_files`: chains, a join, with-items over idempotent and
non-idempotent actions and ``core.local``, retries with delay, timeouts, sub-workflows
referenced by relative path.

Misuse: ``child.yaml`` and ``child_fx.yaml`` are sub-workflows, not started on their own.
"""

from __future__ import annotations

FILES: dict[str, str] = {
    "o_chain.yaml": """\
        version: 1.0
        input: [n]
        tasks:
          a:
            action: crash.step
            input: {value: '{{ ctx().n }}'}
            next: [{publish: [x: '{{ result() }}'], do: b}]
          b:
            action: crash.step
            input: {value: '{{ ctx().x }}'}
            next: [{publish: [y: '{{ result() }}'], do: c}]
          c:
            action: crash.step
            input: {value: '{{ ctx().y }}'}
            next: [{publish: [z: '{{ result() }}']}]
        output:
          - z: '{{ ctx().z }}'
        """,
    "o_join.yaml": """\
        version: 1.0
        input: [n]
        tasks:
          start:
            action: crash.step
            input: {value: '{{ ctx().n }}'}
            next: [{publish: [s: '{{ result() }}'], do: [left, right]}]
          left:
            action: crash.step
            input: {value: '{{ ctx().s }}'}
            next: [{publish: [l: '{{ result() }}'], do: both}]
          right:
            action: crash.step
            input: {value: '{{ ctx().s }}'}
            next: [{publish: [r: '{{ result() }}'], do: both}]
          both:
            join: all
            action: crash.step
            input: {value: '{{ ctx().l + ctx().r }}'}
            next: [{publish: [total: '{{ result() }}']}]
        output:
          - total: '{{ ctx().total }}'
        """,
    "o_items.yaml": """\
        version: 1.0
        input: [n]
        tasks:
          fan:
            with: {items: 'i in {{ range(ctx().n) }}', concurrency: 4}
            action: crash.step
            input: {value: '{{ item("i") }}'}
            timeout: 20
            next: [{publish: [values: '{{ result() }}'], do: last}]
          last:
            action: crash.step
            input: {value: '{{ ctx().values | sum }}'}
            next: [{publish: [total: '{{ result() }}']}]
        output:
          - values: '{{ ctx().values }}'
          - total: '{{ ctx().total }}'
        """,
    "o_effects.yaml": """\
        version: 1.0
        input: [n]
        vars: [values: null]
        tasks:
          fan:
            with: {items: 'i in {{ range(ctx().n) }}', concurrency: 3}
            action: crash.effect
            input: {value: '{{ item("i") }}'}
            next: [{when: '{{ succeeded() }}', publish: [values: '{{ result() }}']}]
        output:
          - values: '{{ ctx().values }}'
        """,
    "o_effects_retry.yaml": """\
        version: 1.0
        input: [n]
        vars: [values: null]
        tasks:
          fan:
            with: {items: 'i in {{ range(ctx().n) }}', concurrency: 3}
            action: crash.effect
            input: {value: '{{ item("i") }}'}
            retry: {count: 1, when: '{{ failed() }}'}
            next: [{when: '{{ succeeded() }}', publish: [values: '{{ result() }}']}]
        output:
          - values: '{{ ctx().values }}'
        """,
    "o_local.yaml": """\
        version: 1.0
        input: [n, tag, file]
        tasks:
          fan:
            with: {items: 'i in {{ range(ctx().n) }}', concurrency: 2}
            action: core.local
            input:
              cmd: 'sleep 0.05; echo "{{ ctx().tag }} {{ item("i") }}" >> "{{ ctx().file }}"'
        """,
    "o_retry.yaml": """\
        version: 1.0
        input: [n]
        tasks:
          shaky:
            action: crash.flaky
            input: {value: '{{ ctx().n }}'}
            retry: {count: 3, delay: 0.15}
            next: [{publish: [got: '{{ result() }}']}]
        output:
          - got: '{{ ctx().got }}'
        """,
    "o_parent.yaml": """\
        version: 1.0
        input: [n]
        tasks:
          before:
            action: crash.step
            input: {value: '{{ ctx().n }}'}
            next: [{publish: [x: '{{ result() }}'], do: sub}]
          sub:
            action: child.yaml
            input: {n: '{{ ctx().x }}'}
            next: [{publish: [y: '{{ result().total }}'], do: after}]
          after:
            action: crash.step
            input: {value: '{{ ctx().y }}'}
            next: [{publish: [z: '{{ result() }}']}]
        output:
          - z: '{{ ctx().z }}'
        """,
    "child.yaml": """\
        version: 1.0
        input: [n]
        tasks:
          first:
            action: crash.step
            input: {value: '{{ ctx().n }}'}
            next: [{publish: [x: '{{ result() }}'], do: fan}]
          fan:
            with: {items: 'i in {{ range(3) }}', concurrency: 3}
            action: crash.step
            input: {value: '{{ ctx().x + item("i") }}'}
            next: [{publish: [total: '{{ result() | sum }}']}]
        output:
          - total: '{{ ctx().total }}'
        """,
    "o_parent_fx.yaml": """\
        version: 1.0
        input: [n]
        vars: [got: null]
        tasks:
          sub:
            action: child_fx.yaml
            input: {n: '{{ ctx().n }}'}
            next: [{when: '{{ succeeded() }}', publish: [got: '{{ result().values }}']}]
        output:
          - got: '{{ ctx().got }}'
        """,
    "child_fx.yaml": """\
        version: 1.0
        input: [n]
        vars: [values: null]
        tasks:
          fan:
            with: {items: 'i in {{ range(ctx().n) }}', concurrency: 2}
            action: crash.effect
            input: {value: '{{ item("i") }}'}
            next: [{when: '{{ succeeded() }}', publish: [values: '{{ result() }}']}]
        output:
          - values: '{{ ctx().values }}'
        """,
    "a_chain.yaml": """\
        version: "1.0.0"
        parameters:
          n: {type: integer, required: true}
        vars: {x: 0}
        tasks:
          - name: a
            action: crash.step
            input: {value: "{{ parameters.n }}"}
            next:
              - when: "{{ succeeded() }}"
                publish: {x: "{{ result() }}"}
                do: [b]
          - name: b
            action: crash.step
            input: {value: "{{ workflow.x }}"}
            timeout: 20
            on_success: c
          - name: c
            action: crash.step
            input: {value: "{{ task.b.result }}"}
        output_map:
          z: "{{ task.c.result }}"
        """,
    "a_items.yaml": """\
        version: "1.0.0"
        parameters:
          n: {type: integer, required: true}
        tasks:
          - name: fan
            action: crash.step
            with_items: "{{ range(parameters.n) }}"
            concurrency: 3
            input: {value: "{{ item }}"}
        output_map:
          values: "{{ task.fan.result }}"
        """,
    "a_effects.yaml": """\
        version: "1.0.0"
        parameters:
          n: {type: integer, required: true}
        tasks:
          - name: fan
            action: crash.effect
            with_items: "{{ range(parameters.n) }}"
            concurrency: 2
            input: {value: "{{ item }}"}
        output_map:
          values: "{{ task.fan.result }}"
        """,
}
"""Workflow file name -> its text (dedented when written)."""
