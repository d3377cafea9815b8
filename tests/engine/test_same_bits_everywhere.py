"""stepgrad's numbers do not depend on the CPU's vector width: NumPy's float64 log is the C
library's, the one torch's bce calls, also where NumPy could use AVX-512 kernels of its own
(on an AVX-512 machine those differed from it in 340 of 100,000 numbers)."""

import math
import subprocess
import sys

import numpy as np


def test_numpy_log_is_the_c_librarys():
    x = np.random.default_rng(0).uniform(0.0, 1.0, 100_000)
    libm = np.array([math.log(v) for v in x])
    assert np.array_equal(np.log(x), libm)


def test_set_before_numpy_loads_and_a_users_choice_kept():
    probe = "import stepgrad, numpy, os; print(os.environ['NPY_DISABLE_CPU_FEATURES'])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["X86_V4", "AVX512_ICL", "AVX512_SPR"]
    assert out.stderr == ""  # NumPy knew every name: no ImportWarning
    env = {"NPY_DISABLE_CPU_FEATURES": "AVX512_SPR", "PATH": ""}
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", probe], capture_output=True, text=True, env=env
    )
    assert out.stdout.split() == ["AVX512_SPR"]
