"""scikeras's public API (initialize, current_epoch, routed parameters in its
syntaxes, build_fn, partial_fit's errors) and Keras's own wrappers' API (a build
function ``model(X, y, **model_kwargs)``, ``model_kwargs``, ``fit_kwargs``) and
KerasTransformer (issue 24, points 6 and 8)."""

import pickle
import warnings

import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skdeep.wrappers import KerasClassifier, KerasTransformer


def dense(meta, compile_kwargs):
    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(meta["n_classes_"], activation="softmax"),
        ]
    )
    model.compile(**compile_kwargs)
    return model


def test_initialize_and_current_epoch(classes3):
    X, y = classes3
    clf = KerasClassifier(dense, optimizer="adam", random_state=0)
    assert clf.current_epoch == 0
    weights = clf.initialize(X, y).model_.get_weights()
    assert clf.current_epoch == 0 and clf.history_ == {}
    assert clf.predict(X[:3]).shape == (3,)
    for a, b in zip(weights, clf.model_.get_weights()):
        np.testing.assert_array_equal(a, b)  # built, not trained
    clf.partial_fit(X, y)
    clf.partial_fit(X, y)
    assert clf.current_epoch == 2


def test_routed_parameters_in_scikeras_syntax(classes3):
    X, y = classes3
    clf = KerasClassifier(
        dense,
        loss=keras.losses.SparseCategoricalCrossentropy,
        loss__from_logits=False,
        optimizer=keras.optimizers.SGD,
        optimizer__momentum=0.9,
        metrics=[keras.metrics.SparseCategoricalAccuracy, "accuracy"],
        metrics__0__name="acc0",
        callbacks={"stop": keras.callbacks.EarlyStopping},
        callbacks__stop__patience=1,
        callbacks__stop__monitor="loss",
        epochs=3,
        random_state=0,
    ).fit(X, y)
    assert clf.model_.optimizer.momentum == pytest.approx(0.9)
    assert "acc0" in clf.history_
    with pytest.raises(TypeError, match="callbacks"):
        KerasClassifier(dense, callbacks=["nonsense"], epochs=1).fit(X, y)


def test_build_fn_alias_warns(classes3):
    X, y = classes3
    clf = KerasClassifier(build_fn=dense, epochs=1, random_state=0)
    # (recorded rather than pytest.warns: PyTorch's backend warns too, and
    # pytest.warns would re-raise those as errors)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y)
    assert any(
        issubclass(w.category, FutureWarning)
        and "``build_fn`` will be renamed to ``model``" in str(w.message)
        for w in caught
    )
    assert clf.get_params()["build_fn"] is dense


def test_partial_fit_errors_as_scikeras(classes3):
    X, y = classes3
    clf = KerasClassifier(dense, random_state=0).partial_fit(X.astype("float32"), y)
    with pytest.raises(ValueError, match="casting from float64 to float32"):
        clf.partial_fit(X, y)
    clf.partial_fit(X.astype("float16"), y)  # a safe cast is accepted
    X = X.astype("float32")
    with pytest.raises(ValueError, match="is expecting 6 features"):
        clf.partial_fit(X[:, :3], y)
    with pytest.raises(ValueError, match="dimensions in y"):
        clf.partial_fit(X, np.eye(3)[y])
    with pytest.raises(ValueError, match="3 dimensions.*expecting 2 dimensions in X"):
        clf.partial_fit(X.reshape(len(X), 2, 3), y)
    with pytest.raises(
        ValueError,
        match=r"`y` has classes not in `self.classes_`.*unknown categories \[5 6 7\]",
    ):
        clf.partial_fit(X, y + 5)


def sigmoid_units(meta):
    return keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(meta["n_outputs_expected_"], activation="sigmoid"),
        ]
    )


def test_single_class_target_fits_as_in_scikeras(classes3):
    X, _ = classes3
    y = np.full(len(X), "only")
    clf = KerasClassifier(sigmoid_units, epochs=1, random_state=0).fit(X, y)
    assert list(clf.classes_) == ["only"] and clf.n_classes_ == 1
    assert clf.target_type_ == "binary" and clf.n_outputs_expected_ == 1
    assert list(clf.predict(X[:4])) == ["only"] * 4
    # one column per class: the only class, certain
    np.testing.assert_array_equal(clf.predict_proba(X[:4]), np.ones((4, 1)))
    assert clf.score(X, y) == 1.0
    # a later batch may bring only that class; another is refused
    clf.partial_fit(X, y)
    with pytest.raises(ValueError, match="unknown categories"):
        clf.partial_fit(X, np.full(len(X), "other"))


