"""Stopping what a test started: by its PID, SIGTERM first, SIGKILL when it does not go in time."""
import signal
import subprocess


def terminate(proc, timeout=10):
    """Ends proc (a subprocess.Popen) if it still runs; returns its exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode
