"""`make bench`: every benchmark, one after another, then the verdict (non-zero exit if a figure
missed its goal)."""
from bench import (
    auth_paths,
    callbacks,
    cold_import,
    console,
    goals,
    monitoring,
    report_pipeline,
    report_writers,
    send_path,
)

if __name__ == "__main__":
    cold_import.run()
    auth_paths.run()
    send_path.run()
    callbacks.run()
    monitoring.run()
    report_writers.run()
    report_pipeline.run()
    console.run()
    raise SystemExit(1 if goals.report() else 0)
