"""Subcommands of the `pipdream` CLI, discovered by `pipdream.cli`."""
