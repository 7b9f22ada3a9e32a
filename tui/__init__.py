"""evaltop.tui: the Textual dashboard and the command line. Talks to core only."""
