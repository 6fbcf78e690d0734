"""The ``skdeep`` command, driven as a user drives it: in a subprocess, on files."""

import contextlib
import importlib.util
import io
import json
import os
import select
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from PIL import Image

import skdeep
from skdeep._cli import _tour_figures as figures
from skdeep._cli._commands import ESTIMATORS, parameter_constraints
from skdeep._cli._tour import STEPS

ROOT = Path(__file__).resolve().parents[1]
TF_CHATTER = ("I0000", "oneDNN", "absl::InitializeLog", "cuInit", "cpu_feature_guard")
# the command's main in a process that fails if TensorFlow or Keras was imported
TF_FREE = (
    "import sys; from skdeep.cli import main; rc = main(sys.argv[1:]); "
    "assert 'tensorflow' not in sys.modules, 'TensorFlow was imported'; "
    "assert 'keras' not in sys.modules, 'Keras was imported'; sys.exit(rc)"
)
# each command's main in one process, one after the other: its status (a SystemExit's
# code, as the process's), standard output and error, and which of TensorFlow and
# Keras the process holds after it
SEVERAL = """
import contextlib, io, json, sys
from skdeep.cli import main
results = []
for args in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(args)
        except SystemExit as stop:
            status = stop.code
    loaded = sorted(m for m in ("tensorflow", "keras") if m in sys.modules)
    results.append([status, out.getvalue(), err.getvalue(), loaded])
print(json.dumps(results))
"""


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the command must quiet TensorFlow itself
    return env


def run(*args, cwd, timeout=120):
    """``python -m skdeep ARGS`` in ``cwd``, this tree's skdeep first on the path."""
    return subprocess.run(
        [sys.executable, "-m", "skdeep", *map(str, args)],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_here(*args, cwd):
    """The command's ``main`` in this test process (TensorFlow, once loaded, is
    shared), in ``cwd``: for the results of a command; the subprocess ``run`` is for
    what a process shows (start-up chatter, exit, signals)."""
    from skdeep.cli import main

    out, err = io.StringIO(), io.StringIO()
    before = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main([str(a) for a in args])
    finally:
        os.chdir(before)
    return subprocess.CompletedProcess(args, status, out.getvalue(), err.getvalue())


def run_without_tensorflow(*args, cwd, timeout=60):
    """The command in a process that exits with a traceback if TensorFlow loads."""
    return subprocess.run(
        [sys.executable, "-c", TF_FREE, *map(str, args)],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_clean_error(result, *fragments, status=1):
    """A user error: the exit status, one line on stderr naming it, no traceback."""
    assert result.returncode == status, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """A small mixed table: two numbers, a text category, a class label, a price."""
    folder = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    n = 240
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "colour": rng.choice(["red", "green", "blue"], n),
        }
    )
    frame["label"] = np.where(frame.x1 + 2 * (frame.colour == "red") > 0.5, "yes", "no")
    frame["price"] = 2 * frame.x1 - frame.x2 + 1.5 * (frame.colour == "blue")
    frame.to_csv(folder / "train.csv", index=False)
    return folder, frame


def test_tour_quick_runs_every_step_quietly(tmp_path):
    out = tmp_path / "tour"
    # a generous limit: a guard against a hang, on a machine the other test
    # processes keep busy
    result = run("tour", "--quick", "--output", out, cwd=tmp_path, timeout=400)
    assert result.returncode == 0, result.stderr
    for chatter in TF_CHATTER:
        assert chatter not in result.stderr, result.stderr
    # progress line per step, then a table row per step with a reloaded model
    for i, step in enumerate(STEPS, 1):
        assert f"[{i}/{len(STEPS)}] {step.estimator}" in result.stdout
        assert (out / f"{step.estimator}.joblib").is_file()
    assert result.stdout.count("| identical") == len(STEPS), result.stdout
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) == len(STEPS)
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 5000, png  # a drawn figure, not an empty canvas
        # drawn by a figure function that checked labels and titles before saving
        # (tests/test_tour_figures.py tests each on tiny inputs)
        with Image.open(png) as image:
            assert image.text.get("Description") == figures.CHECKED, png
    # a tour model is a model file like any other
    info = run("info", out / "MLPClassifier.joblib", cwd=tmp_path)
    assert info.returncode == 0, info.stderr
    assert "MLPClassifier (classification)" in info.stdout
    assert "test accuracy" in info.stdout


