"""Bad scenarios and the exact error line each must give (after ``FILE:``).

Shared by the loader tests (tests/scenario) and the command-line tests (tests/cli). Each
case is (name, YAML text, "LINE:COL: message"); the line and column can be checked by
counting in the YAML text of the case.
"""

from __future__ import annotations

H = "params: {w: 1.0}\ninputs: {x: 1.0, y: 2.0}\n"  # lines 1-2
M = "model:\n  y_hat: x * w\n  loss: (y_hat - y) ** 2\n"  # three lines
D = "data:\n  x: [1.0, 2.0]\n  y: [2.0, 4.0]\n"  # three lines
P = "params: {w: 1.0}\n"  # line 1
ONE = "params: {w: 1.0}\ninputs: {x: 1.0}\nmodel:\n  loss: "  # the expression starts at 4:9

# Integers beyond any float, written so that Python reads them without its 4,300-digit
# limit (which only guards decimal digits); str() of one would raise.
HEX = "0x" + "f" * 3600
BIN = "0b" + "1" * 15000
OCT = "0" + "7" * 5000
SEXA = "1:" + ":".join(["59"] * 2000)  # YAML 1.1's base 60
TOO_LARGE = "integer too large (beyond 1.8e+308, the largest float64)"

NOT_A_SCENARIO = "is not a stepgrad scenario (expected a mapping with params and model)"

# Arrays: a 2 x 2 weight (line 2), four samples of two numbers and their targets (two lines),
# a model whose shapes fit.
AW = "params:\n  W: [[0.5, -0.5], [0.25, 1.0]]\n"
AD = (
    "data:\n  x: [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]\n"
    "  y: [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]\n"
)
AM = "model:\n  loss: mse(x @ W, y)\n"

NO_SUCH_NAME = "; declare it under inputs, params or data, or assign it in model above this line"


