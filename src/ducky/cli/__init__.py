"""The `ducky` command line."""
