"""A minimal stand-in for StackStorm's ``st2common`` package, for pack actions run by Troupe.

Only ``st2common.runners.base_action.Action`` exists (:mod:`.runners.base_action`). The
directory holding this package is put on the path of the process that runs a pack's Python
action (:mod:`runtime.st2pack.wrapper`), never on Troupe's own.

Misuse: do not import it from Troupe's code; a pack needing more of ``st2common`` (the
datastore client, ``st2common.util``) does not run under Troupe.
"""
