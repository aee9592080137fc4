"""Test-session settings."""

import os

import matplotlib
import pytest
import torch

# Tests run in parallel (pytest -n 2): one torch thread per worker avoids
# oversubscribing the cores, which slows tiny fits down many times over.
torch.set_num_threads(1)
os.environ.setdefault("OMP_NUM_THREADS", "1")
matplotlib.use("Agg")


def _free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def run_script():
    """Run a Python script in a new process, or in several with torchrun.

    ``run_script(args, processes=None, timeout=300)`` runs ``python *args``
    (one process), or starts ``processes`` processes with
    ``torch.distributed.run`` on 127.0.0.1 and a free port, with one OpenMP
    thread each; it fails the test, showing stderr, when one of them fails.
    """

    def run(args, processes=None, timeout=300):
        import subprocess
        import sys

        command = [sys.executable]
        if processes is not None:
            command += [
                "-m",
                "torch.distributed.run",
                f"--nproc_per_node={processes}",
                "--master_addr=127.0.0.1",
                f"--master_port={_free_port()}",
            ]
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        proc = subprocess.run(
            [*command, *map(str, args)],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]

    return run
