"""Pure rules: no I/O, no threads. Actors and services wrap these."""
