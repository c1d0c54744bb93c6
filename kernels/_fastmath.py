"""Scalar ``exp`` and ``expm1`` that Numba can vectorise, in the precision of their argument.

Inside ``@njit`` code ``np.exp`` and ``math.exp`` compile to one libm call per element, which keeps
LLVM from vectorising the loop around them (on this machine ``tanh`` over 1e7 float32 took 4.5×
longer than NumPy). The versions here are plain arithmetic: Cody-Waite range reduction
``x = k ln2 + r`` with ``|r| <= ln2 / 2``, a Taylor polynomial in ``r``, and ``2**k`` built directly
from its exponent bits. They stay in float32 for float32 arguments (8 lanes per AVX2 instruction)
and in float64 for float64 ones.

Accuracy (checked against NumPy by the kernel tests): a few ulp in both precisions, over the whole
range: ``2**k`` is applied as two normal factors, so results in the subnormal range round once as
NumPy's do (a 0 there instead of a subnormal would turn ``inf · exp(x)`` into NaN), and results
between 2**127 and the largest finite number stay finite. Below the smallest subnormal the result is
0, above the largest finite number inf, and NaN gives NaN: every comparison here is written so that a
NaN falls through to the arithmetic, which carries it.
``expm1`` keeps a single factor: it gives inf a little early (above 88.3 in float32, 709 in float64),
where no kernel calls it (tanh calls it at most at 40, elu at or below 0).

When Numba's JIT is disabled (``NUMBA_DISABLE_JIT=1``) the Python fallbacks below are what runs.
Numba's on-disk cache watches only the file that defines each kernel (``_loops.py``): after editing
this one, run ``tinygrad-vn warmup --clear``.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

_PY_OVERFLOW = 709.782712893384
"""ln of the largest float64: above it ``math.exp`` raises OverflowError instead of returning inf."""


def exp(x: float) -> float:
    """eˣ; the Python fallback used when the JIT is disabled (NaN stays NaN)."""
    return math.inf if x > _PY_OVERFLOW else math.exp(x)


def expm1(x: float) -> float:
    """eˣ − 1, exact near 0; the Python fallback used when the JIT is disabled (NaN stays NaN)."""
    return math.inf if x > _PY_OVERFLOW else math.expm1(x)


@intrinsic
def _bitcast(typingctx, value):
    """Reinterpret the bits of an int32 as a float32 and back (int64 and float64 likewise)."""
    pairs = {types.int32: (types.float32, ir.FloatType()), types.float32: (types.int32, ir.IntType(32)),
             types.int64: (types.float64, ir.DoubleType()), types.float64: (types.int64, ir.IntType(64))}
    if value not in pairs:
        return None
    result, llvm_type = pairs[value]

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], llvm_type)

    return result(value), codegen


_F, _D = np.float32, np.float64

# float32: exp(r) - 1 by Taylor to degree 7 is exact to 2e-8 relative on |r| <= ln2/2.
_F_LOG2E, _F_LN2_HI, _F_LN2_LO = _F(1.4426950408889634), _F(0.693359375), _F(-2.12194440e-4)
_F_EXP_LOW, _F_EXP_HIGH = _F(-104.0), _F(88.72284)  # exp rounds to 0 below, overflows above
_F_EXPM1_LOW, _F_EXPM1_HIGH = _F(-87.33654), _F(88.3)  # expm1 is -1 below; one normal 2**k above
_F_K_LOW, _F_K_HIGH = _F(-125.0), _F(127.0)  # 2**k factors that keep (1 + pm1) · 2**k normal
_F_HALF, _F_ONE, _F_ZERO, _F_INF = _F(0.5), _F(1.0), _F(0.0), _F(np.inf)
_F_BIAS, _F_EXPONENT_UNIT = _F(127.0), _F(2.0**23)
_F_C = tuple(_F(1.0 / math.factorial(n)) for n in range(8))

# float64: Cody-Waite split of ln2 from fdlibm; Taylor to degree 13 is exact to 2e-17.
_D_LOG2E, _D_LN2_HI, _D_LN2_LO = _D(1.4426950408889634), _D(6.93147180369123816490e-01), _D(
    1.90821492927058770002e-10
)
_D_EXP_LOW, _D_EXP_HIGH = _D(-745.2), _D(709.782712893384)
_D_EXPM1_LOW, _D_EXPM1_HIGH = _D(-708.3964), _D(709.0)
_D_K_LOW, _D_K_HIGH = _D(-1021.0), _D(1023.0)
_D_HALF, _D_ONE, _D_ZERO, _D_INF = _D(0.5), _D(1.0), _D(0.0), _D(np.inf)
_D_BIAS_MAGIC = _D(1023.0 + 2.0**52)
_D_C = tuple(_D(1.0 / math.factorial(n)) for n in range(14))


@njit(inline="always")
def _clamp(v, low, high):
    """``v`` limited to [low, high], NaN mapped to ``low`` (so that what is built from it stays a number)."""
    v = v if v > low else low
    return v if v < high else high


@njit(inline="always")
def _f32_reduce(x, low, high):
    """(e^r - 1, k) for x = k ln2 + r, in float32; k from x clamped to [low, high], r NaN when x is."""
    k = np.floor(_clamp(x, low, high) * _F_LOG2E + _F_HALF)
    r = x - k * _F_LN2_HI - k * _F_LN2_LO
    c = _F_C
    return r * (c[1] + r * (c[2] + r * (c[3] + r * (c[4] + r * (c[5] + r * (c[6] + r * c[7])))))), k


@njit(inline="always")
def _f32_pow2(k):
    """2**k for a whole float32 ``k`` in [-126, 127]."""
    # (k + 127) · 2²³ is exact in float32 and is the bit pattern of 2**k; no int64 lanes needed.
    return _bitcast(np.int32((k + _F_BIAS) * _F_EXPONENT_UNIT))


@njit(inline="always")
def _f64_reduce(x, low, high):
    """(e^r - 1, k) for x = k ln2 + r, in float64; k from x clamped to [low, high], r NaN when x is."""
    k = np.floor(_clamp(x, low, high) * _D_LOG2E + _D_HALF)
    r = x - k * _D_LN2_HI - k * _D_LN2_LO
    c = _D_C
    inner = c[9] + r * (c[10] + r * (c[11] + r * (c[12] + r * c[13])))
    return r * (c[1] + r * (c[2] + r * (c[3] + r * (c[4] + r * (c[5] + r * (c[6] + r * (c[7] + r * (
        c[8] + r * inner)))))))), k


@njit(inline="always")
def _f64_pow2(k):
    """2**k for a whole float64 ``k`` in [-1022, 1023]."""
    # k + 1023 + 2⁵² holds k + 1023 in its low mantissa bits; shifting them into the exponent field
    # gives 2**k without a float-to-int64 conversion (AVX2 has none).
    return _bitcast(_bitcast(k + _D_BIAS_MAGIC) << 52)


@overload(exp, inline="always")
def _exp_overload(x):
    if x == types.float32:
        reduce, pow2, low, high, k_low, k_high = _f32_reduce, _f32_pow2, _F_EXP_LOW, _F_EXP_HIGH, _F_K_LOW, _F_K_HIGH
        zero, one, inf = _F_ZERO, _F_ONE, _F_INF
    elif x == types.float64:
        reduce, pow2, low, high, k_low, k_high = _f64_reduce, _f64_pow2, _D_EXP_LOW, _D_EXP_HIGH, _D_K_LOW, _D_K_HIGH
        zero, one, inf = _D_ZERO, _D_ONE, _D_INF
    else:
        return None

    def impl(x):
        pm1, k = reduce(x, low, high)
        k_normal = _clamp(k, k_low, k_high)
        # The first factor keeps the product normal (exact); the second rounds it once, into the
        # subnormal range or to inf where the true result lies there.
        value = (pm1 + one) * pow2(k_normal) * pow2(k - k_normal)
        return zero if x < low else (inf if x > high else value)

    return impl


@overload(expm1, inline="always")
def _expm1_overload(x):
    if x == types.float32:
        reduce, pow2, low, high, one, inf = _f32_reduce, _f32_pow2, _F_EXPM1_LOW, _F_EXPM1_HIGH, _F_ONE, _F_INF
    elif x == types.float64:
        reduce, pow2, low, high, one, inf = _f64_reduce, _f64_pow2, _D_EXPM1_LOW, _D_EXPM1_HIGH, _D_ONE, _D_INF
    else:
        return None

    def impl(x):
        pm1, k = reduce(x, low, high)
        scale = pow2(k)
        value = scale * pm1 + (scale - one)
        return -one if x < low else (inf if x > high else value)

    return impl
