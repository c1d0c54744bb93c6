"""Optimizers following ``torch.optim``'s update equations, param groups and state dicts; schedules in
:mod:`.lr_scheduler`. Updates touch arrays, never the graph.

    from tinygrad_vn import optim
    opt = optim.SGD([{"params": model[0].parameters(), "lr": 0.1}, {"params": model[2].parameters()}],
                    lr=0.01, momentum=0.9)
    schedule = optim.lr_scheduler.StepLR(opt, step_size=10)
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
