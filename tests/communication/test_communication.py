"""minispore.communication: a world of one without a launcher, MPI collectives under mpiexec,
threads per rank, and one failing rank ending the whole job."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minispore as ms
from minispore.communication import _threads, _world
from minispore.train.serialization import load_checkpoint

from _mpi import clean_env, needs_mpi, run_worker


def test_init_without_a_launcher_is_a_world_of_one_and_loads_no_mpi():
    code = textwrap.dedent("""
        import sys
        import numpy as np
        import minispore as ms, minispore.ops as ops
        from minispore import communication as comm
        try:
            comm.get_rank()
        except RuntimeError as e:
            print("before init:", e)
        comm.init()
        x = ms.Tensor(np.array([1.5, -2.0], np.float32))
        print(comm.get_rank(), comm.get_group_size(), comm.get_local_rank(),
              comm.GlobalComm.INITED, ops.AllReduce()(x).asnumpy().tolist(),
              ops.AllGather()(x).shape, "mpi4py" in sys.modules,
              comm.management.threads_per_rank())
    """)
    out = subprocess.run([sys.executable, "-c", code], env=clean_env(), capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("before init:") and "init()" in lines[0]
    assert lines[1] == "0 1 0 True [1.5, -2.0] (2,) False None"


def test_launcher_is_detected_from_its_environment_variables():
    assert not _world.launched_by_mpi({"HOME": "/root"})
    assert _world.launched_by_mpi({"PMI_RANK": "0", "PMI_SIZE": "2"})
    assert _world.launched_by_mpi({"OMPI_COMM_WORLD_SIZE": "4"})


@pytest.mark.parametrize("cores, ranks, threads", [(2, 1, 2), (2, 2, 1), (8, 3, 2), (1, 4, 1),
                                                   (16, 4, 4)])
def test_threads_per_rank_share_the_host_cores(cores, ranks, threads):
    assert _threads.threads_per_rank(cores, ranks) == threads


def test_threads_are_left_alone_for_a_single_rank(monkeypatch):
    monkeypatch.delenv("MINISPORE_THREADS_PER_RANK", raising=False)
    assert _threads.apply(1) is None
    monkeypatch.setenv("MINISPORE_THREADS_PER_RANK", "x")
    with pytest.raises(ValueError, match="MINISPORE_THREADS_PER_RANK"):
        _threads.apply(2)


def test_group_and_backend_arguments_are_checked():
    from minispore.communication import management
    with pytest.raises(ValueError, match="backend_name"):
        management.init("gloo")
    was_initialized = management.is_initialized()
    management.init()
    try:
        _check_group_arguments(management)
    finally:
        if not was_initialized:
            management.release()


def _check_group_arguments(management):
    assert management.get_rank(management.NCCL_WORLD_COMM_GROUP) == 0
    with pytest.raises(ValueError, match="world group"):
        management.get_group_size("my_group")
    with pytest.raises(TypeError, match="group"):
        management.get_rank(3)
    with pytest.raises(ValueError, match="'op' must be one of"):
        ms.ops.AllReduce(op="mean")(ms.Tensor(np.ones(2, np.float32)))


def test_auto_parallel_context_defaults_set_get_reset():
    try:
        assert ms.get_auto_parallel_context("parallel_mode") == "stand_alone"
        assert ms.get_auto_parallel_context("gradients_mean") is False
        ms.set_auto_parallel_context(parallel_mode=ms.ParallelMode.DATA_PARALLEL,
                                     gradients_mean=True, device_num=1)
        assert ms.context.get_auto_parallel_context("parallel_mode") == "data_parallel"
        assert ms.get_auto_parallel_context("gradients_mean") is True
        with pytest.raises(ValueError, match="implements"):
            ms.set_auto_parallel_context(parallel_mode=ms.ParallelMode.SEMI_AUTO_PARALLEL)
        with pytest.raises(ValueError, match="parallel_mode"):
            ms.set_auto_parallel_context(parallel_mode="data")
        with pytest.raises(TypeError, match="gradients_mean"):
            ms.set_auto_parallel_context(gradients_mean=1)
        with pytest.raises(ValueError, match="device_num"):
            ms.set_auto_parallel_context(device_num=0)
        with pytest.raises(ValueError, match="unknown"):
            ms.set_auto_parallel_context(pipeline_stages=2)
        with pytest.raises(ValueError, match="unknown key"):
            ms.get_auto_parallel_context("foo")
    finally:
        ms.reset_auto_parallel_context()
    assert ms.get_auto_parallel_context("parallel_mode") == "stand_alone"


@needs_mpi
def test_collectives_and_their_gradients_under_mpiexec(tmp_path):
    out = run_worker("collectives", tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("collectives ok") == 2


@needs_mpi
def test_a_rank_that_raises_ends_the_job_and_the_earlier_checkpoint_is_intact(tmp_path):
    out = run_worker("raise", tmp_path, timeout=60)  # a hang would fail here, not block
    assert out.returncode != 0
    assert "rank 1 failed: RuntimeError: injected failure at step 6" in out.stderr
    # LossMonitor prints on rank 0 only.
    assert out.stdout.count("epoch: 1 step: 1, loss is") == 1
    # Rank 0 saved epoch 1 (steps 1-4) before rank 1 failed in epoch 2; only rank 0 saves.
    assert sorted(os.listdir(tmp_path)) == ["dp-1_4.ckpt", "epoch1.npz"]
    saved = load_checkpoint(str(tmp_path / "dp-1_4.ckpt"))
    expected = np.load(tmp_path / "epoch1.npz")
    for name in expected.files:
        np.testing.assert_array_equal(saved[name].asnumpy(), expected[name])


@needs_mpi
def test_a_killed_rank_ends_the_job(tmp_path):
    out = run_worker("kill", tmp_path, timeout=60)
    assert out.returncode != 0
    assert "signal 9" in out.stdout + out.stderr
    assert "dp-1_4.ckpt" in os.listdir(tmp_path)
    load_checkpoint(str(tmp_path / "dp-1_4.ckpt"))


@needs_mpi
def test_a_rank_leaving_with_sys_exit_nonzero_ends_the_job(tmp_path):
    """Rank 1 calls sys.exit(3) while rank 0 waits in an Allreduce: without the exit handler
    rank 1 would sit in MPI_Finalize and rank 0 wait forever (the timeout would fail here)."""
    from _mpi import _mpiexec
    script = tmp_path / "exit_early.py"
    script.write_text(textwrap.dedent("""
        import sys
        import numpy as np
        from minispore.communication import _collective, get_rank, init
        init()
        if get_rank() == 1:
            sys.exit(3)
        _collective.allreduce(np.zeros(4))
    """))
    out = subprocess.run([_mpiexec(), "-n", "2", sys.executable, str(script)], env=clean_env(),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "rank 1 exited with status 3" in out.stderr
