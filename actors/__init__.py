"""The pykka shell of Troupe: supervisor, task and item actors, timers."""
