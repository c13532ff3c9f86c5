"""Ray tasks: the same shards on a cluster, or on a local Ray instance bound to loopback.

Each shard is one Ray task running :func:`synthcompile.run.execute_shard`, the function the
local executor calls, writing straight into the run directory. That directory must therefore be
on a file system every worker node sees at the same path (see docs/ray.md).
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from synthcompile.errors import UserError
from synthcompile.executors.base import Executor, OnDone
from synthcompile.run import ShardResult, execute_shard
from synthcompile.stage import ShardSpec, Stage

# Ray turns a loopback node IP given to ray.init into the machine's routable IP, and its servers
# then listen on every interface. The one switch that keeps a local instance on loopback is the
# flag behind Ray's single-machine mode on macOS/Windows: with clusters "disabled" the node IP is
# 127.0.0.1 and GCS, raylet, object manager, workers and the runtime-env agent bind to it. Ray
# reads it when it is imported, so it must be set before the first `import ray`.
LOCAL_ONLY_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"

# Shard failures worth another attempt: I/O on a shared file system can fail transiently. A dead
# worker or node is retried by Ray regardless (max_retries counts those too).
RETRY_EXCEPTIONS = [OSError]
MAX_RETRIES = 3


def start_local_ray(num_cpus: int) -> None:
    """Start a Ray instance on this machine that listens on loopback only."""
    os.environ[LOCAL_ONLY_ENV] = "0"
    import ray

    # Checked before starting (ray imported earlier, without the switch, would pick the routable
    # IP) and after (the address the started node actually uses).
    _require_loopback(ray.util.get_node_ip_address())
    ray.init(address="local", num_cpus=num_cpus, include_dashboard=False,
             configure_logging=False)
    try:
        _require_loopback(ray.util.get_node_ip_address())
    except UserError:
        ray.shutdown()
        raise


def _require_loopback(node_ip: str) -> None:
    if not ipaddress.ip_address(node_ip).is_loopback:
        raise UserError(f"a local Ray instance would listen on {node_ip}, not only on loopback: "
                        f"ray was imported before synthcompile could set {LOCAL_ONLY_ENV}=0; set "
                        f"it in the environment, or connect to a cluster with --address")


def _remote_execute_shard():
    """`execute_shard` as a Ray remote function (built lazily: importing ray is slow)."""
    import ray

    return ray.remote(num_cpus=1, max_retries=MAX_RETRIES,
                      retry_exceptions=RETRY_EXCEPTIONS)(execute_shard)


class RayExecutor(Executor):
    """Runs shards as Ray tasks, at most two per worker in flight.

    Without ``address`` it starts a local instance with ``workers`` CPUs (default: all cores),
    bound to loopback. With an address it joins that cluster and uses all its CPUs unless
    ``workers`` caps the number of shards in flight. An already connected Ray session (e.g. one
    started by a test) is reused and left running.
    """

    name = "ray"

    def __init__(self, workers: int | None = None, address: str | None = None):
        self.workers = workers
        self.address = address
        self._owns_ray = False
        self._task = None

    def _connect(self):
        if self.address is None:
            os.environ[LOCAL_ONLY_ENV] = "0"  # before ray is first imported
        try:
            import ray
        except ImportError:
            raise UserError("the Ray executor needs ray: pip install 'synthcompile[ray]'") from None

        if not ray.is_initialized():
            if self.address is None:
                start_local_ray(self.workers or os.cpu_count() or 1)
            else:
                try:
                    ray.init(address=self.address, configure_logging=False)
                except ConnectionError as exc:
                    raise UserError(f"could not join the Ray cluster at {self.address}: {exc}. "
                                    f"Ray clusters use token authentication by default: set "
                                    f"RAY_AUTH_MODE=token and give the cluster's token in "
                                    f"RAY_AUTH_TOKEN (or ~/.ray/auth_token); see docs/ray.md") from None
            self._owns_ray = True
        if self._task is None:
            self._task = _remote_execute_shard()
        return ray

    def _slots(self, ray, stage: Stage) -> int:
        """Tasks of ``stage`` side by side: the cluster's CPUs (or ``workers`` of them) over the
        CPUs one task holds."""
        cpus = int(ray.cluster_resources().get("CPU", 1))
        return stage.resources.tasks_per(max(1, min(self.workers or cpus, cpus)))

    def run(self, stage: Stage, specs: list[ShardSpec], run_root: str, seed: int,
            on_done: OnDone | None = None) -> list[ShardResult]:
        if not specs:
            return []
        ray = self._connect()
        # Workers do not share the driver's working directory: give them an absolute path.
        root = os.path.abspath(run_root)
        stage_ref = ray.put(stage)  # serialised once, not once per shard
        # Backpressure: two shards per slot keep every worker busy while the driver holds only
        # a bounded number of pending tasks, however many shards the stage plans.
        limit = 2 * self._slots(ray, stage)
        # Fractional CPUs for I/O-bound stages: Ray packs several of their tasks on one core.
        task = self._task.options(num_cpus=stage.resources.cpus)
        results: dict[str, ShardResult] = {}
        queue, pending = list(reversed(specs)), []
        try:
            while queue or pending:
                while queue and len(pending) < limit:
                    pending.append(task.remote(stage_ref, queue.pop(), root, seed))
                done, pending = ray.wait(pending, num_returns=1)
                for ref in done:
                    r = ray.get(ref)
                    _check_visible(root, r)
                    results[r.name] = r
                    if on_done:
                        on_done(r)
        except BaseException:
            # A failed shard or Ctrl-C: stop the rest, which would otherwise keep a shared
            # cluster busy. Their completed shards stay valid for the rerun.
            for ref in pending:
                ray.cancel(ref)
            raise
        return [results[s.name] for s in specs]

    def close(self) -> None:
        if self._owns_ray:
            import ray

            ray.shutdown()
            self._owns_ray = False
        self._task = None


def _check_visible(root: str, result: ShardResult) -> None:
    """Fail at the first shard if workers wrote it where the driver cannot see it."""
    path = Path(root) / result.path
    if not path.is_file() or path.stat().st_size != result.bytes:
        raise UserError(f"a Ray worker wrote {path} but this machine does not see it: the run "
                        f"directory must be on a file system shared by every node (docs/ray.md)")
