"""Providers behind one small interface; webhook routes; sending."""
