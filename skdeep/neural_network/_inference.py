"""Inference paths: a NumPy forward pass on the CPU, a compiled batched call on GPUs.

``keras.Model.predict`` costs ~50 ms per call on small inputs (a fresh data pipeline,
a batch size of 32, callbacks). For the layers skdeep's architectures use (Dense,
BatchNormalization, Activation, Dropout, Concatenate) inference is a handful of matrix
products, so on the CPU we run them in NumPy, in the inputs' precision as
scikit-learn does (float64 predictions never depend on which rows share a batch).
On a GPU the data stays on the device and a traced model call runs over large batches.
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.special import erf, expit, softmax

from skdeep.neural_network._graph import supported

_FLOAT32, _FLOAT64 = np.dtype(np.float32), np.dtype(np.float64)


def _leaky_relu(x, negative_slope=0.2):
    return np.where(x >= 0, x, negative_slope * x)


def _elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def _selu(x):
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    return scale * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _gelu(x):
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


NUMPY_ACTIVATIONS = {
    "linear": lambda x: x,
    "sigmoid": expit,
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0),
    "elu": _elu,
    "selu": _selu,
    "leaky_relu": _leaky_relu,
    "gelu": _gelu,
    "silu": lambda x: x * expit(x),
    "softmax": lambda x: softmax(x, axis=-1),
    "softplus": lambda x: np.logaddexp(x, 0),
    "exponential": np.exp,
}


def _softmax_in_place(h):
    """``scipy.special.softmax(h, axis=-1)`` written into ``h``: the same operations,
    the same results, without its three temporaries (~25 % faster)."""
    h -= h.max(axis=-1, keepdims=True)
    np.exp(h, out=h)
    h /= h.sum(axis=-1, keepdims=True)
    return h


# Activations that can overwrite their input (a Dense layer's own buffer).
_IN_PLACE = {
    "linear": lambda h: h,
    "sigmoid": lambda h: expit(h, out=h),
    "tanh": lambda h: np.tanh(h, out=h),
    "softmax": _softmax_in_place,
}


class _RowOperand:
    """A vector applied to every row of a C-contiguous matrix, in place, in few loops.

    NumPy runs ``ufunc(h, row, out=h)`` as one inner loop per row of ``h``: for rows of
    100 units the per-loop cost is a third of the time. Viewing ``group`` consecutive
    rows as one long row (against ``row`` tiled ``group`` times) divides the number of
    loops by ``group``; leftover rows take the plain loop. The same arithmetic either
    way, element by element.
    """

    def __init__(self, row, width=8192):
        self.row = row
        self.group = max(1, width // max(row.size, 1))
        self.tiled = np.tile(row, self.group)

    def apply(self, ufunc, h):
        """``ufunc(h, row, out=h)``; returns ``h``."""
        n = h.shape[0]
        if n < self.group or not h.flags.c_contiguous:
            return ufunc(h, self.row, out=h)
        body = n - n % self.group
        if body:
            rows = h[:body].reshape(-1, self.tiled.size)
            ufunc(rows, self.tiled, out=rows)
        if body < n:
            ufunc(h[body:], self.row, out=h[body:])
        return h


class NonFiniteInputError(ValueError):
    """An input of a pass run with ``check_finite=True`` holds NaN or infinity."""


def _dense(kernel, bias, activation, dtype, fold=False, check=False):
    """A Dense layer in inference mode, ``activation(x @ kernel + bias)``.

    Called as ``fn(x, out)``, it writes into ``out``, a buffer of ``fn.width``
    columns the caller owns and reuses (``logits=True`` skips the activation).
    ``kernel`` and ``bias`` (None for none) are float64, cast to ``dtype`` here.

    With ``fold`` (ReLU only) it returns ``max(x @ kernel, -bias)``, the activation
    minus ``bias``: the layers reading it add ``bias @ kernel`` to their own bias
    (``_fold_biases``), which saves a pass over the activations.

    With ``check`` the layer also checks that ``x`` is finite, inside its matrix
    product: the kernel gets a last column of ``2**-k`` (``2**k >= n_inputs``), so
    the buffer's last column holds each row's sum scaled down, which is NaN or
    infinite exactly when the row holds NaN or infinity (the scale is a power of
    two, and the scaled sum of finite values hardly ever overflows). Called with
    ``check_finite=True`` it raises ``NonFiniteInputError`` for such ``x``, without
    the RuntimeWarnings that infinities cause in the product. The row operations
    give that column neutral values, and the layer returns the other columns (a
    view: Dense readers take it as it is). A separate ``np.isfinite(X).all()`` pass
    costs ~10 % of a 15k-row predict (benchmarks/peers.py).
    """
    units = kernel.shape[1]
    kernel = kernel.astype(dtype)
    if check:
        scale = 2.0 ** -np.ceil(np.log2(max(len(kernel), 1)))
        kernel = np.hstack([kernel, np.full((len(kernel), 1), scale, dtype)])

    def row(values, check_value):
        """A row operand over the buffer's width."""
        values = values.astype(dtype)
        return _RowOperand(
            np.append(values, dtype.type(check_value)) if check else values
        )

    def product(x, out, check_finite):
        if not check_finite:
            return np.matmul(x, kernel, out=out)
        # inf - inf and inf * 0 come from non-finite inputs only (finite ones
        # overflow first, and that still warns)
        with np.errstate(invalid="ignore"):
            return np.matmul(x, kernel, out=out)

    def columns(x, h, check_finite):
        """The layer's columns of ``h``; raises if ``x`` is not finite.

        Looked at after the row operations, which keep the last column's NaN and
        infinities (they add 0 and take the maximum with -inf there) and leave it
        in this core's cache: read straight after the product, from the caches of
        the BLAS threads, this strided column cost 80 us a chunk.
        """
        if not check:
            return h
        # (rounding could still overflow a sum of values near the largest float:
        # then look at the values themselves)
        if (
            check_finite
            and not np.isfinite(h[:, units]).all()
            and not np.isfinite(x).all()
        ):
            raise NonFiniteInputError("the input holds NaN or infinity")
        return h[:, :units]

    if fold:
        floor = row(-bias, -np.inf)

        def dense(x, out, check_finite=False):
            h = floor.apply(np.maximum, product(x, out, check_finite))
            return columns(x, h, check_finite)

    else:
        bias = None if bias is None else row(bias, 0)
        act = NUMPY_ACTIVATIONS[activation]
        in_place = _IN_PLACE.get(activation)
        # ReLU against a row of zeros: ``np.maximum`` with a scalar 0 takes its slow
        # broadcasting loop (measured twice as long).
        zeros = row(np.zeros(units), -np.inf) if activation == "relu" else None

        def dense(x, out, logits=False, check_finite=False):
            h = product(x, out, check_finite)
            if bias is not None:
                bias.apply(np.add, h)
            if zeros is not None and not logits:
                zeros.apply(np.maximum, h)
            h = columns(x, h, check_finite)
            if logits or zeros is not None:
                return h
            return in_place(h) if in_place is not None else act(h)

    dense.units, dense.width = units, kernel.shape[1]
    return dense


