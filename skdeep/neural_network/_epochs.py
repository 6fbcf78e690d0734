"""The epoch loop of the built-in networks (``train``): the schedule's rates, the
engine's epochs, the fitted records scikit-learn's MLP keeps (``n_iter_``, ``t_``,
``loss_curve_``, ``validation_scores_``, ``best_loss_``), its stopping rules and
``verbose`` lines, and the fit's Keras callbacks (``_callbacks``), which see the
network and its optimizer as Keras' ``fit`` shows them on every engine.
"""

import contextlib
import contextvars
import signal
import threading
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skdeep.neural_network import _callbacks
from skdeep.neural_network._schedules import Schedule
from skdeep.neural_network._streaming import StreamExhausted


class InterruptHold:
    """Ctrl-C (SIGINT's KeyboardInterrupt) held back while a fit records a completed
    epoch and finishes, and raised where the fit can stop cleanly.

    An epoch's run (``engine.run_epoch``) can be interrupted: the fit then keeps
    the last completed epoch. The bookkeeping after it (``n_iter_``, the curves,
    the callbacks) and the end of the fit are not safe places for an exception;
    an interrupt there is recorded and raised at the start of the next epoch's
    run, or by ``release`` when the fit is done: Keras' and TensorFlow's code on
    that path can swallow a KeyboardInterrupt (an ``isinstance`` against a
    ``typing.Protocol`` clears it), and the fit would then run on. Holds only in
    the main thread, under Python's default handler or a handler marked
    ``raises_keyboard_interrupt`` (the command line's), which gets the held
    interrupt.
    """

    def __init__(self, active=True):
        self.active = active  # False: never holds (a fit outside ``holding``)
        self.pending = False
        self._replaced = None  # the handler in place before ``engage``

    def engage(self):
        if not self.active or self._replaced is not None:
            return
        if threading.current_thread() is not threading.main_thread():
            return
        handler = signal.getsignal(signal.SIGINT)
        if handler is not signal.default_int_handler and not getattr(
            handler, "raises_keyboard_interrupt", False
        ):
            return  # someone else's handler decides
        self._replaced = signal.signal(signal.SIGINT, self._record)

    def _record(self, signum, frame):
        self.pending = True

    def disengage(self):
        """Python's handler back (a held interrupt stays pending)."""
        if self._replaced is not None:
            signal.signal(signal.SIGINT, self._replaced)
            self._replaced = None

    def release(self):
        """The handler back, and a held interrupt delivered to it now (Python's
        raises KeyboardInterrupt; the command line's raises it unless one is on
        its way up already)."""
        handler = self._replaced
        self.disengage()
        if self.pending:
            self.pending = False
            if handler is None or handler is signal.default_int_handler:
                raise KeyboardInterrupt
            handler(signal.SIGINT, None)


# the hold of the fit running in this thread (``holding``); ``train`` engages it.
# Outside ``holding`` no one would release a hold, so none is engaged there.
_HOLD = contextvars.ContextVar("skdeep_interrupt_hold", default=None)
_UNHELD = InterruptHold(active=False)


@contextlib.contextmanager
def holding():
    """A fit's ``InterruptHold``: ``train`` engages it after each epoch's run; the
    caller releases it once the fit's state is complete. On leaving, Python's
    handler is back."""
    hold = InterruptHold()
    token = _HOLD.set(hold)
    try:
        yield hold
    finally:
        _HOLD.reset(token)
        hold.disengage()


