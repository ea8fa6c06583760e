"""Use cases that API endpoints and UI pages both call: who may do it, the rules, persistence, actors."""