def _layer_function(step, weights, dtype):
    """A NumPy function computing a plan's ``step`` (not Dense) in inference mode.

    Called as ``fn(x, out)`` like ``_dense``'s functions; ``out`` is unused.
    """
    kind = step["kind"]
    if kind == "BatchNormalization":
        values = {
            name: np.asarray(weights[i]).astype(dtype)
            for name, i in step["weights"].items()
        }
        scale = values.get("gamma", 1.0) / np.sqrt(
            values["moving_variance"] + step["epsilon"]
        )
        shift = values.get("beta", 0.0) - values["moving_mean"] * scale
        return lambda x, out: x * scale + shift
    if kind == "Activation":
        act = NUMPY_ACTIVATIONS[step["activation"]]
        return lambda x, out: act(x)
    if kind in ("Dropout", "AlphaDropout"):
        return lambda x, out: x
    if kind == "LeakyReLU":
        slope = float(step["negative_slope"])
        return lambda x, out: _leaky_relu(x, slope)
    if kind == "Concatenate":
        axis = int(step["axis"])
        return lambda xs, out: np.concatenate(xs, axis=axis)
    raise NotImplementedError(kind)


def _fold_biases(plan, weights):
    """``(kernel, bias, fold)`` in float64 for each Dense step of ``plan`` (None for
    the others), from ``weights`` (see ``_inference_plan.describe``).

    A ReLU Dense layer read only by Dense layers (through Dropout), and no model
    output, is folded: it outputs ``max(x @ kernel, -bias)`` and its readers take
    ``bias @ their kernel`` into their bias. ``relu(h + b) @ W + c`` is
    ``max(h, -b) @ W + (b @ W + c)``: the same up to rounding, one pass fewer.
    """
    steps, output_ids = plan["steps"], plan["outputs"]
    readers = {}
    for step in steps:
        for tensor in step["inputs"]:
            readers.setdefault(tensor, []).append(step)

    def read_by_dense_only(tensor):
        if tensor in output_ids or tensor not in readers:
            return False
        return all(
            r["kind"] == "Dense"
            or (r["kind"] == "Dropout" and read_by_dense_only(r["output"]))
            for r in readers[tensor]
        )

    offsets = {}  # tensor -> the vector its stored values lack
    folded = []
    for step in steps:
        kind = step["kind"]
        if kind == "Dropout" and step["inputs"][0] in offsets:
            offsets[step["output"]] = offsets[step["inputs"][0]]
        if kind != "Dense":
            folded.append(None)
            continue
        places = step["weights"]
        kernel = np.asarray(weights[places["kernel"]], dtype=np.float64)
        bias = (
            np.asarray(weights[places["bias"]], dtype=np.float64)
            if "bias" in places
            else None
        )
        offset = offsets.get(step["inputs"][0])
        if offset is not None:
            bias = offset @ kernel + (0.0 if bias is None else bias)
        fold = step["activation"] == "relu" and read_by_dense_only(step["output"])
        if fold:
            bias = np.zeros(kernel.shape[1]) if bias is None else bias
            offsets[step["output"]] = bias
        folded.append((kernel, bias, fold))
    return folded


