"""stepgrad: a terminal step-through debugger for backpropagation."""

from __future__ import annotations

import os

# NumPy picks its SIMD kernels by the CPU it runs on, and its AVX-512 ones compute a float64
# log that differs from the C library's in the last bit (about 1 number in 300). torch's bce
# takes the C library's log, so stepgrad's bits would depend on the machine. Without those
# kernels NumPy gives the same answers on every x86-64 (their names since NumPy 2.4; read
# once, when NumPy loads, which stepgrad puts off until a computation needs it).
os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", "X86_V4 AVX512_ICL AVX512_SPR")

__version__ = "0.1.0"