# ------------------------------------------------------------------ Keras's API


def keras_style(X, y, loss, layers=(10,)):
    """The build function of keras.wrappers.SKLearnClassifier's documentation."""
    n_features_in = X.shape[1]
    n_classes = y.shape[1]
    model = keras.Sequential([keras.Input((n_features_in,))])
    for units in layers:
        model.add(keras.layers.Dense(units, activation="relu"))
    model.add(keras.layers.Dense(n_classes, activation="softmax"))
    model.compile(loss=loss, optimizer=keras.optimizers.Adam(0.05))
    return model


def test_keras_wrapper_arguments(classes3):
    X, y = classes3
    clf = KerasClassifier(
        model=keras_style,
        model_kwargs={"loss": "categorical_crossentropy", "layers": [16]},
        fit_kwargs={"epochs": 5},
        random_state=0,
        verbose=0,
    ).fit(X, y)
    assert len(clf.history_["loss"]) == 5
    assert clf.score(X, y) > 0.8
    search = GridSearchCV(
        clf,
        {
            "model_kwargs": [{"loss": "categorical_crossentropy", "layers": [4]}],
            "model__layers": [[4], [8]],
            "fit__epochs": [2],
        },
        cv=2,
    ).fit(X, y)
    assert search.best_estimator_.model_.layers[0].units in (4, 8)


def encoder(meta):
    return keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(3, activation="tanh", name="code"),
            keras.layers.Dense(meta["n_outputs_expected_"]),
        ]
    )


def test_transformer_layer_output(classes3):
    X, y = classes3
    transformer = KerasTransformer(encoder, layer="code", epochs=3, random_state=0)
    # its parameters survive clone and set_params, as any estimator's (searches)
    params = clone(transformer).set_params(batch_size=16).get_params()
    assert (params["epochs"], params["random_state"], params["layer"]) == (3, 0, "code")
    assert params["batch_size"] == 16
    codes = transformer.fit_transform(X)  # no y: an autoencoder
    assert codes.shape == (len(X), 3)
    assert np.abs(codes).max() <= 1
    restored = pickle.loads(pickle.dumps(transformer))
    np.testing.assert_allclose(restored.transform(X), codes, rtol=1e-6)
    # another layer chosen after the fit: its output, from the same network
    assert restored.set_params(layer=None).transform(X).shape == X.shape
    assert KerasTransformer(encoder, epochs=1).fit(X).transform(X).shape == X.shape
    # in a pipeline the encoder learns features for y (Keras's SKLearnTransformer)
    pipeline = make_pipeline(
        KerasTransformer(encoder, layer=0, epochs=2, random_state=0),
        KerasClassifier(dense, epochs=5, random_state=0),
    ).fit(X, y)
    assert pipeline.predict(X).shape == (len(X),)
    with pytest.raises(ValueError, match="not a layer of the model"):
        KerasTransformer(encoder, layer="nope", epochs=1).fit(X).transform(X)


def test_transformer_autoencoder_of_images():
    """Without y, samples of several dimensions are reproduced flattened (the
    model's output has one row per sample)."""
    images = np.random.RandomState(0).uniform(size=(40, 4, 4))

    def image_encoder(meta):
        return keras.Sequential(
            [
                keras.Input(meta["X_shape_"][1:]),
                keras.layers.Flatten(),
                keras.layers.Dense(2, name="code"),
                keras.layers.Dense(meta["n_outputs_expected_"]),
            ]
        )

    transformer = KerasTransformer(image_encoder, layer="code", epochs=1)
    assert transformer.fit(images).n_outputs_expected_ == 16
    assert transformer.transform(images).shape == (40, 2)


def test_quiet_and_fast_single_row_predict(classes3, capsys):
    X, y = classes3
    clf = KerasClassifier(keras_style, epochs=1)
    clf.set_params(model_kwargs={"loss": "categorical_crossentropy"}).fit(X, y)
    clf.predict(X[:1])
    assert capsys.readouterr().out == ""