def numpy_supported(model):
    """Whether every layer of ``model`` has a NumPy implementation here."""
    return supported(model, NUMPY_ACTIVATIONS, extra_layers={"AlphaDropout"})


# A gap between logits that rounding cannot close in the probabilities: these compare
# ``exp(z - max)`` near 1, where floats are ``eps / 2`` apart, so ``64 * eps`` is ~128
# of those steps against a few steps of rounding in ``exp``, the sum and the division
# (``1 + exp(-z)`` for sigmoid). Narrow enough that hardly a row in 10^4 is looked at.
_TOLERANCES = {dtype: float(64 * np.finfo(dtype).eps) for dtype in (_FLOAT32, _FLOAT64)}


def _argmax_of_softmax(z, out):
    """``np.argmax(softmax(z), axis=1)`` into ``out``, from the logits ``z`` (which
    it may overwrite).

    Softmax is increasing, so the largest logit has the largest probability; but
    rounding can make probabilities of logits a few ulps apart equal, and argmax
    then takes the first. Rows whose largest logit has another within a tolerance,
    or is not finite, are decided on their probabilities, computed as ``__call__``
    computes them (``_softmax_in_place``); the others on their logits.
    """
    if len(z) <= 16:  # so few rows that their probabilities cost less than the rule
        return _softmax_in_place(z).argmax(axis=1, out=out)
    if z.shape[1] <= _FEW_CLASSES:
        top, close = _close_to_top_by_class(z, out)
        classes_axis = 0
    else:
        z.argmax(axis=1, out=out)
        top = z.ravel().take(out + np.arange(0, z.size, z.shape[1]))
        close = z >= (top - _TOLERANCES[z.dtype])[:, None]
        classes_axis = 1
    # The rule: one close logit per row (the largest itself), all largest finite.
    if np.count_nonzero(close) != len(z) or not np.isfinite(top).all():
        rows = np.flatnonzero(
            (np.count_nonzero(close, axis=classes_axis) != 1) | ~np.isfinite(top)
        )
        out[rows] = np.argmax(_softmax_in_place(z[rows]), axis=1)
    return out


# Up to this many classes, ``_close_to_top_by_class`` beats ``argmax(axis=1)``, whose
# inner loop runs once per row (measured on 4096 rows: 3x faster for 10 classes,
# 1.6x at 32, 1.9x slower at 64).
_FEW_CLASSES = 32


def _close_to_top_by_class(z, out):
    """The largest logit of each row and the logits close to it, with ``z``'s
    classes laid out as rows: NumPy's loops then run along the samples.

    Returns ``(top, close)``, ``close`` of shape (n_classes, n_rows). ``out`` gets
    the index of the close logit of the rows that have exactly one (the others are
    left to the caller).
    """
    by_class = np.ascontiguousarray(z.T)
    top = by_class.max(axis=0)  # NaN where a row has one, like argmax
    close = by_class >= (top - _TOLERANCES[z.dtype])
    # The index of the single close class: sum_j j * close[j], in bytes (the
    # classes number at most _FEW_CLASSES; rows with several close are redone).
    classes = np.arange(len(by_class), dtype=np.uint8)[:, None]
    out[:] = (close.view(np.uint8) * classes).sum(axis=0, dtype=np.uint8)
    return top, close