def train(
    est,
    engine,
    state,
    best_state,
    *,
    shuffle_seed,
    incremental,
    n_samples,
    n_batches,
    spec,
    resumed=False,
):
    """Run ``est``'s epochs on ``engine`` until convergence.

    Returns the final state and None, or, when a KeyboardInterrupt arrives
    during an epoch after at least one completed, the state to keep and the
    interrupt (before that, the interrupt propagates).
    """
    early_stopping = est.early_stopping and not incremental
    # epochs before this call's for the schedules and callbacks: partial_fit
    # goes on counting where the last call stopped
    offset = est.__dict__.get("_epochs_done", 0) if incremental else 0
    if not resumed:  # n_iter_ counts this call's epochs (scikit-learn's)
        est.n_iter_ = 0
    if not incremental and not resumed:
        est._learning_rate_ = est._initial_rate()
    lr = est._learning_rate_
    max_epochs = 1 if incremental else est.max_iter - est.n_iter_
    cycle_momentum = est.learning_rate == "1cycle" and est.solver == "sgd"
    if cycle_momentum and est.momentum and est.engine_ != "numpy":
        warnings.warn(
            f"learning_rate='1cycle' cycles SGD's momentum on the NumPy engine "
            f"only; engine {est.engine_!r} keeps momentum={est.momentum}.",
            UserWarning,
            stacklevel=4,
        )
        cycle_momentum = False
    schedule = Schedule(
        est,
        initial_rate=est._initial_rate(),
        n_batches=n_batches or 1,  # (unknown for some streams: no per-step rate)
        cycle_momentum=cycle_momentum and bool(est.momentum),
    )
    user_schedule = (
        not isinstance(est.solver, str) and not engine.sets_rate
        if est.engine_ == "keras"
        else False
    )
    hooks = _callbacks.epoch_hooks(
        est, est.max_iter if not incremental else 1, n_batches
    )
    # what the user's callbacks see and may change: the rate through the
    # network's optimizer, the weights through the network
    view = None if user_schedule else _callbacks.RateView.of(est, engine, spec, lr)
    watch = bool(est.callbacks_)
    needs_weights = watch or est.checkpoint_path is not None
    step_hooks = getattr(engine, "forwards_steps", False)
    if step_hooks:  # the engine calls the callbacks' step hooks itself
        engine.step_hooks = hooks
    est.model_.stop_training = False
    est.model_._initial_epoch = None
    converged = stopped = False
    completed, interrupted, logs = 0, None, {}
    hold = _HOLD.get() or _UNHELD
    before = _callbacks.snapshot(est.model_) if watch else None
    hooks.on_train_begin()
    if watch and _callbacks.changed(est.model_, before):
        state = _callbacks.adopt(est.model_, engine, state)  # BackupAndRestore
        best_state = state
    restored = est.model_._initial_epoch
    if restored and not incremental:  # the epochs a backup had done
        est.model_._initial_epoch = None
        est.n_iter_ = int(restored)
        max_epochs = max(0, est.max_iter - est.n_iter_)
    for _ in range(max_epochs):
        epoch = offset + est.n_iter_
        rates = schedule.rates(epoch, est.t_, lr)
        momenta = schedule.momenta(epoch)
        try:
            if view is not None:
                view.set(_callbacks.first_and_last(rates)[0])
            hooks.on_epoch_begin(epoch)
            if view is not None and view.scale() != 1.0:
                # a callback set the rate (LearningRateScheduler)
                lr = _scaled(lr, view, schedule)
                rates = schedule.rates(epoch, est.t_, lr)
            hold.release()  # one held back since the last epoch stops here
            result = engine.run_epoch(state, (shuffle_seed, est.t_), rates, momenta)
        except KeyboardInterrupt as exc:
            if not completed:
                raise
            interrupted = exc  # ``state`` is still the last completed epoch's
            break
        except StreamExhausted:
            stopped = True
            warnings.warn(
                f"The generator ran out of batches after {completed} epochs of "
                "this fit; training stopped there. To train max_iter epochs, "
                "give an endless generator and steps_per_epoch, or a "
                "keras.utils.PyDataset or tf.data.Dataset (read anew each epoch).",
                UserWarning,
                stacklevel=4,
            )
            break
        # from here to the next epoch's run, Ctrl-C waits (``InterruptHold``)
        hold.engage()
        previous_state = state
        state, loss, parts, score, val_loss = result
        steps = n_batches or engine.steps_run
        if not np.isfinite(loss) and not early_stopping:
            # a callback may stop here (TerminateOnNaN): the last finite
            # epoch's weights stay; else scikit-learn's error
            hooks.on_train_batch_end(steps - 1, {"loss": loss})
            if est.model_.stop_training:
                state = previous_state
                stopped = True
                est.n_iter_ += 1
                est.loss_curve_.append(loss)
                est._extend_history({"loss": [loss], "learning_rate": [lr]})
                if est.verbose:
                    print(f"A callback stopped training at epoch {est.n_iter_}.")
                break
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data "
                "may contain large values and need to be preprocessed. (The "
                f"training loss became {loss} at epoch {est.n_iter_ + 1}: "
                "lower learning_rate_init, scale the features, e.g. with "
                "StandardScaler, or use a bounded activation.)"
            )
        if not np.isfinite(score):
            score = np.nan
        est.n_iter_ += 1
        completed += 1
        est.t_ += engine.samples_seen if n_samples is None else n_samples
        est.loss_ = loss
        est.loss_curve_.append(loss)
        rate = (
            float(np.asarray(est.model_.optimizer.learning_rate))
            if user_schedule
            else float(np.mean(rates))
        )
        logs = {"loss": loss}
        if len(est._loss_weights()) > 1:
            for i, part in enumerate(_to_float_list(parts)):
                logs[f"loss_output_{i}"] = part
        if early_stopping:
            logs.update(val_loss=val_loss, val_score=score)
        logs["learning_rate"] = rate
        if momenta is not None:
            logs["momentum"] = float(np.mean(momenta))
        est._extend_history({name: [value] for name, value in logs.items()})
        if early_stopping:
            est.validation_scores_.append(score)
            improved = score >= est.best_validation_score_ + est.tol
            best = score > est.best_validation_score_
            if best:
                est.best_validation_score_ = score
                best_state = state
        else:
            improved = loss <= est.best_loss_ - est.tol
            best = loss < est.best_loss_
            est.best_loss_ = min(est.best_loss_, loss)
        est._no_improvement_count = 0 if improved else (est._no_improvement_count + 1)
        if est.verbose and _callbacks.verbosity(est.verbose) == 2:
            # scikit-learn's lines
            print(f"Iteration {est.n_iter_}, loss = {loss:.8f}")
            if early_stopping:
                print(f"Validation score: {score:f}")
        lr_changed = False
        if (
            est._no_improvement_count > est.n_iter_no_change
            and est.learning_rate == "adaptive"
            and lr > 1e-6
        ):
            lr *= float(est.reduce_factor)
            est._no_improvement_count = 0
            lr_changed = True
            if est.verbose:
                print(f"Setting learning rate to {lr:f}")
        if est.checkpoint_path is not None and (best or not est.checkpoint_best_only):
            est._learning_rate_ = lr
            _callbacks.save_state(est, engine, state, best_state)
        elif needs_weights:
            engine.write_back(state)  # callbacks see the epoch's model
        try:
            if view is not None:
                # the rate the next step would take
                view.set(
                    lr
                    if schedule.name in ("constant", "adaptive")
                    else _callbacks.first_and_last(rates)[1],
                    est.n_iter_ * steps,
                )
            before = _callbacks.snapshot(est.model_) if watch else None
            if not step_hooks:
                hooks.on_train_batch_end(steps - 1, logs)  # the progress bar
            hooks.on_epoch_end(epoch, logs)
        except KeyboardInterrupt as exc:
            interrupted = exc
            break
        if view is not None and view.scale() != 1.0:
            lr = _scaled(lr, view, schedule)  # ReduceLROnPlateau
        est._learning_rate_ = lr
        if watch and _callbacks.changed(est.model_, before):
            state = _callbacks.adopt(est.model_, engine, state)
        if est.model_.stop_training:
            stopped = True
            if est.verbose:
                print(f"A callback stopped training after epoch {est.n_iter_}.")
            break
        if est._no_improvement_count > est.n_iter_no_change and not lr_changed:
            if est.verbose:
                what = "Validation score" if early_stopping else "Training loss"
                print(
                    f"{what} did not improve more than tol={est.tol:f} for "
                    f"{est.n_iter_no_change} consecutive epochs. Stopping."
                )
            converged = True
            break
    hold.engage()  # the end of the fit: Ctrl-C waits for ``holding``'s caller
    est._epochs_done = offset + est.n_iter_
    final = best_state if early_stopping else state
    if watch:
        engine.write_back(final)
        before = _callbacks.snapshot(est.model_)
    hooks.on_train_end(logs)
    if watch and _callbacks.changed(est.model_, before):
        # EarlyStopping(restore_best_weights=True)
        final = _callbacks.adopt(est.model_, engine, final)
    est.model_._initial_epoch = None
    if view is not None:
        view.detach()
    for callback in est.callbacks_:  # no reference to the network kept
        callback.set_model(None)
    if est.checkpoint_path is not None and interrupted is None:
        _callbacks.finish(est)
    if (
        not incremental
        and not converged
        and not stopped
        and interrupted is None
        and est.n_iter_ >= est.max_iter
    ):
        warnings.warn(
            f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) reached "
            "and the optimization hasn't converged yet.",
            ConvergenceWarning,
            stacklevel=4,
        )
    return final, interrupted


def _to_float_list(values):
    return [float(v) for v in values]


def _scaled(lr, view, schedule):
    """The loop's rate after a callback set the optimizer's (``view``)."""
    if schedule.name in ("constant", "adaptive"):
        return view.read()  # the rate the callback set
    return lr * view.scale()  # the schedule, scaled
