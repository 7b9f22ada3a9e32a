"""The `evaltop` command line: click commands, thin over core."""