def _sigmoid_above_half(z, out):
    """``sigmoid(z) > 0.5`` into the boolean ``out``, from the logits ``z``.

    That is ``z > 0`` except for tiny positive ``z``, whose probability rounds to
    0.5: those few are decided on their probabilities, computed as ``__call__`` does.
    """
    np.greater(z, 0, out=out)
    near = out & (z < _TOLERANCES[z.dtype])
    if near.any():
        out[near] = expit(z[near]) > 0.5
    return out


def _dtype_of(inputs):
    """float32 when every input is float32, else float64 (scikit-learn's rule)."""
    for x in inputs:
        if x.dtype != _FLOAT32:
            return _FLOAT64
    return _FLOAT32


class NumpyForward:
    """The inference-mode forward pass of a functional Keras model, in NumPy.

    Built from the model (the graph is walked once and the weights copied: build a
    new one after the model trains), or with ``from_plan`` from that walk's plain
    description and the weights (``_inference_plan.describe``), without Keras; it
    pickles as the latter. Like scikit-learn's MLP, it computes in the inputs'
    precision: float32 inputs in float32 (twice as fast on large batches), anything
    else in float64.

    Rows go through the network a chunk at a time (``chunk_bytes``), each Dense layer
    writing into a buffer reused by every chunk: the activations of a chunk stay in
    the CPU caches and no large temporary is allocated.

    Called with ``check_finite=True``, a pass raises ``NonFiniteInputError`` if an
    input holds NaN or infinity: inputs read by a Dense layer are checked inside its
    matrix product (``_dense``), the others chunk by chunk.
    """

    checks_finite = True  # the passes take ``check_finite``

    # Bytes of a chunk's widest activations (4096 rows of 100 float32 units): about
    # a core's L2 cache. Measured on 15k rows x 100 features (benchmarks/peers.py):
    # half or twice as much is 3-10 % slower.
    chunk_bytes = 4096 * 100 * 4

    def __init__(self, model):
        from skdeep.neural_network._inference_plan import describe

        self._build(*describe(model))

    @classmethod
    def from_plan(cls, plan, weights):
        """The pass ``plan`` describes, with ``weights`` (``describe``'s output)."""
        forward = cls.__new__(cls)
        forward._build(plan, weights)
        return forward

    def __reduce__(self):
        return type(self).from_plan, (self.plan, self.weights)

    def _build(self, plan, weights):
        self.plan, self.weights = plan, list(weights)
        self._input_ids, steps = plan["inputs"], plan["steps"]
        self._output_ids = plan["outputs"]
        self._output_units = [int(k) for k in plan["output_units"]]
        folded = _fold_biases(plan, self.weights)
        # Dense layers computing a model output give logits on request.
        has_logits = [
            dense is not None and step["output"] in self._output_ids
            for step, dense in zip(steps, folded)
        ]
        # The first Dense layer reading each input checks it (see ``_dense``).
        checkers = {}
        for i, (step, dense) in enumerate(zip(steps, folded)):
            if dense is not None and step["inputs"][0] in self._input_ids:
                checkers.setdefault(step["inputs"][0], i)
        self._unchecked_inputs = [i for i in self._input_ids if i not in checkers]
        checking = set(checkers.values())
        self._programs = {}
        for dtype in (_FLOAT32, _FLOAT64):
            program = []
            for i, (step, dense, logits) in enumerate(zip(steps, folded, has_logits)):
                if dense is None:
                    fn = _layer_function(step, self.weights, dtype)
                else:
                    fn = _dense(
                        *dense[:2],
                        step["activation"],
                        dtype,
                        fold=dense[2],
                        check=i in checking,
                    )
                program.append(
                    _Instruction(
                        fn,
                        step["inputs"],
                        step["output"],
                        step["is_list"],
                        getattr(fn, "width", None),
                        logits,
                        i in checking,
                    )
                )
            self._programs[dtype] = program
        self._widest = max([getattr(op.fn, "units", 1) for op in program], default=1)
        self._output_activation = None  # of a one-output classifier (see labels)
        if len(self._output_ids) == 1:
            for step, logits in zip(steps, has_logits):
                if logits:
                    self._output_activation = step["activation"]

    def __call__(self, *inputs, check_finite=False):
        n = inputs[0].shape[0]
        dtype = _dtype_of(inputs)
        outputs = [np.empty((n, k), dtype) for k in self._output_units]
        self._run(inputs, dtype, outputs, logits=False, check_finite=check_finite)
        return outputs[0] if len(outputs) == 1 else outputs

    def labels(self, *inputs, check_finite=False):
        """What decoding the probabilities of a one-output classifier gives.

        For a softmax output, the index of the largest probability (``np.argmax``
        of ``self(*inputs)``, shape (n_samples,)); for sigmoid outputs, whether each
        probability exceeds 0.5 (booleans of shape (n_samples, n_outputs)). Decided
        on the logits, which skips the exponentials; equal to decoding the
        probabilities row for row, ties and rounding included.
        """
        activation = self._output_activation
        if activation not in ("softmax", "sigmoid"):
            raise ValueError(
                "labels needs one Dense output with a softmax or sigmoid activation, "
                f"got {activation!r}."
            )
        dtype = _dtype_of(inputs)
        z = np.empty((inputs[0].shape[0], self._output_units[0]), dtype)
        self._run(inputs, dtype, [z], logits=True, check_finite=check_finite)
        # Decided once, after every chunk: chunk by chunk, the rule's temporaries
        # met caches the chunks had just filled (measured 0.5 ms slower on 15k rows
        # of 10 classes).
        if activation == "softmax":
            return _argmax_of_softmax(z, np.empty(len(z), np.intp))
        return _sigmoid_above_half(z, np.empty(z.shape, bool))

    def _chunk_rows(self, inputs, dtype):
        widest = self._widest
        for x in inputs:
            widest = max(widest, x.shape[1])
        return max(1, self.chunk_bytes // (widest * dtype.itemsize))

    def _run(self, inputs, dtype, outputs, logits, check_finite):
        """Fill ``outputs`` (an array for each model output), a chunk of rows at a
        time; with ``logits`` the output layers skip their activation.

        A Dense layer computing an output writes into its rows of that array;
        the other layers into buffers that every chunk reuses.
        """
        n = inputs[0].shape[0]
        rows = max(1, min(n, self._chunk_rows(inputs, dtype)))
        program = self._programs[dtype]
        targets = dict(zip(self._output_ids, outputs))
        direct = [
            op.output in targets and op.width == targets[op.output].shape[1]
            for op in program
        ]
        # One block for every buffer: a single allocation, reused by the allocator
        # from call to call (separate ones can go back to the OS and fault again).
        widths = [
            None if op.width is None or is_direct else op.width
            for op, is_direct in zip(program, direct)
        ]
        block = np.empty(rows * sum(w or 0 for w in widths), dtype)
        offset, buffers = 0, []
        for width in widths:
            if width is None:
                buffers.append(None)
            else:
                buffers.append(
                    block[offset : offset + rows * width].reshape(rows, width)
                )
                offset += rows * width
        unchecked = self._unchecked_inputs if check_finite else ()
        for start in range(0, n, rows):
            stop = min(start + rows, n)
            m = stop - start
            values = {
                i: np.asarray(x[start:stop], dtype=dtype)
                for i, x in zip(self._input_ids, inputs)
            }
            for i in unchecked:
                if not np.isfinite(values[i]).all():
                    raise NonFiniteInputError("the input holds NaN or infinity")
            for op, buffer, is_direct in zip(program, buffers, direct):
                x = (
                    [values[i] for i in op.inputs]
                    if op.is_list
                    else values[op.inputs[0]]
                )
                kwargs = {}
                if logits and op.logits:
                    kwargs["logits"] = True
                if op.checks:
                    kwargs["check_finite"] = check_finite
                target = targets.get(op.output)
                out = (
                    target[start:stop]
                    if is_direct
                    else (None if buffer is None else buffer[:m])
                )
                value = values[op.output] = op.fn(x, out, **kwargs)
                if target is not None and value is not out:
                    target[start:stop] = value


class _Instruction(NamedTuple):
    """One step of a ``NumpyForward`` program."""

    fn: Callable  # fn(x, out, **kwargs) -> the step's output
    inputs: list  # tensor ids
    output: int  # tensor id
    is_list: bool  # fn takes a list of arrays
    width: int | None  # columns of the buffer fn writes into (None: no buffer)
    logits: bool  # fn computes a model output and takes ``logits=True``
    checks: bool  # fn checks its input's finiteness, takes ``check_finite``