def test_every_public_estimator_has_a_tour_step():
    estimators = {
        name for name in skdeep.__all__ if hasattr(getattr(skdeep, name), "fit")
    }
    # one wrapper step shows the three wrappers: they share fit, engine and
    # persistence (KerasTransformer trains as KerasRegressor does)
    shown = {step.estimator for step in STEPS} | {"KerasRegressor", "KerasTransformer"}
    missing = estimators - shown
    assert not missing, f"add a tour step (skdeep/_cli/_tour.py STEPS) for {missing}"
    assert set(ESTIMATORS) <= estimators


@pytest.fixture(scope="module")
def mlp_model(table):
    """One fitted MLPClassifier model file (model.joblib), shared by the tests."""
    folder, _ = table
    fit = run(
        "fit", "MLPClassifier", "--data", "train.csv", "--target", "label",
        "--drop", "price", "--param", "hidden_layer_sizes=(16,)",
        "--param", "max_iter=300", "--param", "learning_rate_init=0.01",
        "--random-state", "0", "--output", "model.joblib",
        cwd=folder,
    )  # fmt: skip
    assert fit.returncode == 0, fit.stderr
    return fit


def test_fit_predict_score_info_on_a_csv(table, mlp_model):
    folder, frame = table
    fit = mlp_model
    for chatter in TF_CHATTER:
        assert chatter not in fit.stderr, fit.stderr
    assert "1 one-hot encoded" in fit.stdout

    predict = run_here(
        "predict", "model.joblib", "train.csv", "--output", "p.csv", cwd=folder
    )
    assert predict.returncode == 0, predict.stderr
    predictions = pd.read_csv(folder / "p.csv")
    assert list(predictions.columns) == ["label"]
    assert len(predictions) == len(frame)
    accuracy = (predictions["label"] == frame["label"]).mean()
    assert accuracy > 0.9  # the label is a simple rule of x1 and colour

    score = run_here(
        "score", "model.joblib", "train.csv", "--target", "label", cwd=folder
    )
    assert score.returncode == 0, score.stderr
    assert score.stdout.strip() == f"accuracy: {accuracy:.4f}"

    proba = run_here("predict", "model.joblib", "train.csv", "--proba", cwd=folder)
    assert proba.returncode == 0, proba.stderr
    table_ = pd.read_csv(pd.io.common.StringIO(proba.stdout))
    assert list(table_.columns) == ["proba_no", "proba_yes"]
    np.testing.assert_allclose(table_.sum(axis=1), 1.0, rtol=1e-5)

    info = run_without_tensorflow("info", "model.joblib", cwd=folder)
    assert info.returncode == 0, info.stderr
    assert "MLPClassifier (classification)" in info.stdout
    assert f"skdeep {skdeep.__version__}" in info.stdout
    assert "one-hot:     colour" in info.stdout
    assert "hidden_layer_sizes = (16,)" in info.stdout
    assert "classes:     no, yes" in info.stdout


def run_several(commands, *, cwd, timeout=120):
    """``SEVERAL``: ``(results, stderr)``, each result ``[status, stdout, stderr,
    loaded]`` (a command's own), and the process's standard error besides (what
    TensorFlow's C++ logging writes past Python's ``sys.stderr``)."""
    result = subprocess.run(
        [sys.executable, "-c", SEVERAL, json.dumps(commands)],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1]), result.stderr


def test_networks_predict_score_and_info_without_tensorflow(table, mlp_model):
    """MLPs fitted on the CPU predict in NumPy: predict, score and info never import
    TensorFlow or Keras, and print what a process with them prints."""
    folder, _ = table
    fit = run_here(
        "fit", "MLPRegressor", "--data", "train.csv", "--target", "price",
        "--drop", "label", "--param", "hidden_layer_sizes=(8,)",
        "--param", "max_iter=20", "--random-state", "0", "--output", "reg.joblib",
        cwd=folder,
    )  # fmt: skip
    assert fit.returncode == 0, fit.stderr
    commands = [
        ["predict", "model.joblib", "train.csv"],
        ["predict", "model.joblib", "train.csv", "--proba"],
        ["score", "model.joblib", "train.csv", "--target", "label"],
        ["info", "model.joblib"],
        ["predict", "reg.joblib", "train.csv"],
        ["score", "reg.joblib", "train.csv", "--target", "price"],
        ["info", "reg.joblib"],
    ]
    results, _ = run_several(commands, cwd=folder)
    assert results[-1][3] == []  # loaded after the last: by none of them
    for args, (status, out, _, _) in zip(commands, results):
        assert status == 0, args
        here = run_here(*args, cwd=folder)  # TensorFlow loaded, the model's too
        assert here.returncode == 0, here.stderr
        assert out == here.stdout, args
    assert results[0][1].startswith("label\n")
    assert results[4][1].startswith("price\n")


