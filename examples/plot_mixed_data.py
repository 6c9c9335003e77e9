"""
A table of numbers and categories
=================================

Most imbalanced tables mix numbers with categories. SIMPOR takes a
DataFrame as it is: text, category and boolean columns are categorical
(``categorical_features="auto"``). The class densities become product
kernels, a Gaussian on the numeric columns times Aitchison and Aitken's
kernel per categorical column; a synthetic row's categories are chosen among
the values its seed's class holds near it, by the posterior ratio at the
row, and the ascent then moves its numeric columns only. SMOTENC, beside it,
takes the most frequent category among the neighbours.
"""

# %%
# A small customer table: two numbers, a plan and a region, and a rare
# "churned" class that leans towards the monthly plan and the north.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from imblearn.over_sampling import SMOTENC

from simpor_ext import SIMPOR

rng = np.random.default_rng(0)
n0, n1 = 400, 40
churn = np.r_[np.zeros(n0, int), np.ones(n1, int)]
X = pd.DataFrame(
    {
        "tenure": np.where(churn == 1, rng.gamma(2.0, 4.0, churn.size), rng.gamma(4.0, 6.0, churn.size)),
        "spend": rng.normal(60, 15, churn.size) + 12 * churn,
        "plan": np.where(
            (churn == 1) & (rng.random(churn.size) < 0.8), "monthly", rng.choice(["monthly", "yearly"], churn.size)
        ),
        "region": pd.Categorical(
            np.where(
                (churn == 1) & (rng.random(churn.size) < 0.6),
                "north",
                rng.choice(["north", "south", "east", "west"], churn.size),
            ),
            categories=["north", "south", "east", "west"],
        ),
    }
)
print(X.dtypes.to_string())

# %%
# Balance it with SIMPOR and with SMOTENC. Both keep the columns' dtypes;
# SIMPOR's categories are only ever values the churned class holds.
simpor = SIMPOR(random_state=0, informative=None, n_jobs=2)  # device="auto": the GPU where one is usable
X_simpor, y_simpor = simpor.fit_resample(X, churn)
X_smotenc, y_smotenc = SMOTENC(categorical_features=[2, 3], random_state=0).fit_resample(X, churn)
print("categorical columns:", list(X.columns[simpor.categorical_features_]))
print("dtypes kept:", list(X_simpor.dtypes) == list(X.dtypes))
new = X_simpor.iloc[len(X):]
print(new.head().to_string(float_format="{:.1f}".format))

# %%
# The categories of the synthetic rows next to those of the real churned
# rows. SMOTENC's mode among five neighbours favours a class's most frequent
# category; SIMPOR's choice follows the posterior ratio, which favours the
# categories that tell the class apart from the others.
def shares(frame, column):
    return frame[column].value_counts(normalize=True).reindex(sorted(X[column].unique()), fill_value=0)


fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
for ax, column in zip(axes[:2], ["plan", "region"]):
    table = pd.DataFrame(
        {
            "real churned": shares(X[churn == 1], column),
            "SIMPOR": shares(new, column),
            "SMOTENC": shares(X_smotenc.iloc[len(X):], column),
        }
    )
    table.plot.bar(ax=ax, rot=0, width=0.8)
    ax.set_title(f"{column}: share of rows")
    ax.legend(fontsize=8)

# %%
# The numeric part: each synthetic row lies on a sphere around its seed (in
# standardised units), moved to where churned rows dominate.
ax = axes[2]
ax.scatter(X["tenure"][churn == 0], X["spend"][churn == 0], s=6, c="0.75", label="stayed")
ax.scatter(X["tenure"][churn == 1], X["spend"][churn == 1], s=14, c="tab:red", label="churned")
ax.scatter(new["tenure"], new["spend"], s=10, facecolors="none", edgecolors="tab:blue", label="SIMPOR rows")
ax.set_xlabel("tenure")
ax.set_ylabel("spend")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
