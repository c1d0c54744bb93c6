"""Pure array kernels for tinygrad_vn's hot paths.

Installed as ``tinygrad_vn.kernels``. Nothing in here knows about ``Tensor``: every kernel takes and
returns NumPy arrays. ``reference`` holds the plain NumPy versions, which define what each kernel
computes; faster implementations must agree with them (the tests hold them equal).
"""