def test_a_network_numpy_cannot_run_loads_tensorflow_quietly(table):
    """A model whose network only Keras runs (PReLU layers) loads TensorFlow for
    predict, with its start-up log held back."""
    folder, _ = table
    fit = run_here(
        "fit", "MLPClassifier", "--data", "train.csv", "--target", "label",
        "--drop", "price", "--param", "activation='prelu'",
        "--param", "hidden_layer_sizes=(4,)", "--param", "max_iter=5",
        "--random-state", "0", "--output", "prelu.joblib",
        cwd=folder,
    )  # fmt: skip
    assert fit.returncode == 0, fit.stderr
    args = ["predict", "prelu.joblib", "train.csv"]
    ((status, out, err, loaded),), stderr = run_several([args], cwd=folder)
    assert "tensorflow" in loaded  # where the model needs it
    stderr += err  # the process's and the command's own
    for chatter in TF_CHATTER:
        assert chatter not in stderr, stderr
    assert stderr == ""
    here = run_here(*args, cwd=folder)
    assert [status, out] == [0, here.stdout]


def test_fit_with_search_on_parquet(table):
    pytest.importorskip("pyarrow", reason="Parquet needs pyarrow (the parquet extra)")
    folder, frame = table
    frame.to_parquet(folder / "train.parquet")
    fit = run_here(
        "fit", "MLPRegressor", "--data", "train.parquet", "--target", "price",
        "--drop", "label", "--search", "random", "--n-iter", "2", "--cv", "2",
        "--param", "max_iter=100", "--random-state", "0", "--output", "reg.joblib",
        cwd=folder,
    )  # fmt: skip
    assert fit.returncode == 0, fit.stderr
    assert "2 candidates x 2 folds" in fit.stdout
    info = run_here("info", "reg.joblib", cwd=folder)
    assert "search:      2 candidates x 2 folds" in info.stdout
    score = run_here(
        "score", "reg.joblib", "train.parquet", "--target", "price", cwd=folder
    )
    assert score.returncode == 0, score.stderr
    assert score.stdout.startswith("R²: ")
    assert float(score.stdout.split()[-1]) > 0.8


def test_unsupervised_and_semi_supervised_fits(tmp_path):
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [6.0, 6.0]])
    group = rng.integers(0, 2, 200)
    points = centres[group] + rng.normal(scale=0.5, size=(200, 2))
    frame = pd.DataFrame({"a": points[:, 0], "b": points[:, 1], "group": group})
    frame.to_csv(tmp_path / "blobs.csv", index=False)
    fit = run_here(
        "fit", "DBSCANPredictor", "--data", "blobs.csv", "--drop", "group",
        "--output", "db.joblib", cwd=tmp_path,
    )  # fmt: skip
    assert fit.returncode == 0, fit.stderr
    score = run_here(
        "score", "db.joblib", "blobs.csv", "--target", "group", cwd=tmp_path
    )
    assert score.stdout.strip() == "adjusted Rand index: 1.0000", score.stdout

    partial = frame.astype({"group": "float"})
    partial.loc[5:, "group"] = np.nan  # empty cells: unlabelled rows
    assert partial["group"].notna().sum() == 5 and partial["group"].nunique() == 2
    partial.to_csv(tmp_path / "partial.csv", index=False)
    fit = run_here(
        "fit", "ClusterPropagationClassifier", "--data", "partial.csv",
        "--target", "group", "--param", "n_clusters=2", "--random-state", "0",
        "--output", "cp.joblib", cwd=tmp_path,
    )  # fmt: skip
    assert fit.returncode == 0, fit.stderr
    score = run_here(
        "score", "cp.joblib", "blobs.csv", "--target", "group", cwd=tmp_path
    )
    assert score.stdout.strip() == "accuracy on the labelled rows: 1.0000"


