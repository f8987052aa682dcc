"""Shared fixtures. Real MNIST (../shared/data/mnist8k) and a browser are optional for outside users;
in CI (CI=true, the one switch) a test that would skip fails instead."""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis
import torch

from ae_core import Dataset, RunSpec, Trainer, build_trainer, load_dataset

# The app logs its own bugs and shows a French sentence; in tests they must surface as exceptions.
os.environ["AE_DEBUG"] = "1"

MNIST8K = Path(os.environ.get("AE_MNIST8K", Path(__file__).resolve().parents[2] / "shared/data/mnist8k"))


_trained: dict[tuple[RunSpec, str, int], Trainer] = {}


def trained(spec: RunSpec, data: Dataset) -> Trainer:
    """The trainer of `spec` on `data` run to its end, once per test session: a training on the CPU is
    deterministic (same spec, same data, same weights), so every test that needs this model shares
    it. Read it; never train it further or change its weights."""
    key = (spec, data.name, len(data))
    if key not in _trained:
        trainer = build_trainer(spec, data)
        trainer.run()
        _trained[key] = trainer
    return _trained[key]


def random_images(n: int = 4, size: int = 8, seed: int = 0) -> torch.Tensor:
    """n seeded grey images (n, 1, size, size) with pixels uniform in [0, 1]."""
    return torch.rand(n, 1, size, size, generator=torch.Generator().manual_seed(seed))


def assert_french_error(exc_info, *words):
    """The message names the problem with the expected French words."""
    msg = str(exc_info.value)
    for w in words:
        assert w in msg.lower(), msg


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items):
    """The browser tests share one app server and one Chromium: one worker runs them all."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session", autouse=True)
def _threads():
    torch.set_num_threads(1)  # as the app does; the browser tests' server shares the cores


def skip_or_fail(reason: str):
    """Skip a test that cannot run here; in CI (CI=true) that is a failure, since CI can run everything."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def require_mnist8k() -> Path:
    """The mnist8k folder, or skip_or_fail when it is absent."""
    if (MNIST8K / "MNIST/raw/train-images-idx3-ubyte").exists():
        return MNIST8K
    skip_or_fail(f"real MNIST not found at {MNIST8K} (set AE_MNIST8K)")


@pytest.fixture
def downloads(monkeypatch):
    """read(download_button) -> the bytes an AppTest download button serves."""
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.testing.v1 import app_test as app_test_module

    managers = []  # each AppTest run serves downloads from a fresh media manager: keep them

    class Recording(MediaFileManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            managers.append(self)

    monkeypatch.setattr(app_test_module, "MediaFileManager", Recording)
    return lambda button: managers[-1].read_file(button.proto.url.rsplit("/", 1)[-1].split(".")[0]).content


@pytest.fixture(scope="session")
def mnist8k():
    """mnist8k as an ae_core Dataset (8,000 train + 2,000 test images)."""
    return load_dataset("mnist", require_mnist8k())


@pytest.fixture(scope="session")
def digits():
    return load_dataset("digits")


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory):
    """A real redis-server without persistence on a free port, for this module's tests."""
    server = shutil.which("redis-server")
    if server is None:
        skip_or_fail("redis-server not found (Debian: apt-get install redis-server)")
    for _ in range(3):  # another process may take the free port first
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                    "--appendonly", "no"], cwd=tmp_path_factory.mktemp("redis"),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client, deadline = redis.Redis(port=port), time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.02)
        if process.poll() is None and client.ping():
            try:
                yield port
            finally:
                process.terminate()
                process.wait(10)
            return
        process.kill()
        process.wait(10)
    pytest.fail("redis-server did not start")
