"""PyTorch's ``torch.nn.functional`` path: ``import tinygrad_vn.nn.functional as F`` is :mod:`tinygrad_vn.functional`.

This module replaces itself, on import, by :mod:`tinygrad_vn.functional`, so that both spellings name one
module (the same functions, one place to change them) and a script ports by renaming its top package only.
"""

import sys

from .. import functional

sys.modules[__name__] = functional
