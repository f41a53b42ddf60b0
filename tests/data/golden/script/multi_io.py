"""Script exported by mlops-jupyter from multi_io.ipynb: edit the notebook, then re-export."""


# %% cell 2, execution count 2
import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge


_PARAMETERS = ('n_samples', 'seed', 'alpha', 'features')


def main(**params):
    """Run the notebook's code top to bottom; keyword arguments override its parameters cell."""
    global n_samples, seed, alpha, features, rng, X, y, n_train, X_train, X_test, y_train, y_test
    global model, coef, pred, mse, scores, report
    # %% cell 1, execution count 1 [parameters]
    n_samples = 60  # number of rows
    seed = 42  # random seed
    alpha = 0.1  # ridge penalty
    features = ['x1', 'x2']  # feature names

    _apply_parameters(params)

    # %% cell 3, execution count 3 [step: make_data]
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, len(features)))
    y = X @ np.array([1.5, -2.0]) + rng.normal(scale=0.1, size=n_samples)
    print(X.shape, y.shape)

    # %% cell 4, execution count 4 [step: split]
    n_train = int(0.75 * len(X))
    X_train, X_test = X[:n_train], X[n_train:]
    y_train, y_test = y[:n_train], y[n_train:]
    del n_train

    # %% cell 5, execution count 5 [step: fit]
    model = Ridge(alpha=alpha)
    model.fit(X_train, y_train)
    coef = {name: round(float(c), 3) for name, c in zip(features, model.coef_)}
    print(coef)

    # %% cell 6, execution count 6 [step: evaluate]
    pred = model.predict(X_test)
    mse = float(np.mean((pred - y_test) ** 2))
    scores = [mse]
    scores += [float(np.abs(pred - y_test).max())]
    print(f'mse={mse:.4f}')

    # %% cell 7, execution count 7 [step: report; after: fit]
    report = pd.DataFrame({'metric': ['mse', 'max_err'], 'value': scores})
    print(report.round(4).to_string(index=False))


def _apply_parameters(params):
    """Set the parameters given to main() as globals, after the parameters cell ran."""
    unknown = sorted(set(params) - set(_PARAMETERS))
    if unknown:
        raise TypeError(f"unknown parameter(s) {', '.join(unknown)}; expected one of "
                        f"{', '.join(_PARAMETERS) or '(none: the notebook has no parameters cell)'}")
    globals().update(params)


def _json(kind):
    """Return a converter parsing a JSON value of the type ``kind`` (list or dict)."""
    import json

    def convert(text):
        value = json.loads(text)
        if not isinstance(value, kind):
            raise ValueError(f"expected a JSON {kind.__name__}, got {text!r}")
        return value

    convert.__name__ = kind.__name__
    return convert


def _parse_args(argv=None):
    """Parse the command line; only the options given are returned."""
    import argparse

    parser = argparse.ArgumentParser(description='Run multi_io.ipynb as a script.')
    parser.add_argument('--n-samples', '--n_samples', dest='n_samples', type=int, default=argparse.SUPPRESS, help='number of rows (int, default: 60)')
    parser.add_argument('--seed', dest='seed', type=int, default=argparse.SUPPRESS, help='random seed (int, default: 42)')
    parser.add_argument('--alpha', dest='alpha', type=float, default=argparse.SUPPRESS, help='ridge penalty (float, default: 0.1)')
    parser.add_argument('--features', dest='features', type=_json(list), default=argparse.SUPPRESS, help="feature names (list, default: ['x1', 'x2'])")
    return vars(parser.parse_args(argv))


if __name__ == "__main__":
    main(**_parse_args())
