"""A scenario's sections checked one by one (params, data, model, train, expect, manual)
and put together into a ``Scenario``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from stepgrad.engine.graph import Graph, Node
from stepgrad.engine.plan import Plan
from stepgrad.engine.program import Optimizer, Program
from stepgrad.engine.shapes import shape_text
from stepgrad.errors import ScenarioError
from stepgrad.language.expr import ExprError, ModelBuilder, line_of, parse_expression, referenced_names
from stepgrad.language.formula import FormulaError, compile_formula
from stepgrad.scenario.datasection import DataSection
from stepgrad.scenario.fields import LARGEST
from stepgrad.scenario.scenario import Expect, Scenario
from stepgrad.scenario.shaped import ShapeCheck
from stepgrad.scenario.training import Training, TrainSection
from stepgrad.scenario.values import Shape, shape_of
from stepgrad.scenario.words import article, hint, kind, shorten
from stepgrad.scenario.yamlloc import Loc

TOP_KEYS = (
    "name", "description", "dtype", "inputs", "params", "model", "loss", "data", "train",
    "predict", "expect", "manual",
)
EXPECT_KEYS = ("grad", "loss", "params", "predict")
DTYPES = ("float64", "float32")
MAX_STEPS = 10_000_000

NOT_A_SCENARIO = "is not a stepgrad scenario (expected a mapping with params and model)"


class Checker(DataSection, TrainSection, ShapeCheck):
    """Reads a whole scenario, section by section, into a ``Scenario``.

    Args:
        path: the file as the user named it.
    """

    def scenario(self, root: Loc, short: str | None) -> Scenario:
        """The whole scenario, its sections checked in the order they depend on each other."""
        if not isinstance(root.value, dict) or not set(root.value) & set(TOP_KEYS):
            # Some other file (a password file, notes): its text is not ours to echo.
            raise self.fail((1, 1), NOT_A_SCENARIO)
        top = root.value
        self.keys(root, TOP_KEYS, "the scenario")
        for required in ("params", "model"):
            if required not in top:
                raise self.fail(root, f"missing required key '{required}'")

        name = self.text(top.get("name"), "name") or Path(self.path).stem
        description = self.text(top.get("description"), "description", lines=True) or ""
        dtype = "float64"
        if "dtype" in top:
            dtype = str(top["dtype"].value)
            if dtype not in DTYPES:
                close = hint(dtype, list(DTYPES))
                raise self.fail(
                    top["dtype"], f"dtype must be float64 or float32, not {kind(top['dtype'].value)}{close}"
                )
        self.dtype = dtype
        self.largest = LARGEST[dtype]

        inputs = self.named_values(top["inputs"], "inputs") if "inputs" in top else {}
        params = self.named_values(top["params"], "params", inits=True)
        if not params:
            raise self.fail(top["params"], "params is empty; a scenario needs at least one param")
        for k in params:
            if k in inputs:
                raise self.fail(top["params"].keys[k], f"'{k}' is both an input and a param")

        data, row_shapes = self.data(top["data"], inputs, params) if "data" in top else (None, {})
        input_names = list(inputs) + [k for k in (data or {}) if k not in inputs]

        leaves = [Node(i, k, "input") for i, k in enumerate(input_names)]
        leaves += [Node(len(leaves) + j, k, "param") for j, k in enumerate(params)]
        graph = self.model(top["model"], leaves, top.get("loss"), dtype)

        for k in params:
            pid = graph.by_name[k]
            if not graph.requires_grad[graph.loss] or not _reaches(graph, pid, graph.loss):
                raise self.fail(
                    top["params"].keys[k],
                    f"param '{k}' is never used by the loss '{graph.nodes[graph.loss].name}'",
                )

        training = self.train(top["train"], data) if "train" in top else Training()

        predict = None
        given: dict[str, tuple[Any, Loc, Shape]] = {}
        if "predict" in top:
            predict = {}
            given = self.named_values(top["predict"], "predict")
            for k, (v, _, _) in given.items():
                if k not in input_names:
                    raise self.fail(
                        top["predict"].keys[k],
                        f"predict gives '{k}', which is not an input{hint(k, input_names)}",
                    )
                predict[k] = v
            if not predict:
                raise self.fail(top["predict"], "predict is empty; give at least one input value")

        program = Program(
            graph=graph,
            dtype=dtype,
            inputs={k: v for k, (v, _, _) in inputs.items()},
            params={k: v for k, (v, _, _) in params.items()},
            data=data,
            epochs=training.epochs,
            lr=training.lr,
            zero_grad=training.zero_grad,
            predict=predict,
            batch_size=training.batch_size,
            shuffle_seed=training.shuffle_seed,
            optimizer=training.optimizer or Optimizer(),
        )
        program = self._defaults(program, training, top.get("train"))
        if program.n_steps > MAX_STEPS:
            raise self.fail(
                top["train"],
                f"{shorten(str(program.n_steps), 20)} training steps is too many (at most {MAX_STEPS})",
            )
        program = self._shaped(program, inputs | params, row_shapes, given)
        expect = self.expect(top["expect"], program) if "expect" in top else None
        manual = self.manual(top["manual"], params, graph) if "manual" in top else {}
        where = dict(self.node_where)
        where.update({k: (v.line, v.col) for k, (_, v, _) in params.items()})
        where.update({k: (v.line, v.col) for k, (_, v, _) in inputs.items()})
        if "data" in top:
            where.update({k: (v.line, v.col) for k, v in top["data"].value.items() if k in input_names})
        if "train" in top and "lr" in top["train"].value:
            lr_loc = top["train"].value["lr"]
            where["lr"] = (lr_loc.line, lr_loc.col)
        return Scenario(self.path, name, description, program, expect, manual, short, where)

    def _shaped(
        self,
        program: Program,
        leaves: dict[str, tuple[Any, Loc, Shape]],
        row_shapes: dict[str, Shape],
        given: dict[str, tuple[Any, Loc, Shape]],
    ) -> Program:
        """The program once its shapes are checked (the model's, and what predict computes
        from its values), with the class labels of ``cross_entropy`` checked and made ints.

        Args:
            leaves: the inputs and params, with their locations and shapes.
            row_shapes: each data column's sample shape.
            given: predict's values, with their locations and shapes.
        """
        graph, data = program.graph, program.data
        shapes = {graph.by_name[k]: shape for k, (_, _, shape) in leaves.items()}
        batch = program.batch_size
        for k, shape in row_shapes.items():
            # A step's batch: batch_size rows stacked (all of them when there are fewer).
            shapes[graph.by_name[k]] = shape if batch is None else (min(batch, program.n_rows), *shape)
        inferred = self.infer(graph, shapes)
        if inferred is None:
            return program
        if given:
            fixed = {i: s for i, s in shapes.items() if graph.nodes[i].name not in (data or {})}
            self.infer_predict(graph, fixed, {k: (shape, loc) for k, (_, loc, shape) in given.items()})
        if data:
            program = replace(program, data=self.labels(graph, inferred, data, self.data_where))
        rows = {k: tuple(v) for k, v in program.inputs.items() if isinstance(v, list)}
        if rows:
            at = {k: [(self.path, leaves[k][1].line, leaves[k][1].col)] * len(v) for k, v in rows.items()}
            labelled = self.labels(graph, inferred, rows, at, "input")
            program = replace(program, inputs={**program.inputs, **{k: list(v) for k, v in labelled.items()}})
        return program

    def _defaults(self, program: Program, training: Training, loc: Loc | None) -> Program:
        """An array scenario's defaults: the whole data set per step, torch's SGD; and
        ``shuffle`` refused where the samples are taken one by one, in order."""
        if program.arrays:
            if program.batch_size is None and program.shuffle_seed is not None and loc is not None:
                raise self.fail(
                    loc.keys["shuffle"],
                    "shuffle needs batch_size: without it every step takes the whole data set, "
                    "whose order changes nothing (add batch_size: N, as a DataLoader's batch_size)",
                )
            if program.batch_size is None and program.data:
                program = replace(program, batch_size=program.n_rows)
            if training.optimizer is None:
                program = replace(program, optimizer=Optimizer(name="sgd"))
        elif program.shuffle_seed is not None and loc is not None:
            raise self.fail(
                loc.keys["shuffle"],
                "shuffle needs batch_size: one sample per step takes the samples in order "
                "(add batch_size: N to draw batches of N shuffled rows)",
            )
        return program


    def model(self, loc: Loc, leaves: list[Node], loss_loc: Loc | None, dtype: str) -> Graph:
        """``model:``: each assignment parsed and compiled into the graph; the loss node last."""
        entries = self.mapping(loc, "model")
        if not entries:
            raise self.fail(
                loc, "model is empty; write at least one assignment like 'loss: (x * w - y) ** 2'"
            )
        taken = {n.name: n.op for n in leaves}
        trees = {}
        for target, eloc in entries.items():
            pos = loc.keys[target]
            self.ident(target, pos, "model")
            if target in taken:
                raise self.fail(pos, f"'{target}' is already {article(taken[target])}; pick another name")
            if isinstance(eloc.value, bool) or not isinstance(eloc.value, (str, int, float)):
                raise self.fail(eloc, f"model '{target}' must be an expression, not {kind(eloc.value)}")
            try:
                trees[target] = parse_expression(str(eloc.value))
            except ExprError as e:
                raise self.expr_fail(eloc, e) from None
        refs = {t: referenced_names(tree) for t, tree in trees.items()}
        builder = ModelBuilder(
            leaves, list(entries), refs, dtype=dtype, largest=LARGEST[dtype]
        )
        for target, tree in trees.items():
            try:
                builder.add(target, tree)
            except ExprError as e:
                raise self.expr_fail(entries[target], e) from None
            except RecursionError:
                raise self.fail(entries[target], "expression is nested too deeply") from None
        self.node_where = {}
        self.node_text = dict(builder.texts)
        for name, off in builder.offsets.items():
            self.node_where[name] = entries[line_of(name)].locate(off)
        names = list(entries)
        loss_name = names[-1]
        if loss_loc is not None:
            if not isinstance(loss_loc.value, str):
                raise self.fail(loss_loc, f"loss must be a model name, not {kind(loss_loc.value)}")
            loss_name = loss_loc.value
            if loss_name not in names:
                what = f"{article(taken[loss_name])}, not a model name" if loss_name in taken else (
                    "not a model name"
                )
                raise self.fail(loss_loc, f"loss '{loss_name}' is {what}{hint(loss_name, names)}")
        return Graph(tuple(builder.nodes), builder.names[loss_name])

    def expr_fail(self, eloc: Loc, e: ExprError) -> ScenarioError:
        """An expression error located in the file (its offset within the written text)."""
        line, col = eloc.locate(e.offset)
        return ScenarioError(self.path, e.message, line, col)

    def expect(self, loc: Loc, program: Program) -> Expect:
        """``expect:``: the grads, loss, params and predictions ``stepgrad check`` asserts."""
        graph, predict = program.graph, program.predict
        m = self.mapping(loc, "expect")
        self.keys(loc, EXPECT_KEYS, "expect")
        params = [graph.nodes[p].name for p in graph.params]
        grad: dict[str, Any] = {}
        values: dict[str, Any] = {}
        for key, target in (("grad", grad), ("params", values)):
            if key in m:
                for k, (v, at, shape) in self.named_values(m[key], key).items():
                    if k not in params:
                        raise self.fail(m[key].keys[k], f"'{k}' is not a param{hint(k, params)}")
                    # Said now, not after a whole run: check could only report a mismatch.
                    own = program.params[k]
                    own_shape = tuple(getattr(own, "shape", None) or shape_of(own))
                    if tuple(shape) != own_shape:
                        what = "value" if key == "params" else key
                        said = shape_text(tuple(shape)) if shape else "a number"
                        raise self.fail(
                            at, f"expect {what} '{k}' is {said}, but {k} is {shape_text(own_shape)}"
                        )
                    target[k] = v
        loss = self.number(m["loss"], "expect loss") if "loss" in m else None
        pred: dict[str, Any] = {}
        if "predict" in m:
            if predict is None:
                raise self.fail(m["predict"], "expect predict needs a 'predict:' section")
            shown = [graph.nodes[i].name for i in Plan(program).predict_nodes]
            for k, (v, _, _) in self.named_values(m["predict"], "predict").items():
                if k not in graph.by_name or graph[k].is_leaf:
                    named = [n.name for n in graph.nodes if n.named and not n.is_leaf]
                    raise self.fail(m["predict"].keys[k], f"'{k}' is not a model name{hint(k, named)}")
                if k not in shown:
                    raise self.fail(m["predict"].keys[k], _not_predicted(program, k, shown))
                pred[k] = v
        return Expect(grad, loss, values, pred)

    def manual(self, loc: Loc, params: dict[str, Any], graph: Graph) -> dict[str, str]:
        """``manual:``: each hand derivation parsed and compiled against the model's names."""
        allowed = {n.name for n in graph.nodes if n.named}
        out: dict[str, str] = {}
        for k, v in self.mapping(loc, "manual").items():
            if k not in params:
                raise self.fail(
                    loc.keys[k], f"manual gives '{k}', which is not a param{hint(k, list(params))}"
                )
            if not isinstance(v.value, str):
                raise self.fail(v, f"manual '{k}' must be an expression, not {kind(v.value)}")
            try:
                parse_expression(v.value)
                compile_formula(v.value, allowed)
            except ExprError as e:
                raise self.expr_fail(v, e) from None
            except FormulaError as e:
                raise self.expr_fail(v, ExprError(e.message, e.offset)) from None
            out[k] = v.value
        return out


def _not_predicted(program: Program, name: str, shown: list[str]) -> str:
    """Why ``predict`` gives no value of model node ``name``, for ``expect: predict:``."""
    graph, known = program.graph, {**program.inputs, **(program.predict or {})}
    which = f"; expect predict can check {', '.join(shown)}" if shown else ""
    missing = [
        graph.nodes[i].name for i in graph.inputs
        if graph.nodes[i].name not in known and _reaches(graph, i, graph.by_name[name])
    ]
    if missing:
        needs = ", ".join(missing)
        return f"predict cannot compute '{name}': it needs {needs}, which predict does not give{which}"
    return f"'{name}' is not one of the model's outputs that predict shows{which}"


def _reaches(graph: Graph, src: int, dst: int) -> bool:
    seen = {dst}
    stack = [dst]
    while stack:
        n = stack.pop()
        if n == src:
            return True
        for a in graph.nodes[n].inputs:
            if a not in seen:
                seen.add(a)
                stack.append(a)
    return False
