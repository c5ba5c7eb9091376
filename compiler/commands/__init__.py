"""One module per `compiler` subcommand: NAME, HELP, add_arguments(parser), run(args) -> int."""