@pytest.fixture(scope="module")
def bad_files(table, mlp_model):
    """Files with the mistakes a user makes (and model.joblib, an MLP)."""
    folder, frame = table
    with_id = frame.assign(name=[f"customer {i}" for i in range(len(frame))])
    with_id.to_csv(folder / "with_id.csv", index=False)
    holes = frame.copy()
    holes.loc[3, "x2"] = np.nan
    holes.to_csv(folder / "holes.csv", index=False)
    (folder / "broken.parquet").write_bytes(b"this is not parquet")
    frame[["x2", "colour"]].to_csv(folder / "no_x1.csv", index=False)
    unlabelled = ["--data", "train.csv", "--drop", "label", "--drop", "price"]
    fits, stderr = run_several(
        [
            ["fit", "DBSCANPredictor", *unlabelled, "--output", "db.joblib"],
            [
                "fit",
                "GaussianMixtureAnomalyDetector",
                *unlabelled,
                "--output",
                "gmm.joblib",
            ],
            ["fit", "DBSCANPredictor", *unlabelled, "--output", "db.skops"],
        ],
        cwd=folder,
    )
    assert [status for status, *_ in fits] == [0, 0, 0], (stderr, fits)
    envelope = joblib.load(folder / "db.joblib")
    envelope["versions"]["skdeep"] = "0.0.1"
    joblib.dump(envelope, folder / "old.joblib")
    frame.to_csv(folder / "semi.csv", index=False, sep=";")
    text = frame.head(5).astype({"x1": object})
    text.loc[2, "x1"] = "twelve"
    text.to_csv(folder / "text_x1.csv", index=False)
    (folder / "notes.joblib").write_text("not a model\n")
    blob = (folder / "db.joblib").read_bytes()
    (folder / "trunc.joblib").write_bytes(blob[: len(blob) // 2])
    blob = (folder / "db.skops").read_bytes()
    (folder / "trunc.skops").write_bytes(blob[: len(blob) // 2])
    with zipfile.ZipFile(folder / "db.skops") as src:
        members = {name: src.read(name) for name in src.namelist()}
    members["schema.json"] = members["schema.json"][:100]  # cut short
    with zipfile.ZipFile(folder / "bad_schema.skops", "w") as dst:
        for name, data in members.items():
            dst.writestr(name, data)
    return folder


FIT = ("fit", "DBSCANPredictor", "--data")
ERRORS = {
    "unknown estimator": (
        ("fit", "MLPClasifier", "--data", "train.csv", "--output", "m.joblib"),
        ["unknown estimator 'MLPClasifier'", "did you mean MLPClassifier?"],
    ),
    "unknown parameter": (
        (
            *FIT,
            "train.csv",
            "--drop",
            "label",
            "--drop",
            "price",
            "--param",
            "epsilon=0.3",
            "--output",
            "m.joblib",
        ),  # fmt: skip
        ["DBSCANPredictor has no parameter 'epsilon'", "did you mean eps?"],
    ),
    "invalid parameter value": (
        (
            *FIT,
            "train.csv",
            "--drop",
            "label",
            "--drop",
            "price",
            "--param",
            "eps=-1",
            "--output",
            "m.joblib",
        ),  # fmt: skip
        ["The 'eps' parameter of DBSCANPredictor must be a float in the range"],
    ),
    "missing column": (
        (
            "fit",
            "ClusterPropagationClassifier",
            "--data",
            "train.csv",
            "--target",
            "lable",
            "--output",
            "m.joblib",
        ),  # fmt: skip
        ["train.csv has no column 'lable'", "'label'"],
    ),
    "identifier column": (
        (
            *FIT,
            "with_id.csv",
            "--drop",
            "label",
            "--drop",
            "price",
            "--output",
            "m.joblib",
        ),  # fmt: skip
        ["column 'name'", "240 distinct values", "--drop name"],
    ),
    "missing values": (
        (
            *FIT,
            "holes.csv",
            "--drop",
            "label",
            "--drop",
            "price",
            "--output",
            "m.joblib",
        ),  # fmt: skip
        ["column 'x2' of holes.csv has 1 missing value"],
    ),
    "text target for a regressor": (
        (
            "fit",
            "MLPRegressor",
            "--data",
            "train.csv",
            "--target",
            "colour",
            "--output",
            "m.joblib",
        ),  # fmt: skip
        ["target column 'colour'", "not numeric"],
    ),
    "target for an unsupervised estimator": (
        (*FIT, "train.csv", "--target", "label", "--output", "m.joblib"),
        ["DBSCANPredictor is unsupervised and takes no --target"],
    ),
    "data file missing": (
        (*FIT, "nowhere.csv", "--output", "m.joblib"),
        ["data file nowhere.csv does not exist"],
    ),
    "unreadable data file": (
        (*FIT, "broken.parquet", "--output", "m.joblib"),
        ["cannot read broken.parquet"],
    ),
    "not a model file": (
        ("predict", "notes.joblib", "train.csv"),
        ["cannot read notes.joblib as a model file"],
    ),
    "data table given as the model": (
        ("predict", "train.csv", "new.csv"),
        [
            "train.csv is a data table, not a model file",
            "skdeep predict MODEL DATA",
        ],
    ),
    "truncated joblib model": (
        ("predict", "trunc.joblib", "train.csv"),
        ["cannot read trunc.joblib as a model file"],
    ),
    "truncated skops model": (
        ("predict", "trunc.skops", "train.csv"),
        ["cannot read trunc.skops: the archive is damaged or truncated"],
    ),
    "damaged schema in a skops model": (
        ("info", "bad_schema.skops"),
        ["cannot read bad_schema.skops: its schema.json is damaged or truncated"],
    ),
    "data file missing for a network": (
        (
            "fit",
            "MLPClassifier",
            "--data",
            "nope.csv",
            "--target",
            "label",
            "--output",
            "m.joblib",
        ),
        ["data file nope.csv does not exist"],
    ),  # fmt: skip
    "missing target column for a network": (
        (
            "fit",
            "MLPClassifier",
            "--data",
            "train.csv",
            "--target",
            "lable",
            "--output",
            "m.joblib",
        ),
        ["train.csv has no column 'lable'", "'label'"],
    ),  # fmt: skip
    "parameter typo for a network": (
        (
            "fit",
            "MLPClassifier",
            "--data",
            "train.csv",
            "--target",
            "label",
            "--param",
            "hiden_layer_sizes=(8,)",
            "--output",
            "m.joblib",
        ),
        [
            "MLPClassifier has no parameter 'hiden_layer_sizes'",
            "did you mean hidden_layer_sizes?",
        ],
    ),  # fmt: skip
    "invalid parameter value for a network": (
        (
            "fit",
            "MLPRegressor",
            "--data",
            "train.csv",
            "--target",
            "price",
            "--param",
            "alpha=-1",
            "--output",
            "m.joblib",
        ),
        [
            "The 'alpha' parameter of MLPRegressor must be a float in the range "
            "[0.0, inf). Got -1 instead."
        ],
    ),  # fmt: skip
    "output folder missing": (
        (
            "fit",
            "MLPRegressor",
            "--data",
            "train.csv",
            "--target",
            "price",
            "--output",
            os.path.join("nowhere", "m.joblib"),
        ),
        [
            f"cannot write {os.path.join('nowhere', 'm.joblib')}: folder nowhere "
            "does not exist"
        ],
    ),  # fmt: skip
    "unknown output format": (
        (
            "fit",
            "MLPRegressor",
            "--data",
            "train.csv",
            "--target",
            "price",
            "--output",
            "m.h5",
        ),
        ["cannot write m.h5", ".joblib, .pkl, .skops"],
    ),  # fmt: skip
    "target scaling turned off for a classifier": (
        (
            "fit",
            "MLPClassifier",
            "--data",
            "train.csv",
            "--target",
            "label",
            "--no-scale-target",
            "--output",
            "m.joblib",
        ),
        ["--no-scale-target is for regressors, not MLPClassifier"],
    ),  # fmt: skip
    "wrong delimiter": (
        (*FIT, "semi.csv", "--sep", ",", "--drop", "label", "--output", "m.joblib"),
        ["semi.csv has no column 'label'", "give --sep ';'"],
    ),
    "text where the model saw numbers": (
        ("predict", "db.joblib", "text_x1.csv"),
        [
            "column 'x1' of text_x1.csv holds text ('twelve' in data row 3)",
            "correct those values",
        ],
    ),
    "missing values at predict time": (
        ("predict", "db.joblib", "holes.csv"),
        ["column 'x2' of holes.csv has 1 missing value(s) (the first in data row 4)"],
    ),
    "data file missing, network model": (
        ("predict", "model.joblib", "nope.csv"),
        ["data file nope.csv does not exist"],
    ),
    "model from another skdeep version": (
        ("predict", "old.joblib", "train.csv"),
        [
            "old.joblib was written by skdeep 0.0.1",
            f"this is skdeep {skdeep.__version__}",
        ],
    ),
    "feature column missing at predict time": (
        ("predict", "db.joblib", "no_x1.csv"),
        ["no_x1.csv has no column 'x1'"],
    ),
    "probabilities from a model without them": (
        ("predict", "gmm.joblib", "train.csv", "--proba"),
        ["GaussianMixtureAnomalyDetector gives no probabilities"],
    ),
}


def _needs(case):
    """The optional package ``case`` needs: (module, reason), or None."""
    if case == "unreadable data file":
        return "pyarrow", "Parquet needs pyarrow (the parquet extra)"
    if "skops" in case:
        return "skops", ".skops files need skops (the extra)"
    return None


def _installed(module):
    return importlib.util.find_spec(module) is not None


@pytest.fixture(scope="module")
def error_results(bad_files):
    """Every case of ``ERRORS`` whose optional package is installed, run in one
    process (``run_several``; a process each costs a Python start-up, and
    the start-up itself is what ``test_user_errors_in_a_fresh_process`` checks):
    case -> ``(CompletedProcess, modules loaded)``."""
    cases = [c for c in ERRORS if _needs(c) is None or _installed(_needs(c)[0])]
    commands = [list(map(str, ERRORS[c][0])) for c in cases]
    results, _ = run_several(commands, cwd=bad_files, timeout=300)
    return {
        case: (subprocess.CompletedProcess(args, status, out, err), loaded)
        for case, args, (status, out, err, loaded) in zip(cases, commands, results)
    }


@pytest.mark.parametrize("case", list(ERRORS))
def test_user_errors_are_one_line(error_results, case):
    """Each mistake: one line naming file, column and fix; TensorFlow never loads
    (not by it, nor by any case before it in the process)."""
    args, fragments = ERRORS[case]
    if _needs(case) is not None:
        pytest.importorskip(_needs(case)[0], reason=_needs(case)[1])
    result, loaded = error_results[case]
    assert_clean_error(result, *fragments)
    assert loaded == [], f"{case} loaded {loaded}"
    if args[0] == "predict":  # predict has no --drop: never suggest it
        assert "--drop" not in result.stderr


@pytest.mark.parametrize(
    "case",
    ["data file missing for a network", "truncated skops model", "unknown estimator"],
)
def test_user_errors_in_a_fresh_process(bad_files, case):
    """As a user meets them: the command's own process, which exits with status 1
    (2 for usage) after one line, with TensorFlow never loaded."""
    args, fragments = ERRORS[case]
    if _needs(case) is not None:
        pytest.importorskip(_needs(case)[0], reason=_needs(case)[1])
    result = run_without_tensorflow(*args, cwd=bad_files)
    assert_clean_error(result, *fragments)


def test_predict_without_tensorflow_and_from_either_format(bad_files):
    pytest.importorskip("skops", reason=".skops files need skops (the extra)")
    joblib_ = run_without_tensorflow("predict", "db.joblib", "train.csv", cwd=bad_files)
    assert joblib_.returncode == 0, joblib_.stderr
    skops_ = run_without_tensorflow("predict", "db.skops", "train.csv", cwd=bad_files)
    assert skops_.returncode == 0, skops_.stderr
    assert skops_.stdout == joblib_.stdout
    assert skops_.stdout.startswith("prediction\n")
    info = run_without_tensorflow("info", "db.skops", cwd=bad_files)
    assert info.returncode == 0, info.stderr
    assert "DBSCANPredictor (clustering)" in info.stdout


def test_semicolon_table_is_sniffed(bad_files):
    folder = bad_files
    predict = run_without_tensorflow("predict", "db.joblib", "semi.csv", cwd=folder)
    assert predict.returncode == 0, predict.stderr
    comma = run_without_tensorflow("predict", "db.joblib", "train.csv", cwd=folder)
    assert predict.stdout == comma.stdout


@pytest.mark.parametrize(
    "args", [("predict", "db.joblib", "train.csv"), ("info", "model.joblib", "--all")]
)
def test_closed_pipe_ends_quietly(bad_files, args):
    """``skdeep predict ... | head -1``: the reader is gone before the first write."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "skdeep", *args],
        cwd=bad_files,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # as `head` does once it has its line
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGPIPE, err
    assert err == b"", err.decode()


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_param_check_uses_the_estimators_own_constraints(name):
    cls = getattr(skdeep, name)
    constraints = parameter_constraints(name)
    assert constraints is cls._parameter_constraints
    assert set(constraints) == set(cls().get_params(deep=False))


def test_regressor_target_scaled_by_default_and_skops_round_trip(tmp_path):
    """diabetes: default settings but max_iter=100 (the tour's budget for it)."""
    pytest.importorskip("skops", reason=".skops files need skops (the extra)")
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True).frame
    frame.iloc[:331].to_csv(tmp_path / "train.csv", index=False)
    frame.iloc[331:].to_csv(tmp_path / "test.csv", index=False)
    fit = run(
        "fit", "MLPRegressor", "--data", "train.csv", "--target", "target",
        "--param", "max_iter=100", "--random-state", "0", "--output", "reg.skops",
        cwd=tmp_path,
    )  # fmt: skip
    assert fit.returncode == 0, fit.stderr
    assert "target standardised" in fit.stdout
    # (a network fitted on the CPU: scored in NumPy, from skops too)
    score = run_without_tensorflow(
        "score", "reg.skops", "test.csv", "--target", "target", cwd=tmp_path
    )
    assert score.returncode == 0, score.stderr
    assert score.stdout.startswith("R²: ")
    assert float(score.stdout.split()[-1]) > 0.4  # -3.1 with --no-scale-target
    info = run_without_tensorflow("info", "reg.skops", cwd=tmp_path)
    assert "target:      standardised (TransformedTargetRegressor)" in info.stdout
    # skdeep.load reads the file back: the same pipeline, the same score
    model = skdeep.load(tmp_path / "reg.skops")
    test = pd.read_csv(tmp_path / "test.csv")
    r2 = model.score(test.drop(columns="target"), test["target"])
    assert score.stdout.strip() == f"R²: {r2:.4f}"


_AS_FROM_A_TERMINAL = """
import os, signal, sys
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.executable, [sys.executable, "-m", "skdeep", *sys.argv[1:]])
"""


def _interrupt(args, marker, delay, cwd, times=1):
    """Start ``skdeep ARGS``, send SIGINT ``delay`` s after ``marker`` is printed
    (``times`` SIGINTs, 50 ms apart: a user pressing Ctrl-C again)."""
    # as from a terminal: SIGINT handled by default and not blocked, whatever this
    # worker inherited (a background job's SIGINT is ignored; a library may leave it
    # blocked in the thread that starts the child, and both pass to the child)
    proc = subprocess.Popen(
        [sys.executable, "-c", _AS_FROM_A_TERMINAL, *map(str, args)],
        cwd=cwd,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    seen, deadline = b"", time.monotonic() + 120
    while marker not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 1.0)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            seen += chunk
    assert marker in seen, (seen, proc.poll())
    time.sleep(delay)
    masks = _signal_masks(proc.pid)
    for _ in range(times):
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            time.sleep(0.05)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, (seen + out).decode(), err.decode(), masks


def _signal_masks(pid):
    """The child's blocked and ignored signal masks, shown should the test fail."""
    try:
        with open(f"/proc/{pid}/status") as status:
            lines = [x for x in status if x.startswith(("SigBlk", "SigIgn"))]
    except OSError:
        return ""
    return " ".join(line.strip() for line in lines)


_INTERRUPT_IN_A_FINALISER = """
import _thread, signal, sys, threading, time
from skdeep._cli import _redeliver_interrupts

# as at a terminal: a background job (CI's) starts with SIGINT ignored, and then
# interrupt_main does nothing
signal.signal(signal.SIGINT, signal.default_int_handler)

if sys.argv[1] == "hook":
    sys.unraisablehook = _redeliver_interrupts(sys.unraisablehook)


sent = threading.Event()


def ctrl_c():
    _thread.interrupt_main()
    sent.set()


class Finalised:
    def __del__(self):  # busy until the interrupt is sent and lands in here
        while not sent.is_set():
            pass
        start = time.monotonic()
        while time.monotonic() - start < 0.2:
            pass


threading.Timer(0.3, ctrl_c).start()
try:
    Finalised()
    end = time.monotonic() + float(sys.argv[2])  # a fit's epochs
    while time.monotonic() < end:
        pass
    print("ran to the end")
except KeyboardInterrupt:
    print("interrupted")
"""


_SECOND_CTRL_C_DURING_CLEAN_UP = """
import os, signal, sys, threading, time
from skdeep._cli import _redeliver_interrupts

signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal
if sys.argv[1] == "hook":
    sys.unraisablehook = _redeliver_interrupts(sys.unraisablehook)

looping = threading.Event()

def ctrl_c_twice():
    looping.wait()
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.3)  # the second lands while the first one's clean-up runs
    os.kill(os.getpid(), signal.SIGINT)

threading.Thread(target=ctrl_c_twice).start()
try:
    looping.set()
    while True:
        pass
except KeyboardInterrupt:
    end = time.monotonic() + 1.0  # a slow unwinding (out of TensorFlow's import)
    while time.monotonic() < end:
        pass
    print("cleaned up")
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to itself is POSIX")
@pytest.mark.parametrize("hook, expected", [("plain", ""), ("hook", "cleaned up")])
def test_a_second_ctrl_c_does_not_interrupt_the_first_ones_clean_up(hook, expected):
    """Ctrl-C pressed twice: the command's handler raises one KeyboardInterrupt;
    the second no longer cuts short the first one's clean-up (CI saw a traceback and
    a death by SIGINT when it landed before ``_interrupted`` ignored SIGINT)."""
    result = subprocess.run(
        [sys.executable, "-c", _SECOND_CTRL_C_DURING_CLEAN_UP, hook],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip() == expected, (result.stdout, result.stderr)
    if hook == "hook":
        assert result.returncode == 0, result.stderr
    else:  # Python's default: the second one escapes the handler
        assert "KeyboardInterrupt" in result.stderr


# (the redelivery may wait for a busy machine to run the helper thread: the hooked
# run has 60 s to be interrupted, and ends as soon as it is)
@pytest.mark.parametrize(
    "hook, seconds, expected",
    [("plain", 3, "ran to the end"), ("hook", 60, "interrupted")],
)
def test_a_ctrl_c_that_lands_in_a_finaliser_still_interrupts_the_command(
    hook, seconds, expected
):
    """Python drops a KeyboardInterrupt raised in a ``__del__`` ("Exception
    ignored"); garbage collection runs TensorFlow's finalisers in the middle of a
    fit, so a Ctrl-C could be lost there (CI saw a fit run to its end). The
    command's hook raises it again in the main thread."""
    result = subprocess.run(
        [sys.executable, "-c", _INTERRUPT_IN_A_FINALISER, hook, str(seconds)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip() == expected, (result.stdout, result.stderr)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")
@pytest.mark.parametrize(
    "command, marker, delay, times",
    [
        ("tour", b"loading TensorFlow ...", 0.3, 1),  # during TensorFlow's import
        ("fit", b"loading TensorFlow ...", 1.0, 2),  # twice: the exit is not undone
        ("fit", b"fitting MLPClassifier", 1.0, 1),  # during the epochs
    ],
)
def test_ctrl_c_at_any_moment_is_one_line(
    table, tmp_path, command, marker, delay, times
):
    folder, _ = table
    if command == "tour":
        args = ["tour", "--quick", "--output", tmp_path / "tour"]
        line = "skdeep tour: interrupted"
    else:
        args = [
            "fit",
            "MLPClassifier",
            "--data",
            "train.csv",
            "--target",
            "label",
            "--param",
            "max_iter=100000000",
            "--param",
            "n_iter_no_change=100000000",
            "--param",
            "hidden_layer_sizes=(8,)",
            "--output",
            tmp_path / "m.joblib",
        ]  # fmt: skip  (a fit that cannot end before the interrupt, however slow)
        line = "skdeep fit: interrupted"
    status, out, err, masks = _interrupt(args, marker, delay, folder, times)
    assert status == 130, (status, err, masks)
    assert err.splitlines() == [line], err  # no traceback, no TensorFlow log
    # it landed where meant: before TensorFlow finished loading / the fit ended
    assert out.rstrip().endswith("..."), out


def test_usage_errors_are_one_line(tmp_path):
    result = run("fit", "DBSCANPredictor", "--data", "x.csv", cwd=tmp_path)
    assert_clean_error(
        result, "the following arguments are required: --output", status=2
    )
    result = run("predict", cwd=tmp_path)
    assert_clean_error(result, "skdeep predict: error:", status=2)
    result = run("dance", cwd=tmp_path)
    assert_clean_error(result, "invalid choice: 'dance'", status=2)


@pytest.mark.parametrize("command", ["", "tour", "fit", "predict", "score", "info"])
def test_help_everywhere(tmp_path, command):
    result = run(*command.split(), "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: skdeep {command}".rstrip())


def test_parquet_without_pyarrow_says_what_to_install(tmp_path, monkeypatch):
    from skdeep._cli._errors import CommandError
    from skdeep._cli._tables import read_table

    (tmp_path / "t.parquet").write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now fails
    with pytest.raises(CommandError, match=r'pip install "scikit-deep\[parquet\]"'):
        read_table(tmp_path / "t.parquet")


def test_skops_output_without_skops_says_what_to_install(tmp_path, monkeypatch):
    from skdeep._cli._errors import CommandError
    from skdeep._cli._model_file import check_output

    monkeypatch.setitem(sys.modules, "skops", None)  # import skops now fails
    with pytest.raises(CommandError, match=r'pip install "scikit-deep\[skops\]"'):
        check_output(tmp_path / "model.skops")
    assert check_output(tmp_path / "model.joblib") == "joblib"


def test_importing_the_command_changes_nothing():
    code = (
        "import os, sys; before = dict(os.environ);"
        "import skdeep.cli, skdeep._cli._tour;"
        "assert dict(os.environ) == before; assert 'tensorflow' not in sys.modules;"
        "assert 'matplotlib' not in sys.modules"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)
