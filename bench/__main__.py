"""`make bench`: every benchmark, one after another."""
from bench import auth_paths, cold_import, console, monitoring, report_pipeline, report_writers, send_path

if __name__ == "__main__":
    cold_import.run()
    auth_paths.run()
    send_path.run()
    monitoring.run()
    report_writers.run()
    report_pipeline.run()
    if not console.run()["met"]:
        raise SystemExit(1)
