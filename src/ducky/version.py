"""The package version, on the ground floor: the data writer, the API and the CLI read it from
here rather than from `ducky/__init__.py`, whose lazy Python API (`ducky.open`) stands on top
of the house."""

__version__ = "0.1.0"
