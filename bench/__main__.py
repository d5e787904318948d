"""`make bench`: every benchmark, one after another."""
from bench import auth_paths, cold_import, monitoring, send_path

if __name__ == "__main__":
    cold_import.run()
    auth_paths.run()
    send_path.run()
    monitoring.run()
