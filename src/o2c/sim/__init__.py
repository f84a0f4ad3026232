"""Simulation: drives the real service layer through an injected clock.

For now a scripted walkthrough of the cycle (``o2c demo``); the seeded operations simulator that
produces months of facts for the metrics builds on the same pattern.
"""
