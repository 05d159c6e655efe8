"""ffnn_core: a feed-forward neural network in NumPy, exact to the lecture notes' equations.

Notation: layer k = 1..L; a_k = b_k + W_k h_{k-1}; h_k = g(a_k); h_0 = x; y_hat = h_L = O(a_L).
W_k has shape (n_k, n_{k-1}); a batch is rows, X of shape (N, n_0). The loss convention
(sum over outputs, mean over the batch) is stated in ``ffnn_core.losses``.
"""

from ffnn_core.activations import ACTIVATIONS, Activation, get_activation
from ffnn_core.divergence import (
    Divergence,
    first_non_finite_backward,
    first_non_finite_forward,
    first_non_finite_parameters,
)
from ffnn_core.gradcheck import TensorCheck, gradient_check
from ffnn_core.initializers import INITIALIZERS
from ffnn_core.losses import LOSSES, VALID_PAIRS, OutputLoss, get_output_loss, grad_a_L_shortcut
from ffnn_core.network import Network, NetworkConfig
from ffnn_core.optimizers import OPTIMIZERS, Optimizer, Update, apply_update
from ffnn_core.outputs import OUTPUTS, get_output
from ffnn_core.propagation import BackwardTrace, ForwardTrace, TrainingTrace, as_batch, backward, forward
from ffnn_core.serialization import network_from_dict, network_to_dict
from ffnn_core.surface import Surface, decision_surface
from ffnn_core.targets import Targets, accuracy, encode_targets
from ffnn_core.training import EpochRecord, Evaluation, TrainResult, evaluate, train, train_step

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "LOSSES",
    "OPTIMIZERS",
    "OUTPUTS",
    "VALID_PAIRS",
    "Activation",
    "BackwardTrace",
    "Divergence",
    "EpochRecord",
    "Evaluation",
    "ForwardTrace",
    "Network",
    "NetworkConfig",
    "Optimizer",
    "OutputLoss",
    "Surface",
    "Targets",
    "TensorCheck",
    "TrainResult",
    "TrainingTrace",
    "Update",
    "accuracy",
    "apply_update",
    "as_batch",
    "backward",
    "decision_surface",
    "encode_targets",
    "evaluate",
    "first_non_finite_backward",
    "first_non_finite_forward",
    "first_non_finite_parameters",
    "forward",
    "get_activation",
    "get_output",
    "get_output_loss",
    "grad_a_L_shortcut",
    "gradient_check",
    "network_from_dict",
    "network_to_dict",
    "train",
    "train_step",
]