CASES: list[tuple[str, str, str]] = [
    # --- the file as a whole -----------------------------------------------------------
    ("empty", "", "1:1: the file is empty; a scenario needs params and model"),
    ("only comments", "# nothing here\n\n", "1:1: the file is empty; a scenario needs params and model"),
    # Not a mapping, or none of a scenario's keys: some other file, whose text is not echoed.
    ("a list", "- params\n- model\n", f"1:1: {NOT_A_SCENARIO}"),
    ("a scalar", "hello\n", f"1:1: {NOT_A_SCENARIO}"),
    (
        "a password file",
        "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n",
        f"1:1: {NOT_A_SCENARIO}",
    ),
    ("a shadow file", "root:$6$Zq.s4lt$h4sh:19000:0:99999:7:::\n", f"1:1: {NOT_A_SCENARIO}"),
    ("an ini file", "[secrets]\ntoken=s3cr3t\n", f"1:1: {NOT_A_SCENARIO}"),
    (
        "a shadow line in a scenario",
        H + M + "root:$6$Zq.s4lt$h4sh:19000:0:99999:7:::\n",
        "6:1: this line is not a key of the scenario (allowed: name, description, dtype, inputs, params,"
        " model, loss, data, train, predict, expect, manual)",
    ),
    ("missing params", "inputs: {x: 1.0}\n" + M, "1:1: missing required key 'params'"),
    ("missing model", H, "1:1: missing required key 'model'"),
    # --- invalid YAML ------------------------------------------------------------------
    (
        "bad indentation",
        H + "model:\n  y_hat: x * w\n loss: 3\n",
        "5:2: model: line 'loss: 3' is indented differently from 'y_hat: x * w' above it "
        "(1 space, not 2); indent the lines of one block alike",
    ),
    (
        "unclosed flow mapping",
        "params: {w: 1.0\nmodel: {}\n",
        "2:6: invalid YAML: expected ',' or '}', but got ':' (the { opened at line 1, column 9)",
    ),
    (
        "unclosed flow mapping before a comment",
        "params: {w: 1.0  # start here\nmodel:\n  loss: w\n",
        "2:1: invalid YAML: expected ',' or '}', but got 'model' (the { opened at line 1, column 9)",
    ),
    (
        "unclosed flow sequence at the end of the file",
        "params: {w: 1.0}\nmodel: {loss: w}\ndata: {w: [1.0  # one\n",
        "4:1: invalid YAML: expected ',' or ']', but got the end of the file"
        " (the [ opened at line 3, column 11)",
    ),
    (
        "unclosed quote",
        'name: "one\nparams: {w: 1.0}\n',
        "3:1: invalid YAML: found unexpected end of stream (the quote opened at line 1, column 7)",
    ),
    (
        "unclosed flow sequence",
        "params: {w: 1.0}\ndata: {x: [1.0, y: [2.0]}\n" + M,
        "2:25: invalid YAML: expected ',' or ']', but got '}'",
    ),
    ("tab indentation", "params:\n\tw: 1\n", "2:1: invalid YAML: tabs cannot indent YAML; use spaces"),
    (
        "two documents",
        H + M + "---\n" + H,
        "6:1: invalid YAML: a scenario is one YAML document; remove the second '---'",
    ),
    (
        "control character",
        "params: {w: 1}\x01\n",
        "1:15: invalid YAML: the character #x0001 is not allowed in a YAML file",
    ),
    (
        "python tag on a scalar",
        "params: !!python/name:os.system x\n",
        "1:9: invalid YAML: YAML tags like '!!python/name:os.system' are not allowed here",
    ),
    (
        "python tag on a list",
        "params: !!python/object/apply:os.system ['echo hi']\n",
        "1:9: YAML tags like '!!python/object/apply:os.system' are not allowed here",
    ),
    (
        "duplicate top-level key",
        H + M + "params: {w: 2.0}\n",
        "6:1: duplicate key 'params' (first given on line 1)",
    ),
    (
        "duplicate model name",
        H + "model:\n  loss: x * w\n  loss: x * w * 2\n",
        "5:3: duplicate key 'loss' (first given on line 4)",
    ),
    ("recursive alias", "a: &a [*a]\n", "1:4: the YAML is nested too deeply (at most 32 levels)"),
    (
        # Ten to the sixth values if aliases were expanded: an alias is built once and shared.
        "alias bomb",
        P
        + M
        + "data:\n  a: &a [1,1,1,1,1,1,1,1,1,1]\n"
        + "".join(
            f"  {n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n" for p, n in zip("abcde", "bcdef", strict=True)
        ),
        # A sample is a number or a row: item 0 of 'c' is the alias *b, a list of rows, and
        # the error points where 'b' is defined.
        "7:6: data 'c' item 0 must be a number or a row of numbers, not a list of lists",
    ),
    (
        "deep flow YAML",
        "params: " + "[" * 3000 + "]" * 3000 + "\n",
        # The 33rd bracket, column 9 + 32.
        "1:41: the YAML is nested too deeply (at most 32 levels)",
    ),
    (
        "deep block YAML",
        "".join(" " * i + f"k{i}:\n" for i in range(1000)),
        "33:36: the YAML is nested too deeply (at most 32 levels)",
    ),
    # Decimal, beyond Python's 4,300-digit limit: the same words as hex or binary (item 6 below).
    ("huge integer", "params: {w: 1" + "0" * 5000 + "}\n" + M, f"1:13: 'w': {TOO_LARGE}"),
    # --- wrong types -------------------------------------------------------------------
    ("params: 3", "params: 3\n" + M, "1:9: params must be a mapping of names to values, not the number 3"),
    ("lr: fast", P + D + M + "train: {lr: fast}\n", "8:13: lr must be a number, not the text 'fast'"),
    (
        "epochs: 2.5",
        P + D + M + "train: {lr: 0.1, epochs: 2.5}\n",
        "8:26: epochs must be a whole number, not 2.5",
    ),
    (
        'zero_grad: "yes"',
        P + D + M + 'train: {lr: 0.1, zero_grad: "yes"}\n',
        "8:29: zero_grad must be true or false, not 'yes'",
    ),
    (
        "param true",
        "params: {w: true}\ninputs: {x: 1.0}\n" + M,
        "1:13: param 'w' must be a number, not the boolean true",
    ),
    ("param date", "params: {w: 2020-01-01}\n" + M, "1:13: param 'w' must be a number, not date 2020-01-01"),
    ("param nan", "params: {w: .nan}\n" + M, "1:13: param 'w' must be a finite number, not nan"),
    ("param 'inf'", "params: {w: 'inf'}\n" + M, "1:13: param 'w' must be a finite number, not inf"),
    ("name: [1]", "name: [1]\n" + H + M, "1:7: name must be text, not a list"),
    ("model: list", H + "model: [a, b]\n", "3:8: model must be a mapping of names to values, not a list"),
    ("model: null", H + "model:\n  loss:\n", "4:8: model 'loss' must be an expression, not nothing"),
    (
        "dtype float16",
        "dtype: float16\n" + H + M,
        "1:8: dtype must be float64 or float32, not the text 'float16'; did you mean 'float64'?",
    ),
    (
        "data not a list",
        P + "data:\n  x: 1.0\n  y: [2.0]\n" + M,
        "3:6: data 'x' must be a list of numbers, not the number 1.0",
    ),
    (
        "data item text",
        P + "data:\n  x: [1.0, two]\n  y: [2.0, 4.0]\n" + M,
        "3:12: data 'x' item 1 must be a number, not the text 'two'",
    ),
    ("key not text", "params: {1: 1.0}\n" + M, "1:10: keys must be names, not 1"),
    (
        "param name not a name",
        "params: {w-1: 1.0}\n" + M,
        "1:10: 'w-1' is not a valid param name (letters, digits and _, not starting with a digit)",
    ),
    (
        "param named like a function",
        "params: {exp: 1.0}\n" + M,
        "1:10: 'exp' is a function name; choose another param name",
    ),
    (
        "model name with escapes",
        H + 'model:\n  "lo\\x1bss\\n": x * w\n',
        "4:3: 'lo\\x1bss\\n' is not a valid model name (letters, digits and _, not starting with a digit)",
    ),
    (
        "fullwidth name",
        "params: {ｗ: 1.0}\ninputs: {x: 1.0}\nmodel: {loss: x * w}\n",
        "1:10: 'ｗ' is read as 'w' in expressions; write 'w'",
    ),
    ("loss: [a]", H + M + "loss: [a]\n", "6:7: loss must be a model name, not a list"),
    # --- unknown keys ------------------------------------------------------------------
    (
        "top-level typo",
        H + M + "modle: 3\n",
        "6:1: unknown key 'modle' in the scenario; did you mean 'model'?",
    ),
    (
        "top-level unknown",
        H + M + "foo: 3\n",
        "6:1: unknown key 'foo' in the scenario (allowed: name, description, dtype, inputs, params, model, "
        "loss, data, train, predict, expect, manual)",
    ),
    (
        "train typo",
        P + D + M + "train: {lr: 0.1, epoch: 3}\n",
        "8:18: unknown key 'epoch' in train; did you mean 'epochs'?",
    ),
    (
        "train unknown",
        P + D + M + "train: {lr: 0.1, momentum: 0.9}\n",
        "8:18: momentum belongs to the optimizer: write optimizer: {name: sgd, momentum: 0.9}",
    ),
    (
        "expect typo",
        H + M + "expect:\n  grads: {w: -2}\n",
        "7:3: unknown key 'grads' in expect; did you mean 'grad'?",
    ),
    (
        "expect unknown param",
        H + M + "expect:\n  grad: {ww: -2}\n",
        "7:10: 'ww' is not a param; did you mean 'w'?",
    ),
    # --- names -------------------------------------------------------------------------
    (
        "unknown name",
        H + "model:\n  y_hat: x * w\n  loss: (yhat - y) ** 2\n",
        "5:10: unknown name 'yhat'; did you mean 'y_hat'?",
    ),
    (
        "unknown name, nothing close",
        H + "model:\n  loss: (x * q - y) ** 2 * w\n",
        f"4:14: unknown name 'q'{NO_SUCH_NAME}",
    ),
    (
        "use before assignment",
        H + "model:\n  loss: (y_hat - y) ** 2\n  y_hat: x * w\n",
        "4:10: 'y_hat' is used before it is assigned; move 'y_hat' above 'loss'",
    ),
    (
        "cycle",
        H + "model:\n  a: b + 1\n  b: a * 2\n  loss: a * w\n",
        "4:6: cycle: a → b → a; each name must be assigned from names above it",
    ),
    ("refers to itself", H + "model:\n  a: a + w\n", "4:6: 'a' refers to itself"),
    (
        "function used as a name",
        H + "model:\n  loss: exp * w\n",
        "4:9: 'exp' is a function; call it as exp(...)",
    ),
    (
        "name called like a function",
        H + "model:\n  loss: w(x)\n",
        "4:10: 'w' is not a function; write '*' to multiply",
    ),
    ("model name is an input", H + "model:\n  x: w * 2\n", "4:3: 'x' is already an input; pick another name"),
    # --- disallowed syntax -------------------------------------------------------------
    (
        "attribute access",
        H + "model:\n  loss: x.real * w\n",
        "4:10: attribute access ('.real') is not allowed; a model may use numbers, names, + - * / ** @, "
        "unary -, x.T, parentheses and exp, log, sqrt, sigmoid, tanh, relu, sin, cos, abs, softplus, log1p, "
        "transpose, sum, mean, softmax, log_softmax, mse, bce, cross_entropy",
    ),
    (
        "__import__('os').system",
        H + "model:\n  loss: __import__('os').system('echo hi')\n",
        "4:25: attribute access ('.system') is not allowed; a model may use numbers, names, + - * / ** @, "
        "unary -, x.T, parentheses and exp, log, sqrt, sigmoid, tanh, relu, sin, cos, abs, softplus, log1p, "
        "transpose, sum, mean, softmax, log_softmax, mse, bce, cross_entropy",
    ),
    (
        "__import__('os')",
        H + "model:\n  loss: w * __import__('os')\n",
        "4:13: unknown function '__import__' "
        "(allowed: exp, log, sqrt, sigmoid, tanh, relu, sin, cos, abs, softplus, log1p, "
        "transpose, sum, mean, softmax, log_softmax, mse, bce, cross_entropy)",
    ),
    (
        "max(a, b)",
        H + "model:\n  loss: max(x, w)\n",
        "4:9: unknown function 'max'; did you mean 'softmax'? "
        "(allowed: exp, log, sqrt, sigmoid, tanh, relu, sin, cos, abs, softplus, log1p, "
        "transpose, sum, mean, softmax, log_softmax, mse, bce, cross_entropy)",
    ),
    (
        "function typo",
        H + "model:\n  loss: sigmod(x * w)\n",
        "4:9: unknown function 'sigmod'; did you mean 'sigmoid'? "
        "(allowed: exp, log, sqrt, sigmoid, tanh, relu, sin, cos, abs, softplus, log1p, "
        "transpose, sum, mean, softmax, log_softmax, mse, bce, cross_entropy)",
    ),
    ("two arguments", H + "model:\n  loss: exp(w, x)\n", "4:9: exp() takes exactly one argument"),
    ("lambda", H + "model:\n  loss: '(lambda: w)() * x'\n", "4:11: lambdas are not allowed"),
    ("list comprehension", H + "model:\n  loss: '[w for w in x]'\n", "4:10: comprehensions are not allowed"),
    ("generator", H + "model:\n  loss: exp(w for w in x)\n", "4:12: comprehensions are not allowed"),
    ("subscript", H + "model:\n  loss: w[0] * x\n", "4:10: subscripts like 'w[0]' are not allowed"),
    ("string", H + "model:\n  loss: w * 'abc'\n", "4:13: strings ('abc') are not allowed in a model"),
    ("f-string", H + "model:\n  loss: f'{w}'\n", "4:9: strings (f'{w}') are not allowed in a model"),
    (
        "floor division",
        H + "model:\n  loss: w // x\n",
        "4:11: operator '//' is not supported; use + - * / **",
    ),
    ("caret", H + "model:\n  loss: w ^ 2\n", "4:11: operator '^' is not supported; use ** for powers"),
    ("comparison", H + "model:\n  loss: w < x\n", "4:9: comparisons and logic ('w < x') are not allowed"),
    (
        "conditional",
        H + "model:\n  loss: w if x else y\n",
        "4:9: conditional expressions (if/else) are not allowed",
    ),
    ("not", H + "model:\n  loss: not w\n", "4:9: 'not' is not allowed; only unary minus is"),
    ("walrus", H + "model:\n  loss: (q := w)\n", "4:10: assignment expressions (:=) are not allowed"),
    ("complex number", H + "model:\n  loss: w * 2j\n", "4:13: complex numbers ('2j') are not supported"),
    ("None", H + "model:\n  loss: w * None\n", "4:13: 'None' is not a number"),
    (
        "hash in a quoted expression",
        H + "model:\n  loss: 'x * w #c'\n",
        "4:16: '#' is not allowed in an expression (a YAML comment needs a space before it)",
    ),
    (
        "NUL in a quoted expression",
        H + 'model:\n  loss: "x * w \\0"\n',
        "4:16: the expression contains a NUL character",
    ),
    (
        "syntax error",
        H + "model:\n  loss: (w * x\n",
        "4:9: this '(' is never closed; add a ')' where the group ends",
    ),
    (
        "syntax error 2",
        H + "model:\n  loss: w * * x\n",
        "4:13: '*' follows '*' with nothing between them; write a value between",
    ),
    ("empty expression", H + "model:\n  loss: ''\n", "4:9: the expression is empty"),
    (
        "a constant",
        H + "model:\n  a: 3\n  loss: a * w\n",
        "4:6: 'a' is a constant; declare it under inputs instead",
    ),
    (
        "function of a constant without a finite value",
        H + "model:\n  loss: w * log(0)\n",
        "4:13: 'log(0)' has no finite value",
    ),
    # --- data and training -------------------------------------------------------------
    (
        "data lengths differ",
        P + "data:\n  x: [1.0, 2.0, 3.0]\n  y: [2.0, 4.0]\n" + M,
        "4:6: data 'y' has 2 samples but 'x' has 3; every list needs one value per sample",
    ),
    (
        "data lengths differ, one sample",
        P + "data:\n  x: [1.0, 2.0, 3.0]\n  y: [2.0]\n" + M,
        "4:6: data 'y' has 1 sample but 'x' has 3; every list needs one value per sample",
    ),
    (
        "data list empty",
        P + "data:\n  x: []\n  y: []\n" + M,
        "3:6: data 'x' is empty; give at least one sample",
    ),
    ("data empty", P + "data: {}\n" + M, "2:7: data is empty; give one list per input"),
    (
        "train without data",
        H + M + "train: {lr: 0.1}\n",
        "6:8: train needs data: add a 'data:' section with one list per input",
    ),
    ("lr zero", P + D + M + "train: {lr: 0}\n", "8:13: lr must be positive, not 0"),
    ("lr negative", P + D + M + "train:\n  lr: -0.5\n", "9:7: lr must be positive, not -0.5"),
    ("no lr", P + D + M + "train:\n  epochs: 3\n", "9:3: train needs a learning rate 'lr', e.g. lr: 0.01"),
    (
        "too many steps",
        P + D + M + "train: {lr: 0.1, epochs: 100000000}\n",
        "8:8: 200000000 training steps is too many (at most 10000000)",
    ),
    # --- too deep, too long, constants that overflow -----------------------------------
    (
        "500 nested parentheses",
        ONE + "(" * 500 + "x * w" + ")" * 500 + "\n",
        "4:73: expression is nested too deeply (more than 64 parentheses inside each other)",
    ),
    (
        "80 nested calls",
        ONE + "exp(" * 80 + "x * w" + ")" * 80 + "\n",
        "4:268: expression is nested too deeply (more than 64 parentheses inside each other)",
    ),
    (
        "500 unary minus",
        ONE + "-" * 500 + "x * w\n",
        # (-…-x) * w: the product is the outermost operation, the 64th minus the 65th.
        "4:72: expression is too deep (502 operations inside each other; at most 64)"
        "; split it into named steps",
    ),
    (
        "a sum of 100 terms",
        ONE + " + ".join(["x * w"] * 100) + "\n",
        "4:9: expression is too deep (101 operations inside each other; at most 64)"
        "; split it into named steps",
    ),
    (
        "5,000 characters",
        ONE + "+".join(["x*w"] * 1250) + "\n",
        "4:9: expression is too long (4999 characters; at most 1000); split it into named steps",
    ),
    ("10 ** 10 ** 10", ONE + "x * w * 10 ** 10 ** 10\n", "4:20: '10 ** 10 ** 10' has no finite value"),
    ("1e999", ONE + "x * w * 1e999\n", "4:17: '1e999' is not a finite number"),
    (
        "a 400-digit integer",
        ONE + "x * w * 1" + "0" * 400 + "\n",
        "4:17: the number '1000000000000000000…' is too large",
    ),
    ("division by a zero constant", ONE + "x * w / (1 - 1)\n", "4:15: division by zero in 'x * w / (1 - 1)'"),
    (
        "float32 constant overflow",
        "dtype: float32\n" + ONE + "x * w * 1e39\n",
        "5:17: '1e39' = 1e+39 does not fit in float32 (largest 3.403e+38)",
    ),
    (
        "float32 input overflow",
        "dtype: float32\nparams: {w: 1.0}\ninputs: {x: 1e39}\nmodel:\n  loss: x * w\n",
        "3:13: input 'x' = 1e+39 does not fit in float32 (largest 3.403e+38)",
    ),
    # --- names that do not fit together ------------------------------------------------
    (
        "param not used by the loss",
        "params: {w: 1.0, b: 0.5}\ninputs: {x: 1.0, y: 2.0}\n" + M,
        "1:18: param 'b' is never used by the loss 'loss'",
    ),
    (
        "input and param",
        "params: {w: 1.0, x: 2.0}\ninputs: {x: 1.0, y: 2.0}\n" + M,
        "1:18: 'x' is both an input and a param",
    ),
    (
        "data and param",
        "params: {w: 1.0, x: 2.0}\ndata:\n  x: [1.0]\n  y: [2.0]\n" + M,
        "3:3: 'x' is a param; data can only feed inputs",
    ),
    (
        "loss: names nothing",
        H + M + "loss: lss\n",
        "6:7: loss 'lss' is not a model name; did you mean 'loss'?",
    ),
    ("loss: names a param", H + M + "loss: w\n", "6:7: loss 'w' is a param, not a model name"),
    (
        "predict unknown input",
        H + M + "predict: {z: 4.0}\n",
        "6:11: predict gives 'z', which is not an input",
    ),
    (
        "predict typo",
        P + D + M + "predict: {xx: 4.0}\n",
        "8:11: predict gives 'xx', which is not an input; did you mean 'x'?",
    ),
    (
        "manual syntax error",
        H + M + "manual: {w: '2 * x * (x * w - y'}\n",
        "6:22: this '(' is never closed; add a ')' where the group ends",
    ),
    (
        "manual unknown param",
        H + M + "manual: {q: '2 * x'}\n",
        "6:10: manual gives 'q', which is not a param",
    ),
    # --- integers beyond any float, in every place a value is read (issue 9, item 6) --------
    ("hex param", f"params: {{w: {HEX}}}\n", f"1:13: 'w': {TOO_LARGE}"),
    ("binary param", f"params: {{w: {BIN}}}\n", f"1:13: 'w': {TOO_LARGE}"),
    ("octal input", f"params: {{w: 1.0}}\ninputs: {{x: {OCT}}}\n", f"2:13: 'x': {TOO_LARGE}"),
    ("sexagesimal param", f"params:\n  w: {SEXA}\n", f"2:6: 'w': {TOO_LARGE}"),
    ("hex data", f"{P}data:\n  x: [1.0, {HEX}]\n", f"3:12: 'x' item 1: {TOO_LARGE}"),
    ("hex epochs", f"{P}{D}{M}train: {{epochs: {HEX}, lr: 0.1}}\n", f"8:17: 'epochs': {TOO_LARGE}"),
    ("sexagesimal epochs", f"{P}{D}{M}train:\n  epochs: {SEXA}\n", f"9:11: 'epochs': {TOO_LARGE}"),
    ("hex lr", f"{P}{D}{M}train: {{epochs: 1, lr: {HEX}}}\n", f"8:24: 'lr': {TOO_LARGE}"),
    ("hex name", f"name: {HEX}\n{H}{M}", f"1:7: 'name': {TOO_LARGE}"),
    ("binary description", f"description: {BIN}\n{H}{M}", f"1:14: 'description': {TOO_LARGE}"),
    ("hex dtype", f"dtype: {HEX}\n{H}{M}", f"1:8: 'dtype': {TOO_LARGE}"),
    ("hex predict", f"{H}{M}predict: {{x: {HEX}}}\n", f"6:14: 'x': {TOO_LARGE}"),
    ("hex expect loss", f"{H}{M}expect: {{loss: {HEX}}}\n", f"6:16: 'loss': {TOO_LARGE}"),
    ("hex expect grad", f"{H}{M}expect:\n  grad: {{w: {HEX}}}\n", f"7:13: 'w': {TOO_LARGE}"),
    ("hex model", f"{H}model:\n  loss: {HEX}\n", f"4:9: 'loss': {TOO_LARGE}"),
    ("hex loss", f"{H}{M}loss: {HEX}\n", f"6:7: 'loss': {TOO_LARGE}"),
    ("hex key", f"params:\n  w: 1.0\n  ? {HEX}\n  : 2.0\n", f"3:5: a key: {TOO_LARGE}"),
    ("hex as the whole file", f"{HEX}\n", f"1:1: the value: {TOO_LARGE}"),
    # --- text that cannot be shown: refused where it is written (issue 9, item 10) -------
    (
        "lone surrogate in an expression",
        'params: {w: 1.0}\nmodel:\n  loss: "w*w\\ud800"\n',
        "3:13: the expression contains a lone surrogate U+D800 (half of a UTF-16 pair, not a character)",
    ),
    (
        "lone surrogate in name",
        'name: "\\ud800"\n' + H + M,
        "1:8: name contains a lone surrogate U+D800 (half of a UTF-16 pair, not a character);"
        " it must be printable text on one line",
    ),
    (
        "terminal escape in name",
        'name: "\\e[2J\\e[Hgotcha"\n' + H + M,
        "1:8: name contains the control character U+001B; it must be printable text on one line",
    ),
    (
        "terminal escape in description",
        'description: "fine\\n\\tthen \\x9b2J"\n' + H + M,
        "1:28: description contains the control character U+009B; it must be printable text",
    ),
    (
        "direction mark in name",
        'name: "abc\\u202edef"\n' + H + M,
        "1:11: name contains the direction mark U+202E; it must be printable text on one line",
    ),
    (
        "name on two lines",
        "name: |\n  two\n  lines\n" + H + M,
        "3:3: name contains a line break; it must be printable text on one line",
    ),
    (
        "two written keys after a merge",
        "params: &p {w: 1.0}\ninputs: {x: 1.0, y: 2.0}\n" + M + "expect:\n  params:\n    <<: *p\n"
        "    w: 2.0\n    w: 3.0\n",
        "10:5: duplicate key 'w' (first given on line 9)",
    ),
    # --- numbers a float32 run would silently change, predictions that never come ---------
    (
        "float32 lr rounds to 0",
        "dtype: float32\n" + P + D + M + "train: {lr: 1.0e-50}\n",
        "9:13: lr = 1.0e-50 rounds to 0 in float32 (the smallest positive is 1.401e-45)",
    ),
    (
        "float64 lr rounds to 0",
        P + D + M + "train: {lr: 1e-400}\n",
        "8:13: lr = 1e-400 rounds to 0 in float64 (the smallest positive is 4.941e-324)",
    ),
    (
        "float32 param overflow",
        "dtype: float32\nparams: {w: 1e39}\ninputs: {x: 1.0, y: 2.0}\n" + M,
        "2:13: param 'w' = 1e+39 does not fit in float32 (largest 3.403e+38)",
    ),
    (
        "float32 data overflow",
        "dtype: float32\n" + P + "data:\n  x: [1.0, -1e39]\n  y: [2.0, 4.0]\n" + M,
        "4:12: data 'x' item 1 = -1e+39 does not fit in float32 (largest 3.403e+38)",
    ),
    (
        "expect predict of the loss without its target",
        P + D + M + "predict: {x: 3.0}\nexpect: {predict: {loss: 1.0}}\n",
        "9:20: predict cannot compute 'loss': it needs y, which predict does not give;"
        " expect predict can check y_hat",
    ),
    (
        "expect predict of an inner node",
        P + D + "model:\n  y_hat: x * w\n  z: 2 * y_hat\n  loss: (z - y) ** 2\n"
        "predict: {x: 3.0}\nexpect: {predict: {y_hat: 6.0}}\n",
        "10:20: 'y_hat' is not one of the model's outputs that predict shows; expect predict can check z",
    ),
    # --- hostile files (issue 9): each ends with one line, from every command -------------
    (
        "NUL byte in a value",
        H + M + "description: a\0b\n",
        "6:15: invalid YAML: the character #x0000 is not allowed in a YAML file",
    ),
    (
        "byte order mark in the middle",
        H + "\ufeff" + M,
        "3:1: this line is not a key of the scenario; did you mean 'model'?",
    ),
    (
        "duplicate key in a nested flow mapping",
        H + M + "expect: {grad: {w: 1.0, w: 2.0}}\n",
        "6:25: duplicate key 'w' (first given on line 6)",
    ),
    (
        "a date as a param",
        "params: {w: 2001-12-14}\n" + M,
        "1:13: param 'w' must be a number, not date 2001-12-14",
    ),
    ("binary tag in name", "name: !!binary aGVsbG8=\n" + H + M, "1:7: name must be text, not bytes b'hello'"),
    ("YAML 1.1 boolean key", "params: {on: 1.0, w: 1.0}\n" + M, "1:10: keys must be names, not True"),
    ("null key", "params: {~: 1.0, w: 1.0}\n" + M, "1:10: keys must be names, not None"),
    (
        "emoji param",
        "params: {\U0001f393: 1.0}\n" + M,
        "1:10: '\U0001f393' is not a valid param name (letters, digits and _, not starting with a digit)",
    ),
    (
        "combining accent in a name",
        "params: {w\u0301: 1.0}\ninputs: {x: 1.0}\nmodel:\n  loss: x * w\u0301\n",
        "1:10: 'w\u0301' is written with a combining mark (U+0077 U+0301) and is read as U+1E83 in "
        "expressions; write it as one character",
    ),
    (
        "self-referencing model",
        H + "model:\n  y_hat: y_hat * w\n  loss: (y_hat - y) ** 2\n",
        "4:10: 'y_hat' refers to itself",
    ),
    (
        "cycle y = z, z = y",
        "params: {w: 1.0}\ninputs: {x: 1.0}\nmodel:\n  y: z\n  z: y\n  loss: (x * w - y) ** 2\n",
        "4:6: cycle: y → z → y; each name must be assigned from names above it",
    ),
    (
        "cycle a = b, b = a",
        H + "model:\n  a: b\n  b: a\n  loss: (a * w - y) ** 2\n",
        "4:6: cycle: a → b → a; each name must be assigned from names above it",
    ),
    ("undefined alias", "params: {w: *nope}\n" + M, "1:13: invalid YAML: found undefined alias 'nope'"),
    (
        "terminal escape in loss",
        H + M + 'loss: "\\e[2Jloss"\n',
        "6:7: loss '\\x1b[2Jloss' is not a model name; did you mean 'loss'?",
    ),
    (
        "terminal escape in an expect key",
        H + M + 'expect: {"\\e[2J": 1}\n',
        "6:10: this line is not a key of expect (allowed: grad, loss, params, predict)",
    ),
    (
        "lone surrogate in manual",
        H + M + 'manual: {w: "2*x\\ud800"}\n',
        "6:17: the expression contains a lone surrogate U+D800 (half of a UTF-16 pair, not a character)",
    ),
    (
        "alias bomb in data",
        P + "data:\n  a0: &l0 [1.0, 2.0]\n"
        + "".join(f"  a{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]\n" for i in range(1, 9))
        + "  x: *l8\n  y: *l8\n" + M,
        # Each item of a1 is a row (the alias *l0): ten samples, where a0 has two.
        "4:7: data 'a1' has 10 samples but 'a0' has 2; every list needs one value per sample",
    ),
    # --- errors a student meets (issue 11) -------------------------------------------
    # A model line indented deeper than the one above: PyYAML reads it as the value above
    # continued, and says "mapping values are not allowed here" at its ':'.
    (
        "model line indented deeper",
        H + "model:\n  y_hat: x * w\n    loss: (y_hat - y) ** 2\n",
        "5:5: model: line 'loss: (y_hat - y) ** 2' is indented differently from 'y_hat: x * w' "
        "above it (4 spaces, not 2); indent the lines of one block alike",
    ),
    (
        "model line indented deeper after a blank line and a comment",
        H + "model:\n  y_hat: x * w\n\n  # the loss\n   loss: (y_hat - y) ** 2\n",
        "7:4: model: line 'loss: (y_hat - y) ** 2' is indented differently from 'y_hat: x * w' "
        "above it (3 spaces, not 2); indent the lines of one block alike",
    ),
    (
        "first model line indented deeper than the rest",
        H + "model:\n    y_hat: x * w\n  loss: (y_hat - y) ** 2\n",
        "5:3: model: line 'loss: (y_hat - y) ** 2' is indented differently from 'y_hat: x * w' "
        "above it (2 spaces, not 4); indent the lines of one block alike",
    ),
    (
        "train line indented deeper",
        P + D + M + "train:\n  epochs: 2\n    lr: 0.1\n",
        "10:5: train: line 'lr: 0.1' is indented differently from 'epochs: 2' "
        "above it (4 spaces, not 2); indent the lines of one block alike",
    ),
    (
        "model lines not indented",
        H + "model:\ny_hat: x * w\nloss: (y_hat - y) ** 2\n",
        "4:1: unknown key 'y_hat' in the scenario; indent it under 'model:' (line 3) if it belongs there",
    ),
    (
        "tab before a model line",
        H + "model:\n  y_hat: x * w\n\tloss: 3\n",
        "5:1: invalid YAML: tabs cannot indent YAML; use spaces",
    ),
    # Did you mean, wherever a name is looked up.
    (
        "loss expression name typo",
        H + "model:\n  y_hat: x * w\n  loss: (y_hta - y) ** 2\n",
        "5:10: unknown name 'y_hta'; did you mean 'y_hat'?",
    ),
    (
        "loss: names a typo",
        H + M + "loss: los\n",
        "6:7: loss 'los' is not a model name; did you mean 'loss'?",
    ),
    # Issue 11: the case of a name, and a short name one slip off, get their suggestion.
    (
        "loss: names a model name in capitals",
        H + M + "loss: Loss\n",
        "6:7: loss 'Loss' is not a model name; did you mean 'loss'?",
    ),
    (
        "a param in the wrong case",
        H + "model:\n  y_hat: x * W\n  loss: (y_hat - y) ** 2\n",
        "4:14: unknown name 'W'; did you mean 'w'?",
    ),
    (
        "loss: a short name with two letters swapped",
        H + "model:\n  yh: x * w\n  ls: (yh - y) ** 2\nloss: sl\n",
        "6:7: loss 'sl' is not a model name; did you mean 'ls'?",
    ),
    (
        "a manual formula's name in the wrong case",
        H + M + "manual: {w: '2 * X * (y_hat - y)'}\n",
        "6:18: unknown name 'X'; did you mean 'x'?",
    ),
    (
        "manual param in the wrong case",
        H + M + "manual: {W: '2 * x'}\n",
        "6:10: manual gives 'W', which is not a param; did you mean 'w'?",
    ),
    (
        "manual param typo",
        H + M + "manual: {ww: '2 * x'}\n",
        "6:10: manual gives 'ww', which is not a param; did you mean 'w'?",
    ),
    (
        "manual formula name typo",
        H + M + "manual: {w: '2 * x * (y_ht - y)'}\n",
        "6:23: unknown name 'y_ht'; did you mean 'y_hat'?",
    ),
    (
        "expect grad typo",
        H + M + "expect: {grad: {ww: 1.0}}\n",
        "6:17: 'ww' is not a param; did you mean 'w'?",
    ),
    # A number written as text is refused, as `y: two` is.
    ("param as text", 'params: {w: "1"}\ninputs: {x: 1.0, y: 2.0}\n' + M,
     "1:13: param 'w' must be a number, not the text '1'; remove the quotes"),
    ("input as text", "params: {w: 1.0}\ninputs: {x: '2.0', y: 2.0}\n" + M,
     "2:13: input 'x' must be a number, not the text '2.0'; remove the quotes"),
    ("data value as text", P + 'data:\n  x: [1.0, "2.0"]\n  y: [2.0, 4.0]\n' + M,
     "3:12: data 'x' item 1 must be a number, not the text '2.0'; remove the quotes"),
    ("lr as text", P + D + M + 'train: {lr: "0.01"}\n',
     "8:13: lr must be a number, not the text '0.01'; remove the quotes"),
    ("epochs as text", P + D + M + "train: {lr: 0.01, epochs: '2'}\n",
     "8:27: epochs must be a whole number, not the text '2'; remove the quotes"),
    ("zero_grad as text", P + D + M + "train: {lr: 0.01, zero_grad: 'false'}\n",
     "8:30: zero_grad must be true or false, not 'false'; remove the quotes"),
    ("expect loss as text", H + M + "expect: {loss: '1.0'}\n",
     "6:16: expect loss must be a number, not the text '1.0'; remove the quotes"),
    # Python's wording replaced by the project's, at the same column.
    ("2x", ONE + "2x * w\n", "4:9: '2x' is not a number; write 2 * x for a product"),
    ("3.5w", ONE + "x * 3.5w\n", "4:13: '3.5w' is not a number; write 3.5 * w for a product"),
    ("1e without digits", ONE + "1e * w\n", "4:9: '1e' is not a number; an exponent needs its digits (1e-2)"),
    (
        "2(x)",
        ONE + "2(x) * w\n",
        "4:10: write 2 * (x) for a product; '(' right after a value is read as a call",
    ),
    ("x w", ONE + "x w\n", "4:11: an operator is missing between 'x' and 'w'; write x * w for a product"),
    ("sin x", ONE + "sin x * w\n", "4:13: write sin(x): a function's argument goes in parentheses"),
    (
        "trailing operator",
        ONE + "x * w +\n",
        "4:15: the expression ends with '+'; write what it applies to after it",
    ),
    (
        "unmatched )",
        ONE + "x * w)\n",
        "4:14: this ')' closes no '('; remove it, or add the '(' that opens its group",
    ),
    (
        "times sign",
        ONE + "x × w\n",
        "4:11: '×' (U+00D7) cannot be used in an expression; write * for a product",
    ),
    (
        "superscript 2",
        ONE + "(x * w)²\n",
        "4:16: '²' (U+00B2) cannot be used in an expression; write ** 2 for a square",
    ),
    (
        "an equation",
        ONE + "x * w = 3\n",
        "4:15: '=' is not allowed; write only the expression, after the name and ':'",
    ),
    (
        "absolute value bars",
        H + "model:\n  y_hat: x * w\n  loss: |y_hat - y|\n",
        "5:10: invalid YAML: a value starting with '|' is a YAML block of text; for an absolute value "
        "write abs(...)",
    ),
    (
        "absolute value bars inside an expression",
        H + "model:\n  y_hat: x * w\n  loss: (|y_hat - y|) ** 2\n",
        "5:10: '|' is not allowed in an expression; for an absolute value write abs(...)",
    ),
    (
        "expect predict typo",
        P + D + M + "train: {lr: 0.01}\npredict: {x: 4.0}\nexpect: {predict: {y_ht: 8.0}}\n",
        "10:20: 'y_ht' is not a model name; did you mean 'y_hat'?",
    ),
    (
        "a value after parentheses",
        ONE + "(x) w\n",
        "4:13: an operator is missing between ')' and 'w'; write (...) * w for a product",
    ),
    # --- arrays (issue 12) -------------------------------------------------------------
    # Lines 1-3 of each: a 2 x 2 weight, four rows of two numbers, and their targets.
    (
        "ragged param",
        "params:\n  W: [[1.0, 2.0], [3.0, 4.0, 5.0]]\n" + AD + "model:\n  loss: mse(x @ W, y)\n",
        "2:19: params: W: row 2 has 3 numbers, row 1 has 2",
    ),
    (
        "ragged data",
        AW + "data:\n  x: [[1.0, 2.0], [3.0], [5.0, 6.0], [7.0, 8.0]]\n  y: [1.0, 0.0, 1.0, 0.0]\n" + AM,
        "4:19: data: x: row 2 has 1 number, row 1 has 2",
    ),
    (
        "a number among rows",
        AW + "data:\n  x: [[1.0, 2.0], 3.0, [5.0, 6.0], [7.0, 8.0]]\n  y: [1.0, 0.0, 1.0, 0.0]\n" + AM,
        "4:19: data: x: row 2 has a number, row 1 has 2 numbers",
    ),
    (
        "a sample of rows",
        AW + "data:\n  x: [[[1.0, 2.0]], [[3.0, 4.0]]]\n  y: [1.0, 0.0]\n" + AM,
        "4:7: data 'x' item 0 must be a number or a row of numbers, not a list of lists",
    ),
    (
        "a text in a row",
        "params:\n  W: [[1.0, 2.0], [3.0, two]]\n" + AD + AM,
        "2:25: param 'W'[1, 1] must be a number, not the text 'two'",
    ),
    (
        "initialiser without a shape",
        "params:\n  W: {init: uniform, low: -0.3, high: 0.3, seed: 0}\n" + AD + AM,
        "2:6: param 'W': an initialiser needs a shape, e.g. {shape: [8, 6], init: linear, seed: 0}",
    ),
    (
        "unknown init",
        "params:\n  W: {shape: [2, 2], init: unifrom, low: -0.3, high: 0.3, seed: 0}\n" + AD + AM,
        "2:28: unknown init 'unifrom'; did you mean 'uniform'? "
        "(allowed: uniform, normal, linear, zeros, ones)",
    ),
    (
        "uniform without high",
        "params:\n  W: {shape: [2, 2], init: uniform, low: -0.3, seed: 0}\n" + AD + AM,
        "2:6: init uniform needs low, high and seed, e.g. low: -0.3, high: 0.3, seed: 0",
    ),
    (
        "init without init",
        "params:\n  W: {shape: [2, 2], seed: 0}\n" + AD + AM,
        "2:6: param 'W' needs init: one of uniform, normal, linear, zeros, ones",
    ),
    (
        "linear bias without fan_in",
        AW + "  b: {shape: [2], init: linear, seed: 1}\n" + AD + "model:\n  loss: mse(x @ W + b, y)\n",
        "3:6: init linear of a 1-D param needs fan_in: (the layer's inputs; a 2-D weight used as x @ W "
        "has fan_in = shape[0])",
    ),
    (
        "a key the init does not use",
        "params:\n  W: {shape: [2, 2], init: zeros, seed: 1}\n" + AD + AM,
        "2:35: init zeros does not use 'seed' (it takes nothing besides shape)",
    ),
    (
        "a shape of zero",
        "params:\n  W: {shape: [2, 0], init: zeros}\n" + AD + AM,
        "2:18: param 'W' shape must be at least 1, not 0",
    ),
    (
        "matmul shapes",
        AW + "data:\n  x: [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1, 2, 3], [4, 5, 6]]\n"
        + "  y: [1.0, 0.0, 1.0, 0.0]\nmodel:\n  h: sigmoid(x @ W)\n  loss: mean(h)\n",
        "7:14: x @ W: (4, 3) @ (2, 2) cannot be multiplied (3 ≠ 2)",
    ),
    (
        "broadcast shapes",
        AW + "  b: [1.0, 2.0, 3.0]\n" + AD + "model:\n  loss: mean(x @ W + b)\n",
        "8:14: x @ W + b: (4, 2) + (3,) cannot be broadcast",
    ),
    (
        "keyword typo",
        AW + AD + "model:\n  loss: mean(x @ W, axes=0)\n",
        "7:21: mean() has no keyword 'axes'; did you mean 'axis'? (it takes axis)",
    ),
    (
        "keyword value typo",
        AW + AD + "model:\n  loss: 'mse(x @ W, y, reduction=\"summ\")'\n",
        '7:34: mse(): reduction="summ" is not allowed; did you mean "sum"? (it may be "mean", "sum")',
    ),
    (
        "keyword text without quotes",
        AW + AD + "model:\n  loss: mse(x @ W, y, reduction=sum)\n",
        '7:33: write "sum" in quotes: reduction="sum"',
    ),
    (
        "keyword of a function without keywords",
        AW + AD + "model:\n  loss: mean(sigmoid(x @ W, axis=0))\n",
        "7:29: sigmoid() takes no keyword arguments ('axis=')",
    ),
    (
        "keyword given twice",
        AW + AD + "model:\n  loss: mean(x @ W, axis=0, axis=1)\n",
        "7:29: mean(): 'axis=' is given twice",
    ),
    (
        # The parts are said as written (sigmoid(x @ W)), not by the graph's names (loss₂).
        "loss of two shapes",
        AW + "data:\n  x: [[1.0, 2.0], [3.0, 4.0]]\n  y: [[1.0], [0.0]]\n"
        + "model:\n  loss: mse(sigmoid(x @ W), y)\n",
        "7:9: mse(sigmoid(x @ W), y): sigmoid(x @ W) is (2, 2) but y is (2, 1): "
        "they must have the same shape",
    ),
    (
        # Predict computes x @ W only (loss needs y): its shapes are checked with predict's x.
        "predict of another shape",
        AW + AD + AM + "predict: {x: [1.0, 2.0, 3.0]}\n",
        "8:14: predict: x @ W: (3,) @ (2, 2) cannot be multiplied (3 ≠ 2)",
    ),
    (
        "loss with one argument",
        AW + AD + "model:\n  loss: mse(x @ W)\n",
        "7:9: mse() takes exactly two arguments",
    ),
    (
        "label outside the classes",
        AW + "data:\n  x: [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]\n  y: [0, 2, 1]\n"
        + "model:\n  loss: cross_entropy(x @ W, y)\n",
        "5:10: data 'y' row 2: label 2 is outside 0…1 (cross_entropy(x @ W, y) has 2 classes)",
    ),
    (
        "input label outside the classes",
        AW + "inputs:\n  x: [[1.0, 2.0], [3.0, 4.0]]\n  y: [0, 2]\nmodel:\n  loss: cross_entropy(x @ W, y)\n",
        "5:6: input 'y' row 2: label 2 is outside 0…1 (cross_entropy(x @ W, y) has 2 classes)",
    ),
    (
        "label not whole",
        AW + "data:\n  x: [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]\n  y: [0, 1, 0.5]\n"
        + "model:\n  loss: cross_entropy(x @ W, y)\n",
        "5:13: data 'y' row 3: label 0.5 is not a whole number (a class is 0…1)",
    ),
    (
        "expect grad of the wrong shape",
        AW + AD + AM + "expect:\n  grad: {W: [1.0, 2.0]}\n",
        "9:13: expect grad 'W' is (2,), but W is (2, 2)",
    ),
    (
        "expect value a number for an array param",
        AW + AD + AM + "expect:\n  params: {W: 1.0}\n",
        "9:15: expect value 'W' is a number, but W is (2, 2)",
    ),
    (
        "batch_size zero",
        AW + AD + AM + "train: {lr: 0.1, batch_size: 0}\n",
        "8:30: batch_size must be at least 1, not 0",
    ),
    (
        "shuffle one sample at a time",
        P + D + M + "train: {lr: 0.1, shuffle: {seed: 0}}\n",
        "8:18: shuffle needs batch_size: one sample per step takes the samples in order "
        "(add batch_size: N to draw batches of N shuffled rows)",
    ),
    (
        "shuffle true",
        AW + AD + AM + "train: {lr: 0.1, batch_size: 2, shuffle: true}\n",
        "8:42: shuffle must be {seed: N} (a whole number, so every run takes the same order), "
        "not the boolean true",
    ),
    (
        "optimizer typo",
        AW + AD + AM + "train: {lr: 0.1, optimizer: adamw}\n",
        "8:29: unknown optimizer 'adamw'; did you mean 'adam'? (allowed: sgd, adam)",
    ),
    (
        "optimizer key of the other one",
        AW + AD + AM + "train: {lr: 0.1, optimizer: {name: sgd, betas: [0.9, 0.99]}}\n",
        "8:41: 'betas' is adam's; sgd takes momentum",
    ),
]
