"""Pykka actors wrapping the domain: queues, agent sessions, interactions, on a shared thread pool."""
