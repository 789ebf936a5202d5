"""Use cases behind each `augur` subcommand; cli.py only wires them."""
