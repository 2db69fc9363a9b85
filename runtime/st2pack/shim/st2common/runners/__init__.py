"""StackStorm's ``st2common.runners`` package, as far as pack actions need it: ``base_action``.

Misuse: nothing but :mod:`.base_action` is provided.
"""
