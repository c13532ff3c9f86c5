"""synthcompile: compile seeds into verified synthetic pretraining corpora."""

__version__ = "0.1.0"
