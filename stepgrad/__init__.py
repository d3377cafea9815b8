"""stepgrad: a terminal step-through debugger for backpropagation."""

from __future__ import annotations

import os

# NumPy picks its SIMD kernels by the CPU it runs on, and its AVX-512 ones compute a float64
# log that differs from the C library's in the last bit (about 1 number in 300). torch's bce
# takes the C library's log, so stepgrad's bits would depend on the machine. Without those
# kernels NumPy gives the same answers on every x86-64 (their names since NumPy 2.4; read
# once, when NumPy loads, which stepgrad puts off until a computation needs it).
os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", "X86_V4 AVX512_ICL AVX512_SPR")


def _cpu_flags() -> frozenset[str]:
    """The x86 CPU's feature flags as Linux lists them (empty elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


# The same holds one level down, in the BLAS that multiplies NumPy's matrices: on an
# AVX-512 CPU OpenBLAS picks kernels that add a dot product's terms in another order than its
# AVX2 ones (on a Sapphire Rapids machine lecture7's first W1.grad element changed in its last
# digits). It is pinned to its Haswell (AVX2) kernels, only where the CPU has AVX2 and FMA:
# they would crash on one without. (torch's MKL is left as it is: torch on this machine is the
# reference, and MKL's AVX2 code rounds float32 exp less well than its AVX-512 code.)
if {"avx2", "fma", "avx512f"} <= _cpu_flags():
    os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")

__version__ = "0.1.0"
