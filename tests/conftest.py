"""Fixtures shared by several test files. Plain helper functions live in `vector_helpers.py`.

- `seed_module`: a fresh copy of the seed loop, `examples/nn_epoch.py`, per test (tests
  may replace its `Tensor` to watch what it makes);
- `mnist_dir`: a folder with a small MNIST-format dataset that a network can learn from;
- the `needs_dot` mark: the test is skipped when graphviz's `dot` program is missing;
- `chromium` (the one headless browser of the session) and `browser` (it, checked after each test
  for console errors and network requests).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from browser_helpers import Browser
from vector_helpers import load_seed_module, write_mnist


@pytest.fixture
def seed_module() -> ModuleType:
    return load_seed_module()


@pytest.fixture(scope="session")
def mnist_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four IDX files of MNIST's layout, 300 train and 100 test 6×6 images of ten noisy
    prototypes: learnable in a few epochs of a small network, and quick. Read-only by contract:
    the folder is shared by every test of the session."""
    folder = tmp_path_factory.mktemp("mnist")
    write_mnist(folder, {"train": 300, "t10k": 100}, side=6, learnable=True)
    return folder


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_dot: skip when graphviz's `dot` is not installed")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("needs_dot") and shutil.which("dot") is None:
        pytest.skip("the graphviz program `dot` is not installed")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Headless Chromium, started once for every test that needs a browser."""
    browser = Browser.start()
    yield browser
    browser.quit()


@pytest.fixture
def browser(chromium: Browser) -> Iterator[Browser]:
    """The session's browser, checked after each test: no console error, no network request."""
    chromium.console()
    chromium.requests()
    yield chromium
    errors = [m for m in chromium.console() if m["level"] in ("SEVERE", "WARNING")]
    assert errors == [], f"the page logged errors: {errors}"
    remote = [u for u in chromium.requests() if u.split(":", 1)[0] in ("http", "https", "ws")]
    assert remote == [], f"the page asked for the network: {remote}"
