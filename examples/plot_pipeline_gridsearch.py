"""
SIMPOR in a Pipeline with GridSearchCV
======================================

:class:`~simpor_ext.SIMPOR` is an imbalanced-learn sampler, so it goes into
an :class:`imblearn.pipeline.Pipeline`: the sampler runs on each training
fold only, never on the fold that scores the model, and its parameters are
tuned like any other step's (``simpor__<parameter>``).
"""

# %%
# The paper's Moon set-up, made smaller so the search runs in seconds.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from imblearn.pipeline import make_pipeline
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neural_network import MLPClassifier

from simpor_ext import SIMPOR
from simpor_ext.moon import make_moon

split = make_moon(random_state=0, n_samples=1200)
X, y = split.X_train, split.y_train

# %%
# One pipeline, a grid over the KDE bandwidth (in standard deviations;
# ``"scott"`` is the default) and over the ascent (``max_iter=0`` leaves each
# row where it was drawn on its sphere). Active learning is switched off
# (``informative=None``) to keep the example fast; it is tuned the same way.
pipe = make_pipeline(
    SIMPOR(informative=None, random_state=0, n_jobs=1),
    MLPClassifier(
        hidden_layer_sizes=(32, 32),
        learning_rate_init=0.01,
        max_iter=300,
        random_state=0,
    ),
)
grid = {"simpor__bandwidth": ["scott", 0.15, 0.5], "simpor__max_iter": [0, 300]}
search = GridSearchCV(
    pipe, grid, scoring="f1_macro", cv=StratifiedKFold(3, shuffle=True, random_state=0)
)
search.fit(X, y)

results = pd.DataFrame(search.cv_results_)
table = results[
    [
        "param_simpor__bandwidth",
        "param_simpor__max_iter",
        "mean_test_score",
        "std_test_score",
        "mean_fit_time",
    ]
].rename(columns=lambda c: c.replace("param_simpor__", ""))
print(table.to_string(index=False, float_format="{:.3f}".format))
print("best:", search.best_params_)

# %%
# The refitted pipeline on the held-out test set. ``predict`` never
# resamples: the sampler only acts in ``fit``.
best = search.best_estimator_
print(
    "test macro F1 of the best pipeline:",
    round(f1_score(split.y_test, best.predict(split.X_test), average="macro"), 3),
)
print("synthetic rows in the refit:", best.named_steps["simpor"].sample_origin_.size)

# %%
# Mean cross-validated macro F1 per setting, with one standard deviation
# over the three folds. The bandwidth only enters through the ascent, so the
# three ``max_iter=0`` settings resample alike. On a data set this small,
# settings whose bars overlap are not told apart by the search.
fig, ax = plt.subplots(figsize=(7, 3.8))
labels = [str(b) for b in grid["simpor__bandwidth"]]
for k, (iters, colour) in enumerate(
    zip(grid["simpor__max_iter"], ["#9ecae1", "#d62728"])
):
    rows = (
        table[table["max_iter"] == iters]
        .set_index("bandwidth")
        .loc[grid["simpor__bandwidth"]]
    )
    ax.bar(
        np.arange(3) + (k - 0.5) * 0.38,
        rows["mean_test_score"],
        0.38,
        yerr=rows["std_test_score"],
        color=colour,
        capsize=3,
        label="no ascent (max_iter=0)" if iters == 0 else "ascent (max_iter=300)",
    )
ax.set(
    xticks=np.arange(3),
    xticklabels=labels,
    xlabel="bandwidth",
    ylabel="CV macro F1",
    ylim=(table["mean_test_score"].min() - 0.05, table["mean_test_score"].max() + 0.06),
)
ax.legend(loc="upper left", fontsize=8, ncol=2)
fig.tight_layout()
plt.show()
