"""What the pages share: the shell around them, session state, lessons, live training, charts."""
