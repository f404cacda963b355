"""Start many kernels at once, over TCP as jupyter_client does by default and over private IPC sockets
(tests/kernel_ipc.py), and count the ones that fail to start (not part of the suite: run it by hand).

    .venv/bin/python tests/kernel_stress.py [PROCESSES] [KERNELS_EACH] [tcp|ipc|both]
"""
import multiprocessing
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def start_kernels(args):
    mode, count = args
    import jupyter_client

    if mode == "ipc":
        from kernel_ipc import use_private_ipc

        use_private_ipc()
    failures = []
    for _ in range(count):
        try:
            manager, client = jupyter_client.manager.start_new_kernel(kernel_name="python3", startup_timeout=120)
            try:
                reply = client.execute_interactive("x = 1", timeout=60)
                if reply["content"]["status"] != "ok":
                    failures.append(str(reply["content"]))
            finally:
                client.stop_channels()
                manager.shutdown_kernel(now=True)
        except Exception as error:  # noqa: BLE001
            failures.append(f"{type(error).__name__}: {error}")
    return failures


def main():
    processes, each = int(sys.argv[1]) if len(sys.argv) > 1 else 8, int(sys.argv[2]) if len(sys.argv) > 2 else 5
    modes = ["tcp", "ipc"] if len(sys.argv) <= 3 or sys.argv[3] == "both" else [sys.argv[3]]
    for mode in modes:
        began = time.monotonic()
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            failures = [f for batch in pool.map(start_kernels, [(mode, each)] * processes) for f in batch]
        print(f"{mode}: {processes * each} kernels started by {processes} processes at once, "
              f"{len(failures)} failed, {time.monotonic() - began:.0f} s", flush=True)
        for failure in sorted(set(failures))[:5]:
            print("   ", failure[:300])


if __name__ == "__main__":
    main()
