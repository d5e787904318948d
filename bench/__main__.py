"""`make bench`: every benchmark, one after another, then the verdict (non-zero exit if a figure
missed its goal). `make bench QUICK=1` (`python -m bench --quick`) runs the ones that take a few
minutes at most, with fewer rounds, and says which it left out."""
import sys

from bench import (
    auth_paths,
    broadcast_validation,
    broadcast_run,
    callbacks,
    cold_import,
    console,
    goals,
    monitoring,
    report_pipeline,
    report_writers,
    send_path,
)

# A smoke run (make test runs it on a fresh clone): enough rounds for a median, no more; the figures that
# count come from `make bench`. The callbacks benchmark drains every send it made, so it gets fewest.
QUICK_RUNS, QUICK_ROUNDS, QUICK_CALLBACK_ROUNDS = 7, 25, 20

if __name__ == "__main__":
    quick = "--quick" in sys.argv[1:]
    if quick:
        cold_import.RUNS, auth_paths.ROUNDS, send_path.ROUNDS = QUICK_RUNS, QUICK_ROUNDS, QUICK_ROUNDS
        callbacks.ROUNDS = QUICK_CALLBACK_ROUNDS
    cold_import.run()
    auth_paths.run()
    send_path.run()
    callbacks.run()
    broadcast_validation.run(quick)  # quick: 200,000 rows, the CPU time scaled to 1,000,000
    broadcast_run.run()
    if quick:
        print("\nquick: left out the broadcast end-to-end, monitoring, report writer, report pipeline and console "
              "benchmarks (about an hour); `make bench` runs them all")
    else:
        goals.run_apart("bench.broadcast_e2e")   # its own stage: moto's server and DynamoDB Local
        monitoring.run()
        report_writers.run()
        report_pipeline.run()
        console.run()
    raise SystemExit(1 if goals.report() else 0)
