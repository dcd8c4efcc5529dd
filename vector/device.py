"""The one device: numpy on the CPU. Present so that needle code passing `device=` runs."""

from __future__ import annotations


class Device:
    name = "cpu"

    def __repr__(self) -> str:
        return "cpu()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Device)

    def __hash__(self) -> int:
        return hash("cpu")


_CPU = Device()


def cpu() -> Device:
    return _CPU


def default_device() -> Device:
    return _CPU


def all_devices() -> list[Device]:
    return [_CPU]
