"""Sections that serve one page only: ui/sections/<page>.py is imported by pages/<page>.py and by no other
page. What two pages or more share lives one level up, in ui/ (tests/test_layers.py holds the rule)."""
