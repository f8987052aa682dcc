"""Streamlit code. At this level, what two pages or more share: the shell around them, session state,
lessons, live training, charts. ui/sections/<page>.py holds the sections that serve one page only."""
