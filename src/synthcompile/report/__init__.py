"""The HTML report of a run: :func:`synthcompile.report.html.write_report`."""
