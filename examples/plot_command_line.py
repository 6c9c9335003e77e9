"""
The command line on a CSV file
==============================

``simpor-ext balance`` oversamples a CSV, TSV or Parquet table: every column
but ``--target`` is a feature, the original rows are written first and
unchanged, then the synthetic rows. ``python -m simpor_ext`` is the same
command line as the ``simpor-ext`` script; this example runs it in a
subprocess, in a temporary folder, as a shell would.
"""

# %%
# A training table with string labels.
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from simpor_ext.moon import make_moon

split = make_moon(random_state=0, n_samples=900)
table = pd.DataFrame(split.X_train, columns=["height", "width"])
table["label"] = pd.Series(split.y_train).map({0: "common", 1: "rare"})
folder = Path(tempfile.mkdtemp(prefix="simpor-cli-"))
table.to_csv(folder / "train.csv", index=False)
print(table["label"].value_counts().to_string())


def simpor_ext(*args):
    """Run ``simpor-ext ARGS`` in the folder and show what it prints."""
    done = subprocess.run(
        [sys.executable, "-m", "simpor_ext", *args],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    print(
        f"$ simpor-ext {' '.join(args)}\n{done.stdout}{done.stderr}"
        f"(exit status {done.returncode})"
    )


# %%
# Balance it. Every ``SIMPOR`` parameter is a flag; ``--origin-column``
# records, for each synthetic row, the input row it was grown from. The
# summary line (rows added per class, time, device) goes to stderr.
simpor_ext(
    "balance",
    "train.csv",
    "-o",
    "train_balanced.csv",
    "--target",
    "label",
    "--random-state",
    "0",
    "--origin-column",
    "grown_from",
    "--n-jobs",
    "2",
)

balanced = pd.read_csv(folder / "train_balanced.csv")
print(balanced["label"].value_counts().to_string())
print(balanced.iloc[len(table) - 2 : len(table) + 3].to_string())

# %%
# Errors are one line and an exit status, never a traceback: 1 for bad input
# data, 2 for bad usage or option values. The output is written to a
# temporary file and renamed into place, and an existing file is kept unless
# ``--overwrite`` is given.
simpor_ext("balance", "train.csv", "-o", "out.csv", "--target", "class")
simpor_ext("balance", "train.csv", "-o", "train_balanced.csv", "--target", "label")
simpor_ext(
    "balance",
    "train.csv",
    "-o",
    "out.csv",
    "--target",
    "label",
    "--step-rule",
    "fastest",
)

# %%
# What was built and what can run here:
simpor_ext("info")

# %%
# The table it wrote: the original rows, and each synthetic row joined to the
# row it was grown from.
fig, ax = plt.subplots(figsize=(6.5, 4.5))
original = balanced.iloc[: len(table)]
synthetic = balanced.iloc[len(table) :]
for label, colour in (("common", "#1f77b4"), ("rare", "#ff7f0e")):
    part = original[original["label"] == label]
    ax.scatter(part["height"], part["width"], s=6, c=colour, alpha=0.5, label=label)
origin = original.loc[synthetic["grown_from"].astype(int)]
for (x0, y0), (x1, y1) in zip(
    origin[["height", "width"]].to_numpy(), synthetic[["height", "width"]].to_numpy()
):
    ax.plot([x0, x1], [y0, y1], color="#d62728", lw=0.5, alpha=0.5)
ax.scatter(
    synthetic["height"],
    synthetic["width"],
    s=10,
    c="#d62728",
    marker="x",
    lw=0.6,
    label="synthetic (rare)",
)
ax.set(xlabel="height", ylabel="width", title="train_balanced.csv")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %%
# The temporary folder goes when the example ends.
import shutil  # noqa: E402

shutil.rmtree(folder)
