"""What the scalar and vector engines share: the node protocol, the topological order, the reverse
pass and numeric differentiation. Nothing here knows about `Value` or `Tensor`."""

from autodiff.ids import next_id
from autodiff.numeric import check_grad, numeric_grad
from autodiff.protocol import Edge, Node, Step
from autodiff.reverse import backward
from autodiff.topo import topological_order

__all__ = [
    "Edge",
    "Node",
    "Step",
    "backward",
    "check_grad",
    "next_id",
    "numeric_grad",
    "topological_order",
]
