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


# The same holds one level down, in the libraries that multiply matrices. On an AVX-512 CPU
# OpenBLAS (NumPy's @) picks kernels that add a dot product's terms in another order than its
# AVX2 one, and MKL (torch's sqrt, pow, exp on float64) returns results one unit in the last
# place apart: on a Sapphire Rapids machine lecture7's first W1.grad element changed in its
# last digits and torch's sqrt(2.0) was 1.414213562373095, not the 1.4142135623730951 every
# other CPU (and the C library) gives. Both are pinned to their AVX2 code, which every x86-64
# since 2013 runs: OpenBLAS only where the CPU has AVX2 and FMA (its Haswell kernels would
# crash on one without), MKL always (its setting is a ceiling, never a demand).
if {"avx2", "fma", "avx512f"} <= _cpu_flags():
    os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")
os.environ.setdefault("MKL_ENABLE_INSTRUCTIONS", "AVX2")

__version__ = "0.1.0"
