"""Cell bookkeeping: parameter names (the checkpoint keys), traversal order, reprs, errors."""
import numpy as np
import pytest

from minispore import Parameter, Tensor, nn
from lenet import LeNet5

# The guide's print plus MindSpore 2.x's ``global_step`` (2.10 lists all 19).
GUIDE_TRAIN_PARAMS = (
    "[Parameter (name=conv1.weight), Parameter (name=conv2.weight), Parameter (name=fc1.weight), "
    "Parameter (name=fc1.bias), Parameter (name=fc2.weight), Parameter (name=fc2.bias), "
    "Parameter (name=fc3.weight), Parameter (name=fc3.bias), Parameter (name=global_step), "
    "Parameter (name=learning_rate), "
    "Parameter (name=momentum), Parameter (name=moments.conv1.weight), "
    "Parameter (name=moments.conv2.weight), Parameter (name=moments.fc1.weight), "
    "Parameter (name=moments.fc1.bias), Parameter (name=moments.fc2.weight), "
    "Parameter (name=moments.fc2.bias), Parameter (name=moments.fc3.weight), "
    "Parameter (name=moments.fc3.bias)]")


def _train_net():
    network = LeNet5()
    opt = nn.Momentum(network.trainable_params(), learning_rate=0.01, momentum=0.9)
    loss = nn.loss.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    return network, nn.TrainOneStepCell(nn.WithLossCell(network, loss), opt)


def test_train_net_trainable_params_print_as_the_guide():
    _, train_net = _train_net()
    assert str(train_net.trainable_params()) == GUIDE_TRAIN_PARAMS


def test_wrappers_add_no_prefix_but_paths_show_the_attribute_chain():
    _, train_net = _train_net()
    paths = [n for n, _ in train_net.parameters_and_names()]
    assert paths[0] == "network._backbone.conv1.weight"
    assert "optimizer.moments.fc3.bias" in paths
    assert train_net.network._backbone.conv1.weight.name == "conv1.weight"


def test_nested_cells_prefix_by_attribute_path():
    class Head(nn.Cell):
        def __init__(self):
            super().__init__()
            self.seq = nn.SequentialCell([nn.Dense(4, 3), nn.ReLU(), nn.Dense(3, 2)])

    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.backbone = LeNet5()
            self.head = Head()
            self.blocks = nn.CellList([nn.Dense(2, 2)])

    names = [p.name for p in Net().get_parameters()]
    assert names[:2] == ["backbone.conv1.weight", "backbone.conv2.weight"]
    assert "head.seq.0.weight" in names and "head.seq.2.bias" in names
    assert "blocks.0.weight" in names
    assert len(names) == len(set(names))


def test_unnamed_parameter_takes_attribute_name_and_shared_parameter_listed_once():
    """A cell assigned twice is listed once, named after its last assignment (as MindSpore)."""
    class Tied(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = Parameter(Tensor(np.ones(2, np.float32)))
            self.a = nn.Dense(2, 2)
            self.b = self.a

    net = Tied()
    assert net.w.name == "w"
    assert [p.name for p in net.get_parameters()] == ["w", "b.weight", "b.bias"]


def test_assigning_before_super_init_is_a_clear_error():
    class Bad(nn.Cell):
        def __init__(self):
            self.w = Parameter(Tensor(np.ones(1)))

    with pytest.raises(AttributeError, match=r"super\(\)\.__init__"):
        Bad()


def test_set_train_reaches_every_child():
    net = LeNet5()
    net.set_train()
    assert all(c.training for _, c in net.cells_and_names())
    net.set_train(False)
    assert not net.conv1.training


def test_reprs():
    assert repr(nn.Dense(3, 2)) == "Dense(input_channels=3, output_channels=2, has_bias=True)"
    assert repr(nn.MaxPool2d()) == "MaxPool2d(kernel_size=(1, 1), stride=(1, 1), pad_mode=VALID)"
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(Tensor(10)) == "Tensor(shape=[], dtype=Int64, value= 10)"
    assert repr(Tensor(0.01)) == "Tensor(shape=[], dtype=Float64, value= 0.01)"
    assert repr(Parameter(Tensor(1.0), name="x")) == "Parameter (name=x)"
    summary = LeNet5().summary()
    assert "total: 61,684 parameters" in summary


def test_layer_input_errors_name_the_layer_and_both_shapes():
    net = LeNet5()
    with pytest.raises(ValueError, match=r"\(2, 3, 32, 32\).*\(6, 1, 5, 5\).*\(N, 1, H, W\).*"
                                         r"\[in cell conv1 \(Conv2d\)\]$"):
        net(Tensor(np.zeros((2, 3, 32, 32), np.float32)))
    with pytest.raises(ValueError, match=r"256 features.*expects 400.*\(2, 256\).*"
                                         r"\[in cell fc1 \(Dense\)\]$"):
        net(Tensor(np.zeros((2, 1, 28, 28), np.float32)))


def test_constructor_argument_checks():
    with pytest.raises(ValueError, match="pad_mode"):
        nn.Conv2d(1, 2, 3, pad_mode="full")
    with pytest.raises(ValueError, match="in_channels"):
        nn.Dense(0, 2)
    with pytest.raises(TypeError, match="'momentum' should be 'float'"):
        nn.Momentum(nn.Dense(2, 2).trainable_params(), 0.1, 1)
    with pytest.raises(ValueError, match="reduction"):
        nn.SoftmaxCrossEntropyWithLogits(reduction="avg")
